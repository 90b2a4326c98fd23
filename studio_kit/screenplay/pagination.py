"""Industry pagination: Courier 12 (10 characters and 6 lines to the inch), US Letter or A4.

Elements become blocks of printed lines with the standard indents and widths; blocks are laid
onto pages with the break rules a good paginator follows: never end a page on a scene heading,
no break right before a transition, short action blocks stay whole, long ones keep two lines on
each side, a speech split across pages gets ``(MORE)`` and ``NAME (CONT'D)``, dual dialogue
stays side by side. Every element's position is kept, so scene lengths in eighths fall out of
the page geometry (a page is eight one-inch parts of its printable lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..common.errors import Invalid
from .emphasis import scan_emphasis
from .model import (
    NON_PRINTING,
    Element,
    ElementType,
    Scene,
    Screenplay,
    continues_speech,
    split_cue,
    strip_notes,
)


@dataclass(frozen=True)
class Layout:
    """Page geometry in inches and characters (Courier 12: 10 chars and 6 lines per inch)."""

    name: str
    page_width: float
    page_height: float
    lines_per_page: int
    top_margin: float = 1.0
    action_x: float = 1.5
    action_width: int = 61
    cue_x: float = 3.5
    cue_width: int = 38
    paren_x: float = 3.0
    paren_width: int = 26
    dialogue_x: float = 2.5
    dialogue_width: int = 36
    right_edge: float = 7.5  # transitions end here; page numbers too
    dual_left_x: float = 1.5
    dual_right_x: float = 4.5
    dual_width: int = 28
    scene_heading_blank_lines_before: int = 1
    chars_per_inch: float = 10.0
    lines_per_inch: float = 6.0

    @property
    def center_x(self) -> float:
        return (self.action_x + self.right_edge) / 2


LETTER = Layout("letter", 8.5, 11.0, 55)
A4 = Layout("a4", 8.27, 11.69, 57, right_edge=7.27, dual_right_x=4.4)
_LAYOUTS = {"letter": LETTER, "us-letter": LETTER, "a4": A4}


def layout_for(name: str) -> Layout:
    try:
        return _LAYOUTS[name.lower()]
    except KeyError:
        raise Invalid(f"unknown paper {name!r}: use 'letter' or 'a4'") from None


@dataclass(slots=True)
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False


@dataclass(slots=True)
class Line:
    runs: list[Run]
    x: float
    kind: ElementType
    element: int  # index into Screenplay.elements; -1 for (MORE)/(CONT'D) lines the paginator adds
    column: str | None = None

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass
class Page:
    number: int
    rows: list[list[Line]] = field(default_factory=list)  # one entry per printed row; [] is blank


@dataclass
class Pagination:
    layout: Layout
    pages: list[Page]
    element_pos: list[int]  # absolute row (page_index * lines_per_page + row) where each element starts
    end_pos: int = 0  # absolute row just after the last printed line

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def position(self, element_index: int) -> int:
        return self.element_pos[element_index]

    def page_of(self, element_index: int) -> int:
        return self.element_pos[element_index] // self.layout.lines_per_page + 1


# -- emphasis and wrapping -------------------------------------------------------------------

def parse_emphasis(text: str) -> list[Run]:
    """Fountain emphasis to styled runs (see :mod:`studio_kit.screenplay.emphasis`)."""
    if "*" not in text and "_" not in text and "\\" not in text:
        return [Run(text)]
    runs = [Run(t, "Bold" in st, "Italic" in st, "Underline" in st) for t, st in scan_emphasis(text)]
    return runs or [Run("")]


def _slice_runs(runs: list[Run], start: int, end: int) -> list[Run]:
    out, pos = [], 0
    for r in runs:
        a, b = pos, pos + len(r.text)
        pos = b
        if b <= start or a >= end:
            continue
        out.append(Run(r.text[max(start, a) - a : min(end, b) - a], r.bold, r.italic, r.underline))
    return out


def _wrap_plain(text: str, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap of one line; returns (start, end) spans. Leading spaces are kept."""
    n = len(text)
    if n <= width:
        return [(0, n)]
    spans = []
    start = 0
    while n - start > width:
        cut = text.rfind(" ", start + 1, start + width + 1)
        if cut <= start:  # one word longer than the line: break it hard
            spans.append((start, start + width))
            start += width
            continue
        end = cut
        while end > start and text[end - 1] == " ":
            end -= 1
        spans.append((start, end))
        start = cut + 1
        while start < n and text[start] == " ":
            start += 1
    if start < n:
        spans.append((start, n))
    return spans


