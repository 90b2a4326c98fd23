"""Writing over the store: shot lists for stored scenes, the edits boards and animatics play, and
the animatic's assembly from boarded scenes.

Why a module of its own: the facade (``ops.py``) stays one checked line per operation; the steps
here take the project scope, the stored script and the backends they need, and check nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..common.errors import Invalid, NotFound
from ..common.files import atomic_path, atomic_write
from ..generation.base import TextRequest
from ..preproduction.breakdown import Breakdown
from ..preproduction.categories import PROPS
from ..scripts import SceneIndex, StoredScript
from ..store import ProjectScope, artifacts
from . import animatic, boards, shots_store
from . import shots as shots_mod
from .options import AnimaticOptions, ShotListOptions

#: A scene named by its printed number ("12A"), its uid, or several of them; None means all.
Scenes = str | int | Sequence[str | int] | None


def scene_uids(stored: StoredScript | SceneIndex, scenes: Scenes = None) -> list[str]:
    """Scene uids from printed numbers (``"3"``, ``"12A"``) or uids; all scenes when None."""
    if scenes is None:
        return list(stored.scene_uids)
    number_of = dict(zip(stored.numbers, stored.scene_uids, strict=True))
    out = []
    for s in ([scenes] if isinstance(scenes, str | int) else scenes):
        key = str(s)
        if key in stored.scene_uids:
            out.append(key)
        elif key in number_of:
            out.append(number_of[key])
        else:
            raise NotFound(f"script {stored.script_id!r} v{stored.version} has no scene {key!r} (scenes "
                           f"{', '.join(list(number_of)[:12])}{'...' if len(number_of) > 12 else ''})")
    return out


def _numbers(stored: StoredScript | SceneIndex, uids: Sequence[str]) -> list[str]:
    return [stored.numbers[stored.scene_uids.index(u)] for u in uids]


# -- shot lists -------------------------------------------------------------------------------------


def shot_lists_by_rules(stored: StoredScript, bd: Breakdown, uids: Sequence[str]) -> shots_mod.ShotListRun:
    """The coverage rules of ``writing.shots`` over each scene's content and the breakdown's props."""
    a = stored.analysis
    index = {uid: k for k, uid in enumerate(stored.scene_uids)}
    run = shots_mod.ShotListRun()
    for uid in uids:
        k = index[uid]
        sc = a.scenes[k]
        prev = a.scenes[k - 1].location if k > 0 else None
        run.shot_lists.append(shots_mod.default_shot_list(a.screenplay, sc, scene_uid=uid,
                                                          props=sorted(bd.names(sc.number, PROPS)),
                                                          previous_location=prev))
    return run


def shot_lists_by_model(stored: StoredScript, bd: Breakdown, uids: Sequence[str], text_jobs: Any) -> shots_mod.ShotListRun:
    """Each scene's list written by the text model as JSON (one job a scene); shots naming someone
    not in the scene are dropped with a message; a scene the model gave nothing usable for is
    reported and keeps its earlier version."""
    a = stored.analysis
    index = {uid: k for k, uid in enumerate(stored.scene_uids)}
    prompts = []
    for uid in uids:
        sc = a.scenes[index[uid]]
        text = "\n".join(e.text for e in a.screenplay.elements[sc.first:sc.last + 1])
        prompts.append(TextRequest(shots_mod.shot_list_prompt(text, sc, sc.characters, sorted(bd.names(sc.number, PROPS))),
                                   system=shots_mod.SHOT_LIST_SYSTEM, max_new_tokens=1200))
    run = shots_mod.ShotListRun()
    for uid, answer in zip(uids, text_jobs.outcomes(prompts), strict=True):
        sc = a.scenes[index[uid]]
        if isinstance(answer, Exception):
            run.errors.append(f"scene {sc.number}: the text model gave no answer ({answer}); the scene keeps "
                              "its earlier shot list")
            continue
        try:
            sl, problems = shots_mod.parse_llm_shots(answer, sc, sc.characters, scene_uid=uid)
        except shots_mod.ShotListError as exc:
            run.errors.append(str(exc))
            continue
        run.errors += problems
        run.shot_lists.append(shots_mod.time_shots(sl, a.screenplay, sc) if sl.seconds == 0 else sl)
    return run


def make_shot_lists(scope: ProjectScope, stored: StoredScript, bd: Breakdown, uids: Sequence[str],
                    options: ShotListOptions, *, text_jobs: Callable[[], Any] | None = None,
                    note: str = "") -> shots_mod.ShotListRun:
    """Shot lists for these scenes, stored as each scene's next version (``text_jobs`` makes the
    runner's text jobs, asked for only in "llm" mode)."""
    if options.mode == "llm":
        if text_jobs is None:
            raise Invalid("mode 'llm' needs the text model's jobs (a runner)")
        run = shot_lists_by_model(stored, bd, uids, text_jobs())
    else:
        run = shot_lists_by_rules(stored, bd, uids)
    run.versions = shots_store.save_shot_lists(scope, stored.script_id, stored.version, run.shot_lists, note=note)
    return run


