"""Atomic file writes: a reader never sees a half-written export, artifact or snapshot.

Why not ``tempfile.mkstemp``: it creates the file 0600, so exported PDFs and spreadsheets ended up
readable by their owner only. The temporary file here is created like any other file (the
process's umask applies), then moved into place with ``os.replace`` on the same filesystem.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _part_path(p: Path, suffix: str = "") -> Path:
    """A hidden, unique sibling of ``p``; it ends with ``suffix`` for writers that pick a format
    from the file name (an encoder writing ``.mp4``)."""
    return p.with_name(f".{p.name}.{secrets.token_hex(6)}.part{suffix}")


@contextmanager
def atomic_path(path: str | Path, *, suffix: str = "") -> Iterator[Path]:
    """A temporary path beside ``path`` for code that writes a file by name (a PDF canvas, an
    encoder, PIL); on success it replaces ``path``, on any failure it is removed."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = _part_path(p, suffix)
    try:
        yield tmp
        os.replace(tmp, p)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: str | Path, data: str | bytes, *, durable: bool = False) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically; ``durable`` also fsyncs before the
    rename (content-addressed artifacts, which other processes trust once they exist)."""
    p = Path(path)
    with atomic_path(p) as tmp:
        with open(tmp, "xb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
    return p


__all__ = ["atomic_path", "atomic_write"]
