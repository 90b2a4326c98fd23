"""The PDF looks like a screenplay: page count, fonts, text, title page, page numbers."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from studio_kit.screenplay.fountain import read_fountain
from studio_kit.screenplay.pagination import A4, paginate
from studio_kit.screenplay.pdf import render_pdf

FIX = Path(__file__).parents[1] / "fixtures" / "fountain"


@pytest.fixture(scope="module")
def aw():
    return read_fountain(FIX / "afterwriting-test.fountain")


def test_pdf_pages_text_and_fonts(aw, tmp_path):
    pag = paginate(aw)
    out = render_pdf(aw, tmp_path / "aw.pdf", pagination=pag, scene_numbers=True)
    doc = pymupdf.open(out)
    assert doc.page_count == pag.page_count + 1  # title page
    assert "SCREENPLAY TITLE" in doc[0].get_text()
    p1 = doc[1].get_text()
    assert "INT. BASIC BLOCKS - DAY" in p1 and "HERO 1" in p1
    assert p1.count("1\n") >= 1  # scene numbers printed
    assert "2." in doc[2].get_text().splitlines()[0:3]  # page number top right from page 2
    fonts = {f[3] for f in doc[1].get_fonts()}
    assert any("Mono" in f or "Courier" in f for f in fonts)
    assert doc.metadata["title"].startswith("_Screenplay title_") or doc.metadata["title"]
    # (MORE)/(CONT'D) reach the page
    text = "".join(p.get_text() for p in doc)
    assert "(MORE)" in text and "HERO 1 (CONT'D)" in text
    # Courier 12 geometry: a heading starts 1.5 in from the left edge
    words = doc[1].get_text("words")
    heading = next(w for w in words if w[4] == "INT.")
    assert abs(heading[0] - 1.5 * 72) < 2


def test_base14_courier_for_latin_scripts(tmp_path):
    sp = read_fountain(FIX / "nyousefi-FountainTests" / "Simple.fountain")
    doc = pymupdf.open(render_pdf(sp, tmp_path / "s.pdf", layout=A4))
    assert {f[3] for f in doc[1].get_fonts()} <= {"Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique"}
    assert abs(doc[1].rect.width - 8.27 * 72) < 1


def test_failed_render_leaves_no_file(aw, tmp_path, monkeypatch):
    from studio_kit.screenplay import pdf

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pdf, "_draw_line", boom)
    with pytest.raises(RuntimeError):
        render_pdf(aw, tmp_path / "x.pdf")
    assert list(tmp_path.iterdir()) == []


def test_page_image_is_not_blank(aw, tmp_path):
    doc = pymupdf.open(render_pdf(aw, tmp_path / "aw.pdf"))
    pix = doc[1].get_pixmap(dpi=40, colorspace=pymupdf.csGRAY)
    dark = sum(1 for b in pix.samples if b < 128)
    assert dark > 500  # ink on the page
