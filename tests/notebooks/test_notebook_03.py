"""The budget and call-sheet tour run end to end with papermill, with the batch parameters overridden (nbval runs
the stored notebook cell by cell in the same pytest call)."""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm

ROOT = Path(__file__).resolve().parents[2]


def test_budget_and_call_sheets_tour_with_overridden_parameters(tmp_path):
    out_dir = tmp_path / "nb03"
    pm.execute_notebook(
        str(ROOT / "notebooks" / "03_budget_and_call_sheets.ipynb"),
        str(tmp_path / "03_out.ipynb"),
        parameters={
            "project": "papermill-budget",
            "capacity_eighths": 32,
            "time_budget": 3.0,
            "contingency_pct": 12.5,
            "out_dir": str(out_dir),
        },
        cwd=str(ROOT / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
    )
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["project"] == "papermill-budget"
    v1, v2 = summary["v1"], summary["v2"]
    assert v1["capacity_eighths"] == 32 and v2["capacity_eighths"] == 24
    assert v1["grand_total"] > 0 and v2["grand_total"] != v1["grand_total"]
    assert abs(summary["delta"] - (v2["grand_total"] - v1["grand_total"])) < 0.011

    # The grand total's change is the accounts' changes plus the percentages on top of them.
    rows = {r["account"]: r for r in summary["diff"]}
    accounts = [r for a, r in rows.items() if a.isdigit()]
    on_top = sum(rows[k]["delta"] for k in ("CONTINGENCY", "OVERHEAD", "BOND"))
    assert abs(sum(r["delta"] for r in accounts) + on_top - summary["delta"]) < 0.011
    assert abs(rows["GRAND_TOTAL"]["delta"] - summary["delta"]) < 0.011
    assert abs(rows["CONTINGENCY"]["delta"] - 0.125 * sum(r["delta"] for r in accounts)) < 0.011
    # A smaller day makes a longer board, or at least explain names what changed in the plan.
    shoot_change = f"shoot days {v1['shoot_days']} -> {v2['shoot_days']}"
    assert v2["shoot_days"] > v1["shoot_days"] or any(
        not line.split()[0].isdigit() and not line.startswith(("CONTINGENCY", "GRAND_TOTAL"))
        for line in summary["explain"])
    if v2["shoot_days"] != v1["shoot_days"]:
        assert shoot_change in summary["explain"]
    moved = {line.split()[0] for line in summary["explain"] if line.split()[0].isdigit() and len(line.split()[0]) == 4}
    assert moved == {a for a, r in rows.items() if a.isdigit() and r["delta"] != 0}

    # One call sheet per day that shoots (a day the board leaves empty calls nobody).
    assert summary["call_sheets"] == v2["working_days"] <= v2["shoot_days"]
    files = {Path(f).name: Path(f) for f in summary["files"]}
    html = sorted(n for n in files if n.startswith("day_") and n.endswith(".html"))
    assert len(html) == v2["working_days"]
    for f in files.values():
        assert f.exists() and f.stat().st_size > 0, f
    assert files["budget.pdf"].read_bytes().startswith(b"%PDF")
    assert files["callsheets.pdf"].read_bytes().startswith(b"%PDF")
    assert files["budget.xlsx"].read_bytes().startswith(b"PK\x03\x04")
    assert files["budget.csv"].read_text().splitlines()[0] == "account,name,section,subtotal,fringes,total"
    assert files["callsheet_day1.png"].read_bytes().startswith(b"\x89PNG")
    assert (out_dir / "notebook.duckdb").exists()
