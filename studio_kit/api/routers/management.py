"""Tasks, assets and reviews (the ManagementOps mixin of the Studio)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field

from ...common.errors import Invalid
from ..deps import CtxDep
from ..errors import status_of
from ._common import Request, plain, records

router = APIRouter(prefix="/v1/projects/{project}", tags=["management"])

#: Asset uploads: accepted extensions and size (the client's file name gives only the extension).
ASSET_TYPES = (".png", ".jpg", ".jpeg", ".webp", ".wav", ".mp3", ".mp4", ".pdf", ".txt", ".json")
MAX_ASSET_BYTES = 50 * 1024 * 1024


class TaskOut(BaseModel):
    task_id: str
    type_id: str
    department: str
    entity_type: str
    entity_id: str
    name: str
    status_id: str
    status_name: str
    flag: str
    assignees: list[str]
    start_date: date | None
    due_date: date | None
    estimate_days: float | None
    retake_count: int
    done_date: date | None


class TaskIn(Request):
    type_id: str = Field(..., min_length=1, max_length=63)
    entity_type: str = Field(..., min_length=1, max_length=63)
    entity_id: str = Field(..., min_length=1, max_length=200)
    name: str = Field("", max_length=200)
    start_date: date | None = None
    due_date: date | None = None
    estimate_days: float | None = Field(None, ge=0, le=10000)


class StatusIn(Request):
    status: str = Field(..., min_length=1, max_length=63)


class BatchStatusIn(Request):
    task_ids: list[str] = Field(..., min_length=1, max_length=200)
    status: str = Field(..., min_length=1, max_length=63)


class BatchResult(BaseModel):
    task_id: str
    status: int
    detail: str


class AssignIn(Request):
    person_id: str = Field(..., min_length=1, max_length=63)
    unassign: bool = False


class AssetOut(BaseModel):
    asset_id: str
    kind: str
    name: str
    entity_type: str
    entity_id: str
    task_id: str
    created_by: str
    created_at: datetime


class AssetIn(Request):
    name: str = Field(..., min_length=1, max_length=200)
    kind: str = Field(..., min_length=1, max_length=63)
    entity_type: str = Field("", max_length=63)
    entity_id: str = Field("", max_length=200)
    task_id: str = Field("", max_length=63)


class CommentIn(Request):
    text: str = Field(..., min_length=1, max_length=10000)
    client_visible: bool = False


class SignOffIn(Request):
    step: str = Field(..., min_length=1, max_length=63)
    decision: Literal["approved", "rejected"] = "approved"
    note: str = Field("", max_length=2000)


class PlaylistIn(Request):
    name: str = Field(..., min_length=1, max_length=200)
    for_client: bool = False


class PlaylistItemIn(Request):
    asset_id: str = Field(..., min_length=1, max_length=63)
    version: int = Field(..., ge=1)


class PlaylistOut(BaseModel):
    playlist_id: str
    name: str
    for_client: bool
    created_by: str
    items: list[tuple[str, int]]


# -- tasks ------------------------------------------------------------------------------------------
@router.get("/tasks", response_model=list[TaskOut], tags=["tasks"])
def tasks(c: CtxDep, entity_id: str | None = None, assignee: str | None = None) -> list[Any]:
    return records(c.run(c.studio.tasks, entity_id=entity_id, assignee=assignee))


@router.post("/tasks", response_model=TaskOut, status_code=201, tags=["tasks"])
def create_task(c: CtxDep, body: TaskIn) -> Any:
    return plain(c.run(c.studio.create_task, body.type_id, body.entity_type, body.entity_id, name=body.name,
                       start_date=body.start_date, due_date=body.due_date, estimate_days=body.estimate_days))


@router.get("/tasks/{task_id}", response_model=TaskOut, tags=["tasks"])
def task(c: CtxDep, task_id: str) -> Any:
    return plain(c.run(c.studio.task, task_id))


@router.post("/tasks/{task_id}/status", response_model=TaskOut, tags=["tasks"])
def set_status(c: CtxDep, task_id: str, body: StatusIn) -> Any:
    return plain(c.run(c.studio.set_task_status, task_id, body.status))


@router.post("/tasks/{task_id}/assign", response_model=TaskOut, tags=["tasks"])
def assign(c: CtxDep, task_id: str, body: AssignIn) -> Any:
    return plain(c.run(c.studio.assign_task, task_id, body.person_id, unassign=body.unassign))


@router.post("/tasks-batch/status", response_model=list[BatchResult], tags=["tasks"])
def batch_status(c: CtxDep, body: BatchStatusIn) -> list[BatchResult]:
    """Set one status on several tasks; each is checked on its own (a 403/404 per refused task)."""
    outcomes = c.run(c.studio.set_task_statuses, body.task_ids, body.status)
    return [BatchResult(task_id=o.task_id, status=200 if o.ok else status_of(o.error),
                        detail="ok" if o.ok else str(o.error)) for o in outcomes]


# -- assets -----------------------------------------------------------------------------------------
@router.get("/assets", response_model=list[AssetOut], tags=["assets"])
def assets(c: CtxDep, kind: str | None = None, entity_id: str | None = None) -> list[Any]:
    return records(c.run(c.studio.assets, kind=kind, entity_id=entity_id))


@router.post("/assets", response_model=AssetOut, status_code=201, tags=["assets"])
def create_asset(c: CtxDep, body: AssetIn) -> Any:
    return plain(c.run(c.studio.create_asset, body.name, body.kind, entity_type=body.entity_type,
                       entity_id=body.entity_id, task_id=body.task_id))


@router.get("/assets/{asset_id}", response_model=AssetOut, tags=["assets"])
def asset(c: CtxDep, asset_id: str) -> Any:
    return plain(c.run(c.studio.asset, asset_id))


@router.get("/assets/{asset_id}/versions", response_model=list[dict[str, Any]], tags=["assets"])
def asset_versions(c: CtxDep, asset_id: str) -> list[Any]:
    return records(c.run(c.studio.asset_versions, asset_id))


@router.post("/assets/{asset_id}/versions", response_model=dict[str, Any], status_code=201, tags=["assets"])
def publish(c: CtxDep, asset_id: str, file: Annotated[UploadFile, File()], note: Annotated[str, Form()] = "") -> Any:
    """Publish one uploaded file as the next version (type and size checked; stored content-addressed)."""
    ext = Path(file.filename or "").suffix.lower()
    if ext not in ASSET_TYPES:
        raise Invalid(f"asset upload: type {ext or '(none)'!r} is not accepted; send one of {', '.join(ASSET_TYPES)}")
    data = file.file.read(MAX_ASSET_BYTES + 1)
    if len(data) > MAX_ASSET_BYTES:
        raise Invalid(f"asset upload: larger than the {MAX_ASSET_BYTES // (1024 * 1024)} MB limit")
    return plain(c.run(c.studio.publish_asset, asset_id, [(f"upload{ext}", data)], note[:2000]))


# -- reviews ----------------------------------------------------------------------------------------
@router.get("/assets/{asset_id}/versions/{version}/comments", response_model=list[dict[str, Any]], tags=["reviews"])
def comments(c: CtxDep, asset_id: str, version: int) -> list[Any]:
    return records(c.run(c.studio.comments, asset_id, version))


@router.post("/assets/{asset_id}/versions/{version}/comments", response_model=dict[str, Any], status_code=201,
             tags=["reviews"])
def comment(c: CtxDep, asset_id: str, version: int, body: CommentIn) -> Any:
    return plain(c.run(c.studio.comment, asset_id, version, body.text, client_visible=body.client_visible))


@router.get("/assets/{asset_id}/versions/{version}/approval", response_model=dict[str, Any], tags=["reviews"])
def approval(c: CtxDep, asset_id: str, version: int) -> Any:
    return plain(c.run(c.studio.approval_state, asset_id, version))


@router.post("/assets/{asset_id}/versions/{version}/signoff", response_model=dict[str, Any], tags=["reviews"])
def sign_off(c: CtxDep, asset_id: str, version: int, body: SignOffIn) -> Any:
    return plain(c.run(c.studio.sign_off, asset_id, version, body.step, body.decision, note=body.note))


@router.get("/playlists", response_model=list[PlaylistOut], tags=["reviews"])
def playlists(c: CtxDep) -> list[Any]:
    return [{**p, "items": [(i["asset_id"], i["version"]) for i in p["items"]]}
            for p in records(c.run(c.studio.playlists))]


@router.post("/playlists", response_model=PlaylistOut, status_code=201, tags=["reviews"])
def create_playlist(c: CtxDep, body: PlaylistIn) -> Any:
    return plain(c.run(c.studio.create_playlist, body.name, for_client=body.for_client))


@router.get("/playlists/{playlist_id}", response_model=PlaylistOut, tags=["reviews"])
def playlist(c: CtxDep, playlist_id: str) -> Any:
    return plain(c.run(c.studio.playlist, playlist_id))


@router.post("/playlists/{playlist_id}/items", response_model=PlaylistOut, tags=["reviews"])
def add_item(c: CtxDep, playlist_id: str, body: PlaylistItemIn) -> Any:
    return plain(c.run(c.studio.add_to_playlist, playlist_id, body.asset_id, body.version))
