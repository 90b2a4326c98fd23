"""The writing and storyboards tour run end to end with papermill on another premise, length and board
selection, the way a batch run overrides its parameters (nbval runs the stored notebook cell by cell in the
same pytest call). The checks read the files back: the script, the shot list CSV, the boards PDF and the
animatic MP4."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import av
import numpy as np
import papermill as pm
import pymupdf

from studio_kit.screenplay import analyze, parse_fountain
from studio_kit.writing.develop import scene_count

ROOT = Path(__file__).resolve().parents[2]


def test_writing_tour_with_overridden_parameters(tmp_path):
    out_dir = tmp_path / "nb05"
    pages = 8  # the notebook's default is 6: 3 scenes; 8 pages make 4 in template mode
    pm.execute_notebook(
        str(ROOT / "notebooks" / "05_writing_and_storyboards.ipynb"),
        str(tmp_path / "05_out.ipynb"),
        parameters={
            "title": "Salt Road",
            "logline": "A disgraced lighthouse keeper ELSA BRANDT and a runaway courier TOMAS hide a stolen ledger "
                       "in the old salt mine while the harbour police close in.",
            "target_pages": pages,
            "locations": [],  # read from the logline ("the old salt mine")
            "scenes_to_board": [2, 3],
            "project": "papermill-writing",
            "out_dir": str(out_dir),
        },
        cwd=str(ROOT / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
    )
    summary = json.loads((out_dir / "summary.json").read_text())
    files = {k: Path(v) for k, v in summary["files"].items()}
    assert summary["title"] == "Salt Road" and summary["mode"] == "template"
    headings = [ln for ln in files["script"].read_text().splitlines() if ln.startswith(("INT.", "EXT."))]
    assert headings and all("SALT MINE" in h for h in headings)  # the place the logline names
    # develop stored scenes + dialogue, then again after the outline edit: four versions of one script
    assert summary["script_versions"] == [1, 2, 3, 4]

    # the script has the requested length in scenes, with the premise's cast speaking
    script = analyze(parse_fountain(files["script"].read_text(), source=files["script"].name))
    assert summary["scenes"] == len(script.scenes) == scene_count(pages) == 4
    assert script.screenplay.title == "Salt Road"
    speakers = {c for sc in script.scenes for c in sc.speaking}
    assert {"ELSA BRANDT", "TOMAS"} <= speakers, speakers

    # one CSV row per shot of the latest shot lists, every scene covered
    with files["shot_list_csv"].open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == summary["shots"] > 0
    assert {r["scene"] for r in rows} == {s.number for s in script.scenes}
    assert files["shot_list_pdf"].read_bytes().startswith(b"%PDF")

    # boards: one frame per shot of the boarded scenes, six panels a page, each shot number printed
    assert summary["boarded_scenes"] == ["2", "3"]
    boarded_shots = [r["shot"] for r in rows if r["scene"] in ("2", "3")]
    assert summary["frames"] == len(boarded_shots)
    with pymupdf.open(files["boards_pdf"]) as doc:
        assert doc.page_count == -(-summary["frames"] // 6)
        text = "\n".join(page.get_text() for page in doc)
    for shot in boarded_shots:
        assert f"\n{shot}\n" in text, shot
    assert not any(r["shot"] in text.split("\n") for r in rows if r["scene"] not in ("2", "3"))
    assert 0.0 < summary["min_consistency"] <= 1.0

    # the animatic: H.264 + AAC, video as long as audio as long as the summary says, a frame with a picture
    with av.open(str(files["animatic"])) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        v_seconds = float(video.duration * video.time_base)
        a_seconds = float(audio.duration * audio.time_base)
        assert abs(v_seconds - summary["animatic_seconds"]) < 0.1
        assert abs(a_seconds - summary["audio_seconds"]) < 0.1
        assert abs(v_seconds - a_seconds) < 0.1
        assert video.frames == summary["animatic_frames"]
        container.seek(int(v_seconds / 3 / video.time_base), stream=video)
        frame = next(iter(container.decode(video))).to_ndarray(format="rgb24")
    assert frame.shape == (360, 640, 3)
    assert frame.std() > 20 and len(np.unique(frame.reshape(-1, 3), axis=0)) > 50  # not a blank frame
    assert summary["spoken_lines"] > 0
    assert files["animatic"].with_suffix(".otio").exists()
