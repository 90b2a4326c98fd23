"""Pre-production over the store: the steps that join stored scripts, breakdowns, schedules and
rate files into the engine's pure functions (tagging, solving, DOOD, budgeting, call sheets).

Why a module of its own: the facade (``ops.py``) stays one checked line per operation, and every
door (Studio, notebooks, benchmarks) runs the same steps. Each function takes the project scope
and what it needs; none checks permissions (the facade did, once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from ..common.errors import Invalid
from ..generation import metering
from ..screenplay.cast import cast_ids_for
from ..scripts import StoredScript, load_analysis
from ..settings import Settings
from ..store import ProjectScope
from . import breakdown_store, budget_store, schedule_store
from .breakdown import Breakdown, tag_script
from .budget import BudgetInputs, BudgetResult
from .calendar import ShootCalendar
from .categories import BACKGROUND, CAST, category_name
from .dood import DayOutOfDays
from .options import BreakdownOptions, BudgetOptions, ScheduleOptions
from .schedule import ScheduleRequest, solve_schedule, strips_from_scenes
from .schedule_store import StoredSchedule

# -- breakdown --------------------------------------------------------------------------------------


def tag_and_save(scope: ProjectScope, settings: Settings, stored: StoredScript,
                 options: BreakdownOptions) -> Breakdown:
    """Tag a stored version (lexicon; embeddings and a chat model when the options say so), store
    the tags, and return them with people's edits applied; the model's problems are in ``notes``."""
    embedder = None
    if options.embeddings:
        from ..generation.embeddings import SentenceEmbedder

        embedder = SentenceEmbedder()
    llm = None
    if options.llm_endpoint:
        from ..generation.text import ChatEndpoint
        from .breakdown_llm import LLMTagModel

        llm = LLMTagModel(ChatEndpoint(options.llm_endpoint, options.llm_model or "", api_key=settings.llm_api_key,
                                       timeout=options.llm_timeout_s))
    tagged = breakdown_store.tag_version(scope, stored.script_id, stored.analysis, stored.version,
                                         embedder=embedder, llm=llm)
    bd = breakdown_store.effective_breakdown(scope, stored.script_id, stored.version)
    bd.notes = [*bd.notes, *tagged.notes, *(llm.problems if llm else [])]
    return bd


def read_breakdown(scope: ProjectScope, script_id: str, script_version: int,
                   stored: StoredScript | None = None) -> Breakdown:
    """A version's breakdown without writing anything: the stored tags with edits applied, or, for a
    version never tagged, the offline lexicon's tags computed now (edits applied, a note saying
    they are not stored yet). The script is parsed only in that second case (``stored`` when the
    caller has it already)."""
    if breakdown_store.is_tagged(scope, script_id, script_version):
        return breakdown_store.effective_breakdown(scope, script_id, script_version)
    from .breakdown import apply_edits

    stored = stored or load_analysis(scope, script_id, script_version)
    bd = apply_edits(tag_script(stored.analysis, scene_uids=stored.scene_uids), breakdown_store.edits(scope, script_id))
    bd.notes = [*bd.notes, f"script {script_id!r} v{script_version} has no stored breakdown yet: these are "
                           "the offline lexicon's tags, computed for this read (`studio breakdown` stores them)"]
    bd.stored = False
    return bd


def breakdown_for_planning(scope: ProjectScope, settings: Settings, stored: StoredScript) -> Breakdown:
    """The breakdown a plan is built on: stored, tagging (and storing) it first when it never was
    and the store is writable."""
    if breakdown_store.is_tagged(scope, stored.script_id, stored.version) or scope.store.read_only:
        return read_breakdown(scope, stored.script_id, stored.version, stored)
    return tag_and_save(scope, settings, stored, BreakdownOptions())


# -- schedule ---------------------------------------------------------------------------------------


def schedule_request(scope: ProjectScope, settings: Settings, stored: StoredScript, bd: Breakdown,
                     options: ScheduleOptions) -> tuple[ScheduleRequest, dict[str, int]]:
    """Strips from the breakdown's cast (cast numbers kept across versions, billing order from the
    script), each actor's day rate (the project's own or the rate card), and the options."""
    sc = stored.analysis.scenes
    if not sc:
        raise Invalid(f"script {stored.script_id!r} v{stored.version} has no scenes to schedule (no scene headings "
                      "such as `INT. KITCHEN - DAY`); add them and ingest it again")
    cast_of: dict[str, list[str]] = {u: [] for u in stored.scene_uids}
    for t in bd.tags:
        if t.category_id == CAST and t.name not in cast_of.setdefault(t.scene_uid, []):
            cast_of[t.scene_uid].append(t.name)
    scenes = [replace(s, speaking=cast_of[u], non_speaking=[]) for s, u in zip(sc, stored.scene_uids, strict=True)]
    billing = cast_ids_for(scenes, stored.analysis.screenplay)  # most scenes, then most speeches
    ranked = sorted(billing, key=billing.__getitem__)
    ids = schedule_store.cast_numbers(scope, stored.script_id, ranked)
    strips = strips_from_scenes(scenes, ids, scene_uids=stored.scene_uids)
    tiers = schedule_store.read_cast_rates(settings.data_file("rates/cast_day_rates.csv"))
    rates = dict(scope.rows("SELECT cast_id, daily_rate FROM {cast_member} WHERE script_id = $s "
                            "AND daily_rate IS NOT NULL", {"s": stored.script_id}))
    pay = {i: float(rates.get(i, schedule_store.rate_for(i, tiers))) for i in ids.values()}
    weights = options.weights or schedule_weights(settings)
    request = ScheduleRequest(strips, pay, options.capacity_eighths, options.capacity_hours, options.max_days,
                              weights, time_limit_s=options.time_limit_s, drop_pickup=options.drop_pickup)
    return request, ids


def schedule_weights(settings: Settings):
    """The schedule's cost weights in force, from ``data/rates/schedule_weights.csv`` (dated, editable)."""
    return schedule_store.read_schedule_weights(settings.data_file("rates/schedule_weights.csv"))


