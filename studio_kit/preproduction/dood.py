"""Day Out of Days: for every element, what it does on each calendar date of the shoot.

The DOOD is how production pays cast and books elements: a performer is paid from the first work
day (SW) to the last (WF), holds (H) included, unless released (D) for a gap long enough that the
union allows a drop and pick-up (PW). The rules here follow the SAG-AFTRA theatrical practice:

* Holds are paid shoot days between the first and last work day, only for elements that allow
  holds (extras and props usually do not). Weekends and company days off inside the span are not
  holds (``/``); a public holiday inside the span is paid (``HOL``) when the element allows holds.
* A drop is taken after a work day when the calendar days before the next work day exceed
  ``drop_gap_days`` (10), once per element per production; later long gaps are carried as holds.
* Travel (TR), fitting (FT) and rehearsal (R) days come as calendar dates; they may fall before
  day 1 or after the wrap, which widens the grid. Paid days = work + hold + holiday + travel +
  rehearsal (fittings are paid by the hour, so they are counted apart).

:func:`build_dood` is pure; the ``write_*`` methods are the edges and write atomically.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import polars as pl

from ..common.clock import utc_now
from ..common.errors import Invalid, NotFound
from ..common.files import atomic_write
from .calendar import WEEKDAY_NAMES, CalendarDay, CalendarError, DayKind, ShootCalendar

DROP_GAP_DAYS = 10          # SAG-AFTRA theatrical: more than 10 calendar days between drop and pick-up
MAX_OUTSIDE_DAYS = 180      # a travel/fitting/rehearsal date further than this from the shoot is a typo


class DoodError(Invalid):
    """Input a Day Out of Days cannot be built from: names the element and the day."""


class Code(StrEnum):
    """The codes of a DOOD cell."""

    START_WORK = "SW"
    WORK = "W"
    WORK_FINISH = "WF"
    START_WORK_FINISH = "SWF"
    HOLD = "H"
    DROP = "D"
    PICKUP_WORK = "PW"
    PICKUP_WORK_FINISH = "PWF"
    TRAVEL = "TR"
    FITTING = "FT"
    REHEARSAL = "R"
    HOLIDAY = "HOL"
    OFF = "/"
    BLANK = ""


LEGEND: dict[str, str] = {
    "SW": "start work", "W": "work", "WF": "work finish", "SWF": "start-work-finish (one day)",
    "H": "hold (paid, not working)", "D": "drop (released, unpaid until pick-up)",
    "PW": "pick-up work (first day after a drop)", "PWF": "pick-up work finish",
    "TR": "travel", "FT": "fitting", "R": "rehearsal", "HOL": "paid holiday inside the work span",
    "/": "company day off / weekend inside the span (not paid as a hold)",
}

WORK_CODES = frozenset({Code.START_WORK, Code.WORK, Code.WORK_FINISH, Code.START_WORK_FINISH,
                        Code.PICKUP_WORK, Code.PICKUP_WORK_FINISH})


@dataclass
class DoodElement:
    """One row of the DOOD: a cast member (or any element) and the shoot days it works.

    ``work_days`` are 1-based shoot day numbers; travel, fitting and rehearsal days are dates.
    """

    element_id: str
    name: str
    category: str = "cast"
    work_days: set[int] = field(default_factory=set)
    travel_days: set[date] = field(default_factory=set)
    fitting_days: set[date] = field(default_factory=set)
    rehearsal_days: set[date] = field(default_factory=set)
    allow_holds: bool = True
    allow_drop: bool = True

    @property
    def label(self) -> str:
        return f"element {self.element_id!r} ({self.name})"


@dataclass(frozen=True)
class DoodColumn:
    """One calendar date of the grid."""

    date: date
    kind: DayKind
    shoot_day: int | None

    @property
    def weekday(self) -> str:
        return WEEKDAY_NAMES[self.date.weekday()]

    @property
    def heading(self) -> str:
        """The day-number header cell: the shoot day, or what the company does instead."""
        if self.shoot_day is not None:
            return str(self.shoot_day)
        return {DayKind.HOLIDAY: "Hol", DayKind.WEEKEND: "Off", DayKind.DAY_OFF: "Off",
                DayKind.PREP: "Prep", DayKind.WRAP: "Wrap"}.get(self.kind, "")


@dataclass(frozen=True)
class DoodTotals:
    """Per-element totals, as on the right of a Movie Magic DOOD."""

    work: int
    hold: int
    holiday: int
    travel: int
    fitting: int
    rehearsal: int
    drop: int
    pickup: int
    start_day: int | None
    finish_day: int | None
    start_date: date | None
    finish_date: date | None

    @property
    def paid_days(self) -> int:
        return self.work + self.hold + self.holiday + self.travel + self.rehearsal


@dataclass(frozen=True)
class DoodRow:
    element: DoodElement
    cells: tuple[str, ...]
    totals: DoodTotals


TOTAL_COLUMNS = ("travel", "work", "hold", "holiday", "fitting", "rehearsal", "drop", "pickup",
                 "start", "finish", "paid_days")


@dataclass(frozen=True)
class DayOutOfDays:
    """The grid: one column per calendar date, one row per element, and per-element totals."""

    columns: tuple[DoodColumn, ...]
    rows: tuple[DoodRow, ...]
    shoot_days: int

    # -- lookups ----------------------------------------------------------------------------

    def row(self, element_id: str) -> DoodRow:
        for r in self.rows:
            if r.element.element_id == element_id:
                return r
        raise NotFound(f"no element {element_id!r} in this Day Out of Days")

    def _col(self, when: date | int) -> int:
        for i, c in enumerate(self.columns):
            if (c.shoot_day == when) if isinstance(when, int) else (c.date == when):
                return i
        raise NotFound(f"{when!r} is not a column of this Day Out of Days")

    def code(self, element_id: str, when: date | int) -> str:
        """The code of one element on a date or a shoot day number."""
        return self.row(element_id).cells[self._col(when)]

    def codes(self, element_id: str) -> dict[date, str]:
        return {c.date: v for c, v in zip(self.columns, self.row(element_id).cells, strict=True)}

    def status_on(self, day: int) -> dict[str, str]:
        """Element id -> non-blank code on shoot day ``day``: the call sheet's DOOD status column."""
        i = self._col(day)
        return {r.element.element_id: r.cells[i] for r in self.rows if r.cells[i] not in ("", "/")}

    def working_on(self, day: int) -> list[DoodElement]:
        i = self._col(day)
        return [r.element for r in self.rows if r.cells[i] in WORK_CODES]

    # -- frames -----------------------------------------------------------------------------

    def _totals_values(self, t: DoodTotals) -> list:
        return [t.travel, t.work, t.hold, t.holiday, t.fitting, t.rehearsal, t.drop, t.pickup,
                t.start_date, t.finish_date, t.paid_days]

    def to_frame(self) -> pl.DataFrame:
        """Wide: one row per element, one column per date (ISO), then the totals."""
        data: dict[str, list] = {"element_id": [], "name": [], "category": []}
        dates = [c.date.isoformat() for c in self.columns]
        for d in dates:
            data[d] = []
        for t in TOTAL_COLUMNS:
            data[t] = []
        for r in self.rows:
            data["element_id"].append(r.element.element_id)
            data["name"].append(r.element.name)
            data["category"].append(r.element.category)
            for d, v in zip(dates, r.cells, strict=True):
                data[d].append(v)
            for t, v in zip(TOTAL_COLUMNS, self._totals_values(r.totals), strict=True):
                data[t].append(v)
        schema = {"element_id": pl.String, "name": pl.String, "category": pl.String,
                  **{d: pl.String for d in dates},
                  **{t: (pl.Date if t in ("start", "finish") else pl.Int64) for t in TOTAL_COLUMNS}}
        return pl.DataFrame(data, schema=schema)

    def to_long_frame(self) -> pl.DataFrame:
        """Long: one row per element and date with a non-blank code (for the store and queries)."""
        rows = [(r.element.element_id, c.date, c.shoot_day, str(c.kind), v)
                for r in self.rows for c, v in zip(self.columns, r.cells, strict=True) if v]
        return pl.DataFrame(rows, orient="row", schema={"element_id": pl.String, "date": pl.Date,
                                                        "shoot_day": pl.Int64, "kind": pl.String,
                                                        "code": pl.String})

    # -- files (atomic) -----------------------------------------------------------------------

    def write_csv(self, path: str | Path) -> Path:
        """The grid as CSV: three header rows (day, date, weekday) like the printed report."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["#", "element", "category"] + [c.heading for c in self.columns] + list(TOTAL_COLUMNS))
        w.writerow(["", "", "date"] + [c.date.isoformat() for c in self.columns] + [""] * len(TOTAL_COLUMNS))
        w.writerow(["", "", "weekday"] + [c.weekday for c in self.columns] + [""] * len(TOTAL_COLUMNS))
        for r in self.rows:
            vals = ["" if v is None else (v.isoformat() if isinstance(v, date) else v)
                    for v in self._totals_values(r.totals)]
            w.writerow([r.element.element_id, r.element.name, r.element.category, *r.cells, *vals])
        return atomic_write(path, buf.getvalue())

    def write_xlsx(self, path: str | Path, title: str = "Day Out of Days") -> Path:
        """A printable DOOD grid: header rows, a coloured code per cell, totals, frozen panes, legend."""
        return atomic_write(path, _xlsx_bytes(self, title))

    def write_ical(self, path: str | Path, title: str, scenes: Mapping[int, str] | None = None,
                   uid_namespace: str | None = None, stamp: datetime | None = None) -> Path:
        """One all-day event per shoot day, "Day 3 of 24 - <title>".

        UIDs derive from ``uid_namespace`` (the title by default) and the day number, so a calendar
        client updates the same event when the schedule moves a day. ``scenes`` maps a day to its
        description; the elements working that day are appended. ``stamp`` fixes DTSTAMP.
        """
        return atomic_write(path, _ical_bytes(self, title, scenes or {}, uid_namespace or title, stamp))


# -- building ----------------------------------------------------------------------------------


def _check_dates(el: DoodElement, kind: str, values: Iterable) -> set[date]:
    out = set()
    for v in values:
        if isinstance(v, datetime) or not isinstance(v, date):
            raise DoodError(f"{el.label}: {kind} day {v!r} must be a calendar date")
        out.add(v)
    return out


def _validate(elements: list[DoodElement], calendar: ShootCalendar, shoot_days: int,
              dates: list[date]) -> None:
    if isinstance(shoot_days, bool) or not isinstance(shoot_days, int) or shoot_days < 1:
        raise DoodError(f"number of shoot days must be a whole number >= 1; got {shoot_days!r}")
    seen: dict[str, DoodElement] = {}
    for el in elements:
        if not isinstance(el.element_id, str) or not el.element_id.strip():
            raise DoodError(f"element {el.name!r} has an empty element_id: give every element an id")
        if el.element_id in seen:
            raise DoodError(f"duplicate element id {el.element_id!r}: used by {seen[el.element_id].name!r} "
                            f"and {el.name!r}; ids must be unique")
        seen[el.element_id] = el
        for k in el.work_days:
            if isinstance(k, bool) or not isinstance(k, int):
                raise DoodError(f"{el.label}: work day {k!r} must be a shoot day number (1..{shoot_days})")
            if not 1 <= k <= shoot_days:
                raise DoodError(f"{el.label}: work day {k} is outside the schedule's shoot days 1..{shoot_days}")
        work_dates = {dates[k - 1]: k for k in el.work_days}
        claimed: dict[date, str] = {}
        for kind, values in (("travel", el.travel_days), ("fitting", el.fitting_days),
                             ("rehearsal", el.rehearsal_days)):
            for d in sorted(_check_dates(el, kind, values)):
                if d in work_dates:
                    raise DoodError(f"{el.label}: {kind} day {d} is shoot day {work_dates[d]}, a work day; "
                                    f"move the {kind} or the work")
                if d in claimed:
                    raise DoodError(f"{el.label}: {d} is both a {claimed[d]} day and a {kind} day; "
                                    "a DOOD cell holds one code")
                claimed[d] = kind
                far = (dates[0] - d).days if d < dates[0] else (d - dates[-1]).days
                if far > MAX_OUTSIDE_DAYS:
                    raise DoodError(f"{el.label}: {kind} day {d} is {far} days outside the shoot "
                                    f"({dates[0]} .. {dates[-1]}); check the year")


def _element_row(el: DoodElement, columns: list[DoodColumn], dates: list[date],
                 drop_gap_days: int) -> DoodRow:
    pos = {c.date: i for i, c in enumerate(columns)}
    cells: list[str] = [Code.BLANK] * len(columns)
    work = sorted(el.work_days)
    work_dates = [dates[k - 1] for k in work]
    drop_after: int | None = None  # index into work_dates of the last work day before the drop
    if el.allow_drop and el.allow_holds:  # a drop only saves holds, so it needs an element that takes them
        for i in range(len(work_dates) - 1):
            if (work_dates[i + 1] - work_dates[i]).days - 1 > drop_gap_days:
                drop_after = i
                break
    segments = ([work_dates[:drop_after + 1], work_dates[drop_after + 1:]] if drop_after is not None
                else [work_dates] if work_dates else [])
    # Inside each paid segment: holds, days off and holidays between the work days.
    for seg in segments:
        for i in range(pos[seg[0]], pos[seg[-1]] + 1):
            kind = columns[i].kind
            if kind is DayKind.SHOOT:
                cells[i] = Code.HOLD if el.allow_holds else Code.BLANK
            elif kind is DayKind.HOLIDAY:
                cells[i] = Code.HOLIDAY if el.allow_holds else Code.OFF
            else:
                cells[i] = Code.OFF
    for d in work_dates:
        cells[pos[d]] = Code.WORK
    if work_dates:
        first, last = pos[work_dates[0]], pos[work_dates[-1]]
        cells[first] = Code.START_WORK
        cells[last] = Code.START_WORK_FINISH if first == last else Code.WORK_FINISH
        if drop_after is not None:
            pick = pos[work_dates[drop_after + 1]]
            cells[pick] = Code.PICKUP_WORK_FINISH if pick == last else Code.PICKUP_WORK
    explicit = [(d, Code.TRAVEL) for d in el.travel_days] + [(d, Code.FITTING) for d in el.fitting_days] \
        + [(d, Code.REHEARSAL) for d in el.rehearsal_days]
    for d, code in explicit:
        cells[pos[d]] = code
    if drop_after is not None:
        # The release shows on the first free date after the last work day before the drop.
        start, pick = pos[work_dates[drop_after]] + 1, pos[work_dates[drop_after + 1]]
        for i in range(start, pick):
            if cells[i] == Code.BLANK:
                cells[i] = Code.DROP
                break

    def count(*codes: Code) -> int:
        return sum(1 for c in cells if c in codes)

    totals = DoodTotals(
        work=count(*WORK_CODES), hold=count(Code.HOLD), holiday=count(Code.HOLIDAY),
        travel=count(Code.TRAVEL), fitting=count(Code.FITTING), rehearsal=count(Code.REHEARSAL),
        drop=int(drop_after is not None), pickup=int(drop_after is not None),
        start_day=work[0] if work else None, finish_day=work[-1] if work else None,
        start_date=work_dates[0] if work else None, finish_date=work_dates[-1] if work else None)
    return DoodRow(el, tuple(str(c) for c in cells), totals)


def build_dood(elements: Iterable[DoodElement], calendar: ShootCalendar, shoot_days: int,
               drop_gap_days: int = DROP_GAP_DAYS) -> DayOutOfDays:
    """The Day Out of Days of ``elements`` over shoot days 1..``shoot_days`` of ``calendar``.

    Rows keep the order given (sort cast by id before calling, as a board does).
    """
    elements = list(elements)
    if isinstance(shoot_days, bool) or not isinstance(shoot_days, int) or shoot_days < 1:
        raise DoodError(f"number of shoot days must be a whole number >= 1; got {shoot_days!r}")
    dates = calendar.dates(shoot_days)
    _validate(elements, calendar, shoot_days, dates)
    extra = [d for el in elements for d in (*el.travel_days, *el.fitting_days, *el.rehearsal_days)]
    first, last = min([dates[0], *extra]), max([dates[-1], *extra])
    try:
        days: list[CalendarDay] = calendar.days_between(first, last, shoot_days)
    except CalendarError as exc:  # pragma: no cover - the range is built above
        raise DoodError(str(exc)) from exc
    columns = [DoodColumn(d.date, d.kind, d.shoot_day) for d in days]
    rows = tuple(_element_row(el, columns, dates, drop_gap_days) for el in elements)
    return DayOutOfDays(tuple(columns), rows, shoot_days)


# -- XLSX ----------------------------------------------------------------------------------------

#: Cell colours by code, shared by the XLSX grid and the dashboard.
CODE_COLOURS = {
    "SW": "#A9D08E", "SWF": "#70AD47", "W": "#E2EFDA", "WF": "#F4B084", "H": "#FFE699",
    "D": "#F8CBAD", "PW": "#C9C0E8", "PWF": "#B4A7D6", "TR": "#BDD7EE", "FT": "#FCE4EC",
    "R": "#D9E1F2", "HOL": "#BFBFBF", "/": "#E7E6E6",
}


def _xlsx_bytes(dood: DayOutOfDays, title: str) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("DOOD")
    base = {"font_name": "Arial", "font_size": 9, "border": 1, "border_color": "#A6A6A6",
            "align": "center", "valign": "vcenter"}
    f_title = wb.add_format({"bold": True, "font_size": 14, "font_name": "Arial"})
    f_sub = wb.add_format({"font_size": 9, "font_name": "Arial", "italic": True})
    f_head = wb.add_format({**base, "bold": True, "bg_color": "#D9D9D9"})
    f_head_off = wb.add_format({**base, "bold": True, "bg_color": "#808080", "font_color": "#FFFFFF"})
    f_left = wb.add_format({**base, "align": "left"})
    f_cell = wb.add_format(base)
    f_off = wb.add_format({**base, "bg_color": "#F2F2F2", "font_color": "#808080"})
    f_total = wb.add_format({**base, "bold": True})
    f_date = wb.add_format({**base, "num_format": "mm/dd/yy"})
    f_code = {code: wb.add_format({**base, "bg_color": colour, "bold": code in ("SW", "SWF", "WF", "PW", "PWF")})
              for code, colour in CODE_COLOURS.items()}

    hdr, left = 2, 3  # header rows (day, date, weekday) start under the title; three label columns
    ws.write(0, 0, title, f_title)
    first, last = dood.columns[0].date, dood.columns[-1].date
    ws.write(1, 0, f"Day Out of Days - {dood.shoot_days} shoot days, {first:%a %b %d, %Y} to "
                   f"{last:%a %b %d, %Y}", f_sub)
    for r, labels in enumerate((("", "Shoot day", ""), ("", "Date", ""), ("#", "Element", "Category"))):
        for k, text in enumerate(labels):
            ws.write(hdr + r, k, text, f_head)
    off_kinds = (DayKind.WEEKEND, DayKind.DAY_OFF, DayKind.HOLIDAY)
    for j, c in enumerate(dood.columns):
        col = left + j
        fmt = f_head_off if c.kind in off_kinds else f_head
        ws.write(hdr, col, c.shoot_day if c.shoot_day is not None else c.heading, fmt)
        ws.write(hdr + 1, col, f"{c.date.month}/{c.date.day}", fmt)
        ws.write(hdr + 2, col, c.weekday, fmt)
    tcol = left + len(dood.columns)
    total_heads = ("Travel", "Work", "Hold", "Holiday", "Fitting", "Rehearsal", "Drop", "Pick-up",
                   "Start", "Finish", "TOTAL")
    for k, h in enumerate(total_heads):
        ws.merge_range(hdr, tcol + k, hdr + 2, tcol + k, h, f_head)
    body = hdr + 3
    for i, r in enumerate(dood.rows):
        row = body + i
        ws.write(row, 0, r.element.element_id, f_cell)
        ws.write(row, 1, r.element.name, f_left)
        ws.write(row, 2, r.element.category, f_left)
        for j, (c, v) in enumerate(zip(dood.columns, r.cells, strict=True)):
            fmt = f_code.get(v) or (f_off if c.kind in off_kinds else f_cell)
            ws.write_string(row, left + j, v, fmt)
        t = r.totals
        for k, v in enumerate((t.travel, t.work, t.hold, t.holiday, t.fitting, t.rehearsal, t.drop, t.pickup)):
            ws.write_number(row, tcol + k, v, f_cell)
        for k, d in ((8, t.start_date), (9, t.finish_date)):
            if d is None:
                ws.write_blank(row, tcol + k, None, f_cell)
            else:
                ws.write_datetime(row, tcol + k, datetime.combine(d, datetime.min.time()), f_date)
        ws.write_number(row, tcol + 10, t.paid_days, f_total)
    # Legend under the grid.
    leg = body + len(dood.rows) + 1
    ws.write(leg, 1, "Legend", f_title)
    for k, (code, meaning) in enumerate(LEGEND.items()):
        ws.write(leg + 1 + k, 0, code, f_code.get(code, f_cell))
        ws.write(leg + 1 + k, 1, meaning)
    ws.set_column(0, 0, 5)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 11)
    ws.set_column(left, left + len(dood.columns) - 1, 5.2)
    ws.set_column(tcol, tcol + 7, 7.5)
    ws.set_column(tcol + 8, tcol + 9, 9.5)
    ws.set_column(tcol + 10, tcol + 10, 7.5)
    ws.freeze_panes(body, left)
    ws.set_landscape()
    ws.set_paper(1)  # US Letter
    if len(dood.columns) <= 45:
        ws.fit_to_pages(1, 0)
    else:  # a long shoot prints across pages, the labels and header rows repeated on each
        ws.set_print_scale(60)
    ws.repeat_rows(hdr, hdr + 2)
    ws.repeat_columns(0, 2)
    ws.set_header(f"&L{title}&CDay Out of Days&RPage &P of &N")
    wb.close()
    return buf.getvalue()


# -- iCalendar ------------------------------------------------------------------------------------


def _ical_bytes(dood: DayOutOfDays, title: str, scenes: Mapping[int, str], namespace: str,
                stamp: datetime | None) -> bytes:
    from icalendar import Calendar, Event

    unknown = sorted(k for k in scenes if not (isinstance(k, int) and 1 <= k <= dood.shoot_days))
    if unknown:
        raise DoodError(f"scene descriptions for day(s) {unknown} outside shoot days 1..{dood.shoot_days}")
    stamp = (stamp or utc_now().replace(tzinfo=UTC)).astimezone(UTC)
    cal = Calendar()
    cal.add("prodid", "-//studio_kit//Day Out of Days//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{title} - shoot days")
    for c in dood.columns:
        if c.shoot_day is None:
            continue
        day = c.shoot_day
        ev = Event()
        ev.add("uid", f"{uuid.uuid5(uuid.NAMESPACE_URL, f'studio_kit:shoot:{namespace}:{day}')}@studio_kit")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", c.date)
        ev.add("dtend", c.date + timedelta(days=1))
        ev.add("summary", f"Day {day} of {dood.shoot_days} - {title}")
        ev.add("transp", "TRANSPARENT")
        status = dood.status_on(day)
        names = {r.element.element_id: r.element.name for r in dood.rows}
        working = [f"{eid} {names[eid]} ({code})" for eid, code in status.items() if code in WORK_CODES]
        parts = [scenes[day]] if day in scenes and scenes[day] else []
        if working:
            parts.append("Working: " + ", ".join(working))
        if parts:
            ev.add("description", "\n\n".join(parts))
        cal.add_component(ev)
    return cal.to_ical()
