"""The bundled sample meets its brief, and the diff engine reports its revision exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio_kit.screenplay.analysis import analyze, load_script
from studio_kit.screenplay.diff import diff_scenes, fingerprint
from studio_kit.screenplay.model import ElementType

DATA = Path(__file__).parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def white():
    return analyze(load_script(DATA / "night_train.fountain"))


@pytest.fixture(scope="module")
def blue():
    return analyze(load_script(DATA / "night_train_rev2.fountain"))


def test_sample_meets_the_brief(white):
    st = white.stats
    assert st.pages >= 25 and st.scenes >= 30
    speaking = [c for c in st.characters if c.speeches >= 1]
    assert len(speaking) >= 8
    assert {"DAY", "NIGHT", "DAWN", "DUSK"} <= set(st.by_day_night)
    assert {"INT", "EXT", "INT/EXT"} <= set(st.by_int_ext)
    assert len(st.locations) >= 8
    els = white.screenplay.elements
    kinds = {e.type for e in els}
    assert {ElementType.NOTE, ElementType.BONEYARD, ElementType.SECTION, ElementType.SYNOPSIS, ElementType.LYRICS,
            ElementType.CENTERED, ElementType.TRANSITION, ElementType.PARENTHETICAL} <= kinds
    assert any(e.dual == "right" for e in els)
    assert any(e.type is ElementType.DIALOGUE and e.text.startswith(".38") for e in els)
    assert white.screenplay.title_page.get("revision") == "White"
    text = " ".join(e.text for e in els if e.type is ElementType.ACTION)
    for word in ("TWENTY PASSENGERS", "revolver", "VOLVO", "FIRE ENGINE", "German shepherd", "falls into the river"):
        assert word in text


def test_revision_diff_matches_revisions_md(white, blue):
    old = [fingerprint(white.screenplay, s) for s in white.scenes]
    new = [fingerprint(blue.screenplay, s) for s in blue.scenes]
    diff = diff_scenes(old, [f"w{s.number}" for s in white.scenes], new)
    assert sorted(c.old_number for c in diff.removed()) == ["25", "9"]
    assert sorted(c.new_number for c in diff.added()) == ["11A", "34A"]
    assert sorted(c.old_number for c in diff.moved()) == ["15", "3"]
    assert sorted(c.old_number for c in diff.changed()) == ["11", "12A", "17", "2", "35"]
    renamed = [c for c in diff.changes if c.heading_changed]
    assert [(c.old_heading, c.new_heading) for c in renamed] == [("INT. CAFE EUROPA - DAY", "INT. GRAND CAFE EUROPA - DAY")]
    unchanged = [c for c in diff.changes if c.kind == "unchanged"]
    assert all(c.uid == f"w{c.old_number}" and c.old_number == c.new_number for c in unchanged)
    assert len(unchanged) == len(white.scenes) - 2 - 2 - 5
