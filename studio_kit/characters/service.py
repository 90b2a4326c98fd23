"""Character operations over the store and the generation runner (the engine's edge).

Each operation reads the typed models from the store, builds image requests with the pure
functions of :mod:`bible` and :mod:`sheets`, has the images made as generation jobs (Ray), scores
every image against the lock, and records the results in one transaction per step. Job keys are
derived from what is asked (character, version, label), so a retried or replayed step reuses its
jobs and records nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..common.errors import Invalid, NotFound
from ..common.files import atomic_path
from ..generation.base import ImageRequest
from ..store import ProjectScope
from . import store as cstore
from .bible import (
    SIZE_CLASS,
    Character,
    CharacterVersion,
    Lock,
    characters_from_script,
    draft_bible,
    identity,
)
from .options import LockOptions
from .sheets import (
    SheetShot,
    compose_sheet,
    cosine,
    crop,
    reference_embedding,
    reference_requests,
    sheet_requests,
)

#: Similarity threshold when the embedder names none (CLIP image-image cosine of the same person).
DEFAULT_THRESHOLD = 0.8


@dataclass
class Rendered:
    """One finished image job as the engine needs it."""

    key: str
    job_id: str
    status: str
    artifact: str = ""
    path: str = ""
    image: Any = None
    layout: dict[str, list[int]] = field(default_factory=dict)
    error: str = ""


class ImageJobs(Protocol):
    """What the engine needs from generation: requests in, finished images out (same order)."""

    def render(self, requests: Sequence[ImageRequest], keys: Sequence[str]) -> list[Rendered]:
        ...


class CharacterError(Invalid):
    """A character operation cannot go ahead; the message says what to do first."""


def create_characters(scope: ProjectScope, stored: Any) -> list[str]:
    """Characters from a stored script version (``scripts.StoredScript``): new ones get a
    draft bible from the script; existing ones keep their versions."""
    from ..screenplay.cast import cast_ids_for

    a = stored.analysis
    chars = characters_from_script(a.screenplay, a.scenes, cast_ids_for(a.scenes, a.screenplay))
    drafts = {c.character_id: draft_bible(c, a.screenplay) for c in chars}
    return cstore.save_characters(scope, stored.script_id, chars, drafts)


def threshold_of(embedder: Any) -> tuple[float, float]:
    """(full-figure, same-framing) drift thresholds the embedder documents (its module's
    DRIFT_THRESHOLD and DRIFT_THRESHOLD_MATCHED), else DEFAULT_THRESHOLD for both."""
    mod = __import__(type(embedder).__module__, fromlist=["DRIFT_THRESHOLD"])
    full = float(getattr(embedder, "drift_threshold", getattr(mod, "DRIFT_THRESHOLD", DEFAULT_THRESHOLD)))
    return full, float(getattr(mod, "DRIFT_THRESHOLD_MATCHED", full))


def embed_regions(embedder: Any, items: Sequence[tuple[Any, Sequence[int] | None]]) -> np.ndarray:
    """Embeddings of character regions (image, box) in one call."""
    if not items:
        return np.zeros((0, 0), dtype=np.float32)
    return np.asarray(embedder.embed_images([crop(im, box) for im, box in items]), dtype=np.float32)


def _require_rendered(rendered: Sequence[Rendered], what: str) -> None:
    bad = [r for r in rendered if r.status != "done" or r.image is None]
    if bad:
        raise CharacterError(f"{what}: {len(bad)} image job(s) did not finish: "
                             + "; ".join(f"{r.key} ({r.status}: {r.error or 'no image'})" for r in bad[:3]))


def lock_character(scope: ProjectScope, jobs: ImageJobs, embedder: Any, character_id: str,
                   options: LockOptions | None = None) -> CharacterVersion:
    """Lock the latest version: render reference images from its bible, embed them, and freeze
    seed, references, embedding, prompt, wardrobe and palette. The references are recorded as the
    character's first images (scored against the lock they define)."""
    options = options or LockOptions()
    seed, seed_policy, threshold = options.seed, options.seed_policy, options.threshold
    character = cstore.get_character(scope, character_id)
    version = cstore.get_version(scope, character_id)
    if version.locked:
        raise CharacterError(f"{character_id} version {version.version} is already locked; edit the bible to make "
                             "a new version, then lock it")
    ident = identity(character, version)
    if seed is not None:
        ident = replace(ident, seed=int(seed))
    shots = reference_requests(ident)
    keys = [f"character:{character_id}:v{version.version}:{s.label}:seed{ident.seed}" for s in shots]
    rendered = jobs.render([s.request for s in shots], keys)
    _require_rendered(rendered, f"references of {character_id}")
    items = [(r.image, r.layout.get(character_id)) for r in rendered]
    vectors = embed_regions(embedder, items)
    by_size: dict[str, list[int]] = {}
    for k, s in enumerate(shots):
        by_size.setdefault(SIZE_CLASS.get(s.request.shot_size, "FS"), []).append(k)
    sizes = {size: reference_embedding(vectors[ks]) for size, ks in by_size.items()}
    full, matched = threshold_of(embedder)
    if threshold is not None:
        full = matched = float(threshold)
    wardrobe = version.bible.wardrobe_on(min(character.story_days or (1,)))
    lock = Lock(ident.seed, seed_policy, tuple(r.artifact for r in rendered), sizes["FS"],
                str(getattr(embedder, "model_id", type(embedder).__name__)), ident.prompt,
                wardrobe.description if wardrobe else "", tuple(ident.palette), full, sizes, matched)
    with scope.transaction():
        locked = cstore.save_lock(scope, character_id, version.version, lock)
        _record(scope, character_id, version.version, "reference", shots, rendered, vectors, lock, "")
    return locked


