"""Budget: hand-computed fringes and bottom lines, schedule links, bad input, exports."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from studio_kit.preproduction.budget import (
    Account,
    Budget,
    BudgetError,
    BudgetInputs,
    CastDays,
    DetailLine,
    Fringe,
    Rate,
    compute,
    diff,
    evaluate,
    explain,
    fringes_in_force,
    gpu_rate,
    inputs_from_plan,
    plan_budget,
    rates_in_force,
    read_chart,
    read_fringes,
    read_rates,
    read_template,
    resolve_globals,
    write_csv,
    write_pdf,
    write_xlsx,
)

ON = date(2026, 6, 1)
ACCOUNTS = (Account("1100", "Story & Rights", "ATL"), Account("1400", "Cast", "ATL"),
            Account("2000", "Production Staff", "production"), Account("5000", "Editing", "post"),
            Account("9000", "AI Compute", "other"))
FICA = Fringe("FICA", "Social Security", "percent", 6.2, 176100.0)
FUTA = Fringe("FUTA", "Federal unemployment", "percent", 0.6, 7000.0)
KIT = Fringe("KIT", "Kit fee", "flat", 10.0)


def _budget(lines, globals_=None, **kw) -> Budget:
    return Budget("Test", ON, ACCOUNTS, lines, globals_ or {},
                  {"FICA": FICA, "FUTA": FUTA, "KIT": KIT}, **kw)


def _line(account="2000", amount=1.0, mult=1.0, rate=100.0, fringes=(), desc="x", units="flat"):
    return DetailLine(account, desc, amount, units, mult, rate, tuple(fringes))


def _inputs(shoot_days=7, mara_days=7, **kw) -> BudgetInputs:
    base = dict(prep_weeks=4, wrap_weeks=2,
                cast=[CastDays("1", "MARA", mara_days, 6, 1, 5000), ("2", "JONAH", 4, 4, 0, 2500)],
                location_days={"Sleeper car": 5, "Station": 2}, background={3: 20, 5: 12},
                gpu_usage=[("flux", "H100", 30000), ("flux", "H100", 6000)])
    base.update(kw)
    return BudgetInputs(shoot_days, **base)


# -- fringes ---------------------------------------------------------------------------------------


def test_percent_fringe_capped_exactly_at_the_wage_base():
    r = compute(_budget([_line(rate=176100, fringes=["FICA"], desc="at cap"),
                         _line(rate=200000, fringes=["FICA"], desc="over cap"),
                         _line(rate=100000, mult=2, fringes=["FICA"], desc="two under"),
                         _line(rate=200000, mult=2, fringes=["FICA"], desc="two over"),
                         _line(amount=10, units="days", rate=1000, fringes=["FUTA"], desc="futa")]))
    fr = dict(zip(r.detail["description"], r.detail["fringes"], strict=True))
    assert fr["at cap"] == 10918.20            # 176,100 x 6.2%
    assert fr["over cap"] == 10918.20          # wages above the base carry no FICA
    assert fr["two under"] == 12400.00         # 2 people x 100,000 x 6.2%: the cap is per person
    assert fr["two over"] == 21836.40          # 2 x 10,918.20
    assert fr["futa"] == 42.00                 # 10 days x 1,000 = 10,000, capped at 7,000 x 0.6%
    tot = dict(zip(r.detail["description"], r.detail["total"], strict=True))
    assert tot["at cap"] == 187018.20


def test_flat_fringe_is_per_unit_per_person():
    r = compute(_budget([_line(amount=5, mult=2, units="days", rate=300, fringes=["KIT"])]))
    assert r.detail["fringes"][0] == 100.0 and r.detail["total"][0] == 3100.0


def test_contingency_overhead_bond_arithmetic():
    lines = [_line("1100", rate=100000), _line("2000", rate=30000), _line("5000", rate=20000)]
    r = compute(_budget(lines, contingency_pct=10, overhead_pct=5, bond_pct=2))
    assert (r.atl, r.btl, r.direct) == (100000.0, 50000.0, 150000.0)
    assert r.contingency == 15000.0            # 10% of 150,000
    assert r.overhead == 7500.0                # 5% of 150,000
    assert r.bond == 3450.0                    # 2% of 172,500
    assert r.grand_total == 175950.0
    b = compute(_budget(lines, contingency_pct=10, contingency_base="btl", overhead_pct=5, bond_pct=2))
    assert b.contingency == 5000.0 and b.bond == 3250.0 and b.grand_total == 165750.0
    assert r.section_totals == {"ATL": 100000.0, "production": 30000.0, "post": 20000.0, "other": 0.0}
    top = {row["account"]: row for row in r.top_sheet.iter_rows(named=True)}
    assert top["2000"]["total"] == 30000.0 and top["9000"]["total"] == 0.0
    assert r.summary().filter(pl.col("label") == "Grand Total")["amount"][0] == 175950.0


def test_fringes_in_force_by_date_and_override():
    rows = read_fringes()
    assert fringes_in_force(rows, date(2025, 6, 1))["FICA"].cap == 176100
    assert fringes_in_force(rows, date(2026, 6, 1))["FICA"].cap == 184500
    assert fringes_in_force(rows, date(2019, 1, 1))["SAG"].rate == 19.0
    assert fringes_in_force(rows, ON)["SAG"].rate == 20.0          # reference: 20% since July 2020
    assert fringes_in_force(rows, ON)["SAGBG"].rate == 19.5
    assert fringes_in_force(rows, ON, {"SAG": 21})["SAG"].rate == 21.0
    with pytest.raises(BudgetError, match="'NOPE' is not a fringe code"):
        fringes_in_force(rows, ON, {"NOPE": 1})
    with pytest.raises(BudgetError, match="SAGBG.*no row in force"):
        fringes_in_force(rows, date(2019, 1, 1), {"SAGBG": 1})


# -- formulas and globals --------------------------------------------------------------------------


def test_globals_resolve_in_dependency_order():
    g = resolve_globals({"SHOOT_WEEKS": "ceil(SHOOT_DAYS / 5)", "TOTAL": "PREP + SHOOT_WEEKS",
                         "SHOOT_DAYS": 22, "PREP": "max(2, min(6, 3.5))"})
    assert g == {"SHOOT_WEEKS": 5.0, "TOTAL": 8.5, "SHOOT_DAYS": 22.0, "PREP": 3.5}
    assert evaluate("-(2 + 3) * 4 / 8", {}) == -2.5


def test_global_cycle_names_the_path():
    with pytest.raises(BudgetError, match="SHOOT_WEEKS -> SHOOT_DAYS -> SHOOT_WEEKS"):
        resolve_globals({"SHOOT_WEEKS": "SHOOT_DAYS / 5", "SHOOT_DAYS": "SHOOT_WEEKS * 5"})
    with pytest.raises(BudgetError, match="A -> A"):
        resolve_globals({"A": "A + 1"})


def test_unknown_global_names_global_and_line():
    with pytest.raises(BudgetError, match="global WEEKS: unknown global 'DAYS'"):
        resolve_globals({"WEEKS": "DAYS / 5"})
    with pytest.raises(BudgetError, match="line 2000 'Grips'.*amount: unknown global 'SHOT_DAYS'"):
        compute(_budget([_line(amount="SHOT_DAYS", desc="Grips")], {"SHOOT_DAYS": 5}))


@pytest.mark.parametrize("formula", ["__import__('os')", "SHOOT_DAYS.real", "2 ** 3", "'5'",
                                     "(lambda: 1)()", "abs(-1)", "True", "SHOOT_DAYS if 1 else 2",
                                     "round(x=1)", "[1][0]"])
def test_unsafe_formula_is_refused_naming_the_line(formula):
    with pytest.raises(BudgetError, match=r"line 2000 'Gaffer' \(#1\) rate: .*(allowed|parse)"):
        compute(_budget([_line(rate=formula, desc="Gaffer")], {"SHOOT_DAYS": 5}))


def test_formula_errors():
    with pytest.raises(BudgetError, match="division by zero"):
        compute(_budget([_line(rate="1 / (SHOOT_DAYS - 5)")], {"SHOOT_DAYS": 5}))
    with pytest.raises(BudgetError, match="cannot parse"):
        evaluate("2 +", {})
    with pytest.raises(BudgetError, match="ceil"):
        evaluate("ceil(1, 2)", {})
    with pytest.raises(BudgetError, match="names are upper case"):
        resolve_globals({"shoot days": 5})


# -- line errors ---------------------------------------------------------------------------------


def test_bad_lines_are_named():
    with pytest.raises(BudgetError, match="line 4200 'x'.*not in the chart"):
        compute(_budget([_line("4200")]))
    with pytest.raises(BudgetError, match="fringe 'SAG' is not in force"):
        compute(_budget([_line(fringes=["SAG"])]))
    with pytest.raises(BudgetError, match="units 'fortnights'"):
        compute(_budget([_line(units="fortnights")]))
    with pytest.raises(BudgetError, match="amount evaluates to -2"):
        compute(_budget([_line(amount="SHOOT_DAYS - 7")], {"SHOOT_DAYS": 5}))
    with pytest.raises(BudgetError, match="contingency_base"):
        compute(_budget([_line()], contingency_base="half"))
    with pytest.raises(BudgetError, match="bond_pct"):
        compute(_budget([_line()], bond_pct=-1))


# -- data files ----------------------------------------------------------------------------------


def test_shipped_data_files_load():
    chart = {a.number: a for a in read_chart()}
    assert chart["1400"].section == "ATL" and chart["9000"].name == "AI Compute"
    assert chart["3600"].section == "production" and chart["5000"].section == "post"
    card = rates_in_force(read_rates(), ON)
    assert gpu_rate(card, "flux", "H100").rate == 0.00085
    globals_, lines = read_template()
    assert globals_["SHOOT_WEEKS"] == "SHOOT_DAYS / 5"
    assert {ln.account for ln in lines} <= set(chart)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_reader_errors_name_file_and_line(tmp_path):
    head = "code,name,kind,rate,cap,effective_date\n"
    ok = "FICA,Social Security,percent,6.2,176100,2026-01-01\n"
    p = _write(tmp_path, "f1.csv", "code,name,kind,rate,effective_date\n" + ok)
    with pytest.raises(BudgetError, match=r"f1\.csv:1: missing column\(s\) cap"):
        read_fringes(p)
    p = _write(tmp_path, "f2.csv", head + ok + "MEDI,Medicare,percent,-1.45,,2026-01-01\n")
    with pytest.raises(BudgetError, match=r"f2\.csv:3: rate '-1.45' must be a non-negative"):
        read_fringes(p)
    p = _write(tmp_path, "f3.csv", head + "MEDI,Medicare,percent,lots,,2026-01-01\n")
    with pytest.raises(BudgetError, match=r"f3\.csv:2: rate 'lots' is not a number"):
        read_fringes(p)
    p = _write(tmp_path, "f4.csv", head + "MEDI,Medicare,percent,1.45,,June 2026\n")
    with pytest.raises(BudgetError, match=r"f4\.csv:2: effective_date"):
        read_fringes(p)
    p = _write(tmp_path, "f5.csv", head + "MEDI,Medicare,ratio,1.45,,2026-01-01\n")
    with pytest.raises(BudgetError, match=r"f5\.csv:2: kind 'ratio'"):
        read_fringes(p)
    rhead = "code,kind,name,unit,rate,effective_date\n"
    p = _write(tmp_path, "r1.csv", rhead + "PA_DAY,crew,PA,days,250,2026-01-01\nDP_WEEK,crew,DP,weeks,-5,2026-01-01\n")
    with pytest.raises(BudgetError, match=r"r1\.csv:3: rate '-5'"):
        read_rates(p)
    p = _write(tmp_path, "r2.csv", "code,kind,name,rate,effective_date\nPA_DAY,crew,PA,250,2026-01-01\n")
    with pytest.raises(BudgetError, match=r"r2\.csv:1: missing column\(s\) unit"):
        read_rates(p)
    p = _write(tmp_path, "c1.csv", "account,name,section\n1100,Story,ATL\n1200,Producers,middle\n")
    with pytest.raises(BudgetError, match=r"c1\.csv:3: section 'middle'"):
        read_chart(p)
    p = _write(tmp_path, "t1.csv", "account,description,amount,units,multiplier,rate\n2000,UPM,,weeks,1,100\n")
    with pytest.raises(BudgetError, match=r"t1\.csv:2: amount is empty"):
        read_template(p)
    with pytest.raises(BudgetError, match="nothere.csv: cannot read"):
        read_rates(tmp_path / "nothere.csv")


def test_rate_card_newest_row_in_force_wins(tmp_path):
    p = _write(tmp_path, "r.csv", "code,kind,name,unit,rate,effective_date\n"
                                  "PA_DAY,crew,PA,days,250,2026-01-01\nPA_DAY,crew,PA,days,275,2026-07-01\n"
                                  "GPU:*:H100,gpu,H100,gpu_seconds,0.001,2026-01-01\n"
                                  "GPU:flux:H100,gpu,flux,gpu_seconds,0.0005,2026-01-01\n")
    rows = read_rates(p)
    assert rates_in_force(rows, ON)["PA_DAY"].rate == 250
    assert rates_in_force(rows, date(2026, 8, 1))["PA_DAY"].rate == 275
    assert "PA_DAY" not in rates_in_force(rows, date(2025, 1, 1))
    card = rates_in_force(rows, ON)
    assert gpu_rate(card, "flux", "H100").rate == 0.0005
    assert gpu_rate(card, "wan", "H100").rate == 0.001
    with pytest.raises(BudgetError, match="no rate for model 'wan' on 'B200'"):
        gpu_rate(card, "wan", "B200")


# -- linking to the plan ---------------------------------------------------------------------------


def _line_totals(result) -> dict[str, tuple[float, float]]:
    return {r["description"]: (r["subtotal"], r["total"]) for r in result.detail.iter_rows(named=True)}


def test_plan_generates_linked_lines():
    b = plan_budget(_inputs(), title="Night Train", on=ON)
    r = compute(b)
    d = {row["source"]: row for row in r.detail.iter_rows(named=True) if row["source"]}
    mara = d["dood:1"]
    assert (mara["account"], mara["amount"], mara["rate"], mara["subtotal"]) == ("1400", 7.0, 5000.0, 35000.0)
    # SAG 20 + FICA 6.2 + MEDI 1.45 + WC 2.5 + PAYROLL 1.0 on 35,000; FUTA 0.6 and SUI 3.4 on the first 7,000
    assert mara["fringes"] == pytest.approx(35000 * 0.3115 + 7000 * 0.04, abs=0.005)
    assert d["background:3"]["account"] == "2100" and d["background:3"]["subtotal"] == 20 * 226.0
    assert d["background:3"]["fringe_codes"].startswith("SAGBG")
    assert d["schedule:location:Sleeper car"]["subtotal"] == 5 * 2500.0
    gpu = d["metering:flux:H100"]
    assert gpu["account"] == "9000" and gpu["amount"] == 36000 and gpu["subtotal"] == 30.60
    assert r.globals["CAST_COUNT"] == 2 and r.globals["LOCATION_DAYS"] == 7
    b2 = plan_budget(_inputs(location_rates={"Station": 900}), title="t", on=ON)
    assert _line_totals(compute(b2))["Location fee - Station"][0] == 1800.0


def test_one_more_shoot_day_raises_linked_lines_by_their_daily_amounts():
    a = compute(plan_budget(_inputs(shoot_days=7), title="t", on=ON))
    b = compute(plan_budget(_inputs(shoot_days=8), title="t", on=ON))
    ta, tb = _line_totals(a), _line_totals(b)
    daily = {"Production assistants": 3 * 250, "Catering": (22 + 2) * 35, "Cargo vans": 2 * 180,
             "Camera package": 6000 / 5, "Unit production manager": 3500 / 5, "Camera assistants": 2 * 2400 / 5,
             "Gaffer": 2800 / 5, "Sound package": 1200 / 5, "Office & legal": 600 / 5}
    for desc, per_day in daily.items():
        assert tb[desc][0] - ta[desc][0] == pytest.approx(per_day, abs=1e-6), desc
    for desc in ("Editor", "Screenplay fee", "1 MARA", "Music (composer package)", "flux on H100"):
        assert ta[desc] == tb[desc], desc
    # Production assistants: 3 people x 250 more, fringes 15.15% (all under the FUTA/SUI bases)
    assert tb["Production assistants"][1] - ta["Production assistants"][1] == pytest.approx(750 * 1.1515, abs=0.01)
    d = diff(a, b)
    moved = dict(zip(d["account"], d["delta"], strict=True))
    assert moved["1400"] == 0 and moved["5000"] == 0 and moved["2000"] > 0 and moved["GRAND_TOTAL"] > 0
    assert b.grand_total - a.grand_total == pytest.approx(moved["GRAND_TOTAL"], abs=0.01)
    text = explain(d, _inputs(shoot_days=7), _inputs(shoot_days=8))
    assert text[0] == "shoot days 7 -> 8"
    assert any(t.startswith("2000 Production Staff +") for t in text)


def test_more_paid_days_for_one_performer_moves_only_cast():
    a = compute(plan_budget(_inputs(mara_days=7), title="t", on=ON))
    b = compute(plan_budget(_inputs(mara_days=9), title="t", on=ON))
    d = diff(a, b)
    moved = {k: v for k, v in zip(d["account"], d["delta"], strict=True) if v}
    # 2 days x 5,000 plus SAG 20 + FICA 6.2 + MEDI 1.45 + WC 2.5 + PAYROLL 1.0 (FUTA/SUI already capped)
    assert moved["1400"] == pytest.approx(10000 + 3115.0, abs=0.01)
    assert set(moved) == {"1400", "CONTINGENCY", "GRAND_TOTAL"}
    assert moved["CONTINGENCY"] == pytest.approx(1311.5, abs=0.01)
    text = explain(d, _inputs(mara_days=7), _inputs(mara_days=9))
    assert "1 paid days 7 -> 9" in text and "1400 Cast +13,115.00" in text
    e = explain(d, _inputs(), _inputs(cast=[("2", "JONAH", 4, 4, 0, 2500)], background={3: 25, 5: 12}))
    assert "1 (MARA) removed" in e and "background 3 20 -> 25" in e


def test_plan_input_errors():
    with pytest.raises(BudgetError, match="shoot_days -1"):
        plan_budget(_inputs(shoot_days=-1), title="t", on=ON)
    with pytest.raises(BudgetError, match="cast 1 \\(MARA\\)"):
        plan_budget(_inputs(mara_days=-2), title="t", on=ON)
    with pytest.raises(BudgetError, match="no rate for model 'flux' on 'TPU'"):
        plan_budget(_inputs(gpu_usage=[("flux", "TPU", 10)]), title="t", on=ON)
    with pytest.raises(BudgetError, match="background 3"):
        plan_budget(_inputs(background={3: -4}), title="t", on=ON)
    rates = [Rate("PA_DAY", "crew", "PA", "days", 250.0)]
    with pytest.raises(BudgetError, match="no EXTRA_DAY"):
        plan_budget(_inputs(), title="t", on=ON, rates=rates)


def test_template_globals_can_be_overridden():
    a = compute(plan_budget(_inputs(), title="t", on=ON))
    b = compute(plan_budget(_inputs(), title="t", on=ON, extra_globals={"EDIT_WEEKS": 14}))
    assert _line_totals(b)["Editor"][0] - _line_totals(a)["Editor"][0] == 2 * 3500


# -- exports -------------------------------------------------------------------------------------


def test_exports_are_readable(tmp_path):
    import pymupdf

    r = compute(plan_budget(_inputs(), title="Night Train", on=ON, overhead_pct=5, bond_pct=2))
    pdf = write_pdf(r, tmp_path / "budget.pdf", "Night Train")
    doc = pymupdf.open(pdf)
    first = doc[0].get_text()
    assert "Night Train" in first and "Top Sheet" in first and "Grand Total" in first
    assert "Story & Rights" in first and f"{r.grand_total:,.2f}" in first
    rest = "".join(doc[i].get_text() for i in range(1, len(doc)))
    assert "1 MARA" in rest and "flux on H100" in rest
    xlsx = write_xlsx(r, tmp_path / "budget.xlsx")
    assert xlsx.read_bytes()[:2] == b"PK"
    with zipfile.ZipFile(xlsx) as z:
        wb = z.read("xl/workbook.xml").decode()
        assert "Top Sheet" in wb and "Detail" in wb
    out = pl.read_csv(write_csv(r, tmp_path / "budget.csv"), schema_overrides={"account": pl.Utf8})
    assert out.filter(pl.col("name") == "Grand Total")["total"][0] == pytest.approx(r.grand_total)
    assert out.filter(pl.col("account") == "1400")["total"][0] == pytest.approx(
        r.top_sheet.filter(pl.col("account") == "1400")["total"][0])
    assert not list(tmp_path.glob(".*"))        # atomic writes leave no temporaries


def test_inputs_from_board_and_dood():
    from studio_kit.preproduction.calendar import ShootCalendar
    from studio_kit.preproduction.dood import DoodElement, build_dood
    from studio_kit.preproduction.schedule import Strip

    def strip(n, set_, cast):
        return Strip(f"u{n}", str(n), set_, cast=cast)

    days = [[strip(1, "INT. SLEEPER CAR - NIGHT", (1,)), strip(2, "INT. SLEEPER CAR - DAY", (1, 2))],
            [strip(3, "EXT. STATION - DAY", (2,))],
            [strip(4, "INT. SLEEPER CAR - NIGHT", (1,))]]
    dood = build_dood([DoodElement("1", "MARA", "cast", {1, 3}), DoodElement("2", "JONAH", "cast", {1, 2}),
                       DoodElement("prop:lamp", "lamp", "prop", {1}, allow_holds=False)],
                      ShootCalendar(date(2026, 6, 1)), 3)
    inp = inputs_from_plan(days, dood, {"1": 5000, "2": 2500}, prep_weeks=2, wrap_weeks=1)
    assert inp.shoot_days == 3
    car, station = days[0][0].location, days[1][0].location
    assert car != station and days[2][0].location == car
    assert inp.location_days == {car: 2, station: 1}     # one location day per shoot day it appears on
    rows = {c.cast_id: c for c in inp.cast_rows()}
    assert set(rows) == {"1", "2"}
    assert (rows["1"].paid_days, rows["1"].work_days, rows["1"].hold_days) == (3, 2, 1)   # held on day 2
    assert rows["2"].paid_days == 2 and rows["2"].daily_rate == 2500
    r = compute(plan_budget(inp, title="t", on=ON))
    assert r.detail.filter(pl.col("source") == "dood:1")["subtotal"][0] == 15000.0
    with pytest.raises(BudgetError, match="cast 2 \\(JONAH\\): no day rate"):
        inputs_from_plan(days, dood, {"1": 5000}, prep_weeks=2, wrap_weeks=1)
