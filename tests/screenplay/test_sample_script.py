"""The bundled sample (*Night Train*) meets its brief, and the diff engine reports its revision
exactly as data/sample/REVISIONS.md lists it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from studio_kit.screenplay.diff import diff_scenes, fingerprint
from studio_kit.screenplay.fountain import parse_fountain
from studio_kit.screenplay.model import ElementType, Scene, Screenplay, character_name, split_cue
from studio_kit.screenplay.pagination import paginate
from studio_kit.screenplay.scenes import extract_scenes

DATA = Path(__file__).parents[2] / "data" / "sample"
WHITE = DATA / "night_train.fountain"
BLUE = DATA / "night_train_rev2.fountain"


def _load(path: Path) -> tuple[Screenplay, list[Scene]]:
    sp = parse_fountain(path.read_text(encoding="utf-8"), source=str(path))
    return sp, extract_scenes(sp)


@pytest.fixture(scope="module")
def white() -> tuple[Screenplay, list[Scene]]:
    return _load(WHITE)


@pytest.fixture(scope="module")
def blue() -> tuple[Screenplay, list[Scene]]:
    return _load(BLUE)


def speaking_characters(sp: Screenplay) -> set[str]:
    """Names from cues that are followed by at least one line of dialogue (or lyric)."""
    names: set[str] = set()
    els = sp.elements
    for i, e in enumerate(els):
        if e.type is not ElementType.CHARACTER:
            continue
        for nxt in els[i + 1 :]:
            if nxt.type is ElementType.PARENTHETICAL:
                continue
            if nxt.type in (ElementType.DIALOGUE, ElementType.LYRICS) and nxt.text.strip():
                names.add(character_name(e.text))
            break
    return names


def test_size_and_shape(white):
    sp, scenes = white
    assert len(scenes) >= 34
    assert paginate(sp).page_count >= 28
    assert len(speaking_characters(sp)) >= 8
    assert {"DAY", "NIGHT"} <= {s.day_night for s in scenes}
    assert {"DAWN", "DUSK"} & {s.day_night for s in scenes}
    assert {"INT", "EXT", "INT/EXT"} <= {s.int_ext for s in scenes}
    locations = {s.location for s in scenes}
    assert len(locations) >= 8
    revisited = [loc for loc in locations if sum(s.location == loc for s in scenes) > 1]
    assert len(revisited) >= 3


def test_scene_numbers_locked_and_unique(white):
    _, scenes = white
    numbers = [s.number for s in scenes]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"\d+[A-Z]?", n) for n in numbers)
    assert sum(n[-1].isalpha() for n in numbers) >= 2  # A-scenes, like 14A


def test_title_page(white):
    tp = white[0].title_page
    assert white[0].title == "NIGHT TRAIN"
    for key in ("Title", "Credit", "Author", "Source", "Draft date", "Contact"):
        assert tp.get(key), key
    assert "\n" in tp.get("contact")  # a multi-line value
    assert tp.get("revision") == "White"  # a key outside the common set is kept


def test_uses_the_fountain_palette(white):
    els = white[0].elements
    kinds = {e.type for e in els}
    assert {ElementType.NOTE, ElementType.BONEYARD, ElementType.SECTION, ElementType.SYNOPSIS, ElementType.LYRICS,
            ElementType.CENTERED, ElementType.TRANSITION, ElementType.PARENTHETICAL} <= kinds
    assert {e.dual for e in els if e.type is ElementType.CHARACTER} >= {"left", "right"}
    extensions = {x for e in els if e.type is ElementType.CHARACTER for x in split_cue(e.text)[1]}
    assert {"V.O.", "O.S.", "CONT'D"} <= extensions
    transitions = [e for e in els if e.type is ElementType.TRANSITION]
    assert any(e.forced for e in transitions) and any(not e.forced for e in transitions)
    assert any(e.type is ElementType.CENTERED and e.text.strip() == "THE END" for e in els)
    # A speech line starting with "." stays dialogue (not a forced scene heading).
    assert any(e.type is ElementType.DIALOGUE and e.text.startswith(".38") for e in els)
    assert not any(e.type is ElementType.SCENE_HEADING and e.text.startswith("38") for e in els)
    text = "\n".join(e.text for e in els)
    assert "**" in text and re.search(r"(?<!\*)\*[^*\s][^*]*\*(?!\*)", text) and re.search(r"\b_[^_]+_\b", text)


def test_breakdown_material(white):
    """What every engine downstream expects to find: extras, props, vehicles, stunts, effects..."""
    sp, _ = white
    action = " ".join(e.text for e in sp.elements if e.type is ElementType.ACTION)
    for needle in (
        "TWENTY PASSENGERS", "A DOZEN CONTROLLERS", "A dozen LUNCH CUSTOMERS", "BRASS BAND of six",  # extras
        "revolver", "ledger", "brass key", "envelope",  # props
        "VOLVO", "SUV", "FIRE ENGINE", "POLICE CARS", "NIGHT TRAIN",  # vehicles
        "topples down the three stone steps", "slams nose-first into a drainage ditch",  # stunts
        "falls into the river", "FIRE", "Smoke", "Rain",  # effects
        "German shepherd",  # animal
        "blood", "uniform", "hi-vis",  # makeup and wardrobe
        "HORN", "BARKS",  # sound
    ):
        assert needle in action, needle


def test_speaking_characters_are_introduced_with_an_age(white):
    sp, _ = white
    action = " ".join(e.text for e in sp.elements if e.type is ElementType.ACTION)
    for name in speaking_characters(sp):
        pattern = rf"\b{re.escape(name)}\b[A-Z' .-]*\((?:\d0s|\d+)\)|[A-Z' .-]*\b{re.escape(name)} \((?:\d0s|\d+)\)"
        assert re.search(pattern, action), name


def _revisions_table() -> list[tuple[str, str, str]]:
    rows = []
    for line in (DATA / "REVISIONS.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 4 and cells[0] not in ("kind", "---"):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def test_revision_diff_matches_revisions_md(white, blue):
    (w_sp, w_scenes), (b_sp, b_scenes) = white, blue
    old = [fingerprint(w_sp, s) for s in w_scenes]
    new = [fingerprint(b_sp, s) for s in b_scenes]
    diff = diff_scenes(old, [f"w{s.number}" for s in w_scenes], new)
    table = _revisions_table()

    def listed(kind: str, col: int) -> list[str]:
        return sorted(r[col] for r in table if r[0] == kind)

    assert sorted(c.old_number for c in diff.removed()) == listed("removed", 1) == ["10", "32"]
    assert sorted(c.new_number for c in diff.added()) == listed("added", 2) == ["12A", "42A"]
    assert sorted(c.old_number for c in diff.moved()) == listed("moved", 1) == ["27", "3"]
    assert sorted(c.old_number for c in diff.changed()) == sorted(listed("changed", 1) + listed("changed (heading)", 1))
    renamed = [(c.old_number, c.old_heading, c.new_heading) for c in diff.changes if c.heading_changed]
    assert renamed == [("14A", "INT. CAFE EUROPA - DAY", "INT. GRAND CAFE EUROPA - DAY")]
    assert listed("changed (heading)", 1) == ["14A"]
    unchanged = [c for c in diff.changes if c.kind == "unchanged"]
    assert all(c.uid == f"w{c.old_number}" and c.old_number == c.new_number for c in unchanged)
    assert len(unchanged) == len(w_scenes) - 2 - 2 - 5 == 39
    assert diff.summary() == {"unchanged": 39, "changed": 5, "moved": 2, "moved+changed": 0, "added": 2, "removed": 2}


def test_revision_keeps_the_brief(blue):
    sp, scenes = blue
    assert sp.title_page.get("revision") == "Blue"
    assert len(scenes) >= 34 and paginate(sp).page_count >= 28
    assert len(speaking_characters(sp)) >= 8
