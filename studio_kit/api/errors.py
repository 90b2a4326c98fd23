"""Errors to HTTP statuses, from the one family (:mod:`studio_kit.common.errors`) and nothing else:
Forbidden 403, NotFound 404, Invalid 422, Conflict 409, Unavailable 503, with the engine's own
message (it names what to do). Anything else is a bug: 500 with an error id and no internals (the
traceback goes to the server log), even a stray ``KeyError`` or ``ValueError``.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..common.errors import Conflict, Forbidden, Invalid, NotFound, StudioError, Unavailable
from ..platform import keys
from ..store import ProjectNotFound


class Unauthenticated(Exception):
    """No key, or a key that does not work (one message for every reason)."""


log = logging.getLogger("studio_kit.api")


#: The one family -> status, first match wins (a class may derive from two kinds: a store lock
#: is Unavailable before it is a Conflict).
STATUS_OF: tuple[tuple[type[StudioError], int], ...] = (
    (Forbidden, 403), (NotFound, 404), (Invalid, 422), (Unavailable, 503), (Conflict, 409),
)


def status_of(exc: StudioError) -> int:
    return next((status for kind, status in STATUS_OF if isinstance(exc, kind)), 500)


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": message, **extra}, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(Unauthenticated)
    async def _unauth(_: Request, exc: Unauthenticated) -> JSONResponse:
        return JSONResponse({"detail": keys.GENERIC_REFUSAL}, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(StudioError)
    async def _studio_error(request: Request, exc: StudioError) -> JSONResponse:
        status = status_of(exc)
        if status == 500:  # a StudioError outside the kinds is a bug in its raiser
            return await _internal(request, exc)
        # another tenant's project reads as plain "not found" (the message would name the tenant)
        return _error(status, "not found" if isinstance(exc, ProjectNotFound) else (str(exc) or "not found"))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        error_id = uuid.uuid4().hex[:12]
        log.error("error %s on %s %s", error_id, request.method, request.url.path, exc_info=exc)
        return _error(500, "internal error; quote this id to the administrator", error_id=error_id)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)


__all__ = ["STATUS_OF", "Unauthenticated", "install", "status_of"]