def constrain(request: ScheduleRequest, cal: ShootCalendar, ids: Mapping[str, int], script_id: str,
              script_version: int, *, unavailable: Mapping[str, list[date]] | None = None,
              location_unavailable: Mapping[str, list[date]] | None = None,
              fixed: Mapping[str, date] | None = None) -> None:
    """Put the calendar and the production's constraints on a request, each checked against the
    script: a name not in the cast, a location not in the script or a scene that does not exist is
    refused with the names it could have been."""
    horizon = cal.dates(max(request.days(), 1) + 1)
    # A day off after a shoot day (a weekend, a holiday) gives the 12-hour rest after nights.
    request.rest_after = {d for d in range(len(horizon) - 1) if (horizon[d + 1] - horizon[d]).days > 1}
    ranked = sorted(ids, key=ids.__getitem__)
    for name, days in (unavailable or {}).items():
        if name.upper() not in ids:
            raise Invalid(f"unavailable: {name!r} is not in the cast of {script_id!r} ({', '.join(ranked[:8])}, ...)")
        request.actor_unavailable[ids[name.upper()]] = {cal.day_number(d) - 1 for d in days if d in horizon}
    locations = sorted({s.location for s in request.strips})
    for loc, days in (location_unavailable or {}).items():
        if loc.upper() not in locations:
            raise Invalid(f"location_unavailable: {loc!r} is not a location of {script_id!r} "
                          f"({', '.join(locations[:8])}, ...)")
        request.location_unavailable[loc.upper()] = {cal.day_number(d) - 1 for d in days if d in horizon}
    uid_of = {s.number: s.scene_uid for s in request.strips}
    for number, when in (fixed or {}).items():
        if str(number) not in uid_of:
            raise Invalid(f"fixed: scene {number!r} is not in {script_id!r} v{script_version}")
        request.fixed_days[uid_of[str(number)]] = cal.day_number(when) - 1


def plan_schedule(scope: ProjectScope, settings: Settings, stored: StoredScript, bd: Breakdown,
                  options: ScheduleOptions, cal: ShootCalendar, *, label: str = "", **constraints: Any) -> StoredSchedule:
    """Solve the board and store it as the script's next schedule version (see :func:`constrain`)."""
    request, ids = schedule_request(scope, settings, stored, bd, options)
    constrain(request, cal, ids, stored.script_id, stored.version, **constraints)
    sched = solve_schedule(request)
    v = schedule_store.save_schedule(scope, stored.script_id, stored.version, request, sched, cal, label)
    return schedule_store.load_schedule(scope, stored.script_id, v)


def dood(scope: ProjectScope, stored: StoredSchedule, bd: Breakdown | None,
         categories: tuple[int, ...] = ()) -> DayOutOfDays:
    """Day Out of Days of a stored schedule: cast, plus elements of the breakdown ``categories``
    (e.g. 103 vehicles, 108 animals) booked on the days their scenes shoot."""
    cast_frame = schedule_store.cast_frame(scope, stored.script_id)
    cast = {int(i): c for i, c in cast_frame.select("cast_id", "character").iter_rows()}
    elements: dict[tuple[str, str], set[str]] = {}
    for t in (bd.tags if bd is not None and categories else ()):
        if t.category_id in categories:
            elements.setdefault((category_name(t.category_id), t.name), set()).add(t.scene_uid)
    return schedule_store.dood_for(stored, cast, elements)


