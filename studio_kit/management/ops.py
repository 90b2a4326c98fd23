"""Production management's facade on the Studio: members and roles, the audit log, assets, tasks
and reviews.

Each operation is checked once by :func:`~studio_kit.management.access.operation`; the engine
functions then filter objects for the principal (vendors: their tasks' assets; clients: client
playlists and notes) and refuse at object level with ``access.refuse``. Lists are Polars
DataFrames (one row per model); single objects are the typed models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from ..common.errors import StudioError
from ..common.frames import frame_of
from . import access
from . import assets as _assets
from . import reviews as _reviews
from . import tasks as _tasks
from .access import Operations, Role, operation

_PAIRS = pl.List(pl.Struct({"asset_id": pl.Utf8, "version": pl.Int64}))
_CHAIN = {"name": pl.Utf8, "role": pl.Utf8, "person": pl.Utf8}
_PLAYLIST_VERSIONS = {"asset_id": pl.Utf8, "version": pl.Int64, "status": pl.Utf8,
                      "files": pl.List(pl.Struct({"name": pl.Utf8, "sha256": pl.Utf8, "mime": pl.Utf8}))}


@dataclass(frozen=True)
class TaskStatusOutcome:
    """What happened to one task of a batch status change: ``error`` is None when it was set."""

    task_id: str
    error: StudioError | None

    @property
    def ok(self) -> bool:
        return self.error is None


def _chain_frame(steps: Sequence[Mapping[str, str]]) -> pl.DataFrame:
    """Sign-off steps: each is signed by a role or by one person (the other column is null)."""
    return pl.DataFrame([{k: s.get(k) for k in _CHAIN} for s in steps], schema=_CHAIN)


def _playlists_frame(items: Sequence[_reviews.Playlist]) -> pl.DataFrame:
    return frame_of(items, _reviews.Playlist, types_={"items": _PAIRS},
                    convert={"items": lambda it: [{"asset_id": a, "version": v} for a, v in it]})


class ManagementOps(Operations):
    """Mixed into :class:`studio_kit.studio.Studio`."""

    # -- people in this project --------------------------------------------------------------------
    @operation("member.manage")
    def members(self) -> pl.DataFrame:
        """The project's members: person, name, email, role, department."""
        return access.members(self.store, self.tenant, self.project)

    @operation("member.manage", target="{person_id}")
    def set_role(self, person_id: str, role: Role | str | None, *, department: str = "") -> None:
        """Give a person of the tenant a role in this project (None removes them); audited."""
        access.set_role(self.store, self.tenant, self.project, person_id, role, actor=self.user.person_id,
                        department=department)

    @operation("member.manage", target="{person_id}", tenant_admin=True)
    def add_person(self, person_id: str, name: str, email: str, *, is_admin: bool = False) -> str:
        """Add a person to the tenant (a tenant admin's directory); give them roles with ``set_role``."""
        return access.add_person(self.store, self.tenant, person_id, name, email, is_admin=is_admin,
                                 actor=self.user.person_id)

    @operation("member.manage")
    def people(self) -> pl.DataFrame:
        """The tenant's people (id, name, email, admin, active): whom a role can be given to."""
        return access.people(self.store, self.tenant)

    @operation("audit.read")
    def audit_log(self, *, limit: int = access.AUDIT_LIMIT) -> pl.DataFrame:
        """The project's audit events, newest first (refusals included)."""
        return access.audit_log(self.store, self.tenant, self.project, limit=limit)

    # -- assets -----------------------------------------------------------------------------------
    @operation("asset.write", target="{name}")
    def create_asset(self, name: str, kind: str, *, entity_type: str = "", entity_id: str = "",
                     task_id: str = "", asset_id: str | None = None) -> _assets.Asset:
        return _assets.create_asset(self.scope, self.user, name, kind, entity_type=entity_type, entity_id=entity_id,
                                    task_id=task_id, asset_id=asset_id)

    @operation("asset.write", target="{asset_id}")
    def publish_asset(self, asset_id: str, files: Sequence[_assets.FileInput], note: str = "") -> _assets.AssetVersion:
        return _assets.publish(self.scope, self.user, asset_id, files, note, assets_dir=self.assets_dir)

    @operation("asset.write", target="{asset_id}")
    def publish_artifact(self, asset_id: str, sha256: str, ext: str, note: str = "",
                         name: str | None = None) -> _assets.AssetVersion:
        return _assets.publish_artifact(self.scope, self.user, asset_id, sha256, ext, note,
                                        assets_dir=self.assets_dir, name=name)

    @operation("asset.read")
    def assets(self, *, kind: str | None = None, entity_id: str | None = None) -> pl.DataFrame:
        return frame_of(_assets.list_assets(self.scope, self.user, kind=kind, entity_id=entity_id), _assets.Asset)

    @operation("asset.read", target="{asset_id}")
    def asset(self, asset_id: str) -> _assets.Asset:
        return _assets.get_asset(self.scope, self.user, asset_id)

    @operation("asset.read", target="{asset_id}")
    def asset_versions(self, asset_id: str) -> pl.DataFrame:
        return frame_of(_assets.list_versions(self.scope, self.user, asset_id), _assets.AssetVersion)

    @operation("asset.read", target="{asset_id}")
    def asset_version(self, asset_id: str, version: int) -> _assets.AssetVersion:
        return _assets.get_version(self.scope, self.user, asset_id, version)

    # -- tasks ------------------------------------------------------------------------------------
    @operation("task.read")
    def task_types(self) -> pl.DataFrame:
        """The project's task types: type_id, name, department."""
        return pl.DataFrame(_tasks.task_types(self.scope), schema=["type_id", "name", "department"], orient="row")

    @operation("task.write", target="{type_id}")
    def add_task_type(self, type_id: str, name: str, department: str = "") -> None:
        _tasks.add_task_type(self.scope, type_id, name, department)

    @operation("task.read")
    def task_statuses(self) -> pl.DataFrame:
        """The project's task statuses: status_id, name, flag (what the status means)."""
        return pl.DataFrame(_tasks.statuses(self.scope), schema=["status_id", "name", "flag"], orient="row")

    @operation("task.write", target="{status_id}")
    def set_task_status_name(self, status_id: str, name: str, flag: str) -> None:
        """Add or rename one of the project's statuses (its meaning is ``flag``)."""
        _tasks.set_status(self.scope, status_id, name, flag)

    @operation("task.write", target="retake_cap")
    def set_retake_cap(self, cap: int | None) -> None:
        _tasks.set_retake_cap(self.scope, self.user, cap)

    @operation("task.write", target="{entity_id}")
    def create_task(self, type_id: str, entity_type: str, entity_id: str, *, name: str = "",
                    start_date: date | None = None, due_date: date | None = None,
                    estimate_days: float | None = None, task_id: str | None = None) -> _tasks.Task:
        return _tasks.create_task(self.scope, self.user, type_id, entity_type, entity_id, name=name,
                                  start_date=start_date, due_date=due_date, estimate_days=estimate_days,
                                  task_id=task_id)

    @operation("task.read")
    def tasks(self, *, entity_type: str | None = None, entity_id: str | None = None,
              assignee: str | None = None) -> pl.DataFrame:
        return frame_of(_tasks.list_tasks(self.scope, self.user, entity_type=entity_type, entity_id=entity_id,
                                          assignee=assignee), _tasks.Task)

    @operation("task.read", target="{task_id}")
    def task(self, task_id: str) -> _tasks.Task:
        return _tasks.get_task(self.scope, self.user, task_id)

    @operation("task.assign", target="{task_id}")
    def assign_task(self, task_id: str, person_id: str, *, unassign: bool = False) -> _tasks.Task:
        return _tasks.assign_task(self.scope, self.user, task_id, person_id, unassign=unassign)

    @operation("task.status", target="{task_id}")
    def set_task_status(self, task_id: str, status: str) -> _tasks.Task:
        return _tasks.set_task_status(self.scope, self.user, task_id, status)

    @operation("task.status", target="batch")
    def set_task_statuses(self, task_ids: Sequence[str], status: str) -> list[TaskStatusOutcome]:
        """One status on several tasks: the batch needs ``task.status``; then each task is refused
        or set on its own (a vendor's batch may hold tasks that are not theirs)."""
        out = []
        for tid in task_ids:
            try:
                _tasks.set_task_status(self.scope, self.user, tid, status)
                out.append(TaskStatusOutcome(tid, None))
            except StudioError as exc:
                out.append(TaskStatusOutcome(tid, exc))
        return out

    # -- reviews ----------------------------------------------------------------------------------
    @operation("review.comment", client_action="review.client", target="{asset_id}@v{version}")
    def comment(self, asset_id: str, version: int, text: str, *, client_visible: bool = False) -> _reviews.Comment:
        return _reviews.comment(self.scope, self.user, asset_id, version, text, client_visible=client_visible)

    @operation("review.read", client_action="review.client", target="{asset_id}@v{version}")
    def comments(self, asset_id: str, version: int) -> pl.DataFrame:
        return frame_of(_reviews.comments(self.scope, self.user, asset_id, version), _reviews.Comment)

    @operation("review.read", target="{asset_id}@v{version}")
    def candidates(self, asset_id: str, version: int) -> pl.DataFrame:
        return frame_of(_reviews.candidates(self.scope, self.user, asset_id, version), _reviews.Candidate)

    @operation("review.approve", target="{asset_id}@v{version}")
    def validate_candidate(self, asset_id: str, version: int, sha256: str, decision: str) -> _reviews.Candidate:
        return _reviews.validate_candidate(self.scope, self.user, asset_id, version, sha256, decision)

    @operation("review.read")
    def signoff_chain(self) -> pl.DataFrame:
        """The project's sign-off steps in order: name, role, person."""
        return _chain_frame(_reviews.signoff_chain(self.scope))

    @operation("review.approve", target="signoff_chain")
    def set_signoff_chain(self, steps: Sequence[Mapping[str, str]]) -> pl.DataFrame:
        return _chain_frame(_reviews.set_signoff_chain(self.scope, self.user, steps))

    @operation("review.approve", target="{asset_id}@v{version}")
    def sign_off(self, asset_id: str, version: int, step: str, decision: str = "approved", *,
                 note: str = "") -> _reviews.ApprovalState:
        return _reviews.sign_off(self.scope, self.user, asset_id, version, step, decision, note=note)

    @operation("review.read", client_action="review.client", target="{asset_id}@v{version}")
    def approval_state(self, asset_id: str, version: int) -> _reviews.ApprovalState:
        return _reviews.approval_state(self.scope, self.user, asset_id, version)

    @operation("review.approve", target="{name}")
    def create_playlist(self, name: str, *, for_client: bool = False) -> _reviews.Playlist:
        return _reviews.create_playlist(self.scope, self.user, name, for_client=for_client)

    @operation("review.approve", target="{playlist_id}")
    def add_to_playlist(self, playlist_id: str, asset_id: str, version: int) -> _reviews.Playlist:
        return _reviews.add_to_playlist(self.scope, self.user, playlist_id, asset_id, version)

    @operation("review.read", client_action="review.client")
    def playlists(self) -> pl.DataFrame:
        return _playlists_frame(_reviews.list_playlists(self.scope, self.user))

    @operation("review.read", client_action="review.client", target="{playlist_id}")
    def playlist(self, playlist_id: str) -> _reviews.Playlist:
        return _reviews.get_playlist(self.scope, self.user, playlist_id)

    @operation("review.read", client_action="review.client", target="{playlist_id}")
    def playlist_versions(self, playlist_id: str) -> pl.DataFrame:
        """The playlist's versions in order, with their approval state."""
        return pl.DataFrame(_reviews.playlist_versions(self.scope, self.user, playlist_id), schema=_PLAYLIST_VERSIONS)


MIGRATIONS = (*access.MIGRATIONS, *_tasks.MIGRATIONS, *_assets.MIGRATIONS, *_reviews.MIGRATIONS)
__all__ = ["MIGRATIONS", "ManagementOps", "TaskStatusOutcome"]
