"""Metering, price plans, invoices and GPU quotas, per tenant and calendar month (UTC).

Why this shape (Stripe, OpenMeter, Lago):
- Usage is aggregated from what generation already records: ``usage_record`` (GPU-seconds by
  GPU kind, stored once per idempotency key by :mod:`generation.metering`, so a replayed event is
  billed once) and ``generation_job`` (jobs finished ``done`` = generations). Both tables are
  project-scoped; a tenant's bill reads across its projects with an explicit ``tenant_id``
  filter, never through a ProjectScope and never without that filter.
- Price plans are data (``data/plans/default_plans.toml``): per meter an included allowance and
  graduated tiers. :func:`rate` is a pure function of (usage, plan) so it is tested by hand.
- An issued invoice is immutable. DuckDB has no triggers, so this is enforced in code: the module
  only ever INSERTs invoices (no function updates or deletes one), issuing a period again returns
  the stored invoice, :class:`Invoice` is frozen, and each invoice stores a SHA-256 of its content
  that :func:`verify_invoice` re-checks, so a change made behind the code's back is detected.
- Quotas refuse at submit time (a clear error), not by queueing a job that never runs.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import polars as pl

from ..common.clock import utc_now
from ..common.errors import Invalid, NotFound
from ..generation.base import BackendSpec
from ..management import access
from ..store import Migration, Store, StoreError

DEFAULT_PLANS = Path(__file__).resolve().parents[2] / "data" / "plans" / "default_plans.toml"
#: Seconds a request is expected to hold each GPU it asks for, when the plan does not say.
DEFAULT_SECONDS_PER_REQUEST = 30.0
_CENT = Decimal("0.01")

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "platform_billing",
        1,
        "plan assignments with GPU quotas; issued invoices and their lines (insert-only)",
        """
        CREATE TABLE tenant_plan (
            tenant_id VARCHAR NOT NULL REFERENCES tenant(tenant_id),
            effective_from DATE NOT NULL,
            plan_id VARCHAR NOT NULL,
            gpu_quota DOUBLE,                -- GPU-seconds per month; NULL: the plan's
            assigned_at TIMESTAMP NOT NULL, assigned_by VARCHAR NOT NULL,
            PRIMARY KEY (tenant_id, effective_from)
        );
        CREATE TABLE invoice (
            invoice_id VARCHAR PRIMARY KEY,
            tenant_id VARCHAR NOT NULL REFERENCES tenant(tenant_id),
            number INTEGER NOT NULL,
            period VARCHAR NOT NULL,         -- YYYY-MM, UTC
            period_start TIMESTAMP NOT NULL, period_end TIMESTAMP NOT NULL,
            plan_id VARCHAR NOT NULL, currency VARCHAR NOT NULL,
            total DECIMAL(18, 2) NOT NULL,
            content_sha256 VARCHAR NOT NULL,
            issued_at TIMESTAMP NOT NULL, issued_by VARCHAR NOT NULL,
            UNIQUE (tenant_id, period),
            UNIQUE (tenant_id, number)
        );
        CREATE TABLE invoice_line (
            invoice_id VARCHAR NOT NULL REFERENCES invoice(invoice_id),
            tenant_id VARCHAR NOT NULL,
            line_no INTEGER NOT NULL,
            meter VARCHAR NOT NULL, unit VARCHAR NOT NULL,
            quantity DOUBLE NOT NULL, included DOUBLE NOT NULL, billable DOUBLE NOT NULL,
            amount DECIMAL(18, 2) NOT NULL,
            tiers JSON NOT NULL,
            PRIMARY KEY (invoice_id, line_no)
        );
        """,
    ),
)


class BillingError(StoreError):
    """A billing problem the user can act on (no plan, unknown meter, open period)."""


class InvoiceImmutable(BillingError):
    """An issued invoice cannot be changed; correct it with a credit note or next period's invoice."""


class QuotaExceeded(BillingError):
    """A submission would take the tenant over its GPU quota for the period."""

    def __init__(self, message: str, *, tenant_id: str, period: str, used: float, reserved: float,
                 requested: float, quota: float) -> None:
        super().__init__(message)
        self.tenant_id, self.period = tenant_id, period
        self.used, self.reserved, self.requested, self.quota = used, reserved, requested, quota


