"""Writing: shot lists (list, read, make by rules, edit), storyboard frames, animatics, development runs.

LLM shot lists and boards are made where the model runner is (notebook or CLI): over HTTP a shot
list is made by the coverage rules or edited by hand, and boards and animatics are only read.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, StringConstraints

from ...common.errors import Invalid, NotFound
from ...writing import shots as shots_mod
from ...writing.develop import STEPS
from ...writing.options import SHOT_LIST_MODES, ShotListOptions
from ..deps import Ctx, CtxDep
from ._common import Request, Rows, rows

router = APIRouter(prefix="/v1/projects/{project}", tags=["writing"])

#: Largest version number a query accepts (the store's INTEGER).
_MAX_VERSION = 2**31 - 1

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
SceneKey = Annotated[str, StringConstraints(min_length=1, max_length=40)]
ScriptId = Annotated[str | None, Query(min_length=1, max_length=200, description="the script (default: the project's only one)")]
VersionQ = Annotated[int | None, Query(ge=1, le=_MAX_VERSION)]
ScenePath = Annotated[str, Path(min_length=1, max_length=40, description="the scene's printed number (e.g. 12A) or uid")]


class LlmOverHttp(Invalid):
    """An LLM shot list asked over HTTP (422: it runs where the model runner is)."""


class MakeShotLists(Request):
    scenes: list[SceneKey] | None = Field(None, max_length=1000, description="printed numbers or uids; all when null")
    mode: Literal[*SHOT_LIST_MODES] = ShotListOptions().mode  # type: ignore[valid-type]
    note: str = Field("", max_length=500)
    script_id: Name | None = None


class ShotListsMade(BaseModel):
    versions: dict[str, int]    # scene uid -> the stored version
    shots: dict[str, int]       # scene uid -> how many shots
    errors: list[str]


class ShotIn(Request):
    """One shot of an edited list (the fields of ``writing.shots.Shot``)."""

    number: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    size: Literal[*shots_mod.SHOT_SIZES]  # type: ignore[valid-type]
    angle: Literal[*shots_mod.ANGLES] = "eye"  # type: ignore[valid-type]
    movement: Literal[*shots_mod.MOVEMENTS] = "static"  # type: ignore[valid-type]
    kind: Literal[*shots_mod.KINDS] = "master"  # type: ignore[valid-type]
    subject: str = Field("", max_length=500)
    characters: list[Name] = Field(default_factory=list, max_length=100)
    description: str = Field("", max_length=5000)
    seconds: float = Field(0.0, ge=0, le=24 * 3600, allow_inf_nan=False)
    props: list[Name] = Field(default_factory=list, max_length=100)


class EditShotList(Request):
    shots: list[ShotIn] = Field(min_length=1, max_length=500)
    note: str = Field("edited", max_length=500)
    script_id: Name | None = None


class ShotListSaved(BaseModel):
    scene_uid: str
    scene_number: str
    version: int
    shots: int


def _version_of(c: Ctx, scene_uid: str, version: int | None, script_id: str | None) -> int:
    if version is not None:
        return version
    frame = c.studio.shot_lists(script_id)
    return int(frame.filter(frame["scene_uid"] == scene_uid)["version"].max())


@router.get("/shot-lists", response_model=Rows)
def shot_lists(c: CtxDep, script_id: ScriptId = None) -> Rows:
    """Every stored shot list version: scene, version, source, shot count, note."""
    return rows(c.run(c.studio.shot_lists, script_id))


@router.get("/shot-lists/{scene}", response_model=dict[str, Any])
def shot_list(c: CtxDep, scene: ScenePath, version: VersionQ = None, script_id: ScriptId = None) -> dict[str, Any]:
    """A scene's shot list (latest version unless ``version``), with its version."""
    def read() -> dict[str, Any]:
        sl = c.studio.shot_list(scene, version=version, script_id=script_id)
        return {**json.loads(sl.to_json()), "version": _version_of(c, sl.scene_uid, version, script_id),
                "seconds": sl.seconds}

    return c.run(read)


@router.post("/shot-lists", response_model=ShotListsMade, status_code=201)
def make_shot_lists(c: CtxDep, body: MakeShotLists) -> ShotListsMade:
    """Shot lists by the coverage rules for these scenes (all by default), each stored as its scene's next version."""
    if body.mode == "llm":
        raise LlmOverHttp("mode 'llm': LLM shot lists run where the model runner is (the notebook or the CLI: "
                          "`studio shots --mode llm`); over HTTP use mode 'rules', then edit a list with PUT")
    run = c.run(c.studio.make_shot_lists, body.scenes, script_id=body.script_id, note=body.note)
    return ShotListsMade(versions=dict(run.versions), shots={sl.scene_uid: len(sl.shots) for sl in run.shot_lists},
                         errors=list(run.errors))


@router.put("/shot-lists/{scene}", response_model=ShotListSaved)
def edit_shot_list(c: CtxDep, scene: ScenePath, body: EditShotList) -> ShotListSaved:
    """Store these shots as the scene's next shot list version (checked: sizes, angles, numbers used once,
    only characters who are in the scene)."""
    def save() -> ShotListSaved:
        current = c.studio.shot_list(scene, script_id=body.script_id)
        edited = current.edited(shots_mod.Shot.from_dict(s.model_dump()) for s in body.shots)
        version = c.studio.save_shot_list(edited, note=body.note, script_id=body.script_id)
        return ShotListSaved(scene_uid=edited.scene_uid, scene_number=edited.scene_number, version=version,
                             shots=len(edited.shots))

    return c.run(save)


@router.get("/boards", response_model=Rows)
def boards(c: CtxDep, script_id: ScriptId = None) -> Rows:
    """The latest board of every scene: one row per shot with its frame's artifact and consistency scores."""
    return rows(c.run(c.studio.board_frames, None, script_id=script_id))


@router.get("/boards/{scene}", response_model=Rows)
def board(c: CtxDep, scene: ScenePath, script_id: ScriptId = None) -> Rows:
    return rows(c.run(c.studio.board_frames, scene, script_id=script_id))


@router.get("/animatics", response_model=Rows)
def animatics(c: CtxDep, script_id: ScriptId = None) -> Rows:
    return rows(c.run(c.studio.animatics, script_id))


@router.get("/development-runs", response_model=Rows)
def development_runs(c: CtxDep) -> Rows:
    return rows(c.run(c.studio.development_runs))


@router.get("/development-runs/{run_id}/{step}", response_model=dict[str, Any])
def development_step(c: CtxDep, run_id: Annotated[str, Path(min_length=1, max_length=200)],
                     step: Literal[*STEPS], version: VersionQ = None) -> dict[str, Any]:  # type: ignore[valid-type]
    """A development step's stored output (latest version unless ``version``); 404 when there is none."""
    value = c.run(c.studio.development_step, run_id, step, version)
    if value is None:
        raise NotFound(f"run {run_id!r} has no step {step!r}" + (f" version {version}" if version else ""))
    return json.loads(value.to_json())