def save_edited_shot_list(scope: ProjectScope, stored: StoredScript | SceneIndex, shot_list: shots_mod.ShotList,
                          note: str) -> int:
    if shot_list.scene_uid not in stored.scene_uids:
        raise Invalid(f"shot list for scene {shot_list.scene_number}: scene uid {shot_list.scene_uid} is not in "
                      f"script {stored.script_id!r} v{stored.version}")
    shots_mod.validate(shot_list)
    return shots_store.save_shot_lists(scope, stored.script_id, stored.version, [shot_list], note=note)[shot_list.scene_uid]


def export_shot_lists(scope: ProjectScope, stored: StoredScript | SceneIndex, uids: Sequence[str], out: Path) -> Path:
    """The latest shot lists of these scenes (those that have one) as CSV or PDF, by the suffix."""
    have = shots_store.scenes_with(scope, "shot_list", stored.script_id)
    lists = [shots_store.load_shot_list(scope, stored.script_id, u)[0] for u in uids if u in have]
    if out.suffix.lower() == ".csv":
        data = shots_mod.to_csv(lists).encode()
    elif out.suffix.lower() == ".pdf":
        data = boards.shot_list_pdf(lists, title=f"{stored.title} - shot list")
    else:
        raise Invalid(f"{out}: export shot lists as .csv or .pdf")
    return atomic_write(out, data)


def missing_shot_lists(scope: ProjectScope, stored: StoredScript | SceneIndex, uids: Sequence[str]) -> list[str]:
    have = shots_store.scenes_with(scope, "shot_list", stored.script_id)
    return [u for u in uids if u not in have]


# -- boards and animatics -----------------------------------------------------------------------------


def board_cuts(scope: ProjectScope, stored: StoredScript, uid: str):
    """A scene's board: the scene, the shot list its frames were drawn from (a newer list has no
    frames until it is boarded), its edit (cuts), and shot -> frame path and consistency scores."""
    sc = stored.analysis.scenes[stored.scene_uids.index(uid)]
    frames = shots_store.frames_frame(scope, stored.script_id, uid)
    version = int(frames["shot_list_version"][0]) if frames.height else None
    sl, _ = shots_store.load_shot_list(scope, stored.script_id, uid, version)
    cuts = shots_mod.cut_scene(sl, shots_mod.scene_beats(stored.analysis.screenplay, sc), shots_mod.scene_seconds(sc))
    paths = {r["shot"]: r["path"] for r in frames.iter_rows(named=True)}
    scores = {r["shot"]: json.loads(r["scores"]) for r in frames.iter_rows(named=True)}
    return sc, sl, cuts, paths, scores