def _record(scope: ProjectScope, character_id: str, version: int, kind: str, shots: Sequence[SheetShot],
            rendered: Sequence[Rendered], vectors: np.ndarray, lock: Lock, scene: str) -> list[dict]:
    """Score each image against the lock's reference for its shot size and record it."""
    rows = []
    for s, r, v in zip(shots, rendered, vectors, strict=True):
        target, limit = lock.target_for(s.request.shot_size)
        score = cosine(v, target)
        rows.append({"image_id": r.job_id, "character_id": character_id, "version": version, "kind": kind,
                     "label": s.label, "scene": scene, "job_id": r.job_id, "artifact": r.artifact, "path": r.path,
                     "box": r.layout.get(character_id), "score": score, "threshold": limit,
                     "drift": bool(score < limit), "embedder": lock.embedder})
    cstore.record_images(scope, rows)
    return rows


def require_lock(scope: ProjectScope, character_id: str) -> tuple[Character, CharacterVersion]:
    character = cstore.get_character(scope, character_id)
    locked = cstore.locked_version(scope, character_id)
    if locked is None:
        raise CharacterError(f"{character_id} has no locked version; lock it first (`studio characters lock "
                             f"{character_id}` or Studio.lock_character) so every image uses the same identity")
    return character, locked


@dataclass
class SheetResult:
    character_id: str
    version: int
    png: Path
    image: Any
    scores: dict[str, float]
    drift: list[str]


def make_sheet(scope: ProjectScope, jobs: ImageJobs, embedder: Any, character_id: str, out_dir: Path,
               assets_dir: Path | None = None) -> SheetResult:
    """The turnaround and expression sheet of the locked version, every tile scored."""
    character, locked = require_lock(scope, character_id)
    lock = locked.lock
    assert lock is not None
    ident = identity(character, locked)
    shots = sheet_requests(ident)
    keys = [f"character:{character_id}:v{locked.version}:sheet:{s.label}" for s in shots]
    rendered = jobs.render([s.request for s in shots], keys)
    _require_rendered(rendered, f"sheet of {character_id}")
    vectors = embed_regions(embedder, [(r.image, r.layout.get(character_id)) for r in rendered])
    rows = _record(scope, character_id, locked.version, "sheet", shots, rendered, vectors, lock, "")
    title = f"{character.name} - cast #{character.cast_id} - version {locked.version} (locked)"
    b = locked.bible
    subtitle = (b.description or character.name)[:110]
    sheet = compose_sheet(title, subtitle, [(s.label, r.image) for s, r in zip(shots, rendered, strict=True)])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / f"{character_id}_v{locked.version}_sheet.png"
    with atomic_path(png, suffix=".png") as tmp:
        sheet.save(tmp, format="PNG")
    if assets_dir is not None:  # the composed sheet is an asset of the character version, like its tiles
        import io

        from ..store import artifacts

        buf = io.BytesIO()
        sheet.save(buf, format="PNG")
        art = artifacts.put(assets_dir, buf.getvalue(), "png", "image/png")
        cstore.record_sheet(scope, character_id, locked.version, art.sha256, str(art.path), sheet.size,
                            [r.artifact for r in rendered])
    scores = {r["label"]: r["score"] for r in rows}
    return SheetResult(character_id, locked.version, png, sheet, scores, [r["label"] for r in rows if r["drift"]])