def wrap_runs(text: str, width: int) -> list[list[Run]]:
    """Word-wrap emphasised text to ``width`` characters; explicit line breaks are kept."""
    out: list[list[Run]] = []
    for raw in text.split("\n"):
        runs = parse_emphasis(raw)
        plain = "".join(r.text for r in runs)
        if not plain:
            out.append([])
            continue
        simple = len(runs) == 1
        for a, b in _wrap_plain(plain, width):
            out.append([Run(plain[a:b], runs[0].bold, runs[0].italic, runs[0].underline)] if simple
                       else _slice_runs(runs, a, b))
    return out


# -- blocks ----------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?][\"')]*$")


@dataclass
class _Block:
    kind: str  # "heading", "action", "speech", "dual", "transition", "other", "break"
    rows: list[list[Line]]
    element: int
    blank_before: int = 1
    cue: str = ""  # speaker name for (CONT'D)
    cue_x: float = 0.0
    elements: list[tuple[int, int]] = field(default_factory=list)  # (element index, first row in block)


def _lines(text: str, width: int, x: float, kind: ElementType, idx: int, column: str | None = None) -> list[list[Line]]:
    return [[Line(runs, x, kind, idx, column)] if runs else [] for runs in wrap_runs(strip_notes(text), width)]


def _speech_rows(els: list[Element], start: int, end: int, L: Layout, column: str | None,
                 x0: float | None = None) -> tuple[list[list[Line]], list[tuple[int, int]]]:
    """Rows of one speech (cue .. end), at full width or in a dual-dialogue column."""
    rows: list[list[Line]] = []
    marks: list[tuple[int, int]] = []
    if column is None:
        cue_x, paren_x, dia_x = L.cue_x, L.paren_x, L.dialogue_x
        paren_w, dia_w = L.paren_width, L.dialogue_width
    else:
        base = x0 if x0 is not None else L.dual_left_x
        cue_x, paren_x, dia_x = base + 1.0, base + 0.5, base
        paren_w, dia_w = L.dual_width - 5, L.dual_width
    for i in range(start, end):
        e = els[i]
        marks.append((i, len(rows)))
        t = e.type
        if t is ElementType.CHARACTER:
            rows.extend(_lines(e.text.upper() if not e.forced else e.text, L.cue_width, cue_x, t, i, column))
        elif t is ElementType.PARENTHETICAL:
            rows.extend(_lines(e.text, paren_w, paren_x, t, i, column))
        elif t is ElementType.LYRICS:
            rows.extend([[Line([Run(r.text, r.bold, True, r.underline) for r in ln[0].runs], ln[0].x, t, i, column)]
                         if ln else [] for ln in _lines(e.text, dia_w, dia_x, t, i, column)])
        else:
            rows.extend(_lines(e.text, dia_w, dia_x, t, i, column))
    return rows, marks


def _speech_end(els: list[Element], i: int) -> int:
    j = i + 1
    while j < len(els) and continues_speech(els[j - 1], els[j]):
        j += 1
    return j


