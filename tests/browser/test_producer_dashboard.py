"""The producer dashboard in a real browser (Debian's Chromium via Playwright), plus its pure helpers.

The browser tests compare what the page shows with what the store holds, read separately by the
fixtures: the scene headings, the scene count, the script title.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from datetime import date
from pathlib import Path

import panel as pn
import polars as pl
import pytest
from PIL import Image

from dashboards.pages import callsheet
from dashboards.pages.budget import DAY_COST_KINDS, cost_by_shoot_day, money
from dashboards.pages.callsheet import day_label, records_for
from dashboards.pages.dood import DOOD_COLOURS
from dashboards.pages.script import change_summary, pages_label, scenes_per_character
from dashboards.pages.stripboard import (
    calendar_html,
    day_break_label,
    day_totals,
    strip_colour,
    stripboard_html,
)
from studio_kit.settings import Settings
from studio_kit.store import StoreError
from studio_kit.studio import Studio

from .conftest import (
    APP,
    MAIN_PROJECT,
    SCHEDULE_START,
    SECOND_PROJECT,
    TENANT,
    BrowserPage,
    DashboardServer,
    DashboardStore,
)

#: Where the screenshots go when STUDIO_SHOTS names a folder (to look at them); tmp_path otherwise.
SHOTS = os.environ.get("STUDIO_SHOTS")

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


def _shot(tmp_path: Path, name: str) -> Path:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def _open_tab(page: BrowserPage, name: str) -> None:
    page.page.locator(".bk-tab", has_text=name).first.click()


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_stripboard_page_shows_the_stored_board(page: BrowserPage, dashboard_server: DashboardServer,
                                                dashboard_store: DashboardStore, tmp_path: Path) -> None:
    main, board = dashboard_store.projects[MAIN_PROJECT], dashboard_store.schedule
    _open(page, dashboard_server, main.title, len(main.headings))
    _open_tab(page, "Stripboard")

    strips = page.page.locator(".stripboard-board tr.strip")
    strips.first.wait_for(state="visible")
    assert [c.strip() for c in page.page.locator(".stripboard-board td.sb-scene").all_inner_texts()] == \
        list(board.numbers)
    bars = [t.strip() for t in page.page.locator(".stripboard-board tr.day-break").all_inner_texts()]
    assert bars == [day_break_label(d, w, e) for d, w, e in board.days]
    assert bars[0].startswith("End of Day 1 — Mon Mar 1, 2027 — ")  # the fixture's start date
    # The calendar marks exactly the board's shoot dates, each with its day number.
    cal = page.page.locator(".shoot-calendar td.shoot")
    cal.first.wait_for(state="visible")
    dates = cal.evaluate_all("cells => cells.map(c => c.dataset.date)")
    assert dates == [w.isoformat() for _, w, _ in board.days]
    assert "Day 1" in cal.first.inner_text()
    # Every strip wears its INT/EXT and D/N colour, whichever kinds the board holds.
    backgrounds = strips.evaluate_all("rows => rows.map(r => getComputedStyle(r).backgroundColor)")
    assert backgrounds == [_rgb(strip_colour(ie, dn)[0]) for ie, dn in board.kinds]
    assert len(set(backgrounds)) >= 3

    kpis = page.page.locator(".schedule-kpis")
    for label in ("Shoot days", "Total cost", "Lower bound", "Gap", "Optimal", "Company moves", "D/N switches"):
        kpis.get_by_text(label, exact=True).first.wait_for(state="visible")
    assert kpis.get_by_text(str(len(board.days)), exact=True).count() >= 1
    canvas = page.page.locator(".stripboard-chart canvas").first
    canvas.wait_for(state="visible")
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 150, box

    shot = _shot(tmp_path, "producer_stripboard.png")
    page.page.screenshot(path=str(shot), full_page=True)
    _assert_not_blank(shot)

    # The version picker shows the latest first; an earlier version brings its own board.
    older = [v for v in board.boards if v != board.version]
    assert older, "the fixture stores two schedule versions (the demo's and its own)"
    versions = page.page.locator(".schedule-picker select")
    versions.select_option(label=versions.locator("option").nth(0).inner_text())
    page.page.locator(f".stripboard-v{older[0]} tr.strip").first.wait_for(state="visible")
    scenes = [c.strip() for c in page.page.locator(".stripboard-board td.sb-scene").all_inner_texts()]
    assert scenes == list(board.boards[older[0]])

    picker = page.page.locator("select", has=page.page.locator("option", has_text=SECOND_PROJECT))
    picker.select_option(SECOND_PROJECT)
    message = page.page.locator(".no-schedule").filter(has_text=f"studio schedule -p {SECOND_PROJECT}")
    message.first.wait_for(state="visible")
    assert page.page.locator(".stripboard-board tr.strip").count() == 0
    page.page.screenshot(path=str(_shot(tmp_path, "producer_stripboard_none.png")), full_page=True)
    assert page.outside == [], f"the dashboard tried to reach beyond 127.0.0.1: {page.outside}"


def test_dood_page_shows_the_stored_day_out_of_days(page: BrowserPage, dashboard_server: DashboardServer,
                                                   dashboard_store: DashboardStore, tmp_path: Path) -> None:
    main, dood = dashboard_store.projects[MAIN_PROJECT], dashboard_store.schedule.dood
    assert any("SW" in codes.values() for codes in dood.values())
    assert any("WF" in codes.values() for codes in dood.values())
    _open(page, dashboard_server, main.title, len(main.headings))
    _open_tab(page, "DOOD")

    rows = page.page.locator(".dood-grid tr.dood-row")
    rows.first.wait_for(state="visible")
    names = [n.strip() for n in page.page.locator(".dood-grid td.dood-name").all_inner_texts()]
    assert [n.split(" (")[0] for n in names] == list(dood)
    shown = rows.evaluate_all("""rows => rows.map(r => Object.fromEntries([...r.querySelectorAll('td[data-date]')]
        .filter(td => td.textContent.trim()).map(td => [td.dataset.date, td.textContent.trim()])))""")
    assert shown == list(dood.values())
    sw = page.page.locator(".dood-grid td.dood-code", has_text="SW").first
    assert sw.evaluate("td => getComputedStyle(td).backgroundColor") == _rgb(DOOD_COLOURS["SW"])

    shot = _shot(tmp_path, "producer_dood.png")
    page.page.screenshot(path=str(shot), full_page=True)
    _assert_not_blank(shot)
    assert page.outside == [], f"the dashboard tried to reach beyond 127.0.0.1: {page.outside}"


def _cells(page: BrowserPage, table: str, field: str) -> list[str]:
    cells = page.page.locator(f'{table} .tabulator-cell[tabulator-field="{field}"]')
    cells.first.wait_for(state="visible")
    return [c.strip() for c in cells.all_inner_texts()]


def test_budget_page_shows_the_top_sheet_its_detail_and_charts(page: BrowserPage, dashboard_server: DashboardServer,
                                                               dashboard_store: DashboardStore,
                                                               tmp_path: Path) -> None:
    main, budget = dashboard_store.projects[MAIN_PROJECT], dashboard_store.budget
    _open(page, dashboard_server, main.title, len(main.headings))
    _open_tab(page, "Budget")

    kpis = page.page.locator(".budget-kpis")
    kpis.get_by_text("Grand total", exact=True).first.wait_for(state="visible")
    assert money(budget.grand_total).startswith("$")
    kpis.get_by_text(money(budget.grand_total), exact=True).first.wait_for(state="visible")
    assert _cells(page, ".budget-top-sheet", "Acct") == list(budget.accounts)
    for chart in (".budget-account-chart", ".budget-day-chart"):
        canvas = page.page.locator(f"{chart} canvas").first
        canvas.wait_for(state="visible")
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 200, (chart, box)

    # The picker opens on the first account; picking the cast account shows its DOOD-linked lines.
    first = budget.accounts[0]
    assert _cells(page, f".budget-detail-{first}", "Description") == list(budget.detail[first])
    picker = page.page.locator(".budget-account-picker select")
    picker.select_option(value=None, label=picker.locator("option", has_text="1400 ").first.inner_text())
    assert _cells(page, ".budget-detail-1400", "Description") == list(budget.detail["1400"])
    assert len(budget.detail["1400"]) >= 5  # the sample's cast, one line each
    # Selecting a row of the top sheet shows that account's lines too.
    row = page.page.locator(".budget-top-sheet .tabulator-row", has=page.page.locator(
        '.tabulator-cell[tabulator-field="Acct"]', has_text="2000"))
    row.first.click()
    assert _cells(page, ".budget-detail-2000", "Description") == list(budget.detail["2000"])

    shot = _shot(tmp_path, "producer_budget.png")
    page.page.screenshot(path=str(shot), full_page=True)
    _assert_not_blank(shot)
    assert page.outside == [], f"the dashboard tried to reach beyond 127.0.0.1: {page.outside}"


def test_call_sheet_page_follows_the_day_picker(page: BrowserPage, dashboard_server: DashboardServer,
                                               dashboard_store: DashboardStore, tmp_path: Path) -> None:
    main, sheets = dashboard_store.projects[MAIN_PROJECT], dashboard_store.budget.call_sheets
    assert len(sheets) >= 2 and sheets[0][3] != sheets[1][3]
    _open(page, dashboard_server, main.title, len(main.headings))
    _open_tab(page, "Call sheet")

    sheet = page.page.locator(".callsheet")
    picker = page.page.locator(".callsheet-picker select")
    for day, when, total, first_scene in sheets[:2]:
        picker.select_option(label=day_label(day, when))
        sheet.get_by_text(f"Day {day} of {total}", exact=True).first.wait_for(state="visible")
        scenes = sheet.locator("h2", has_text="Scenes").locator("xpath=following-sibling::table[1]")
        assert scenes.locator("tr").nth(1).locator("td").first.inner_text().strip() == first_scene
    # The first sheet is the board's first day that shoots: the fixture's start date or, when the
    # board keeps that day empty, a later one.
    assert picker.locator("option").all_inner_texts()[0] == day_label(1, sheets[0][1])
    assert sheets[0][1] >= SCHEDULE_START
    shot = _shot(tmp_path, "producer_callsheet.png")
    page.page.screenshot(path=str(shot), full_page=True)
    _assert_not_blank(shot)

    # A project without a schedule says so on both pages.
    project = page.page.locator("select", has=page.page.locator("option", has_text=SECOND_PROJECT))
    project.select_option(SECOND_PROJECT)
    message = page.page.locator(".no-schedule").filter(has_text=f"studio schedule -p {SECOND_PROJECT}")
    message.first.wait_for(state="visible")
    assert page.page.locator(".callsheet").count() == 0
    _open_tab(page, "Budget")
    message.first.wait_for(state="visible")
    assert page.page.locator(".budget-kpis").count() == 0
    page.page.screenshot(path=str(_shot(tmp_path, "producer_budget_none.png")), full_page=True)
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

    pages = {"Script": producer.PAGES["Script"], "Shoot days": shoot_days}
    app = producer.build_app(dashboard_store.path, tenant=TENANT, project=SECOND_PROJECT, pages=pages,
                             settings=Settings())
    tabs = app.select(pn.Tabs)[0]
    assert list(tabs._names) == ["Script", "Shoot days"]
    assert seen == [] and not app.select(pn.widgets.Tabulator)  # pages are built when shown, not before
    tabs[0].get_root()
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
    assert pages_label(eighths) == label


def test_pages_label_refuses_negative_lengths() -> None:
    with pytest.raises(ValueError, match="negative"):
        pages_label(-1)


def test_scenes_per_character_counts_every_appearance() -> None:
    scenes = pl.DataFrame({"characters": [["MARA", "JONAS"], None, ["MARA"], ["ILSE", "MARA"]]})
    counts = scenes_per_character(scenes)
    assert counts.rows() == [("MARA", 3), ("ILSE", 1), ("JONAS", 1)]


def test_change_summary_drops_zero_counts_and_refuses_non_objects() -> None:
    assert change_summary('{"unchanged": 39, "changed": 5, "added": 0}') == "39 unchanged, 5 changed"
    with pytest.raises(ValueError, match="JSON object"):
        change_summary("[1, 2]")


@pytest.mark.parametrize(("int_ext", "day_night", "colour"), [
    ("INT", "D", "#ffffff"), ("EXT", "D", "#fff27a"), ("INT", "N", "#7fa7e0"), ("EXT", "N", "#8fd18b"),
    ("INT/EXT", "N", "#8fd18b"), ("INT", "", "#ffffff"),
])
def test_strip_colours_follow_the_paper_convention(int_ext: str, day_night: str, colour: str) -> None:
    assert strip_colour(int_ext, day_night)[0] == colour


def test_stripboard_html_ends_every_day_with_a_bar() -> None:
    strips = pl.DataFrame({
        "day": [1, 1, 2], "position": [1, 0, 0],
        "shoot_date": [date(2027, 3, 1), date(2027, 3, 1), date(2027, 3, 2)],
        "number": ["7", "3A", "12"], "int_ext": ["EXT", "INT", "INT"], "set_name": ["BRIDGE", "CAB", "CAB"],
        "location": ["BRIDGE", "TRAIN", "TRAIN"], "day_night": ["N", "D", "N"], "cast_ids": [[1, 2], [1], []],
        "eighths": [5, 6, 8], "hours": [1.0, 1.5, 2.0], "synopsis": ["Mara <runs>", "", ""],
        "scene_uid": ["a", "b", "c"],
    })
    out = stripboard_html(strips, {1: "MARA", 2: "JONAS"},
                          [date(2027, 3, 1), date(2027, 3, 2), date(2027, 3, 3)])
    assert out.index('data-scene="3A"') < out.index('data-scene="7"') < out.index('data-scene="12"')
    assert out.count('class="day-break"') == 3
    assert "End of Day 1 — Mon Mar 1, 2027 — 1 3/8 pages" in out
    assert "End of Day 2 — Tue Mar 2, 2027 — 1 pages" in out
    assert "End of Day 3 — Wed Mar 3, 2027 — no scenes" in out  # an empty shoot day keeps its bar
    assert "Mara &lt;runs&gt;" in out and 'title="MARA, JONAS"' in out
    totals = day_totals(strips)
    assert totals.select("day", "eighths", "scenes").rows() == [(1, 11, 2), (2, 8, 1)]
    padded = day_totals(strips, [date(2027, 3, 1), date(2027, 3, 2), date(2027, 3, 3)])
    assert padded.select("day", "eighths", "scenes").rows() == [(1, 11, 2), (2, 8, 1), (3, 0, 0)]


def _strip(uid: str, location: str, cast: tuple[int, ...]):
    from studio_kit.preproduction.schedule import Strip

    return Strip(uid, uid, f"{location} - SET", location=location, cast=cast, eighths=4)


def _detail(*lines: tuple[str, float, float]) -> pl.DataFrame:
    return pl.DataFrame([{"source": s, "amount": a, "total": t} for s, a, t in lines],
                        schema={"source": pl.Utf8, "amount": pl.Float64, "total": pl.Float64})


def test_cost_by_shoot_day_books_each_linked_line_on_its_days() -> None:
    days = [[_strip("1", "TRAIN", (1, 2)), _strip("2", "TRAIN", (1,))], [_strip("3", "BRIDGE", (2,))],
            [_strip("4", "TRAIN", ())]]
    detail = _detail(
        ("dood:1", 3, 9999.0),                    # the cast line itself: paid days, not per day
        ("background:Day 2", 1, 600.0),
        ("schedule:location:TRAIN", 2, 2000.0),   # two days at TRAIN
        ("schedule:location:BRIDGE", 1, 700.0),
        ("schedule:shoot_days", 3, 900.0),
        ("schedule:shoot_weeks", 2.0, 1200.0),    # half of its weeks fall in the shoot (shoot_weeks 1.0)
        ("schedule:prep+shoot+wrap", 7, 5000.0),  # belongs to no day
        ("", 1, 25000.0),
    )
    out = cost_by_shoot_day(days, {"1": 1000.0, "2": 400.0}, detail, shoot_weeks=1.0)
    got = {(d, k): a for d, k, a in out.iter_rows()}
    assert got[(1, "Cast")] == 1400.0 and got[(2, "Cast")] == 400.0 and got[(3, "Cast")] == 0.0
    assert [got[(d, "Background")] for d in (1, 2, 3)] == [0.0, 600.0, 0.0]
    assert [got[(d, "Locations")] for d in (1, 2, 3)] == [1000.0, 700.0, 1000.0]
    assert [got[(d, "Crew & equipment")] for d in (1, 2, 3)] == [500.0, 500.0, 500.0]
    assert out.height == 3 * len(DAY_COST_KINDS)


def test_cost_by_shoot_day_needs_a_day_rate_for_working_cast() -> None:
    with pytest.raises(ValueError, match="cast 7 works on shoot day 1"):
        cost_by_shoot_day([[_strip("1", "TRAIN", (7,))]], {}, _detail(), shoot_weeks=0.2)
    assert cost_by_shoot_day([], {}, _detail(), shoot_weeks=0.0).is_empty()


def test_records_day_labels_and_money() -> None:
    assert records_for("night-train") == Path(APP).parents[1] / "data/sample/night_train_production.toml"
    assert records_for("second-unit") is None
    assert day_label(1, date(2027, 3, 1)) == "Day 1 — Mon Mar 1"
    assert money(908711.36) == "$908,711"


def test_call_sheet_page_says_where_the_production_records_go(dashboard_store: DashboardStore, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    producer = _load_dashboard()
    names = list(producer.PAGES)
    assert names.index("Call sheet") == names.index("Budget") + 1
    monkeypatch.setattr(callsheet, "SAMPLE_DIR", tmp_path)  # a data folder without the sample's records
    reader = producer.StoreReader(dashboard_store.path, tenant=TENANT, settings=Settings())
    with reader.studio(MAIN_PROJECT) as studio:
        view = callsheet.callsheet_page(studio, dashboard_store.projects[MAIN_PROJECT].script_id)
    assert isinstance(view, pn.pane.Alert) and "no-records" in view.css_classes
    assert str(tmp_path / "night_train_production.toml") in view.object


def test_calendar_html_marks_shoot_dates_and_leaves_weekends_off() -> None:
    from studio_kit.preproduction.calendar import ShootCalendar
    from studio_kit.preproduction.schedule import Strip

    cal = ShootCalendar(date(2027, 3, 1), holidays={date(2027, 3, 3)})
    dates = cal.dates(3)  # Mon 1, Tue 2, Thu 4 (Wed 3 is a holiday)
    days = [[Strip("a", "1", "SET", eighths=8, day_night="D")], [Strip("b", "2", "SET", eighths=12, day_night="N")],
            [Strip("c", "3A", "SET", eighths=4)]]
    out = calendar_html(cal, days, dates)
    assert "March 2027" in out
    assert out.count("<td class='shoot") == 3 and "<td class='shoot night'" in out
    assert "data-date='2027-03-04'" in out and "3 holiday" in out
    assert "Day 3</span><br>4/8 pp<br><small>3A</small>" in out
