"""The shooting schedule: strips assigned to shoot days, as a pure function of the request.

Days are indexes (0 = first shoot day); the Studio maps them to calendar dates. The objective is
the talent model of :mod:`studio_kit.preproduction.talent` (every actor is paid from the first to
the last work day, holds included, unless the actor may be dropped and picked up again across a
gap of more than 10 days, once) plus weighted company moves, day/night switches inside a day and
overtime. :func:`evaluate` computes that cost for any board; :func:`solve_schedule` finds a board
with OR-Tools CP-SAT, warm-started from a greedy cut of the talent order, and reports a proven
lower bound and the gap.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..common.errors import Invalid
from ..screenplay.cast import cast_ids_for
from ..screenplay.model import Scene, format_eighths
from . import talent
from .options import ScheduleOptions

#: Feature pace: 5 pages (40 eighths) in a 10-hour day.
DEFAULT_PACE_EIGHTHS_PER_HOUR = 4.0
#: SAG-AFTRA theatrical: a performer dropped may be picked up only more than 10 days later.
DROP_MIN_GAP_DAYS = 10
#: Objective scale: costs are per hour for overtime, so the model counts minutes.
_SCALE = 60

_NIGHT = {"NIGHT", "N", "DUSK", "EVENING"}
_DAY = {"DAY", "D", "DAWN", "MORNING", "AFTERNOON"}


class ScheduleInfeasible(Invalid):
    """No board satisfies the request; the message names the constraints in conflict."""


@dataclass(frozen=True)
class Strip:
    """One scene as a strip on the board."""

    scene_uid: str
    number: str
    set: str
    location: str = ""
    int_ext: str = ""
    day_night: str = ""  # "D", "N" or ""
    cast: tuple[int, ...] = ()
    eighths: int = 1
    hours: float = 0.0
    synopsis: str = ""

    def __post_init__(self) -> None:
        if not self.location:
            object.__setattr__(self, "location", location_of(self.set))
        if self.hours <= 0:
            object.__setattr__(self, "hours", self.eighths / DEFAULT_PACE_EIGHTHS_PER_HOUR)
        if self.day_night not in ("D", "N", ""):
            object.__setattr__(self, "day_night", day_or_night(self.day_night))


def location_of(set_name: str) -> str:
    """The physical location of a set (the company-move unit): "TRAIN - DINING CAR" -> "TRAIN"."""
    return set_name.split(" - ", 1)[0].strip()


def day_or_night(time_of_day: str) -> str:
    t = (time_of_day or "").strip().upper()
    return "N" if t in _NIGHT else "D" if t in _DAY else ""


def strips_from_scenes(scenes: Sequence[Scene], cast_ids: dict[str, int] | None = None,
                       pace_eighths_per_hour: float = DEFAULT_PACE_EIGHTHS_PER_HOUR,
                       scene_uids: Sequence[str] | None = None) -> list[Strip]:
    """Strips for the board from parsed scenes. ``scene_uids`` are the stored stable ids (writing
    engine); without them a strip is known by its scene number."""
    if pace_eighths_per_hour <= 0:
        raise Invalid("pace_eighths_per_hour must be positive (a feature shoots about 4 eighths an hour)")
    if scene_uids is not None and len(scene_uids) != len(scenes):
        raise Invalid(f"scene_uids has {len(scene_uids)} ids for {len(scenes)} scenes")
    ids = cast_ids if cast_ids is not None else cast_ids_for(scenes)
    seen: Counter[str] = Counter(s.number for s in scenes)
    strips = []
    for k, s in enumerate(scenes):
        missing = [c for c in s.speaking + s.non_speaking if c not in ids]
        if missing:
            raise Invalid(f"scene {s.number}: no cast id for {', '.join(missing)}; add them to cast_ids")
        cast = tuple(sorted({ids[c] for c in s.speaking + s.non_speaking}))
        uid = scene_uids[k] if scene_uids is not None else (
            f"sc{s.number}" if seen[s.number] == 1 else f"sc{s.number}@{s.index}")
        eighths = max(1, s.eighths)
        strips.append(Strip(uid, s.number, s.location, location_of(s.location), s.int_ext, day_or_night(s.day_night
                            or s.time_of_day), cast, eighths, round(eighths / pace_eighths_per_hour, 3),
                            s.synopsis))
    return strips


@dataclass
class Weights:
    """Cost of the board's soft terms, in the cast-pay currency."""

    company_move: float = 500.0  # per move between locations inside a day
    day_night_switch: float = 300.0  # per day that shoots both day and night scenes
    overtime_hour: float = 400.0  # per hour above normal_hours on a day
    normal_hours: float = 10.0
    #: The company's cost of one shoot day (crew, equipment, catering), paid up to the last day
    #: used: it is what makes a board shorter. 0 leaves the length to the other terms.
    shoot_day: float = 0.0


#: A request built without options gets the same defaults as every door (preproduction.options).
_DEFAULTS = ScheduleOptions()


