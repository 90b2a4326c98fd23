"""The HTTP API: FastAPI routes over the Studio, the one service layer.

Why this shape:
- The API server is the one process that writes the DuckDB store: it opens the store read-write
  once at startup (lifespan) and keeps it until shutdown. One DuckDB connection is not
  thread-safe, so every use of the store is serialised by one lock (``Api.lock``); handlers are
  plain functions run in FastAPI's thread pool and hold the lock only while they touch the store.
- Requests authenticate with ``Authorization: Bearer sk_live_...`` (platform.keys.authenticate);
  the key's person becomes the Studio's ``user``, so every operation is checked by the same
  permission layer as the CLI and notebooks.
- A project is looked up in the caller's tenant only: an unknown project and another tenant's
  project both answer 404 (never revealing that it exists).
- Errors: AccessDenied 403 with the reason; validation 422; StoreError 409; ScreenplayError 400;
  anything else 500 with an error id and no internals (the traceback goes to the server log).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..management import access
from ..management.access import AccessDenied, Principal
from ..platform import keys
from ..screenplay.errors import ScreenplayError
from ..settings import Settings
from ..store import Migration, ScopeError, Store, StoreError
from ..studio import ALL_MIGRATIONS, Studio

log = logging.getLogger("studio_kit.api")
T = TypeVar("T")

try:  # the management engine (assets, tasks, reviews), when present
    from ..management.ops import MIGRATIONS as _MANAGEMENT_MIGRATIONS
    from ..management.ops import ManagementOps
except ImportError:  # pragma: no cover - only before the management engine lands
    ManagementOps = None  # type: ignore[assignment,misc]
    _MANAGEMENT_MIGRATIONS = ()

if ManagementOps is not None and not issubclass(Studio, ManagementOps):
    class ApiStudio(ManagementOps, Studio):  # type: ignore[misc,valid-type]
        """The Studio with the management mixin, until the lead adds it to Studio's bases."""
else:
    ApiStudio = Studio  # type: ignore[misc,assignment]

HAS_MANAGEMENT = ManagementOps is not None


def api_migrations() -> list[Migration]:
    """Every engine's migrations, deduplicated by (component, version)."""
    seen: dict[tuple[str, int], Migration] = {}
    for m in [*ALL_MIGRATIONS, *access.MIGRATIONS, *keys.MIGRATIONS, *_MANAGEMENT_MIGRATIONS]:
        seen.setdefault((m.component, m.version), m)
    return list(seen.values())


class NotFound(Exception):
    """A project or object that does not exist for this caller (404, whatever the real reason)."""


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


class Unauthenticated(Exception):
    """No key, or a key that does not work (one message for every reason)."""


UserDep = Annotated[Principal, Depends(get_user)]


def get_ctx(project: str, api: ApiDep, user: UserDep) -> Ctx:
    """The Studio for ``project`` of the caller's tenant; 404 for an unknown or foreign project."""
    with api.lock:
        known = set(api.store.projects(user.tenant_id)["project_id"].to_list())
        if project not in known:
            raise NotFound(f"no project {project!r}")
        studio = ApiStudio(api.store, user.tenant_id, project, api.settings, user=user)
    return Ctx(api, studio, user)


CtxDep = Annotated[Ctx, Depends(get_ctx)]


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": message, **extra}, status_code=status)


def _message(exc: Exception) -> str:
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)


#: (exception, status, fixed message or None). Starlette picks the handler by the exception's MRO,
#: so ScopeError (a StoreError) gets its own 404 here, not StoreError's 409.
_STATUS_OF: tuple[tuple[type[Exception], int, str | None], ...] = (
    (AccessDenied, 403, None), (NotFound, 404, None), (ScopeError, 404, "not found"), (KeyError, 404, None),
    (StoreError, 409, None), (ScreenplayError, 400, None), (ValueError, 422, None),
)


def _handler(status: int, fixed: str | None) -> Callable:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        return _error(status, fixed or _message(exc) or "not found")

    return handle


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(Unauthenticated)
    async def _unauth(_: Request, exc: Unauthenticated) -> JSONResponse:
        return JSONResponse({"detail": keys.GENERIC_REFUSAL}, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    # Domain errors -> status; the message is the engine's own (it names what to do), except where
    # the status alone must speak (another tenant's project reads as plain "not found").
    for exc_type, status, fixed in _STATUS_OF:
        app.add_exception_handler(exc_type, _handler(status, fixed))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        error_id = uuid.uuid4().hex[:12]
        log.exception("error %s on %s %s", error_id, request.method, request.url.path)
        return _error(500, "internal error; quote this id to the administrator", error_id=error_id)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)


def create_app(settings: Settings | None = None, *, store_path: str | Path | None = None) -> FastAPI:
    """The API app; its lifespan opens the store (``store_path`` or ``settings.store``) for writing once."""
    from .routers import ROUTERS

    s = settings or Settings.from_env()
    if store_path is not None:  # artifacts then live beside this store
        s = replace(s, store_path=Path(store_path))
    path = s.store

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store.open(path, migrations=api_migrations())
        app.state.api = Api(s, store, threading.Lock())
        try:
            yield
        finally:
            with app.state.api.lock:
                store.close()

    app = FastAPI(title="studio_kit API", version="1", lifespan=lifespan,
                  description="Every engine's operations, each checked by the Studio's permission layer. "
                              "Authenticate with `Authorization: Bearer sk_live_...`.")
    _install_errors(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
