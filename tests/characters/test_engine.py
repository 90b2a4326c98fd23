"""The Character engine end to end on the sample script: create, lock, sheets, shots, versions,
consistency — every image made as a generation job on a local Ray (procedural backend)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio_kit.characters.options import LockOptions
from studio_kit.characters.service import CharacterError
from studio_kit.characters.sheets import cosine, crop, sheet_pdf
from studio_kit.common.errors import NotFound
from studio_kit.generation.base import ImageRequest
from studio_kit.settings import Settings
from studio_kit.studio import Studio

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "night_train.fountain"


@pytest.fixture(scope="module")
def studio(tmp_path_factory, shared_ray):
    root = tmp_path_factory.mktemp("characters")
    s = Studio.open(Settings(out_dir=root / "out"), project="night-train", store_path=root / "studio.duckdb")
    s.ingest_script(SAMPLE)
    s.create_characters()
    s.runner(progress=False)
    yield s
    s.close()


def test_create_is_idempotent_and_keeps_versions(studio):
    chars = studio.characters()
    assert chars["character_id"][0] == "mara" and chars["cast_id"].to_list() == list(range(1, chars.height + 1))
    assert studio.create_characters() == []
    assert studio.characters().height == chars.height
    assert (studio.characters()["version"] == 1).all()


def test_shots_need_a_locked_character(studio):
    with pytest.raises(CharacterError, match="lock it first"):
        studio.render_character_shot(ImageRequest("x"), ["ilse"], key="unlocked")
    with pytest.raises(NotFound, match="known: mara"):
        studio.character("nobody")


def test_lock_freezes_references_embedding_and_palette(studio):
    locked = studio.lock_character("MARA", options=LockOptions(seed=7))
    lock = locked.lock
    assert locked.version == 1 and lock.seed == 7 and lock.seed_policy == "fixed"
    assert len(lock.reference_images) == 5 and len(set(lock.reference_images)) == 5
    assert abs(np.linalg.norm(lock.reference_embedding) - 1) < 1e-6 and set(lock.size_embeddings) == {"FS", "MS", "MCU", "CU"}
    assert lock.palette == studio.character_version("mara").bible.palette
    refs = studio.character_images("mara", kind="reference")
    assert refs.height == 5 and (refs["score"] > refs["threshold"]).all()
    assert all(Path(p).exists() for p in refs["path"])
    jobs = studio.jobs()
    assert set(jobs.filter(jobs["job_id"].is_in(refs["job_id"].to_list()))["status"]) == {"done"}
    with pytest.raises(CharacterError, match="already locked"):
        studio.lock_character("mara")


def test_sheet_is_scored_and_replays_record_nothing_twice(studio, tmp_path):
    first = studio.character_sheet("mara", tmp_path)
    assert first.png.exists() and first.image.width > 1000
    assert set(first.scores) == {"front", "three_quarter", "side", "back", "expr:neutral", "expr:happy", "expr:sad",
                                 "expr:angry", "expr:surprised", "expr:afraid"}
    assert first.drift == [], first.scores
    n_images, n_jobs = studio.character_images().height, studio.jobs().height
    again = studio.character_sheet("mara", tmp_path)
    assert again.scores == first.scores
    assert studio.character_images().height == n_images and studio.jobs().height == n_jobs
    stored = studio.character_sheets("mara")
    assert stored.height == 1 and stored["version"][0] == 1  # the composed sheet is an asset of version 1, once
    assert Image.open(stored["path"][0]).size == first.image.size
    assert len(json.loads(stored["tiles"][0])) == 10
    pdf = sheet_pdf([("mara", first.image)], tmp_path / "sheets.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_shot_with_two_characters_scores_each_against_its_own_lock(studio):
    studio.lock_character("jonas")
    req = ImageRequest("Mara and Jonas argue in the cab", width=512, height=288, shot_size="MS",
                       set_name="NIGHT TRAIN - CAB", int_ext="INT", time_of_day="NIGHT")
    rendered, scores = studio.render_character_shot(req, ["MARA", "JONAS"], key="sc12-shot1", scene="12")
    assert set(scores) == {"mara", "jonas"}
    assert all(s > 0.5 for s in scores.values())
    shots = studio.character_images(kind="shot")
    assert set(shots["character_id"]) == {"mara", "jonas"} and set(shots["scene"]) == {"12"}
    # Each character's region resembles its own reference more than the other character's.
    emb = studio.image_embedder()
    mara, jonas = (studio.character_version(c).lock for c in ("mara", "jonas"))
    v_mara = emb.embed_images([crop(rendered.image, rendered.layout["mara"])])[0]
    assert cosine(v_mara, mara.reference_embedding) > cosine(v_mara, jonas.reference_embedding)


def test_changing_a_locked_character_makes_a_version_and_flags_old_images(studio, tmp_path):
    before = studio.character_images("mara")
    assert not before["stale"].any()
    draft = studio.edit_character("mara", note="new coat for act three", palette=(
        "#f1c27d", "#2b1b0e", "#1c1c1c", "#7f8c8d", "#2e4053"))
    assert draft.version == 2 and draft.lock is None
    # Version 2 is a draft: generation still uses the locked version 1, nothing is stale yet.
    assert studio.characters().filter(studio.characters()["character_id"] == "mara")["locked_version"][0] == 1
    assert not studio.character_images("mara")["stale"].any()
    v2 = studio.lock_character("mara")
    assert v2.version == 2
    images = studio.character_images("mara")
    old = images.filter(images["version"] == 1)
    assert old.height == before.height and old["stale"].all()
    # The old look scored against the new lock is drift: a black coat is not an orange one.
    emb = studio.image_embedder()
    front_v1 = old.filter((old["kind"] == "sheet") & (old["label"] == "front")).row(0, named=True)
    with Image.open(front_v1["path"]) as im:
        vec = emb.embed_images([crop(im.convert("RGB"), json.loads(front_v1["box"]))])[0]
    target, limit = v2.lock.target_for("FS")  # the sheet's front is a full shot: the full-figure reference
    assert cosine(vec, target) < limit
    versions = studio.character_versions("mara")
    assert versions["version"].to_list() == [1, 2] and versions["locked"].all()


def test_each_tenant_keeps_its_files_apart(studio):
    """Artifacts live under the tenant's own folder, so one tenant's files never sit among another's."""
    images = studio.character_images()
    root = studio.settings.assets
    assert studio.assets_dir == root / studio.tenant
    assert all(Path(p).is_relative_to(studio.assets_dir) for p in images["path"])