@dataclass
class ScheduleRequest:
    strips: list[Strip]
    cast_pay: dict[int, float] = field(default_factory=dict)  # per cast id per day (missing: 0)
    capacity_eighths: int | None = _DEFAULTS.capacity_eighths
    capacity_hours: float | None = None
    max_days: int = _DEFAULTS.max_days  # 0: enough days for the work at capacity, plus a fifth
    weights: Weights = field(default_factory=Weights)
    actor_unavailable: dict[int, set[int]] = field(default_factory=dict)
    location_unavailable: dict[str, set[int]] = field(default_factory=dict)
    fixed_days: dict[str, int] = field(default_factory=dict)  # scene_uid -> day index
    night_turnaround: bool = True
    drop_pickup: bool = _DEFAULTS.drop_pickup  # allow one drop/pick-up per actor across a gap of more than 10 days
    time_limit_s: float = _DEFAULTS.time_limit_s
    workers: int = 2
    seed: int = 0
    #: Shoot days (0-based) followed by a calendar day off: the break gives the 12-hour rest, so a
    #: night there may be followed by day work (Friday nights, Monday mornings).
    rest_after: set[int] = field(default_factory=set)

    def turnaround_after(self, d: int) -> bool:
        """Whether night work on day ``d`` forbids day work on day ``d + 1``."""
        return self.night_turnaround and d not in self.rest_after

    def days(self) -> int:
        if self.max_days:
            return self.max_days
        need = 1
        if self.capacity_eighths:
            need = max(need, math.ceil(sum(s.eighths for s in self.strips) / self.capacity_eighths))
        if self.capacity_hours:
            need = max(need, math.ceil(sum(s.hours for s in self.strips) / self.capacity_hours))
        return max(need + 1, math.ceil(need * 1.2))


@dataclass
class CostBreakdown:
    cast_pay: float
    pay_days: dict[int, int]  # cast id -> days paid (work + holds)
    work_days: dict[int, int]
    company_moves: int
    move_cost: float
    day_night_switches: int
    switch_cost: float
    overtime_hours: float
    overtime_cost: float
    days: int
    day_cost: float = 0.0

    @property
    def total(self) -> float:
        return self.cast_pay + self.move_cost + self.switch_cost + self.overtime_cost + self.day_cost

    @property
    def hold_days(self) -> int:
        return sum(self.pay_days.values()) - sum(self.work_days.values())

    def to_dict(self) -> dict:
        return {"total": self.total, "cast_pay": self.cast_pay, "company_moves": self.company_moves,
                "move_cost": self.move_cost, "day_night_switches": self.day_night_switches,
                "switch_cost": self.switch_cost, "overtime_hours": self.overtime_hours,
                "overtime_cost": self.overtime_cost, "days": self.days, "day_cost": self.day_cost,
                "hold_days": self.hold_days}


@dataclass
class Schedule:
    days: list[list[Strip]]  # day index -> strips in shooting order (an empty list: no shooting)
    cost: CostBreakdown
    lower_bound: float
    optimal: bool
    seconds: float
    status: str
    cp_bound: float = 0.0
    talent_bound: float = 0.0

    @property
    def gap(self) -> float:
        total = self.cost.total
        return 0.0 if total <= 0 else max(0.0, (total - self.lower_bound) / total)

    def day_of(self) -> dict[str, int]:
        return {s.scene_uid: d for d, day in enumerate(self.days) for s in day}

    def cost_of(self, request: ScheduleRequest) -> CostBreakdown:
        return evaluate(request, self.days)


# -- the cost of a board: a pure function, also the independent check of the solver -------------

def _pay_days(work: list[int], drop_pickup: bool) -> int:
    """Days an actor is paid for work days ``work`` (sorted, distinct)."""
    if not work:
        return 0
    span = work[-1] - work[0] + 1
    if drop_pickup:
        gaps = [b - a - 1 for a, b in zip(work, work[1:], strict=False) if b - a - 1 >= DROP_MIN_GAP_DAYS]
        if gaps:
            span -= max(gaps)
    return span


def day_switches(day: Sequence[Strip]) -> int:
    return 1 if {"D", "N"} <= {s.day_night for s in day} else 0


def evaluate(request: ScheduleRequest, days: Sequence[Sequence[Strip]]) -> CostBreakdown:
    """The request's objective for a board (days of strips). Moves count locations per day - 1;
    a day with day and night scenes is one switch; overtime is hours above normal per day."""
    w = request.weights
    work: dict[int, list[int]] = defaultdict(list)
    moves = switches = 0
    overtime = 0.0
    for d, day in enumerate(days):
        if not day:
            continue
        for a in sorted({a for s in day for a in s.cast}):
            work[a].append(d)
        moves += len({s.location for s in day}) - 1
        switches += day_switches(day)
        hours = sum(_minutes(s) for s in day) / 60
        overtime += max(0.0, hours - w.normal_hours)
    pay_days = {a: _pay_days(ds, request.drop_pickup) for a, ds in sorted(work.items())}
    pay = sum(request.cast_pay.get(a, 0) * n for a, n in pay_days.items())
    used = [d for d, day in enumerate(days) if day]
    n_days = (used[-1] + 1) if used else 0
    return CostBreakdown(pay, pay_days, {a: len(ds) for a, ds in work.items()}, moves, moves * w.company_move,
                         switches, switches * w.day_night_switch, round(overtime, 4),
                         overtime * w.overtime_hour, n_days, n_days * w.shoot_day)


def _minutes(s: Strip) -> int:
    return round(s.hours * 60)


# -- checks before solving ---------------------------------------------------------------------

