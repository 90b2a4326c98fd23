"""Shot lists and storyboard frames in the store.

Shot lists are versioned per scene (stable scene uid, so they survive script revisions): every
save is a new version, the latest is the one boards use. Storyboard frames record the job that
made each shot's panel, its artifact and the consistency score of every character in frame. A
board run is written in one transaction, so a failed run leaves no partial board behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from ..common.clock import utc_now
from ..common.errors import Invalid, NotFound
from ..store import Migration, ProjectScope
from .shots import ShotList

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "shots",
        1,
        "versioned shot lists per scene, storyboard frames with consistency scores, animatics",
        """
        CREATE TABLE shot_list (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, scene_uid VARCHAR NOT NULL, version INTEGER NOT NULL,
            script_version INTEGER NOT NULL, scene_number VARCHAR NOT NULL, source VARCHAR NOT NULL,
            shots JSON NOT NULL, note VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, script_id, scene_uid, version)
        );
        CREATE TABLE board_frame (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, scene_uid VARCHAR NOT NULL, shot_list_version INTEGER NOT NULL,
            shot VARCHAR NOT NULL, ordinal INTEGER NOT NULL, job_id VARCHAR NOT NULL,
            artifact VARCHAR NOT NULL, path VARCHAR NOT NULL, scores JSON NOT NULL,
            min_score DOUBLE, drift BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, script_id, scene_uid, shot_list_version, shot)
        );
        CREATE TABLE animatic (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            animatic_id VARCHAR NOT NULL, script_id VARCHAR NOT NULL, scenes JSON NOT NULL,
            artifact VARCHAR NOT NULL, path VARCHAR NOT NULL, seconds DOUBLE NOT NULL,
            frames INTEGER NOT NULL, audio_seconds DOUBLE NOT NULL, cuts JSON NOT NULL,
            created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, animatic_id)
        );
        """,
        scoped=("shot_list", "board_frame", "animatic"),
    ),
)


def save_shot_lists(scope: ProjectScope, script_id: str, script_version: int, lists: Sequence[ShotList],
                    note: str = "") -> dict[str, int]:
    """Store each list as its scene's next version, all in one transaction; returns uid -> version."""
    out: dict[str, int] = {}
    with scope.transaction():
        for sl in lists:
            row = scope.one("SELECT max(version) FROM {shot_list} WHERE script_id = $s AND scene_uid = $u",
                            {"s": script_id, "u": sl.scene_uid})
            v = int(row[0] or 0) + 1 if row else 1
            scope.insert("shot_list", [{
                "script_id": script_id, "scene_uid": sl.scene_uid, "version": v, "script_version": script_version,
                "scene_number": sl.scene_number, "source": sl.source, "shots": sl.to_json(),
                "note": note or sl.source, "created_at": utc_now()}])
            out[sl.scene_uid] = v
    return out


def load_shot_list(scope: ProjectScope, script_id: str, scene_uid: str, version: int | None = None
                   ) -> tuple[ShotList, int]:
    """A scene's shot list (default: the latest version) and its version."""
    q = "SELECT shots, version FROM {shot_list} WHERE script_id = $s AND scene_uid = $u"
    params: dict[str, Any] = {"s": script_id, "u": scene_uid}
    if version:
        q += " AND version = $v"
        params["v"] = version
    row = scope.one(q + " ORDER BY version DESC LIMIT 1", params)
    if row is None:
        raise NotFound(f"scene {scene_uid} of script {script_id!r} has no shot list"
                         + (f" version {version}" if version else "")
                         + "; make one first (`studio shots` or Studio.make_shot_lists)")
    return ShotList.from_json(row[0]), int(row[1])


def scenes_with(scope: ProjectScope, table: str, script_id: str) -> set[str]:
    """The scene uids of a script that have a shot list (``table="shot_list"``) or a board
    (``"board_frame"``): one query, not one per scene."""
    if table not in ("shot_list", "board_frame"):
        raise Invalid(f"scenes_with: table {table!r} is not shot_list or board_frame")
    return {r[0] for r in scope.rows(f"SELECT DISTINCT scene_uid FROM {{{table}}} WHERE script_id = $s",
                                     {"s": script_id})}


def shot_lists_frame(scope: ProjectScope, script_id: str) -> pl.DataFrame:
    """One row per scene and version: number, source, shot count, note."""
    return scope.sql("SELECT scene_uid, scene_number, version, script_version, source, "
                     "json_array_length(json_extract(shots, '$.shots')) AS shots, note, created_at "
                     "FROM {shot_list} WHERE script_id = $s ORDER BY scene_uid, version", {"s": script_id})


def save_frames(scope: ProjectScope, script_id: str, rows: Iterable[dict[str, Any]]) -> int:
    """Record a board run's frames in one transaction (a re-run of the same shot list version
    replaces its frames)."""
    rows = list(rows)
    with scope.transaction():
        for r in rows:
            scope.delete("board_frame", "script_id = $s AND scene_uid = $u AND shot_list_version = $v AND shot = $h",
                         {"s": script_id, "u": r["scene_uid"], "v": r["shot_list_version"], "h": r["shot"]})
        scope.insert("board_frame", [{
            "script_id": script_id, **{k: v for k, v in r.items() if k != "scores"},
            "scores": json.dumps(r["scores"]), "created_at": utc_now()} for r in rows])
    return len(rows)


def frames_frame(scope: ProjectScope, script_id: str, scene_uid: str | None = None) -> pl.DataFrame:
    """The latest board of each scene: one row per shot with its artifact and scores."""
    q = ("SELECT f.scene_uid, f.shot_list_version, f.shot, f.ordinal, f.job_id, f.artifact, f.path, f.scores, "
         "f.min_score, f.drift, f.created_at FROM {board_frame} f JOIN (SELECT scene_uid, "
         "max(shot_list_version) AS v FROM {board_frame} WHERE script_id = $s GROUP BY scene_uid) m "
         "ON f.scene_uid = m.scene_uid AND f.shot_list_version = m.v WHERE f.script_id = $s")
    params: dict[str, Any] = {"s": script_id}
    if scene_uid:
        q += " AND f.scene_uid = $u"
        params["u"] = scene_uid
    return scope.sql(q + " ORDER BY f.scene_uid, f.ordinal", params)


def save_animatic(scope: ProjectScope, row: dict[str, Any]) -> None:
    with scope.transaction():
        scope.delete("animatic", "animatic_id = $a", {"a": row["animatic_id"]})
        scope.insert("animatic", [{**row, "scenes": json.dumps(row["scenes"]), "cuts": json.dumps(row["cuts"]),
                                   "created_at": utc_now()}])


def animatics_frame(scope: ProjectScope, script_id: str | None = None) -> pl.DataFrame:
    q = ("SELECT animatic_id, script_id, scenes, artifact, path, seconds, frames, audio_seconds, cuts, created_at "
         "FROM {animatic}")
    if script_id:
        return scope.sql(q + " WHERE script_id = $s ORDER BY created_at", {"s": script_id})
    return scope.sql(q + " ORDER BY created_at")
