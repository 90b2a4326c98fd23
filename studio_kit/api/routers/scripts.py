"""Screenplay ingest (upload), versions and scenes; the breakdown of a version."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from ...common.errors import Invalid, NotFound
from ..deps import CtxDep
from ._common import Rows, plain, rows

router = APIRouter(prefix="/v1/projects/{project}/scripts", tags=["scripts"])
breakdown_router = APIRouter(prefix="/v1/projects/{project}/scripts", tags=["breakdown"])

#: Script files the API accepts, by extension (the client's file name is used for nothing else).
ALLOWED_TYPES = (".fountain", ".fdx", ".txt")
#: Upload limit; the Studio's own max_script_mb applies too.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class UploadRefused(Invalid):
    """An upload of the wrong type or size (422 with the reason)."""


class Ingested(BaseModel):
    script_id: str
    version: int
    created: bool
    title: str
    pages: int
    scenes: int


def _read_upload(file: UploadFile, limit: int) -> tuple[str, bytes]:
    """The upload's extension (checked) and bytes (at most ``limit``); the client's path is never used."""
    ext = Path(file.filename or "").suffix.lower()
    if ext not in ALLOWED_TYPES:
        raise UploadRefused(f"script upload: type {ext or '(none)'!r} is not accepted; send one of "
                            f"{', '.join(ALLOWED_TYPES)}")
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(f"script upload: larger than the {limit // (1024 * 1024)} MB limit")
    if not data.strip():
        raise UploadRefused("script upload: the file is empty")
    return ext, data


@router.post("", response_model=Ingested, status_code=201)
def ingest(c: CtxDep, file: Annotated[UploadFile, File()], script_id: Annotated[str | None, Form()] = None) -> Ingested:
    """Upload a .fountain, .fdx or .txt script as a new version (or nothing, when unchanged)."""
    ext, data = _read_upload(file, min(MAX_UPLOAD_BYTES, c.studio.settings.max_script_mb * 1024 * 1024))
    with tempfile.TemporaryDirectory(prefix="studio-upload-") as tmp:
        path = Path(tmp) / f"upload{'.fountain' if ext == '.txt' else ext}"  # a name we choose
        path.write_bytes(data)
        r = c.run(c.studio.ingest_script, path, script_id=script_id)
    return Ingested(script_id=r.script_id, version=r.version, created=r.created, title=r.title, pages=r.pages,
                    scenes=r.scenes)


@router.get("", response_model=Rows)
def list_scripts(c: CtxDep) -> Rows:
    return rows(c.run(c.studio.scripts))


@router.get("/{script_id}/versions", response_model=Rows)
def versions(c: CtxDep, script_id: str) -> Rows:
    frame = c.run(c.studio.script_versions, script_id)
    if frame.is_empty():  # like the list: a script that is not there is not found
        raise NotFound(f"no script {script_id!r}")
    return rows(frame)


@router.get("/{script_id}/scenes", response_model=Rows)
def scenes(c: CtxDep, script_id: str, version: int | None = None) -> Rows:
    return rows(c.run(c.studio.scenes, script_id, version))


@router.get("/{script_id}/scenes.csv", response_class=PlainTextResponse)
def export_scenes(c: CtxDep, script_id: str, version: int | None = None) -> str:
    """The scene list as CSV (an export: checked like the list it comes from)."""
    data = rows(c.run(c.studio.scenes, script_id, version)).rows
    buf = io.StringIO()
    if data:
        w = csv.DictWriter(buf, fieldnames=list(data[0]))
        w.writeheader()
        for r in data:
            w.writerow({k: v if not isinstance(v, list | dict) else str(v) for k, v in r.items()})
    return buf.getvalue()


class BreakdownOut(BaseModel):
    title: str
    tags: list[dict]
    notes: list[str]


@breakdown_router.get("/{script_id}/breakdown", response_model=BreakdownOut)
def breakdown(c: CtxDep, script_id: str, version: int | None = None) -> BreakdownOut:
    bd = c.run(c.studio.breakdown, script_id, version)
    return BreakdownOut(title=bd.title, tags=plain(bd.tags), notes=list(bd.notes))