# -- billing periods ------------------------------------------------------------------------------

@dataclass(frozen=True, order=True)
class Period:
    """A calendar month in UTC: ``start`` inclusive, ``end`` exclusive (naive UTC, like the store)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise Invalid(f"billing period month must be 1..12, got {self.month}")

    @classmethod
    def of(cls, when: datetime | date | str | Period) -> Period:
        """The period of a moment (an aware datetime is converted to UTC; naive is UTC), a date, or 'YYYY-MM'."""
        if isinstance(when, Period):
            return when
        if isinstance(when, str):
            try:
                y, m = when.split("-")
                return cls(int(y), int(m))
            except ValueError:
                raise Invalid(f"billing period {when!r}: write it as YYYY-MM (e.g. 2026-11)") from None
        if isinstance(when, datetime) and when.tzinfo is not None:
            when = when.astimezone(UTC)
        return cls(when.year, when.month)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1)

    @property
    def end(self) -> datetime:
        return datetime(self.year + 1, 1, 1) if self.month == 12 else datetime(self.year, self.month + 1, 1)

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# -- plans ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tier:
    up_to: float  # cumulative billable units this tier reaches (inf for the last)
    unit_price: Decimal


@dataclass(frozen=True)
class MeterPrice:
    meter: str
    unit: str
    included: float
    tiers: tuple[Tier, ...]


@dataclass(frozen=True)
class Plan:
    plan_id: str
    name: str
    currency: str
    meters: Mapping[str, MeterPrice]
    gpu_quota: float | None = None
    expected_seconds_per_request: float = DEFAULT_SECONDS_PER_REQUEST

    def price_for(self, meter: str) -> MeterPrice:
        """A meter's price; ``gpu_seconds:<kind>`` falls back to ``gpu_seconds:*``."""
        if meter in self.meters:
            return self.meters[meter]
        if meter.startswith("gpu_seconds:") and "gpu_seconds:*" in self.meters:
            return self.meters["gpu_seconds:*"]
        raise BillingError(f"plan {self.plan_id!r} has no price for meter {meter!r}; add "
                           f"[plans.{self.plan_id}.meters.\"{meter}\"] (or \"gpu_seconds:*\") to the plans file")


def load_plans(path: str | Path | None = None) -> dict[str, Plan]:
    """Read price plans from TOML (default: the bundled ``data/plans/default_plans.toml``)."""
    p = Path(path) if path is not None else DEFAULT_PLANS
    try:
        data = tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise BillingError(f"price plans file {p} does not exist; see data/plans/default_plans.toml") from None
    except tomllib.TOMLDecodeError as exc:
        raise BillingError(f"price plans file {p}: {exc}") from None
    plans: dict[str, Plan] = {}
    for plan_id, raw in data.get("plans", {}).items():
        where = f"{p} [plans.{plan_id}]"
        try:
            meters = {}
            for meter, m in raw.get("meters", {}).items():
                tiers = tuple(Tier(float(t["up_to"]), Decimal(str(t["unit_price"]))) for t in m["tiers"])
                if not tiers or any(b.up_to <= a.up_to for a, b in zip(tiers, tiers[1:], strict=False)):
                    raise Invalid(f"meter {meter!r}: tiers must be non-empty with increasing up_to")
                if tiers[-1].up_to != float("inf"):
                    raise Invalid(f"meter {meter!r}: the last tier needs up_to = inf")
                meters[meter] = MeterPrice(meter, str(m.get("unit", meter)), float(m.get("included", 0)), tiers)
            quota = raw.get("gpu_quota")
            plans[plan_id] = Plan(plan_id, str(raw.get("name", plan_id)), str(raw["currency"]), meters,
                                  None if quota is None else float(quota),
                                  float(raw.get("expected_seconds_per_request", DEFAULT_SECONDS_PER_REQUEST)))
        except (KeyError, ValueError, ArithmeticError) as exc:
            raise BillingError(f"{where}: {exc}") from None
    return plans


