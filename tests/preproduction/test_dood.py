"""Day Out of Days: hand-computed rows and totals, the SAG-AFTRA drop rule, and the three exports re-read."""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree as ET

import polars as pl
import pytest

from studio_kit.preproduction import dood as dood_mod
from studio_kit.preproduction.calendar import DayKind, ShootCalendar
from studio_kit.preproduction.dood import DayOutOfDays, DoodElement, DoodError, build_dood

# June 2024: Monday 3rd is day 1; Wednesday 19th (Juneteenth) is a holiday. Shoot days:
#  1 Jun 3   2 Jun 4   3 Jun 5   4 Jun 6   5 Jun 7  |  6 Jun 10 .. 10 Jun 14  | 11 Jun 17  12 Jun 18
#  (Jun 19 holiday)  13 Jun 20  14 Jun 21  |  15 Jun 24 .. 19 Jun 28  |  20 Jul 1  21 Jul 2  22 Jul 3
CAL = ShootCalendar(date(2024, 6, 3), holidays={date(2024, 6, 19)})
N = 22


def row(d: DayOutOfDays, eid: str, first: date, last: date) -> list[str]:
    codes = d.codes(eid)
    return [codes[c.date] for c in d.columns if first <= c.date <= last]


def one(el: DoodElement, n: int = N) -> DayOutOfDays:
    return build_dood([el], CAL, n)


def test_columns_cover_every_calendar_date_of_the_shoot():
    d = build_dood([DoodElement("1", "ANNA", work_days={1})], CAL, N)
    assert d.columns[0].date == date(2024, 6, 3) and d.columns[-1].date == date(2024, 7, 3)
    assert len(d.columns) == 31
    assert [c.shoot_day for c in d.columns if c.shoot_day] == list(range(1, N + 1))
    by_date = {c.date: c for c in d.columns}
    assert by_date[date(2024, 6, 8)].kind is DayKind.WEEKEND and by_date[date(2024, 6, 8)].heading == "Off"
    assert by_date[date(2024, 6, 19)].kind is DayKind.HOLIDAY and by_date[date(2024, 6, 19)].heading == "Hol"
    assert by_date[date(2024, 6, 20)].shoot_day == 13 and by_date[date(2024, 6, 20)].weekday == "Thu"


def test_start_work_hold_finish_and_weekend_is_not_a_hold():
    d = one(DoodElement("1", "ANNA", work_days={1, 2, 4, 8}))
    #                      Mon3  Tue4  Wed5 Thu6  Fri7 Sat8 Sun9 Mon10 Tue11 Wed12
    assert row(d, "1", date(2024, 6, 3), date(2024, 6, 12)) == \
        ["SW", "W", "H", "W", "H", "/", "/", "H", "H", "WF"]
    assert row(d, "1", date(2024, 6, 13), date(2024, 7, 3)) == [""] * 21
    t = d.row("1").totals
    assert (t.work, t.hold, t.holiday, t.travel, t.drop, t.pickup) == (4, 4, 0, 0, 0, 0)
    assert (t.start_day, t.finish_day, t.start_date, t.finish_date) == (1, 8, date(2024, 6, 3), date(2024, 6, 12))
    assert t.paid_days == 8


def test_one_day_element_is_swf():
    d = one(DoodElement("7", "CONDUCTOR", work_days={3}))
    assert d.code("7", 3) == "SWF"
    assert [c for c in d.row("7").cells if c] == ["SWF"]
    assert d.row("7").totals.paid_days == 1


def test_holiday_inside_the_span_is_paid_not_a_hold():
    d = one(DoodElement("2", "BEN", work_days={12, 13}))
    assert row(d, "2", date(2024, 6, 18), date(2024, 6, 20)) == ["SW", "HOL", "WF"]
    t = d.row("2").totals
    assert (t.work, t.hold, t.holiday, t.paid_days) == (2, 0, 1, 3)


def test_twelve_day_gap_is_a_drop_and_pick_up():
    # Day 2 (Tue Jun 4) to day 11 (Mon Jun 17): 12 calendar days between -> more than 10 -> drop.
    d = one(DoodElement("3", "CARA", work_days={1, 2, 11, 12}))
    assert row(d, "3", date(2024, 6, 3), date(2024, 6, 18)) == \
        ["SW", "W", "D"] + [""] * 11 + ["PW", "WF"]
    t = d.row("3").totals
    assert (t.work, t.hold, t.drop, t.pickup, t.paid_days) == (4, 0, 1, 1, 4)


