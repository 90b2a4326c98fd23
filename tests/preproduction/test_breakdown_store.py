"""Breakdowns in the store: per-version tags, idempotent saves, edits that follow scenes across a
revised draft (and are reported when their scene was cut)."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio_kit import scripts
from studio_kit.common.errors import Invalid, NotFound
from studio_kit.preproduction.breakdown import Edit, tag_script
from studio_kit.preproduction.breakdown_store import (
    MIGRATIONS,
    add_edit,
    edits,
    edits_frame,
    effective_breakdown,
    load_breakdown,
    save_breakdown,
    scene_uids,
    tag_version,
)
from studio_kit.screenplay.analysis import analyze, load_script
from studio_kit.store import Store

ROOT = Path(__file__).resolve().parents[2]
V1 = ROOT / "data/sample/night_train.fountain"
V2 = ROOT / "data/sample/night_train_rev2.fountain"
PROPS, WARDROBE, SET_DRESSING, SECURITY = 104, 106, 114, 116


def ingest(scope, path: Path):
    analysis = analyze(load_script(path))
    rep = scripts.ingest(scope, analysis, path.read_text(encoding="utf-8"), source_name=path.name,
                         script_id="night-train")
    return analysis, rep


@pytest.fixture
def scope():
    store = Store.open(None, migrations=scripts.MIGRATIONS + MIGRATIONS)
    yield store.ensure_project("acme", "night-train")
    store.close()


def uid_of(bd, number: str) -> str:
    return next(s.uid for s in bd.scenes if s.number == number)


def test_save_load_round_trip_and_idempotent(scope):
    analysis, rep = ingest(scope, V1)
    bd = tag_version(scope, "night-train", analysis)
    loaded = load_breakdown(scope, "night-train")
    assert len(loaded.tags) == len(bd.tags) and len(loaded.scenes) == 48
    assert loaded.title == "NIGHT TRAIN"
    assert [(t.key, t.span, t.count, t.source) for t in loaded.tags] == [(t.key, t.span, t.count, t.source)
                                                                         for t in bd.tags]
    s6 = next(s for s in loaded.scenes if s.number == "6")
    assert (s6.int_ext, s6.location, s6.day_night) == ("INT", "RAIL CONTROL CENTRE", "NIGHT") and s6.eighths > 0
    # re-saving the same version replaces, it does not double
    save_breakdown(scope, "night-train", rep.version, bd)
    save_breakdown(scope, "night-train", rep.version, bd)
    assert scope.one("SELECT count(*) FROM {breakdown_tag}")[0] == len(bd.tags)


def test_save_refuses_foreign_scene_ids(scope):
    analysis, rep = ingest(scope, V1)
    bd = tag_script(analysis)  # indexes, not the store's scene uids
    with pytest.raises(Invalid, match="does not have"):
        save_breakdown(scope, "night-train", rep.version, bd)
    with pytest.raises(NotFound, match="no saved breakdown"):
        load_breakdown(scope, "night-train")


def test_edits_follow_scenes_into_the_revision(scope):
    a1, r1 = ingest(scope, V1)
    bd1 = tag_version(scope, "night-train", a1)
    uid12, uid10, uid20 = uid_of(bd1, "12"), uid_of(bd1, "10"), uid_of(bd1, "20")
    assert "RAINCOAT" in bd1.names("12", WARDROBE)
    add_edit(scope, "night-train", Edit("merge", PROPS, "GUN", target_name="REVOLVER"))
    add_edit(scope, "night-train", Edit("remove", WARDROBE, "RAINCOAT", scene_uid=uid12))
    add_edit(scope, "night-train", Edit("add", PROPS, "BROWN ENVELOPE", scene_uid=uid10, quote="the brown envelope"))
    add_edit(scope, "night-train", Edit("add", SECURITY, "COMPANY SECURITY", scene_uid=uid20, count=1))
    add_edit(scope, "night-train", Edit("recategorise", SET_DRESSING, "KETTLE", new_category=PROPS))
    stored = edits(scope, "night-train")
    assert [e.kind for e in stored] == ["merge", "remove", "add", "add", "recategorise"]
    assert edits_frame(scope, "night-train")["created_at"].null_count() == 0

    eff1 = effective_breakdown(scope, "night-train", r1.version)
    assert eff1.unapplied == []
    assert "RAINCOAT" not in eff1.names("12", WARDROBE)
    assert "BROWN ENVELOPE" in eff1.names("10", PROPS)
    assert not any(t.name == "GUN" for t in eff1.tags)

    a2, r2 = ingest(scope, V2)
    assert r2.version == 2
    bd2 = tag_version(scope, "night-train", a2)
    assert uid12 in scene_uids(scope, "night-train", 2) and uid10 not in scene_uids(scope, "night-train", 2)
    assert "RAINCOAT" in bd2.names("12", WARDROBE)  # the automatic tags know nothing of the edits
    eff2 = effective_breakdown(scope, "night-train")
    # scene 12 was rewritten in the Blue draft but keeps its uid, so the correction still holds
    assert "RAINCOAT" not in eff2.names("12", WARDROBE)
    assert "COMPANY SECURITY" in eff2.names("20", SECURITY)
    assert "KETTLE" in eff2.names("4", PROPS)
    # scene 10 was cut: its edit is reported, not lost
    assert [(e.name, r) for e, r in eff2.unapplied] == [("BROWN ENVELOPE", f"scene {uid10} is not in this script version")]
    # the first version is still there, unchanged
    assert len(load_breakdown(scope, "night-train", 1).tags) == len(bd1.tags)


def test_edit_needs_a_known_script(scope):
    with pytest.raises(NotFound, match="ingest it first"):
        add_edit(scope, "no-such-script", Edit("remove", PROPS, "GUN"))