# -- pricing (pure) ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class InvoiceLine:
    meter: str
    unit: str
    quantity: float
    included: float
    billable: float
    amount: Decimal
    tiers: tuple[Mapping[str, Any], ...] = ()  # per tier: up_to, units, unit_price, amount

    def canonical(self) -> dict[str, Any]:
        return {"meter": self.meter, "unit": self.unit, "quantity": repr(self.quantity),
                "included": repr(self.included), "billable": repr(self.billable), "amount": _cents(self.amount),
                "tiers": [dict(t) for t in self.tiers]}


def _cents(x: Any) -> str:
    """Money as the store keeps it (DECIMAL(18, 2)): ``0`` and ``0.00`` hash alike."""
    return str(Decimal(str(x)).quantize(Decimal("0.01")))


def _q(x: float) -> float:
    return round(float(x), 6)


def _fmt(d: Decimal) -> str:
    return format(d.normalize(), "f")


def price_line(meter: str, quantity: float, price: MeterPrice) -> InvoiceLine:
    """Included allowance first (free), then graduated tiers over the billable rest; cents rounded half-up."""
    quantity = _q(quantity)
    billable = _q(max(0.0, quantity - price.included))
    left, floor, total, parts = Decimal(str(billable)), Decimal(0), Decimal(0), []
    for tier in price.tiers:
        if left <= 0:
            break
        cap = None if tier.up_to == float("inf") else Decimal(str(tier.up_to)) - floor
        units = left if cap is None else min(left, cap)
        amount = units * tier.unit_price
        parts.append({"up_to": "inf" if cap is None else _fmt(Decimal(str(tier.up_to))), "units": _fmt(units),
                      "unit_price": str(tier.unit_price), "amount": str(amount)})
        total += amount
        left -= units
        floor = floor if cap is None else Decimal(str(tier.up_to))
    return InvoiceLine(meter, price.unit, quantity, _q(min(quantity, price.included)), billable,
                       total.quantize(_CENT, rounding=ROUND_HALF_UP), tuple(parts))


def rate(usage: Mapping[str, float], plan: Plan) -> list[InvoiceLine]:
    """Invoice lines for aggregated usage (meter -> quantity), sorted by meter."""
    return [price_line(meter, qty, plan.price_for(meter)) for meter, qty in sorted(usage.items())]


# -- usage aggregation (explicit tenant filter across the tenant's projects) ------------------------

def usage_report(store: Store, tenant_id: str, period: Period | str | datetime | date,
                 projects: Sequence[str] | None = None) -> pl.DataFrame:
    """Quantity per (project, meter) of one tenant in one period; ``projects`` narrows it."""
    per = Period.of(period)
    params: dict[str, Any] = {"t": tenant_id, "s": per.start, "e": per.end}
    only = ""
    if projects is not None:
        only = " AND list_contains($p, project_id)"
        params["p"] = list(projects)
    return store.con.sql(
        "SELECT project_id, meter, sum(quantity)::DOUBLE AS quantity FROM ("
        "  SELECT project_id, 'gpu_seconds:' || gpu_kind AS meter, gpu_seconds AS quantity FROM usage_record "
        f"  WHERE tenant_id = $t AND recorded_at >= $s AND recorded_at < $e{only}"
        "  UNION ALL"
        "  SELECT project_id, 'generations' AS meter, 1.0 AS quantity FROM generation_job "
        f"  WHERE tenant_id = $t AND status = 'done' AND finished_at >= $s AND finished_at < $e{only}"
        ") GROUP BY project_id, meter ORDER BY project_id, meter", params=params).pl()


def tenant_usage(store: Store, tenant_id: str, period: Period | str | datetime | date) -> dict[str, float]:
    """Meter -> quantity over all the tenant's projects: what an invoice rates."""
    frame = usage_report(store, tenant_id, period)
    return {m: float(q) for m, q in frame.group_by("meter").agg(pl.col("quantity").sum()).iter_rows()}


# -- plan assignment ----------------------------------------------------------------------------------

