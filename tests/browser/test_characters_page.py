"""The Characters and Jobs pages of the producer dashboard in a real browser: the sheets gallery with
versions, lock state and consistency per image, and the generation jobs, compared with the store."""

from __future__ import annotations

from pathlib import Path

from studio_kit.settings import Settings
from studio_kit.studio import Studio

from .conftest import MAIN_PROJECT, SECOND_PROJECT, TENANT, BrowserPage, DashboardServer, DashboardStore
from .test_producer_dashboard import _assert_not_blank, _cells, _open, _open_tab, _shot


def _store_facts(path: Path):
    with Studio.open(Settings(), store_path=path, project=MAIN_PROJECT, tenant=TENANT, read_only=True) as studio:
        return studio.characters(), studio.character_images(), studio.jobs()


def test_characters_page_shows_sheets_locks_and_scores(page: BrowserPage, dashboard_server: DashboardServer,
                                                       dashboard_store: DashboardStore, tmp_path: Path) -> None:
    chars, images, _ = _store_facts(dashboard_store.path)
    assert chars.height >= 10 and chars["locked_version"].is_not_null().all()  # the demo locked the cast
    main = dashboard_store.projects[MAIN_PROJECT]
    _open(page, dashboard_server, main.title, len(main.headings))
    _open_tab(page, "Characters")

    kpis = page.page.locator(".character-kpis")
    kpis.get_by_text("Images scored", exact=True).first.wait_for(state="visible")
    kpis.get_by_text(str(images.height), exact=True).first.wait_for(state="visible")
    card = page.page.locator(".character-sheet .character-card[data-character='mara']")
    card.wait_for(state="visible")
    assert "locked v1" in card.inner_text()
    # The lead's sheet: ten tiles (turnaround + expressions), each image loaded, each with its stored score.
    tiles = card.locator("img")
    assert tiles.count() == 10
    assert all(t.evaluate("i => i.complete && i.naturalWidth > 0") for t in tiles.all())
    sheet = images.filter((images["character_id"] == "mara") & (images["kind"] == "sheet"))
    shown = sorted(s.strip() for s in card.locator(".score").all_inner_texts())
    assert shown == sorted(f"{v:.3f}" for v in sheet["score"])
    chart = page.page.locator(".consistency-chart canvas").first
    chart.wait_for(state="visible")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200
    assert set(_cells(page, ".consistency-table", "character_id")) <= set(chars["character_id"])

    # Picking another character shows its card and only its images.
    second = chars.row(1, named=True)
    picker = page.page.locator(".character-picker select")
    picker.select_option(label=f"#{second['cast_id']} {second['name']}")
    page.page.locator(f".character-sheet .character-card[data-character='{second['character_id']}']").wait_for(
        state="visible")
    page.page.wait_for_function(
        "id => [...document.querySelectorAll('.consistency-table .tabulator-cell[tabulator-field=\"character_id\"]')]"
        ".every(c => c.innerText.trim() === id)", arg=second["character_id"])
    assert set(_cells(page, ".consistency-table", "character_id")) == {second["character_id"]}
    # The gallery has every character.
    assert page.page.locator(".character-gallery .character-card").count() == chars.height
    shot = _shot(tmp_path, "producer_characters.png")
    page.page.screenshot(path=str(shot), full_page=True)
    _assert_not_blank(shot)

    # A project without characters says how to make them.
    project = page.page.locator("select", has=page.page.locator("option", has_text=SECOND_PROJECT))
    project.select_option(SECOND_PROJECT)
    page.page.get_by_text("No characters yet").first.wait_for(state="visible")
    assert page.outside == [], f"the dashboard tried to reach beyond 127.0.0.1: {page.outside}"


def test_jobs_page_shows_the_generation_jobs(page: BrowserPage, dashboard_server: DashboardServer,
                                             dashboard_store: DashboardStore, tmp_path: Path) -> None:
    _, _, jobs = _store_facts(dashboard_store.path)
    done = int((jobs["status"] == "done").sum())
    assert done == jobs.height > 0
    main = dashboard_store.projects[MAIN_PROJECT]
    _open(page, dashboard_server, main.title, len(main.headings))
    _open_tab(page, "Jobs")
    page.page.get_by_text(f"Generation jobs · {jobs.height} in this project").first.wait_for(state="visible")
    kpis = page.page.locator(".jobs-kpis")
    kpis.get_by_text(str(done), exact=True).first.wait_for(state="visible")
    chart = page.page.locator(".jobs-chart canvas").first
    chart.wait_for(state="visible")
    statuses = _cells(page, ".jobs-table", "status")
    assert statuses and set(statuses) == {"done"}
    page.page.screenshot(path=str(_shot(tmp_path, "producer_jobs.png")), full_page=True)
