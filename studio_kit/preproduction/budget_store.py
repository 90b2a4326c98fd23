"""Budget versions in the production database.

Why store what can be recomputed: a budget is a document producers sign off and compare. Rates,
fringes and templates change with contract cycles; a stored version keeps the numbers as they were
approved (top sheet, every detail line, the plan it was priced from), so "version 3 against
version 5" still means what it meant, and the plan inputs name which schedule change moved it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date

import polars as pl

from ..common.clock import utc_now
from ..common.errors import NotFound
from ..store import Migration, ProjectScope
from .budget import BudgetInputs, BudgetResult, CastDays, GpuUsage, diff, explain

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "preproduction_budget",
        1,
        "budget versions with their top sheet and detail lines",
        """
        CREATE TABLE budget_version (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, version INTEGER NOT NULL, schedule_version INTEGER NOT NULL,
            label VARCHAR NOT NULL, budget_date DATE NOT NULL, grand_total DOUBLE NOT NULL,
            totals JSON NOT NULL, inputs JSON NOT NULL, top_sheet JSON NOT NULL, created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, script_id, version)
        );
        CREATE TABLE budget_line (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, version INTEGER NOT NULL, idx INTEGER NOT NULL,
            account VARCHAR NOT NULL, account_name VARCHAR NOT NULL, section VARCHAR NOT NULL,
            description VARCHAR NOT NULL, amount DOUBLE NOT NULL, units VARCHAR NOT NULL,
            multiplier DOUBLE NOT NULL, rate DOUBLE NOT NULL, subtotal DOUBLE NOT NULL,
            fringes DOUBLE NOT NULL, total DOUBLE NOT NULL, fringe_codes VARCHAR NOT NULL, source VARCHAR NOT NULL,
            PRIMARY KEY (tenant_id, project_id, script_id, version, idx)
        );
        """,
        scoped=("budget_version", "budget_line"),
    ),
)

_TOTALS = ("atl", "btl", "direct", "contingency", "overhead", "bond", "grand_total")


@dataclass
class StoredBudget:
    """A budget version as approved: totals, top sheet, detail, and the plan it was priced from."""

    script_id: str
    version: int
    schedule_version: int
    label: str
    budget_date: date
    top_sheet: pl.DataFrame
    detail: pl.DataFrame
    inputs: BudgetInputs
    atl: float
    btl: float
    direct: float
    contingency: float
    overhead: float
    bond: float
    grand_total: float


def _inputs_json(inputs: BudgetInputs) -> str:
    return json.dumps({
        "shoot_days": inputs.shoot_days, "prep_weeks": inputs.prep_weeks, "wrap_weeks": inputs.wrap_weeks,
        "cast": [asdict(c) for c in inputs.cast_rows()], "location_days": dict(inputs.location_days),
        "background": {str(k): v for k, v in inputs.background.items()},
        "gpu_usage": [asdict(g) for g in inputs.gpu_rows()], "location_rates": dict(inputs.location_rates),
    })


def _inputs_from(js: str) -> BudgetInputs:
    d = json.loads(js)
    return BudgetInputs(d["shoot_days"], d["prep_weeks"], d["wrap_weeks"], [CastDays(**c) for c in d["cast"]],
                        d["location_days"], d["background"], [GpuUsage(**g) for g in d["gpu_usage"]],
                        d["location_rates"])


def save_budget(scope: ProjectScope, script_id: str, schedule_version: int, result: BudgetResult,
                inputs: BudgetInputs, label: str = "") -> int:
    """Store a computed budget as the next version, all or nothing; returns the version number."""
    with scope.transaction():
        row = scope.one("SELECT max(version) FROM {budget_version} WHERE script_id = $s", {"s": script_id})
        version = (row[0] or 0) + 1 if row else 1
        scope.insert("budget_version", [{
            "script_id": script_id, "version": version, "schedule_version": schedule_version,
            "label": label or f"budget {version} (schedule {schedule_version})", "budget_date": result.budget.on,
            "grand_total": float(result.grand_total),
            "totals": json.dumps({k: float(getattr(result, k)) for k in _TOTALS}),
            "inputs": _inputs_json(inputs), "top_sheet": result.top_sheet.write_json(),
            "created_at": utc_now(),
        }])
        lines = result.detail.select(
            "account", "account_name", "section", "description", "amount", "units", "multiplier", "rate",
            "subtotal", "fringes", "total", "fringe_codes", "source",
        ).with_columns(pl.col("fringe_codes").cast(pl.Utf8))
        lines = lines.with_columns(pl.lit(script_id).alias("script_id"), pl.lit(version).alias("version"),
                                   pl.int_range(pl.len()).alias("idx"))
        if lines.height:
            scope.insert("budget_line", lines)
    return version


def budgets_frame(scope: ProjectScope, script_id: str) -> pl.DataFrame:
    return scope.sql("SELECT version, label, schedule_version, budget_date, grand_total, created_at "
                     "FROM {budget_version} WHERE script_id = $s ORDER BY version", {"s": script_id})


def load_budget(scope: ProjectScope, script_id: str, version: int | None = None) -> StoredBudget:
    if version is None:
        row = scope.one("SELECT max(version) FROM {budget_version} WHERE script_id = $s", {"s": script_id})
        if not row or row[0] is None:
            raise NotFound(f"script {script_id!r} has no stored budget yet; run `studio budget --save`")
        version = int(row[0])
    meta = scope.one("SELECT schedule_version, label, budget_date, totals, inputs, top_sheet FROM {budget_version} "
                     "WHERE script_id = $s AND version = $v", {"s": script_id, "v": version})
    if meta is None:
        raise NotFound(f"script {script_id!r} has no budget version {version}; see `studio budgets`")
    sv, label, on, totals, inputs, top = meta
    detail = scope.sql("SELECT account, account_name, section, description, amount, units, multiplier, rate, "
                       "subtotal, fringes, total, fringe_codes, source FROM {budget_line} "
                       "WHERE script_id = $s AND version = $v ORDER BY idx", {"s": script_id, "v": version})
    import io

    t = json.loads(totals)
    return StoredBudget(script_id, version, sv, label, on, pl.read_json(io.StringIO(top)), detail,
                        _inputs_from(inputs), **{k: t[k] for k in _TOTALS})


def compare(a: StoredBudget, b: StoredBudget) -> tuple[pl.DataFrame, list[str]]:
    """Two stored versions side by side per account, and what in the plan caused the difference."""
    d = diff(a, b)  # type: ignore[arg-type]  (a StoredBudget has every field diff reads)
    return d, explain(d, a.inputs, b.inputs)