def set_plan(store: Store, tenant_id: str, plan_id: str, *, effective_from: date, gpu_quota: float | None = None,
             actor: str = "system", plans: Mapping[str, Plan] | None = None) -> None:
    """Assign a plan (and optionally the tenant's own monthly GPU quota) from a date on; audited."""
    known = plans if plans is not None else load_plans()
    if plan_id not in known:
        raise Invalid(f"no price plan {plan_id!r}; known plans: {', '.join(sorted(known))}")
    if gpu_quota is not None and gpu_quota < 0:
        raise Invalid(f"gpu_quota must be >= 0 GPU-seconds, got {gpu_quota}")
    store.ensure_tenant(tenant_id)
    with store.transaction() as con:
        con.execute("INSERT OR REPLACE INTO tenant_plan VALUES (?, ?, ?, ?, ?, ?)",
                    [tenant_id, effective_from, plan_id, gpu_quota, utc_now(), actor])
        access.audit(store, tenant_id, "", actor, "plan.set", plan_id, "ok",
                     {"effective_from": effective_from, "gpu_quota": gpu_quota})


def plan_for(store: Store, tenant_id: str, period: Period | str | datetime | date, *,
             plans: Mapping[str, Plan] | None = None) -> tuple[Plan, float | None] | None:
    """(plan, monthly GPU quota) in effect for a period: the latest assignment effective on or before
    its last day. None when the tenant has no plan (a local workbench: no bill, no quota)."""
    per = Period.of(period)
    row = store.con.execute("SELECT plan_id, gpu_quota FROM tenant_plan WHERE tenant_id = ? AND effective_from <= ? "
                            "ORDER BY effective_from DESC LIMIT 1", [tenant_id, per.last_day]).fetchall()
    if not row:
        return None
    known = plans if plans is not None else load_plans()
    plan_id, quota = row[0]
    if plan_id not in known:
        raise BillingError(f"tenant {tenant_id!r} is on plan {plan_id!r}, which the plans file no longer has; "
                           "restore it or assign another plan")
    plan = known[plan_id]
    return plan, (plan.gpu_quota if quota is None else float(quota))


# -- invoices -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Invoice:
    """A draft (``invoice_id`` None) or an issued invoice; frozen, like the stored one."""

    tenant_id: str
    period: str
    plan_id: str
    currency: str
    lines: tuple[InvoiceLine, ...]
    total: Decimal
    invoice_id: str | None = None
    number: int | None = None
    issued_at: datetime | None = None
    issued_by: str | None = None
    content_sha256: str | None = field(default=None, repr=False)

    @property
    def issued(self) -> bool:
        return self.invoice_id is not None

    def content_hash(self) -> str:
        body = {"tenant": self.tenant_id, "period": self.period, "plan": self.plan_id, "currency": self.currency,
                "number": self.number, "total": _cents(self.total), "lines": [ln.canonical() for ln in self.lines]}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    def lines_frame(self) -> pl.DataFrame:
        return pl.DataFrame([{"meter": ln.meter, "unit": ln.unit, "quantity": ln.quantity, "included": ln.included,
                              "billable": ln.billable, "amount": float(ln.amount)} for ln in self.lines],
                            schema={"meter": pl.String, "unit": pl.String, "quantity": pl.Float64,
                                    "included": pl.Float64, "billable": pl.Float64, "amount": pl.Float64})


def draft_invoice(store: Store, tenant_id: str, period: Period | str | datetime | date, *,
                  plans: Mapping[str, Plan] | None = None) -> Invoice:
    """What the tenant would be billed for the period now: aggregated usage rated by its plan."""
    per = Period.of(period)
    found = plan_for(store, tenant_id, per, plans=plans)
    if found is None:
        raise BillingError(f"tenant {tenant_id!r} has no price plan for {per}; assign one with set_plan")
    plan, _ = found
    lines = tuple(rate(tenant_usage(store, tenant_id, per), plan))
    return Invoice(tenant_id, str(per), plan.plan_id, plan.currency, lines, sum((ln.amount for ln in lines), Decimal(0)))


