"""Characters from the sample script and their bible (pure functions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio_kit.characters.bible import (
    Bible,
    BibleError,
    CharacterVersion,
    Lock,
    WardrobeChange,
    characters_from_script,
    draft_bible,
    edit_bible,
    identity,
    introductions,
    story_days,
)
from studio_kit.screenplay.analysis import analyze, load_script
from studio_kit.screenplay.cast import cast_ids_for
from studio_kit.screenplay.pagination import layout_for

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "night_train.fountain"


@pytest.fixture(scope="module")
def sample():
    a = analyze(load_script(SAMPLE), layout_for("letter"))
    chars = characters_from_script(a.screenplay, a.scenes, cast_ids_for(a.scenes, a.screenplay))
    return a, chars


def test_every_cast_member_becomes_a_character_in_billing_order(sample):
    a, chars = sample
    names = {c for s in a.scenes for c in s.characters}
    assert {c.name for c in chars} == names
    assert [c.cast_id for c in chars] == list(range(1, len(chars) + 1))
    mara = chars[0]
    assert mara.character_id == "mara" and mara.name == "MARA"
    assert list(mara.scenes) == [s.number for s in a.scenes if "MARA" in s.characters]
    assert len({c.character_id for c in chars}) == len(chars)


def test_story_days_turn_over_after_night():
    from studio_kit.screenplay.model import Scene

    def sc(dn):
        return Scene(0, "1", "", "INT", "X", dn, 0, 0, day_night=dn)

    assert story_days([sc("DAY"), sc("NIGHT"), sc(""), sc("DAY"), sc("DUSK"), sc("MORNING")]) == [1, 1, 1, 2, 2, 3]


def test_draft_bible_reads_the_introduction_line(sample):
    a, chars = sample
    intro = introductions(a.screenplay)
    assert intro["MARA"][0] == "MARA VOSS" and intro["MARA"][1] == "30s"
    mara = draft_bible(chars[0], a.screenplay)
    assert mara.age == "30s" and "signal engineer" in mara.description
    assert mara.palette[2] == "#e67e22"  # "orange hi-vis jacket": wardrobe primary from the script
    assert mara.hair == "bun"  # "hair tied back"
    oskar = draft_bible(next(c for c in chars if c.name == "OSKAR"), a.screenplay)
    assert oskar.build == "broad"  # "built like a locomotive"
    viktor = draft_bible(next(c for c in chars if c.name == "VIKTOR"), a.screenplay)
    assert viktor.palette[1] == "#a9a9a9"  # 60s: grey hair
    # Deterministic, and distinct characters get distinct palettes.
    assert draft_bible(chars[0], a.screenplay) == mara
    palettes = [draft_bible(c, a.screenplay).palette for c in chars]
    assert len(set(palettes)) == len(palettes)


def test_bad_bible_fields_name_the_field():
    with pytest.raises(BibleError, match="palette.hair"):
        Bible(palette=("#ffffff", "brown", "#000000", "#000000", "#000000"))
    with pytest.raises(BibleError, match="palette needs 5"):
        Bible(palette=("#ffffff",))
    with pytest.raises(BibleError, match="unknown bible fields"):
        edit_bible(Bible(), hat="fedora")
    with pytest.raises(BibleError, match="build"):
        Bible(build="giant")
    with pytest.raises(BibleError, match="wardrobe day 2"):
        Bible(wardrobe=(WardrobeChange(2, "coat", primary="blue"),))


def test_wardrobe_per_story_day_changes_the_palette():
    b = Bible(wardrobe=(WardrobeChange(1, "hi-vis", "#f39c12", "#333333"), WardrobeChange(3, "black coat", "#1c1c1c")))
    assert b.palette_on(1)[2:4] == ("#f39c12", "#333333")
    assert b.palette_on(2)[2:4] == ("#f39c12", "#333333")
    assert b.palette_on(3)[2:4] == ("#1c1c1c", b.palette[3])
    assert Bible.from_dict(b.to_dict()) == b


def test_identity_uses_the_lock_when_there_is_one(sample):
    _, chars = sample
    b = Bible(prompt="draft prompt")
    draft = identity(chars[0], CharacterVersion("mara", 1, b))
    assert draft.prompt == "draft prompt" and draft.version == 1
    lock = Lock(42, "per_shot", ("abc",), (1.0, 0.0), "descriptor", "locked prompt", "coat",
                ("#111111", "#222222", "#333333", "#444444", "#555555"), 0.9)
    locked = CharacterVersion("mara", 2, edit_bible(b, prompt="edited after lock"), lock)
    ident = identity(chars[0], locked, shot_index=3)
    assert ident.prompt == "locked prompt" and ident.seed == 45 and ident.palette == lock.palette
    assert ident.reference_images == ("abc",) and ident.reference_embedding == (1.0, 0.0)
    assert Lock.from_dict(lock.to_dict()) == lock
