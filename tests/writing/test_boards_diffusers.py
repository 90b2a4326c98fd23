"""Storyboards on the diffusers path: a model profile naming a (tiny, random-weight) Stable
Diffusion folder with an IP-Adapter and a CLIP image embedder. The real loading code and pipeline
run on Ray: the characters are locked from references the diffusion model rendered, every board
frame carries its characters' reference images into the IP-Adapter, and CLIP scores each frame.
The pictures are noise (random weights); the plumbing is what is under test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from studio_kit.settings import Settings
from studio_kit.studio import Studio
from studio_kit.writing.options import BoardOptions
from tests.generation.tiny_models import build_tiny_clip_vision, build_tiny_ip_adapter, build_tiny_sd
from tests.writing.test_shots import SCRIPT


@pytest.fixture(scope="module")
def studio(tmp_path_factory, shared_ray):
    root = tmp_path_factory.mktemp("boards_sd")
    sd = build_tiny_sd(root / "sd")
    ip = build_tiny_ip_adapter(root / "ip", sd)
    clip = build_tiny_clip_vision(root / "clip")
    profile = root / "profile.toml"
    profile.write_text(
        f'[image]\nbackend = "diffusers"\nmodel = "{sd}"\ndevice = "cpu"\ndtype = "float32"\nbatch_size = 4\n\n'
        f'[image.options]\nip_adapter = "{ip}"\nip_adapter_subfolder = "models"\n'
        f'ip_adapter_weight_name = "ip-adapter_tiny.safetensors"\nip_adapter_scale = 1.0\n\n'
        f'[image_embedding]\nbackend = "clip"\nmodel = "{clip}"\ndevice = "cpu"\ndtype = "float32"\n')
    script = root / "harbour.fountain"
    script.write_text(SCRIPT)
    s = Studio.open(Settings(out_dir=root / "out", model_profile=profile), project="harbour",
                    store_path=root / "studio.duckdb")
    s.ingest_script(script)
    s.create_characters()
    s.runner(progress=False)
    for cid in s.characters()["character_id"]:
        s.lock_character(cid)
    yield s
    s.close()


def test_boards_run_the_diffusers_pipeline_with_each_characters_references(studio):
    run = studio.make_boards(["2"], options=BoardOptions(size=(64, 64)))
    sl = studio.shot_list("2")
    assert run.errors == [] and len(run.frames) == len(sl.shots)
    jobs = studio.jobs()
    by_id = {r["job_id"]: r for r in jobs.iter_rows(named=True)}
    for f in run.frames:
        job = by_id[f.job_id]
        assert job["status"] == "done" and "sd" in job["model"]
        request = json.loads(job["request"])
        names = {c["name"] for c in request["characters"]}
        locked = {c: studio.character_version(c).lock for c in f.scores}
        # the frame's characters travel with their locked references (the IP-Adapter's image prompt)
        assert names == {studio.character(c).name for c in f.scores}
        for c in request["characters"]:
            assert tuple(c["reference_images"]) == locked[c["character_id"]].reference_images
        with Image.open(f.path) as im:
            assert im.size == (64, 64)
        for cid, score in f.scores.items():  # CLIP (tiny) against the lock's CLIP reference
            assert -1.0 <= score <= 1.0 and Path(locked[cid].embedder).name == "clip"  # the tiny CLIP folder
    pdf = studio.export_boards(Path(run.frames[0].path).parent.parent / "boards_sd.pdf", ["2"])
    assert pdf.read_bytes()[:5] == b"%PDF-"
