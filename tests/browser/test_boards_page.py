"""The Boards page of the producer dashboard in a real browser: the shot lists, the storyboard frames
with their dialogue and consistency scores, and the animatic, compared with what the store holds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dashboards.pages.boards import board_scene_label
from studio_kit.settings import Settings
from studio_kit.studio import Studio

from .conftest import MAIN_PROJECT, TENANT, BrowserPage, DashboardServer, DashboardStore
from .test_producer_dashboard import _assert_not_blank, _cells, _open, _open_tab, _shot


@dataclass(frozen=True)
class SceneBoard:
    number: str
    heading: str
    #: (shot, {character_id: score}) per stored frame, in board order.
    frames: tuple[tuple[str, dict[str, float]], ...]
    #: the shot list the board was drawn from: (shot, size, kind, description) per shot.
    shots: tuple[tuple[str, str, str, str], ...]


@dataclass(frozen=True)
class BoardFacts:
    shots: int
    frames: int
    scenes: dict[str, SceneBoard]
    animatic_path: Path
    animatic_seconds: float
    #: (shot, start) per cut of the latest animatic.
    cuts: tuple[tuple[str, float], ...]


def _board_facts(path: Path) -> BoardFacts:
    with Studio.open(Settings(), store_path=path, project=MAIN_PROJECT, tenant=TENANT, read_only=True) as studio:
        sid = studio.scripts()["script_id"][-1]
        stored = studio.stored_script(sid)
        lists = studio.shot_lists(sid)
        frames = studio.board_frames(script_id=sid)
        scenes = {}
        for sc, uid in zip(stored.analysis.scenes, stored.scene_uids, strict=True):
            mine = frames.filter(pl.col("scene_uid") == uid).sort("ordinal")
            if mine.is_empty():
                continue
            sl = studio.shot_list(sc.number, version=int(mine["shot_list_version"][0]), script_id=sid)
            scenes[sc.number] = SceneBoard(
                sc.number, sc.heading, tuple((r["shot"], json.loads(r["scores"])) for r in mine.iter_rows(named=True)),
                tuple((s.number, s.size, s.kind, s.description) for s in sl.shots))
        animatic = studio.animatics(sid).row(-1, named=True)
    latest = lists.sort("version").group_by("scene_uid").last()
    return BoardFacts(int(latest["shots"].sum()), frames.height, scenes, Path(animatic["path"]),
                      float(animatic["seconds"]),
                      tuple((c["shot"], float(c["start"])) for c in json.loads(animatic["cuts"])))


#: The visible text nodes under an element, in document order, through Panel's shadow roots.
_DEEP_TEXT = """el => {
    const out = [];
    const walk = n => {
        if (n.shadowRoot) walk(n.shadowRoot);
        for (const c of n.childNodes) {
            if (c.nodeType === Node.TEXT_NODE) { const t = c.textContent.trim(); if (t) out.push(t); }
            else if (c.nodeType === Node.ELEMENT_NODE && !['STYLE', 'SCRIPT', 'LINK'].includes(c.tagName)) walk(c);
        }
    };
    walk(el);
    return out;
}"""


def _kpis(page: BrowserPage) -> dict[str, str]:
    """The KPI row as label -> value (each indicator shows its label above its value)."""
    row = page.page.locator(".boards-kpis")
    row.get_by_text("Lowest consistency", exact=True).first.wait_for(state="visible")
    lines = row.first.evaluate(_DEEP_TEXT)
    return dict(zip(lines[::2], lines[1::2], strict=True))


def _shown_board(page: BrowserPage, number: str) -> list[tuple[str, dict[str, str]]]:
    """(shot, {character_id: score text}) per panel of the board on show, once it is scene ``number``'s."""
    page.page.locator(f".board-frames .board[data-scene='{number}'] .board-panel").first.wait_for(state="visible")
    panels = page.page.locator(".board-frames .board-panel")
    return [(p.get_attribute("data-shot") or "",
             {s.get_attribute("data-character") or "": s.locator(".score").inner_text().strip()
              for s in p.locator(".frame-score").all()})
            for p in panels.all()]


