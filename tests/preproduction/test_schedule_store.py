"""Schedules through the Studio: stable cast numbers, stored versions, comparisons, DOOD, CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from studio_kit.cli import main
from studio_kit.common.errors import Invalid, NotFound
from studio_kit.preproduction.options import ScheduleOptions
from studio_kit.preproduction.schedule import evaluate
from studio_kit.preproduction.schedule_store import read_cast_rates, request_from
from studio_kit.settings import Settings
from studio_kit.store import StoreError
from studio_kit.studio import Studio

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "night_train.fountain"
REVISION = ROOT / "data" / "sample" / "night_train_rev2.fountain"
START = date(2027, 3, 1)  # a Monday


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    path = tmp_path_factory.mktemp("sched") / "studio.duckdb"
    studio = Studio.open(Settings(), project="night-train", store_path=path)
    studio.ingest_script(SAMPLE)
    first = studio.plan_schedule(start=START, options=ScheduleOptions(time_limit_s=3))
    # Mara is away on the first two dates she worked in the first board: the second must move her.
    worked = sorted({d for d, day in enumerate(first.schedule.days) for s in day if 1 in s.cast})
    mara_days = [first.dates()[d] for d in worked[:2]]
    second = studio.plan_schedule(start=START, options=ScheduleOptions(time_limit_s=3),
                                  unavailable={"MARA": mara_days}, fixed={"1": first.dates()[3]}, label="Mara away")
    yield studio, first, second, mara_days
    studio.close()


def test_board_holds_every_scene_once_and_respects_capacity(planned):
    studio, first, _, _ = planned
    board = studio.stripboard(schedule_version=first.version)
    scenes = studio.scenes(studio.script_id())
    assert sorted(board["scene_uid"].to_list()) == sorted(scenes["scene_uid"].to_list())
    per_day = board.group_by("day").agg(pl.col("eighths").sum().alias("e"))
    assert per_day["e"].max() <= 40
    # Shoot dates come from the calendar: weekdays only.
    assert all(d.weekday() < 5 for d in board["shoot_date"].to_list())


def test_stored_cost_is_the_cost_of_the_stored_board(planned):
    _, first, _, _ = planned
    req = request_from(first)
    assert evaluate(req, first.schedule.days).total == pytest.approx(first.schedule.cost.total)
    assert first.schedule.lower_bound <= first.schedule.cost.total
    assert 0 <= first.schedule.gap < 1


def test_unavailable_dates_and_fixed_scene_are_kept(planned):
    studio, _, second, mara_days = planned
    cast = dict(studio.cast().select("character", "cast_id").iter_rows())
    board = studio.stripboard(schedule_version=second.version)
    mara_rows = board.filter(board["cast_ids"].list.contains(cast["MARA"]))
    assert not set(mara_rows["shoot_date"].to_list()) & set(mara_days)
    assert board.filter(board["number"] == "1")["shoot_date"][0] == second.dates()[3]
    assert studio.schedules()["label"].to_list() == ["schedule 1", "Mara away"]


def test_compare_reports_cost_difference_and_moved_scenes(planned):
    studio, first, second, _ = planned
    diff = studio.compare_schedules(first.version, second.version)
    assert diff["terms"]["total"]["delta"] == pytest.approx(second.schedule.cost.total - first.schedule.cost.total)
    assert set(diff["moved_scenes"]) <= set(first.schedule.day_of())


def test_cast_numbers_are_stable_across_drafts(planned, tmp_path):
    studio, _, _, _ = planned
    before = dict(studio.cast().select("character", "cast_id").iter_rows())
    assert before["MARA"] == 1  # the lead: most scenes
    path = tmp_path / "rev.duckdb"
    with Studio.open(Settings(), project="p", store_path=path) as s2:
        s2.ingest_script(SAMPLE)
        s2.plan_schedule(start=START, options=ScheduleOptions(time_limit_s=1))
        ids1 = dict(s2.cast().select("character", "cast_id").iter_rows())
        s2.ingest_script(REVISION, script_id=s2.script_id())
        s2.plan_schedule(start=START, options=ScheduleOptions(time_limit_s=1))
        ids2 = dict(s2.cast().select("character", "cast_id").iter_rows())
    assert all(ids2[c] == i for c, i in ids1.items())


def test_dood_matches_the_board(planned):
    studio, first, _, _ = planned
    dood = studio.dood(schedule_version=first.version, categories=(108,))
    cast = dict(studio.cast().select("cast_id", "character").iter_rows())
    for row in dood.rows:
        if row.element.category != "cast":
            continue
        cid = int(row.element.element_id)
        worked = {d + 1 for d, day in enumerate(first.schedule.days) for s in day if cid in s.cast}
        assert row.element.name == cast[cid]
        assert row.totals.work == len(worked)
        assert row.totals.start_day == min(worked) and row.totals.finish_day == max(worked)
    assert any(r.element.name == "BRUNO" for r in dood.rows)


def test_bad_requests_say_what_to_fix(planned):
    studio, _, _, _ = planned
    with pytest.raises(ValueError, match="not in the cast"):
        studio.plan_schedule(start=START, unavailable={"NOBODY": [START]}, options=ScheduleOptions(time_limit_s=1))
    with pytest.raises(ValueError, match="scene '999'"):
        studio.plan_schedule(start=START, fixed={"999": START}, options=ScheduleOptions(time_limit_s=1))
    with pytest.raises(ValueError, match="daily capacity"):
        studio.plan_schedule(start=START, options=ScheduleOptions(capacity_eighths=4, time_limit_s=1))
    with pytest.raises(NotFound, match="no schedule version 99"):
        studio.schedule(schedule_version=99)


def test_rate_file_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "rates.csv"
    bad.write_text("tier,first_cast_id,last_cast_id,daily_rate\nlead,1,2,5000\n")
    with pytest.raises(Invalid, match=r"rates.csv: line 1: missing column\(s\) effective_date"):
        read_cast_rates(bad)
    bad.write_text("tier,first_cast_id,last_cast_id,daily_rate,effective_date\nlead,1,2,-5,2026-01-01\n")
    with pytest.raises(Invalid, match="line 2"):
        read_cast_rates(bad)


def test_cli_schedule_and_dood(tmp_path, capsys):
    store = tmp_path / "cli.duckdb"
    opts = ["-p", "film", "--store", str(store)]
    assert main(["ingest", str(SAMPLE), *opts]) == 0
    assert main(["schedule", *opts, "--start", "2027-03-01", "--time-limit", "2", "--holiday", "2027-03-03"]) == 0
    out = capsys.readouterr().out
    assert "schedule version 1" in out and "Day  1 Mon 01 Mar" in out and "03 Mar" not in out
    files = [tmp_path / "d.xlsx", tmp_path / "d.ics", tmp_path / "d.csv"]
    assert main(["dood", *opts, *[a for f in files for a in ("-o", str(f))]]) == 0
    assert files[0].read_bytes()[:2] == b"PK"
    assert files[1].read_text().count("BEGIN:VEVENT") > 0
    assert "MARA" in files[2].read_text()
    assert main(["schedule", *opts, "--start", "2027-03-01", "--unavailable", "MARA"]) == 2
    assert "NAME=YYYY-MM-DD" in capsys.readouterr().err


def test_category_colours_are_project_settings(tmp_path):
    from studio_kit.preproduction.categories import DEFAULT_COLOURS, CategoryError
    from studio_kit.preproduction.sheets import sheets_html

    path = tmp_path / "colours.duckdb"
    with Studio.open(Settings(), project="a", store_path=path) as studio:
        studio.ingest_script(SAMPLE)
        assert studio.category_colours().colour(104) == DEFAULT_COLOURS[104]
        studio.set_category_colours({104: "#123456"})
        with pytest.raises(CategoryError):
            studio.set_category_colours({104: "purple"})  # refused, nothing stored
        html = sheets_html(studio.breakdown(), studio.category_colours())
        assert "#123456" in html
        other = studio.for_project("a")
        assert other.category_colours().colour(104) == "#123456"
        studio.store.ensure_project("local", "b")
        assert studio.for_project("b").category_colours().colour(104) == DEFAULT_COLOURS[104]
    with Studio.open(Settings(), project="a", store_path=path, read_only=True) as reader:
        assert reader.category_colours().colour(104) == "#123456"
        with pytest.raises(StoreError):
            reader.set_category_colours({104: "#000000"})


def test_location_unavailable_dates_are_kept(planned):
    studio, first, _, _ = planned
    board = studio.stripboard(schedule_version=first.version)
    # The train is away on the dates it was used in the first board.
    used = sorted(set(board.filter(pl.col("location") == "NIGHT TRAIN")["shoot_date"].to_list()))
    assert used
    third = studio.plan_schedule(start=START, options=ScheduleOptions(time_limit_s=3), location_unavailable={"Night Train": used[:2]})
    moved = studio.stripboard(schedule_version=third.version).filter(pl.col("location") == "NIGHT TRAIN")
    assert moved.height == board.filter(pl.col("location") == "NIGHT TRAIN").height
    assert not set(moved["shoot_date"].to_list()) & set(used[:2])
    with pytest.raises(ValueError, match="not a location"):
        studio.plan_schedule(start=START, location_unavailable={"MOON": [START]},
                             options=ScheduleOptions(time_limit_s=1))