def allowed_days(request: ScheduleRequest, availability: bool = True, fixed: bool = True) -> dict[str, list[int]]:
    """Days each strip may be shot: cast and location available, the fixed day if any."""
    D = request.days()
    out = {}
    for s in request.strips:
        bad = set(request.location_unavailable.get(s.location, ())) if availability else set()
        for a in s.cast if availability else ():
            bad |= set(request.actor_unavailable.get(a, ()))
        days = [d for d in range(D) if d not in bad]
        if fixed and s.scene_uid in request.fixed_days:
            f = request.fixed_days[s.scene_uid]
            days = [f] if f in days else []
        out[s.scene_uid] = days
    return out


def diagnose(request: ScheduleRequest) -> None:
    """Raise :class:`ScheduleInfeasible` naming the conflict when the request cannot be met."""
    D = request.days()
    problems: list[str] = []
    uids = Counter(s.scene_uid for s in request.strips)
    dup = [u for u, n in uids.items() if n > 1]
    if dup:
        raise ScheduleInfeasible(f"strips share scene_uid {', '.join(dup[:5])}; every strip needs its own id")
    unknown = [u for u in request.fixed_days if u not in uids]
    if unknown:
        raise ScheduleInfeasible(f"fixed_days names unknown scenes {', '.join(unknown[:5])}")
    cap_e, cap_h = request.capacity_eighths, request.capacity_hours
    if not cap_e and not cap_h:
        raise ScheduleInfeasible("set capacity_eighths and/or capacity_hours: a shoot day needs a limit")
    for s in request.strips:
        if cap_e and s.eighths > cap_e:
            problems.append(f"scene {s.number} is {format_eighths(s.eighths)} pages; daily capacity is "
                            f"{format_eighths(cap_e)} pages")
        if cap_h and s.hours > cap_h:
            problems.append(f"scene {s.number} needs {s.hours:g} hours; daily capacity is {cap_h:g} hours")
    for u, f in request.fixed_days.items():
        if not 0 <= f < D:
            problems.append(f"scene {u} is fixed to day {f + 1} but the shoot has {D} days (max_days)")
    allowed = allowed_days(request)
    for s in request.strips:
        if allowed[s.scene_uid]:
            continue
        whom = [f"cast {a}" for a in s.cast if request.actor_unavailable.get(a)]
        if request.location_unavailable.get(s.location):
            whom.append(f"location {s.location}")
        if s.scene_uid in request.fixed_days and 0 <= request.fixed_days[s.scene_uid] < D:
            f = request.fixed_days[s.scene_uid]
            blockers = [f"cast {a}" for a in s.cast if f in request.actor_unavailable.get(a, ())]
            if f in request.location_unavailable.get(s.location, ()):
                blockers.append(f"location {s.location}")
            problems.append(f"scene {s.number} is fixed to day {f + 1}, when {', '.join(blockers)} "
                            "is unavailable")
        else:
            problems.append(f"scene {s.number}: no day in 1..{D} on which {', '.join(whom)} are all available")
    total_e = sum(s.eighths for s in request.strips)
    if cap_e and total_e > D * cap_e:
        problems.append(f"{format_eighths(total_e)} pages need more than {D} days at {format_eighths(cap_e)} "
                        "pages a day (raise max_days or capacity)")
    total_h = sum(s.hours for s in request.strips)
    if cap_h and total_h > D * cap_h:
        problems.append(f"{total_h:g} hours of work need more than {D} days at {cap_h:g} hours a day")
    by_day: dict[int, list[Strip]] = defaultdict(list)
    for s in request.strips:
        if s.scene_uid in request.fixed_days:
            by_day[request.fixed_days[s.scene_uid]].append(s)
    for d, ss in sorted(by_day.items()):
        e = sum(s.eighths for s in ss)
        if cap_e and e > cap_e:
            problems.append(f"scenes {', '.join(s.number for s in ss)} are fixed to day {d + 1}: "
                            f"{format_eighths(e)} pages, over the daily capacity of {format_eighths(cap_e)}")
        if request.turnaround_after(d) and any(s.day_night == "N" for s in ss):
            nxt = [s for s in by_day.get(d + 1, []) if s.day_night == "D"]
            if nxt:
                problems.append(f"night turnaround: day {d + 1} has fixed night work and day {d + 2} fixed day "
                                f"scene(s) {', '.join(s.number for s in nxt)}")
    if problems:
        raise ScheduleInfeasible("; ".join(problems))


# -- warm start: the talent order cut into days --------------------------------------------------

def talent_order(strips: Sequence[Strip], cast_pay: dict[int, float], seconds: float = 1.0) -> list[int]:
    """Strips ordered to keep cast spans short (the talent problem with eighths as durations)."""
    cast_ids = sorted({a for s in strips for a in s.cast})
    if not cast_ids:
        return list(range(len(strips)))
    inst = talent.TalentInstance(
        "board", tuple(tuple(int(a in s.cast) for s in strips) for a in cast_ids),
        tuple(max(0, round(cast_pay.get(a, 0))) for a in cast_ids), tuple(max(1, s.eighths) for s in strips))
    return _local_order(inst, talent._order_costs(inst), seconds)