def test_ten_days_between_is_not_enough_to_drop():
    # Fri Jun 7 (day 5) to Tue Jun 18 (day 12): 10 days between -> carried on hold.
    d = one(DoodElement("4", "DAN", work_days={5, 12}))
    assert row(d, "4", date(2024, 6, 7), date(2024, 6, 18)) == \
        ["SW", "/", "/", "H", "H", "H", "H", "H", "/", "/", "H", "WF"]
    assert d.row("4").totals.hold == 6 and d.row("4").totals.drop == 0
    # Eleven days between (Thu Jun 6, day 4 -> day 12) is a drop; a pick-up on the last day is PWF.
    d = one(DoodElement("4", "DAN", work_days={4, 12}))
    assert row(d, "4", date(2024, 6, 6), date(2024, 6, 18)) == ["SW", "D"] + [""] * 10 + ["PWF"]


def test_only_one_drop_per_production_later_gaps_are_holds():
    d = one(DoodElement("5", "EVE", work_days={1, 11, 20}))
    assert row(d, "5", date(2024, 6, 3), date(2024, 7, 1)) == (
        ["SW", "D"] + [""] * 12 + ["PW",                     # Jun 3 .. Jun 17
                                   "H", "HOL", "H", "H", "/", "/",   # Jun 18 .. Jun 23
                                   "H", "H", "H", "H", "H", "/", "/",  # Jun 24 .. Jun 30
                                   "WF"])                    # Jul 1
    t = d.row("5").totals
    assert (t.work, t.hold, t.holiday, t.drop, t.pickup, t.paid_days) == (3, 8, 1, 1, 1, 12)


def test_no_holds_element_is_blank_between_work_days_and_never_dropped():
    d = one(DoodElement("B1", "COMMUTERS", category="background", work_days={1, 6, 20}, allow_holds=False))
    assert row(d, "B1", date(2024, 6, 3), date(2024, 6, 10)) == ["SW", "", "", "", "", "/", "/", "W"]
    assert d.code("B1", date(2024, 6, 19)) == "/"  # the holiday is unpaid without holds
    assert d.code("B1", 20) == "WF"
    t = d.row("B1").totals
    assert (t.work, t.hold, t.holiday, t.drop, t.paid_days) == (3, 0, 0, 0, 3)


def test_drop_not_allowed_carries_holds_through_a_long_gap():
    d = one(DoodElement("3", "CARA", work_days={1, 2, 11, 12}, allow_drop=False))
    assert row(d, "3", date(2024, 6, 3), date(2024, 6, 18)) == \
        ["SW", "W", "H", "H", "H", "/", "/", "H", "H", "H", "H", "H", "/", "/", "W", "WF"]
    assert d.row("3").totals.hold == 8 and d.row("3").totals.drop == 0


def test_drop_gap_is_a_parameter():
    el = DoodElement("4", "DAN", work_days={5, 12})  # 10 days between
    assert build_dood([el], CAL, N, drop_gap_days=9).row("4").totals.drop == 1
    assert build_dood([el], CAL, N, drop_gap_days=10).row("4").totals.drop == 0


def test_travel_fitting_and_rehearsal_widen_the_grid_and_are_counted():
    el = DoodElement("1", "ANNA", work_days={1, 3}, travel_days={date(2024, 6, 2), date(2024, 6, 6)},
                     fitting_days={date(2024, 5, 30)}, rehearsal_days={date(2024, 5, 31)})
    d = one(el)
    assert d.columns[0].date == date(2024, 5, 30) and d.columns[0].kind is DayKind.PREP
    assert d.columns[0].heading == "Prep" and d.columns[0].shoot_day is None
    assert row(d, "1", date(2024, 5, 30), date(2024, 6, 6)) == ["FT", "R", "", "TR", "SW", "H", "WF", "TR"]
    t = d.row("1").totals
    assert (t.work, t.hold, t.travel, t.fitting, t.rehearsal) == (2, 1, 2, 1, 1)
    assert t.paid_days == 2 + 1 + 2 + 1  # fittings are counted apart from paid days


def test_travel_home_during_a_drop_moves_the_drop_mark():
    el = DoodElement("3", "CARA", work_days={1, 11}, travel_days={date(2024, 6, 4), date(2024, 6, 16)})
    assert row(one(el), "3", date(2024, 6, 3), date(2024, 6, 17)) == \
        ["SW", "TR", "D"] + [""] * 10 + ["TR", "PWF"]


