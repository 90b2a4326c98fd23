"""The producer dashboard in a real browser (Debian's Chromium via Playwright), plus its pure helpers.

The browser tests compare what the page shows with what the store holds, read separately by the
fixtures: the scene headings, the scene count, the script title.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import panel as pn
import polars as pl
import pytest
from PIL import Image

from studio_kit.settings import Settings
from studio_kit.store import StoreError
from studio_kit.studio import Studio

from .conftest import APP, MAIN_PROJECT, SECOND_PROJECT, TENANT, BrowserPage, DashboardServer, DashboardStore

KNOWN_HEADING = "EXT. KESSEL BRIDGE - DAWN"


def _load_dashboard():
    if "producer_dashboard" in sys.modules:
        return sys.modules["producer_dashboard"]
    spec = importlib.util.spec_from_file_location("producer_dashboard", APP)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["producer_dashboard"] = module
    spec.loader.exec_module(module)
    return module


# -- in the browser ---------------------------------------------------------------------------------


def _open(page: BrowserPage, server: DashboardServer, title: str, scenes: int) -> None:
    page.page.goto(server.url, wait_until="domcontentloaded")
    _wait_for_script(page, title, scenes)


def _wait_for_script(page: BrowserPage, title: str, scenes: int) -> None:
    """Panel renders over its websocket after load: wait for the script header to name this script."""
    header = page.page.locator(".script-header").filter(has_text=title).filter(has_text=f"· {scenes} scenes ·")
    header.first.wait_for(state="visible")


def _first_headings(page: BrowserPage) -> list[str]:
    cells = page.page.locator('.scene-table .tabulator-cell[tabulator-field="Heading"]')
    cells.first.wait_for(state="visible")
    return [c.inner_text().strip() for c in cells.all()]


def _assert_not_blank(path: Path) -> None:
    with Image.open(path) as img:
        rgb = img.convert("RGB")
        colours = rgb.getcolors(maxcolors=rgb.width * rgb.height)
    assert colours is not None
    most = max(n for n, _ in colours)
    assert len(colours) > 200, f"{path}: only {len(colours)} colours; the page looks blank"
    assert most < 0.9 * rgb.width * rgb.height, f"{path}: one colour covers over 90% of the page"


def test_script_page_shows_scenes_charts_and_versions(page: BrowserPage, dashboard_server: DashboardServer,
                                                      dashboard_store: DashboardStore,
                                                      tmp_path: Path) -> None:
    facts = dashboard_store.projects[MAIN_PROJECT]
    assert facts.headings[0] == KNOWN_HEADING  # the fixture really holds Night Train
    _open(page, dashboard_server, facts.title, len(facts.headings))

    shown = _first_headings(page)
    assert shown[0] == KNOWN_HEADING
    assert len(shown) >= 5 and shown == list(facts.headings[: len(shown)])

    for chart in (".eighths-chart", ".cast-chart"):
        canvas = page.page.locator(f"{chart} canvas").first
        canvas.wait_for(state="visible")
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 200, (chart, box)

    versions = page.page.locator('.version-table .tabulator-cell[tabulator-field="Changes"]')
    versions.first.wait_for(state="visible")
    assert "added" in " ".join(versions.all_inner_texts())

    shot = tmp_path / "producer_script.png"
    page.page.screenshot(path=str(shot), full_page=True)
    _assert_not_blank(shot)
    assert page.outside == [], f"the dashboard tried to reach beyond 127.0.0.1: {page.outside}"


def test_changing_the_project_changes_the_scene_table(page: BrowserPage, dashboard_server: DashboardServer,
                                                      dashboard_store: DashboardStore, tmp_path: Path) -> None:
    main = dashboard_store.projects[MAIN_PROJECT]
    second = dashboard_store.projects[SECOND_PROJECT]
    assert second.title != main.title and second.headings[0] != main.headings[0]
    _open(page, dashboard_server, main.title, len(main.headings))

    picker = page.page.locator("select", has=page.page.locator("option", has_text=SECOND_PROJECT))
    assert picker.count() == 1
    picker.select_option(SECOND_PROJECT)
    _wait_for_script(page, second.title, len(second.headings))

    shown = _first_headings(page)
    assert shown == list(second.headings[: len(shown)])
    assert shown[0] != KNOWN_HEADING
    shot = tmp_path / "producer_second_unit.png"
    page.page.screenshot(path=str(shot), full_page=True)
    _assert_not_blank(shot)

    picker.select_option(MAIN_PROJECT)
    _wait_for_script(page, main.title, len(main.headings))
    assert _first_headings(page)[0] == KNOWN_HEADING
    assert page.outside == [], f"the dashboard tried to reach beyond 127.0.0.1: {page.outside}"


def test_the_dashboard_never_keeps_the_writer_out(page: BrowserPage, dashboard_server: DashboardServer,
                                                  dashboard_store: DashboardStore) -> None:
    """Between reads the server holds no lock: a writer gets in, and a reload meanwhile says why it cannot read."""
    main = dashboard_store.projects[MAIN_PROJECT]
    _open(page, dashboard_server, main.title, len(main.headings))
    reload = page.page.get_by_role("button", name="Reload")
    with Studio.open(Settings(), store_path=dashboard_store.path, project=MAIN_PROJECT, tenant=TENANT) as writer:
        assert not writer.store.read_only
        reload.click()
        page.page.get_by_text("is open for writing by").first.wait_for(state="visible")
    reload.click()
    page.page.get_by_text("is open for writing by").first.wait_for(state="hidden")
    _wait_for_script(page, main.title, len(main.headings))
    assert _first_headings(page)[0] == KNOWN_HEADING


# -- in process: the app object and its pure helpers -------------------------------------------------


def test_build_app_reads_the_store_and_calls_extra_pages(dashboard_store: DashboardStore) -> None:
    producer = _load_dashboard()
    seen: list[tuple[str, str]] = []

    def shoot_days(studio: Studio, script_id: str) -> pn.viewable.Viewable:
        seen.append((studio.project, script_id))
        return pn.pane.Markdown(f"{studio.scenes(script_id).height} scenes to schedule")

    pages = {**producer.PAGES, "Stripboard": shoot_days}
    app = producer.build_app(dashboard_store.path, tenant=TENANT, project=SECOND_PROJECT, pages=pages,
                             settings=Settings())
    tabs = app.select(pn.Tabs)[0]
    assert list(tabs._names) == ["Script", "Stripboard"]
    tables = app.select(pn.widgets.Tabulator)
    second = dashboard_store.projects[SECOND_PROJECT]
    assert tables[0].value["Heading"].tolist() == list(second.headings)
    # The extra page renders on demand (dynamic tabs); rendering it hands it the chosen project's script.
    stripboard = tabs[1]
    stripboard.get_root()
    assert seen == [(SECOND_PROJECT, second.script_id)]


def test_build_app_reports_a_missing_store(tmp_path: Path) -> None:
    producer = _load_dashboard()
    app = producer.build_app(tmp_path / "none.duckdb", tenant=TENANT, settings=Settings())
    alerts = [str(a.object) for a in app.select(pn.pane.Alert) if a.visible]
    assert any("no store here yet" in text for text in alerts), alerts


def test_reader_never_opens_the_store_for_writing(dashboard_store: DashboardStore) -> None:
    producer = _load_dashboard()
    reader = producer.StoreReader(dashboard_store.path, tenant=TENANT, settings=Settings())
    assert reader.projects() == sorted([MAIN_PROJECT, SECOND_PROJECT])
    with reader.studio(MAIN_PROJECT) as studio:
        assert studio.store.read_only
        with pytest.raises(StoreError, match="read-only"):
            studio.ingest_script(Path(__file__).resolve().parents[2] / "data/sample/night_train.fountain")


@pytest.mark.parametrize(("eighths", "label"), [(0, "0"), (3, "3/8"), (8, "1"), (21, "2 5/8")])
def test_pages_label(eighths: int, label: str) -> None:
    assert _load_dashboard().pages_label(eighths) == label


def test_pages_label_refuses_negative_lengths() -> None:
    with pytest.raises(ValueError, match="negative"):
        _load_dashboard().pages_label(-1)


def test_scenes_per_character_counts_every_appearance() -> None:
    scenes = pl.DataFrame({"characters": [["MARA", "JONAS"], None, ["MARA"], ["ILSE", "MARA"]]})
    counts = _load_dashboard().scenes_per_character(scenes)
    assert counts.rows() == [("MARA", 3), ("ILSE", 1), ("JONAS", 1)]


def test_change_summary_drops_zero_counts_and_refuses_non_objects() -> None:
    producer = _load_dashboard()
    assert producer.change_summary('{"unchanged": 39, "changed": 5, "added": 0}') == "39 unchanged, 5 changed"
    with pytest.raises(ValueError, match="JSON object"):
        producer.change_summary("[1, 2]")