def _local_order(inst: talent.TalentInstance, total, seconds: float) -> list[int]:
    """Local search over merged casts, greedy start (the talent module's moves, no bound)."""
    import numpy as np

    groups = talent.merge_identical(inst)
    acts = [inst.scene_actors(g[0]) for g in groups]
    pay = [sum(inst.cost[a] for a in c) for c in acts]
    remaining = list(range(len(groups)))
    seq = [max(remaining, key=lambda k: pay[k])]
    remaining.remove(seq[0])
    on = set(acts[seq[0]])
    while remaining:
        k = max(remaining, key=lambda k: (sum(inst.cost[a] for a in acts[k] & on), -pay[k]))
        seq.append(k)
        remaining.remove(k)
        on |= acts[k]

    def expand(s):
        return np.array([i for k in s for i in groups[k]], dtype=np.int64)

    rng = np.random.default_rng(0)
    best, best_c = list(seq), total(expand(seq))
    t0 = time.perf_counter()
    n = len(groups)
    # A fixed number of moves (same seed, same order on any machine: boards and papermill runs are
    # reproducible); ``seconds`` only guards a very slow machine.
    for _ in range(3000 + 100 * n if n > 1 else 0):
        if time.perf_counter() - t0 > seconds:
            break
        i, j = rng.integers(0, n, size=2)
        if i == j:
            continue
        cand = list(best)
        cand.insert(int(j), cand.pop(int(i)))
        c = total(expand(cand))
        if c <= best_c:
            best, best_c = cand, c
    return expand(best).tolist()


def greedy_board(request: ScheduleRequest, order: Sequence[int] | None = None) -> list[list[Strip]] | None:
    """Fill days in turn from the talent order, preferring the day's location and light; respects
    capacity, availability, fixed days and night turnaround. None when it paints itself into a corner."""
    strips = request.strips
    order = list(order) if order is not None else talent_order(strips, request.cast_pay)
    board = _greedy_cut(request, order)
    if board is None:  # day work first, nights last: the turnaround cannot block the cut
        board = _greedy_cut(request, sorted(order, key=lambda k: strips[k].day_night == "N"))
    return board


def _greedy_cut(request: ScheduleRequest, order: list[int]) -> list[list[Strip]] | None:
    strips = request.strips
    D = request.days()
    allowed = {u: set(v) for u, v in allowed_days(request).items()}
    rank = {k: r for r, k in enumerate(order)}
    left = sorted(range(len(strips)), key=lambda k: rank[k])
    cap_e = request.capacity_eighths or 10**9
    cap_m = round(request.capacity_hours * 60) if request.capacity_hours else 10**9
    days: list[list[Strip]] = []
    prev_night = False
    for d in range(D):
        if not left:
            break
        day: list[int] = []
        e = m = 0
        # Strips that must be shot today, or whose last possible day is today, go first.
        urgent = [k for k in left if max(allowed[strips[k].scene_uid], default=-1) == d]
        cands = urgent + [k for k in left if k not in urgent]
        # First pass keeps the day at its locations; the second fills what capacity is left.
        for strict in (True, False):
            for k in cands:
                s = strips[k]
                if k in day or d not in allowed[s.scene_uid]:
                    continue
                if e + s.eighths > cap_e or m + _minutes(s) > cap_m:
                    continue
                if prev_night and request.turnaround_after(d - 1) and s.day_night == "D":
                    continue
                if strict and day and k not in urgent and s.location not in {strips[j].location for j in day}:
                    continue
                day.append(k)
                e += s.eighths
                m += _minutes(s)
        left = [k for k in left if k not in day]
        days.append(order_within_day([strips[k] for k in day]))
        prev_night = any(strips[k].day_night == "N" for k in day)
    if left:
        return None
    return days


def board_feasible(request: ScheduleRequest, days: Sequence[Sequence[Strip]]) -> bool:
    """Whether a board keeps every hard rule: allowed days (availability, fixed days), capacity,
    and the night-to-day turnaround."""
    allowed = {u: set(v) for u, v in allowed_days(request).items()}
    cap_e = request.capacity_eighths or 10**9
    cap_m = round(request.capacity_hours * 60) if request.capacity_hours else 10**9
    if len(days) > request.days():
        return False
    for d, day in enumerate(days):
        if any(d not in allowed[s.scene_uid] for s in day):
            return False
        if sum(s.eighths for s in day) > cap_e or sum(_minutes(s) for s in day) > cap_m:
            return False
        if (d + 1 < len(days) and request.turnaround_after(d) and any(s.day_night == "N" for s in day)
                and any(s.day_night == "D" for s in days[d + 1])):
            return False
    return True


def close_gaps(request: ScheduleRequest, days: Sequence[Sequence[Strip]]) -> list[list[Strip]]:
    """Drop empty days inside the board (later days move one earlier) wherever the rules allow it and
    the cost does not rise: a board cut short by the time limit can leave a hole that only pays holds."""
    board = [list(day) for day in days]
    while board and not board[-1]:
        board.pop()
    d = 0
    while d < len(board):
        if board[d]:
            d += 1
            continue
        trial = board[:d] + board[d + 1:]
        if board_feasible(request, trial) and evaluate(request, trial).total <= evaluate(request, board).total:
            board = trial
        else:
            d += 1
    return board


def order_within_day(day: Sequence[Strip]) -> list[Strip]:
    """Shooting order inside a day: day scenes before night scenes, each location in one block."""
    first_seen: dict[str, int] = {}
    for k, s in enumerate(day):
        first_seen.setdefault(s.location, k)
    light = {"D": 0, "": 1, "N": 2}
    return sorted(day, key=lambda s: (light[s.day_night], first_seen[s.location], s.set))


