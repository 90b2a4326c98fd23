"""Call sheets from the sample board: scenes, cast with DOOD codes, sun times, advance schedule, PDF."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pymupdf
import pytest

from studio_kit.preproduction.callsheet import (
    CallSheetError,
    build_call_sheets,
    call_rule_for,
    production_records,
    to_html,
    write_all,
)
from studio_kit.preproduction.options import ScheduleOptions
from studio_kit.preproduction.schedule import Strip
from studio_kit.preproduction.schedule_store import dood_for
from studio_kit.settings import Settings
from studio_kit.studio import Studio

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "night_train.fountain"
RECORDS = ROOT / "data" / "sample" / "night_train_production.toml"
START = date(2027, 3, 1)  # a Monday


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    path = tmp_path_factory.mktemp("callsheet") / "studio.duckdb"
    studio = Studio.open(Settings(), project="night-train", store_path=path)
    studio.ingest_script(SAMPLE)
    stored = studio.plan_schedule(start=START, options=ScheduleOptions(time_limit_s=2))
    cast, dood, bd = studio.cast(), studio.dood(), studio.breakdown()
    prod = production_records(RECORDS)
    sheets = build_call_sheets(stored, cast, dood, bd, prod)
    yield stored, cast, dood, bd, prod, sheets
    studio.close()


def shooting(stored):
    """The board's days that shoot and their dates (a day the board leaves empty gets no sheet)."""
    pairs = [(day, when) for day, when in zip(stored.schedule.days, stored.dates(), strict=True) if day]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def test_one_sheet_per_shoot_day_with_dates(board):
    stored, *_, sheets = board
    days, dates = shooting(stored)
    assert len(sheets) == len(days) > 1
    assert [s.day for s in sheets] == list(range(1, len(days) + 1))
    assert [s.date for s in sheets] == dates
    assert {s.total_days for s in sheets} == {len(days)}
    assert all(s.title == "NIGHT TRAIN" and s.weather == "n/a offline" for s in sheets)


def test_a_day_without_scenes_gets_no_call_sheet(board):
    """A hole in the board (the location closed that day) calls nobody: sheets are numbered by shoot
    day and the advance schedule skips to the next shoot day."""
    stored, cast, dood, bd, prod, sheets = board
    days = shooting(stored)[0]
    holed = replace(stored, schedule=replace(stored.schedule, days=[days[0], [], *days[1:]]))
    names = {int(r["cast_id"]): r["character"] for r in cast.iter_rows(named=True)}
    again = build_call_sheets(holed, cast, dood_for(holed, names), bd, prod)
    assert [s.day for s in again] == list(range(1, len(sheets) + 1))
    assert {s.total_days for s in again} == {len(sheets)}
    assert [[r.number for r in s.scenes] for s in again] == [[r.number for r in s.scenes] for s in sheets]
    dates = holed.dates()
    assert again[0].date == dates[0] and again[1].date == dates[2]
    assert again[0].advance_day == 2 and again[0].advance_date == dates[2]
    assert [r.number for r in again[0].advance] == [s.number for s in days[1]]


def test_scene_rows_are_the_days_strips(board):
    stored, *_, sheets = board
    for sheet, day in zip(sheets, shooting(stored)[0], strict=True):
        assert [(r.number, r.int_ext, r.set, r.day_night, r.cast, r.eighths, r.synopsis) for r in sheet.scenes] == [
            (s.number, s.int_ext, s.set, s.day_night, tuple(s.cast), s.eighths, s.synopsis) for s in day]
        starts = [r.start for r in sheet.scenes]
        assert starts == sorted(starts) and starts[0] == sheet.shooting_call
        assert sheet.estimated_wrap > starts[-1]
        assert sheet.crew_call < sheet.shooting_call
        assert sheet.first_meal <= sheet.crew_call + timedelta(hours=6)
        assert [loc.name for loc in sheet.locations] == list(dict.fromkeys(s.location for s in day))


def test_cast_rows_are_the_days_cast_with_dood_codes(board):
    stored, cast, dood, _, prod, sheets = board
    character = dict(cast.select("cast_id", "character").iter_rows())
    for sheet, day in zip(sheets, shooting(stored)[0], strict=True):
        working = sorted({c for s in day for c in s.cast})
        assert [r.cast_id for r in sheet.cast] == working
        status = dood.status_on(sheet.day)
        assert {str(r.cast_id): r.status for r in sheet.cast} == {k: v for k, v in status.items()
                                                                   if int(k) in working}
        assert {str(i): code for i, _, code in sheet.holds} == {k: v for k, v in status.items()
                                                               if int(k) not in working}
        for r in sheet.cast:
            assert r.character == character[r.cast_id]
            assert r.pickup < r.makeup < r.on_set and r.on_set >= sheet.shooting_call
            first = next(s for s in sheet.scenes if r.cast_id in s.cast)
            assert r.on_set <= first.start and first.start - r.on_set < timedelta(minutes=15)
    assert any(r.actor == prod.actors["MARA"] for s in sheets for r in s.cast if r.character == "MARA")


def test_later_first_scene_means_later_call(board):
    *_, sheets = board
    pairs = 0
    for s in sheets:
        first = {r.cast_id: next(x.start for x in s.scenes if r.cast_id in x.cast) for r in s.cast}
        for a in s.cast:
            for b in s.cast:
                if first[a.cast_id] + timedelta(minutes=15) < first[b.cast_id]:
                    pairs += 1
                    assert a.on_set < b.on_set and a.makeup < b.makeup and a.pickup < b.pickup
    assert pairs, "the sample board should have an actor whose first scene is later in the day"


