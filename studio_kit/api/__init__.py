"""The HTTP API (`studio serve api`): a thin FastAPI layer over the Studio service layer."""

from .app import create_app

__all__ = ["create_app"]