def improve_board(request: ScheduleRequest, days: Sequence[Sequence[Strip]], seconds: float = 2.0,
                  seed: int = 0) -> list[list[Strip]]:
    """Local search on a feasible board: move one strip to another day or swap two strips, keeping
    capacity, availability, fixed days and turnaround; accept what does not raise the cost (and,
    rarely, a rise to leave a plateau); return the best board seen. Costs are updated incrementally,
    per actor and day; moves that pull an actor's first or last strip into their span come first."""
    import numpy as np

    strips = request.strips
    D = request.days()
    w = request.weights
    idx = {s.scene_uid: k for k, s in enumerate(strips)}
    allowed = {idx[u]: v for u, v in allowed_days(request).items()}
    day_of = np.full(len(strips), -1, dtype=np.int64)
    for d, day in enumerate(days):
        for s in day:
            day_of[idx[s.scene_uid]] = d
    if (day_of < 0).any() or len(days) > D:
        raise Invalid("improve_board needs a complete board within max_days")
    cast_ids = sorted({a for s in strips for a in s.cast})
    arow = {a: r for r, a in enumerate(cast_ids)}
    rate = np.array([request.cast_pay.get(a, 0) for a in cast_ids], dtype=float)
    cnt = np.zeros((len(cast_ids), D), dtype=np.int64)
    eighths = np.zeros(D, dtype=np.int64)
    minutes = np.zeros(D, dtype=np.int64)
    locs: list[Counter[str]] = [Counter() for _ in range(D)]
    light: list[Counter[str]] = [Counter() for _ in range(D)]
    n_on = np.zeros(D, dtype=np.int64)  # strips per day, for the last day used (shoot-day cost)
    e_of = [s.eighths for s in strips]
    m_of = [_minutes(s) for s in strips]
    rows = [[arow[a] for a in s.cast] for s in strips]
    for k, d in enumerate(day_of):
        cnt[rows[k], d] += 1
        eighths[d] += e_of[k]
        minutes[d] += m_of[k]
        locs[d][strips[k].location] += 1
        light[d][strips[k].day_night] += 1
        n_on[d] += 1
    cap_e = request.capacity_eighths or 10**9
    cap_m = round(request.capacity_hours * 60) if request.capacity_hours else 10**9
    normal = w.normal_hours * 60

    def actor_pay(r: int) -> float:
        work = np.flatnonzero(cnt[r])
        return rate[r] * _pay_days(work.tolist(), request.drop_pickup) if work.size else 0.0

    def day_cost(d: int) -> float:
        if not eighths[d] and not locs[d]:
            return 0.0
        nloc = sum(1 for v in locs[d].values() if v)
        sw = 1 if light[d]["D"] and light[d]["N"] else 0
        return (max(0, nloc - 1) * w.company_move + sw * w.day_night_switch
                + max(0.0, minutes[d] - normal) / 60 * w.overtime_hour)

    def length_cost() -> float:
        used = np.flatnonzero(n_on)
        return (int(used[-1]) + 1) * w.shoot_day if used.size and w.shoot_day else 0.0

    def night_ok(d: int) -> bool:
        if not request.night_turnaround:
            return True
        if d > 0 and light[d - 1]["N"] and light[d]["D"] and request.turnaround_after(d - 1):
            return False
        return not (d + 1 < D and light[d]["N"] and light[d + 1]["D"] and request.turnaround_after(d))

    def shift(k: int, d_from: int, d_to: int) -> None:
        s = strips[k]
        cnt[rows[k], d_from] -= 1
        cnt[rows[k], d_to] += 1
        eighths[d_from] -= e_of[k]
        eighths[d_to] += e_of[k]
        minutes[d_from] -= m_of[k]
        minutes[d_to] += m_of[k]
        locs[d_from][s.location] -= 1
        locs[d_to][s.location] += 1
        light[d_from][s.day_night] -= 1
        light[d_to][s.day_night] += 1
        n_on[d_from] -= 1
        n_on[d_to] += 1
        day_of[k] = d_to

    def apply(moves: list[tuple[int, int]]) -> float | None:
        """Do the moves (strip, new day); return the cost change, or None (undone) if infeasible."""
        touched_days = {int(day_of[k]) for k, _ in moves} | {d for _, d in moves}
        touched_rows = sorted({r for k, _ in moves for r in rows[k]})
        before = (sum(day_cost(d) for d in touched_days) + sum(actor_pay(r) for r in touched_rows)
                  + length_cost())
        undo = [(k, int(day_of[k])) for k, _ in moves]
        for k, d in moves:
            shift(k, int(day_of[k]), d)
        ok = all(eighths[d] <= cap_e and minutes[d] <= cap_m and night_ok(d) for d in touched_days)
        if not ok:
            for k, d in reversed(undo):
                shift(k, int(day_of[k]), d)
            return None
        return (sum(day_cost(d) for d in touched_days) + sum(actor_pay(r) for r in touched_rows)
                + length_cost() - before)

    rng = np.random.default_rng(seed)
    rate_p = rate / rate.sum() if rate.sum() > 0 else None

    def by_day(d: int) -> list[int]:
        return np.flatnonzero(day_of == d).tolist()

    movable = [k for k in range(len(strips)) if len(allowed[k]) > 1]
    t0 = time.perf_counter()
    n_moves = 0
    current = best_cost = evaluate(request, days).total
    best_day_of = day_of.copy()
    while movable and time.perf_counter() - t0 < seconds:
        k = movable[int(rng.integers(len(movable)))]
        u = rng.random()
        if u < 0.5 and rate_p is not None:
            # Targeted: pull an actor's first or last strip into the rest of their span.
            r = int(rng.choice(len(cast_ids), p=rate_p))
            work = np.flatnonzero(cnt[r])
            if work.size < 2:
                continue
            edge = int(work[0] if rng.random() < 0.5 else work[-1])
            mine = [j for j in by_day(edge) if r in rows[j] and len(allowed[j]) > 1]
            if not mine:
                continue
            k = mine[int(rng.integers(len(mine)))]
            d = int(work[int(rng.integers(work.size))])
            if d == edge or d not in allowed[k]:
                continue
            others = [j for j in by_day(d) if edge in allowed[j] and r not in rows[j]]
            if others and rng.random() < 0.7:
                j = others[int(rng.integers(len(others)))]
                moves = [(k, d), (j, edge)]
            else:
                moves = [(k, d)]
        elif u < 0.75:
            d = allowed[k][int(rng.integers(len(allowed[k])))]
            if d == day_of[k]:
                continue
            moves = [(k, d)]
        else:
            j = movable[int(rng.integers(len(movable)))]
            dk, dj = int(day_of[k]), int(day_of[j])
            if dk == dj or dj not in allowed[k] or dk not in allowed[j]:
                continue
            moves = [(k, dj), (j, dk)]
        undo = [(k2, int(day_of[k2])) for k2, _ in moves]
        delta = apply(moves)
        n_moves += 1
        if delta is None:
            continue
        if delta > 0 and rng.random() > 0.02:
            for k2, d in reversed(undo):
                shift(k2, int(day_of[k2]), d)
            continue
        current += delta
        if current < best_cost - 1e-9:
            best_cost, best_day_of = current, day_of.copy()
    out: list[list[Strip]] = [[] for _ in range(D)]
    for k, d in enumerate(best_day_of):
        out[int(d)].append(strips[k])
    while out and not out[-1]:
        out.pop()
    return [order_within_day(day) for day in out]


