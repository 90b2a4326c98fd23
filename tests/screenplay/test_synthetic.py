"""The synthetic script generator: deterministic, on-target length, a realistic mix, fast."""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter

import pytest

from studio_kit.screenplay.fountain import parse_fountain
from studio_kit.screenplay.model import ElementType, character_name, split_cue
from studio_kit.screenplay.pagination import paginate
from studio_kit.screenplay.scenes import extract_scenes
from studio_kit.screenplay.synthetic import main, synthetic_script, write_synthetic


def test_deterministic_per_seed():
    assert synthetic_script(20, seed=3) == synthetic_script(20, seed=3)
    assert synthetic_script(20, seed=3) != synthetic_script(20, seed=4)
    assert synthetic_script(20, seed=3) != synthetic_script(21, seed=3)


@pytest.mark.parametrize("pages", [1, 4, 12, 45, 120])
@pytest.mark.parametrize("seed", [0, 7])
def test_page_count_on_target(pages, seed):
    got = paginate(parse_fountain(synthetic_script(pages, seed))).page_count
    assert abs(got - pages) <= max(1, 0.15 * pages)
    if pages >= 12:
        assert abs(got - pages) <= max(1, 0.02 * pages)  # in practice it lands within a page


@pytest.fixture(scope="module")
def feature():
    sp = parse_fountain(synthetic_script(120, seed=3))
    return sp, extract_scenes(sp)


def test_uses_the_fountain_palette(feature):
    sp, _ = feature
    kinds = Counter(e.type for e in sp.elements)
    for k in (ElementType.SCENE_HEADING, ElementType.ACTION, ElementType.CHARACTER, ElementType.DIALOGUE,
              ElementType.PARENTHETICAL, ElementType.TRANSITION, ElementType.NOTE, ElementType.SECTION,
              ElementType.SYNOPSIS, ElementType.CENTERED):
        assert kinds[k], k
    assert sp.title_page.get("title") and "\n" in sp.title_page.get("contact")
    assert {e.dual for e in sp.elements} >= {"left", "right"}
    extensions = {x for e in sp.elements if e.type is ElementType.CHARACTER for x in split_cue(e.text)[1]}
    assert {"V.O.", "O.S.", "CONT'D"} <= extensions
    text = "\n".join(e.text for e in sp.elements)
    assert "**" in text and re.search(r"(?<![*\w])\*\w", text) and re.search(r"(?<!\w)_\w", text)
    # Rare things stay rare: transitions, page breaks, boneyards.
    assert kinds[ElementType.TRANSITION] < kinds[ElementType.SCENE_HEADING] / 3
    assert kinds[ElementType.PAGE_BREAK] <= 2 and kinds[ElementType.BONEYARD] <= 10


def test_scenes_sets_and_cast_look_like_a_feature(feature):
    sp, scenes = feature
    assert 120 / 1.6 <= len(scenes) <= 120 / 0.9  # about a scene every 1 to 1.5 pages
    numbers = [s.number for s in scenes]
    assert len(set(numbers)) == len(numbers) and any(n.endswith("A") for n in numbers)
    assert {"INT", "EXT", "INT/EXT"} <= {s.int_ext for s in scenes}
    assert {"DAY", "NIGHT"} <= {s.day_night for s in scenes}
    sets = Counter(s.location for s in scenes)
    assert 8 <= len(sets) <= len(scenes) / 2 and sets.most_common(1)[0][1] >= 8  # recurring sets
    speeches = Counter(character_name(e.text) for e in sp.elements if e.type is ElementType.CHARACTER)
    assert 15 <= len(speeches) <= 45
    counts = sorted(speeches.values(), reverse=True)
    assert counts[0] >= 4 * statistics.median(counts)  # a few leads and a long tail
    lines = Counter(e.type for e in sp.elements)
    assert 0.3 < lines[ElementType.DIALOGUE] / (lines[ElementType.DIALOGUE] + lines[ElementType.ACTION]) < 0.75


def test_characters_are_introduced_before_they_speak(feature):
    sp, _ = feature
    introduced: set[str] = set()
    for e in sp.elements:
        if e.type is ElementType.ACTION:
            for m in re.finditer(r"\b((?:[A-Z][A-Z']+ )*[A-Z][A-Z']+) \((?:\d0s|\d+)\)", e.text):
                introduced.update((m.group(1), m.group(1).split()[0]))  # "MARA VOSS (30s)", "RADIO VOICE (40s)"
        elif e.type is ElementType.CHARACTER:
            assert character_name(e.text) in introduced, e.text


def test_fast():
    best = min(_timed(lambda: synthetic_script(400, seed=1)) for _ in range(2))
    assert best < 1.0, f"400 pages took {best:.2f} s"


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def test_write_cli_and_bad_input(tmp_path, capsys):
    p = write_synthetic(5, tmp_path / "s.fountain", seed=2)
    assert p.read_text(encoding="utf-8") == synthetic_script(5, seed=2)
    assert main(["3", str(tmp_path / "cli.fountain"), "9"]) == 0
    assert (tmp_path / "cli.fountain").read_text(encoding="utf-8") == synthetic_script(3, seed=9)
    assert str(tmp_path / "cli.fountain") in capsys.readouterr().out
    assert main(["many"]) == 2
    with pytest.raises(ValueError):
        synthetic_script(0)