# -- budget -----------------------------------------------------------------------------------------


def background_by_day(stored: StoredSchedule, bd: Breakdown) -> dict[str, int]:
    """Extras per shoot day: for each group (PASSENGERS, GUARDS...) the largest count any of the
    day's scenes needs, summed over groups (the same people work every scene of a day)."""
    day_of = stored.schedule.day_of()
    need: dict[int, dict[str, int]] = {}
    for t in bd.tags:
        if t.category_id == BACKGROUND and t.scene_uid in day_of:
            groups = need.setdefault(day_of[t.scene_uid] + 1, {})
            groups[t.name] = max(groups.get(t.name, 0), t.count or 1)
    return {f"Day {d}": sum(g.values()) for d, g in sorted(need.items())}


def budget_inputs(scope: ProjectScope, stored: StoredSchedule, bd: Breakdown, options: BudgetOptions) -> BudgetInputs:
    """What the plan says the budget must pay for: shoot days, each cast member's DOOD paid days at
    the day rate that priced the schedule, location days, background per shoot day, GPU usage."""
    from . import budget as bud

    rates = {str(k): float(v) for k, v in stored.request.get("cast_pay", {}).items()}
    gpu = [bud.GpuUsage(m, g, secs) for m, g, secs, _ in metering.usage_by_model(scope).iter_rows()]
    return bud.inputs_from_plan(stored.schedule.days, dood(scope, stored, None), rates,
                                prep_weeks=options.prep_weeks, wrap_weeks=options.wrap_weeks,
                                background=background_by_day(stored, bd), gpu_usage=gpu)


def plan_budget(scope: ProjectScope, settings: Settings, stored: StoredSchedule, inputs: BudgetInputs,
                options: BudgetOptions, *, title: str, on: date | None = None) -> BudgetResult:
    """The budget of a schedule: the template's lines and the plan-linked lines (cast from the DOOD,
    extras, locations, shoot-day crew and equipment), fringes and rates in force on ``on`` (the
    first shoot day by default), with the project's own overrides."""
    from . import budget as bud

    own = scope.store.project_settings(scope.tenant_id, scope.project_id).get("budget", {})
    return bud.compute(bud.plan_budget(
        inputs, title=title, on=on or stored.dates()[0],
        rates=bud.read_rates(settings.data_file("rates/budget_rates.csv")),
        fringes=bud.read_fringes(settings.data_file("rates/fringes.csv")),
        fringe_overrides=own.get("fringes"), extra_globals=own.get("globals"),
        contingency_pct=options.contingency_pct, overhead_pct=options.overhead_pct, bond_pct=options.bond_pct))


def set_budget_overrides(scope: ProjectScope, settings: Settings, *, fringes: Mapping[str, float] | None = None,
                         globals: Mapping[str, str | float] | None = None) -> dict:
    """Merge the project's own fringe rates and globals, check them, and store them."""
    from . import budget as bud

    store = scope.store
    own = dict(store.project_settings(scope.tenant_id, scope.project_id).get("budget", {}))
    if fringes:
        own["fringes"] = {**own.get("fringes", {}), **fringes}
    if globals:
        own["globals"] = {**own.get("globals", {}), **globals}
    card = bud.read_fringes(settings.data_file("rates/fringes.csv"))
    unknown = sorted(set(own.get("fringes", {})) - {f.code for f in card})
    if unknown:
        raise Invalid(f"unknown fringe code(s) {', '.join(unknown)}; see data/rates/fringes.csv")
    for name, value in own.get("globals", {}).items():
        if isinstance(value, int | float) and value < 0:
            raise Invalid(f"budget override {name} must be >= 0, got {value}")
    store.update_project_settings(scope.tenant_id, scope.project_id, {"budget": own})
    return own


def save_budget(scope: ProjectScope, stored: StoredSchedule, result: BudgetResult, inputs: BudgetInputs,
                label: str) -> budget_store.StoredBudget:
    v = budget_store.save_budget(scope, stored.script_id, stored.version, result, inputs, label)
    return budget_store.load_budget(scope, stored.script_id, v)


def script_title(scope: ProjectScope, script_id: str) -> str:
    row = scope.one("SELECT title FROM {script} WHERE script_id = $s", {"s": script_id})
    return row[0] if row else script_id


__all__ = ["background_by_day", "breakdown_for_planning", "budget_inputs", "constrain", "dood",
           "plan_budget", "plan_schedule", "read_breakdown", "save_budget", "schedule_request", "schedule_weights",
           "script_title", "set_budget_overrides", "tag_and_save"]