# -- CP-SAT ---------------------------------------------------------------------------------

def talent_bound(request: ScheduleRequest) -> float:
    """A proven lower bound on cast pay: the talent optimum (eighths as durations, relaxed to a
    subset of actors) divided by the daily capacity, and each actor's own work days; plus the
    shoot-day cost of the fewest days the work needs."""
    cap_e = request.capacity_eighths
    per_actor = 0.0
    work_e: dict[int, int] = defaultdict(int)
    work_m: dict[int, int] = defaultdict(int)
    for s in request.strips:
        for a in s.cast:
            work_e[a] += s.eighths
            work_m[a] += _minutes(s)
    for a in work_e:
        need = 1
        if cap_e:
            need = max(need, math.ceil(work_e[a] / cap_e))
        if request.capacity_hours:
            need = max(need, math.ceil(work_m[a] / round(request.capacity_hours * 60)))
        per_actor += request.cast_pay.get(a, 0) * need
    days = min_days(request) * request.weights.shoot_day  # an independent term of the objective
    if not cap_e or request.drop_pickup or not work_e:
        return per_actor + days
    cast_ids = sorted(work_e)
    inst = talent.TalentInstance(
        "board", tuple(tuple(int(a in s.cast) for s in request.strips) for a in cast_ids),
        tuple(max(0, math.floor(request.cast_pay.get(a, 0))) for a in cast_ids),
        tuple(max(1, s.eighths) for s in request.strips))
    relaxed = talent.lower_bound(inst, max_groups=16) / cap_e
    return max(per_actor, relaxed) + days


def min_days(request: ScheduleRequest) -> int:
    """Fewest shoot days any board needs: the work over the daily capacity (and the latest fixed day)."""
    need = 1 if request.strips else 0
    if request.capacity_eighths:
        need = max(need, math.ceil(sum(s.eighths for s in request.strips) / request.capacity_eighths))
    if request.capacity_hours:
        need = max(need, math.ceil(sum(s.hours for s in request.strips) / request.capacity_hours))
    return max([need, *(d + 1 for d in request.fixed_days.values())])