def render_shot(scope: ProjectScope, jobs: ImageJobs, embedder: Any, request: ImageRequest,
                character_ids: Sequence[str], *, key: str, scene: str = "", label: str = "shot",
                story_day: int | None = None, shot_index: int = 0) -> tuple[Rendered, dict[str, float]]:
    """One frame that names characters: each uses its locked identity (an unlocked character is
    an error), the frame is made as a job, and each character's region is scored and recorded."""
    idents = []
    locks = {}
    for cid in character_ids:
        character, locked = require_lock(scope, cid)
        idents.append(identity(character, locked, story_day=story_day, shot_index=shot_index))
        locks[cid] = locked
    req = replace(request, characters=tuple(idents))
    (r,) = jobs.render([req], [key])
    _require_rendered([r], f"shot {key}")
    scores = {}
    for cid in character_ids:
        lock = locks[cid].lock
        assert lock is not None
        vec = embed_regions(embedder, [(r.image, r.layout.get(cid))])
        rows = _record(scope, cid, locks[cid].version, "shot", [SheetShot(label, req)], [r], vec, lock, scene)
        scores[cid] = rows[0]["score"]
    return r, scores


@dataclass(frozen=True)
class FrameScore:
    """How far one character in one frame is from its lock (cosine to the reference of the
    frame's size class; below ``threshold`` is drift)."""

    character_id: str
    score: float
    threshold: float
    drift: bool


def score_frames(scope: ProjectScope, embedder: Any, frames: Sequence[tuple[Rendered, ImageRequest, Sequence[str]]],
                 *, kind: str, labels: Sequence[str], scenes: Sequence[str]) -> list[dict[str, FrameScore]]:
    """Score every named character of many finished frames against its lock in one embedding call,
    and record each as a character image (one transaction; a replayed job is not counted twice).
    Frames are (rendered, request, character ids); characters must be locked."""
    items: list[tuple[int, str, Lock, int]] = []
    crops: list[tuple[Any, Sequence[int] | None]] = []
    locks: dict[str, CharacterVersion] = {}
    for k, (r, _req, cids) in enumerate(frames):
        for cid in cids:
            if cid not in locks:
                locks[cid] = require_lock(scope, cid)[1]
            locked = locks[cid]
            assert locked.lock is not None
            items.append((k, cid, locked.lock, locked.version))
            crops.append((r.image, r.layout.get(cid)))
    vectors = embed_regions(embedder, crops)
    out: list[dict[str, FrameScore]] = [{} for _ in frames]
    rows = []
    for (k, cid, lock, version), v in zip(items, vectors, strict=True):
        r, req, _ = frames[k]
        target, limit = lock.target_for(req.shot_size)
        score = cosine(v, target)
        out[k][cid] = FrameScore(cid, score, limit, bool(score < limit))
        rows.append({"image_id": r.job_id, "character_id": cid, "version": version, "kind": kind,
                     "label": labels[k], "scene": scenes[k], "job_id": r.job_id, "artifact": r.artifact,
                     "path": r.path, "box": r.layout.get(cid), "score": score, "threshold": limit,
                     "drift": bool(score < limit), "embedder": lock.embedder})
    cstore.record_images(scope, rows)
    return out


def character_for(scope: ProjectScope, name_or_id: str) -> Character:
    """Find a character by id or by name as the script writes it (``MARA`` or ``mara``)."""
    try:
        return cstore.get_character(scope, name_or_id)
    except NotFound:
        row = scope.one("SELECT character_id FROM {character} WHERE upper(name) = upper($n)", {"n": name_or_id})
        if row is None:
            raise
        return cstore.get_character(scope, row[0])


class RunnerImageJobs:
    """ImageJobs through the generation runner: every image is a stored job run on Ray, its PNG a
    content-addressed artifact. Keys make submission idempotent (a step re-run reuses its jobs)."""

    def __init__(self, runner: Any, *, timeout: float | None = None) -> None:
        self.runner = runner
        self.timeout = timeout

    def render(self, requests: Sequence[ImageRequest], keys: Sequence[str]) -> list[Rendered]:
        import json

        from PIL import Image

        ids = self.runner.submit_many("image", requests, keys)
        frame = self.runner.run(ids, timeout=self.timeout)
        rows = {r["job_id"]: r for r in frame.iter_rows(named=True)}
        out = []
        for k, j in zip(keys, ids, strict=True):
            r = rows[j]
            meta = r.get("metadata") or {}
            if isinstance(meta, str):
                meta = json.loads(meta)
            image = None
            if r["status"] == "done" and r.get("artifact_path"):
                with Image.open(r["artifact_path"]) as im:
                    image = im.convert("RGB")
            layout = meta.get("studio_layout") or meta.get("layout") or {}
            out.append(Rendered(k, j, r["status"], r.get("artifact_sha256") or "", r.get("artifact_path") or "",
                                image, {c: list(b) for c, b in layout.items()}, r.get("error") or ""))
        return out