def issue_invoice(store: Store, tenant_id: str, period: Period | str | datetime | date, *, actor: str = "system",
                  plans: Mapping[str, Plan] | None = None, now: datetime | None = None) -> Invoice:
    """Issue the period's invoice once; issuing again returns the stored one unchanged.

    Only a closed period (its month over, UTC) can be issued: usage still arrives in an open one.
    Numbers run 1, 2, 3... per tenant.
    """
    per = Period.of(period)
    at = now or utc_now()
    with store.transaction() as con:
        existing = con.execute("SELECT invoice_id FROM invoice WHERE tenant_id = ? AND period = ?",
                               [tenant_id, str(per)]).fetchall()
        if existing:
            return get_invoice(store, tenant_id, existing[0][0])
        if at < per.end:
            raise BillingError(f"billing period {per} of tenant {tenant_id!r} is still open (ends {per.end:%Y-%m-%d} "
                               "00:00 UTC); issue its invoice after that, or look at draft_invoice meanwhile")
        draft = draft_invoice(store, tenant_id, per, plans=plans)
        (last,) = con.execute("SELECT coalesce(max(number), 0) FROM invoice WHERE tenant_id = ?",
                              [tenant_id]).fetchall()[0]
        number = int(last) + 1
        invoice_id = f"inv-{tenant_id}-{number:06d}"
        issued = Invoice(draft.tenant_id, draft.period, draft.plan_id, draft.currency, draft.lines, draft.total,
                         invoice_id, number, at, actor)
        digest = issued.content_hash()
        con.execute("INSERT INTO invoice VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [invoice_id, tenant_id, number, str(per), per.start, per.end, draft.plan_id, draft.currency,
                     draft.total, digest, at, actor])
        for i, ln in enumerate(draft.lines, start=1):
            con.execute("INSERT INTO invoice_line VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [invoice_id, tenant_id, i, ln.meter, ln.unit, ln.quantity, ln.included, ln.billable,
                         ln.amount, json.dumps(list(ln.tiers))])
        access.audit(store, tenant_id, "", actor, "invoice.issue", invoice_id, "ok",
                     {"period": str(per), "total": str(draft.total), "currency": draft.currency})
    return get_invoice(store, tenant_id, invoice_id)


def get_invoice(store: Store, tenant_id: str, invoice_id: str) -> Invoice:
    """An issued invoice of this tenant (another tenant's reads as not found)."""
    row = store.con.execute("SELECT period, plan_id, currency, total, number, issued_at, issued_by, content_sha256 "
                            "FROM invoice WHERE tenant_id = ? AND invoice_id = ?", [tenant_id, invoice_id]).fetchall()
    if not row:
        raise NotFound(f"no invoice {invoice_id!r} for tenant {tenant_id!r}; list them with invoices()")
    period, plan_id, currency, total, number, issued_at, issued_by, digest = row[0]
    lines = tuple(
        InvoiceLine(m, u, q, inc, b, a, tuple(json.loads(t)))
        for m, u, q, inc, b, a, t in store.con.execute(
            "SELECT meter, unit, quantity, included, billable, amount, tiers FROM invoice_line "
            "WHERE tenant_id = ? AND invoice_id = ? ORDER BY line_no", [tenant_id, invoice_id]).fetchall())
    return Invoice(tenant_id, period, plan_id, currency, lines, total, invoice_id, number, issued_at, issued_by, digest)


def verify_invoice(store: Store, tenant_id: str, invoice_id: str) -> Invoice:
    """The invoice, after checking its stored content still matches the hash taken when it was issued."""
    inv = get_invoice(store, tenant_id, invoice_id)
    if inv.content_hash() != inv.content_sha256:
        raise InvoiceImmutable(f"invoice {invoice_id} of tenant {tenant_id!r} was changed after it was issued "
                               "(content hash mismatch); restore it from a backup and audit who wrote to the store")
    return inv