def _build(request: ScheduleRequest, allowed: dict[str, list[int]], drop_groups: frozenset[str] = frozenset()):
    from ortools.sat.python import cp_model

    strips = request.strips
    D = request.days()
    w = request.weights
    model = cp_model.CpModel()
    if drop_groups & {"availability", "fixed"}:
        allowed = allowed_days(request, "availability" not in drop_groups, "fixed" not in drop_groups)
    x: dict[tuple[int, int], object] = {}
    for k, s in enumerate(strips):
        vs = []
        for d in allowed[s.scene_uid]:
            x[k, d] = model.NewBoolVar(f"x{k}_{d}")
            vs.append(x[k, d])
        model.AddExactlyOne(vs)
    on_day: dict[int, list[int]] = defaultdict(list)
    for k, d in x:
        on_day[d].append(k)
    if "capacity" not in drop_groups:
        for d, ks in on_day.items():
            if request.capacity_eighths:
                model.Add(sum(strips[k].eighths * x[k, d] for k in ks) <= request.capacity_eighths)
            if request.capacity_hours:
                model.Add(sum(_minutes(strips[k]) * x[k, d] for k in ks) <= round(request.capacity_hours * 60))
    objective = []
    # Cast: work, started, still to work, paid.
    cast_ids = sorted({a for s in strips for a in s.cast})
    for a in cast_ids:
        ks = [k for k, s in enumerate(strips) if a in s.cast]
        work = []
        for d in range(D):
            xs = [x[k, d] for k in ks if (k, d) in x]
            if not xs:
                work.append(None)
                continue
            wv = model.NewBoolVar(f"w{a}_{d}")
            model.AddMaxEquality(wv, xs)
            work.append(wv)
        days_with = [d for d in range(D) if work[d] is not None]
        if not days_with:
            continue
        lo, hi = days_with[0], days_with[-1]
        started, pending, paid = {}, {}, {}
        for d in range(lo, hi + 1):
            started[d] = model.NewBoolVar(f"b{a}_{d}")
            pending[d] = model.NewBoolVar(f"e{a}_{d}")
            if work[d] is not None:
                model.AddImplication(work[d], started[d])
                model.AddImplication(work[d], pending[d])
            if d > lo:
                model.AddImplication(started[d - 1], started[d])
                model.AddImplication(pending[d], pending[d - 1])
        drop = {}
        if request.drop_pickup and "drop" not in drop_groups and hi - lo - 1 >= DROP_MIN_GAP_DAYS:
            begin = {}
            for d in range(lo + 1, hi):
                drop[d] = model.NewBoolVar(f"dr{a}_{d}")
                if work[d] is not None:
                    model.AddImplication(drop[d], work[d].Not())
            for d in range(lo + 1, hi):
                begin[d] = model.NewBoolVar(f"db{a}_{d}")
                prev = drop.get(d - 1)
                if prev is None:
                    model.Add(begin[d] >= drop[d])
                else:
                    model.Add(begin[d] >= drop[d] - prev)
                if d + DROP_MIN_GAP_DAYS - 1 >= hi:
                    model.Add(begin[d] == 0)
                else:
                    for t in range(d, d + DROP_MIN_GAP_DAYS):
                        model.AddImplication(begin[d], drop[t])
            model.Add(sum(begin.values()) <= 1)
        pay = round(request.cast_pay.get(a, 0) * _SCALE)
        for d in range(lo, hi + 1):
            paid[d] = model.NewBoolVar(f"p{a}_{d}")
            # Paid from the first to the last work day, unless dropped that day.
            model.AddBoolOr([paid[d], started[d].Not(), pending[d].Not(), *([drop[d]] if d in drop else [])])
            if work[d] is not None:
                model.AddImplication(work[d], paid[d])
            if pay:
                objective.append(pay * paid[d])
        # Redundant, for the LP bound: the paid days cover the work at capacity. (First/last day
        # variables for the span were tried too: same bound, worse boards in the same time.)
        need = 1
        if request.capacity_eighths and "capacity" not in drop_groups:
            need = math.ceil(sum(strips[k].eighths for k in ks) / request.capacity_eighths)
        model.Add(sum(paid.values()) >= need)
    # Locations, light, overtime per day.
    locs = sorted({s.location for s in strips})
    has_d, has_n = {}, {}
    for d in range(D):
        ks = on_day.get(d, [])
        if not ks:
            continue
        used = model.NewBoolVar(f"u{d}")
        model.AddMaxEquality(used, [x[k, d] for k in ks])
        if w.company_move:
            at = []
            for loc in locs:
                xs = [x[k, d] for k in ks if strips[k].location == loc]
                if xs:
                    v = model.NewBoolVar(f"l{d}_{loc}")
                    model.AddMaxEquality(v, xs)
                    at.append(v)
            if len(at) > 1:
                mv = model.NewIntVar(0, len(at) - 1, f"mv{d}")
                model.Add(mv >= sum(at) - used)
                objective.append(round(w.company_move * _SCALE) * mv)
        for light, store in (("D", has_d), ("N", has_n)):
            xs = [x[k, d] for k in ks if strips[k].day_night == light]
            if xs:
                v = model.NewBoolVar(f"{light}{d}")
                model.AddMaxEquality(v, xs)
                store[d] = v
        if d in has_d and d in has_n and w.day_night_switch:
            sw = model.NewBoolVar(f"sw{d}")
            model.AddBoolOr([sw, has_d[d].Not(), has_n[d].Not()])
            objective.append(round(w.day_night_switch * _SCALE) * sw)
        if w.overtime_hour:
            total_m = sum(_minutes(strips[k]) for k in ks)
            normal = round(w.normal_hours * 60)
            if total_m > normal:
                ot = model.NewIntVar(0, total_m - normal, f"ot{d}")
                model.Add(ot >= sum(_minutes(strips[k]) * x[k, d] for k in ks) - normal)
                objective.append(round(w.overtime_hour) * ot)  # per minute at 1/60 of the hourly rate
    if w.shoot_day:
        last = model.NewIntVar(0, D, "last_day")
        for (_k, d), v in x.items():
            model.Add(last >= d + 1).OnlyEnforceIf(v)
        objective.append(round(w.shoot_day * _SCALE) * last)
    if request.night_turnaround and "turnaround" not in drop_groups:
        for d in range(D - 1):
            if d in has_n and d + 1 in has_d and request.turnaround_after(d):
                model.AddBoolOr([has_n[d].Not(), has_d[d + 1].Not()])
    model.Minimize(sum(objective))
    return model, x


_GROUPS = {"availability": "actor/location availability", "fixed": "fixed days", "capacity": "daily capacity",
           "turnaround": "night turnaround"}


def _explain(request: ScheduleRequest, allowed: dict[str, list[int]]) -> str:
    """Name the constraint groups whose removal makes the request feasible."""
    from ortools.sat.python import cp_model

    culprits = []
    for g in _GROUPS:
        model, _ = _build(request, allowed, frozenset({g}))
        model.ClearObjective()
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(1.0, request.time_limit_s / 8)
        solver.parameters.num_workers = request.workers
        if solver.Solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            culprits.append(_GROUPS[g])
    if culprits:
        return "no board meets the request; it becomes feasible without: " + " or ".join(culprits)
    return "no board meets the request, even with any one group of constraints removed; raise max_days"


