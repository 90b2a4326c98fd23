"""The Studio: one object bound to a store, a tenant and a project; its methods are the
operations of every engine. The CLI, notebooks, dashboards and (later) the API all go through it.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from .characters import service as characters
from .characters import store as character_store
from .generation import jobs as generation_jobs
from .generation import metering
from .management import access
from .management import ops as management_ops
from .management.access import AccessDenied, Principal
from .management.ops import ManagementOps
from .platform import billing, keys
from .platform.ops import PlatformOps
from .preproduction import breakdown_store, budget_store, schedule_store
from .preproduction.breakdown import Breakdown, Edit
from .preproduction.budget import BudgetInputs, BudgetResult
from .preproduction.calendar import ShootCalendar
from .preproduction.categories import CategoryColours
from .preproduction.dood import DayOutOfDays
from .preproduction.schedule import Weights
from .preproduction.schedule_store import StoredSchedule
from .screenplay.analysis import ScriptAnalysis, analyze, load_script
from .screenplay.errors import ScreenplayError
from .screenplay.io import atomic_write
from .screenplay.pagination import layout_for
from .settings import Settings
from .store import Migration, ProjectScope, Store, StoreError
from .writing import develop, scripts, shots_store

#: Every engine's tables, applied when a store opens.
ALL_MIGRATIONS: tuple[Migration, ...] = (*scripts.MIGRATIONS, *breakdown_store.MIGRATIONS,
                                          *schedule_store.MIGRATIONS, *budget_store.MIGRATIONS,
                                          *metering.MIGRATIONS, *generation_jobs.MIGRATIONS,
                                          *character_store.MIGRATIONS, *access.MIGRATIONS, *keys.MIGRATIONS,
                                          *billing.MIGRATIONS, *management_ops.MIGRATIONS,
                                          *shots_store.MIGRATIONS, *develop.MIGRATIONS)


def requires(action: str) -> Callable:
    """Mark a Studio operation with the action it needs; the check runs before the operation does
    anything (management.access.authorize: tenant, then membership, then the role in this project)."""
    if action not in access.ACTIONS:
        raise ValueError(f"unknown action {action!r}")

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def checked(self: Studio, *args: Any, **kwargs: Any) -> Any:
            self._check(action, fn.__name__)
            return fn(self, *args, **kwargs)

        checked.action = action  # type: ignore[attr-defined]
        return checked

    return wrap


class Studio(ManagementOps, PlatformOps):
    """The one service layer: every operation of every engine, each checked against ``user``'s
    permissions in this tenant and project before it runs. ``user`` defaults to the tenant's local
    admin (a notebook or `studio` command on one's own machine); the API passes the key's person."""

    def __init__(self, store: Store, tenant: str, project: str, settings: Settings | None = None,
                 user: Principal | None = None) -> None:
        self.store = store
        self.settings = settings or Settings()
        self.tenant = tenant
        self.project = project
        self.user = user or access.local_admin(tenant)
        #: This tenant's own artifact folder: one tenant's files never sit among another's.
        self.assets_dir = self.settings.assets / tenant
        # Only an admin's Studio creates a missing project; anyone else gets the scope's clear error.
        creates = not store.read_only and self.user.is_admin and self.user.tenant_id == tenant
        self.scope: ProjectScope = store.ensure_project(tenant, project) if creates else store.scope(tenant, project)
        self._runner = None
        self._embedder = None

    def _check(self, action: str, target: str = "") -> None:
        """Raise AccessDenied unless ``self.user`` may do ``action`` here (refusals are audited)."""
        access.authorize(self.store, self.user, action, self.tenant, self.project, target)

    @classmethod
    def open(cls, settings: Settings | None = None, *, project: str | None = None, tenant: str | None = None,
             read_only: bool = False, store_path: str | Path | None = None, user: Principal | None = None) -> Studio:
        s = settings or Settings.from_env()
        path = store_path if store_path is not None else s.store
        if store_path is not None:  # artifacts then live beside this store, not the settings' default one
            s = replace(s, store_path=Path(store_path))
        store = Store.open(path, read_only=read_only, migrations=ALL_MIGRATIONS)
        try:
            return cls(store, tenant or s.tenant, project or s.project, s, user=user)
        except BaseException:
            store.close()
            raise

    def for_project(self, project: str) -> Studio:
        """A Studio on another project of the same tenant and store, sharing the connection; it
        only reads until that project exists (no project is created behind a reader's back)."""
        other = copy.copy(self)
        other.project = project
        other.scope = self.store.scope(self.tenant, project)
        other._runner = None
        other._embedder = None
        return other

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
            self._runner = None
        self.store.close()

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- screenplay -------------------------------------------------------------------------
    def analyze_file(self, path: str | Path, *, encoding: str = "utf-8", paper: str | None = None) -> ScriptAnalysis:
        sp = load_script(path, encoding=encoding, max_bytes=self.settings.max_script_mb * 1024 * 1024)
        return analyze(sp, layout_for(paper or self.settings.paper))

    @requires("script.write")
    def ingest_script(self, path: str | Path, *, script_id: str | None = None, encoding: str = "utf-8",
                      paper: str | None = None) -> scripts.IngestReport:
        """Parse, paginate and store a script as a new version (or nothing, if unchanged)."""
        p = Path(path)
        analysis = self.analyze_file(p, encoding=encoding, paper=paper)
        raw = p.read_bytes()
        fmt = "fdx" if p.suffix.lower() == ".fdx" else "fountain"
        try:
            text = raw.decode("utf-8-sig") if fmt == "fdx" else raw.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError as exc:  # the parser accepted it with another encoding
            raise ScreenplayError(f"cannot store the source text: {exc}", str(p)) from None
        return scripts.ingest(self.scope, analysis, text, source_name=p.name, source_format=fmt, script_id=script_id)

    @requires("project.read")
    def scripts(self) -> pl.DataFrame:
        return self.scope.sql("SELECT script_id, title, created_at FROM {script} ORDER BY script_id")

    @requires("project.read")
    def versions(self, script_id: str | None = None) -> pl.DataFrame:
        return scripts.versions_frame(self.scope, script_id)

    @requires("project.read")
    def scenes(self, script_id: str, version: int | None = None) -> pl.DataFrame:
        return scripts.scenes_frame(self.scope, script_id, version)

    def projects(self) -> pl.DataFrame:
        """The tenant's projects (never another tenant's)."""
        return self.store.projects(self.tenant)

    @requires("project.read")
    def script_id(self, script_id: str | None = None) -> str:
        """The named script, or the project's only one."""
        return script_id or scripts.default_script_id(self.scope)

    @requires("project.read")
    def stored_script(self, script_id: str | None = None, version: int | None = None) -> scripts.StoredScript:
        return scripts.load_analysis(self.scope, self.script_id(script_id), version)

    # -- pre-production: breakdown ------------------------------------------------------------
    @requires("script.write")
    def tag_breakdown(self, script_id: str | None = None, version: int | None = None, *,
                      embeddings: bool = False, llm_endpoint: str | None = None, llm_model: str | None = None,
                      llm_timeout: float = 120.0) -> Breakdown:
        """Tag a stored version automatically (offline lexicon; sentence embeddings for words the
        lexicon lacks when ``embeddings``; a chat model at ``llm_endpoint`` when given, every quote it
        proposes checked against the scene), store the tags, and return them with people's edits applied.
        Scenes the model could not answer for are listed in the returned breakdown's ``notes``."""
        stored = self.stored_script(script_id, version)
        embedder = None
        if embeddings:
            from .generation.embeddings import SentenceEmbedder

            embedder = SentenceEmbedder()
        llm = None
        if llm_endpoint:
            from .generation.text import ChatEndpoint
            from .preproduction.breakdown_llm import LLMTagModel

            if not llm_model:
                raise ValueError("an LLM endpoint needs a model name (the id the server serves, see <endpoint>/models)")
            llm = LLMTagModel(ChatEndpoint(llm_endpoint, llm_model, api_key=self.settings.llm_api_key,
                                           timeout=llm_timeout))
        tagged = breakdown_store.tag_version(self.scope, stored.script_id, stored.analysis, stored.version,
                                             embedder=embedder, llm=llm)
        bd = breakdown_store.effective_breakdown(self.scope, stored.script_id, stored.version)
        bd.notes = [*bd.notes, *tagged.notes, *(llm.problems if llm else [])]
        return bd

    @requires("project.read")
    def breakdown(self, script_id: str | None = None, version: int | None = None) -> Breakdown:
        """The stored breakdown of a version (tagging it first if it never was), edits applied."""
        sid = self.script_id(script_id)
        v = version or scripts.latest_version(self.scope, sid)
        if self.scope.one("SELECT count(*) FROM {breakdown_tag} WHERE script_id = $s AND version = $v",
                          {"s": sid, "v": v})[0] == 0:
            if self.store.read_only:
                raise StoreError(f"script {sid!r} v{v} has no breakdown yet; run `studio breakdown` as the writer")
            return self.tag_breakdown(sid, v)
        return breakdown_store.effective_breakdown(self.scope, sid, v)

    @requires("project.read")
    def category_colours(self) -> CategoryColours:
        """The project's breakdown colours: the traditional defaults with the project's overrides."""
        return CategoryColours(self.store.project_settings(self.tenant, self.project).get("category_colours", {}))

    @requires("script.write")
    def set_category_colours(self, colours: dict[int, str]) -> CategoryColours:
        """Override category colours for this project's sheets and boards (checked before storing)."""
        merged = {**self.category_colours().overrides, **{int(k): v for k, v in colours.items()}}
        checked = CategoryColours(merged)
        self.store.update_project_settings(self.tenant, self.project,
                                           {"category_colours": {str(k): v for k, v in checked.overrides.items()}})
        return checked

    @requires("script.write")
    def edit_breakdown(self, edit: Edit, script_id: str | None = None) -> int:
        """Record a person's correction (add, remove, merge, recategorise); it survives new drafts."""
        return breakdown_store.add_edit(self.scope, self.script_id(script_id), edit)

    # -- pre-production: schedule and Day Out of Days ------------------------------------------------
    @requires("schedule.write")
    def plan_schedule(self, script_id: str | None = None, version: int | None = None, *,
                      start: date | None = None, capacity_eighths: int | None = 40,
                      capacity_hours: float | None = None, weights: Weights | None = None,
                      time_limit: float = 20.0, unavailable: dict[str, list[date]] | None = None,
                      fixed: dict[str, date] | None = None, calendar: ShootCalendar | None = None,
                      location_unavailable: dict[str, list[date]] | None = None,
                      drop_pickup: bool = False, max_days: int = 0, label: str = "") -> StoredSchedule:
        """Strips from the breakdown, an optimised board (cast pay with holds, company moves, day/night
        switches, overtime), stored as a new schedule version. ``unavailable`` maps a character to
        dates they cannot work; ``location_unavailable`` maps a location (the part of the set before
        " - ", e.g. "NIGHT TRAIN") to dates it cannot be had; ``fixed`` maps a scene number to the date
        it must shoot."""
        from .preproduction.schedule import ScheduleRequest, cast_ids_for, solve_schedule, strips_from_scenes

        stored = self.stored_script(script_id, version)
        sid, sc = stored.script_id, stored.analysis.scenes
        bd = self.breakdown(sid, stored.version)
        cast_of: dict[str, list[str]] = {u: [] for u in stored.scene_uids}
        for t in bd.tags:
            if t.category_id == 100 and t.name not in cast_of.setdefault(t.scene_uid, []):
                cast_of[t.scene_uid].append(t.name)
        scenes = [replace(s, speaking=cast_of[u], non_speaking=[]) for s, u in zip(sc, stored.scene_uids, strict=True)]
        billing = cast_ids_for(scenes, stored.analysis.screenplay)  # most scenes, then most speeches
        ranked = sorted(billing, key=billing.__getitem__)
        ids = schedule_store.cast_numbers(self.scope, sid, ranked)
        strips = strips_from_scenes(scenes, ids, scene_uids=stored.scene_uids)
        cal = calendar or ShootCalendar(start or date.today())
        tiers = schedule_store.read_cast_rates(self.settings.data_file("rates/cast_day_rates.csv"))
        rates = dict(self.scope.rows("SELECT cast_id, daily_rate FROM {cast_member} WHERE script_id = $s "
                                     "AND daily_rate IS NOT NULL", {"s": sid}))
        pay = {i: float(rates.get(i, schedule_store.rate_for(i, tiers))) for i in ids.values()}
        weights = weights or self.default_weights()
        request = ScheduleRequest(strips, pay, capacity_eighths, capacity_hours, max_days, weights,
                                  time_limit=time_limit, drop_pickup=drop_pickup)
        horizon = cal.dates(max(request.days(), 1) + 1)
        # A day off after a shoot day (a weekend, a holiday) gives the 12-hour rest after nights.
        request.rest_after = {d for d in range(len(horizon) - 1) if (horizon[d + 1] - horizon[d]).days > 1}
        for name, days in (unavailable or {}).items():
            if name.upper() not in ids:
                raise ValueError(f"unavailable: {name!r} is not in the cast of {sid!r} ({', '.join(ranked[:8])}, ...)")
            request.actor_unavailable[ids[name.upper()]] = {cal.day_number(d) - 1 for d in days if d in horizon}
        locations = sorted({s.location for s in strips})
        for loc, days in (location_unavailable or {}).items():
            if loc.upper() not in locations:
                raise ValueError(f"location_unavailable: {loc!r} is not a location of {sid!r} "
                                 f"({', '.join(locations[:8])}, ...)")
            request.location_unavailable[loc.upper()] = {cal.day_number(d) - 1 for d in days if d in horizon}
        uid_of = {s.number: s.scene_uid for s in strips}
        for number, when in (fixed or {}).items():
            if str(number) not in uid_of:
                raise ValueError(f"fixed: scene {number!r} is not in {sid!r} v{stored.version}")
            request.fixed_days[uid_of[str(number)]] = cal.day_number(when) - 1
        sched = solve_schedule(request)
        v = schedule_store.save_schedule(self.scope, sid, stored.version, request, sched, cal, label)
        return schedule_store.load_schedule(self.scope, sid, v)

    @requires("project.read")
    def schedule(self, script_id: str | None = None, version: int | None = None) -> StoredSchedule:
        return schedule_store.load_schedule(self.scope, self.script_id(script_id), version)

    @requires("project.read")
    def schedules(self, script_id: str | None = None) -> pl.DataFrame:
        return schedule_store.schedules_frame(self.scope, self.script_id(script_id))

    @requires("project.read")
    def stripboard(self, script_id: str | None = None, version: int | None = None) -> pl.DataFrame:
        return schedule_store.strips_frame(self.scope, self.script_id(script_id), version)

    @requires("project.read")
    def cast(self, script_id: str | None = None) -> pl.DataFrame:
        return schedule_store.cast_frame(self.scope, self.script_id(script_id))

    @requires("project.read")
    def compare_schedules(self, a: int, b: int, script_id: str | None = None) -> dict:
        from .preproduction.schedule import compare

        sid = self.script_id(script_id)
        return compare(self.schedule(sid, a).schedule, self.schedule(sid, b).schedule)

    @requires("project.read")
    def dood(self, script_id: str | None = None, version: int | None = None, *,
             categories: tuple[int, ...] = ()) -> DayOutOfDays:
        """Day Out of Days of a stored schedule: cast, plus elements of the breakdown ``categories``
        (e.g. 103 vehicles, 108 animals) booked on the days their scenes shoot."""
        from .preproduction.categories import category_name

        stored = self.schedule(script_id, version)
        cast = {int(i): c for i, c in self.cast(stored.script_id).select("cast_id", "character").iter_rows()}
        elements: dict[tuple[str, str], set[str]] = {}
        if categories:
            for t in self.breakdown(stored.script_id, stored.script_version).tags:
                if t.category_id in categories:
                    elements.setdefault((category_name(t.category_id), t.name), set()).add(t.scene_uid)
        return schedule_store.dood_for(stored, cast, elements)

    @requires("project.read")
    def default_weights(self) -> Weights:
        """The schedule's cost weights from ``data/rates/schedule_weights.csv`` (dated, editable)."""
        return schedule_store.read_schedule_weights(self.settings.data_file("rates/schedule_weights.csv"))

    # -- pre-production: budget and call sheets ------------------------------------------------------
    @requires("budget.read")
    def budget_inputs(self, script_id: str | None = None, version: int | None = None, *, prep_weeks: float = 4,
                      wrap_weeks: float = 2) -> BudgetInputs:
        """What the plan says the budget must pay for: shoot days, each cast member's DOOD paid days at
        the day rate that priced the schedule, location days, background per shoot day, GPU usage."""
        from .preproduction import budget as bud

        stored = self.schedule(script_id, version)
        rates = {str(k): float(v) for k, v in stored.request.get("cast_pay", {}).items()}
        dood = self.dood(stored.script_id, stored.version)
        gpu = [bud.GpuUsage(m, g, secs) for m, g, secs, _ in metering.usage_by_model(self.scope).iter_rows()]
        return bud.inputs_from_plan(stored.schedule.days, dood, rates, prep_weeks=prep_weeks, wrap_weeks=wrap_weeks,
                                    background=self._background_by_day(stored), gpu_usage=gpu)

    @requires("budget.read")
    def budget(self, script_id: str | None = None, version: int | None = None, *, prep_weeks: float = 4,
               wrap_weeks: float = 2, on: date | None = None, contingency_pct: float = 10.0,
               overhead_pct: float = 0.0, bond_pct: float = 0.0) -> BudgetResult:
        """The budget of a stored schedule: the template's lines and the plan-linked lines (cast from
        the DOOD, extras, locations, shoot-day crew and equipment), fringes and rates in force on ``on``."""
        from .preproduction import budget as bud

        stored = self.schedule(script_id, version)
        inputs = self.budget_inputs(stored.script_id, stored.version, prep_weeks=prep_weeks, wrap_weeks=wrap_weeks)
        own = self.store.project_settings(self.tenant, self.project).get("budget", {})
        return bud.compute(bud.plan_budget(
            inputs, title=self._title(stored.script_id), on=on or stored.dates()[0],
            rates=bud.read_rates(self.settings.data_file("rates/budget_rates.csv")),
            fringes=bud.read_fringes(self.settings.data_file("rates/fringes.csv")),
            fringe_overrides=own.get("fringes"), extra_globals=own.get("globals"),
            contingency_pct=contingency_pct, overhead_pct=overhead_pct, bond_pct=bond_pct))

    @requires("budget.write")
    def set_budget_overrides(self, *, fringes: dict[str, float] | None = None,
                             globals: dict[str, str | float] | None = None) -> dict:
        """The project's own fringe rates (percent, by code) and globals or rate-card codes (e.g. a
        negotiated CAMERA_PACKAGE day rate, CREW_SIZE), kept in the project settings; checked by
        budgeting once before they are stored, so a bad override never lands."""
        from .preproduction import budget as bud

        own = dict(self.store.project_settings(self.tenant, self.project).get("budget", {}))
        if fringes:
            own["fringes"] = {**own.get("fringes", {}), **fringes}
        if globals:
            own["globals"] = {**own.get("globals", {}), **globals}
        card = bud.read_fringes(self.settings.data_file("rates/fringes.csv"))
        unknown = sorted(set(own.get("fringes", {})) - {f.code for f in card})
        if unknown:
            raise ValueError(f"unknown fringe code(s) {', '.join(unknown)}; see data/rates/fringes.csv")
        for name, value in own.get("globals", {}).items():
            if isinstance(value, int | float) and value < 0:
                raise ValueError(f"budget override {name} must be >= 0, got {value}")
        self.store.update_project_settings(self.tenant, self.project, {"budget": own})
        return own

    @requires("budget.write")
    def save_budget(self, script_id: str | None = None, version: int | None = None, *, label: str = "",
                    **options: float) -> budget_store.StoredBudget:
        """Compute the budget of a schedule version and store it as the next budget version."""
        stored = self.schedule(script_id, version)
        opts = {k: v for k, v in options.items() if k in ("prep_weeks", "wrap_weeks")}
        result = self.budget(stored.script_id, stored.version, **options)
        inputs = self.budget_inputs(stored.script_id, stored.version, **opts)
        v = budget_store.save_budget(self.scope, stored.script_id, stored.version, result, inputs, label)
        return budget_store.load_budget(self.scope, stored.script_id, v)

    @requires("budget.read")
    def budgets(self, script_id: str | None = None) -> pl.DataFrame:
        return budget_store.budgets_frame(self.scope, self.script_id(script_id))

    @requires("budget.read")
    def stored_budget(self, version: int | None = None, script_id: str | None = None) -> budget_store.StoredBudget:
        return budget_store.load_budget(self.scope, self.script_id(script_id), version)

    @requires("budget.read")
    def compare_budgets(self, a: int, b: int, script_id: str | None = None) -> tuple[pl.DataFrame, list[str]]:
        """Budget versions ``a`` and ``b`` per account, and the plan changes that caused the difference."""
        return budget_store.compare(self.stored_budget(a, script_id), self.stored_budget(b, script_id))

    @requires("project.read")
    def call_sheets(self, records: str | Path, script_id: str | None = None, version: int | None = None) -> list:
        """One call sheet per shoot day of a stored schedule, with the production's records (contacts,
        locations with coordinates and hospitals, crew departments)."""
        from .preproduction.callsheet import build_call_sheets, production_records

        stored = self.schedule(script_id, version)
        return build_call_sheets(stored, self.cast(stored.script_id), self.dood(stored.script_id, stored.version),
                                 self.breakdown(stored.script_id, stored.script_version), production_records(records))

    def _background_by_day(self, stored: StoredSchedule) -> dict[str, int]:
        """Extras per shoot day: for each group (PASSENGERS, GUARDS...) the largest count any of the
        day's scenes needs, summed over groups (the same people work every scene of a day)."""
        bd = self.breakdown(stored.script_id, stored.script_version)
        day_of = stored.schedule.day_of()
        need: dict[int, dict[str, int]] = {}
        for t in bd.tags:
            if t.category_id == 101 and t.scene_uid in day_of:
                groups = need.setdefault(day_of[t.scene_uid] + 1, {})
                groups[t.name] = max(groups.get(t.name, 0), t.count or 1)
        return {f"Day {d}": sum(g.values()) for d, g in sorted(need.items())}

    def _title(self, script_id: str) -> str:
        row = self.scope.one("SELECT title FROM {script} WHERE script_id = $s", {"s": script_id})
        return row[0] if row else script_id

    @requires("project.read")
    def changes(self, script_id: str, version: int | None = None) -> dict:
        import json

        v = version or scripts.latest_version(self.scope, script_id)
        row = self.scope.one("SELECT changes FROM {script_version} WHERE script_id = $s AND version = $v",
                             {"s": script_id, "v": v})
        return json.loads(row[0]) if row and row[0] else {}

    # -- generation -----------------------------------------------------------------------------
    def model_profile(self):
        """The model profile in use (settings.model_profile, or the embedded defaults)."""
        from .generation.profile import load_profile

        return load_profile(self.settings.model_profile)

    @requires("generation.submit")
    def runner(self, *, progress: bool = True):
        """The generation runner (Ray on loopback, or settings.ray_address); only the owner process
        (the Studio that opened the store for writing) runs jobs, because only it may record them."""
        if self._runner is None:
            if self.store.read_only:
                raise StoreError("this Studio opened the store read-only; generation jobs run in the process that "
                                 "owns the store (the notebook, `studio` command or API server that opened it)")
            from .generation.runner import Runner

            self._runner = Runner(self.scope, replace(self.settings, assets_dir=self.assets_dir),
                                  self.model_profile(), progress=progress,
                                  admit=self._admit_generation)
        return self._runner

    def _admit_generation(self, spec, requests: int) -> None:
        """The tenant's GPU quota, checked when a job is submitted (not when it would run): a job
        over quota is refused with the figures and what to do (platform.billing.QuotaExceeded)."""
        found = billing.plan_for(self.store, self.tenant, billing._now())
        if found is None:
            return
        billing.check_quota(self.store, self.tenant, billing.estimate_gpu_seconds(spec, requests=requests,
                                                                                  plan=found[0]))

    @requires("generation.read")
    def jobs(self, status: str | None = None) -> pl.DataFrame:
        return generation_jobs.list_jobs(self.scope, status=status)

    def image_embedder(self):
        """The image embedder that scores consistency (descriptor by default, CLIP when configured)."""
        if self._embedder is None:
            from .generation.profile import load_backend

            self._embedder = load_backend(self.model_profile().spec("image_embedding"))
        return self._embedder

    def _image_jobs(self) -> characters.RunnerImageJobs:
        return characters.RunnerImageJobs(self.runner())

    # -- characters -----------------------------------------------------------------------------
    @requires("character.write")
    def create_characters(self, script_id: str | None = None, version: int | None = None) -> list[str]:
        """The script's cast as characters with a draft bible each; returns the ids added."""
        return characters.create_characters(self.scope, self.stored_script(script_id, version))

    @requires("character.read")
    def characters(self) -> pl.DataFrame:
        return character_store.characters_frame(self.scope)

    @requires("character.read")
    def character(self, name_or_id: str):
        return characters.character_for(self.scope, name_or_id)

    @requires("character.read")
    def character_version(self, character_id: str, version: int | None = None):
        return character_store.get_version(self.scope, self.character(character_id).character_id, version)

    @requires("character.read")
    def character_versions(self, character_id: str) -> pl.DataFrame:
        return character_store.versions_frame(self.scope, self.character(character_id).character_id)

    @requires("character.write")
    def edit_character(self, character_id: str, note: str = "edited", **changes):
        """Change bible fields; a locked character gets a new draft version (its images are kept,
        and read back as stale once the new version is locked)."""
        from .characters.bible import edit_bible

        cid = self.character(character_id).character_id
        current = character_store.get_version(self.scope, cid)
        return character_store.save_bible(self.scope, cid, edit_bible(current.bible, **changes), note)

    @requires("character.write")
    def lock_character(self, character_id: str, *, seed: int | None = None, seed_policy: str = "fixed",
                       threshold: float | None = None):
        cid = self.character(character_id).character_id
        return characters.lock_character(self.scope, self._image_jobs(), self.image_embedder(), cid, seed=seed,
                                         seed_policy=seed_policy, threshold=threshold)

    @requires("character.write")
    def character_sheet(self, character_id: str, out_dir: str | Path | None = None) -> characters.SheetResult:
        cid = self.character(character_id).character_id
        return characters.make_sheet(self.scope, self._image_jobs(), self.image_embedder(), cid,
                                     Path(out_dir or self.settings.out_dir) / "characters", self.assets_dir)

    @requires("character.read")
    def character_sheets(self, character_id: str | None = None) -> pl.DataFrame:
        """Stored sheets (content-addressed PNGs) per character version."""
        cid = self.character(character_id).character_id if character_id else None
        return character_store.sheets_frame(self.scope, cid)

    @requires("character.read")
    def character_images(self, character_id: str | None = None, kind: str | None = None) -> pl.DataFrame:
        cid = self.character(character_id).character_id if character_id else None
        return character_store.images_frame(self.scope, cid, kind)

    @requires("generation.submit")
    def render_character_shot(self, request, character_ids, *, key: str, scene: str = "", label: str = "shot",
                              story_day: int | None = None, shot_index: int = 0):
        """One frame with locked characters, scored per character (consistency) and recorded."""
        ids = [self.character(c).character_id for c in character_ids]
        return characters.render_shot(self.scope, self._image_jobs(), self.image_embedder(), request, ids, key=key,
                                      scene=scene, label=label, story_day=story_day, shot_index=shot_index)


    # -- writing: from logline to shooting script ----------------------------------------------------
    def _text_jobs(self, progress: bool = False):
        """The profile's text model as jobs on the runner, saying whether it follows instructions
        (the n-gram writer does not: the pipeline then owns the structure and fills slots)."""
        from .generation.runner import RunnerTextJobs

        jobs = RunnerTextJobs(self.runner(progress=progress), key_prefix="develop")
        spec = self.model_profile().spec("text")
        jobs.follows_instructions = spec.backend != "ngram"
        jobs.model_id = spec.model
        return jobs

    @requires("script.write")
    def develop(self, premise: develop.Premise | str, *, start_at: str = "beats", stop_after: str = "dialogue",
                scenes: list[int] | None = None, mode: str | None = None, max_attempts: int = 2,
                progress: bool = False, seed: int = 0) -> develop.DevelopResult:
        """Logline -> beat sheet -> outline -> Fountain scenes -> dialogue pass with the profile's text
        model (jobs on the runner). ``premise`` starts a new run; a run id re-runs one from
        ``start_at`` (earlier steps: their latest stored, possibly edited, versions; ``scenes``: only
        those outline scenes). Written scenes are stored as versions of the run's script."""
        spec = self.model_profile().spec("text")
        if not isinstance(premise, develop.Premise):
            develop.run_info(self.scope, premise)  # an unknown run id is named before anything starts
        jobs = self._text_jobs(progress)  # the runner first: a run is recorded only once it can run
        if isinstance(premise, develop.Premise):
            run_id = develop.new_run(self.scope, premise, backend=spec.backend, model=spec.model)
        else:
            run_id = premise
        names = {c.name.upper() for c in develop.load_premise(self.scope, run_id).characters}
        bibles = {}
        if names:
            for row in self.characters().iter_rows(named=True):
                if row["name"].upper() in names:
                    bibles[row["name"]] = self.character_version(row["character_id"]).bible
        return develop.run(self.scope, run_id, jobs, mode=mode, start_at=start_at,
                           stop_after=stop_after, scenes=scenes, max_attempts=max_attempts,
                           voices=develop.voices_from_bibles(bibles) if bibles else None, seed=seed,
                           author=self.user.person_id)

    @requires("project.read")
    def development_runs(self) -> pl.DataFrame:
        return develop.runs(self.scope)

    @requires("project.read")
    def development_step(self, run_id: str, step: str, version: int | None = None):
        """A step's stored output as its model (BeatSheet, Outline, Draft), latest by default."""
        return develop.load_step(self.scope, run_id, step, version)

    @requires("script.write")
    def save_development_step(self, run_id: str, step: str, value, *, note: str = "edited") -> int:
        """Store an edited step (validated like the pipeline's own output) as its next version."""
        return develop.save_step(self.scope, run_id, step, value, note=note)

    # -- writing: shot lists, boards, animatics ------------------------------------------------------
    def _scene_uids(self, stored: scripts.StoredScript, scenes: Any = None) -> list[str]:
        """Scene uids from printed numbers (``"3"``, ``"12A"``) or uids; all scenes when None."""
        if scenes is None:
            return list(stored.scene_uids)
        number_of = {sc.number: uid for sc, uid in zip(stored.analysis.scenes, stored.scene_uids, strict=True)}
        out = []
        for s in ([scenes] if isinstance(scenes, str | int) else scenes):
            key = str(s)
            if key in stored.scene_uids:
                out.append(key)
            elif key in number_of:
                out.append(number_of[key])
            else:
                raise ValueError(f"script {stored.script_id!r} v{stored.version} has no scene {key!r} (scenes "
                                 f"{', '.join(list(number_of)[:12])}{'...' if len(number_of) > 12 else ''})")
        return out

    @requires("script.write")
    def make_shot_lists(self, scenes: Any = None, *, mode: str = "rules", script_id: str | None = None,
                        version: int | None = None, note: str = "", progress: bool = False):
        """Shot lists for these scenes (default: all), stored as each scene's next version.

        ``mode="rules"``: the coverage rules of ``writing.shots`` over the scene's content and the
        breakdown's props. ``mode="llm"``: the profile's text model writes each list as JSON (as
        jobs on the runner); shots naming characters not in the scene are dropped with a message,
        a scene the model gave nothing usable for is reported and keeps its earlier version."""
        from .generation.base import TextRequest
        from .preproduction.categories import PROPS
        from .writing import shots as shots_mod

        if mode not in ("rules", "llm"):
            raise ValueError(f"mode {mode!r}: use 'rules' or 'llm'")
        stored = self.stored_script(script_id, version)
        a = stored.analysis
        uids = self._scene_uids(stored, scenes)
        bd = self.breakdown(stored.script_id, stored.version)
        index = {uid: k for k, uid in enumerate(stored.scene_uids)}
        run = shots_mod.ShotListRun()
        if mode == "rules":
            for uid in uids:
                k = index[uid]
                sc = a.scenes[k]
                prev = a.scenes[k - 1].location if k > 0 else None
                props = sorted(bd.names(sc.number, PROPS))
                run.shot_lists.append(shots_mod.default_shot_list(a.screenplay, sc, scene_uid=uid, props=props,
                                                                  previous_location=prev))
        else:
            from .generation.runner import RunnerTextJobs

            prompts = []
            for uid in uids:
                sc = a.scenes[index[uid]]
                text = "\n".join(e.text for e in a.screenplay.elements[sc.first:sc.last + 1])
                prompts.append(TextRequest(shots_mod.shot_list_prompt(text, sc, sc.characters,
                                                                      sorted(bd.names(sc.number, PROPS))),
                                           system=shots_mod.SHOT_LIST_SYSTEM, max_new_tokens=1200))
            answers = RunnerTextJobs(self.runner(progress=progress), key_prefix=f"shots:{stored.script_id}").outcomes(
                prompts)
            for uid, answer in zip(uids, answers, strict=True):
                sc = a.scenes[index[uid]]
                if isinstance(answer, Exception):
                    run.errors.append(f"scene {sc.number}: the text model gave no answer ({answer}); the scene keeps "
                                      "its earlier shot list")
                    continue
                try:
                    sl, problems = shots_mod.parse_llm_shots(answer, sc, sc.characters, scene_uid=uid)
                except shots_mod.ShotListError as exc:
                    run.errors.append(str(exc))
                    continue
                run.errors += problems
                run.shot_lists.append(shots_mod.time_shots(sl, a.screenplay, sc) if sl.seconds == 0 else sl)
        run.versions = shots_store.save_shot_lists(self.scope, stored.script_id, stored.version, run.shot_lists,
                                                   note=note)
        return run

    @requires("project.read")
    def shot_list(self, scene: str, *, version: int | None = None, script_id: str | None = None):
        """A scene's stored shot list (by printed number or uid; default the latest version)."""
        stored = self.stored_script(script_id)
        (uid,) = self._scene_uids(stored, [scene])
        return shots_store.load_shot_list(self.scope, stored.script_id, uid, version)[0]

    @requires("project.read")
    def shot_lists(self, script_id: str | None = None) -> pl.DataFrame:
        return shots_store.shot_lists_frame(self.scope, self.script_id(script_id))

    @requires("script.write")
    def save_shot_list(self, shot_list, *, note: str = "edited", script_id: str | None = None) -> int:
        """Store an edited shot list (``ShotList.edited(...)``) as its scene's next version."""
        from .writing import shots as shots_mod

        stored = self.stored_script(script_id)
        if shot_list.scene_uid not in stored.scene_uids:
            raise ValueError(f"shot list for scene {shot_list.scene_number}: scene uid {shot_list.scene_uid} is not in "
                             f"script {stored.script_id!r} v{stored.version}")
        shots_mod.validate(shot_list)
        return shots_store.save_shot_lists(self.scope, stored.script_id, stored.version, [shot_list],
                                           note=note)[shot_list.scene_uid]

    @requires("project.read")
    def export_shot_lists(self, out: str | Path, scenes: Any = None, *, script_id: str | None = None) -> Path:
        """The latest shot lists as CSV or PDF (by the file's suffix)."""
        from .writing import boards
        from .writing import shots as shots_mod

        out = Path(out)
        stored = self.stored_script(script_id)
        have = shots_store.scenes_with(self.scope, "shot_list", stored.script_id)
        lists = [shots_store.load_shot_list(self.scope, stored.script_id, u)[0]
                 for u in self._scene_uids(stored, scenes) if u in have]
        if out.suffix.lower() == ".csv":
            data = shots_mod.to_csv(lists).encode()
        elif out.suffix.lower() == ".pdf":
            data = boards.shot_list_pdf(lists, title=f"{stored.title} - shot list")
        else:
            raise ValueError(f"{out}: export shot lists as .csv or .pdf")
        atomic_write(out, data)
        return out

    @requires("generation.submit")
    def make_boards(self, scenes: Any = None, *, script_id: str | None = None, size: tuple[int, int] | None = None):
        """Storyboard frames for every shot of these scenes' latest shot lists (scenes without one get
        the rules' list first), made as jobs on the runner with each character's locked identity and
        scored for consistency; returns the run (frames and per-shot errors)."""
        from .writing import boards

        size = boards.check_size(size or boards.BOARD_SIZE)
        image_jobs = self._image_jobs()  # the runner first: nothing is written unless frames can be made
        stored = self.stored_script(script_id)
        uids = self._scene_uids(stored, scenes)
        have = shots_store.scenes_with(self.scope, "shot_list", stored.script_id)
        missing = [u for u in uids if u not in have]
        if missing:
            self.make_shot_lists(missing, script_id=stored.script_id)
        return boards.make_boards(self.scope, image_jobs, self.image_embedder(), stored, uids, size=size)

    @requires("project.read")
    def board_frames(self, scene: str | None = None, *, script_id: str | None = None) -> pl.DataFrame:
        stored = self.stored_script(script_id)
        uid = self._scene_uids(stored, [scene])[0] if scene is not None else None
        return shots_store.frames_frame(self.scope, stored.script_id, uid)

    def _board_cuts(self, stored: scripts.StoredScript, uid: str):
        """A scene's latest shot list, its edit (cuts) and its board frames (shot -> path, scores)."""
        from .writing import shots as shots_mod

        sc = stored.analysis.scenes[stored.scene_uids.index(uid)]
        frames = shots_store.frames_frame(self.scope, stored.script_id, uid)
        # the shot list the board was drawn from (a newer list has no frames until it is boarded)
        version = int(frames["shot_list_version"][0]) if frames.height else None
        sl, _ = shots_store.load_shot_list(self.scope, stored.script_id, uid, version)
        cuts = shots_mod.cut_scene(sl, shots_mod.scene_beats(stored.analysis.screenplay, sc),
                                   shots_mod.scene_seconds(sc))
        paths = {r["shot"]: r["path"] for r in frames.iter_rows(named=True)}
        scores = {r["shot"]: json.loads(r["scores"]) for r in frames.iter_rows(named=True)}
        return sc, sl, cuts, paths, scores

    @requires("generation.submit")
    def make_animatic(self, scenes: Any = None, out: str | Path | None = None, *, script_id: str | None = None,
                      fps: int = 24, size: tuple[int, int] = (1280, 720), progress: bool = True):
        """An animatic MP4 of these scenes (default: every scene with a board): each scene's edit played
        on its board frames, timed from the page eighths (stretched where the temp dialogue needs
        longer), every speech spoken by the profile's speech backend with a pace and pitch per
        character (the bible's voice field can set them: ``speaker=3 pitch=+4 speed=0.9``) and
        burnt in as a caption. Writes ``out`` (and an .otio of the cut beside it) atomically, keeps a
        content-addressed copy and records it. Returns ``writing.animatic.AnimaticResult``."""
        import hashlib

        from .generation import artifacts
        from .generation.profile import load_backend
        from .writing import animatic, boards

        if self.store.read_only:
            raise StoreError("this Studio opened the store read-only; an animatic is recorded in the store, so make it "
                             "in the process that owns the store (the notebook, `studio` command or API server)")
        stored = self.stored_script(script_id)
        uids = self._scene_uids(stored, scenes)
        have = shots_store.scenes_with(self.scope, "board_frame", stored.script_id)
        if scenes is not None and (missing := [u for u in uids if u not in have]):
            numbers = [stored.analysis.scenes[stored.scene_uids.index(u)].number for u in missing]
            raise ValueError(f"scene{'s' if len(numbers) > 1 else ''} {', '.join(numbers)} "
                             f"{'have' if len(numbers) > 1 else 'has'} no board yet; make "
                             f"{'them' if len(numbers) > 1 else 'it'} first (`studio boards` or Studio.make_boards)")
        uids = [u for u in uids if u in have]
        if not uids:
            raise ValueError("no scene has a board yet; make boards first (Studio.make_boards)")
        cast = self.characters()
        bible_voice, ages = {}, {}
        for row in cast.iter_rows(named=True):
            bible = self.character_version(row["character_id"]).bible
            bible_voice[row["name"].upper()], ages[row["name"].upper()] = bible.voice, bible.age
        voices = boards.temp_voices([n.upper() for n in cast["name"]], bible_voice, ages)
        panels: list = []
        numbers = []
        for uid in uids:
            sc, sl, cuts, paths, _scores = self._board_cuts(stored, uid)
            images = {shot: Path(p).read_bytes() for shot, p in paths.items()}
            made, missing = boards.animatic_panels(sc, sl, cuts, images, voices)
            if missing:
                raise ValueError("; ".join(missing[:3]))
            panels += made
            numbers.append(sc.number)
        out = Path(out) if out else self.settings.out_dir / f"animatic_{stored.script_id}_{numbers[0]}-{numbers[-1]}.mp4"
        speech = load_backend(self.model_profile().spec("speech"))
        result = animatic.render_animatic(panels, speech, out, fps=fps, size=size, progress=progress)
        otio = out.with_suffix(".otio")
        part = otio.with_name(f".{otio.name}.part.otio")
        try:
            animatic.write_otio(result, part)
            part.replace(otio)
        finally:
            part.unlink(missing_ok=True)
        art = artifacts.put(self.assets_dir, out.read_bytes(), "mp4", "video/mp4")
        cuts = [{"scene": p.scene, "shot": p.shot, "start": round(slot.start, 3), "end": round(slot.end, 3)}
                for p, slot in zip(panels, result.timeline.panels, strict=True)]
        shots_store.save_animatic(self.scope, {
            "animatic_id": f"{stored.script_id}:{hashlib.sha256(' '.join(uids).encode()).hexdigest()[:16]}",
            "script_id": stored.script_id,
            "scenes": numbers, "artifact": art.sha256, "path": str(art.path), "seconds": result.seconds,
            "frames": result.frames, "audio_seconds": result.audio_seconds, "cuts": cuts})
        return result

    @requires("project.read")
    def animatics(self, script_id: str | None = None) -> pl.DataFrame:
        return shots_store.animatics_frame(self.scope, self.script_id(script_id))

    @requires("project.read")
    def export_boards(self, out: str | Path, scenes: Any = None, *, script_id: str | None = None) -> Path:
        """The boards of these scenes (default: every scene with a board) as one PDF."""
        from .writing import boards

        stored = self.stored_script(script_id)
        uids = self._scene_uids(stored, scenes)
        have = shots_store.scenes_with(self.scope, "board_frame", stored.script_id)
        panels = []
        for uid in uids:
            if uid not in have:
                if scenes is not None:
                    raise ValueError(f"scene {uid} has no board yet; make it first (Studio.make_boards)")
                continue
            _sc, sl, cuts, paths, scores = self._board_cuts(stored, uid)
            panels += boards.panels_for(sl, cuts, paths, scores)
        out = Path(out)
        atomic_write(out, boards.boards_pdf(panels, title=f"{stored.title} - storyboards"))
        return out


__all__ = ["ALL_MIGRATIONS", "AccessDenied", "Studio", "requires"]