def test_boards_page_shows_shot_lists_frames_and_the_animatic(page: BrowserPage, dashboard_server: DashboardServer,
                                                               dashboard_store: DashboardStore,
                                                               tmp_path: Path) -> None:
    facts = _board_facts(dashboard_store.path)
    assert list(facts.scenes) == ["1", "2", "3"]  # the demo boards the first three scenes
    assert facts.frames == sum(len(b.frames) for b in facts.scenes.values())
    main = dashboard_store.projects[MAIN_PROJECT]
    _open(page, dashboard_server, main.title, len(main.headings))
    _open_tab(page, "Boards")

    kpis = _kpis(page)
    assert kpis["Shots"] == str(facts.shots) and kpis["Frames"] == str(facts.frames)
    assert kpis["Boarded scenes"] == "3" and kpis["Scenes with shot lists"] == str(len(main.headings))

    # The first boarded scene is shown first: one panel per stored frame, each image loaded, each score stored.
    first = facts.scenes["1"]
    shown = _shown_board(page, "1")
    assert shown == [(shot, {c: f"{v:.3f}" for c, v in scores.items()}) for shot, scores in first.frames]
    assert any(scores for _, scores in first.frames)  # some frame has a character to score
    images = page.page.locator(".board-frames .board-panel img")
    assert images.count() == len(first.frames)
    assert all(i.evaluate("i => i.complete && i.naturalWidth > 0") for i in images.all())
    # The shot table is the shot list the board was drawn from.
    assert _cells(page, ".shot-table", "shot") == [s[0] for s in first.shots]
    assert _cells(page, ".shot-table", "size") == [s[1] for s in first.shots]
    assert _cells(page, ".shot-table", "kind") == [s[2] for s in first.shots]

    # Picking scene 2 shows its board and its shot list.
    second = facts.scenes["2"]
    page.page.locator(".board-picker select").select_option(
        label=board_scene_label("2", second.heading, len(second.frames)))
    shown = _shown_board(page, "2")
    assert shown == [(shot, {c: f"{v:.3f}" for c, v in scores.items()}) for shot, scores in second.frames]
    page.page.locator('.shot-table .tabulator-cell[tabulator-field="shot"]').get_by_text(
        second.shots[0][0], exact=True).first.wait_for(state="visible")
    assert _cells(page, ".shot-table", "shot") == [s[0] for s in second.shots]
    assert all(i.evaluate("i => i.complete && i.naturalWidth > 0")
               for i in page.page.locator(".board-frames .board-panel img").all())

    # The animatic: the video's metadata loads and its length is the stored one; the cut list is complete.
    video = page.page.locator(".animatic-video video")
    video.wait_for(state="attached")
    duration = video.evaluate(
        """v => new Promise((resolve, reject) => {
               if (v.readyState >= 1) { resolve(v.duration); return; }
               v.addEventListener('loadedmetadata', () => resolve(v.duration), {once: true});
               v.addEventListener('error', () => reject(new Error('video error ' + (v.error && v.error.code))),
                                  {once: true});
           })""")
    assert abs(duration - facts.animatic_seconds) < 0.5, (duration, facts.animatic_seconds)
    size = video.evaluate("v => fetch(v.currentSrc || v.src).then(r => r.arrayBuffer()).then(b => b.byteLength)")
    assert size == facts.animatic_path.stat().st_size
    assert _cells(page, ".cut-table", "shot") == [c[0] for c in facts.cuts]
    assert [float(c) for c in _cells(page, ".cut-table", "start")] == [c[1] for c in facts.cuts]

    shot = _shot(tmp_path, "producer_boards.png")
    page.page.screenshot(path=str(shot), full_page=True)
    _assert_not_blank(shot)
    assert page.outside == [], f"the dashboard tried to reach beyond 127.0.0.1: {page.outside}"
