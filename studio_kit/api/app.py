"""The HTTP API: FastAPI routes over the Studio, the one service layer.

Requests, the caller and the store lock are in :mod:`studio_kit.api.deps`; one router per engine
is in :mod:`studio_kit.api.routers`; errors become statuses in :mod:`studio_kit.api.errors`, from
the one error family only.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI

from ..settings import Settings
from ..store import Store
from ..studio import ALL_MIGRATIONS
from .deps import Api
from .errors import install as install_errors
from .routers import ROUTERS


def create_app(settings: Settings | None = None, *, store_path: str | Path | None = None) -> FastAPI:
    """The API app; its lifespan opens the store (``store_path`` or ``settings.store``) for writing once."""
    s = settings or Settings.from_env()
    if store_path is not None:  # artifacts then live beside this store
        s = replace(s, store_path=Path(store_path))
    path = s.store

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store.open(path, migrations=ALL_MIGRATIONS)
        app.state.api = Api(s, store, threading.Lock())
        try:
            yield
        finally:
            with app.state.api.lock:
                store.close()

    app = FastAPI(title="studio_kit API", version="1", lifespan=lifespan,
                  description="Every engine's operations, each checked by the Studio's permission layer. "
                              "Authenticate with `Authorization: Bearer sk_live_...`.")
    install_errors(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
