"""Pre-production's facade on the Studio: breakdown, schedules, Day Out of Days, budgets, call sheets.

One checked line of intent per operation (``management.access.operation``), then the engine's
functions (``preproduction.service`` over the store, the pure modules under it). Defaults come
from ``preproduction.options``. Reads never write: a version that was never tagged is read as the
lexicon's tags computed on the fly (``breakdown``); planning stores the tags it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from .. import scripts
from ..management.access import Operations, operation
from . import breakdown_store, budget_store, schedule_store, service
from .breakdown import Breakdown, Edit
from .budget import BudgetInputs, BudgetResult
from .calendar import ShootCalendar
from .categories import CategoryColours
from .dood import DayOutOfDays
from .options import BreakdownOptions, BudgetOptions, ScheduleOptions
from .schedule import Weights
from .schedule_store import StoredSchedule

MIGRATIONS = (*breakdown_store.MIGRATIONS, *schedule_store.MIGRATIONS, *budget_store.MIGRATIONS)


class PreproductionOps(Operations):
    """Mixed into :class:`studio_kit.studio.Studio`."""

    # -- breakdown ----------------------------------------------------------------------------------
    @operation("script.write")
    def tag_breakdown(self, script_id: str | None = None, script_version: int | None = None, *,
                      options: BreakdownOptions | None = None) -> Breakdown:
        """Tag a stored version automatically (offline lexicon; sentence embeddings and a chat model
        when ``options`` ask, every quote the model proposes checked against the scene), store the
        tags, and return them with people's edits applied. Scenes the model could not answer for
        are listed in the breakdown's ``notes``."""
        stored = scripts.load(self.scope, script_id, script_version)
        return service.tag_and_save(self.scope, self.settings, stored, options or BreakdownOptions())

    @operation("project.read")
    def breakdown(self, script_id: str | None = None, script_version: int | None = None) -> Breakdown:
        """A version's breakdown with edits applied (a version never tagged: the lexicon's tags,
        computed for this read and not stored)."""
        sid = scripts.script_id_or_only(self.scope, script_id)
        return service.read_breakdown(self.scope, sid, scripts.version_of(self.scope, sid, script_version))

    @operation("script.write")
    def edit_breakdown(self, edit: Edit, *, script_id: str | None = None) -> int:
        """Record a person's correction (add, remove, merge, recategorise); it survives new drafts."""
        return breakdown_store.add_edit(self.scope, scripts.script_id_or_only(self.scope, script_id), edit)

    @operation("project.read")
    def category_colours(self) -> CategoryColours:
        """The project's breakdown colours: the traditional defaults with the project's overrides."""
        return self._colours()

    @operation("script.write")
    def set_category_colours(self, colours: dict[int, str]) -> CategoryColours:
        """Override category colours for this project's sheets and boards (checked before storing)."""
        checked = CategoryColours({**self._colours().overrides, **{int(k): v for k, v in colours.items()}})
        self.store.update_project_settings(self.tenant, self.project,
                                           {"category_colours": {str(k): v for k, v in checked.overrides.items()}})
        return checked

    def _colours(self) -> CategoryColours:
        return CategoryColours(self.store.project_settings(self.tenant, self.project).get("category_colours", {}))

    # -- schedule and Day Out of Days ------------------------------------------------------------------
    @operation("schedule.write")
    def plan_schedule(self, script_id: str | None = None, script_version: int | None = None, *,
                      start: date | None = None, options: ScheduleOptions | None = None,
                      calendar: ShootCalendar | None = None,
                      unavailable: dict[str, list[date]] | None = None,
                      location_unavailable: dict[str, list[date]] | None = None,
                      fixed: dict[str, date] | None = None, label: str = "") -> StoredSchedule:
        """Strips from the breakdown, an optimised board (cast pay with holds, company moves, day/night
        switches, overtime), stored as a new schedule version. ``unavailable`` maps a character to
        dates they cannot work; ``location_unavailable`` maps a location (the part of the set before
        " - ", e.g. "NIGHT TRAIN") to dates it cannot be had; ``fixed`` maps a scene number to the date
        it must shoot. The calendar defaults to ``options.weekdays`` from ``start`` (today)."""
        options = options or ScheduleOptions()
        stored = scripts.load(self.scope, script_id, script_version)
        bd = service.breakdown_for_planning(self.scope, self.settings, stored)
        cal = calendar or ShootCalendar(start or date.today(), options.weekdays)
        return service.plan_schedule(self.scope, self.settings, stored, bd, options, cal, label=label,
                                     unavailable=unavailable, location_unavailable=location_unavailable, fixed=fixed)

    @operation("project.read")
    def schedule(self, script_id: str | None = None, schedule_version: int | None = None) -> StoredSchedule:
        """A stored schedule version (the latest by default)."""
        return self._schedule(script_id, schedule_version)

    @operation("project.read")
    def schedules(self, script_id: str | None = None) -> pl.DataFrame:
        return schedule_store.schedules_frame(self.scope, scripts.script_id_or_only(self.scope, script_id))

    @operation("project.read")
    def stripboard(self, script_id: str | None = None, schedule_version: int | None = None) -> pl.DataFrame:
        return schedule_store.strips_frame(self.scope, scripts.script_id_or_only(self.scope, script_id),
                                           schedule_version)

    @operation("project.read")
    def cast(self, script_id: str | None = None) -> pl.DataFrame:
        """The cast list with cast numbers (kept across versions) and day rates."""
        return schedule_store.cast_frame(self.scope, scripts.script_id_or_only(self.scope, script_id))

    @operation("project.read")
    def compare_schedules(self, a: int, b: int, *, script_id: str | None = None) -> dict:
        """Schedule versions ``a`` and ``b``: cost by term and the scenes that moved."""
        from .schedule import compare

        return compare(self._schedule(script_id, a).schedule, self._schedule(script_id, b).schedule)

    @operation("project.read")
    def dood(self, script_id: str | None = None, schedule_version: int | None = None, *,
             categories: tuple[int, ...] = ()) -> DayOutOfDays:
        """Day Out of Days of a stored schedule: cast, plus elements of the breakdown ``categories``
        (e.g. 103 vehicles, 108 animals) booked on the days their scenes shoot."""
        stored = self._schedule(script_id, schedule_version)
        return service.dood(self.scope, stored, self._breakdown_of(stored) if categories else None, categories)

    @operation("project.read")
    def schedule_weights(self) -> Weights:
        """The schedule's cost weights in force, from ``data/rates/schedule_weights.csv`` (dated, editable)."""
        return service.schedule_weights(self.settings)

    def _schedule(self, script_id: str | None, schedule_version: int | None) -> StoredSchedule:
        return schedule_store.load_schedule(self.scope, scripts.script_id_or_only(self.scope, script_id),
                                            schedule_version)

    def _breakdown_of(self, stored: StoredSchedule) -> Breakdown:
        return service.read_breakdown(self.scope, stored.script_id, stored.script_version)

    # -- budget and call sheets ------------------------------------------------------------------------
    @operation("budget.read")
    def budget_inputs(self, script_id: str | None = None, schedule_version: int | None = None, *,
                      options: BudgetOptions | None = None) -> BudgetInputs:
        """What the plan says the budget must pay for: shoot days, each cast member's DOOD paid days at
        the day rate that priced the schedule, location days, background per shoot day, GPU usage."""
        stored = self._schedule(script_id, schedule_version)
        return service.budget_inputs(self.scope, stored, self._breakdown_of(stored), options or BudgetOptions())

    @operation("budget.read")
    def plan_budget(self, script_id: str | None = None, schedule_version: int | None = None, *,
                    options: BudgetOptions | None = None, on: date | None = None) -> BudgetResult:
        """The budget of a schedule version, computed now (not stored): the template's lines and the
        plan-linked lines (cast from the DOOD, extras, locations, shoot-day crew and equipment),
        fringes and rates in force on ``on`` (the first shoot day by default)."""
        return self._plan_budget(script_id, schedule_version, options or BudgetOptions(), on)[1]

    @operation("budget.write")
    def save_budget(self, script_id: str | None = None, schedule_version: int | None = None, *,
                    options: BudgetOptions | None = None, label: str = "") -> budget_store.StoredBudget:
        """Compute the budget of a schedule version and store it as the next budget version."""
        stored, result, inputs = self._plan_budget(script_id, schedule_version, options or BudgetOptions(), None)
        return service.save_budget(self.scope, stored, result, inputs, label)

    def _plan_budget(self, script_id: str | None, schedule_version: int | None, options: BudgetOptions,
                     on: date | None) -> tuple[StoredSchedule, BudgetResult, BudgetInputs]:
        """The schedule, its budget and what the budget was priced from (each read once)."""
        stored = self._schedule(script_id, schedule_version)
        inputs = service.budget_inputs(self.scope, stored, self._breakdown_of(stored), options)
        title = service.script_title(self.scope, stored.script_id)
        result = service.plan_budget(self.scope, self.settings, stored, inputs, options, title=title, on=on)
        return stored, result, inputs

    @operation("budget.write")
    def set_budget_overrides(self, *, fringes: dict[str, float] | None = None,
                             globals: dict[str, str | float] | None = None) -> dict:
        """The project's own fringe rates (percent, by code) and globals or rate-card codes (e.g. a
        negotiated CAMERA_PACKAGE day rate, CREW_SIZE), kept in the project settings; checked
        before they are stored, so a bad override never lands."""
        return service.set_budget_overrides(self.scope, self.settings, fringes=fringes, globals=globals)

    @operation("budget.read")
    def budget(self, script_id: str | None = None, budget_version: int | None = None) -> budget_store.StoredBudget:
        """A stored budget version (the latest by default)."""
        return budget_store.load_budget(self.scope, scripts.script_id_or_only(self.scope, script_id), budget_version)

    @operation("budget.read")
    def budgets(self, script_id: str | None = None) -> pl.DataFrame:
        return budget_store.budgets_frame(self.scope, scripts.script_id_or_only(self.scope, script_id))

    @operation("budget.read")
    def compare_budgets(self, a: int, b: int, *, script_id: str | None = None) -> tuple[pl.DataFrame, list[str]]:
        """Budget versions ``a`` and ``b`` per account, and the plan changes that caused the difference."""
        sid = scripts.script_id_or_only(self.scope, script_id)
        return budget_store.compare(budget_store.load_budget(self.scope, sid, a),
                                    budget_store.load_budget(self.scope, sid, b))

    @operation("project.read")
    def call_sheets(self, records: str | Path | Mapping[str, Any], *, script_id: str | None = None,
                    schedule_version: int | None = None) -> list:
        """One call sheet per shoot day of a stored schedule, with the production's records (contacts,
        locations with coordinates and hospitals, crew departments): a .toml/.json file, or the
        records themselves (an API request's body)."""
        from .callsheet import build_call_sheets, parse_production_records, production_records

        production = (parse_production_records(dict(records), "records") if isinstance(records, Mapping)
                      else production_records(records))
        stored = self._schedule(script_id, schedule_version)
        bd = self._breakdown_of(stored)
        return build_call_sheets(stored, schedule_store.cast_frame(self.scope, stored.script_id),
                                 service.dood(self.scope, stored, None), bd, production)


__all__ = ["MIGRATIONS", "PreproductionOps"]
