"""DuckDB store: connection, transactions, migrations and tenant/project scoping. Knows no engine."""

from .db import (
    CORE_MIGRATIONS,
    Migration,
    ProjectNotFound,
    ProjectScope,
    ScopeError,
    Store,
    StoreError,
    StoreLockedError,
)

__all__ = ["CORE_MIGRATIONS", "Migration", "ProjectNotFound", "ProjectScope", "ScopeError", "Store", "StoreError", "StoreLockedError"]
