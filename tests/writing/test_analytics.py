"""Script analytics: exact numbers on a script small enough to count by hand, invariants on the
sample script, and plots that build and render with bokeh."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from studio_kit.screenplay import ElementType, analyze, load_script, parse_fountain
from studio_kit.writing import analytics, plots

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "night_train.fountain"

# Hand counts (LETTER: 55 lines a page, one blank line between blocks, a heading has one before):
#   scene 1: heading, blank, action, blank, ANNA+1, blank, BEN+paren+1, blank, ANNA+1, blank = 14 rows
#   scene 2: heading, blank, action, blank, CARL+1, blank = 7 rows
#   scene 3: heading, blank, action, blank, CARL+1, blank, BEN+1 = 9 rows
# Words: ANNA 4+3, BEN 1 (parenthetical is not speech) + 6, CARL 2+3; action 5, 5, 8.
TINY = """Title: Tiny

INT. KITCHEN - NIGHT #1#

ANNA pours tea. BEN reads.

ANNA
Tea is ready now.

BEN
(not looking up)
Thanks.

ANNA
You never listen.

EXT. GARDEN - DAY #2#

Rain falls on the roses.

CARL
Anyone home?

INT. HALL - CONTINUOUS #3#

Ben opens the door for Carl. Anna watches.

CARL
Hello again, Ben.

