"""Call sheets: one per shoot day, built from the stored board, the cast list, the Day Out of Days,
the breakdown and the production's own records (contacts, crew departments, locations).

The board says *what* shoots and in which order; the production records say *who* to call and
*where*; the rules in :class:`CallRules` turn the day's strips into call times. Building is a pure
function (:func:`build_call_sheets`); reading the records and writing HTML/PDF are the edges.
"""

from __future__ import annotations

import html
import io
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ..common.errors import Invalid
from ..common.files import atomic_write
from ..screenplay.model import format_eighths
from .calendar import sun_times
from .categories import category_name
from .schedule import Strip

#: Breakdown categories printed under special requirements: stunts, vehicles, SFX, animals,
#: animal wranglers, special equipment, mechanical effects.
SPECIAL_CATEGORIES: tuple[int, ...] = (102, 103, 105, 108, 109, 117, 120)
BACKGROUND = 101
WEATHER_OFFLINE = "n/a offline"


class CallSheetError(Invalid):
    """Production records that cannot make a call sheet: names the file, the key and what to add."""


# -- production records -------------------------------------------------------------------------

@dataclass(frozen=True)
class Contact:
    role: str
    name: str
    phone: str


@dataclass(frozen=True)
class Hospital:
    name: str
    address: str
    phone: str


@dataclass(frozen=True)
class LocationRecord:
    """Where a schedule location physically is, where the trucks go, and the nearest emergency room."""

    name: str
    address: str
    lat: float
    lon: float
    tz: str
    parking: str
    hospital: Hospital


@dataclass(frozen=True)
class CrewDepartment:
    department: str
    offset_minutes: int  # relative to the general crew call; negative is earlier
    head: str = ""
    phone: str = ""


@dataclass(frozen=True)
class CallRules:
    """How the day's call times are set.

    The shooting call depends on the light the day's scenes need:
    - every scene is night (``N``): ``night_shooting_call`` (18:00), so the company shoots in the dark
      and the turnaround from the previous night holds;
    - day and night scenes mixed (a split day): ``split_shooting_call`` (12:00), the day work in the
      afternoon and the night work after sunset;
    - otherwise (day scenes, or no D/N given): ``day_shooting_call`` (08:00).
    The general crew call is ``crew_lead_minutes`` before the shooting call. Each scene starts when
    the scenes before it are done (strip hours), plus ``company_move_minutes`` when the location
    changes and one ``meal_minutes`` break at the last scene boundary before ``first_meal_after_hours``
    since crew call (the union meal deadline; inside the first scene if that runs past it); the
    estimated wrap is when the last scene is done.
    An actor is on set for the start of their first scene (rounded down to a quarter hour, never
    before the shooting call), in hair and makeup ``makeup_minutes`` before that, and picked up
    ``pickup_minutes`` before makeup. Background are called an hour before their first scene.
    """

    day_shooting_call: time = time(8, 0)
    split_shooting_call: time = time(12, 0)
    night_shooting_call: time = time(18, 0)
    crew_lead_minutes: int = 60
    makeup_minutes: int = 90
    pickup_minutes: int = 30
    first_meal_after_hours: float = 6.0
    meal_minutes: int = 30
    company_move_minutes: int = 45
    background_lead_minutes: int = 60


@dataclass(frozen=True)
class ProductionRecords:
    title: str
    company: str
    office_address: str
    office_phone: str
    contacts: tuple[Contact, ...]
    crew: tuple[CrewDepartment, ...]
    locations: Mapping[str, LocationRecord]
    actors: Mapping[str, str] = field(default_factory=dict)  # character -> actor, where the store has none
    rules: CallRules = field(default_factory=CallRules)
    source: str = "<production records>"

    def location(self, name: str) -> LocationRecord:
        rec = self.locations.get(name.upper())
        if rec is None:
            raise CallSheetError(
                f"{self.source}: location {name!r} has no record under [locations]; add a "
                f'[locations."{name}"] table with address, lat, lon, tz, parking and hospital')
        return rec


def _get(table: Mapping[str, Any], key: str, where: str, source: str, kind: type | tuple[type, ...] = str,
         default: Any = ...) -> Any:
    if key not in table:
        if default is not ...:
            return default
        raise CallSheetError(f"{source}: {where}{key} is missing; add it")
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        want = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise CallSheetError(f"{source}: {where}{key} must be {want}, got {value!r}")
    return value


