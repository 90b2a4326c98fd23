"""Typed models to Polars tables: every list operation of the Studio returns a DataFrame.

Why: the doors (API rows, dashboard tables, notebooks, CSV exports) then handle one kind of list,
and an empty list still has its columns (the schema comes from the model's type hints, not from
the first row).
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl

_SCALARS: dict[Any, pl.DataType] = {str: pl.Utf8(), int: pl.Int64(), float: pl.Float64(), bool: pl.Boolean(),
                                    date: pl.Date(), datetime: pl.Datetime("us")}


def dtype_of(hint: Any) -> pl.DataType:
    """The Polars type of a type hint: scalars, ``X | None``, ``tuple[X, ...]`` / ``list[X]`` (a
    list column), a nested dataclass (a struct column)."""
    if hint in _SCALARS:
        return _SCALARS[hint]
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return dtype_of(rest[0])
    if origin in (tuple, list, Sequence) and args and (origin is not tuple or len(args) == 2 and args[1] is Ellipsis):
        return pl.List(dtype_of(args[0]))
    if dataclasses.is_dataclass(hint):
        return pl.Struct(schema_of(hint))
    raise TypeError(f"no table type for {hint!r}; convert the field before building the frame")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def schema_of(cls: type, types_: Mapping[str, pl.DataType] | None = None) -> dict[str, pl.DataType]:
    """Column types of a dataclass's fields, ``types_`` where given (fields hints cannot express)."""
    types_ = types_ or {}
    return {f.name: types_.get(f.name) or dtype_of(_hints(cls)[f.name]) for f in dataclasses.fields(cls)}


def frame_of(items: Sequence[Any], cls: type, *, convert: Mapping[str, Callable[[Any], Any]] | None = None,
             types_: Mapping[str, pl.DataType] | None = None) -> pl.DataFrame:
    """One row per model, one column per field; ``convert`` turns a field's value into what its
    ``types_`` column holds (for fields the hints cannot express, e.g. pairs)."""
    convert = dict(convert or {})
    schema = schema_of(cls, types_)
    rows = [{name: convert[name](getattr(item, name)) if name in convert else _plain(getattr(item, name))
             for name in schema} for item in items]
    return pl.DataFrame(rows, schema=schema)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


__all__ = ["dtype_of", "frame_of", "schema_of"]