def test_call_rule_night_split_day():
    def strip(n: str, dn: str) -> Strip:
        return Strip(n, n, "HOLLIN JUNCTION - SIGNAL BOX", int_ext="INT", day_night=dn, eighths=8)

    assert call_rule_for([strip("1", "N"), strip("2", "N")]) == "night"
    assert call_rule_for([strip("1", "D"), strip("2", "N")]) == "split"
    assert call_rule_for([strip("1", "D"), strip("2", "")]) == "day"
    assert call_rule_for([]) == "day"


def test_shooting_call_follows_the_rule(board):
    stored, *_, prod, sheets = board
    wanted = {"night": prod.rules.night_shooting_call, "split": prod.rules.split_shooting_call,
              "day": prod.rules.day_shooting_call}
    for sheet, day in zip(sheets, shooting(stored)[0], strict=True):
        assert sheet.call_rule == call_rule_for(day)
        assert sheet.shooting_call == datetime.combine(sheet.date, wanted[sheet.call_rule])
    assert prod.rules.night_shooting_call == time(18, 0)
    assert any(s.call_rule == "night" for s in sheets)  # the sample is mostly night work


def test_sun_times_plausible_for_march(board):
    *_, sheets = board
    for sheet in sheets:
        loc = sheet.locations[0]
        assert sheet.sunrise.date() == sheet.date == sheet.sunset.date()
        assert sheet.sunrise < sheet.sunset
        hours = (sheet.sunset - sheet.sunrise).total_seconds() / 3600
        # Day length from the declination: cos(H) = -tan(lat) tan(decl), plus ~8 min of refraction.
        doy = sheet.date.timetuple().tm_yday
        decl = math.radians(-23.44 * math.cos(math.radians(360 / 365 * (doy + 10))))
        expected = 2 * math.degrees(math.acos(-math.tan(math.radians(loc.lat)) * math.tan(decl))) / 15
        assert abs(hours - expected) < 0.4, (sheet.date, hours, expected)
        assert 10.5 < hours < 12.5
        assert time(5, 30) < sheet.sunrise.time() < time(8, 0)  # Pacific time, before and after DST


def test_advance_schedule_is_next_days_scenes(board):
    stored, *_, sheets = board
    days, dates = shooting(stored)
    for sheet, nxt in zip(sheets, days[1:], strict=False):
        assert [r.number for r in sheet.advance] == [s.number for s in nxt]
        assert sheet.advance_day == sheet.day + 1 and sheet.advance_date == dates[sheet.day]
    assert sheets[-1].advance == () and sheets[-1].advance_day is None


def test_background_and_special_requirements_from_breakdown(board):
    stored, _, _, bd, _, sheets = board
    for sheet, day in zip(sheets, shooting(stored)[0], strict=True):
        uids = {s.scene_uid: s.number for s in day}
        bg = sorted((uids[t.scene_uid], t.name, t.count) for t in bd.tags
                    if t.category_id == 101 and t.scene_uid in uids)
        assert sorted((b.scene, b.description, b.count) for b in sheet.background) == bg
        special = {t.name for t in bd.tags if t.category_id in (102, 103, 105, 108, 109, 117, 120)
                   and t.scene_uid in uids}
        assert {r.element for r in sheet.special} == special
    assert any(s.background_total > 0 for s in sheets)


def test_missing_location_names_location_and_file(board):
    stored, cast, dood, bd, prod, _ = board
    gone = shooting(stored)[0][0][0].location
    short = replace(prod, locations={k: v for k, v in prod.locations.items() if k != gone})
    with pytest.raises(CallSheetError) as err:
        build_call_sheets(stored, cast, dood, bd, short)
    assert gone in str(err.value) and str(RECORDS) in str(err.value)


def test_bad_records_file_names_the_file_and_key(tmp_path):
    text = RECORDS.read_text(encoding="utf-8")
    bad = tmp_path / "prod.toml"
    bad.write_text(text.replace('lat = 45.7582\n', ''), encoding="utf-8")
    with pytest.raises(CallSheetError, match=r'prod\.toml: locations\."HOLLIN JUNCTION"\.lat is missing'):
        production_records(bad)
    bad.write_text(text.replace('hospital = "gresham"', 'hospital = "nowhere"'), encoding="utf-8")
    with pytest.raises(CallSheetError, match=r"prod\.toml: .*KESSEL BRIDGE.*hospital 'nowhere'"):
        production_records(bad)
    bad.write_text(text.replace('night_shooting_call = "18:00"', 'night_shooting_call = "dusk"'), encoding="utf-8")
    with pytest.raises(CallSheetError, match=r"calls\.night_shooting_call"):
        production_records(bad)
    with pytest.raises(CallSheetError, match="cannot read"):
        production_records(tmp_path / "absent.toml")


def test_html_and_pdf(board, tmp_path):
    *_, sheets = board
    page = to_html(sheets[0])
    assert f"Day 1 of {len(sheets)}" in page and "<script" not in page and "src=" not in page
    assert "General crew call" in page and sheets[0].locations[0].hospital.phone in page
    out = tmp_path / "calls"
    (out).mkdir()
    (out / "day_99.html").write_text("stale")
    paths = write_all(sheets, out)
    assert sorted(p.name for p in out.glob("day_*.html")) == [f"day_{i:02d}.html" for i in range(1, len(sheets) + 1)]
    assert out / "callsheets.pdf" in paths
    doc = pymupdf.open(out / "callsheets.pdf")
    assert doc.page_count == len(sheets)
    for i, p in enumerate(doc):
        text = p.get_text()
        assert f"Day {i + 1} of {len(sheets)}" in text
        assert sheets[i].scenes[0].set in text
