"""The Approvals, Usage and Timeline pages of the producer dashboard in a real browser, compared with
the store read separately through a read-only Studio (the review round, usage and invoices come from
the ``operations_store`` fixture, or from the demo once it makes them)."""

from __future__ import annotations

from pathlib import Path

import panel as pn
from playwright.sync_api import expect

from dashboards.pages.approvals import review_rows
from dashboards.pages.usage import billing_periods, usage_page
from studio_kit.settings import Settings
from studio_kit.store import Store
from studio_kit.studio import ALL_MIGRATIONS, Studio

from .conftest import MAIN_PROJECT, SECOND_PROJECT, TENANT, BrowserPage, DashboardServer, DashboardStore
from .test_producer_dashboard import _assert_not_blank, _cells, _open, _open_tab, _shot


def _read(path: Path, project: str = MAIN_PROJECT) -> Studio:
    return Studio.open(Settings(), store_path=path, project=project, tenant=TENANT, read_only=True)


def _chart(page: BrowserPage, css: str) -> None:
    canvas = page.page.locator(f"{css} canvas").first
    canvas.wait_for(state="visible")
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 150, (css, box)


def _to_second_project(page: BrowserPage) -> None:
    project = page.page.locator("select", has=page.page.locator("option", has_text=SECOND_PROJECT))
    project.select_option(SECOND_PROJECT)


def test_approvals_page_shows_signoffs_filters_and_one_versions_detail(
        operations_store: DashboardStore, page: BrowserPage, dashboard_server: DashboardServer,
        tmp_path: Path) -> None:
    with _read(operations_store.path) as studio:
        table, history, notes = review_rows(studio)
        states = {(a, v): studio.approval_state(a, v).final
                  for a in studio.assets()["asset_id"] for v in studio.asset_versions(a)["version"]}
    finals = list(states.values())
    assert {"approved", "rejected", "pending"} <= set(finals)  # the round has every outcome
    assert sorted(table["Status"]) == sorted(finals)
    main = operations_store.projects[MAIN_PROJECT]
    _open(page, dashboard_server, main.title, len(main.headings))
    _open_tab(page, "Approvals")

    page.page.get_by_text(f"Approvals · {len(states)} versions").first.wait_for(state="visible")
    kpis = page.page.locator(".approvals-kpis")
    for status in ("pending", "approved", "rejected"):  # each KPI card: its name and its count
        card = kpis.locator(f".kpi-{status}")
        card.get_by_text(status.title(), exact=True).wait_for(state="visible")
        card.get_by_text(str(finals.count(status)), exact=True).wait_for(state="visible")
    _chart(page, ".approvals-chart")
    assert sorted(_cells(page, ".approvals-table", "Asset")) == sorted(a for a, _ in states)
    shown = dict(zip(_cells(page, ".approvals-table", "Asset"), _cells(page, ".approvals-table", "Status"),
                     strict=True))
    assert shown == {a: s for (a, _), s in states.items()}

    # The status filter narrows the table to the rejected versions.
    rejected = sorted(a for (a, _), s in states.items() if s == "rejected")
    page.page.locator(".approvals-status select").select_option("rejected")
    expect(page.page.locator('.approvals-table .tabulator-cell[tabulator-field="Asset"]')).to_have_count(
        len(rejected))
    assert sorted(_cells(page, ".approvals-table", "Asset")) == rejected

    # Picking a version shows its sign-off history and its notes.
    key = f"{rejected[0]}@v1"
    page.page.locator(".approval-picker select").select_option(key)
    page.page.locator(".approval-detail").get_by_text(key, exact=False).first.wait_for(state="visible")
    expect(page.page.locator('.comments-table .tabulator-cell[tabulator-field="Note"]')).to_have_count(
        len(notes[key]))
    assert _cells(page, ".comments-table", "Note") == notes[key]["Note"].tolist()
    assert _cells(page, ".signoff-table", "Decision") == history[key]["Decision"].tolist()
    assert "rejected" in _cells(page, ".signoff-table", "Decision")

    shot = _shot(tmp_path, "producer_approvals.png")
    page.page.screenshot(path=str(shot), full_page=True)
    _assert_not_blank(shot)
    _to_second_project(page)
    page.page.get_by_text("No versions to review yet").first.wait_for(state="visible")
    assert page.outside == [], f"the dashboard tried to reach beyond 127.0.0.1: {page.outside}"


