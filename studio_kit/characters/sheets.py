"""Character sheets and consistency scores (pure: requests in, images and numbers out).

A sheet is the turnaround (front, three-quarter, side, back) on a plain ground and an expression
row in close-up: what a costume designer, a storyboard artist and a model all need to keep a
character the same. Consistency is the cosine between an image embedding of the character's
region of a frame and the locked reference embedding; below the lock's threshold the frame is
flagged as drift.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..common.files import atomic_write
from ..generation.base import EXPRESSIONS, VIEWS, Identity, ImageRequest

SHEET_TILE = (256, 384)  # width, height of a turnaround tile; expressions are square tiles


@dataclass(frozen=True)
class SheetShot:
    """One tile of a sheet: which row, which view or expression, and the request that makes it."""

    label: str  # "front", "three_quarter", ..., or "expr:happy"
    request: ImageRequest


def reference_requests(ident: Identity) -> list[SheetShot]:
    """The images a lock is made from, on a plain ground: the full figure front and three-quarter
    (``reference:FS:front`` ...) and the front at each closer framing (MS, MCU, CU), so every shot
    is later compared with the character framed the same way. They are not anchored: there is no
    reference yet, so they come from the bible's words alone (no IP-Adapter image prompt)."""
    shots = [SheetShot(f"reference:FS:{v}", ImageRequest(
        prompt=f"character reference, {ident.prompt or ident.name}, plain studio background", width=256, height=384,
        seed=ident.seed, characters=(ident,), shot_size="FS", view=v, caption=f"{ident.name} - reference {v}",
        anchored=False))
        for v in ("front", "three_quarter")]
    for size in ("MS", "MCU", "CU"):
        shots.append(SheetShot(f"reference:{size}:front", ImageRequest(
            prompt=f"character reference {size}, {ident.prompt or ident.name}, plain studio background", width=256,
            height=256, seed=ident.seed, characters=(ident,), shot_size=size, view="front",
            caption=f"{ident.name} - reference {size}", anchored=False)))
    return shots


def sheet_requests(ident: Identity, expressions: Sequence[str] = EXPRESSIONS) -> list[SheetShot]:
    """Turnaround then expression row, all with the character's seed (the identity is the same;
    only view and expression change)."""
    shots = [SheetShot(v, ImageRequest(
        prompt=f"character turnaround, {v.replace('_', ' ')} view, {ident.prompt or ident.name}, plain background",
        width=SHEET_TILE[0], height=SHEET_TILE[1], seed=ident.seed, characters=(ident,), shot_size="FS",
        view=v, caption=f"{ident.name} - {v.replace('_', ' ')}")) for v in VIEWS]
    for e in expressions:
        shots.append(SheetShot(f"expr:{e}", ImageRequest(
            prompt=f"character expression sheet, {e} face, close-up, {ident.prompt or ident.name}",
            width=192, height=192, seed=ident.seed, characters=(ident,), shot_size="CU", view="front",
            expression=e, caption=e)))
    return shots


def compose_sheet(title: str, subtitle: str, tiles: Sequence[tuple[str, Any]]) -> Any:
    """One PNG-ready sheet: title band, the turnaround row, the expression row, labels under each."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default()
    turn = [(lab, im) for lab, im in tiles if not lab.startswith("expr:")]
    expr = [(lab[5:], im) for lab, im in tiles if lab.startswith("expr:")]
    pad, band, label_h = 16, 56, 18
    row1_w = sum(im.width for _, im in turn) + pad * (len(turn) + 1)
    row2_w = sum(im.width for _, im in expr) + pad * (len(expr) + 1)
    width = max(row1_w, row2_w, 640)
    row1_h = max((im.height for _, im in turn), default=0)
    row2_h = max((im.height for _, im in expr), default=0)
    height = band + row1_h + label_h + pad * 2 + (row2_h + label_h + pad if expr else 0)
    sheet = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(sheet)
    d.rectangle([0, 0, width, band - 8], fill="#1b2631")
    d.text((pad, 10), title, fill="white", font=font)
    d.text((pad, 30), subtitle, fill="#d5dbdb", font=font)
    y = band
    for row, h in ((turn, row1_h), (expr, row2_h)):
        if not row:
            continue
        x = pad
        for lab, im in row:
            sheet.paste(im.convert("RGB"), (x, y))
            d.rectangle([x - 1, y - 1, x + im.width, y + im.height], outline="#7f8c8d")
            d.text((x + 4, y + h + 3), lab.replace("_", " "), fill="#1b2631", font=font)
            x += im.width + pad
        y += h + label_h + pad
    return sheet


def sheet_pdf(sheets: Sequence[tuple[str, Any]], dest: str | Path) -> Path:
    """All sheets in one PDF, a landscape page each (for the costume and art departments)."""
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    pdf = io.BytesIO()
    page_w, page_h = landscape(letter)
    c = canvas.Canvas(pdf, pagesize=(page_w, page_h))
    c.setTitle("Character sheets")
    for name, im in sheets:
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        buf.seek(0)
        scale = min((page_w - 48) / im.width, (page_h - 72) / im.height)
        w, h = im.width * scale, im.height * scale
        c.setFont("Helvetica-Bold", 12)
        c.drawString(24, page_h - 30, name)
        c.drawImage(ImageReader(buf), (page_w - w) / 2, (page_h - 44 - h), w, h)
        c.showPage()
    c.save()
    return atomic_write(dest, pdf.getvalue())


def crop(image: Any, box: Sequence[int] | None) -> Any:
    """The character's region of a frame (the whole frame when no layout is known, e.g. diffusers)."""
    if not box:
        return image
    x0, y0, x1, y1 = (int(v) for v in box)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return image
    return image.crop((x0, y0, x1, y1))


def cosine(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    va, vb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    na, nb = np.linalg.norm(va), np.linalg.norm(vb)
    if na == 0 or nb == 0:
        return 0.0
    return float(va @ vb / (na * nb))


def reference_embedding(vectors: np.ndarray) -> tuple[float, ...]:
    """The lock's target: the normalised mean of the reference images' embeddings."""
    m = np.asarray(vectors, dtype=np.float64).mean(axis=0)
    n = np.linalg.norm(m)
    return tuple(float(x) for x in (m / n if n else m))
