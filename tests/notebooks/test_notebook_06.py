"""The studio-operations tour run end to end with papermill, parameters overridden as a batch run does
(nbval runs the stored notebook cell by cell in the same pytest call)."""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "fixtures" / "fountain" / "afterwriting-test.fountain"


def test_studio_operations_tour_with_overridden_parameters(tmp_path):
    out_dir = tmp_path / "nb06"
    from studio_kit.characters.bible import slug
    from studio_kit.screenplay.analysis import analyze, load_script
    from studio_kit.screenplay.cast import cast_ids_for

    a = analyze(load_script(SCRIPT))
    cast = sorted(cast_ids_for(a.scenes, a.screenplay), key=cast_ids_for(a.scenes, a.screenplay).get)[:2]
    pm.execute_notebook(
        str(ROOT / "notebooks" / "06_studio_operations.ipynb"), str(tmp_path / "06_out.ipynb"),
        parameters={"script_path": str(SCRIPT), "project": "papermill-ops", "tenant": "papermill-co",
                    "characters": cast, "plan": "free", "gpu_quota": 100.0, "out_dir": str(out_dir)},
        cwd=str(ROOT / "notebooks"), kernel_name="python3", progress_bar=False,
    )
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["tenant"] == "papermill-co" and summary["reviewed"] == 2
    first, second = (slug(c) for c in cast)
    assert summary["final_states"] == {first: "approved", second: "rejected"}
    assert summary["refused_out_of_order"] and summary["client_tasks_refused"]
    assert summary["client_notes"] == ["Love it."]  # the supervisor's internal note is not among them
    assert summary["issued_invoice"] == 1
    assert "gpu_seconds:cpu" in summary["usage_meters"]
    statuses = {t["task"]: (t["status"], t["retakes"]) for t in summary["tasks"]}
    assert statuses == {f"design-{first}": ("done", 0), f"design-{second}": ("retake", 1)}
    assert summary["audit_events"] > 10
