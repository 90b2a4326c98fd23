"""The characters tour run end to end with papermill on another script and cast, the way a batch run
overrides its parameters (nbval runs the stored notebook cell by cell in the same pytest call)."""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "fixtures" / "fountain" / "afterwriting-test.fountain"


def test_characters_tour_with_overridden_parameters(tmp_path):
    out_dir = tmp_path / "nb04"
    pm.execute_notebook(
        str(ROOT / "notebooks" / "04_characters.ipynb"),
        str(tmp_path / "04_out.ipynb"),
        parameters={"script_path": str(SCRIPT), "project": "papermill-characters", "characters": ["*"],
                    "out_dir": str(out_dir)},
        cwd=str(ROOT / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
    )
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["script"] == SCRIPT.name and summary["project"] == "papermill-characters"
    assert summary["characters"] >= 2 and summary["locked"] == summary["characters"]
    # Every image is a finished job (5 references + 10 sheet tiles per character, one shot, 5 new references).
    assert summary["jobs"] == summary["jobs_done"] == 15 * summary["locked"] + 1 + 5
    assert summary["images"] == 15 * summary["locked"] + 2 + 5
    assert summary["stale_after_edit"] == 15 + 1  # its version-1 references, sheet and the shot
    assert 0.0 < summary["min_sheet_score"] <= 1.0
    assert set(summary["shot_scores"]) and all(-1 <= v <= 1 for v in summary["shot_scores"].values())
    for sheet in summary["sheets"]:
        with Image.open(sheet) as im:
            assert im.width > 1000 and im.height > 500
    assert (out_dir / "notebook.duckdb").exists()
