"""The Studio: one object bound to a store, a tenant, a project, a user and the settings; its methods
are the operations of every engine, composed from each engine's facade (``<engine>/ops.py``).

The CLI, notebooks, dashboards and the HTTP API all go through it. Every public method of a facade
is declared with ``management.access.operation`` (the one permission idiom: one check per call,
refusals audited). This file holds no engine logic: binding, opening and closing, and the list of
facades. A new engine adds its facade to the bases and its migrations to ``ALL_MIGRATIONS``.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import polars as pl

from .characters.ops import MIGRATIONS as CHARACTER_MIGRATIONS
from .generation import jobs as generation_jobs
from .generation import metering
from .management import access
from .management.access import AccessDenied, Principal
from .management.ops import MIGRATIONS as MANAGEMENT_MIGRATIONS
from .management.ops import ManagementOps
from .platform import billing, keys
from .platform.ops import PlatformOps
from .preproduction.ops import MIGRATIONS as PREPRODUCTION_MIGRATIONS
from .preproduction.ops import PreproductionOps
from .settings import Settings
from .store import Migration, ProjectScope, Store
from .writing.ops import MIGRATIONS as WRITING_MIGRATIONS
from .writing.ops import WritingOps

#: Every engine's tables, applied when a store opens (each engine's facade lists its own).
ALL_MIGRATIONS: tuple[Migration, ...] = (
    *WRITING_MIGRATIONS, *PREPRODUCTION_MIGRATIONS, *metering.MIGRATIONS, *generation_jobs.MIGRATIONS,
    *CHARACTER_MIGRATIONS, *MANAGEMENT_MIGRATIONS, *keys.MIGRATIONS, *billing.MIGRATIONS,
)


class Studio(WritingOps, PreproductionOps, ManagementOps, PlatformOps):
    """The one service layer: every operation of every engine, each checked against ``user``'s
    permissions in this tenant and project before it runs. ``user`` defaults to the tenant's local
    admin (a notebook or `studio` command on one's own machine); the API passes the key's person.

    The facades, from the top of the layering down: Writing (scripts, development, shot lists,
    boards, animatics) over Characters over Generation; Pre-production; Management; Platform
    (keys, usage, invoices; it meters Generation)."""

    def __init__(self, store: Store, tenant: str, project: str, settings: Settings | None = None,
                 user: Principal | None = None) -> None:
        self.store = store
        self.settings = settings or Settings()
        self.tenant = tenant
        self.project = project
        self.user = user or access.local_admin(tenant)
        #: This tenant's own artifact folder: one tenant's files never sit among another's.
        self.assets_dir = self.settings.assets / tenant
        # Only an admin's Studio creates a missing project; anyone else gets the scope's clear error.
        creates = not store.read_only and self.user.is_admin and self.user.tenant_id == tenant
        self.scope: ProjectScope = store.ensure_project(tenant, project) if creates else store.scope(tenant, project)

    @classmethod
    def open(cls, settings: Settings | None = None, *, project: str | None = None, tenant: str | None = None,
             read_only: bool = False, store_path: str | Path | None = None, user: Principal | None = None) -> Studio:
        """Open the store (``store_path`` or the settings') with every engine's tables, bound to a project."""
        s = settings or Settings.from_env()
        path = store_path if store_path is not None else s.store
        if store_path is not None:  # artifacts then live beside this store, not the settings' default one
            s = replace(s, store_path=Path(store_path))
        store = Store.open(path, read_only=read_only, migrations=ALL_MIGRATIONS)
        try:
            return cls(store, tenant or s.tenant, project or s.project, s, user=user)
        except BaseException:
            store.close()
            raise

    def for_project(self, project: str) -> Studio:
        """A Studio on another project of the same tenant and store, sharing the connection; it
        only reads until that project exists (no project is created behind a reader's back)."""
        other = copy.copy(self)
        other.project = project
        other.scope = self.store.scope(self.tenant, project)
        other._runner_instance = None
        other._embedder_instance = None
        return other

    def projects(self) -> pl.DataFrame:
        """The tenant's projects this user may see, with their role in each: a tenant admin all of
        them, anyone else the projects they are a member of (never another tenant's). Not an
        operation: it is the list a user picks a project from, filtered by their memberships."""
        return access.visible_projects(self.store, self.user)

    @property
    def media_root(self) -> Path | None:
        """The folder that relative artifact paths in the store are relative to (the store's own)."""
        return self.store.path.parent if self.store.path else None

    def close(self) -> None:
        self._close_resources()
        self.store.close()

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["ALL_MIGRATIONS", "AccessDenied", "Studio"]