def boarded(scope: ProjectScope, stored: StoredScript, uids: Sequence[str], *, named: bool) -> list[str]:
    """The scenes of ``uids`` that have a board; when the caller ``named`` scenes, one without a
    board is an error saying to make it first (otherwise it is skipped)."""
    have = shots_store.scenes_with(scope, "board_frame", stored.script_id)
    missing = [u for u in uids if u not in have]
    if named and missing:
        numbers = _numbers(stored, missing)
        many = len(numbers) > 1
        raise Invalid(f"scene{'s' if many else ''} {', '.join(numbers)} {'have' if many else 'has'} no board yet; "
                      f"make {'them' if many else 'it'} first (`studio boards` or Studio.make_boards)")
    found = [u for u in uids if u in have]
    if not found:
        raise Invalid("no scene has a board yet; make boards first (Studio.make_boards)")
    return found


def export_boards(scope: ProjectScope, stored: StoredScript, uids: Sequence[str], out: Path, *, named: bool) -> Path:
    """The boards of these scenes as one PDF."""
    panels = []
    for uid in boarded(scope, stored, uids, named=named):
        _sc, sl, cuts, paths, scores = board_cuts(scope, stored, uid)
        panels += boards.panels_for(sl, cuts, paths, scores)
    return atomic_write(out, boards.boards_pdf(panels, title=f"{stored.title} - storyboards"))


def temp_voices(cast: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """Each character's temp voice from its bible (name, bible) pairs: the bible's voice field,
    else a pace and pitch by cast order and age."""
    names = [n.upper() for n, _ in cast]
    return boards.temp_voices(names, {n.upper(): b.voice for n, b in cast}, {n.upper(): b.age for n, b in cast})


def make_animatic(scope: ProjectScope, stored: StoredScript, uids: Sequence[str], voices: dict[str, Any],
                  speech: Any, out: Path, assets_dir: Path, options: AnimaticOptions, *,
                  progress: bool = True) -> animatic.AnimaticResult:
    """Render the boarded scenes' edits to ``out`` (and an .otio of the cut beside it), keep a
    content-addressed copy and record it."""
    panels: list = []
    numbers = []
    for uid in uids:
        sc, sl, cuts, paths, _scores = board_cuts(scope, stored, uid)
        images = {shot: Path(p).read_bytes() for shot, p in paths.items()}
        made, missing = boards.animatic_panels(sc, sl, cuts, images, voices)
        if missing:
            raise Invalid("; ".join(missing[:3]))
        panels += made
        numbers.append(sc.number)
    result = animatic.render_animatic(panels, speech, out, fps=options.fps, size=options.size, progress=progress,
                                      gap=options.gap_s, pad=options.pad_s)
    with atomic_path(out.with_suffix(".otio"), suffix=".otio") as part:
        animatic.write_otio(result, part)
    art = artifacts.put(assets_dir, out.read_bytes(), "mp4", "video/mp4")
    cuts = [{"scene": p.scene, "shot": p.shot, "start": round(slot.start, 3), "end": round(slot.end, 3)}
            for p, slot in zip(panels, result.timeline.panels, strict=True)]
    shots_store.save_animatic(scope, {
        "animatic_id": f"{stored.script_id}:{hashlib.sha256(' '.join(uids).encode()).hexdigest()[:16]}",
        "script_id": stored.script_id,
        "scenes": numbers, "artifact": art.sha256, "path": str(art.path), "seconds": result.seconds,
        "frames": result.frames, "audio_seconds": result.audio_seconds, "cuts": cuts})
    return result


def default_animatic_path(out_dir: Path, stored: StoredScript, uids: Sequence[str]) -> Path:
    numbers = _numbers(stored, uids)
    return out_dir / f"animatic_{stored.script_id}_{numbers[0]}-{numbers[-1]}.mp4"


__all__ = ["board_cuts", "boarded", "default_animatic_path", "export_boards", "export_shot_lists",
           "make_animatic", "make_shot_lists", "missing_shot_lists", "save_edited_shot_list", "scene_uids",
           "shot_lists_by_model", "shot_lists_by_rules", "temp_voices"]
