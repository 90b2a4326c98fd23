"""Shared pieces of the routers: request/response base models and frame conversion."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict

#: Columns never sent to a client, whatever a frame holds.
_SECRET_COLUMNS = {"secret_sha256", "content_sha256", "secret", "hash"}


class Request(BaseModel):
    """Request bodies refuse unknown fields (no mass assignment of tenant, role or approval fields)."""

    model_config = ConfigDict(extra="forbid")


class Rows(BaseModel):
    """A table: one object per row."""

    rows: list[dict[str, Any]]


def plain(value: Any) -> Any:
    """JSON-friendly values (dataclasses, dates, decimals, tuples)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name not in _SECRET_COLUMNS}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items() if k not in _SECRET_COLUMNS}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """A table as a list of JSON-friendly objects (for routes whose response model is a list)."""
    keep = [c for c in frame.columns if c not in _SECRET_COLUMNS]
    return [plain(r) for r in frame.select(keep).to_dicts()]


def rows(frame: pl.DataFrame) -> Rows:
    keep = [c for c in frame.columns if c not in _SECRET_COLUMNS]
    return Rows(rows=[plain(r) for r in frame.select(keep).to_dicts()])
