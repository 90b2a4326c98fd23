"""The Boards page: each scene's shot list and storyboard frames (with the consistency of every
character in frame), and the latest animatic with its cut list."""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd
import panel as pn
import param
import polars as pl

from studio_kit.studio import Studio

from .common import img_tag, kpi

#: Width of one board frame on the page, in pixels.
BOARD_FRAME_WIDTH = 300
SHOT_TABLE_COLUMNS = ("shot", "size", "angle", "movement", "kind", "subject", "characters", "seconds",
                      "description")
CUT_TABLE_COLUMNS = ("scene", "shot", "start", "end", "seconds")


def latest_shot_lists(lists: pl.DataFrame) -> pl.DataFrame:
    """One row per scene: its latest shot list version (``Studio.shot_lists`` has every version)."""
    if lists.is_empty():
        return lists
    return lists.sort(["scene_uid", "version"]).group_by("scene_uid", maintain_order=True).last()


def board_scene_label(number: str, heading: str, frames: int) -> str:
    """How the scene picker names a scene: number, heading and its board's frame count."""
    board = f"{frames} frame{'s' if frames != 1 else ''}" if frames else "no board"
    return f"Sc. {number} · {heading} · {board}"


def board_scene_options(stored, lists: pl.DataFrame, frames: pl.DataFrame) -> dict[str, str]:
    """Picker label -> scene uid: the scenes with a board first (script order), then the scenes that
    have a shot list but no board yet."""
    counts = dict(frames.group_by("scene_uid").len().iter_rows()) if not frames.is_empty() else {}
    listed = set(lists["scene_uid"].to_list()) if not lists.is_empty() else set()
    scenes = list(zip(stored.analysis.scenes, stored.scene_uids, strict=True))
    boarded = [(sc, uid) for sc, uid in scenes if counts.get(uid)]
    rest = [(sc, uid) for sc, uid in scenes if uid in listed and not counts.get(uid)]
    return {board_scene_label(sc.number, sc.heading, counts.get(uid, 0)): uid for sc, uid in boarded + rest}


def shot_rows(shot_list) -> pd.DataFrame:
    """A shot list (``writing.shots.ShotList``) as the Boards page's table."""
    return pd.DataFrame([{"shot": s.number, "size": s.size, "angle": s.angle, "movement": s.movement, "kind": s.kind,
                          "subject": s.subject, "characters": ", ".join(s.characters), "seconds": s.seconds,
                          "description": s.description} for s in shot_list.shots], columns=list(SHOT_TABLE_COLUMNS))


def shot_line(shot) -> str:
    """One line naming a shot's framing: size, angle, movement, kind and subject."""
    parts = [shot.size, f"{shot.angle} angle", shot.movement, shot.kind]
    if shot.subject:
        parts.append(shot.subject)
    return " · ".join(parts) + f" · {shot.seconds:.1f} s"


def dialogue_per_shot(cuts) -> dict[str, list[str]]:
    """Shot number -> the speeches the edit (``writing.shots.cut_scene``) plays on it, in order."""
    lines: dict[str, list[str]] = {}
    for c in cuts:
        for b in c.dialogue:
            lines.setdefault(c.shot, []).append(f"{b.character}: {b.text}")
    return lines


def frame_score_html(character_id: str, score: float, threshold: float | None, drift: bool) -> str:
    flag = " drift" if drift else ""
    limit = f" / {threshold:.2f}" if threshold is not None else ""
    return (f"<span class='frame-score{flag}' data-character='{html.escape(character_id)}' "
            f"style='color:{'#c0392b' if drift else '#1e8449'};margin-right:10px'>{html.escape(character_id)} "
            f"<b class='score'>{score:.3f}</b><small style='color:#888'>{limit}{flag}</small></span>")


