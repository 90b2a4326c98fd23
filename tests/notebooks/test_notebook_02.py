"""The breakdown and schedule tour run end to end with papermill on another script, with the batch
parameters overridden (nbval runs the stored notebook cell by cell in the same pytest call)."""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm

from studio_kit.screenplay.analysis import analyze, load_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "fixtures" / "fountain" / "afterwriting-test.fountain"


def test_breakdown_and_schedule_tour_with_overridden_parameters(tmp_path):
    out_dir = tmp_path / "nb02"
    pm.execute_notebook(
        str(ROOT / "notebooks" / "02_breakdown_and_schedule.ipynb"),
        str(tmp_path / "02_out.ipynb"),
        parameters={
            "script_path": str(SCRIPT),
            "project": "papermill-schedule",
            "start_date": "2027-05-03",
            "capacity_eighths": 32,
            "time_budget": 3.0,
            "out_dir": str(out_dir),
        },
        cwd=str(ROOT / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
    )
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["script"] == SCRIPT.name
    assert summary["project"] == "papermill-schedule"
    assert summary["scenes"] == len(analyze(load_script(SCRIPT)).scenes)
    assert summary["tags"] > 0 and summary["cast"] > 0
    assert summary["shoot_days"] >= 1 and summary["what_if"]["shoot_days"] >= 1
    assert summary["total_cost"] > 0
    assert 0.0 <= summary["gap"] <= 1.0
    assert summary["lower_bound"] <= summary["total_cost"]
    what_if = summary["what_if"]
    assert what_if["dates"] and all(d >= "2027-05-03" for d in what_if["dates"])
    # The notebook checks the what-if board against its request and reports any blocked date the actor
    # still works (Studio.plan_schedule blocks the day after each date: see the notebook's output).
    assert what_if["works_on_blocked"] == []  # the actor never works on a date they are away

    files = {Path(f).name: Path(f) for f in summary["files"]}
    assert set(files) == {"breakdown_sheets.pdf", "breakdown.csv", "dood.csv", "dood.xlsx", "shoot_days.ics"}
    for f in files.values():
        assert f.parent == out_dir and f.stat().st_size > 0, f
    assert files["breakdown_sheets.pdf"].read_bytes().startswith(b"%PDF")
    assert files["dood.xlsx"].read_bytes().startswith(b"PK\x03\x04")
    assert files["shoot_days.ics"].read_text().startswith("BEGIN:VCALENDAR")
    header = files["breakdown.csv"].read_text().splitlines()[0]
    assert "scene_number" in header and "category" in header
    # The DOOD lists every cast member of the board, under the script's own names.
    dood_rows = files["dood.csv"].read_text().splitlines()[3:]
    assert sum(1 for r in dood_rows if ",cast," in r) == summary["cast"]
    assert summary["what_if"]["unavailable"] in files["dood.csv"].read_text()
    assert (out_dir / "notebook.duckdb").exists()
