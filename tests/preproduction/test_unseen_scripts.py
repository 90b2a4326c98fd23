"""Pre-production on scripts this project did not write (the Fountain reference implementation's
test files, MIT, see tests/fixtures/fountain/SOURCES.md): a breakdown with no tags is still a
stored breakdown, and a script without scene headings is read, not mistaken for a missing one."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio_kit import scripts
from studio_kit.common.errors import Invalid
from studio_kit.preproduction import breakdown_store
from studio_kit.preproduction.options import ScheduleOptions
from studio_kit.screenplay.analysis import analyze, load_script
from studio_kit.settings import Settings
from studio_kit.store import Store
from studio_kit.studio import Studio

FOUNTAIN_TESTS = Path(__file__).resolve().parents[1] / "fixtures" / "fountain" / "nyousefi-FountainTests"


def _studio(tmp_path: Path, name: str) -> Studio:
    studio = Studio.open(Settings(), store_path=tmp_path / "s.duckdb", project="unseen")
    studio.ingest_script(FOUNTAIN_TESTS / name)
    return studio


def test_a_breakdown_without_tags_is_stored_and_read_as_stored(tmp_path):
    with _studio(tmp_path, "Boneyard.fountain") as studio:  # one scene, nothing the lexicon tags
        tagged = studio.tag_breakdown()
        assert tagged.stored and tagged.tags == [] and len(tagged.scenes) == 1
        read = studio.breakdown()
        assert read.stored and read.tags == [] and not any("no stored breakdown" in n for n in read.notes)
        schedule = studio.plan_schedule(options=ScheduleOptions(time_limit_s=2))
        assert schedule.shoot_days == 1


@pytest.mark.parametrize("name", ["Synopses.fountain", "SectionHeaders.fountain"])
def test_a_script_without_scene_headings(tmp_path, name):
    with _studio(tmp_path, name) as studio:
        assert studio.scenes().is_empty()
        bd = studio.tag_breakdown()
        assert bd.stored and bd.scenes == [] and bd.tags == []
        assert studio.make_shot_lists().shot_lists == []
        with pytest.raises(Invalid, match="has no scenes to schedule .*scene headings"):
            studio.plan_schedule(options=ScheduleOptions(time_limit_s=1))
        assert studio.schedules().is_empty()


def test_stores_tagged_before_the_version_table_are_read_as_tagged(tmp_path):
    """Migration v2 backfills which versions were tagged from the tags already stored."""
    path = tmp_path / "old.duckdb"
    first = [m for m in breakdown_store.MIGRATIONS if m.version == 1]
    sample = Path(__file__).resolve().parents[2] / "data" / "sample" / "night_train.fountain"
    with Store.open(path, migrations=(*scripts.MIGRATIONS, *first)) as store:
        scope = store.ensure_project("local", "film")
        analysis = analyze(load_script(sample))
        scripts.ingest(scope, analysis, sample.read_text(encoding="utf-8"), source_name=sample.name, script_id="nt")
        from studio_kit.preproduction.breakdown import tag_script

        bd = tag_script(analysis, scene_uids=breakdown_store.scene_uids(scope, "nt"))
        rows = [{"script_id": "nt", "version": 1, "ordinal": k, "scene_uid": t.scene_uid,
                 "scene_number": t.scene_number, "category_id": t.category_id, "name": t.name,
                 "confidence": 1.0, "source": t.source, "saved_at": scripts.utc_now()} for k, t in enumerate(bd.tags)]
        scope.insert("breakdown_tag", rows)
    with Studio.open(Settings(), store_path=path, project="film") as studio:
        assert breakdown_store.is_tagged(studio.scope, "nt", 1)
        assert studio.breakdown().stored and len(studio.breakdown().tags) == len(rows)