def _blocks(sp: Screenplay, L: Layout) -> list[_Block]:
    els = sp.elements
    blocks: list[_Block] = []
    i, n = 0, len(els)
    while i < n:
        e = els[i]
        t = e.type
        if t in NON_PRINTING:
            i += 1
            continue
        if t is ElementType.PAGE_BREAK:
            blocks.append(_Block("break", [], i, 0))
            i += 1
        elif t is ElementType.SCENE_HEADING:
            blocks.append(_Block("heading", _lines(e.text, L.action_width, L.action_x, t, i), i,
                                 max(1, L.scene_heading_blank_lines_before)))
            i += 1
        elif t is ElementType.CHARACTER:
            j = _speech_end(els, i)
            r = j
            while r < n and els[r].type in NON_PRINTING:
                r += 1  # notes between the two speeches of a dual exchange do not print
            if e.dual == "left" and r < n and els[r].type is ElementType.CHARACTER and els[r].dual == "right":
                k = _speech_end(els, r)
                left, lm = _speech_rows(els, i, j, L, "left", L.dual_left_x)
                right, rm = _speech_rows(els, r, k, L, "right", L.dual_right_x)
                rows = [(left[r] if r < len(left) else []) + (right[r] if r < len(right) else [])
                        for r in range(max(len(left), len(right)))]
                blocks.append(_Block("dual", rows, i, 1, elements=lm + rm))
                i = k
            else:
                rows, marks = _speech_rows(els, i, j, L, None)
                name = split_cue(strip_notes(e.text))[0]
                blocks.append(_Block("speech", rows, i, 1, cue=name.upper() if not e.forced else name,
                                     cue_x=L.cue_x, elements=marks))
                i = j
        elif t is ElementType.TRANSITION:
            text = strip_notes(e.text)
            rows = []
            for runs in wrap_runs(text, L.action_width):
                width = sum(len(r.text) for r in runs)
                rows.append([Line(runs, L.right_edge - width / L.chars_per_inch, t, i)])
            blocks.append(_Block("transition", rows, i))
            i += 1
        elif t is ElementType.CENTERED:
            rows = []
            for runs in wrap_runs(strip_notes(e.text), L.action_width):
                width = sum(len(r.text) for r in runs)
                rows.append([Line(runs, L.center_x - width / (2 * L.chars_per_inch), t, i)] if runs else [])
            blocks.append(_Block("other", rows, i))
            i += 1
        elif t is ElementType.LYRICS:
            rows = [[Line([Run(r.text, r.bold, True, r.underline) for r in ln[0].runs], L.dialogue_x, t, i)] if ln else []
                    for ln in _lines(e.text, L.dialogue_width, L.dialogue_x, t, i)]
            blocks.append(_Block("other", rows, i))
            i += 1
        else:  # action, and any stray dialogue/parenthetical without a cue
            x, w = (L.action_x, L.action_width)
            if t in (ElementType.DIALOGUE, ElementType.PARENTHETICAL):
                x, w = (L.dialogue_x, L.dialogue_width) if t is ElementType.DIALOGUE else (L.paren_x, L.paren_width)
            blocks.append(_Block("action", _lines(e.text, w, x, t, i), i))
            i += 1
    for b in blocks:
        if not b.elements:
            b.elements = [(b.element, 0)]
    return blocks


# -- page layout -----------------------------------------------------------------------------

