"""The screenplay as data: typed, immutable-by-convention models shared by every engine.

Everything downstream (breakdown, schedule, characters, generation) reads these models, never
the Fountain or FDX text, so the parser and the exporters are the only code that knows a format.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class ElementType(StrEnum):
    """Fountain 1.1 element kinds (also the kinds Final Draft paragraphs map onto)."""

    SCENE_HEADING = "scene_heading"
    ACTION = "action"
    CHARACTER = "character"
    PARENTHETICAL = "parenthetical"
    DIALOGUE = "dialogue"
    LYRICS = "lyrics"
    TRANSITION = "transition"
    CENTERED = "centered"
    PAGE_BREAK = "page_break"
    NOTE = "note"
    BONEYARD = "boneyard"
    SECTION = "section"
    SYNOPSIS = "synopsis"


#: Elements that never print (kept for round trips and for writers' tools).
NON_PRINTING = frozenset({ElementType.NOTE, ElementType.BONEYARD, ElementType.SECTION, ElementType.SYNOPSIS})
#: Elements that belong to a speech (a cue and what follows it until a blank line).
SPEECH = frozenset({ElementType.CHARACTER, ElementType.PARENTHETICAL, ElementType.DIALOGUE, ElementType.LYRICS})


@dataclass(slots=True)
class Element:
    """One paragraph of the script.

    ``text`` is the element's text as written, with Fountain emphasis markers (``*``, ``_``) kept
    and forcing marks (``.``, ``!``, ``@``, ``>``, ``~``) removed; multi-line elements keep their
    line breaks. ``line`` is the 1-based line in the source file where the element starts.
    """

    type: ElementType
    text: str
    line: int = 0
    #: Scene number written as ``#12A#`` on a heading (None when not given).
    scene_number: str | None = None
    #: Section depth (``#`` = 1, ``##`` = 2, ...).
    depth: int = 0
    #: Dual dialogue side: "left" for the first speech, "right" for the one whose cue has ``^``.
    dual: str | None = None
    #: Written with an explicit forcing mark (``.``, ``!``, ``@``, ``>``, ``~``).
    forced: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["type"] = self.type.value
        return {k: v for k, v in d.items() if v not in (None, False, 0) or k in ("type", "text", "line")}


def continues_speech(prev: Element, e: Element) -> bool:
    """Does ``e`` (a parenthetical, dialogue or lyric) belong to the speech ending with ``prev``?

    A blank line ends a speech in Fountain; parsed elements know their source lines, so a lyric
    standing after a blank line stays on its own. Elements without line numbers (built in code or
    imported from Final Draft) follow the speech, as Final Draft paragraphs do.
    """
    if e.type not in (ElementType.PARENTHETICAL, ElementType.DIALOGUE, ElementType.LYRICS):
        return False
    if e.dual != prev.dual:
        return False
    if not prev.line or not e.line:
        return True
    return e.line <= prev.line + prev.text.count("\n") + 1


_EXT_RE = re.compile(r"\s*\(([^()]*)\)\s*$")


def split_cue(text: str) -> tuple[str, list[str]]:
    """Split a character cue into the name and its extensions: ``"BOB (V.O.)(CONT'D)"``."""
    name = text.strip()
    extensions: list[str] = []
    while True:
        m = _EXT_RE.search(name)
        if not m:
            break
        extensions.insert(0, m.group(1).strip())
        name = name[: m.start()].rstrip()
    return name, extensions


def character_name(cue_text: str) -> str:
    """The canonical character name of a cue: extensions removed, upper-cased."""
    return split_cue(cue_text)[0].upper()


@dataclass(slots=True)
class TitlePage:
    """Title page entries in file order. Keys keep their original spelling; lookups ignore case."""

    entries: list[tuple[str, str]] = field(default_factory=list)

    def get(self, key: str, default: str | None = None) -> str | None:
        k = key.lower()
        for name, value in self.entries:
            if name.lower() == k:
                return value
        return default

    def __bool__(self) -> bool:
        return bool(self.entries)

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.entries}


@dataclass(slots=True)
class Screenplay:
    """A parsed screenplay: the title page and the ordered elements."""

    title_page: TitlePage = field(default_factory=TitlePage)
    elements: list[Element] = field(default_factory=list)
    #: Where it came from (a path or a label), used in error messages and reports.
    source: str = "<memory>"

    @property
    def title(self) -> str:
        return (self.title_page.get("title") or "").replace("\n", " ").replace("*", "").replace("_", "").strip()

    def printing_elements(self) -> list[Element]:
        return [e for e in self.elements if e.type not in NON_PRINTING]


@dataclass(slots=True)
class Scene:
    """A scene as the production sees it: one strip on the board.

    ``index`` is its position in the script (0-based); ``number`` is the printed scene number
    (written ``#n#`` or assigned in order). ``first``/``last`` are indexes into
    ``Screenplay.elements`` (the heading, if any, is ``first``).
    """

    index: int
    number: str
    heading: str
    int_ext: str  # "INT", "EXT", "INT/EXT" or "" when unknown
    location: str
    time_of_day: str  # as written: "DAY", "NIGHT", "MORNING", "CONTINUOUS", ... or ""
    first: int
    last: int
    speaking: list[str] = field(default_factory=list)
    non_speaking: list[str] = field(default_factory=list)
    synopsis: str = ""
    #: Filled by pagination: 1-based page where the scene starts and its length in eighths.
    page_start: int = 0
    eighths: int = 0
    eighths_exact: float = 0.0
    line: int = 0
    #: The stripboard's D/N: "DAY", "NIGHT", "DAWN" or "DUSK" (CONTINUOUS/LATER inherit it).
    day_night: str = ""

    @property
    def characters(self) -> list[str]:
        return self.speaking + [c for c in self.non_speaking if c not in self.speaking]

    @property
    def length(self) -> str:
        return format_eighths(self.eighths)

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__slots__}
        d["length"] = self.length
        return d


_NOTE_RE = re.compile(r"\[\[.*?\]\]", re.S)
_INNER_BONEYARD_RE = re.compile(r"/\*(?:(?!/\*|\*/).)*\*/", re.S)


def strip_notes(text: str) -> str:
    """Remove inline ``[[notes]]`` and (possibly nested) ``/* boneyard */`` before printing."""
    if "[[" in text:
        text = _NOTE_RE.sub("", text)
    while "/*" in text:
        stripped = _INNER_BONEYARD_RE.sub("", text)
        if stripped == text:
            break
        text = stripped
    return text


def format_eighths(eighths: int) -> str:
    """``12`` -> ``"1 4/8"``, ``3`` -> ``"3/8"``, ``16`` -> ``"2"`` (the stripboard convention)."""
    pages, rest = divmod(int(eighths), 8)
    if pages and rest:
        return f"{pages} {rest}/8"
    if pages:
        return str(pages)
    return f"{rest}/8"
