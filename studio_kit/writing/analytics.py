"""Script analytics for the writing notebook: pacing, who is in which scene, who meets whom,
and the balance of dialogue and action. Pure functions of a :class:`ScriptAnalysis` that return
polars DataFrames (plots live in :mod:`studio_kit.writing.plots`).

    from studio_kit.screenplay import analyze, load_script
    from studio_kit.writing import analytics
    a = analyze(load_script("night_train.fountain"))
    analytics.pacing(a)                 # one row per scene, script order
    analytics.presence(a)               # one row per (scene, character) present
    analytics.character_totals(a)       # one row per character
    analytics.shared_scenes(a)          # one row per pair of characters who share a scene
    analytics.dialogue_action_balance(a), analytics.dialogue_action_totals(a)

Words are whitespace-separated tokens of an element's text with ``[[notes]]`` and boneyard
removed. "Dialogue" is DIALOGUE and LYRICS elements (parentheticals are direction, not speech);
"action" is ACTION and CENTERED elements. A "speech" is one character cue with what it says.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from studio_kit.screenplay import ElementType, ScriptAnalysis
from studio_kit.screenplay.model import character_name, strip_notes

DIALOGUE_KINDS = frozenset({ElementType.DIALOGUE, ElementType.LYRICS})
ACTION_KINDS = frozenset({ElementType.ACTION, ElementType.CENTERED})
_SPEECH_CONTINUES = frozenset({ElementType.DIALOGUE, ElementType.LYRICS, ElementType.PARENTHETICAL})
#: Order of the stripboard D/N within one story day; going back in this order starts a new day.
_PHASE = {"DAWN": 0, "DAY": 1, "DUSK": 2, "NIGHT": 3}


def word_count(text: str) -> int:
    return len(strip_notes(text).split())


# -- pacing ---------------------------------------------------------------------------------

def story_days(analysis: ScriptAnalysis) -> list[int]:
    """Estimated story day of each scene (1-based), from the D/N sequence of the headings.

    The screenplay model has no explicit story days, so a new day starts whenever the time of
    day goes backwards (DAWN < DAY < DUSK < NIGHT): NIGHT then DAWN, or DUSK then DAY. Scenes
    without a D/N stay on the current day. Flashbacks and time jumps are not detected.
    """
    day, prev = 1, None
    out: list[int] = []
    for s in analysis.scenes:
        phase = _PHASE.get(s.day_night)
        if phase is not None:
            if prev is not None and phase < prev:
                day += 1
            prev = phase
        out.append(day)
    return out


def pacing(analysis: ScriptAnalysis) -> pl.DataFrame:
    """One row per scene in script order: number, heading, INT/EXT, time of day, D/N, estimated
    story day, start page, length in eighths (rounded as on the stripboard, and exact), and the
    running total in eighths and pages."""
    scenes = analysis.scenes
    eighths = [s.eighths for s in scenes]
    cumulative: list[int] = []
    total = 0
    for e in eighths:
        total += e
        cumulative.append(total)
    return pl.DataFrame(
        {
            "index": [s.index for s in scenes],
            "scene": [s.number for s in scenes],
            "heading": [s.heading for s in scenes],
            "int_ext": [s.int_ext for s in scenes],
            "location": [s.location for s in scenes],
            "time_of_day": [s.time_of_day for s in scenes],
            "day_night": [s.day_night for s in scenes],
            "story_day": story_days(analysis),
            "page_start": [s.page_start for s in scenes],
            "eighths": eighths,
            "eighths_exact": [float(s.eighths_exact) for s in scenes],
            "length": [s.length for s in scenes],
            "cumulative_eighths": cumulative,
            "cumulative_pages": [c / 8 for c in cumulative],
        },
        schema_overrides={"index": pl.Int64, "story_day": pl.Int64, "page_start": pl.Int64, "eighths": pl.Int64,
                          "cumulative_eighths": pl.Int64, "cumulative_pages": pl.Float64,
                          "eighths_exact": pl.Float64},
    )


# -- presence -------------------------------------------------------------------------------

@dataclass
class _Speech:
    speeches: int = 0
    dialogue_lines: int = 0  # printed lines of dialogue and lyrics
    words: int = 0


@dataclass
class _SceneSpeech:
    by_character: dict[str, _Speech] = field(default_factory=dict)


def _printed_lines(analysis: ScriptAnalysis) -> dict[int, int]:
    """Printed dialogue/lyric lines per element index (from the paginated script)."""
    out: dict[int, int] = {}
    for page in analysis.pagination.pages:
        for row in page.rows:
            for line in row:
                if line.kind in DIALOGUE_KINDS and line.element >= 0:
                    out[line.element] = out.get(line.element, 0) + 1
    return out


def _scene_speech(analysis: ScriptAnalysis) -> list[_SceneSpeech]:
    els = analysis.screenplay.elements
    printed = _printed_lines(analysis)
    out: list[_SceneSpeech] = []
    for s in analysis.scenes:
        acc = _SceneSpeech()
        current: _Speech | None = None
        for i in range(s.first, min(s.last, len(els) - 1) + 1):
            e = els[i]
            if e.type is ElementType.CHARACTER:
                name = character_name(strip_notes(e.text))
                current = acc.by_character.setdefault(name, _Speech())
                current.speeches += 1
            elif e.type in _SPEECH_CONTINUES and current is not None:
                if e.type in DIALOGUE_KINDS:
                    current.words += word_count(e.text)
                    current.dialogue_lines += printed.get(i, 0)
            else:
                current = None
        out.append(acc)
    return out


_PRESENCE_SCHEMA = {
    "index": pl.Int64, "scene": pl.Utf8, "character": pl.Utf8, "speaking": pl.Boolean, "speeches": pl.Int64,
    "dialogue_lines": pl.Int64, "words": pl.Int64,
}


def presence(analysis: ScriptAnalysis) -> pl.DataFrame:
    """One row per (scene, character present): speeches (cues), printed dialogue lines and words
    spoken. Characters named in the action without lines appear with ``speaking`` False and zeros.
    Rows are in script order, speakers first in order of first cue, then the silent ones."""
    rows: list[dict] = []
    for s, sp in zip(analysis.scenes, _scene_speech(analysis), strict=True):
        names = list(sp.by_character) + [n for n in s.non_speaking if n not in sp.by_character]
        for name in names:
            st = sp.by_character.get(name)
            rows.append({
                "index": s.index, "scene": s.number, "character": name, "speaking": st is not None,
                "speeches": st.speeches if st else 0, "dialogue_lines": st.dialogue_lines if st else 0,
                "words": st.words if st else 0,
            })
    return pl.DataFrame(rows, schema=_PRESENCE_SCHEMA, orient="row")


def character_totals(analysis: ScriptAnalysis) -> pl.DataFrame:
    """One row per character: scenes present (speaking or named in action), speaking and silent
    scenes, speeches, printed dialogue lines, words, share of all dialogue words and first scene.
    Sorted by words spoken, then scenes, then name."""
    p = presence(analysis)
    total_words = int(p["words"].sum()) if p.height else 0
    out = (
        p.group_by("character", maintain_order=True)
        .agg(
            pl.len().cast(pl.Int64).alias("scenes"),
            pl.col("speaking").sum().cast(pl.Int64).alias("speaking_scenes"),
            pl.col("speeches").sum().cast(pl.Int64).alias("speeches"),
            pl.col("dialogue_lines").sum().cast(pl.Int64).alias("dialogue_lines"),
            pl.col("words").sum().cast(pl.Int64).alias("words"),
            pl.col("scene").first().alias("first_scene"),
        )
        .with_columns(
            (pl.col("scenes") - pl.col("speaking_scenes")).alias("silent_scenes"),
            (pl.col("words") / total_words if total_words else pl.lit(0.0)).cast(pl.Float64).alias("dialogue_share"),
        )
        .select("character", "scenes", "speaking_scenes", "silent_scenes", "speeches", "dialogue_lines", "words",
                "dialogue_share", "first_scene")
    )
    return out.sort(["words", "scenes", "character"], descending=[True, True, False])


# -- who shares scenes with whom --------------------------------------------------------------

def shared_scenes(analysis: ScriptAnalysis, speaking_only: bool = False, both_directions: bool = False) -> pl.DataFrame:
    """Pairs of characters with the number of scenes they share (and which scenes).

    A character is in a scene when they speak there or are named in its action (only when
    they speak if ``speaking_only``). Each pair appears once with ``a < b`` alphabetically, or
    in both orders when ``both_directions`` (handy for a matrix). Sorted by count, then names.
    """
    pairs: dict[tuple[str, str], list[str]] = {}
    for s in analysis.scenes:
        names = sorted(set(s.speaking if speaking_only else s.characters))
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                pairs.setdefault((a, b), []).append(s.number)
    rows = []
    for (a, b), nums in pairs.items():
        rows.append({"a": a, "b": b, "shared_scenes": len(nums), "scenes": nums})
        if both_directions:
            rows.append({"a": b, "b": a, "shared_scenes": len(nums), "scenes": nums})
    df = pl.DataFrame(rows, schema={"a": pl.Utf8, "b": pl.Utf8, "shared_scenes": pl.Int64,
                                    "scenes": pl.List(pl.Utf8)}, orient="row")
    return df.sort(["shared_scenes", "a", "b"], descending=[True, False, False])


# -- dialogue / action balance ------------------------------------------------------------------

def dialogue_action_balance(analysis: ScriptAnalysis) -> pl.DataFrame:
    """Per scene: words of dialogue (DIALOGUE, LYRICS) and of action (ACTION, CENTERED), their
    sum, the dialogue/action ratio (None when a scene has no action) and dialogue's share."""
    els = analysis.screenplay.elements
    rows = []
    for s in analysis.scenes:
        dialogue = action = 0
        for e in els[s.first: s.last + 1]:
            if e.type in DIALOGUE_KINDS:
                dialogue += word_count(e.text)
            elif e.type in ACTION_KINDS:
                action += word_count(e.text)
        total = dialogue + action
        rows.append({
            "index": s.index, "scene": s.number, "dialogue_words": dialogue, "action_words": action,
            "total_words": total, "ratio": dialogue / action if action else None,
            "dialogue_share": dialogue / total if total else 0.0,
        })
    return pl.DataFrame(rows, schema={"index": pl.Int64, "scene": pl.Utf8, "dialogue_words": pl.Int64,
                                      "action_words": pl.Int64, "total_words": pl.Int64, "ratio": pl.Float64,
                                      "dialogue_share": pl.Float64}, orient="row")


def dialogue_action_totals(analysis: ScriptAnalysis) -> dict[str, float | int | None]:
    """Whole-script dialogue and action words (over all scenes), their ratio and dialogue's share."""
    b = dialogue_action_balance(analysis)
    dialogue = int(b["dialogue_words"].sum())
    action = int(b["action_words"].sum())
    total = dialogue + action
    return {
        "dialogue_words": dialogue, "action_words": action, "total_words": total,
        "ratio": dialogue / action if action else None,
        "dialogue_share": dialogue / total if total else 0.0,
    }


__all__ = [
    "ACTION_KINDS", "DIALOGUE_KINDS", "character_totals", "dialogue_action_balance", "dialogue_action_totals",
    "pacing", "presence", "shared_scenes", "story_days", "word_count",
]
