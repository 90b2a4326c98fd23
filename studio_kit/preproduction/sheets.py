"""Breakdown sheets (one per scene, HTML or PDF) and the breakdown export (CSV or Parquet).

A sheet is what a first AD hands to department heads: the strip fields on top (scene, INT/EXT,
set, D/N, pages in eighths, synopsis) and one box per category in that category's colour,
listing its elements. Rendering is a pure function of the breakdown and the colour settings;
files are written atomically so a crash never leaves half a sheet.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

from ..common.files import atomic_write
from ..screenplay.model import format_eighths
from .breakdown import Breakdown, BreakdownError, SceneInfo, Tag
from .categories import CategoryColours, category_name

EXPORT_COLUMNS = ["scene_number", "scene_uid", "category_id", "category", "name", "count", "quote",
                  "confidence", "source"]


def _boxes(tags: list[Tag]) -> list[tuple[int, list[str]]]:
    """Categories present in a scene, each with its element lines ("PASSENGERS (20)")."""
    out: dict[int, list[str]] = {}
    for t in sorted(tags, key=lambda t: (t.category_id, t.name)):
        label = f"{t.name} ({t.count})" if t.count else t.name
        if label not in out.setdefault(t.category_id, []):
            out[t.category_id].append(label)
    return sorted(out.items())


def _cat(cid: int, colours: CategoryColours) -> str:
    return colours.custom.get(cid) or category_name(cid)


def _header_fields(s: SceneInfo) -> list[tuple[str, str]]:
    return [("Scene", s.number), ("INT/EXT", s.int_ext or "-"), ("Set", s.location or s.heading or "-"),
            ("D/N", s.day_night or s.time_of_day or "-"), ("Pages", format_eighths(s.eighths) if s.eighths else "-")]


def _text_colour(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return "#000000" if (0.299 * r + 0.587 * g + 0.114 * b) > 150 else "#ffffff"


def sheets_html(breakdown: Breakdown, colours: CategoryColours | None = None) -> str:
    """One self-contained HTML document: a sheet per scene, each starting on a new printed page."""
    colours = colours or CategoryColours()
    by_scene = breakdown.by_scene()
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Breakdown sheets - {e(breakdown.title or 'untitled')}</title><style>",
        "body{font-family:Helvetica,Arial,sans-serif;margin:0;padding:1em;color:#222}",
        ".sheet{page-break-after:always;break-after:page;max-width:8in;margin:0 auto 2em;border:1px solid #999;"
        "padding:.6em}",
        ".sheet:last-child{page-break-after:auto;break-after:auto}",
        "h1{font-size:1.1em;margin:.2em 0 .5em}table.head{border-collapse:collapse;width:100%;margin-bottom:.5em}",
        "table.head td{border:1px solid #999;padding:.2em .4em;font-size:.9em}",
        ".grid{display:grid;grid-template-columns:1fr 1fr;gap:.5em}",
        ".box{border:2px solid;border-radius:4px}.box h2{margin:0;padding:.15em .4em;font-size:.85em}",
        ".box ul{margin:.3em 0 .4em 1.2em;padding:0;font-size:.85em}.synopsis{font-style:italic;margin:.3em 0 .6em}",
        "@media print{body{padding:0}.sheet{border:none}}</style></head><body>",
    ]
    for s in breakdown.scenes:
        parts.append(f"<section class='sheet' id='scene-{e(s.number)}'>")
        parts.append(f"<h1>{e(breakdown.title or 'Breakdown')} - breakdown sheet - scene {e(s.number)}</h1>")
        parts.append(f"<div class='heading'><strong>{e(s.heading)}</strong></div><table class='head'><tr>")
        parts.extend(f"<td><b>{e(k)}</b> {e(v)}</td>" for k, v in _header_fields(s))
        parts.append("</tr></table>")
        if s.synopsis:
            parts.append(f"<p class='synopsis'>{e(s.synopsis)}</p>")
        parts.append("<div class='grid'>")
        for cid, names in _boxes(by_scene.get(s.uid, [])):
            c = colours.colour(cid)
            parts.append(f"<div class='box' style='border-color:{c}' data-category='{cid}'>"
                         f"<h2 style='background:{c};color:{_text_colour(c)}'>{e(_cat(cid, colours))}</h2><ul>")
            parts.extend(f"<li>{e(n)}</li>" for n in names)
            parts.append("</ul></div>")
        parts.append("</div></section>")
    parts.append("</body></html>")
    return "".join(parts)


def sheets_pdf(breakdown: Breakdown, colours: CategoryColours | None = None) -> bytes:
    """The same sheets as PDF, one Letter page per scene (long scenes continue on a second page)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas

    colours = colours or CategoryColours()
    by_scene = breakdown.by_scene()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=LETTER)
    c.setTitle(f"Breakdown sheets - {breakdown.title or 'untitled'}")
    width, height = LETTER
    margin = 0.6 * inch
    col_w = (width - 2 * margin - 0.2 * inch) / 2

    def header(s: SceneInfo) -> float:
        y = height - margin
        c.setFont("Helvetica-Bold", 13)
        c.drawString(margin, y, f"{breakdown.title or 'Breakdown'} - breakdown sheet - scene {s.number}")
        y -= 18
        c.setFont("Courier-Bold", 11)
        c.drawString(margin, y, s.heading[:90])
        y -= 16
        c.setFont("Helvetica", 10)
        x = margin
        for k, v in _header_fields(s):
            text = f"{k}: {v}"
            c.drawString(x, y, text[:60])
            x += max(c.stringWidth(text[:60], "Helvetica", 10) + 14, 0.9 * inch)
        y -= 14
        if s.synopsis:
            c.setFont("Helvetica-Oblique", 9)
            c.drawString(margin, y, s.synopsis[:120])
            y -= 12
        return y - 6

    for s in breakdown.scenes:
        y_top = header(s)
        ys = [y_top, y_top]
        for cid, names in _boxes(by_scene.get(s.uid, [])):
            col = 0 if ys[0] >= ys[1] else 1
            box_h = 16 + 11 * len(names) + 6
            if ys[col] - box_h < margin:
                c.showPage()
                y_top = header(s)
                ys = [y_top, y_top]
                col = 0
            x, y = margin + col * (col_w + 0.2 * inch), ys[col]
            fill = colors.HexColor(colours.colour(cid))
            c.setStrokeColor(fill)
            c.setLineWidth(1.5)
            c.rect(x, y - box_h, col_w, box_h, stroke=1, fill=0)
            c.setFillColor(fill)
            c.rect(x, y - 15, col_w, 15, stroke=0, fill=1)
            c.setFillColor(colors.HexColor(_text_colour(colours.colour(cid))))
            c.setFont("Helvetica-Bold", 9)
            c.drawString(x + 4, y - 11, _cat(cid, colours))
            c.setFillColor(colors.black)
            c.setFont("Helvetica", 9)
            for k, n in enumerate(names):
                c.drawString(x + 6, y - 27 - 11 * k, n[:55])
            ys[col] = y - box_h - 8
        c.showPage()
    c.save()
    return buf.getvalue()


def write_sheets(breakdown: Breakdown, path: str | Path, colours: CategoryColours | None = None) -> Path:
    """Write the sheets as ``.html`` or ``.pdf`` (by suffix), atomically."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".html", ".htm"):
        return atomic_write(p, sheets_html(breakdown, colours))
    if suffix == ".pdf":
        return atomic_write(p, sheets_pdf(breakdown, colours))
    raise BreakdownError(f"{p}: breakdown sheets are written as .html or .pdf, not {suffix or 'no suffix'!r}")


def export(breakdown: Breakdown, path: str | Path) -> Path:
    """Write the breakdown as ``.csv`` or ``.parquet`` (by suffix), one row per tag, atomically."""
    p = Path(path)
    suffix = p.suffix.lower()
    frame = breakdown.to_frame().select(EXPORT_COLUMNS)
    buf = io.BytesIO()
    if suffix == ".csv":
        frame.write_csv(buf)
    elif suffix == ".parquet":
        frame.write_parquet(buf)
    else:
        raise BreakdownError(f"{p}: a breakdown exports to .csv or .parquet, not {suffix or 'no suffix'!r}")
    return atomic_write(p, buf.getvalue())
