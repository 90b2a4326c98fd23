"""Notebooks run end to end with papermill, with parameters overridden the way batch runs do.
(nbval runs the same notebooks cell by cell in the same pytest call: see the Makefile.)"""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm

ROOT = Path(__file__).resolve().parents[2]


def test_screenplay_tour_with_overridden_parameters(tmp_path):
    out_dir = tmp_path / "nb01"
    pm.execute_notebook(
        str(ROOT / "notebooks" / "01_screenplay.ipynb"),
        str(tmp_path / "01_out.ipynb"),
        parameters={
            "script_path": str(ROOT / "tests" / "fixtures" / "fountain" / "afterwriting-test.fountain"),
            "revision_path": "",
            "project": "papermill-run",
            "paper": "a4",
            "out_dir": str(out_dir),
        },
        cwd=str(ROOT / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
    )
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["script"] == "afterwriting-test.fountain"
    assert summary["paper"] == "a4"
    assert summary["scenes"] == 11
    assert Path(summary["pdf"]).read_bytes().startswith(b"%PDF")
    assert (out_dir / "notebook.duckdb").exists()
