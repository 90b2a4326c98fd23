"""Production management operations on the Studio: assets, tasks, reviews.

Why a mixin: the Studio is the one door every client (API, CLI, notebooks, dashboards) goes
through. Each method here first asks ``self._check`` for its action (tenant, membership, role in
this project; refusals audited), then calls the module function with ``self.user`` so objects are
filtered for the principal (vendors: their tasks' assets; clients: client playlists and notes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import assets as _assets
from . import reviews as _reviews
from . import tasks as _tasks

if TYPE_CHECKING:
    from ..settings import Settings
    from ..store import ProjectScope, Store
    from .access import Principal


class ManagementOps:
    """Mixed into :class:`studio_kit.studio.Studio` (which provides the attributes below)."""

    store: Store
    scope: ProjectScope
    settings: Settings
    assets_dir: Path  # the tenant's own artifact folder
    user: Principal
    project: str

    if TYPE_CHECKING:  # provided by Studio; not defined here, so Studio's own check is the one that runs
        def _check(self, action: str, target: str = "") -> None: ...

    def _review_action(self, staff_action: str) -> str:
        """Clients act through their own permission, review.client."""
        return "review.client" if self.user.client_view(self.project) else staff_action

    # -- assets -----------------------------------------------------------------------------------
    def create_asset(self, name: str, kind: str, *, entity_type: str = "", entity_id: str = "",
                     task_id: str = "", asset_id: str | None = None) -> _assets.Asset:
        self._check("asset.write", asset_id or name)
        return _assets.create_asset(self.scope, self.user, name, kind, entity_type=entity_type, entity_id=entity_id,
                                    task_id=task_id, asset_id=asset_id)

    def publish_asset(self, asset_id: str, files: Sequence[_assets.FileInput], note: str = "") -> _assets.AssetVersion:
        self._check("asset.write", asset_id)
        return _assets.publish(self.scope, self.user, asset_id, files, note, assets_dir=self.assets_dir)

    def publish_artifact(self, asset_id: str, sha256: str, ext: str, note: str = "",
                         name: str | None = None) -> _assets.AssetVersion:
        self._check("asset.write", asset_id)
        return _assets.publish_artifact(self.scope, self.user, asset_id, sha256, ext, note,
                                        assets_dir=self.assets_dir, name=name)

    def assets(self, *, kind: str | None = None, entity_id: str | None = None) -> list[_assets.Asset]:
        self._check("asset.read")
        return _assets.list_assets(self.scope, self.user, kind=kind, entity_id=entity_id)

    def asset(self, asset_id: str) -> _assets.Asset:
        self._check("asset.read", asset_id)
        return _assets.get_asset(self.scope, self.user, asset_id)

    def asset_versions(self, asset_id: str) -> list[_assets.AssetVersion]:
        self._check("asset.read", asset_id)
        return _assets.list_versions(self.scope, self.user, asset_id)

    def asset_version(self, asset_id: str, version: int) -> _assets.AssetVersion:
        self._check("asset.read", asset_id)
        return _assets.get_version(self.scope, self.user, asset_id, version)

    # -- tasks ------------------------------------------------------------------------------------
    def task_types(self) -> list[tuple[str, str, str]]:
        self._check("task.read")
        return _tasks.task_types(self.scope)

    def add_task_type(self, type_id: str, name: str, department: str = "") -> None:
        self._check("task.write", type_id)
        _tasks.add_task_type(self.scope, type_id, name, department)

    def task_statuses(self) -> list[tuple[str, str, str]]:
        self._check("task.read")
        return _tasks.statuses(self.scope)

    def set_task_status_name(self, status_id: str, name: str, flag: str) -> None:
        """Add or rename one of the project's statuses (its meaning is ``flag``)."""
        self._check("task.write", status_id)
        _tasks.set_status(self.scope, status_id, name, flag)

    def set_retake_cap(self, cap: int | None) -> None:
        self._check("task.write", "retake_cap")
        _tasks.set_retake_cap(self.scope, self.user, cap)

    def create_task(self, type_id: str, entity_type: str, entity_id: str, *, name: str = "",
                    start_date: date | None = None, due_date: date | None = None,
                    estimate_days: float | None = None, task_id: str | None = None) -> _tasks.Task:
        self._check("task.write", entity_id)
        return _tasks.create_task(self.scope, self.user, type_id, entity_type, entity_id, name=name,
                                  start_date=start_date, due_date=due_date, estimate_days=estimate_days,
                                  task_id=task_id)

    def tasks(self, *, entity_type: str | None = None, entity_id: str | None = None,
              assignee: str | None = None) -> list[_tasks.Task]:
        self._check("task.read")
        return _tasks.list_tasks(self.scope, self.user, entity_type=entity_type, entity_id=entity_id,
                                 assignee=assignee)

    def task(self, task_id: str) -> _tasks.Task:
        self._check("task.read", task_id)
        return _tasks.get_task(self.scope, self.user, task_id)

    def assign_task(self, task_id: str, person_id: str, *, unassign: bool = False) -> _tasks.Task:
        self._check("task.assign", task_id)
        return _tasks.assign_task(self.scope, self.user, task_id, person_id, unassign=unassign)

    def set_task_status(self, task_id: str, status: str) -> _tasks.Task:
        self._check("task.status", task_id)
        return _tasks.set_task_status(self.scope, self.user, task_id, status)

    # -- reviews ----------------------------------------------------------------------------------
    def comment(self, asset_id: str, version: int, text: str, *, client_visible: bool = False) -> _reviews.Comment:
        self._check(self._review_action("review.comment"), f"{asset_id}@v{version}")
        return _reviews.comment(self.scope, self.user, asset_id, version, text, client_visible=client_visible)

    def comments(self, asset_id: str, version: int) -> list[_reviews.Comment]:
        self._check(self._review_action("review.read"), f"{asset_id}@v{version}")
        return _reviews.comments(self.scope, self.user, asset_id, version)

    def candidates(self, asset_id: str, version: int) -> list[_reviews.Candidate]:
        self._check("review.read", f"{asset_id}@v{version}")
        return _reviews.candidates(self.scope, self.user, asset_id, version)

    def validate_candidate(self, asset_id: str, version: int, sha256: str, decision: str) -> _reviews.Candidate:
        self._check("review.approve", f"{asset_id}@v{version}")
        return _reviews.validate_candidate(self.scope, self.user, asset_id, version, sha256, decision)

    def signoff_chain(self) -> list[dict[str, str]]:
        self._check("review.read")
        return _reviews.signoff_chain(self.scope)

    def set_signoff_chain(self, steps: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
        self._check("review.approve", "signoff_chain")
        return _reviews.set_signoff_chain(self.scope, self.user, steps)

    def sign_off(self, asset_id: str, version: int, step: str, decision: str = "approved", *,
                 note: str = "") -> _reviews.ApprovalState:
        self._check("review.approve", f"{asset_id}@v{version}")
        return _reviews.sign_off(self.scope, self.user, asset_id, version, step, decision, note=note)

    def approval_state(self, asset_id: str, version: int) -> _reviews.ApprovalState:
        self._check(self._review_action("review.read"), f"{asset_id}@v{version}")
        return _reviews.approval_state(self.scope, self.user, asset_id, version)

    def create_playlist(self, name: str, *, for_client: bool = False) -> _reviews.Playlist:
        self._check("review.approve", name)
        return _reviews.create_playlist(self.scope, self.user, name, for_client=for_client)

    def add_to_playlist(self, playlist_id: str, asset_id: str, version: int) -> _reviews.Playlist:
        self._check("review.approve", playlist_id)
        return _reviews.add_to_playlist(self.scope, self.user, playlist_id, asset_id, version)

    def playlists(self) -> list[_reviews.Playlist]:
        self._check(self._review_action("review.read"))
        return _reviews.list_playlists(self.scope, self.user)

    def playlist(self, playlist_id: str) -> _reviews.Playlist:
        self._check(self._review_action("review.read"), playlist_id)
        return _reviews.get_playlist(self.scope, self.user, playlist_id)

    def playlist_versions(self, playlist_id: str) -> list[dict[str, Any]]:
        self._check(self._review_action("review.read"), playlist_id)
        return _reviews.playlist_versions(self.scope, self.user, playlist_id)


MIGRATIONS = (*_tasks.MIGRATIONS, *_assets.MIGRATIONS, *_reviews.MIGRATIONS)
__all__ = ["MIGRATIONS", "ManagementOps"]
