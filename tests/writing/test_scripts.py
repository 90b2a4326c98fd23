"""Scripts in the store: versions, stable scene identities, all-or-nothing ingest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio_kit.screenplay.errors import ScreenplayError
from studio_kit.settings import Settings
from studio_kit.store import Store
from studio_kit.studio import ALL_MIGRATIONS, Studio

V1 = """Title: Test Reel

INT. KITCHEN - NIGHT #1#

MARA makes tea. JONAS watches.

MARA
Sit down.

EXT. STATION - DAY #2#

A train pulls in. TWENTY COMMUTERS spill out.

JONAS
She's late.

INT. TRAIN - NIGHT #3#

Dark carriage. Mara sleeps.

CONDUCTOR
Tickets.
"""

V2 = """Title: Test Reel

EXT. STATION - DAY #2#

A train pulls in. TWENTY COMMUTERS spill out.

JONAS
She's late.

INT. KITCHEN - NIGHT #1#

MARA makes tea. JONAS watches.

MARA
Sit down, please.

INT. TRAIN - NIGHT #3#

Dark carriage. Mara sleeps.

CONDUCTOR
Tickets.

EXT. PLATFORM - DAWN #4#

Empty platform. Fog.
"""


@pytest.fixture
def studio(tmp_path):
    s = Studio.open(Settings(), project="reel", store_path=tmp_path / "s.duckdb")
    yield s
    s.close()


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_ingest_stores_version_scenes_characters_elements(studio, tmp_path):
    r = studio.ingest_script(write(tmp_path, "v1.fountain", V1))
    assert (r.script_id, r.version, r.created, r.scenes) == ("test-reel", 1, True, 3)
    scenes = studio.scenes("test-reel")
    assert scenes["number"].to_list() == ["1", "2", "3"]
    assert scenes["day_night"].to_list() == ["NIGHT", "DAY", "NIGHT"]
    assert scenes["characters"][0].to_list() == ["MARA", "JONAS"]  # speaking first, then present
    assert all(e >= 1 for e in scenes["eighths"].to_list())
    n = studio.scope.one("SELECT count(*) FROM {script_element} WHERE script_id = 'test-reel'")[0]
    assert n > 10


def test_same_text_twice_records_nothing(studio, tmp_path):
    p = write(tmp_path, "v1.fountain", V1)
    studio.ingest_script(p)
    again = studio.ingest_script(p)
    assert (again.created, again.version) == (False, 1)
    assert studio.script_versions().height == 1


def test_revision_keeps_scene_ids_and_reports_changes(studio, tmp_path):
    studio.ingest_script(write(tmp_path, "v1.fountain", V1))
    before = dict(zip(studio.scenes("test-reel", 1)["number"], studio.scenes("test-reel", 1)["scene_uid"], strict=True))
    r = studio.ingest_script(write(tmp_path, "v2.fountain", V2))
    assert r.version == 2
    after = studio.scenes("test-reel", 2)
    uid = dict(zip(after["number"], after["scene_uid"], strict=True))
    assert uid["1"] == before["1"] and uid["2"] == before["2"] and uid["3"] == before["3"]
    assert uid["4"] not in before.values()
    kinds = dict(zip(after["number"], after["change"], strict=True))
    assert kinds["4"] == "added" and kinds["3"] == "unchanged"
    assert "changed" in kinds["1"]  # dialogue edited (and moved relative to scene 2)
    summary = studio.changes("test-reel")["summary"]
    assert summary["added"] == 1 and summary["removed"] == 0
    assert studio.script_versions("test-reel")["version"].to_list() == [1, 2]


def test_failed_ingest_leaves_nothing(studio, tmp_path):
    bad = tmp_path / "bad.fountain"
    bad.write_bytes(b"INT. A - DAY\n\n/* never closed\n")
    with pytest.raises(ScreenplayError, match="bad.fountain:3"):
        studio.ingest_script(bad)
    assert studio.script_versions().height == 0


def test_crash_inside_ingest_rolls_back(studio, tmp_path, monkeypatch):
    from studio_kit import scripts

    real = scripts._elements_frame

    def boom(*a, **k):
        real(*a, **k)
        raise RuntimeError("disk full")

    monkeypatch.setattr(scripts, "_elements_frame", boom)
    with pytest.raises(RuntimeError):
        studio.ingest_script(write(tmp_path, "v1.fountain", V1))
    for table in ("script", "script_version", "scene", "scene_character", "script_element"):
        assert studio.scope.one(f"SELECT count(*) FROM {{{table}}}") == (0,)


def test_projects_do_not_see_each_other(tmp_path):
    path = tmp_path / "s.duckdb"
    with Studio.open(Settings(), project="alpha", tenant="acme", store_path=path) as a:
        a.ingest_script(write(tmp_path, "v1.fountain", V1))
    with Studio.open(Settings(), project="alpha", tenant="rival", store_path=path) as other:
        assert other.script_versions().height == 0
        assert other.scripts().height == 0
    with Store.open(path, read_only=True, migrations=ALL_MIGRATIONS) as store:
        assert store.scope("acme", "alpha").one("SELECT count(*) FROM {scene}") == (3,)


def test_stats_are_stored_as_json(studio, tmp_path):
    studio.ingest_script(write(tmp_path, "v1.fountain", V1))
    stats = json.loads(studio.scope.one("SELECT stats FROM {script_version}")[0])
    assert stats["scenes"] == 3 and {c["name"] for c in stats["characters"]} >= {"MARA", "JONAS", "CONDUCTOR"}