def _clock(value: Any, where: str, source: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise CallSheetError(f"{source}: {where} must be a time like \"18:00\", got {value!r}") from None


def parse_production_records(data: Mapping[str, Any], source: str = "<production records>") -> ProductionRecords:
    """Production records from a parsed TOML/JSON mapping; errors name ``source`` and the key."""
    hospitals: dict[str, Hospital] = {}
    for key, h in _get(data, "hospitals", "", source, dict, {}).items():
        w = f"hospitals.{key}."
        hospitals[key] = Hospital(_get(h, "name", w, source), _get(h, "address", w, source),
                                  _get(h, "phone", w, source))
    locations: dict[str, LocationRecord] = {}
    for name, loc in _get(data, "locations", "", source, dict).items():
        w = f'locations."{name}".'
        if not isinstance(loc, dict):
            raise CallSheetError(f"{source}: locations.\"{name}\" must be a table")
        lat = float(_get(loc, "lat", w, source, (int, float)))
        lon = float(_get(loc, "lon", w, source, (int, float)))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise CallSheetError(f"{source}: {w}lat/lon out of range ({lat}, {lon}); lat -90..90, lon -180..180")
        tz = _get(loc, "tz", w, source)
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(tz)
        except Exception:
            raise CallSheetError(f"{source}: {w}tz {tz!r} is not an IANA time zone "
                                 "(e.g. \"America/Los_Angeles\")") from None
        hosp = loc.get("hospital")
        if isinstance(hosp, str):
            if hosp not in hospitals:
                raise CallSheetError(f"{source}: {w}hospital {hosp!r} is not under [hospitals] "
                                     f"({', '.join(sorted(hospitals)) or 'none defined'})")
            hospital = hospitals[hosp]
        elif isinstance(hosp, dict):
            hospital = Hospital(_get(hosp, "name", w + "hospital.", source),
                                _get(hosp, "address", w + "hospital.", source),
                                _get(hosp, "phone", w + "hospital.", source))
        else:
            raise CallSheetError(f"{source}: {w}hospital is missing; name a [hospitals] key or give a table")
        locations[name.upper()] = LocationRecord(name.upper(), _get(loc, "address", w, source), lat, lon, tz,
                                                 _get(loc, "parking", w, source, str, ""), hospital)
    contacts = tuple(Contact(_get(c, "role", f"contacts[{i}].", source), _get(c, "name", f"contacts[{i}].", source),
                             _get(c, "phone", f"contacts[{i}].", source, str, ""))
                     for i, c in enumerate(_get(data, "contacts", "", source, list, [])))
    crew = tuple(CrewDepartment(_get(c, "department", f"crew[{i}].", source),
                                int(_get(c, "offset_minutes", f"crew[{i}].", source, int, 0)),
                                _get(c, "head", f"crew[{i}].", source, str, ""),
                                _get(c, "phone", f"crew[{i}].", source, str, ""))
                 for i, c in enumerate(_get(data, "crew", "", source, list, [])))
    calls = _get(data, "calls", "", source, dict, {})
    base = CallRules()
    rules_kw: dict[str, Any] = {}
    for k, v in calls.items():
        if not hasattr(base, k):
            raise CallSheetError(f"{source}: calls.{k} is not a call rule ({', '.join(base.__dataclass_fields__)})")
        if k.endswith("_call"):
            rules_kw[k] = _clock(v, f"calls.{k}", source)
        elif k.endswith("_hours"):
            rules_kw[k] = float(_get(calls, k, "calls.", source, (int, float)))
        else:
            rules_kw[k] = int(_get(calls, k, "calls.", source, int))
    actors = {str(k).upper(): str(v) for k, v in _get(data, "actors", "", source, dict, {}).items()}
    return ProductionRecords(_get(data, "title", "", source), _get(data, "company", "", source, str, ""),
                             _get(data, "office_address", "", source, str, ""),
                             _get(data, "office_phone", "", source, str, ""),
                             contacts, crew, locations, actors, CallRules(**rules_kw), source)


def production_records(path: str | Path) -> ProductionRecords:
    """Read production records from a ``.toml`` or ``.json`` file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise CallSheetError(f"{p}: cannot read production records ({exc.strerror})") from None
    try:
        if p.suffix.lower() == ".json":
            import json

            data = json.loads(raw)
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CallSheetError(f"{p}: not valid {'JSON' if p.suffix.lower() == '.json' else 'TOML'}: {exc}") from None
    if not isinstance(data, dict):
        raise CallSheetError(f"{p}: the top level must be a table of records")
    return parse_production_records(data, str(p))


# -- the call sheet -----------------------------------------------------------------------------

@dataclass(frozen=True)
class SceneRow:
    number: str
    int_ext: str
    set: str
    day_night: str
    cast: tuple[int, ...]
    eighths: int
    synopsis: str
    location: str = ""
    start: datetime | None = None  # estimated start on the day (None on the advance schedule)

    @property
    def pages(self) -> str:
        return format_eighths(self.eighths)


@dataclass(frozen=True)
class CastRow:
    cast_id: int
    character: str
    actor: str
    status: str  # the DOOD code on this day: SW, W, WF, SWF, PW, ...
    pickup: datetime
    makeup: datetime
    on_set: datetime
    remarks: str = ""


@dataclass(frozen=True)
class BackgroundRow:
    scene: str
    description: str
    count: int | None  # None where the script gives no head count
    call: datetime


@dataclass(frozen=True)
class SpecialRow:
    category: str
    element: str
    scenes: tuple[str, ...]


@dataclass(frozen=True)
class CrewCall:
    department: str
    head: str
    phone: str
    call: datetime


@dataclass(frozen=True)
class CallSheet:
    title: str
    company: str
    day: int
    total_days: int
    date: date
    number: int
    contacts: tuple[Contact, ...]
    crew_call: datetime
    shooting_call: datetime
    first_meal: datetime
    estimated_wrap: datetime
    call_rule: str  # which rule of CallRules set the shooting call ("day", "split", "night")
    sunrise: datetime | None
    sunset: datetime | None
    weather: str
    locations: tuple[LocationRecord, ...]
    scenes: tuple[SceneRow, ...]
    cast: tuple[CastRow, ...]
    holds: tuple[tuple[int, str, str], ...]  # cast on the payroll but not working: (id, character, code)
    background: tuple[BackgroundRow, ...]
    special: tuple[SpecialRow, ...]
    advance_day: int | None
    advance_date: date | None
    advance: tuple[SceneRow, ...]
    crew: tuple[CrewCall, ...]
    office: str = ""

    @property
    def eighths(self) -> int:
        return sum(s.eighths for s in self.scenes)

    @property
    def background_total(self) -> int:
        return sum(b.count or 0 for b in self.background)


def _quarter_down(t: datetime) -> datetime:
    return t - timedelta(minutes=t.minute % 15, seconds=t.second, microseconds=t.microsecond)


def call_rule_for(strips: Sequence[Strip]) -> str:
    """"night" when every scene is night, "split" when day and night mix, else "day"."""
    dn = {s.day_night for s in strips}
    if strips and dn == {"N"}:
        return "night"
    if "N" in dn and "D" in dn:
        return "split"
    return "day"


def _scene_row(s: Strip, start: datetime | None = None) -> SceneRow:
    return SceneRow(s.number, s.int_ext, s.set, s.day_night, tuple(s.cast),
                    s.eighths, s.synopsis, s.location, start)


def _timeline(strips: Sequence[Strip], crew_call: datetime, shooting_call: datetime,
              rules: CallRules) -> tuple[list[datetime], datetime, datetime]:
    """Start of each strip, the first meal and the estimated wrap (see :class:`CallRules`)."""
    t = shooting_call
    meal_due = crew_call + timedelta(hours=rules.first_meal_after_hours)
    meal: datetime | None = None
    starts: list[datetime] = []
    prev = None
    for s in strips:
        move = timedelta(minutes=rules.company_move_minutes) if prev is not None and s.location != prev else timedelta()
        work = timedelta(hours=s.hours)
        if meal is None and starts and t + move + work > meal_due:
            meal = t  # break at the scene boundary (before any move): never later than due
            t += timedelta(minutes=rules.meal_minutes)
        t += move
        starts.append(t)
        if meal is None and t + work > meal_due:  # the first scene runs past the deadline: break inside it
            meal = meal_due
            t += timedelta(minutes=rules.meal_minutes)
        t += work
        prev = s.location
    if meal is None:  # a short day, done before the meal is due
        meal = min(meal_due, t)
    return starts, meal, t


def build_call_sheets(schedule: Any, cast: Any, dood: Any, breakdown: Any,
                      production: ProductionRecords) -> list[CallSheet]:
    """One call sheet per shoot day of a stored schedule (pure).

    ``schedule`` is a StoredSchedule, ``cast`` the cast list (a frame or rows with cast_id,
    character, actor), ``dood`` the schedule's DayOutOfDays, ``breakdown`` the script's Breakdown.
    A location on the board that the production records lack is a :class:`CallSheetError`.
    """
    days: list[list[Strip]] = schedule.schedule.days
    dates = schedule.dates()
    rows = cast.iter_rows(named=True) if hasattr(cast, "iter_rows") else cast
    cast_info: dict[int, tuple[str, str]] = {}
    for r in rows:
        char = str(r["character"])
        cast_info[int(r["cast_id"])] = (char, r.get("actor") or production.actors.get(char.upper(), ""))
    tags_by_scene: dict[str, list] = {}
    for t in breakdown.tags:
        tags_by_scene.setdefault(t.scene_uid, []).append(t)
    for d, day in enumerate(days):  # every location first, so a missing one fails before any work
        for s in day:
            if s.location.upper() not in production.locations:
                raise CallSheetError(
                    f"{production.source}: location {s.location!r} (day {d + 1}, scene {s.number}) has no "
                    f'record; add a [locations."{s.location}"] table with address, lat, lon, tz, parking and hospital')
    rules = production.rules
    # Call sheets go out for shoot days only: a day the board leaves empty (a location or the whole
    # company unavailable, or a board the solver stopped early on) calls nobody and is not counted.
    shoot = [d for d, day in enumerate(days) if day]
    total = len(shoot)
    sheets: list[CallSheet] = []
    for n, d in enumerate(shoot):
        day = days[d]
        when = dates[d]
        rule = call_rule_for(day)
        shoot_t = {"night": rules.night_shooting_call, "split": rules.split_shooting_call}.get(
            rule, rules.day_shooting_call)
        shooting_call = datetime.combine(when, shoot_t)
        crew_call = shooting_call - timedelta(minutes=rules.crew_lead_minutes)
        starts, meal, wrap = _timeline(day, crew_call, shooting_call, rules)
        locs = [production.location(n) for n in dict.fromkeys(s.location.upper() for s in day)]
        sunrise = sunset = None
        if locs:
            sunrise, sunset = sun_times(locs[0].lat, locs[0].lon, when, locs[0].tz)
            sunrise = sunrise.replace(tzinfo=None) if sunrise else None
            sunset = sunset.replace(tzinfo=None) if sunset else None
        status = dood.status_on(d + 1)
        first_scene: dict[int, int] = {}
        for i, s in enumerate(day):
            for c in s.cast:
                first_scene.setdefault(c, i)
        cast_rows = []
        for cid in sorted(first_scene):
            i = first_scene[cid]
            on_set = max(shooting_call, _quarter_down(starts[i]))
            makeup = on_set - timedelta(minutes=rules.makeup_minutes)
            char, actor = cast_info.get(cid, (f"#{cid}", ""))
            cast_rows.append(CastRow(cid, char, actor, status.get(str(cid), ""),
                                     makeup - timedelta(minutes=rules.pickup_minutes), makeup, on_set,
                                     f"1st sc. {day[i].number}"))
        holds = tuple((int(k), cast_info.get(int(k), (f"#{k}", ""))[0], v) for k, v in sorted(
            status.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 10**9)
            if k.isdigit() and int(k) not in first_scene)
        background, special = [], {}
        for i, s in enumerate(day):
            for t in sorted(tags_by_scene.get(s.scene_uid, []), key=lambda t: (t.category_id, t.name)):
                if t.category_id == BACKGROUND:
                    call = max(crew_call, _quarter_down(starts[i] - timedelta(minutes=rules.background_lead_minutes)))
                    background.append(BackgroundRow(s.number, t.name, t.count, call))
                elif t.category_id in SPECIAL_CATEGORIES:
                    key = (t.category_id, t.name)
                    special.setdefault(key, [])
                    if s.number not in special[key]:
                        special[key].append(s.number)
        nxt = shoot[n + 1] if n + 1 < total else None
        crew = tuple(CrewCall(c.department, c.head, c.phone, crew_call + timedelta(minutes=c.offset_minutes))
                     for c in production.crew)
        office = " | ".join(x for x in (production.company, production.office_address, production.office_phone) if x)
        sheets.append(CallSheet(
            production.title, production.company, n + 1, total, when, n + 1, production.contacts, crew_call,
            shooting_call, meal, wrap, rule, sunrise, sunset, WEATHER_OFFLINE, tuple(locs),
            tuple(_scene_row(s, starts[i]) for i, s in enumerate(day)), tuple(cast_rows), holds,
            tuple(background),
            tuple(SpecialRow(category_name(c), n, tuple(sc)) for (c, n), sc in sorted(special.items())),
            n + 2 if nxt is not None else None, dates[nxt] if nxt is not None else None,
            tuple(_scene_row(s) for s in days[nxt]) if nxt is not None else (), crew, office))
    return sheets


# -- rendering ----------------------------------------------------------------------------------

def hhmm(t: datetime | None, day: date | None = None) -> str:
    """``18:00``; a time after midnight of the sheet's date gets ``+1``."""
    if t is None:
        return "—"
    extra = (t.date() - day).days if day else 0
    return t.strftime("%H:%M") + (f" +{extra}" if extra > 0 else "")


def _cast_ids(ids: Iterable[int]) -> str:
    return ", ".join(str(i) for i in ids) or "—"


def _rule_text(rule: str) -> str:
    return {"night": "Night work: every scene is night", "split": "Split day: day and night scenes",
            "day": "Day work"}[rule]


_CSS = """
body{font-family:Helvetica,Arial,sans-serif;font-size:11px;color:#111;margin:18px;}
.sheet{max-width:1000px;margin:auto;}
.head{border:2px solid #111;margin-top:0;table-layout:fixed;}
.head>tbody>tr>td,.head>tr>td{border:2px solid #111;padding:8px;vertical-align:middle;}
.title{text-align:center;}
.title h1{margin:2px 0;font-size:26px;letter-spacing:2px;}
.title .day{font-size:20px;font-weight:bold;margin:4px 0;}
.title .date{font-size:14px;}
.calls{text-align:center;}
.big{font-size:30px;font-weight:bold;line-height:1.1;}
.label{font-size:9px;text-transform:uppercase;letter-spacing:1px;color:#444;}
table{border-collapse:collapse;width:100%;margin-top:8px;}
th,td{border:1px solid #333;padding:3px 5px;vertical-align:top;text-align:left;}
th{background:#222;color:#fff;font-size:10px;text-transform:uppercase;}
h2{font-size:12px;margin:12px 0 0;background:#ddd;border:1px solid #333;padding:3px 6px;}
.num{text-align:center;white-space:nowrap;}
.night{background:#e3e8f5;}
.contacts td{border:none;padding:1px 4px;}.contacts td:last-child{white-space:nowrap;}
@page{size:letter;margin:0.4in;}
.small{font-size:10px;}
.banner{margin-top:0;}.banner td{border:2px solid #111;border-top:none;padding:3px 8px;}
"""


def to_html(sheet: CallSheet) -> str:
    """A self-contained HTML call sheet (inline CSS, no scripts, no external files)."""
    e = html.escape
    day = sheet.date

    def t(x: datetime | None) -> str:
        return e(hhmm(x, day))

    contacts = "".join(f"<tr><td><b>{e(c.role)}</b></td><td>{e(c.name)}</td><td>{e(c.phone)}</td></tr>"
                       for c in sheet.contacts)
    scenes = "".join(
        f"<tr class='{'night' if s.day_night == 'N' else ''}'><td class='num'>{e(s.number)}</td>"
        f"<td class='num'>{e(s.int_ext)}</td><td>{e(s.set)}<div class='small'>{e(s.synopsis)}</div></td>"
        f"<td class='num'>{e(s.day_night)}</td><td class='num'>{_cast_ids(s.cast)}</td>"
        f"<td class='num'>{e(s.pages)}</td><td class='num'>{t(s.start)}</td></tr>" for s in sheet.scenes)
    cast = "".join(
        f"<tr><td class='num'>{c.cast_id}</td><td>{e(c.character)}</td><td>{e(c.actor) or 'TBD'}</td>"
        f"<td class='num'><b>{e(c.status)}</b></td><td class='num'>{t(c.pickup)}</td>"
        f"<td class='num'>{t(c.makeup)}</td><td class='num'><b>{t(c.on_set)}</b></td><td>{e(c.remarks)}</td></tr>"
        for c in sheet.cast)
    holds = ", ".join(f"{i} {e(ch)} ({e(code)})" for i, ch, code in sheet.holds)
    bg = "".join(f"<tr><td class='num'>{e(b.scene)}</td><td>{e(b.description)}</td>"
                 f"<td class='num'>{b.count if b.count is not None else 'TBD'}</td><td class='num'>{t(b.call)}</td></tr>"
                 for b in sheet.background) or "<tr><td colspan='4'>No background</td></tr>"
    sp = "".join(f"<tr><td>{e(r.category)}</td><td>{e(r.element)}</td><td>{e(', '.join(r.scenes))}</td></tr>"
                 for r in sheet.special) or "<tr><td colspan='3'>None</td></tr>"
    locs = "".join(f"<tr><td><b>{e(loc.name)}</b><div>{e(loc.address)}</div></td><td>{e(loc.parking)}</td>"
                   f"<td><b>{e(loc.hospital.name)}</b><div>{e(loc.hospital.address)}</div>"
                   f"<div>{e(loc.hospital.phone)}</div></td></tr>" for loc in sheet.locations)
    adv = "".join(f"<tr><td class='num'>{e(s.number)}</td><td class='num'>{e(s.int_ext)}</td><td>{e(s.set)}</td>"
                  f"<td class='num'>{e(s.day_night)}</td><td class='num'>{_cast_ids(s.cast)}</td>"
                  f"<td class='num'>{e(s.pages)}</td></tr>" for s in sheet.advance)
    adv_head = (f"Advance schedule: Day {sheet.advance_day}, {sheet.advance_date:%a %d %b %Y}"
                if sheet.advance_day else "Advance schedule: last day of principal photography")
    crew = "".join(f"<tr><td>{e(c.department)}</td><td>{e(c.head)}</td><td>{e(c.phone)}</td>"
                   f"<td class='num'><b>{t(c.call)}</b></td></tr>" for c in sheet.crew)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(sheet.title)} call sheet day {sheet.day}</title>