def amend_invoice(store: Store, tenant_id: str, invoice_id: str, **changes: Any) -> None:
    """Always refuses: an issued invoice is never changed (say so clearly instead of a silent no-op)."""
    get_invoice(store, tenant_id, invoice_id)
    raise InvoiceImmutable(f"invoice {invoice_id} is issued and cannot be changed ({', '.join(changes) or 'no fields'}"
                           "); bill a correction on the next period's invoice or issue a credit note")


def list_invoices(store: Store, tenant_id: str) -> pl.DataFrame:
    return store.con.sql("SELECT invoice_id, number, period, plan_id, currency, total, issued_at, issued_by "
                         "FROM invoice WHERE tenant_id = $t ORDER BY number", params={"t": tenant_id}).pl()


# -- quotas ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuotaStatus:
    tenant_id: str
    period: str
    used: float       # GPU-seconds recorded this period on GPUs (not "cpu")
    reserved: float   # estimated GPU-seconds of the tenant's queued and running jobs
    quota: float | None

    @property
    def remaining(self) -> float | None:
        return None if self.quota is None else max(0.0, self.quota - self.used - self.reserved)


def estimate_gpu_seconds(spec: BackendSpec, *, requests: int = 1, plan: Plan | None = None) -> float:
    """GPU-seconds a submission is expected to take: num_gpus x expected seconds per request x requests."""
    per_request = plan.expected_seconds_per_request if plan is not None else DEFAULT_SECONDS_PER_REQUEST
    return max(0.0, float(spec.num_gpus)) * per_request * requests


def quota_status(store: Store, tenant_id: str, *, now: datetime | None = None,
                 plans: Mapping[str, Plan] | None = None) -> QuotaStatus:
    per = Period.of(now or utc_now())
    found = plan_for(store, tenant_id, per, plans=plans)
    plan, quota = found if found is not None else (None, None)
    (used,) = store.con.execute(
        "SELECT coalesce(sum(gpu_seconds), 0) FROM usage_record WHERE tenant_id = ? AND gpu_kind <> 'cpu' "
        "AND recorded_at >= ? AND recorded_at < ?", [tenant_id, per.start, per.end]).fetchall()[0]
    (gpus,) = store.con.execute(
        "SELECT coalesce(sum(greatest(coalesce(TRY_CAST(json_extract(spec, '$.num_gpus') AS DOUBLE), 0), 0)), 0) "
        "FROM generation_job WHERE tenant_id = ? AND status IN ('queued', 'running')", [tenant_id]).fetchall()[0]
    per_request = plan.expected_seconds_per_request if plan is not None else DEFAULT_SECONDS_PER_REQUEST
    return QuotaStatus(tenant_id, str(per), float(used), float(gpus) * per_request, quota)


def check_quota(store: Store, tenant_id: str, requested_gpu_seconds: float, *, now: datetime | None = None,
                plans: Mapping[str, Plan] | None = None) -> QuotaStatus:
    """Refuse (QuotaExceeded) a submission that would take the tenant over its monthly GPU quota.

    Counts GPU-seconds recorded this period plus what queued/running jobs are expected to use, so
    a burst of submissions cannot overshoot. Call it before queuing (see :func:`estimate_gpu_seconds`).
    """
    status = quota_status(store, tenant_id, now=now, plans=plans)
    if status.quota is None or requested_gpu_seconds <= 0:
        return status
    if status.used + status.reserved + requested_gpu_seconds > status.quota:
        per = Period.of(status.period)
        raise QuotaExceeded(
            f"tenant {tenant_id!r} would exceed its GPU quota for {status.period}: used {status.used:.0f} GPU-s "
            f"+ {status.reserved:.0f} reserved by queued/running jobs + {requested_gpu_seconds:.0f} requested > quota "
            f"{status.quota:.0f} GPU-s. Wait for the next period ({per.end:%Y-%m-%d} 00:00 UTC), cancel queued jobs, "
            "run on CPU (num_gpus = 0 in the model profile), or ask a tenant admin to raise the quota (set_plan ... "
            "gpu_quota=...).",
            tenant_id=tenant_id, period=status.period, used=status.used, reserved=status.reserved,
            requested=requested_gpu_seconds, quota=status.quota)
    return status
