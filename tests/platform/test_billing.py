"""Metering, tiered pricing, immutable invoices, replayed usage billed once, quotas, UTC periods."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from studio_kit.common.errors import Invalid, NotFound
from studio_kit.generation import jobs, metering
from studio_kit.generation.base import BackendSpec, ImageRequest
from studio_kit.management import access
from studio_kit.management.access import AccessDenied, Role
from studio_kit.platform import billing
from studio_kit.platform.billing import Period
from studio_kit.store import Store

from .test_keys import PlatformStudio, _migrations

GPU = BackendSpec("image", "procedural", "procedural/storyboard-v1", device="cuda", num_gpus=1.0)


@pytest.fixture
def store():
    s = Store.open(None, migrations=_migrations())
    for tenant, project in [("acme", "film"), ("acme", "promo"), ("rival", "other")]:
        s.ensure_project(tenant, project)
    yield s
    s.close()


def _usage(store: Store, tenant: str, project: str, key: str, seconds: float, kind: str = "h100",
           at: datetime | None = None) -> bool:
    fresh = metering.record_usage(store.scope(tenant, project), metering.Usage(key, "job-x", "m", kind, seconds))
    if at is not None:  # usage is stamped now; move it into the month the test is about
        store.con.execute("UPDATE usage_record SET recorded_at = ? WHERE tenant_id = ? AND project_id = ? "
                          "AND idempotency_key = ?", [at, tenant, project, key])
    return fresh


def _done_job(store: Store, tenant: str, project: str, gpu_seconds: float, at: datetime | None = None) -> str:
    scope = store.scope(tenant, project)
    job_id = jobs.submit(scope, "image", ImageRequest("a panel"), GPU)
    jobs.mark_running(scope, [job_id])
    jobs.finish(scope, job_id, jobs.JobResult(seconds=gpu_seconds, gpu_kind="h100", gpu_seconds=gpu_seconds))
    if at is not None:
        store.con.execute("UPDATE generation_job SET finished_at = ? WHERE job_id = ?", [at, job_id])
        store.con.execute("UPDATE usage_record SET recorded_at = ? WHERE job_id = ?", [at, job_id])
    return job_id


OCT = datetime(2026, 10, 15, 12, 0)


# -- periods ---------------------------------------------------------------------------------------

def test_period_is_a_utc_calendar_month():
    nov = Period.of("2026-11")
    assert (nov.start, nov.end, nov.last_day) == (datetime(2026, 11, 1), datetime(2026, 12, 1), date(2026, 11, 30))
    dec = Period.of(datetime(2026, 12, 31, 23, 59))
    assert dec.end == datetime(2027, 1, 1) and str(dec) == "2026-12"
    # 01:00 on Dec 1st in UTC+2 is still November in UTC
    assert str(Period.of(datetime(2026, 12, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))))) == "2026-11"
    with pytest.raises(ValueError, match="YYYY-MM"):
        Period.of("November")


def test_usage_on_the_boundary_goes_to_the_right_month(store):
    _usage(store, "acme", "film", "last-moment", 10, at=datetime(2026, 11, 30, 23, 59, 59, 999999))
    _usage(store, "acme", "film", "first-moment", 7, at=datetime(2026, 12, 1, 0, 0, 0))
    assert billing.tenant_usage(store, "acme", "2026-11") == {"gpu_seconds:h100": 10.0}
    assert billing.tenant_usage(store, "acme", "2026-12") == {"gpu_seconds:h100": 7.0}


# -- aggregation ---------------------------------------------------------------------------------------

def test_aggregation_spans_the_tenants_projects_and_never_another_tenant(store):
    _usage(store, "acme", "film", "a", 100, at=OCT)
    _usage(store, "acme", "promo", "b", 50, at=OCT)
    _usage(store, "acme", "promo", "c", 20, kind="cpu", at=OCT)
    _usage(store, "rival", "other", "a", 9999, at=OCT)  # same key, other tenant: its own record
    _done_job(store, "acme", "film", 5, at=OCT)
    _done_job(store, "rival", "other", 5, at=OCT)
    assert billing.tenant_usage(store, "acme", "2026-10") == {
        "gpu_seconds:h100": 155.0, "gpu_seconds:cpu": 20.0, "generations": 1.0}
    report = billing.usage_report(store, "acme", "2026-10")
    assert set(report["project_id"]) == {"film", "promo"}
    only_film = billing.usage_report(store, "acme", "2026-10", projects=["film"])
    assert set(only_film["project_id"]) == {"film"}
    assert billing.tenant_usage(store, "rival", "2026-10")["gpu_seconds:h100"] == 10004.0


# -- pricing ---------------------------------------------------------------------------------------------

def test_tiered_pricing_with_included_allowance_by_hand():
    studio = billing.load_plans()["studio"]
    price = studio.price_for("gpu_seconds:h100")
    # 150,000 GPU-s: 36,000 included; 114,000 billable = 100,000 x 0.0012 + 14,000 x 0.0010 = 120 + 14
    line = billing.price_line("gpu_seconds:h100", 150_000, price)
    assert (line.included, line.billable, line.amount) == (36_000, 114_000, Decimal("134.00"))
    assert [t["units"] for t in line.tiers] == ["100000", "14000"]
    # 700,000: 664,000 billable = 100,000 x 0.0012 + 400,000 x 0.0010 + 164,000 x 0.0008 = 120 + 400 + 131.2
    assert billing.price_line("gpu_seconds:h100", 700_000, price).amount == Decimal("651.20")
    # inside the allowance: nothing to pay
    assert billing.price_line("gpu_seconds:h100", 1_000, price).amount == Decimal("0.00")
    # an unknown GPU kind is priced by the plan's gpu_seconds:* entry; cents round half-up
    other = billing.price_line("gpu_seconds:a10", 36_000 + 12_345, studio.price_for("gpu_seconds:a10"))
    assert other.amount == Decimal("7.41")  # 12,345 x 0.0006 = 7.407
    with pytest.raises(billing.BillingError, match="no price for meter 'storage_gb_days'"):
        studio.price_for("storage_gb_days")


def test_plans_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "plans.toml"
    bad.write_text('[plans.x]\ncurrency = "EUR"\n[plans.x.meters.generations]\ntiers = [{ up_to = 10, unit_price = "1" }]\n')
    with pytest.raises(billing.BillingError, match=r"plans.toml \[plans.x\].*up_to = inf"):
        billing.load_plans(bad)


# -- invoices -----------------------------------------------------------------------------------------------

def test_invoice_draft_issue_immutable_and_numbered(store):
    billing.set_plan(store, "acme", "studio", effective_from=date(2026, 1, 1), actor="admin")
    _usage(store, "acme", "film", "sep", 40_000, at=datetime(2026, 9, 3))
    _usage(store, "acme", "film", "oct", 150_000, at=OCT)
    _usage(store, "acme", "promo", "oct-cpu", 500, kind="cpu", at=OCT)
    draft = billing.draft_invoice(store, "acme", "2026-10")
    assert not draft.issued and draft.total == Decimal("134.00") and draft.currency == "EUR"
    assert [ln.meter for ln in draft.lines] == ["gpu_seconds:cpu", "gpu_seconds:h100"]

    with pytest.raises(billing.BillingError, match="still open"):
        billing.issue_invoice(store, "acme", "2026-10", now=datetime(2026, 10, 31, 23, 59))
    oct_inv = billing.issue_invoice(store, "acme", "2026-10", actor="admin", now=datetime(2026, 11, 2))
    assert (oct_inv.number, oct_inv.invoice_id, oct_inv.total) == (1, "inv-acme-000001", Decimal("134.00"))
    assert billing.verify_invoice(store, "acme", oct_inv.invoice_id) == oct_inv

    # late usage does not change an issued invoice; issuing again returns the same one
    _usage(store, "acme", "film", "late", 99_999, at=OCT)
    again = billing.issue_invoice(store, "acme", "2026-10", actor="someone-else", now=datetime(2026, 11, 3))
    assert again == oct_inv and again.issued_by == "admin"
    assert billing.list_invoices(store, "acme").height == 1

    sep_inv = billing.issue_invoice(store, "acme", "2026-09", actor="admin", now=datetime(2026, 11, 3))
    assert sep_inv.number == 2  # sequential per tenant, in issue order
    assert sep_inv.total == Decimal("4.80")  # 4,000 billable x 0.0012

    with pytest.raises(dataclasses.FrozenInstanceError):
        oct_inv.total = Decimal("1")  # type: ignore[misc]
    with pytest.raises(billing.InvoiceImmutable, match="cannot be changed"):
        billing.amend_invoice(store, "acme", oct_inv.invoice_id, total=Decimal("1"))
    # a write behind the code's back (DuckDB has no triggers) is detected
    store.con.execute("UPDATE invoice_line SET amount = 1 WHERE invoice_id = ?", [oct_inv.invoice_id])
    with pytest.raises(billing.InvoiceImmutable, match="changed after it was issued"):
        billing.verify_invoice(store, "acme", oct_inv.invoice_id)
    # another tenant cannot read it
    with pytest.raises(NotFound, match="no invoice"):
        billing.get_invoice(store, "rival", sep_inv.invoice_id)
    log = access.audit_log(store, "acme")
    assert log.filter(log["action"] == "invoice.issue").height == 2


def test_no_plan_no_invoice(store):
    with pytest.raises(billing.BillingError, match="no price plan.*set_plan"):
        billing.draft_invoice(store, "acme", "2026-10")
    with pytest.raises(Invalid, match="known plans"):
        billing.set_plan(store, "acme", "platinum", effective_from=date(2026, 1, 1))


def test_replayed_usage_is_billed_once(store):
    billing.set_plan(store, "acme", "free", effective_from=date(2026, 1, 1))
    assert _usage(store, "acme", "film", "job-7/ok", 4_600, kind="a10", at=OCT) is True
    assert _usage(store, "acme", "film", "job-7/ok", 4_600, kind="a10") is False  # the replay
    job_id = _done_job(store, "acme", "film", 0)
    # a job finished twice (a retried batch) records its usage once
    assert jobs.finish(store.scope("acme", "film"), job_id, jobs.JobResult(gpu_kind="h100", gpu_seconds=1e6)) is False
    inv = billing.draft_invoice(store, "acme", "2026-10")
    (line,) = inv.lines
    # free plan: 3,600 included, 1,000 billable x 0.0010
    assert (line.quantity, line.billable, line.amount) == (4_600, 1_000, Decimal("1.00"))


# -- quotas -------------------------------------------------------------------------------------------------

def test_quota_refuses_with_a_clear_message(store):
    billing.set_plan(store, "acme", "studio", effective_from=date(2026, 1, 1), gpu_quota=100)
    _usage(store, "acme", "film", "a", 50)
    _usage(store, "acme", "promo", "b", 30)
    _usage(store, "acme", "film", "cpu", 10_000, kind="cpu")  # CPU time does not count against GPU quota
    _usage(store, "acme", "film", "last-month", 10_000, at=Period.of(datetime.now(UTC)).start - timedelta(seconds=1))
    _usage(store, "rival", "other", "a", 10_000)
    status = billing.check_quota(store, "acme", 20)
    assert (status.used, status.reserved, status.quota, status.remaining) == (80, 0, 100, 20)
    with pytest.raises(billing.QuotaExceeded) as err:
        billing.check_quota(store, "acme", 21)
    msg, period = str(err.value), str(Period.of(datetime.now(UTC)))
    for part in ("'acme'", period, "used 80 GPU-s", "21 requested", "quota 100 GPU-s", "raise the quota",
                 "next period"):
        assert part in msg
    assert (err.value.used, err.value.quota, err.value.period) == (80, 100, period)

    # a queued GPU job reserves its estimate, so a burst of submissions cannot overshoot
    jobs.submit(store.scope("acme", "film"), "image", ImageRequest("queued"), GPU)
    est = billing.estimate_gpu_seconds(GPU, plan=billing.load_plans()["studio"])
    assert est == 30.0
    assert billing.quota_status(store, "acme").reserved == 30.0
    with pytest.raises(billing.QuotaExceeded, match=r"\+ 30 reserved"):
        billing.check_quota(store, "acme", 1)
    assert billing.check_quota(store, "acme", 0).remaining == 0  # a CPU job is never refused
    # no plan: no quota (a local workbench)
    assert billing.check_quota(store, "rival", 1e9).quota is None


def test_estimate_gpu_seconds():
    spec = dataclasses.replace(GPU, num_gpus=0.5)
    assert billing.estimate_gpu_seconds(spec, requests=4) == 0.5 * billing.DEFAULT_SECONDS_PER_REQUEST * 4
    assert billing.estimate_gpu_seconds(dataclasses.replace(GPU, num_gpus=0.0), requests=10) == 0.0


# -- Studio operations -------------------------------------------------------------------------------------

def test_studio_billing_operations_are_checked(store):
    access.add_person(store, "acme", "pam", "Pam", "pam@acme.test")
    access.add_person(store, "acme", "art", "Art", "art@acme.test")
    access.set_role(store, "acme", "film", "pam", Role.PRODUCTION_MANAGER, actor="test")
    access.set_role(store, "acme", "film", "art", Role.ARTIST, actor="test")
    _usage(store, "acme", "film", "a", 100, at=OCT)
    _usage(store, "acme", "promo", "b", 100, at=OCT)
    admin = PlatformStudio(store, "acme", "film")
    admin.set_plan("studio", effective_from=date(2026, 1, 1))
    assert set(admin.usage_report("2026-10")["project_id"]) == {"film", "promo"}
    inv = admin.issue_invoice("2026-10")
    assert admin.invoice(inv.invoice_id) == inv
    assert admin.invoices()["invoice_id"].to_list() == [inv.invoice_id]
    assert admin.quota_status().quota == 360_000

    pm = PlatformStudio(store, "acme", "film", user=access.principal(store, "acme", "pam"))
    assert set(pm.usage_report("2026-10")["project_id"]) == {"film"}  # only projects they may read
    with pytest.raises(AccessDenied, match="tenant admin"):
        pm.invoices()
    with pytest.raises(AccessDenied, match="invoice.issue"):
        pm.issue_invoice("2026-10")
    artist = PlatformStudio(store, "acme", "film", user=access.principal(store, "acme", "art"))
    with pytest.raises(AccessDenied, match="usage.read"):
        artist.usage_report()
    with pytest.raises(AccessDenied, match="invoice.read"):
        artist.draft_invoice("2026-10")


def test_a_freshly_issued_invoice_verifies_even_with_no_usage(tmp_path):
    """Regression: a zero total (Decimal('0') in the draft, 0.00 in the store) hashed differently."""
    from datetime import date

    from studio_kit.settings import Settings
    from studio_kit.studio import Studio

    with Studio.open(Settings(), store_path=tmp_path / "s.duckdb", project="film", tenant="acme") as s:
        s.set_plan("studio", effective_from=date(2025, 1, 1))
        issued = s.issue_invoice("2026-01")
        assert s.invoice(issued.invoice_id).number == issued.number == 1