<style>{_CSS}</style></head><body><div class="sheet">
<table class="head"><tr>
 <td style="width:33%"><div class="label">{e(sheet.company)}</div><table class="contacts">{contacts}</table></td>
 <td class="title" style="width:37%"><div class="label">Call sheet #{sheet.number}</div><h1>{e(sheet.title)}</h1>
  <div class="day">Day {sheet.day} of {sheet.total_days}</div><div class="date">{sheet.date:%A, %d %B %Y}</div>
  <div class="small">{e(_rule_text(sheet.call_rule))}</div></td>
 <td class="calls" style="width:30%"><div class="label">General crew call</div><div class="big">{t(sheet.crew_call)}</div>
  <div class="label">Shooting call</div><div class="big">{t(sheet.shooting_call)}</div>
  <div class="small">Sunrise {t(sheet.sunrise)} &middot; Sunset {t(sheet.sunset)}<br>Weather: {e(sheet.weather)}
  <br>1st meal {t(sheet.first_meal)} &middot; Est. wrap {t(sheet.estimated_wrap)}</div></td>
</tr></table>
<table class="banner small"><tr><td>{e(sheet.office)}</td><td style="text-align:right">\
{format_eighths(sheet.eighths)} pages, {len(sheet.scenes)} scenes</td></tr></table>
<h2>Locations</h2><table><tr><th>Set location</th><th>Parking / basecamp</th><th>Nearest hospital</th></tr>{locs}</table>
<h2>Scenes</h2><table><tr><th>Sc.</th><th>I/E</th><th>Set / synopsis</th><th>D/N</th><th>Cast</th><th>Pages</th>
<th>Est. start</th></tr>{scenes}</table>
<h2>Cast</h2><table><tr><th>#</th><th>Character</th><th>Cast</th><th>Status</th><th>Pickup</th><th>H/MU</th>
<th>On set</th><th>Remarks</th></tr>{cast}</table>
<div class="small">On hold: {holds or 'none'}</div>
<h2>Background ({sheet.background_total} counted)</h2><table><tr><th>Sc.</th><th>Background</th><th>Count</th>
<th>Call</th></tr>{bg}</table>
<h2>Special requirements</h2><table><tr><th>Category</th><th>Element</th><th>Scenes</th></tr>{sp}</table>
<h2>{e(adv_head)}</h2><table><tr><th>Sc.</th><th>I/E</th><th>Set</th><th>D/N</th><th>Cast</th><th>Pages</th></tr>{adv}</table>
<h2>Crew calls</h2><table><tr><th>Department</th><th>Head</th><th>Phone</th><th>Call</th></tr>{crew}</table>
</div></body></html>
"""


def to_pdf(sheets: Sequence[CallSheet], path: str | Path | None = None) -> bytes:
    """The call sheets as one PDF, one Letter page per shoot day (shrunk to fit), written
    atomically to ``path`` when given. Returns the PDF bytes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import inch
    from reportlab.platypus import (
        KeepInFrame,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    base = ParagraphStyle("b", fontName="Helvetica", fontSize=7.5, leading=9)
    bold = ParagraphStyle("bb", parent=base, fontName="Helvetica-Bold")
    small = ParagraphStyle("s", parent=base, fontSize=6.5, leading=7.8)
    center = ParagraphStyle("c", parent=base, alignment=1)
    title_s = ParagraphStyle("t", parent=base, fontName="Helvetica-Bold", fontSize=20, leading=23, alignment=1)
    day_s = ParagraphStyle("d", parent=base, fontName="Helvetica-Bold", fontSize=14, leading=17, alignment=1)
    big = ParagraphStyle("g", parent=base, fontName="Helvetica-Bold", fontSize=20, leading=22, alignment=1)
    label = ParagraphStyle("l", parent=base, fontSize=6.5, leading=8, alignment=1, textColor=colors.HexColor("#444444"))
    section = ParagraphStyle("h", parent=bold, fontSize=8, leading=10, textColor=colors.white)
    e = html.escape
    width = letter[0] - 0.8 * inch - 12  # the frame's own 6 pt padding on each side

    def grid(rows: list[list], widths: list[float], head: str | None = None, night_rows: Iterable[int] = ()) -> Table:
        data = ([[Paragraph(e(head), section)] + [""] * (len(widths) - 1)] if head else []) + rows
        tbl = Table(data, colWidths=[w * width for w in widths], hAlign="LEFT")
        style = [("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#333333")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                 ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
        off = 0
        if head:
            style += [("SPAN", (0, 0), (-1, 0)), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#222222"))]
            off = 1
        style.append(("BACKGROUND", (0, off), (-1, off), colors.HexColor("#dddddd")))
        for r in night_rows:
            style.append(("BACKGROUND", (0, r + off + 1), (-1, r + off + 1), colors.HexColor("#e3e8f5")))
        tbl.setStyle(TableStyle(style))
        return tbl

    def P(text: str, st: ParagraphStyle = base) -> Paragraph:
        return Paragraph(text, st)

    story: list = []
    for n, sh in enumerate(sheets):
        def t(x: datetime | None, _d: date = sh.date) -> str:
            return e(hhmm(x, _d))

        contacts = [P(f"<b>{e(sh.company)}</b>", small)] + [
            P(f"<b>{e(c.role)}:</b> {e(c.name)} &nbsp;{e(c.phone)}", small) for c in sh.contacts]
        middle = [P(f"CALL SHEET #{sh.number}", label), P(e(sh.title), title_s),
                  P(f"Day {sh.day} of {sh.total_days}", day_s), P(f"{sh.date:%A, %d %B %Y}", center),
                  P(e(_rule_text(sh.call_rule)), label)]
        calls = [P("GENERAL CREW CALL", label), P(t(sh.crew_call), big), P("SHOOTING CALL", label),
                 P(t(sh.shooting_call), big),
                 P(f"Sunrise {t(sh.sunrise)} &middot; Sunset {t(sh.sunset)}", center),
                 P(f"Weather: {e(sh.weather)}", center),
                 P(f"1st meal {t(sh.first_meal)} &middot; Est. wrap {t(sh.estimated_wrap)}", center)]
        head = Table([[contacts, middle, calls]], colWidths=[0.33 * width, 0.37 * width, 0.30 * width], hAlign="LEFT")
        head.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.5, colors.black),
                                  ("LINEAFTER", (0, 0), (1, 0), 1.5, colors.black),
                                  ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        flow: list = [head, P(f"{e(sh.office)} &nbsp;&nbsp;|&nbsp;&nbsp; {format_eighths(sh.eighths)} pages, "
                              f"{len(sh.scenes)} scenes", small), Spacer(1, 3)]
        flow.append(grid([[P("<b>Set location</b>"), P("<b>Parking / basecamp</b>"), P("<b>Nearest hospital</b>")]] + [
            [P(f"<b>{e(lc.name)}</b><br/>{e(lc.address)}", small), P(e(lc.parking), small),
             P(f"<b>{e(lc.hospital.name)}</b><br/>{e(lc.hospital.address)} &middot; {e(lc.hospital.phone)}", small)]
            for lc in sh.locations], [0.36, 0.30, 0.34], "LOCATIONS"))
        flow.append(Spacer(1, 3))
        flow.append(grid([[P("<b>Sc.</b>"), P("<b>I/E</b>"), P("<b>Set / synopsis</b>"), P("<b>D/N</b>"),
                           P("<b>Cast</b>"), P("<b>Pages</b>"), P("<b>Start</b>")]] + [
            [P(f"<b>{e(s.number)}</b>"), P(e(s.int_ext)), P(f"<b>{e(s.set)}</b><br/>{e(s.synopsis)}", small),
             P(e(s.day_night)), P(_cast_ids(s.cast)), P(e(s.pages)), P(t(s.start))] for s in sh.scenes],
            [0.05, 0.07, 0.56, 0.05, 0.12, 0.07, 0.08], "SCENES",
            [i for i, s in enumerate(sh.scenes) if s.day_night == "N"]))
        flow.append(Spacer(1, 3))
        cast_rows = [[P("<b>#</b>"), P("<b>Character</b>"), P("<b>Cast</b>"), P("<b>Status</b>"), P("<b>Pickup</b>"),
                      P("<b>H/MU</b>"), P("<b>On set</b>"), P("<b>Remarks</b>")]] + [
            [P(str(c.cast_id)), P(e(c.character)), P(e(c.actor) or "TBD"), P(f"<b>{e(c.status)}</b>"),
             P(t(c.pickup)), P(t(c.makeup)), P(f"<b>{t(c.on_set)}</b>"), P(e(c.remarks), small)] for c in sh.cast]
        holds = ", ".join(f"{i} {e(ch)} ({e(code)})" for i, ch, code in sh.holds) or "none"
        flow.append(grid(cast_rows, [0.04, 0.2, 0.2, 0.08, 0.1, 0.1, 0.1, 0.18], "CAST"))
        flow.append(P(f"On hold: {holds}", small))
        bg = [[P("<b>Sc.</b>"), P("<b>Background</b>"), P("<b>Count</b>"), P("<b>Call</b>")]] + [
            [P(e(b.scene)), P(e(b.description)), P(str(b.count) if b.count is not None else "TBD"), P(t(b.call))]
            for b in sh.background] if sh.background else [[P("No background"), "", "", ""]]
        sp = [[P("<b>Category</b>"), P("<b>Element</b>"), P("<b>Scenes</b>")]] + [
            [P(e(r.category), small), P(e(r.element), small), P(e(", ".join(r.scenes)), small)]
            for r in sh.special] if sh.special else [[P("None"), "", ""]]
        half = width / 2 - 3
        pair = Table([[grid(bg, [0.1 * half / width, 0.5 * half / width, 0.17 * half / width, 0.2 * half / width],
                            f"BACKGROUND ({sh.background_total} counted)"),
                       grid(sp, [0.3 * half / width, 0.4 * half / width, 0.27 * half / width], "SPECIAL REQUIREMENTS")]],
                     colWidths=[half + 3, half + 3], hAlign="LEFT")
        pair.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                  ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
        flow += [Spacer(1, 3), pair, Spacer(1, 3)]
        adv_head = (f"ADVANCE SCHEDULE: DAY {sh.advance_day}, {sh.advance_date:%a %d %b %Y}".upper()
                    if sh.advance_day else "ADVANCE SCHEDULE: LAST DAY OF PRINCIPAL PHOTOGRAPHY")
        adv = [[P("<b>Sc.</b>"), P("<b>I/E</b>"), P("<b>Set</b>"), P("<b>D/N</b>"), P("<b>Cast</b>"),
                P("<b>Pages</b>")]] + [[P(e(s.number)), P(e(s.int_ext)), P(e(s.set), small), P(e(s.day_night)),
                                        P(_cast_ids(s.cast)), P(e(s.pages))] for s in sh.advance]
        crew = [[P("<b>Department</b>"), P("<b>Head</b>"), P("<b>Call</b>")]] + [
            [P(e(c.department), small), P(f"{e(c.head)} {e(c.phone)}", small), P(f"<b>{t(c.call)}</b>")]
            for c in sh.crew]
        pair2 = Table([[grid(adv, [x * half / width for x in (0.08, 0.08, 0.42, 0.09, 0.2, 0.13)], adv_head),
                        grid(crew, [x * half / width for x in (0.32, 0.52, 0.16)], "CREW CALLS")]],
                      colWidths=[half + 3, half + 3], hAlign="LEFT")
        pair2.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
        flow.append(pair2)
        story.append(KeepInFrame(width, letter[1] - 0.8 * inch - 12, flow, mode="shrink", hAlign="LEFT"))
        if n < len(sheets) - 1:
            story.append(PageBreak())
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=letter, leftMargin=0.4 * inch, rightMargin=0.4 * inch,
                            topMargin=0.4 * inch, bottomMargin=0.4 * inch,
                            title=f"{sheets[0].title if sheets else ''} call sheets", author="studio_kit")
    doc.build(story or [Paragraph("No shoot days", base)])
    data = buf.getvalue()
    if path is not None:
        atomic_write(path, data)
    return data


def write_all(sheets: Sequence[CallSheet], folder: str | Path) -> list[Path]:
    """``day_01.html`` ... one per sheet and ``callsheets.pdf`` in ``folder``, each written atomically;
    day files left from a longer schedule are removed so the folder matches the board."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    width = max(2, len(str(len(sheets))))
    paths = [atomic_write(out / f"day_{s.day:0{width}d}.html", to_html(s)) for s in sheets]
    keep = {p.name for p in paths}
    for old in out.glob("day_*.html"):
        if old.name not in keep:
            os.unlink(old)
    pdf = out / "callsheets.pdf"
    to_pdf(sheets, pdf)
    return [*paths, pdf]


__all__ = ["CallRules", "CallSheet", "CallSheetError", "CastRow", "BackgroundRow", "SpecialRow", "CrewCall",
           "Contact", "Hospital", "LocationRecord", "CrewDepartment", "ProductionRecords", "SceneRow",
           "build_call_sheets", "call_rule_for", "parse_production_records", "production_records", "to_html",
           "to_pdf", "write_all", "hhmm"]
