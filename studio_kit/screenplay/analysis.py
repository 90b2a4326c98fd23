"""One call from a script file to everything the engines read: elements, pages, scenes, stats."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ScreenplayError
from .fountain import DEFAULT_MAX_BYTES, decode_script, parse_fountain, read_fountain
from .model import Scene, Screenplay
from .pagination import LETTER, Layout, Pagination, paginate, scene_lengths
from .scenes import extract_scenes
from .stats import ScriptStats, script_stats

FOUNTAIN_SUFFIXES = {".fountain", ".spmd", ".txt", ".ftn"}


@dataclass
class ScriptAnalysis:
    screenplay: Screenplay
    pagination: Pagination
    scenes: list[Scene]
    stats: ScriptStats

    def to_dict(self) -> dict:
        """The JSON shape of `studio parse --json`: title page, elements, scenes, statistics."""
        return {
            "source": self.screenplay.source,
            "title": self.screenplay.title,
            "title_page": self.screenplay.title_page.to_dict(),
            "layout": self.pagination.layout.name,
            "pages": self.pagination.page_count,
            "elements": [e.to_dict() for e in self.screenplay.elements],
            "scenes": [s.to_dict() for s in self.scenes],
            "statistics": self.stats.to_dict(),
        }


def analyze(screenplay: Screenplay, layout: Layout = LETTER) -> ScriptAnalysis:
    pagination = paginate(screenplay, layout)
    scenes = extract_scenes(screenplay)
    scene_lengths(pagination, scenes, len(screenplay.elements))
    return ScriptAnalysis(screenplay, pagination, scenes, script_stats(screenplay, scenes, pagination))


def load_script(path: str | Path, encoding: str = "utf-8", max_bytes: int = DEFAULT_MAX_BYTES) -> Screenplay:
    """Read a Fountain or Final Draft file, chosen by its suffix."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".fdx":
        from .fdx import read_fdx

        if p.is_file() and p.stat().st_size > max_bytes:
            raise ScreenplayError(f"file is over the {max_bytes / 1e6:.0f} MB limit for a screenplay", str(p))
        return read_fdx(p)
    if suffix in FOUNTAIN_SUFFIXES or not suffix:
        return read_fountain(p, encoding=encoding, max_bytes=max_bytes)
    raise ScreenplayError(
        f"unknown script format {suffix!r}; studio_kit reads Fountain (.fountain, .spmd, .txt) and Final Draft (.fdx)",
        str(p),
    )


def parse_text(text: str, source: str = "<memory>") -> Screenplay:
    return parse_fountain(text, source=source)


__all__ = ["ScriptAnalysis", "analyze", "load_script", "parse_text", "decode_script"]