def board_panel_html(frame: Mapping, shot, dialogue: Sequence[str], checks: Mapping[str, tuple[float | None, bool]],
                     base: Path | None = None) -> str:
    """One board frame: the image, the shot line, the dialogue played on it and the consistency score
    of every character in it (``checks``: character id -> (threshold, drift) from the scoring)."""
    scores: dict[str, float] = json.loads(frame["scores"]) if frame["scores"] else {}
    badges = "".join(frame_score_html(cid, float(v), *checks.get(cid, (None, bool(frame["drift"]))))
                     for cid, v in sorted(scores.items()))
    drift = any(checks.get(cid, (None, bool(frame["drift"])))[1] for cid in scores)
    head = (f"<div class='shot-line'><b class='shot-number'>{html.escape(frame['shot'])}</b> · "
            f"{html.escape(shot_line(shot)) if shot is not None else 'shot not in the list'}</div>")
    desc = f"<div class='shot-description'>{html.escape(shot.description)}</div>" if shot is not None else ""
    said = "".join(f"<div class='dialogue-line'>{html.escape(line)}</div>" for line in dialogue)
    border = "#c0392b" if drift else "#d0d4dc"
    return (f"<div class='board-panel{' drift' if drift else ''}' data-shot='{html.escape(frame['shot'])}' "
            f"style='display:inline-block;vertical-align:top;width:{BOARD_FRAME_WIDTH + 12}px;margin:6px;padding:6px;"
            f"border:2px solid {border};border-radius:4px;background:#fff'>"
            f"{img_tag(frame['path'], BOARD_FRAME_WIDTH, frame['shot'], base)}{head}{desc}"
            f"<div class='dialogue' style='font-style:italic;margin:4px 0'>{said}</div>"
            f"<div class='frame-scores'>{badges or '<i>no character in frame</i>'}</div></div>")


def cut_rows(cuts_json: str | None) -> pd.DataFrame:
    """An animatic's cut list (JSON [{scene, shot, start, end}]) as a table with each cut's length."""
    cuts = json.loads(cuts_json) if cuts_json else []
    return pd.DataFrame([{**{k: c.get(k) for k in ("scene", "shot", "start", "end")},
                          "seconds": round(float(c["end"]) - float(c["start"]), 3)} for c in cuts],
                        columns=list(CUT_TABLE_COLUMNS))


def _board_html(number: str, panels: list[tuple], base: Path | None) -> str:
    """One scene's board cards (frames inlined from the asset files: made when the scene is shown)."""
    board = "".join(board_panel_html(r, shot, said, checks, base) for r, shot, said, checks in panels) or (
        f"<i>No board for this scene yet: <code>studio boards --scene {html.escape(number)}</code></i>")
    return f"<div class='board' data-scene='{html.escape(number)}'>{board}</div>"


def _board_view(studio: Studio, stored, uid: str, frames: pl.DataFrame, checks: pl.DataFrame,
                base: Path | None) -> tuple[Callable[[], str], pd.DataFrame, str]:
    """The board (as a function making its HTML when shown, so only the scene on screen has its
    images inlined), the shot table and a caption for one scene; the store is read now, while open."""
    from studio_kit.writing.shots import cut_scene, scene_beats, scene_seconds

    sc = stored.analysis.scenes[stored.scene_uids.index(uid)]
    mine = frames.filter(pl.col("scene_uid") == uid).sort("ordinal")
    # the shot list the board was drawn from (a newer list has no frames until it is boarded)
    version = int(mine["shot_list_version"][0]) if mine.height else None
    shot_list = studio.shot_list(uid, version=version, script_id=stored.script_id)
    latest = int(studio.shot_lists(stored.script_id).filter(pl.col("scene_uid") == uid)["version"].max())
    cuts = cut_scene(shot_list, scene_beats(stored.analysis.screenplay, sc), scene_seconds(sc))
    said = dialogue_per_shot(cuts)
    by_shot = {s.number: s for s in shot_list.shots}
    check = {(r["job_id"], r["character_id"]): (r["threshold"], bool(r["drift"]))
             for r in checks.iter_rows(named=True)} if not checks.is_empty() else {}
    panels = []
    for r in mine.iter_rows(named=True):
        mine_checks = {cid: v for (job, cid), v in check.items() if job == r["job_id"]}
        panels.append((r, by_shot.get(r["shot"]), said.get(r["shot"], ()), mine_checks))
    caption = (f"### Scene {sc.number} · {sc.heading}\nShot list v{version or latest} ({shot_list.source}, "
               f"{len(shot_list.shots)} shots, {shot_list.seconds:.1f} s)"
               + (f" · a newer shot list v{latest} is not boarded yet" if version and latest > version else ""))
    return functools.partial(_board_html, sc.number, panels, base), shot_rows(shot_list), caption


