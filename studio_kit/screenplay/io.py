"""Write a screenplay in the format its file name asks for, atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import ScreenplayError
from .model import Screenplay


def atomic_write(path: str | Path, data: str | bytes) -> Path:
    """Write via a temporary file in the same folder, so no half-written file is ever left."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def save_script(screenplay: Screenplay, path: str | Path) -> Path:
    suffix = Path(path).suffix.lower()
    if suffix == ".fdx":
        from .fdx import to_fdx

        return atomic_write(path, to_fdx(screenplay))
    if suffix in {".fountain", ".spmd", ".txt"}:
        from .fountain_writer import to_fountain

        return atomic_write(path, to_fountain(screenplay))
    raise ScreenplayError(f"cannot write {suffix!r}: use a .fountain or .fdx file name (or `studio pdf` for PDF)", str(path))