def solve_schedule(request: ScheduleRequest) -> Schedule:
    """Assign strips to days and order each day; CP-SAT with a greedy warm start."""
    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    diagnose(request)
    allowed = allowed_days(request)
    strips = request.strips
    order = talent_order(strips, request.cast_pay, seconds=max(1.0, request.time_limit_s / 4))
    hint = greedy_board(request, order)
    if hint is not None:
        ls_budget = min(0.3 * request.time_limit_s, 0.05 * len(strips))
        best = improve_board(request, hint, seconds=ls_budget, seed=request.seed)
        hint = best if evaluate(request, best).total <= evaluate(request, hint).total else hint
    model, x = _build(request, allowed)
    if hint is not None:
        day_of = {s.scene_uid: d for d, day in enumerate(hint) for s in day}
        for (k, d), v in x.items():
            model.AddHint(v, day_of[strips[k].scene_uid] == d)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.5, 0.9 * request.time_limit_s - (time.perf_counter() - t0))
    solver.parameters.num_workers = request.workers
    solver.parameters.random_seed = request.seed
    status = solver.Solve(model)
    name = solver.StatusName(status)
    if status == cp_model.INFEASIBLE:
        raise ScheduleInfeasible(_explain(request, allowed))
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        assign: dict[int, list[Strip]] = defaultdict(list)
        for (k, d), v in x.items():
            if solver.BooleanValue(v):
                assign[d].append(strips[k])
        D = max(assign) + 1 if assign else 0
        board_order = {k: r for r, k in enumerate(order)}
        idx = {s.scene_uid: k for k, s in enumerate(strips)}
        days = [order_within_day(sorted(assign.get(d, []), key=lambda s: board_order[idx[s.scene_uid]]))
                for d in range(D)]
        cp_bound = solver.BestObjectiveBound() / _SCALE
    elif hint is not None:
        days, cp_bound, name = hint, 0.0, f"{name} (local-search board)"
    else:
        raise ScheduleInfeasible(f"CP-SAT found no board in {request.time_limit_s:g} s ({name}) and the greedy "
                                 "cut failed; raise time_limit_s or max_days")
    if hint is not None and evaluate(request, hint).total < evaluate(request, days).total:
        days = hint
    # Polish CP-SAT's board with the rest of the budget (moves it may not have reached).
    left = min(request.time_limit_s - (time.perf_counter() - t0), 0.05 * len(strips))
    if status != cp_model.OPTIMAL and left > 0.2:
        polished = improve_board(request, days, seconds=left, seed=request.seed + 1)
        if evaluate(request, polished).total < evaluate(request, days).total:
            days = polished
    days = close_gaps(request, days)
    cost = evaluate(request, days)
    tb = talent_bound(request)
    optimal = status == cp_model.OPTIMAL
    lb = cost.total if optimal else min(cost.total, max(cp_bound, tb))
    return Schedule(days, cost, lb, optimal, time.perf_counter() - t0, name, cp_bound, tb)


# -- reports --------------------------------------------------------------------------------

def stripboard(schedule: Schedule) -> list[dict]:
    """Rows of the stripboard: one per strip, and a day break closing each shoot day."""
    rows: list[dict] = []
    for d, day in enumerate(schedule.days):
        for s in day:
            rows.append({"kind": "strip", "day": d + 1, "scene": s.number, "scene_uid": s.scene_uid,
                         "int_ext": s.int_ext, "set": s.set, "day_night": s.day_night,
                         "cast": ",".join(map(str, s.cast)), "pages": format_eighths(s.eighths),
                         "synopsis": s.synopsis})
        eighths = sum(s.eighths for s in day)
        rows.append({"kind": "day_break", "day": d + 1, "eighths": eighths,
                     "text": f"End of Day {d + 1} -- {format_eighths(eighths)} pages"})
    return rows


def compare(a: Schedule, b: Schedule) -> dict:
    """Two boards side by side: cost by term, days, moves, switches, and scenes that changed day."""
    ca, cb = a.cost.to_dict(), b.cost.to_dict()
    da, db = a.day_of(), b.day_of()
    moved = {u: (da[u] + 1, db[u] + 1) for u in sorted(set(da) & set(db)) if da[u] != db[u]}
    return {
        "terms": {k: {"a": ca[k], "b": cb[k], "delta": cb[k] - ca[k]} for k in ca},
        "days": (a.cost.days, b.cost.days),
        "company_moves": (a.cost.company_moves, b.cost.company_moves),
        "day_night_switches": (a.cost.day_night_switches, b.cost.day_night_switches),
        "moved_scenes": moved,
        "only_in_a": sorted(set(da) - set(db)),
        "only_in_b": sorted(set(db) - set(da)),
        "pay_days_delta": {k: b.cost.pay_days.get(k, 0) - a.cost.pay_days.get(k, 0)
                           for k in sorted(set(a.cost.pay_days) | set(b.cost.pay_days))
                           if b.cost.pay_days.get(k, 0) != a.cost.pay_days.get(k, 0)},
    }


def strips_by_uid(strips: Iterable[Strip]) -> dict[str, Strip]:
    return {s.scene_uid: s for s in strips}
