"""Schedules in the production database: cast numbers, schedule versions with their strips, and
the Day Out of Days built from a stored schedule.

Why this shape: a producer keeps several boards of one script (a first pass, a version after an
actor's availability changed) and compares them, so every solve is stored as a new version with
its request, its cost by term, the lower bound and the gap; the strips carry the shoot date so the
DOOD and call sheets read one consistent board. Cast numbers are per script and stable: a
character keeps its number across drafts and schedules, as on a real board.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from pathlib import Path

import polars as pl

from ..common.clock import utc_now
from ..common.errors import Invalid, NotFound
from ..scripts import require_version
from ..store import Migration, ProjectScope
from .calendar import ShootCalendar
from .dood import DayOutOfDays, DoodElement, build_dood
from .schedule import CostBreakdown, Schedule, ScheduleRequest, Strip, Weights

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "preproduction_schedule",
        1,
        "cast numbers, schedule versions and their strips",
        """
        CREATE TABLE cast_member (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, character VARCHAR NOT NULL, cast_id INTEGER NOT NULL,
            daily_rate DOUBLE, actor VARCHAR,
            PRIMARY KEY (tenant_id, project_id, script_id, character)
        );
        CREATE TABLE schedule_version (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, version INTEGER NOT NULL, script_version INTEGER NOT NULL,
            label VARCHAR NOT NULL, start_date DATE NOT NULL, shoot_days INTEGER NOT NULL,
            calendar JSON NOT NULL, request JSON NOT NULL, cost JSON NOT NULL,
            total DOUBLE NOT NULL, lower_bound DOUBLE NOT NULL, gap DOUBLE NOT NULL,
            optimal BOOLEAN NOT NULL, status VARCHAR NOT NULL, seconds DOUBLE NOT NULL,
            created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, script_id, version)
        );
        CREATE TABLE schedule_strip (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, version INTEGER NOT NULL,
            day INTEGER NOT NULL, position INTEGER NOT NULL, shoot_date DATE NOT NULL,
            scene_uid VARCHAR NOT NULL, number VARCHAR NOT NULL, set_name VARCHAR NOT NULL,
            location VARCHAR NOT NULL, int_ext VARCHAR NOT NULL, day_night VARCHAR NOT NULL,
            cast_ids INTEGER[] NOT NULL, eighths INTEGER NOT NULL, hours DOUBLE NOT NULL,
            synopsis VARCHAR NOT NULL,
            PRIMARY KEY (tenant_id, project_id, script_id, version, scene_uid)
        );
        """,
        scoped=("cast_member", "schedule_version", "schedule_strip"),
    ),
)


# -- cast numbers and day rates ----------------------------------------------------------------

@dataclass(frozen=True)
class RateTier:
    tier: str
    first: int
    last: int
    daily_rate: float
    effective: date


def read_cast_rates(path: str | Path) -> list[RateTier]:
    """Default day rates by cast number (lead, supporting, day player) from a dated CSV; the newest
    row in force per tier wins. Errors name the file and line."""
    p = Path(path)
    need = ("tier", "first_cast_id", "last_cast_id", "daily_rate", "effective_date")
    try:
        rows = list(csv.DictReader(p.open(newline="", encoding="utf-8")))
    except OSError as exc:
        raise Invalid(f"{p}: cannot read the cast rate file: {exc}") from None
    if rows and (missing := [c for c in need if c not in rows[0]]):
        raise Invalid(f"{p}: line 1: missing column(s) {', '.join(missing)}; expected {', '.join(need)}")
    tiers: dict[str, RateTier] = {}
    for n, r in enumerate(rows, start=2):
        try:
            t = RateTier(r["tier"], int(r["first_cast_id"]), int(r["last_cast_id"]), float(r["daily_rate"]),
                         date.fromisoformat(r["effective_date"]))
        except (TypeError, ValueError) as exc:
            raise Invalid(f"{p}: line {n}: {exc}; fix the value") from None
        if t.daily_rate < 0 or t.first > t.last:
            raise Invalid(f"{p}: line {n}: a rate must be >= 0 and first_cast_id <= last_cast_id")
        if t.effective <= date.today() and (t.tier not in tiers or t.effective > tiers[t.tier].effective):
            tiers[t.tier] = t
    return sorted(tiers.values(), key=lambda t: t.first)


def read_schedule_weights(path: str | Path) -> Weights:
    """The project's default schedule weights (shoot-day cost, move, switch, overtime) from a dated
    CSV of ``weight,value,effective_date``; the newest row in force per weight wins."""
    p = Path(path)
    try:
        rows = list(csv.DictReader(p.open(newline="", encoding="utf-8")))
    except OSError as exc:
        raise Invalid(f"{p}: cannot read the schedule weights: {exc}") from None
    known = {f.name for f in fields(Weights)}
    best: dict[str, tuple[date, float]] = {}
    for n, r in enumerate(rows, start=2):
        name = (r.get("weight") or "").strip()
        if name not in known:
            raise Invalid(f"{p}: line {n}: unknown weight {name!r}; use one of {', '.join(sorted(known))}")
        try:
            value, when = float(r["value"]), date.fromisoformat(r["effective_date"])
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid(f"{p}: line {n}: {exc}; need weight,value,effective_date") from None
        if value < 0:
            raise Invalid(f"{p}: line {n}: {name} must be >= 0, got {value:g}")
        if when <= date.today() and (name not in best or when > best[name][0]):
            best[name] = (when, value)
    return Weights(**{k: v for k, (_, v) in best.items()})


def rate_for(cast_id: int, tiers: list[RateTier]) -> float:
    for t in tiers:
        if t.first <= cast_id <= t.last:
            return t.daily_rate
    return 0.0


def cast_numbers(scope: ProjectScope, script_id: str, ranked: list[str]) -> dict[str, int]:
    """Stable cast numbers: characters already numbered keep theirs; new ones (billing order of
    ``ranked``) take the next free numbers. Written in one transaction."""
    known = dict(scope.rows("SELECT character, cast_id FROM {cast_member} WHERE script_id = $s", {"s": script_id}))
    new = [c for c in ranked if c not in known]
    if new:
        nxt = max(known.values(), default=0) + 1
        rows = [{"script_id": script_id, "character": c, "cast_id": nxt + k, "daily_rate": None, "actor": None}
                for k, c in enumerate(new)]
        with scope.transaction():
            scope.insert("cast_member", rows)
        known.update({r["character"]: r["cast_id"] for r in rows})
    return {c: known[c] for c in ranked}


def cast_frame(scope: ProjectScope, script_id: str) -> pl.DataFrame:
    return scope.sql("SELECT cast_id, character, actor, daily_rate FROM {cast_member} WHERE script_id = $s "
                     "ORDER BY cast_id", {"s": script_id})


def set_cast_rate(scope: ProjectScope, script_id: str, character: str, daily_rate: float,
                  actor: str | None = None) -> None:
    """A deal: the day rate (and actor) of one character; the next schedule prices it."""
    if daily_rate < 0:
        raise Invalid(f"day rate for {character} must be >= 0, got {daily_rate}")
    if scope.one("SELECT 1 FROM {cast_member} WHERE script_id = $s AND character = $c",
                 {"s": script_id, "c": character}) is None:
        raise NotFound(f"{character!r} has no cast number in {script_id!r} yet; plan a schedule first")
    with scope.transaction():
        scope.update("cast_member", {"daily_rate": daily_rate, "actor": actor},
                     "script_id = $s AND character = $c", {"s": script_id, "c": character})


# -- schedule versions ---------------------------------------------------------------------------

@dataclass
class StoredSchedule:
    """A schedule version as stored: the board plus what it was asked and where it sits in time."""

    script_id: str
    version: int
    script_version: int
    label: str
    calendar: ShootCalendar
    schedule: Schedule
    request: dict = field(default_factory=dict)
    created_at: datetime | None = None

    @property
    def shoot_days(self) -> int:
        return len(self.schedule.days)

    def dates(self) -> list[date]:
        return self.calendar.dates(self.shoot_days)


def _calendar_json(cal: ShootCalendar) -> str:
    return json.dumps({"start": cal.start.isoformat(), "work_weekdays": list(cal.work_weekdays),
                       "holidays": sorted(d.isoformat() for d in cal.holidays),
                       "days_off": sorted(d.isoformat() for d in cal.days_off)})


def _calendar_from(js: str) -> ShootCalendar:
    c = json.loads(js)
    return ShootCalendar(date.fromisoformat(c["start"]), tuple(c["work_weekdays"]),
                         {date.fromisoformat(d) for d in c["holidays"]},
                         {date.fromisoformat(d) for d in c["days_off"]})


def request_json(request: ScheduleRequest) -> str:
    """What was asked, minus the strips (stored as rows): capacity, weights, constraints, budget."""
    return json.dumps({
        "cast_pay": {str(k): v for k, v in request.cast_pay.items()},
        "capacity_eighths": request.capacity_eighths, "capacity_hours": request.capacity_hours,
        "max_days": request.max_days, "weights": asdict(request.weights),
        "actor_unavailable": {str(k): sorted(v) for k, v in request.actor_unavailable.items()},
        "location_unavailable": {k: sorted(v) for k, v in request.location_unavailable.items()},
        "fixed_days": request.fixed_days, "night_turnaround": request.night_turnaround,
        "drop_pickup": request.drop_pickup, "time_limit_s": request.time_limit_s,
        "rest_after": sorted(request.rest_after),
    })


def save_schedule(scope: ProjectScope, script_id: str, script_version: int, request: ScheduleRequest,
                  schedule: Schedule, calendar: ShootCalendar, label: str = "") -> int:
    """Store a solved board as the next version, all or nothing; returns the version number."""
    dates = calendar.dates(max(1, len(schedule.days)))
    with scope.transaction():
        row = scope.one("SELECT max(version) FROM {schedule_version} WHERE script_id = $s", {"s": script_id})
        version = (row[0] or 0) + 1 if row else 1
        c = schedule.cost
        cost = {**c.to_dict(), "pay_days": {str(k): v for k, v in c.pay_days.items()},
                "work_days": {str(k): v for k, v in c.work_days.items()},
                "cp_bound": schedule.cp_bound, "talent_bound": schedule.talent_bound}
        scope.insert("schedule_version", [{
            "script_id": script_id, "version": version, "script_version": script_version,
            "label": label or f"schedule {version}", "start_date": dates[0], "shoot_days": len(schedule.days),
            "calendar": _calendar_json(calendar), "request": request_json(request), "cost": json.dumps(cost),
            "total": float(c.total), "lower_bound": float(schedule.lower_bound), "gap": float(schedule.gap),
            "optimal": schedule.optimal, "status": schedule.status, "seconds": float(schedule.seconds),
            "created_at": utc_now(),
        }])
        rows = [{"script_id": script_id, "version": version, "day": d + 1, "position": k, "shoot_date": dates[d],
                 "scene_uid": s.scene_uid, "number": s.number, "set_name": s.set, "location": s.location,
                 "int_ext": s.int_ext, "day_night": s.day_night, "cast_ids": list(s.cast), "eighths": s.eighths,
                 "hours": float(s.hours), "synopsis": s.synopsis}
                for d, day in enumerate(schedule.days) for k, s in enumerate(day)]
        if rows:
            scope.insert("schedule_strip", pl.DataFrame(rows, schema_overrides={"cast_ids": pl.List(pl.Int32)},
                                                        infer_schema_length=None))
    return version


def latest_schedule_version(scope: ProjectScope, script_id: str) -> int:
    row = scope.one("SELECT max(version) FROM {schedule_version} WHERE script_id = $s", {"s": script_id})
    if not row or row[0] is None:
        raise NotFound(f"script {script_id!r} has no schedule yet; run `studio schedule` first")
    return int(row[0])


def schedule_version_of(scope: ProjectScope, script_id: str, version: int | None) -> int:
    """The schedule version asked for (checked: one not stored is NotFound), or the latest."""
    if version is None:
        return latest_schedule_version(scope, script_id)
    return require_version(scope, "schedule_version", script_id, version, "schedule version", "studio schedules")


def load_schedule(scope: ProjectScope, script_id: str, version: int | None = None) -> StoredSchedule:
    v = latest_schedule_version(scope, script_id) if version is None else version  # the row says whether it exists
    meta = scope.one("SELECT script_version, label, calendar, request, cost, lower_bound, optimal, seconds, status, "
                     "shoot_days, created_at FROM {schedule_version} WHERE script_id = $s AND version = $v",
                     {"s": script_id, "v": v})
    if meta is None:
        raise NotFound(f"script {script_id!r} has no schedule version {v}; see `studio schedules`")
    script_version, label, cal, req, cost_js, lb, optimal, seconds, status, n_days, created = meta
    strips = scope.rows("SELECT day, scene_uid, number, set_name, location, int_ext, day_night, cast_ids, eighths, "
                        "hours, synopsis FROM {schedule_strip} WHERE script_id = $s AND version = $v "
                        "ORDER BY day, position", {"s": script_id, "v": v})
    days: list[list[Strip]] = [[] for _ in range(n_days)]
    for d, uid, num, set_name, loc, ie, dn, cast, eighths, hours, syn in strips:
        days[d - 1].append(Strip(uid, num, set_name, loc, ie, dn, tuple(cast), eighths, hours, syn))
    c = json.loads(cost_js)
    cost = CostBreakdown(c["cast_pay"], {int(k): x for k, x in c["pay_days"].items()},
                         {int(k): x for k, x in c["work_days"].items()}, c["company_moves"], c["move_cost"],
                         c["day_night_switches"], c["switch_cost"], c["overtime_hours"], c["overtime_cost"], c["days"],
                         c.get("day_cost", 0.0))
    sched = Schedule(days, cost, lb, optimal, seconds, status, c.get("cp_bound", 0.0), c.get("talent_bound", 0.0))
    return StoredSchedule(script_id, v, script_version, label, _calendar_from(cal), sched, json.loads(req), created)


def request_from(stored: StoredSchedule) -> ScheduleRequest:
    """The request a stored schedule answered, rebuilt (strips from its board), to re-check its cost."""
    r = stored.request
    strips = [s for day in stored.schedule.days for s in day]
    return ScheduleRequest(
        strips, {int(k): v for k, v in r["cast_pay"].items()}, r["capacity_eighths"], r["capacity_hours"],
        r["max_days"], Weights(**r["weights"]), {int(k): set(v) for k, v in r["actor_unavailable"].items()},
        {k: set(v) for k, v in r["location_unavailable"].items()}, r["fixed_days"], r["night_turnaround"],
        r["drop_pickup"], r.get("time_limit_s", r.get("time_limit")), rest_after=set(r.get("rest_after", [])))


def schedules_frame(scope: ProjectScope, script_id: str) -> pl.DataFrame:
    return scope.sql("SELECT version, label, script_version, start_date, shoot_days, total, lower_bound, gap, "
                     "optimal, status, seconds, created_at FROM {schedule_version} WHERE script_id = $s "
                     "ORDER BY version", {"s": script_id})


def strips_frame(scope: ProjectScope, script_id: str, version: int | None = None) -> pl.DataFrame:
    """The stripboard of a version as a table (one row per strip, in shooting order)."""
    v = schedule_version_of(scope, script_id, version)
    return scope.sql("SELECT day, position, shoot_date, number, int_ext, set_name, location, day_night, cast_ids, "
                     "eighths, hours, synopsis, scene_uid FROM {schedule_strip} WHERE script_id = $s AND version = $v "
                     "ORDER BY day, position", {"s": script_id, "v": v})


# -- Day Out of Days from a stored schedule --------------------------------------------------------

def dood_for(stored: StoredSchedule, cast: dict[int, str],
             elements: dict[tuple[str, str], set[str]] | None = None) -> DayOutOfDays:
    """The DOOD of a stored board: every cast member (holds allowed: they are paid from first to
    last day) and, when given, other elements ``(category, name) -> scene_uids`` (no holds: a prop
    or a vehicle is booked per day)."""
    day_of = stored.schedule.day_of()
    work: dict[int, set[int]] = {}
    for d, day in enumerate(stored.schedule.days):
        for s in day:
            for c in s.cast:
                work.setdefault(c, set()).add(d + 1)
    drop = bool(stored.request.get("drop_pickup", False))
    rows = [DoodElement(str(cid), cast.get(cid, f"#{cid}"), "cast", work[cid], allow_drop=drop)
            for cid in sorted(work)]
    for (category, name), uids in sorted((elements or {}).items()):
        days = {day_of[u] + 1 for u in uids if u in day_of}
        if days:
            rows.append(DoodElement(f"{category}:{name}", name, category, days, allow_holds=False, allow_drop=False))
    return build_dood(rows, stored.calendar, max(1, stored.shoot_days))
