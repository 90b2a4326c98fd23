"""What every route depends on: the server's state, the caller (from the API key) and the
request's Studio. Routers import this module; ``app.py`` imports the routers; nothing imports back.

- The API server is the one process that writes the store: the app's lifespan opens it
  read-write once and keeps it in :class:`Api` until shutdown. One DuckDB connection is not
  thread-safe, so every use of the store is serialised by ``Api.lock``; handlers are plain
  functions run in FastAPI's thread pool and hold the lock only while they touch the store.
- Requests authenticate with ``Authorization: Bearer sk_live_...`` (platform.keys.authenticate);
  the key's person becomes the Studio's ``user``, so every operation is checked by the same
  permission idiom as the CLI and notebooks.
- A project is looked up in the caller's tenant only: an unknown project and another tenant's
  project both answer 404 (never revealing that it exists).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..common.errors import NotFound
from ..management import access
from ..management.access import AccessDenied, Principal
from ..platform import keys
from ..settings import Settings
from ..store import Store
from ..studio import Studio
from .errors import Unauthenticated

T = TypeVar("T")


@dataclass
class Api:
    """What the server holds between requests: the store (one writer) and the lock around it."""

    settings: Settings
    store: Store
    lock: threading.Lock


@dataclass
class Ctx:
    """One request's Studio, bound to the caller's tenant and the project in the URL."""

    api: Api
    studio: Studio
    user: Principal

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn`` while holding the store lock (the connection is not thread-safe)."""
        with self.api.lock:
            return fn(*args, **kwargs)


_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer sk_live_...`")


def get_api(request: Request) -> Api:
    return request.app.state.api


ApiDep = Annotated[Api, Depends(get_api)]


def get_user(api: ApiDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    """The key's person, or 401 with the generic refusal."""
    if creds is None or creds.scheme.lower() != "bearer":
        raise Unauthenticated()
    with api.lock:
        try:
            return keys.authenticate(api.store, creds.credentials)
        except AccessDenied:
            raise Unauthenticated() from None


UserDep = Annotated[Principal, Depends(get_user)]


def visible_projects(api: Api, user: Principal) -> list[dict[str, Any]]:
    """The caller's projects (what ``Studio.projects`` lists), before any project is chosen."""
    with api.lock:
        return access.visible_projects(api.store, user).to_dicts()


def get_ctx(project: str, api: ApiDep, user: UserDep) -> Ctx:
    """The Studio for ``project`` of the caller's tenant; 404 for an unknown or foreign project."""
    with api.lock:
        known = set(api.store.projects(user.tenant_id)["project_id"].to_list())
        if project not in known:
            raise NotFound(f"no project {project!r}")
        studio = Studio(api.store, user.tenant_id, project, api.settings, user=user)
    return Ctx(api, studio, user)


CtxDep = Annotated[Ctx, Depends(get_ctx)]

__all__ = ["Api", "ApiDep", "Ctx", "CtxDep", "UserDep", "get_api", "get_ctx", "get_user", "visible_projects"]