def test_usage_page_shows_periods_quota_invoices_and_draft(
        operations_store: DashboardStore, page: BrowserPage, dashboard_server: DashboardServer,
        tmp_path: Path) -> None:
    current, previous = billing_periods()
    with _read(operations_store.path) as studio:
        usage = {p: studio.usage_report(p) for p in (current, previous)}
        invoices = studio.invoices()
        draft = studio.draft_invoice(current)
        quota = studio.quota_status()
    assert not usage[previous].is_empty() and invoices.height >= 1
    main = operations_store.projects[MAIN_PROJECT]
    _open(page, dashboard_server, main.title, len(main.headings))
    _open_tab(page, "Usage")

    page.page.get_by_text(f"Usage · tenant {TENANT} · {current} and {previous}").first.wait_for(state="visible")
    _chart(page, ".usage-chart")
    page.page.locator(".quota-indicator progress").first.wait_for(state="attached")
    page.page.locator(".quota-note").get_by_text(f"{quota.quota:,.0f} GPU-seconds", exact=False).wait_for()
    periods = _cells(page, ".usage-table", "Period")
    meters = _cells(page, ".usage-table", "Meter")
    quantities = [float(q.replace(",", "")) for q in _cells(page, ".usage-table", "Quantity")]
    for period, frame in usage.items():
        expect = {m: round(q, 2) for m, q in zip(frame["meter"], frame["quantity"], strict=True)}
        got = {m: q for p, m, q in zip(periods, meters, quantities, strict=True) if p == period}
        assert got == expect, (period, got, expect)
    assert [int(n) for n in _cells(page, ".invoices-table", "Number")] == invoices["number"].to_list()
    totals = [float(t.replace(",", "")) for t in _cells(page, ".invoices-table", "Total")]
    assert totals == [float(t) for t in invoices["total"]]
    assert _cells(page, ".draft-table", "meter") == [ln.meter for ln in draft.lines]
    page.page.locator(".draft-total").get_by_text(f"{draft.total:,.2f} {draft.currency}", exact=False).wait_for()

    shot = _shot(tmp_path, "producer_usage.png")
    page.page.screenshot(path=str(shot), full_page=True)
    _assert_not_blank(shot)
    # Usage, quota and invoices are the tenant's; the chart follows the project (last month's usage is
    # the second project's, so the main project's budget keeps pricing only its own jobs).
    _to_second_project(page)
    page.page.get_by_text(f"GPU-seconds by model and GPU kind · {SECOND_PROJECT}").first.wait_for(state="visible")
    _chart(page, ".usage-chart")
    assert page.outside == [], f"the dashboard tried to reach beyond 127.0.0.1: {page.outside}"


def test_usage_page_says_when_nothing_was_used(tmp_path: Path) -> None:
    """A tenant without any usage or invoice gets the empty-state message, not empty tables."""
    store = Store.open(tmp_path / "empty.duckdb", migrations=ALL_MIGRATIONS)
    try:
        view = usage_page(Studio(store, "fresh-tenant", "first-project", Settings()), "")
    finally:
        store.close()
    assert isinstance(view, pn.pane.Alert) and "No usage recorded yet" in view.object


def test_timeline_page_shows_tasks_and_shoot_days(
        operations_store: DashboardStore, page: BrowserPage, dashboard_server: DashboardServer,
        tmp_path: Path) -> None:
    main = operations_store.projects[MAIN_PROJECT]
    with _read(operations_store.path) as studio:
        tasks = studio.tasks()
        shoot = studio.schedule(main.script_id).dates()
    dated = [t for t in tasks.iter_rows(named=True) if t["start_date"] or t["due_date"]]
    assert dated and shoot
    _open(page, dashboard_server, main.title, len(main.headings))
    _open_tab(page, "Timeline")

    header = page.page.locator(".timeline-header")
    header.first.wait_for(state="visible")
    kpis = page.page.locator(".timeline-kpis")
    kpis.get_by_text(str(tasks.height), exact=True).first.wait_for(state="visible")
    kpis.get_by_text(str(len(shoot)), exact=True).first.wait_for(state="visible")
    _chart(page, ".timeline-chart")
    tasks_shown = _cells(page, ".timeline-table", "Task")
    assert sorted(t for t in tasks_shown if not t.startswith("Shoot day")) == sorted(t["name"] for t in dated)
    assert [t for t in tasks_shown if t.startswith("Shoot day")] == [f"Shoot day {n}" for n in
                                                                     range(1, len(shoot) + 1)]
    lanes = _cells(page, ".timeline-table", "Lane")
    starts = _cells(page, ".timeline-table", "Start")
    assert [s for lane, s in zip(lanes, starts, strict=True) if lane == "Shoot"] == [d.isoformat() for d in shoot]
    header.get_by_text(min(starts), exact=False).first.wait_for(state="visible")

    shot = _shot(tmp_path, "producer_timeline.png")
    page.page.screenshot(path=str(shot), full_page=True)
    _assert_not_blank(shot)
    _to_second_project(page)
    page.page.get_by_text("Nothing on the timeline yet").first.wait_for(state="visible")
    assert page.outside == [], f"the dashboard tried to reach beyond 127.0.0.1: {page.outside}"
