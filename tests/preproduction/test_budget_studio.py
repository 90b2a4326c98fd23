"""The budget follows the plan through the Studio: a schedule change moves the linked lines."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from studio_kit.cli import main
from studio_kit.common.errors import NotFound
from studio_kit.preproduction import budget as bud
from studio_kit.preproduction.options import ScheduleOptions
from studio_kit.settings import Settings
from studio_kit.studio import Studio

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "night_train.fountain"
RECORDS = ROOT / "data" / "sample" / "night_train_production.toml"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    path = tmp_path_factory.mktemp("budget") / "studio.duckdb"
    s = Studio.open(Settings(), project="night-train", store_path=path)
    s.ingest_script(SAMPLE)
    s.plan_schedule(start=date(2027, 3, 1), options=ScheduleOptions(time_limit_s=3))
    s.plan_schedule(start=date(2027, 3, 1), options=ScheduleOptions(capacity_eighths=30, time_limit_s=3),
                    label="slower pace")
    yield s
    s.close()


def test_a_longer_schedule_costs_more_through_the_linked_lines(studio):
    a, b = studio.plan_budget(schedule_version=1), studio.plan_budget(schedule_version=2)
    days_a, days_b = studio.schedule(schedule_version=1).shoot_days, studio.schedule(schedule_version=2).shoot_days
    assert days_b > days_a
    d = bud.diff(a, b)
    grand = d.filter(d["account"] == "GRAND_TOTAL")["delta"][0]
    assert grand == pytest.approx(b.grand_total - a.grand_total, abs=0.01)
    assert grand > 0
    # Lines that scale with shoot days moved by exactly (days_b - days_a) x their daily amount.
    per_day = pl.col("source") == "schedule:shoot_days"
    la, lb = a.detail.filter(per_day), b.detail.filter(per_day)
    assert la.height >= 3 and la["description"].to_list() == lb["description"].to_list()
    for ra, rb in zip(la.iter_rows(named=True), lb.iter_rows(named=True), strict=True):
        assert rb["subtotal"] - ra["subtotal"] == pytest.approx((days_b - days_a) * ra["multiplier"] * ra["rate"])
    notes = bud.explain(d, studio.budget_inputs(schedule_version=1),
                         studio.budget_inputs(schedule_version=2))
    assert any(f"shoot days {days_a} -> {days_b}" in n for n in notes)


def test_cast_lines_are_the_dood_paid_days_at_the_schedule_rates(studio):
    res = studio.plan_budget(schedule_version=1)
    stored = studio.schedule(schedule_version=1)
    dood = studio.dood(schedule_version=1)
    cast = res.detail.filter((pl.col("account") == "1400") & pl.col("source").str.starts_with("dood:"))
    rows = {r.element.element_id: r for r in dood.rows if r.element.category == "cast"}
    assert cast.height == len(rows)
    for line in cast.iter_rows(named=True):
        eid = line["source"].split(":", 1)[1]
        assert line["subtotal"] == pytest.approx(rows[eid].totals.paid_days * stored.request["cast_pay"][eid])


def test_budget_versions_keep_their_numbers_and_name_the_cause(studio):
    first = studio.save_budget(schedule_version=1, label="first pass")
    second = studio.save_budget(schedule_version=2, label="slower pace")
    assert studio.budgets()["label"].to_list() == ["first pass", "slower pace"]
    assert first.grand_total == pytest.approx(studio.plan_budget(schedule_version=1).grand_total)
    again = studio.budget(budget_version=1)
    assert again.detail.height == first.detail.height and again.top_sheet.equals(first.top_sheet)
    d, notes = studio.compare_budgets(1, 2)
    assert d.filter(pl.col("account") == "GRAND_TOTAL")["delta"][0] == pytest.approx(
        second.grand_total - first.grand_total, abs=0.01)
    assert notes[0].startswith("shoot days ")
    with pytest.raises(NotFound, match="no budget version 9"):
        studio.budget(budget_version=9)


def test_cli_budget_and_call_sheets(studio, tmp_path, capsys):
    opts = ["-p", "night-train", "--store", str(studio.store.path)]
    studio.store.close()  # the CLI opens the store itself (one writer at a time)
    try:
        out = [tmp_path / "b.pdf", tmp_path / "b.xlsx", tmp_path / "b.csv"]
        assert main(["budget", *opts, "--compare", "1", *[a for p in out for a in ("-o", str(p))],
                     "--detail-csv", str(tmp_path / "detail.csv")]) == 0
        detail = pl.read_csv(tmp_path / "detail.csv")
        assert {"account", "description", "total", "source"} <= set(detail.columns) and detail.height > 50
        text = capsys.readouterr().out
        assert "Grand Total" in text and "shoot days" in text
        assert out[0].read_bytes()[:4] == b"%PDF" and out[1].read_bytes()[:2] == b"PK"
        assert main(["callsheets", *opts, "--records", str(RECORDS), "--out", str(tmp_path / "cs")]) == 0
        days = len(list((tmp_path / "cs").glob("day_*.html")))
        assert days >= 7 and (tmp_path / "cs" / "callsheets.pdf").exists()
        assert main(["budget", *opts, "-o", str(tmp_path / "b.doc")]) == 2
        assert "write .pdf, .xlsx or .csv" in capsys.readouterr().err
    finally:
        studio.store = Studio.open(Settings(), project="night-train", store_path=opts[3]).store


def test_project_overrides_rates_and_fringes(tmp_path):
    path = tmp_path / "over.duckdb"
    with Studio.open(Settings(), project="p", store_path=path) as s:
        s.ingest_script(SAMPLE)
        s.plan_schedule(start=date(2027, 3, 1), options=ScheduleOptions(time_limit_s=1))
        base = s.plan_budget()
        sag = base.detail.filter(pl.col("source").str.starts_with("dood:"))["fringes"].sum()
        s.set_budget_overrides(fringes={"SAG": 25.0}, globals={"CREW_SIZE": 30})
        after = s.plan_budget()
        assert after.detail.filter(pl.col("source").str.starts_with("dood:"))["fringes"].sum() > sag
        assert after.globals["CREW_SIZE"] == 30
        with pytest.raises(ValueError, match="unknown fringe code"):
            s.set_budget_overrides(fringes={"NOPE": 1.0})
        assert s.plan_budget().grand_total == pytest.approx(after.grand_total)  # the bad override never landed


def test_ai_compute_account_prices_recorded_usage_once(tmp_path):
    from studio_kit.generation.metering import Usage, record_usage

    path = tmp_path / "gpu.duckdb"
    with Studio.open(Settings(), project="p", store_path=path) as s:
        s.ingest_script(SAMPLE)
        s.plan_schedule(start=date(2027, 3, 1), options=ScheduleOptions(time_limit_s=1))
        empty = s.plan_budget().top_sheet.filter(pl.col("account") == "9000")["total"][0]
        assert empty == 0  # nothing generated yet
        job = Usage("job-1/ok", "job-1", "sd-turbo", "H100", 3600.0)
        assert record_usage(s.scope, job) is True
        assert record_usage(s.scope, job) is False  # a retried job is counted once
        record_usage(s.scope, Usage("job-2/ok", "job-2", "sd-turbo", "A100", 7200.0))
        total = s.plan_budget().top_sheet.filter(pl.col("account") == "9000")["total"][0]
        assert total == pytest.approx(3600 * 0.00085 + 7200 * 0.0005, abs=0.01)
        with pytest.raises(ValueError, match="gpu_seconds must be >= 0"):
            record_usage(s.scope, Usage("job-3/ok", "job-3", "sd-turbo", "H100", -1))
