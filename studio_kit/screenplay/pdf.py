"""Screenplay PDF: Courier 12 on the paginator's grid, title page, dual dialogue, scene numbers.

The paginator decides every line's page, row and indent; this module only draws them, so the
PDF and the page/eighths figures can never disagree.
"""

from __future__ import annotations

import os
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from ..common.files import atomic_path
from .model import ElementType, Screenplay
from .pagination import LETTER, Layout, Line, Pagination, Run, paginate, parse_emphasis
from .scenes import extract_scenes

FONT_SIZE = 12
LEADING = 12  # 6 lines per inch
_COURIER = {"": "Courier", "b": "Courier-Bold", "i": "Courier-Oblique", "bi": "Courier-BoldOblique"}
#: Monospace TrueType fonts with Courier's advance width (0.6 em), used when a script has characters
#: the PDF base-14 Courier cannot show (Polish, Greek, Cyrillic ...).
_UNICODE_FONTS = [
    ("DejaVuSansMono", "/usr/share/fonts/truetype/dejavu/DejaVuSansMono{}.ttf",
     {"": "", "b": "-Bold", "i": "-Oblique", "bi": "-BoldOblique"}),
    ("LiberationMono", "/usr/share/fonts/truetype/liberation/LiberationMono-{}.ttf",
     {"": "Regular", "b": "Bold", "i": "Italic", "bi": "BoldItalic"}),
]


def _needs_unicode(screenplay: Screenplay) -> bool:
    texts = [e.text for e in screenplay.elements] + [v for _, v in screenplay.title_page.entries]
    try:
        "".join(texts).encode("cp1252")
        return False
    except UnicodeEncodeError:
        return True


def _fonts(screenplay: Screenplay) -> tuple[dict[str, str], bool]:
    """Font names per style, and whether text must be reduced to what Courier can show."""
    if not _needs_unicode(screenplay):
        return _COURIER, False
    for family, pattern, styles in _UNICODE_FONTS:
        paths = {k: pattern.format(v) for k, v in styles.items()}
        if all(os.path.exists(p) for p in paths.values()):
            names = {}
            for k, p in paths.items():
                name = f"{family}{styles[k] or '-Regular'}"
                if name not in pdfmetrics.getRegisteredFontNames():
                    pdfmetrics.registerFont(TTFont(name, p))
                names[k] = name
            return names, False
    return _COURIER, True


def _safe(text: str, reduce: bool) -> str:
    return text.encode("cp1252", "replace").decode("cp1252") if reduce else text


def _draw_runs(c: canvas.Canvas, runs: list[Run], x: float, y: float, fonts: dict[str, str], reduce: bool) -> None:
    for r in runs:
        if not r.text:
            continue
        style = ("b" if r.bold else "") + ("i" if r.italic else "")
        font = fonts[style]
        text = _safe(r.text, reduce)
        c.setFont(font, FONT_SIZE)
        c.drawString(x, y, text)
        w = pdfmetrics.stringWidth(text, font, FONT_SIZE)
        if r.underline:
            c.setLineWidth(0.6)
            c.line(x, y - 1.5, x + w, y - 1.5)
        x += w


def _title_page(c: canvas.Canvas, sp: Screenplay, L: Layout, fonts: dict[str, str], reduce: bool) -> None:
    W, H = L.page_width * 72, L.page_height * 72
    tp = sp.title_page

    def centered(lines: list[str], top_row: int) -> int:
        for k, text in enumerate(lines):
            runs = parse_emphasis(text)
            width = sum(len(r.text) for r in runs) * 7.2
            _draw_runs(c, runs, (W - width) / 2, H - 72 - (top_row + k) * LEADING, fonts, reduce)
        return top_row + len(lines)

    row = 20  # about a third of the way down
    title = (tp.get("title") or "").upper().splitlines()
    row = centered(title, row) + 2
    for key in ("credit", "author", "authors", "source"):
        value = tp.get(key)
        if value:
            row = centered(value.splitlines(), row) + 1
    left = [ln for key in ("contact", "copyright") for ln in (tp.get(key) or "").splitlines()]
    right = [ln for key in ("draft date", "date", "revision", "notes") for ln in (tp.get(key) or "").splitlines()]
    bottom = L.lines_per_page
    for k, text in enumerate(left):
        _draw_runs(c, parse_emphasis(text), L.action_x * 72, H - 72 - (bottom - len(left) + k) * LEADING, fonts, reduce)
    for k, text in enumerate(right):
        runs = parse_emphasis(text)
        width = sum(len(r.text) for r in runs) * 7.2
        _draw_runs(c, runs, L.right_edge * 72 - width, H - 72 - (bottom - len(right) + k) * LEADING, fonts, reduce)
    c.showPage()


def render_pdf(screenplay: Screenplay, path: str | Path, layout: Layout = LETTER, pagination: Pagination | None = None,
               scene_numbers: bool = False, title_page: bool = True) -> Path:
    """Write the screenplay as a PDF at ``path`` (atomically: no half-written file on error)."""
    L = layout
    pag = pagination if pagination is not None and pagination.layout == layout else paginate(screenplay, layout)
    fonts, reduce = _fonts(screenplay)
    numbers: dict[int, str] = {}
    if scene_numbers:
        numbers = {s.first: s.number for s in extract_scenes(screenplay) if s.heading}
    out = Path(path)
    with atomic_path(out, suffix=".pdf") as tmp:
        W, H = L.page_width * 72, L.page_height * 72
        c = canvas.Canvas(str(tmp), pagesize=(W, H), pageCompression=1, initialFontName=fonts[""],
                          initialFontSize=FONT_SIZE)
        c.setTitle(screenplay.title or out.stem)
        c.setAuthor((screenplay.title_page.get("author") or screenplay.title_page.get("authors") or "").replace("\n", ", "))
        c.setCreator("studio_kit")
        if title_page and screenplay.title_page:
            _title_page(c, screenplay, L, fonts, reduce)
        top = H - L.top_margin * 72 - 9.5  # baseline of the first row
        for page in pag.pages:
            if page.number > 1:
                label = f"{page.number}."
                c.setFont(fonts[""], FONT_SIZE)
                c.drawRightString(L.right_edge * 72, H - 0.5 * 72 - 9.5, label)
            for r, row in enumerate(page.rows):
                y = top - r * LEADING
                for line in row:
                    _draw_line(c, line, y, fonts, reduce)
                    if numbers and line.kind is ElementType.SCENE_HEADING and line.element in numbers:
                        num = numbers.pop(line.element)
                        c.setFont(fonts[""], FONT_SIZE)
                        c.drawRightString((L.action_x - 0.3) * 72, y, num)
                        c.drawString((L.right_edge + 0.2) * 72, y, num)
            c.showPage()
        c.save()
    return out


def _draw_line(c: canvas.Canvas, line: Line, y: float, fonts: dict[str, str], reduce: bool) -> None:
    _draw_runs(c, line.runs, line.x * 72, y, fonts, reduce)