def test_status_and_working_on_a_day_feed_the_call_sheet():
    d = build_dood([DoodElement("1", "ANNA", work_days={1, 2, 4}),
                    DoodElement("2", "BEN", work_days={3}),
                    DoodElement("3", "CARA", work_days={1, 2, 11, 12})], CAL, N)
    assert d.status_on(3) == {"1": "H", "2": "SWF", "3": "D"}
    assert [e.element_id for e in d.working_on(2)] == ["1", "3"]


def test_frames():
    d = build_dood([DoodElement("1", "ANNA", work_days={1, 2, 4, 8}),
                    DoodElement("2", "BEN", category="background", work_days={3}, allow_holds=False)], CAL, N)
    wide = d.to_frame()
    assert wide.shape == (2, 3 + 31 + 11)
    assert wide.row(0, named=True)["2024-06-05"] == "H"
    assert wide["paid_days"].to_list() == [8, 1]
    assert wide["start"].dtype == pl.Date and wide["finish"].to_list() == [date(2024, 6, 12), date(2024, 6, 5)]
    long = d.to_long_frame()
    assert long.filter(pl.col("element_id") == "1")["code"].to_list() == \
        ["SW", "W", "H", "W", "H", "/", "/", "H", "H", "WF"]
    assert long.filter(pl.col("code") == "SWF")["shoot_day"].to_list() == [3]


# -- bad input ------------------------------------------------------------------------------------


def test_work_day_outside_the_schedule_names_the_element_and_day():
    with pytest.raises(DoodError, match=r"'9' \(GUARD\): work day 23 is outside .* 1\.\.22"):
        build_dood([DoodElement("9", "GUARD", work_days={2, 23})], CAL, N)
    with pytest.raises(DoodError, match=r"work day 0"):
        build_dood([DoodElement("9", "GUARD", work_days={0})], CAL, N)
    with pytest.raises(DoodError, match=r"work day '3'"):
        build_dood([DoodElement("9", "GUARD", work_days={"3"})], CAL, N)


def test_travel_on_a_work_day_is_refused():
    with pytest.raises(DoodError, match=r"'1' \(ANNA\): travel day 2024-06-04 is shoot day 2"):
        build_dood([DoodElement("1", "ANNA", work_days={1, 2}, travel_days={date(2024, 6, 4)})], CAL, N)
    with pytest.raises(DoodError, match=r"2024-06-01 is both a travel day and a fitting day"):
        build_dood([DoodElement("1", "ANNA", work_days={1}, travel_days={date(2024, 6, 1)},
                                fitting_days={date(2024, 6, 1)})], CAL, N)
    with pytest.raises(DoodError, match=r"fitting day 2023-05-30 is \d+ days outside the shoot"):
        build_dood([DoodElement("1", "ANNA", work_days={1}, fitting_days={date(2023, 5, 30)})], CAL, N)


def test_duplicate_element_ids_are_refused():
    with pytest.raises(DoodError, match=r"duplicate element id '1': used by 'ANNA' and 'ANA'"):
        build_dood([DoodElement("1", "ANNA", work_days={1}), DoodElement("1", "ANA", work_days={2})], CAL, N)
    with pytest.raises(DoodError, match="shoot days"):
        build_dood([DoodElement("1", "ANNA", work_days={1})], CAL, 0)


# -- exports --------------------------------------------------------------------------------------


def sample() -> DayOutOfDays:
    return build_dood([
        DoodElement("1", "ANNA", work_days={1, 2, 4, 8}, travel_days={date(2024, 6, 2)}),
        DoodElement("2", "BEN", work_days={3}),
        DoodElement("3", "CARA", work_days={1, 2, 11, 12}),
        DoodElement("B1", "COMMUTERS", category="background", work_days={1, 6}, allow_holds=False),
    ], CAL, N)