def paginate(screenplay: Screenplay, layout: Layout = LETTER) -> Pagination:
    """Lay the script onto pages; title page excluded, page 1 is the first script page."""
    L = layout
    lpp = L.lines_per_page
    blocks = _blocks(screenplay, L)
    pages: list[Page] = [Page(1)]
    pos: dict[int, int] = {}
    page = pages[0]

    def new_page() -> Page:
        p = Page(len(pages) + 1)
        pages.append(p)
        return p

    def put(rows: list[list[Line]], marks: list[tuple[int, int]], offset: int = 0) -> None:
        """Place rows (marks: element -> row within the full block; offset: first block row placed)."""
        base = (len(pages) - 1) * lpp + len(page.rows) - offset
        for idx, r in marks:
            if offset <= r < offset + len(rows) and idx not in pos:
                pos[idx] = base + r
        page.rows.extend(rows)

    k = 0
    nb = len(blocks)
    while k < nb:
        b = blocks[k]
        if b.kind == "break":
            pos[b.element] = (len(pages) - 1) * lpp + len(page.rows)
            if page.rows:
                page = new_page()
            k += 1
            continue
        if not b.rows:
            pos.setdefault(b.element, (len(pages) - 1) * lpp + len(page.rows))
            k += 1
            continue
        blank = b.blank_before if page.rows else 0
        room = lpp - len(page.rows) - blank
        need = len(b.rows)
        nxt = blocks[k + 1] if k + 1 < nb else None
        # Keep-with-next: a heading needs two lines of what follows; a block before a transition
        # keeps the transition with it.
        if b.kind == "heading" and nxt is not None and nxt.rows and nxt.kind != "break":
            need += 1 + min(2, len(nxt.rows))
        elif nxt is not None and nxt.kind == "transition":
            need += 1 + len(nxt.rows)
        if need <= room:
            page.rows.extend([[]] * blank)
            put(b.rows, b.elements)
            k += 1
            continue
        # It does not fit whole: split where the rules allow, else move to the next page.
        fit = lpp - len(page.rows) - blank  # rows of this block that fit here
        if nxt is not None and nxt.kind == "transition":
            fit = min(fit, len(b.rows) - 2)  # leave two lines to go over with the transition
        split = _split_point(b, fit) if page.rows or blank else None
        if split is None and not page.rows:
            split = _split_point(b, lpp) or lpp  # taller than a page: no choice but to break
        if split is None:
            page = new_page()
            continue  # retry the same block on a fresh page
        head, tail = b.rows[:split], b.rows[split:]
        page.rows.extend([[]] * blank)
        if b.kind == "speech":
            head = head + [[Line([Run("(MORE)")], b.cue_x, ElementType.CHARACTER, -1)]]
        put(head, b.elements)
        page = new_page()
        if b.kind == "speech":
            cont = [[Line([Run(f"{b.cue} (CONT'D)")], b.cue_x, ElementType.CHARACTER, -1)]]
            rest = _Block("speech", cont + tail, b.element, 0, b.cue, b.cue_x,
                          [(i, r - split + 1) for i, r in b.elements if r >= split])
        else:
            rest = _Block(b.kind, tail, b.element, 0, b.cue, b.cue_x, [(i, r - split) for i, r in b.elements if r >= split])
        blocks[k] = rest
    end = (len(pages) - 1) * lpp + len(page.rows)
    n = len(screenplay.elements)
    element_pos = [0] * n
    nxt_pos = end
    for i in range(n - 1, -1, -1):
        if i in pos:
            nxt_pos = pos[i]
        element_pos[i] = nxt_pos
    return Pagination(L, pages, element_pos, end)


def _split_point(b: _Block, fit: int) -> int | None:
    """How many rows of block ``b`` may go on this page (None: move it whole)."""
    n = len(b.rows)
    if b.kind == "action":
        if n <= 3 or fit < 2:
            return None
        k = min(fit, n - 2)
        return k if k >= 2 else None
    if b.kind == "speech":
        room = fit - 1  # one row for (MORE)
        first_text = 1 + next((r for r, ln in enumerate(b.rows[1:]) if ln and ln[0].kind is not ElementType.PARENTHETICAL), 0)
        best = None
        for k in range(min(room, n - 1), first_text + 1, -1):  # k rows stay: the cue and >= 2 lines
            last = b.rows[k - 1]
            if not last or last[0].kind is ElementType.PARENTHETICAL:
                continue
            if last[0].kind is not ElementType.DIALOGUE and last[0].kind is not ElementType.LYRICS:
                continue
            if best is None:
                best = k
            if _SENTENCE_END.search(last[0].text.rstrip()):
                return k  # prefer to break after a full sentence
        return best
    return None


def scene_lengths(pagination: Pagination, scenes: list[Scene], total_elements: int | None = None) -> None:
    """Fill each scene's page_start and length in eighths (exact and rounded, at least 1/8)."""
    lpp = pagination.layout.lines_per_page
    starts = [pagination.element_pos[s.first] for s in scenes]
    for k, s in enumerate(scenes):
        end = starts[k + 1] if k + 1 < len(scenes) else pagination.end_pos
        exact = max(0, end - starts[k]) * 8 / lpp
        s.page_start = starts[k] // lpp + 1
        s.eighths_exact = round(exact, 4)
        s.eighths = max(1, int(exact + 0.5))
