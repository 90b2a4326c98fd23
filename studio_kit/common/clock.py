"""The studio's one clock: naive UTC timestamps, as the store's TIMESTAMP columns hold them."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now in UTC without tzinfo (DuckDB TIMESTAMP has none; every stored time is UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


__all__ = ["utc_now"]
