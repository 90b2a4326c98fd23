"""Content-addressed artifacts: every generated image, clip or text is stored once, named by its sha256.

Why: a retried or replayed job that produces the same bytes lands on the same file (no duplicates,
no half-written files after a crash), the job table stores only the hash, and anyone reading an
artifact can check it is the one the job recorded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..common.errors import Conflict, Invalid
from ..common.files import atomic_write

MIME_BY_EXT = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "wav": "audio/wav",
               "txt": "text/plain; charset=utf-8", "json": "application/json", "mp4": "video/mp4"}


class ArtifactError(Conflict):
    """An artifact is missing or its bytes do not match the hash it is stored under."""


@dataclass(frozen=True)
class Artifact:
    sha256: str
    path: Path
    size: int
    mime: str


def _check_ext(ext: str) -> str:
    ext = ext.lstrip(".").lower()
    if not ext or not ext.isalnum():
        raise Invalid(f"artifact extension {ext!r} must be letters/digits, e.g. 'png'")
    return ext


def path_of(assets_dir: str | Path, sha256: str, ext: str) -> Path:
    """Where the artifact with this hash lives: ``<assets>/<sha[:2]>/<sha>.<ext>``."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise Invalid(f"{sha256!r} is not a lower-case hex sha256")
    return Path(assets_dir) / sha256[:2] / f"{sha256}.{_check_ext(ext)}"


def put(assets_dir: str | Path, data: bytes, ext: str, mime: str | None = None) -> Artifact:
    """Store ``data`` under its hash; the same content twice is one file, written once.

    The write is atomic and fsynced (common.files.atomic_write), so a reader never sees a partial
    artifact, even if this process dies mid-write.
    """
    ext = _check_ext(ext)
    sha = hashlib.sha256(data).hexdigest()
    dest = path_of(assets_dir, sha, ext)
    mime = mime or MIME_BY_EXT.get(ext, "application/octet-stream")
    if dest.exists() and dest.stat().st_size == len(data):
        return Artifact(sha, dest, len(data), mime)
    atomic_write(dest, data, durable=True)
    return Artifact(sha, dest, len(data), mime)


def read(assets_dir: str | Path, sha256: str, ext: str, *, verify: bool = True) -> bytes:
    """The artifact's bytes, checked against its hash (a corrupted or swapped file raises)."""
    p = path_of(assets_dir, sha256, ext)
    if not p.exists():
        raise ArtifactError(f"artifact {p} is missing; regenerate it (rerun its job) or restore the assets folder")
    data = p.read_bytes()
    if verify and hashlib.sha256(data).hexdigest() != sha256:
        raise ArtifactError(f"artifact {p} does not match its sha256 (file corrupted or replaced); "
                            "delete it and rerun its job")
    return data


def verify(path: str | Path) -> bool:
    """True when the file at ``path`` hashes to the sha256 its name claims."""
    p = Path(path)
    return p.exists() and hashlib.sha256(p.read_bytes()).hexdigest() == p.name.split(".", 1)[0]
