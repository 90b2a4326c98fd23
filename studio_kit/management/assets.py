"""Versioned assets: the publish chain asset -> version -> representation (after AYON).

Why: every file a production keeps (character sheets, boards, footage, mixes) must be findable
by what it is and which scene/shot/character it belongs to, reviewable per version, and
byte-for-byte checkable. Files are stored content-addressed (``store.artifacts``), a version
and its representations are written in one transaction, and publishing the same content again
returns the existing version instead of minting a new one (a retried upload is harmless).
Vendors see only assets linked to a task they are assigned to.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..common.clock import utc_now
from ..common.errors import Invalid, NotFound
from ..store import Migration, ProjectScope, artifacts
from .access import Principal, refuse, require_member
from .tasks import visible_task_ids

KINDS: tuple[str, ...] = ("character_sheet", "board", "footage", "mix", "image", "audio", "other")

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "management_assets",
        1,
        "assets, numbered versions, content-addressed representations with media metadata",
        """
        CREATE TABLE asset (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            asset_id VARCHAR NOT NULL,
            kind VARCHAR NOT NULL CHECK (kind IN ('character_sheet', 'board', 'footage', 'mix', 'image', 'audio',
                                                  'other')),
            name VARCHAR NOT NULL,
            entity_type VARCHAR NOT NULL DEFAULT '', entity_id VARCHAR NOT NULL DEFAULT '',
            task_id VARCHAR NOT NULL DEFAULT '',
            created_by VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, asset_id)
        );
        CREATE TABLE asset_version (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            asset_id VARCHAR NOT NULL, version INTEGER NOT NULL,
            author VARCHAR NOT NULL, note VARCHAR NOT NULL DEFAULT '',
            status VARCHAR NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
            content_key VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, asset_id, version)
        );
        CREATE TABLE asset_representation (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            asset_id VARCHAR NOT NULL, version INTEGER NOT NULL,
            name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, ext VARCHAR NOT NULL,
            path VARCHAR NOT NULL, size BIGINT NOT NULL, mime VARCHAR NOT NULL,
            width INTEGER, height INTEGER, duration_s DOUBLE, sample_rate INTEGER, pages INTEGER,
            PRIMARY KEY (tenant_id, project_id, asset_id, version, sha256)
        );
        """,
        scoped=("asset", "asset_version", "asset_representation"),
    ),
)

_ID = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,62}$")
_EXTRA_MIME = {"pdf": "application/pdf", "mov": "video/quicktime", "jpeg": "image/jpeg", "gif": "image/gif",
               "tif": "image/tiff", "tiff": "image/tiff", "flac": "audio/flac", "mp3": "audio/mpeg"}


class AssetError(Invalid):
    """An asset request that cannot be carried out as asked; the message says what to change."""


@dataclass(frozen=True)
class Asset:
    asset_id: str
    kind: str
    name: str
    entity_type: str
    entity_id: str
    task_id: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class Representation:
    name: str
    sha256: str
    ext: str
    path: str
    size: int
    mime: str
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    sample_rate: int | None = None
    pages: int | None = None


@dataclass(frozen=True)
class AssetVersion:
    asset_id: str
    version: int
    author: str
    note: str
    status: str
    created_at: datetime
    representations: tuple[Representation, ...]


# -- media metadata -------------------------------------------------------------------------------

def media_metadata(data: bytes, ext: str) -> dict[str, Any]:
    """Cheap facts about a file: image size, WAV duration and rate, PDF page count (empty if unknown)."""
    ext = ext.lower()
    meta: dict[str, Any] = {}
    if ext in ("png", "jpg", "jpeg", "webp", "gif", "tif", "tiff"):
        from PIL import Image, UnidentifiedImageError
        try:
            with Image.open(io.BytesIO(data)) as im:
                meta["width"], meta["height"] = im.size
        except (UnidentifiedImageError, OSError) as exc:
            raise AssetError(f"file with extension .{ext} is not a readable image: {exc}") from None
    elif ext == "wav":
        try:
            with wave.open(io.BytesIO(data)) as w:
                meta["sample_rate"] = w.getframerate()
                meta["duration_s"] = w.getnframes() / w.getframerate() if w.getframerate() else 0.0
        except (wave.Error, EOFError) as exc:
            raise AssetError(f"file with extension .wav is not a readable WAV: {exc}") from None
    elif ext == "pdf":
        meta["pages"] = _pdf_pages(data)
    return meta


def _pdf_pages(data: bytes) -> int | None:
    try:
        from pypdf import PdfReader
        return len(PdfReader(io.BytesIO(data)).pages)
    except Exception:  # noqa: BLE001 - any parse failure falls back to the byte scan
        n = len(re.findall(rb"/Type\s*/Page(?!s)", data))
        return n or None


# -- assets ---------------------------------------------------------------------------------------

def _asset(row: tuple) -> Asset:
    return Asset(*row)


_ASSET_COLS = "asset_id, kind, name, entity_type, entity_id, task_id, created_by, created_at"


def create_asset(scope: ProjectScope, who: Principal, name: str, kind: str, *, entity_type: str = "",
                 entity_id: str = "", task_id: str = "", asset_id: str | None = None) -> Asset:
    """Register an asset (a character sheet of 'mara', the boards of shot 12A...). Idempotent by id."""
    require_member(scope, who, "asset.write", asset_id or name)
    if kind not in KINDS:
        raise AssetError(f"asset kind {kind!r} is not one of {', '.join(KINDS)}")
    asset_id = asset_id or re.sub(r"[^a-z0-9_.\-]+", "-", f"{kind}-{entity_id or name}".lower()).strip("-")[:63]
    if not _ID.match(asset_id):
        raise AssetError(f"asset id {asset_id!r}: use lower-case letters, digits, '.', '_' or '-'")
    if task_id and scope.one("SELECT 1 FROM {task} WHERE task_id = $t", {"t": task_id}) is None:
        raise AssetError(f"asset {asset_id!r} links to task {task_id!r}, which does not exist in this project")
    existing = scope.one(f"SELECT {_ASSET_COLS} FROM {{asset}} WHERE asset_id = $a", {"a": asset_id})
    if existing is not None:
        asset = _asset(existing)
        _require_visible(scope, who, asset, "asset.write")
        return asset
    visible = visible_task_ids(scope, who)
    if visible is not None and task_id not in visible:
        raise refuse(scope, who, "asset.write", asset_id, "vendors create assets only on a task assigned to them")
    scope.insert("asset", [{"asset_id": asset_id, "kind": kind, "name": name, "entity_type": entity_type,
                            "entity_id": entity_id, "task_id": task_id, "created_by": who.person_id,
                            "created_at": utc_now()}])
    return get_asset(scope, who, asset_id)


def _visible_filter(scope: ProjectScope, who: Principal) -> tuple[str, dict[str, Any]]:
    """SQL predicate on alias ``a`` that keeps only assets this principal may see."""
    if not who.sees_only_own_tasks(scope.project_id):
        return "TRUE", {}
    return ("EXISTS (SELECT 1 FROM {task_assignee} ta JOIN {task} tk USING (task_id) WHERE ta.person_id = $me "
            "AND (tk.task_id = a.task_id OR (tk.entity_type = 'asset' AND tk.entity_id = a.asset_id)))",
            {"me": who.person_id})


def _require_visible(scope: ProjectScope, who: Principal, asset: Asset, action: str) -> None:
    where, params = _visible_filter(scope, who)
    if scope.one(f"SELECT 1 FROM {{asset}} a WHERE a.asset_id = $id AND {where}", {"id": asset.asset_id, **params}) \
            is None:
        raise refuse(scope, who, action, asset.asset_id, "vendors see only assets linked to a task assigned to them")


def list_assets(scope: ProjectScope, who: Principal, *, kind: str | None = None,
                entity_id: str | None = None) -> list[Asset]:
    """Assets of the project, filtered for the principal exactly as :func:`get_asset` is."""
    require_member(scope, who, "asset.read")
    if who.client_view(scope.project_id):
        raise refuse(scope, who, "asset.read", "", "clients see versions through client review playlists")
    where, params = _visible_filter(scope, who)
    clauses = [where]
    if kind is not None:
        clauses.append("a.kind = $kind")
        params["kind"] = kind
    if entity_id is not None:
        clauses.append("a.entity_id = $eid")
        params["eid"] = entity_id
    rows = scope.rows(f"SELECT {_ASSET_COLS} FROM {{asset}} a WHERE {' AND '.join(clauses)} ORDER BY asset_id",
                      params)
    return [_asset(r) for r in rows]


def get_asset(scope: ProjectScope, who: Principal, asset_id: str) -> Asset:
    require_member(scope, who, "asset.read", asset_id)
    if who.client_view(scope.project_id):
        raise refuse(scope, who, "asset.read", asset_id, "clients see versions through client review playlists")
    row = scope.one(f"SELECT {_ASSET_COLS} FROM {{asset}} WHERE asset_id = $a", {"a": asset_id})
    if row is None:
        raise NotFound(f"no asset {asset_id!r} in project {scope.project_id!r}")
    asset = _asset(row)
    _require_visible(scope, who, asset, "asset.read")
    return asset


# -- versions -------------------------------------------------------------------------------------

def _versions(scope: ProjectScope, asset_id: str, version: int | None = None) -> list[AssetVersion]:
    params: dict[str, Any] = {"a": asset_id}
    extra = ""
    if version is not None:
        extra = " AND version = $v"
        params["v"] = version
    vrows = scope.rows("SELECT asset_id, version, author, note, status, created_at FROM {asset_version} "
                       f"WHERE asset_id = $a{extra} ORDER BY version", params)
    rrows = scope.rows("SELECT version, name, sha256, ext, path, size, mime, width, height, duration_s, sample_rate, "
                       f"pages FROM {{asset_representation}} WHERE asset_id = $a{extra} ORDER BY version, name, sha256",
                       params)
    reps: dict[int, list[Representation]] = {}
    for r in rrows:
        reps.setdefault(r[0], []).append(Representation(*r[1:]))
    return [AssetVersion(*v, tuple(reps.get(v[1], []))) for v in vrows]


def list_versions(scope: ProjectScope, who: Principal, asset_id: str) -> list[AssetVersion]:
    get_asset(scope, who, asset_id)
    return _versions(scope, asset_id)


def get_version(scope: ProjectScope, who: Principal, asset_id: str, version: int) -> AssetVersion:
    get_asset(scope, who, asset_id)
    found = _versions(scope, asset_id, version)
    if not found:
        raise NotFound(f"asset {asset_id!r} has no version {version}")
    return found[0]


def version_exists(scope: ProjectScope, asset_id: str, version: int) -> bool:
    """For other modules (reviews): does this version exist, without a visibility check."""
    return scope.one("SELECT 1 FROM {asset_version} WHERE asset_id = $a AND version = $v",
                     {"a": asset_id, "v": version}) is not None


FileInput = Path | str | tuple[str, bytes]


def _read_input(f: FileInput) -> tuple[str, bytes]:
    if isinstance(f, tuple):
        name, data = f
        return Path(name).name, bytes(data)
    p = Path(f)
    if not p.is_file():
        raise AssetError(f"{p}: no such file to publish")
    return p.name, p.read_bytes()


def _record_version(scope: ProjectScope, who: Principal, asset: Asset, reps: list[Representation],
                    note: str) -> AssetVersion:
    """One transaction: a new numbered version and its representations, unless the latest version
    already holds exactly this content (then that version is returned)."""
    if not reps:
        raise AssetError(f"publishing asset {asset.asset_id!r} needs at least one file")
    content_key = hashlib.sha256("\n".join(sorted(f"{r.name}:{r.sha256}" for r in reps)).encode()).hexdigest()
    with scope.transaction():
        latest = scope.one("SELECT version, content_key FROM {asset_version} WHERE asset_id = $a "
                           "ORDER BY version DESC LIMIT 1", {"a": asset.asset_id})
        if latest is not None and latest[1] == content_key:
            return _versions(scope, asset.asset_id, latest[0])[0]
        number = 1 if latest is None else latest[0] + 1
        scope.insert("asset_version", [{"asset_id": asset.asset_id, "version": number, "author": who.person_id,
                                        "note": note, "status": "pending", "content_key": content_key,
                                        "created_at": utc_now()}])
        seen: set[str] = set()
        rows = []
        for r in reps:
            if r.sha256 in seen:
                continue
            seen.add(r.sha256)
            rows.append({"asset_id": asset.asset_id, "version": number, **r.__dict__})
        scope.insert("asset_representation", rows)
    return _versions(scope, asset.asset_id, number)[0]


def _representation(name: str, art: artifacts.Artifact, ext: str, data: bytes) -> Representation:
    meta = media_metadata(data, ext)
    return Representation(name=name, sha256=art.sha256, ext=ext, path=str(art.path), size=art.size, mime=art.mime,
                          **meta)


def publish(scope: ProjectScope, who: Principal, asset: Asset | str, files: Sequence[FileInput], note: str = "", *,
            assets_dir: str | Path) -> AssetVersion:
    """Publish files as the next version of ``asset`` (stored content-addressed under ``assets_dir``).

    Re-publishing the same files returns the latest version unchanged (idempotent retries).
    """
    asset = get_asset(scope, who, asset if isinstance(asset, str) else asset.asset_id)
    require_member(scope, who, "asset.write", asset.asset_id)
    reps = []
    for f in files:
        name, data = _read_input(f)
        ext = Path(name).suffix.lstrip(".").lower()
        if not ext:
            raise AssetError(f"file {name!r} has no extension; name it e.g. 'board.png' so its type is known")
        mime = artifacts.MIME_BY_EXT.get(ext) or _EXTRA_MIME.get(ext)
        art = artifacts.put(assets_dir, data, ext, mime)
        reps.append(_representation(name, art, ext, data))
    return _record_version(scope, who, asset, reps, note)


def publish_artifact(scope: ProjectScope, who: Principal, asset: Asset | str, sha256: str, ext: str,
                     note: str = "", *, assets_dir: str | Path, name: str | None = None) -> AssetVersion:
    """Register an artifact already in the content-addressed store (a generation output, a
    character sheet) as a version of ``asset``; its bytes are checked against the hash."""
    asset = get_asset(scope, who, asset if isinstance(asset, str) else asset.asset_id)
    ext = ext.lstrip(".").lower()
    try:
        data = artifacts.read(assets_dir, sha256, ext)
    except artifacts.ArtifactError as exc:
        raise AssetError(f"cannot publish artifact {sha256[:12]}.{ext} to asset {asset.asset_id!r}: {exc}") from None
    art = artifacts.Artifact(sha256, artifacts.path_of(assets_dir, sha256, ext), len(data),
                             artifacts.MIME_BY_EXT.get(ext) or _EXTRA_MIME.get(ext, "application/octet-stream"))
    return _record_version(scope, who, asset, [_representation(name or f"{sha256[:12]}.{ext}", art, ext, data)], note)


def set_version_status(scope: ProjectScope, asset_id: str, version: int, status: str) -> None:
    """Used by reviews when a sign-off chain completes or a step rejects."""
    if status not in ("pending", "approved", "rejected"):
        raise AssetError(f"version status {status!r} is not pending/approved/rejected")
    scope.update("asset_version", {"status": status}, "asset_id = $a AND version = $v", {"a": asset_id, "v": version})


def new_id() -> str:
    return uuid.uuid4().hex[:12]