BEN
Come in, Carl. Anna is here.
"""


@pytest.fixture(scope="module")
def tiny():
    return analyze(parse_fountain(TINY))


@pytest.fixture(scope="module")
def sample():
    return analyze(load_script(SAMPLE))


# -- exact numbers on the tiny script -----------------------------------------------------------

def test_pacing_tiny(tiny):
    df = analytics.pacing(tiny)
    assert df["scene"].to_list() == ["1", "2", "3"]
    assert df["heading"].to_list() == ["INT. KITCHEN - NIGHT", "EXT. GARDEN - DAY", "INT. HALL - CONTINUOUS"]
    assert df["int_ext"].to_list() == ["INT", "EXT", "INT"]
    assert df["time_of_day"].to_list() == ["NIGHT", "DAY", "CONTINUOUS"]
    assert df["day_night"].to_list() == ["NIGHT", "DAY", "DAY"]
    # NIGHT then DAY goes back in the day: a new story day; CONTINUOUS stays on it.
    assert df["story_day"].to_list() == [1, 2, 2]
    assert df["page_start"].to_list() == [1, 1, 1]
    assert df["eighths_exact"].to_list() == [round(r * 8 / 55, 4) for r in (14, 7, 9)]
    assert df["eighths"].to_list() == [2, 1, 1]
    assert df["length"].to_list() == ["2/8", "1/8", "1/8"]
    assert df["cumulative_eighths"].to_list() == [2, 3, 4]
    assert df["cumulative_pages"].to_list() == [0.25, 0.375, 0.5]


def test_story_days_follow_the_time_of_day():
    text = "\n\n".join(f"INT. ROOM {i} - {tod}\n\nSomething happens." for i, tod in enumerate(
        ["DAY", "NIGHT", "NIGHT", "DAWN", "DUSK", "DAY", "CONTINUOUS", "NIGHT"]))
    a = analyze(parse_fountain(text))
    assert analytics.story_days(a) == [1, 1, 1, 2, 2, 3, 3, 3]


def test_presence_tiny(tiny):
    df = analytics.presence(tiny)
    rows = [tuple(r) for r in df.select("scene", "character", "speaking", "speeches", "dialogue_lines",
                                        "words").iter_rows()]
    assert rows == [
        ("1", "ANNA", True, 2, 2, 7),
        ("1", "BEN", True, 1, 1, 1),
        ("2", "CARL", True, 1, 1, 2),
        ("3", "CARL", True, 1, 1, 3),
        ("3", "BEN", True, 1, 1, 6),
        ("3", "ANNA", False, 0, 0, 0),  # named in the action, no lines
    ]
    assert df["index"].to_list() == [0, 0, 1, 2, 2, 2]


def test_character_totals_tiny(tiny):
    df = analytics.character_totals(tiny)
    assert df["character"].to_list() == ["ANNA", "BEN", "CARL"]  # 7, 7, 5 words; ties by name
    assert df["scenes"].to_list() == [2, 2, 2]
    assert df["speaking_scenes"].to_list() == [1, 2, 2]
    assert df["silent_scenes"].to_list() == [1, 0, 0]
    assert df["speeches"].to_list() == [2, 2, 2]
    assert df["dialogue_lines"].to_list() == [2, 2, 2]
    assert df["words"].to_list() == [7, 7, 5]
    assert df["dialogue_share"].to_list() == pytest.approx([7 / 19, 7 / 19, 5 / 19])
    assert df["first_scene"].to_list() == ["1", "1", "2"]


def test_shared_scenes_tiny(tiny):
    df = analytics.shared_scenes(tiny)
    assert [tuple(r) for r in df.iter_rows()] == [
        ("ANNA", "BEN", 2, ["1", "3"]),
        ("ANNA", "CARL", 1, ["3"]),
        ("BEN", "CARL", 1, ["3"]),
    ]
    speaking = analytics.shared_scenes(tiny, speaking_only=True)
    assert [tuple(r) for r in speaking.select("a", "b", "shared_scenes").iter_rows()] == [
        ("ANNA", "BEN", 1), ("BEN", "CARL", 1)]
    both = analytics.shared_scenes(tiny, both_directions=True)
    assert both.height == 6
    assert both.filter((pl.col("a") == "CARL") & (pl.col("b") == "ANNA"))["shared_scenes"].to_list() == [1]


def test_balance_tiny(tiny):
    df = analytics.dialogue_action_balance(tiny)
    assert df["dialogue_words"].to_list() == [8, 2, 9]
    assert df["action_words"].to_list() == [5, 5, 8]
    assert df["total_words"].to_list() == [13, 7, 17]
    assert df["ratio"].to_list() == pytest.approx([8 / 5, 2 / 5, 9 / 8])
    assert df["dialogue_share"].to_list() == pytest.approx([8 / 13, 2 / 7, 9 / 17])
    totals = analytics.dialogue_action_totals(tiny)
    assert totals["dialogue_words"] == 19
    assert totals["action_words"] == 18
    assert totals["total_words"] == 37
    assert totals["ratio"] == pytest.approx(19 / 18)
    assert totals["dialogue_share"] == pytest.approx(19 / 37)


def test_scene_without_action_has_no_ratio():
    a = analyze(parse_fountain("INT. ROOM - DAY\n\nBOB\nHello there.\n"))
    df = analytics.dialogue_action_balance(a)
    assert df["dialogue_words"].to_list() == [2]
    assert df["action_words"].to_list() == [0]
    assert df["ratio"].to_list() == [None]
    assert df["dialogue_share"].to_list() == [1.0]
    assert analytics.dialogue_action_totals(a)["ratio"] is None


def test_empty_cast_gives_empty_frames():
    a = analyze(parse_fountain("EXT. FIELD - DAY\n\nWind in the grass.\n"))
    assert analytics.presence(a).height == 0
    assert analytics.character_totals(a).height == 0
    assert analytics.shared_scenes(a).height == 0
    assert analytics.pacing(a).height == 1


# -- invariants on the sample script -----------------------------------------------------------

def test_sample_pacing_invariants(sample):
    df = analytics.pacing(sample)
    assert df.height == len(sample.scenes)
    assert int(df["eighths"].sum()) == sample.stats.eighths
    assert df["cumulative_eighths"][-1] == sample.stats.eighths
    assert df["cumulative_pages"][-1] == pytest.approx(sample.stats.eighths / 8)
    assert df["index"].to_list() == list(range(len(sample.scenes)))
    assert df["page_start"].to_list() == sorted(df["page_start"].to_list())
    days = df["story_day"].to_list()
    assert days[0] == 1 and all(b - a in (0, 1) for a, b in zip(days, days[1:], strict=False))


def test_sample_presence_invariants(sample):
    p = analytics.presence(sample)
    totals = analytics.character_totals(sample)
    # Words per character agree with the screenplay statistics, which count them their own way.
    stats_words = {c.name: c.words for c in sample.stats.characters}
    speaking = totals.filter(pl.col("speaking_scenes") > 0)
    assert dict(zip(speaking["character"], speaking["words"], strict=True)) == stats_words
    assert totals["dialogue_share"].sum() == pytest.approx(1.0)
    assert p.select("scene", "character").is_unique().all()
    for s in sample.scenes:
        in_scene = p.filter(pl.col("index") == s.index)
        assert set(in_scene["character"]) == set(s.characters)
        assert set(in_scene.filter(pl.col("speaking"))["character"]) == set(s.speaking)
    assert int(totals["scenes"].sum()) == p.height


def test_sample_pair_invariants(sample):
    scenes_of = dict(analytics.character_totals(sample).select("character", "scenes").iter_rows())
    both = analytics.shared_scenes(sample, both_directions=True)
    counts = {(a, b): n for a, b, n in both.select("a", "b", "shared_scenes").iter_rows()}
    assert counts, "the sample script has characters sharing scenes"
    for (a, b), n in counts.items():
        assert a != b
        assert counts[(b, a)] == n
        assert n >= 1 and n <= min(scenes_of[a], scenes_of[b])
    once = analytics.shared_scenes(sample)
    assert once.height * 2 == both.height
    assert all(a < b for a, b in once.select("a", "b").iter_rows())
    assert once["shared_scenes"].to_list() == [len(s) for s in once["scenes"].to_list()]


def test_sample_balance_matches_elements(sample):
    df = analytics.dialogue_action_balance(sample)
    els = sample.screenplay.elements
    for s, (d, act, total) in zip(sample.scenes, df.select("dialogue_words", "action_words", "total_words")
                                  .iter_rows(), strict=True):
        kinds = {ElementType.DIALOGUE, ElementType.LYRICS, ElementType.ACTION, ElementType.CENTERED}
        expected = sum(analytics.word_count(e.text) for e in els[s.first: s.last + 1] if e.type in kinds)
        assert d + act == total == expected
    totals = analytics.dialogue_action_totals(sample)
    assert totals["dialogue_words"] == int(df["dialogue_words"].sum())
    assert totals["action_words"] == int(df["action_words"].sum())
    assert totals["dialogue_words"] > 0 and totals["action_words"] > 0


# -- plots ---------------------------------------------------------------------------------------

def test_pacing_plot(sample):
    hv = pytest.importorskip("holoviews")
    layout = plots.pacing_plot(sample)
    assert isinstance(layout, hv.Layout)
    bars, curve = layout.values()
    assert isinstance(bars, hv.Bars) and isinstance(curve, hv.Curve)
    assert len(bars) == len(curve) == len(sample.scenes)
    assert list(bars.dimension_values("eighths")) == [s.eighths for s in sample.scenes]
    assert hv.render(layout, backend="bokeh") is not None
    assert hv.render(plots.pacing_plot(sample, color_by="int_ext"), backend="bokeh") is not None
    with pytest.raises(ValueError):
        plots.pacing_plot(sample, color_by="weather")


def test_presence_heatmap(sample):
    hv = pytest.importorskip("holoviews")
    heat = plots.presence_heatmap(sample)
    assert isinstance(heat, hv.HeatMap)
    assert len(heat) == analytics.presence(sample).height
    assert hv.render(heat, backend="bokeh") is not None
    fig = hv.render(plots.presence_heatmap(sample, value="speeches"), backend="bokeh")
    assert list(fig.x_range.factors) == [s.number for s in sample.scenes]  # script order, not sorted


def test_relationship_graph(sample, tiny):
    hv = pytest.importorskip("holoviews")
    overlay = plots.relationship_graph(sample)
    graph, labels = overlay.values()
    assert isinstance(graph, hv.Graph) and isinstance(labels, hv.Labels)
    assert len(graph.nodes) == analytics.character_totals(sample).height == len(labels)
    assert len(graph) == analytics.shared_scenes(sample).height
    assert hv.render(overlay, backend="bokeh") is not None
    strong = plots.relationship_graph(sample, min_shared=3).values()[0]
    assert len(strong) == analytics.shared_scenes(sample).filter(pl.col("shared_scenes") >= 3).height
    # Deterministic circular layout: same positions twice, all on the unit circle.
    small = plots.relationship_graph(tiny).values()[0]
    xs, ys = small.nodes.dimension_values("x"), small.nodes.dimension_values("y")
    assert list(xs) == list(plots.relationship_graph(tiny).values()[0].nodes.dimension_values("x"))
    assert all(math.isclose(x * x + y * y, 1.0, abs_tol=1e-6) for x, y in zip(xs, ys, strict=True))
    assert plots.circular_layout(["A", "B", "C", "D"]) == {"A": (0.0, 1.0), "B": (1.0, 0.0), "C": (0.0, -1.0),
                                                           "D": (-1.0, 0.0)}
    assert list(small.dimension_values("shared_scenes")) == [2, 1, 1]


def test_balance_plot(sample):
    hv = pytest.importorskip("holoviews")
    bars = plots.balance_plot(sample)
    assert isinstance(bars, hv.Bars)
    assert len(bars) == 2 * len(sample.scenes)
    assert sum(bars.dimension_values("words")) == analytics.dialogue_action_totals(sample)["total_words"]
    assert hv.render(bars, backend="bokeh") is not None