def _xlsx_cells(path) -> tuple[dict[str, str], ET.Element, str]:
    """Cell reference -> shown text, read straight from the sheet XML (no spreadsheet library needed)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(path) as z:
        strings = [("".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")))
                   for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns)]
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
        styles = z.read("xl/styles.xml").decode()
    cells = {}
    for c in sheet.iter(f"{{{ns['m']}}}c"):
        v = c.find("m:v", ns)
        if v is None:
            continue
        cells[c.get("r")] = strings[int(v.text)] if c.get("t") == "s" else v.text
    return cells, sheet, styles


def _ref(row0: int, col0: int) -> str:
    name, col = "", col0 + 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return f"{name}{row0 + 1}"


def test_xlsx_is_a_real_dood_grid(tmp_path):
    d = sample()
    path = d.write_xlsx(tmp_path / "dood.xlsx", title="Night Train")
    cells, sheet, styles = _xlsx_cells(path)
    assert cells["A1"] == "Night Train"
    # Header rows 3-5: day number, date, weekday; the grid starts at column D with Sun Jun 2 (travel).
    assert d.columns[0].date == date(2024, 6, 2)
    assert (cells["D3"], cells["D4"], cells["D5"]) == ("Off", "6/2", "Sun")
    assert (cells["E3"], cells["E4"], cells["E5"]) == ("1", "6/3", "Mon")
    assert cells["A6"] == "1" and cells["B6"] == "ANNA" and cells["C8"] == "cast"
    for r, (element_row) in enumerate(d.rows):
        for j, code in enumerate(element_row.cells):
            assert cells.get(_ref(5 + r, 3 + j), "") == code
    assert cells["D6"] == "TR" and cells["E6"] == "SW" and cells["G8"] == "D"
    # Totals to the right: Travel, Work, Hold, Holiday, ..., TOTAL.
    tcol = 3 + len(d.columns)
    assert [cells[_ref(2, tcol + k)] for k in (0, 1, 2, 3, 10)] == ["Travel", "Work", "Hold", "Holiday", "TOTAL"]
    assert [cells[_ref(5, tcol + k)] for k in (0, 1, 2, 10)] == ["1", "4", "4", "9"]
    # Frozen panes below the headers and right of the labels.
    pane = sheet.find(".//{*}pane")
    assert pane.get("state") == "frozen" and pane.get("xSplit") == "3" and pane.get("ySplit") == "5"
    # Codes are coloured: SW and H cells carry different fills, both present in the stylesheet.
    style = {c.get("r"): c.get("s") for c in sheet.findall(".//{*}c")}
    assert style["E6"] != style["G6"] and style["E6"] != style["F6"]
    assert "FFA9D08E" in styles and "FFFFE699" in styles
    assert any(v == "start work" for v in cells.values())  # legend


def test_xlsx_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "dood.xlsx"
    sample().write_xlsx(path)
    before = path.read_bytes()

    def broken(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(dood_mod, "_xlsx_bytes", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        sample().write_xlsx(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dood.xlsx"]


def test_csv_has_header_rows_and_one_line_per_element(tmp_path):
    path = sample().write_csv(tmp_path / "out" / "dood.csv")
    lines = path.read_text().splitlines()
    assert len(lines) == 3 + 4
    assert lines[0].startswith("#,element,category,Off,1,2,")
    assert lines[1].split(",")[3:5] == ["2024-06-02", "2024-06-03"]
    assert lines[2].split(",")[3:5] == ["Sun", "Mon"]
    assert lines[3].startswith("1,ANNA,cast,TR,SW,W,H,W,H,/,/,H,H,WF,")
    assert lines[3].endswith(",1,4,4,0,0,0,0,0,2024-06-03,2024-06-12,9")
    assert re.match(r"3,CARA,cast,,SW,W,D,", lines[5])


def test_ical_one_event_per_shoot_day_with_stable_uids(tmp_path):
    from icalendar import Calendar

    d = sample()
    a = d.write_ical(tmp_path / "a.ics", "Night Train", scenes={3: "Sc. 12, 14 - INT. DINING CAR"},
                     stamp=datetime(2024, 5, 1, tzinfo=UTC))
    b = d.write_ical(tmp_path / "b.ics", "Night Train", stamp=datetime(2024, 5, 2, tzinfo=UTC))
    events = [c for c in Calendar.from_ical(a.read_bytes()).walk("VEVENT")]
    assert len(events) == N
    assert [e.decoded("dtstart") for e in events] == CAL.dates(N)
    assert all(e.decoded("dtend") - e.decoded("dtstart") == timedelta(days=1) for e in events)
    assert str(events[2]["summary"]) == "Day 3 of 22 - Night Train"
    desc = str(events[2]["description"])
    assert desc.startswith("Sc. 12, 14 - INT. DINING CAR") and "2 BEN (SWF)" in desc
    uids = [str(e["uid"]) for e in events]
    assert len(set(uids)) == N
    assert uids == [str(e["uid"]) for e in Calendar.from_ical(b.read_bytes()).walk("VEVENT")]
    again = d.write_ical(tmp_path / "c.ics", "Night Train", scenes={3: "Sc. 12, 14 - INT. DINING CAR"},
                         stamp=datetime(2024, 5, 1, tzinfo=UTC))
    assert again.read_bytes() == a.read_bytes()
    with pytest.raises(DoodError, match=r"day\(s\) \[30\]"):
        d.write_ical(tmp_path / "d.ics", "Night Train", scenes={30: "x"})
    assert not (tmp_path / "d.ics").exists()
