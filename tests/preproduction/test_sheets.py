"""Breakdown sheets render (HTML and PDF, one sheet per scene) and the export round-trips."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pymupdf
import pytest

from studio_kit.preproduction.breakdown import BreakdownError, tag_script
from studio_kit.preproduction.categories import CategoryColours
from studio_kit.preproduction.sheets import EXPORT_COLUMNS, export, sheets_html, write_sheets
from studio_kit.screenplay.analysis import analyze, load_script

SAMPLE = Path(__file__).resolve().parents[2] / "data/sample/night_train.fountain"


@pytest.fixture(scope="module")
def bd():
    return tag_script(analyze(load_script(SAMPLE)))


def test_html_has_one_sheet_per_scene_with_coloured_boxes(bd):
    doc = sheets_html(bd, CategoryColours({104: "#00ff00"}))
    assert doc.count("<section class='sheet'") == 48
    assert "EXT. KESSEL BRIDGE - DAWN" in doc and "page-break-after:always" in doc
    sheet20 = doc.split("id='scene-20'")[1].split("</section>")[0]
    assert "REVOLVER" in sheet20 and "LOADING BAY" in sheet20 and "6/8" in sheet20
    assert "border-color:#00ff00' data-category='104'" in sheet20
    assert "border-color:#e53935' data-category='100'" in sheet20  # cast red by default
    assert "PASSENGERS (20)" in doc


def test_pdf_one_letter_page_per_scene(bd, tmp_path):
    p = write_sheets(bd, tmp_path / "sheets.pdf")
    with pymupdf.open(p) as doc:
        assert doc.page_count == 48
        assert round(doc[0].rect.width) == 612 and round(doc[0].rect.height) == 792
        first = doc[0].get_text()
        assert "EXT. KESSEL BRIDGE - DAWN" in first and "VIKTOR" in first and "Cast Members" in first
        p20 = doc[20].get_text()
        assert "scene 20" in p20 and "REVOLVER" in p20
    assert not list(tmp_path.glob(".sheets.pdf.*"))  # no temp file left behind


def test_html_file_and_bad_suffix(bd, tmp_path):
    p = write_sheets(bd, tmp_path / "sheets.html")
    assert p.read_text().startswith("<!DOCTYPE html>")
    with pytest.raises(BreakdownError, match=r"\.html or \.pdf"):
        write_sheets(bd, tmp_path / "sheets.docx")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_round_trips_through_polars(bd, tmp_path, suffix):
    p = export(bd, tmp_path / f"breakdown{suffix}")
    df = pl.read_csv(p, schema_overrides={"scene_number": pl.Utf8, "scene_uid": pl.Utf8}) if suffix == ".csv" \
        else pl.read_parquet(p)
    assert df.columns == EXPORT_COLUMNS
    assert df.height == len(bd.tags)
    row = df.filter((pl.col("scene_number") == "6") & (pl.col("name") == "CONTROLLERS")).row(0, named=True)
    assert row["count"] == 12 and row["category"] == "Background Actors" and row["quote"] == "CONTROLLERS"
    assert row["source"] == "crowd" and 0 < row["confidence"] <= 1
    expected = bd.to_frame().select(EXPORT_COLUMNS)
    assert df.select("scene_number", "category_id", "name").rows() == expected.select(
        "scene_number", "category_id", "name").rows()


def test_export_bad_suffix(bd, tmp_path):
    with pytest.raises(BreakdownError, match=r"\.csv or \.parquet"):
        export(bd, tmp_path / "breakdown.xlsx")
