"""Write a screenplay in the format its file name asks for, atomically."""

from __future__ import annotations

from pathlib import Path

from ..common.files import atomic_write
from .errors import ScreenplayError
from .model import Screenplay


def save_script(screenplay: Screenplay, path: str | Path) -> Path:
    suffix = Path(path).suffix.lower()
    if suffix == ".fdx":
        from .fdx import to_fdx

        return atomic_write(path, to_fdx(screenplay))
    if suffix in {".fountain", ".spmd", ".txt"}:
        from .fountain_writer import to_fountain

        return atomic_write(path, to_fountain(screenplay))
    raise ScreenplayError(f"cannot write {suffix!r}: use a .fountain or .fdx file name (or `studio pdf` for PDF)", str(path))
