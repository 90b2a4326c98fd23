"""What every engine's options object shares (``preproduction.options``, ``writing.options``, ...)."""

from __future__ import annotations

import dataclasses
from typing import Self


class Options:
    """Base of the frozen, keyword-only options dataclasses: ``options.replace(field=value)`` derives
    another set (checked again by its ``__post_init__``)."""

    def replace(self, **changes: object) -> Self:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


__all__ = ["Options"]