def boards_page(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """Shot lists, storyboard frames with consistency per character, and the animatic."""
    lists = studio.shot_lists(script_id)
    if lists.is_empty():
        return pn.pane.Alert("No shot lists yet: `studio shots`, then `studio boards` and `studio animatic` "
                             "(or run `studio demo`).", alert_type="info")
    stored = studio.stored_script(script_id)
    frames = studio.board_frames(script_id=script_id)
    latest = latest_shot_lists(lists)
    checks = studio.character_images(kind="board")
    base = studio.media_root
    options = board_scene_options(stored, latest, frames)
    scores = [float(v) for s in frames["scores"].drop_nulls() for v in json.loads(s).values()] \
        if not frames.is_empty() else []
    drift = int(frames["drift"].sum()) if not frames.is_empty() else 0
    boarded = frames["scene_uid"].n_unique() if not frames.is_empty() else 0
    kpis = pn.Row(kpi("Scenes with shot lists", str(latest.height)), kpi("Shots", str(int(latest["shots"].sum()))),
                  kpi("Boarded scenes", str(boarded)), kpi("Frames", str(frames.height)),
                  kpi("Lowest consistency", f"{min(scores):.3f}" if scores else "–"),
                  kpi("Drift", str(drift)), margin=(0, 10), css_classes=["boards-kpis"])
    # every scene's board is read from the store now (it is closed once the page is built); images when shown
    views = {uid: _board_view(studio, stored, uid, frames, checks, base) for uid in options.values()}
    picker = pn.widgets.Select(name="Scene", options=options, width=520, css_classes=["board-picker"])
    caption = pn.pane.Markdown(views[picker.value][2], margin=(0, 10), css_classes=["board-caption"])
    table = pn.widgets.Tabulator(views[picker.value][1], disabled=True, show_index=False, layout="fit_data_stretch",
                                 sizing_mode="stretch_width", css_classes=["shot-table"])
    board = pn.pane.HTML(views[picker.value][0](), sizing_mode="stretch_width", css_classes=["board-frames"])

    def pick(event: param.parameterized.Event) -> None:
        make_html, rows, text = views[event.new]
        caption.object, table.value, board.object = text, rows, make_html()

    picker.param.watch(pick, "value")
    return pn.Column(pn.pane.Markdown("## Shot lists and boards", margin=(0, 10)), kpis, picker, caption,
                     pn.pane.Markdown("### Shot list", margin=(10, 10, 0, 10)), table,
                     pn.pane.Markdown("### Board", margin=(10, 10, 0, 10)), board,
                     _animatic_view(studio, script_id), sizing_mode="stretch_width")


def _animatic_view(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """The latest animatic: the video (embedded as a data URI), its length and its cut list."""
    animatics = studio.animatics(script_id)
    if animatics.is_empty():
        return pn.pane.Markdown("### Animatic\n*No animatic yet: `studio animatic` cuts one from the boards.*",
                                margin=(10, 10, 0, 10), css_classes=["animatic-missing"])
    a = animatics.row(-1, named=True)
    path = Path(a["path"])
    scenes = ", ".join(str(s) for s in json.loads(a["scenes"] or "[]"))
    head = pn.pane.Markdown(
        f"### Animatic\nScenes {scenes} · {a['seconds']:.1f} s · {a['frames']} frames · "
        f"temp dialogue {a['audio_seconds']:.1f} s · `{path.name}`", margin=(10, 10, 0, 10),
        css_classes=["animatic-header"])
    try:
        data = path.read_bytes()
    except OSError as exc:
        return pn.Column(head, pn.pane.Alert(f"The animatic's file cannot be read: {exc}", alert_type="warning"))
    # the bytes go inline (a data: URI): `panel serve` serves no asset folder, and the browser never reads files
    video = pn.pane.Video(data, width=640, height=360, loop=False, autoplay=False, css_classes=["animatic-video"])
    # no height: every cut is a row of the page (the table does not scroll its rows away)
    cuts = pn.widgets.Tabulator(cut_rows(a["cuts"]), disabled=True, show_index=False, layout="fit_data_stretch",
                                sizing_mode="stretch_width", css_classes=["cut-table"])
    return pn.Column(head, pn.Row(video, cuts, sizing_mode="stretch_width"), sizing_mode="stretch_width",
                     css_classes=["animatic"])
