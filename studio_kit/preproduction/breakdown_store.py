"""Breakdowns in the production database: the automatic tags of each script version, and the
people's corrections, kept apart so a new draft gets fresh tags and the same corrections.

Tags are stored per version (re-saving a version replaces its tags in one transaction); edits
are stored per script, in the order they were made, keyed on stable scene uids and element
names, and replayed by :func:`effective_breakdown` over whichever version is asked for.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ..common.clock import utc_now
from ..common.errors import Invalid, NotFound
from ..scripts import latest_version, require_version
from ..store import Migration, ProjectScope
from .breakdown import Breakdown, Edit, SceneInfo, Span, Tag, apply_edits, tag_script

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "preproduction_breakdown",
        1,
        "breakdown tags per script version, and breakdown edits",
        """
        CREATE TABLE breakdown_tag (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, version INTEGER NOT NULL, ordinal INTEGER NOT NULL,
            scene_uid VARCHAR NOT NULL, scene_number VARCHAR NOT NULL,
            category_id INTEGER NOT NULL, name VARCHAR NOT NULL,
            element_idx INTEGER, char_start INTEGER, char_end INTEGER, quote VARCHAR,
            confidence DOUBLE NOT NULL, source VARCHAR NOT NULL, count INTEGER,
            saved_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, script_id, version, ordinal)
        );
        CREATE TABLE breakdown_edit (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, version INTEGER, edit_id INTEGER NOT NULL,
            kind VARCHAR NOT NULL, scene_uid VARCHAR, category_id INTEGER NOT NULL, name VARCHAR NOT NULL,
            target_name VARCHAR, new_category INTEGER, count INTEGER, quote VARCHAR, note VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, script_id, edit_id)
        );
        """,
        scoped=("breakdown_tag", "breakdown_edit"),
    ),
    Migration(
        "preproduction_breakdown",
        2,
        "which versions were tagged (a version may have no tags at all), backfilled from the tags",
        """
        CREATE TABLE breakdown_version (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, version INTEGER NOT NULL,
            tags INTEGER NOT NULL, saved_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, script_id, version)
        );
        INSERT INTO breakdown_version
            SELECT tenant_id, project_id, script_id, version, count(*), max(saved_at)
            FROM breakdown_tag GROUP BY tenant_id, project_id, script_id, version;
        """,
        scoped=("breakdown_version",),
    ),
)


def scene_uids(scope: ProjectScope, script_id: str, version: int | None = None) -> list[str]:
    """The stable scene ids of a stored version, in script order (what :func:`tag_script` needs); a
    version without scene headings has none."""
    v = latest_version(scope, script_id) if version is None else version
    rows = scope.rows("SELECT scene_uid FROM {scene} WHERE script_id = $s AND version = $v ORDER BY ordinal",
                      {"s": script_id, "v": v})
    if not rows:
        require_version(scope, "script_version", script_id, v, "version", "studio versions")
    return [r[0] for r in rows]


def is_tagged(scope: ProjectScope, script_id: str, version: int) -> bool:
    """Whether the version's breakdown was stored (it may hold no tags at all)."""
    return scope.one("SELECT 1 FROM {breakdown_version} WHERE script_id = $s AND version = $v",
                     {"s": script_id, "v": version}) is not None


def tag_version(scope: ProjectScope, script_id: str, analysis: Any, version: int | None = None,
                **tag_options: Any) -> Breakdown:
    """Tag an analysed script against the stored version's scene ids, and save the result."""
    v = latest_version(scope, script_id) if version is None else version  # an unknown one finds no scenes
    bd = tag_script(analysis, scene_uids=scene_uids(scope, script_id, v), **tag_options)
    save_breakdown(scope, script_id, v, bd)
    return bd


def save_breakdown(scope: ProjectScope, script_id: str, version: int, breakdown: Breakdown) -> int:
    """Store a version's automatic tags, replacing what that version had (all or nothing)."""
    known = set(scene_uids(scope, script_id, version))
    stray = sorted({t.scene_uid for t in breakdown.tags} - known)
    if stray:
        raise Invalid(f"breakdown names scene uid(s) {', '.join(stray[:5])} that script {script_id!r} "
                         f"version {version} does not have; tag the script with scene_uids from the store")
    now = utc_now()
    rows = [{
        "script_id": script_id, "version": version, "ordinal": k, "scene_uid": t.scene_uid,
        "scene_number": t.scene_number, "category_id": t.category_id, "name": t.name,
        "element_idx": t.span.element if t.span else None, "char_start": t.span.start if t.span else None,
        "char_end": t.span.end if t.span else None, "quote": t.span.text if t.span else None,
        "confidence": float(t.confidence), "source": t.source, "count": t.count, "saved_at": now,
    } for k, t in enumerate(breakdown.tags)]
    with scope.transaction():
        scope.delete("breakdown_tag", "script_id = $s AND version = $v", {"s": script_id, "v": version})
        scope.delete("breakdown_version", "script_id = $s AND version = $v", {"s": script_id, "v": version})
        scope.insert("breakdown_version", [{"script_id": script_id, "version": version, "tags": len(rows),
                                            "saved_at": now}])
        if rows:
            scope.insert("breakdown_tag", pl.DataFrame(rows, schema_overrides={
                "element_idx": pl.Int32, "char_start": pl.Int32, "char_end": pl.Int32, "quote": pl.Utf8,
                "count": pl.Int32}))
    return len(rows)


def load_breakdown(scope: ProjectScope, script_id: str, version: int | None = None) -> Breakdown:
    """The stored automatic breakdown of a version (latest by default), with its scenes' strip fields."""
    v = latest_version(scope, script_id) if version is None else version
    scenes = [SceneInfo(uid=r[0], number=r[1], index=r[2], heading=r[3], int_ext=r[4], location=r[5],
                        day_night=r[6], time_of_day=r[7], eighths=r[8], page_start=r[9], synopsis=r[10])
              for r in scope.rows(
                  "SELECT scene_uid, number, ordinal, heading, int_ext, location, day_night, time_of_day, eighths, "
                  "page_start, synopsis FROM {scene} WHERE script_id = $s AND version = $v ORDER BY ordinal",
                  {"s": script_id, "v": v})]
    if not scenes:  # a version without scene headings, or no such version
        require_version(scope, "script_version", script_id, v, "version", "studio versions")
    if not is_tagged(scope, script_id, v):
        raise NotFound(f"script {script_id!r} version {v} has no saved breakdown; run the breakdown first")
    tags = []
    for r in scope.rows(
        "SELECT scene_uid, scene_number, category_id, name, element_idx, char_start, char_end, quote, confidence, "
        "source, count FROM {breakdown_tag} WHERE script_id = $s AND version = $v ORDER BY ordinal",
        {"s": script_id, "v": v},
    ):
        span = Span(r[4], r[5], r[6], r[7]) if r[7] is not None else None
        tags.append(Tag(r[0], r[1], r[2], r[3], span, r[8], r[9], r[10]))
    title = scope.one("SELECT title FROM {script_version} WHERE script_id = $s AND version = $v",
                      {"s": script_id, "v": v})
    return Breakdown(scenes, tags, title=title[0] if title else "")


def add_edit(scope: ProjectScope, script_id: str, edit: Edit, *, version: int | None = None) -> int:
    """Record a correction (validated when the Edit was built); returns its id, in order of making."""
    latest_version(scope, script_id)  # the script must exist
    with scope.transaction():
        row = scope.one("SELECT coalesce(max(edit_id), 0) FROM {breakdown_edit} WHERE script_id = $s", {"s": script_id})
        edit_id = int(row[0]) + 1 if row else 1
        scope.insert("breakdown_edit", pl.DataFrame([{
            "script_id": script_id, "version": version, "edit_id": edit_id, "kind": edit.kind,
            "scene_uid": edit.scene_uid, "category_id": edit.category_id, "name": edit.name,
            "target_name": edit.target_name, "new_category": edit.new_category, "count": edit.count,
            "quote": edit.quote, "note": edit.note, "created_at": utc_now(),
        }], schema_overrides={"version": pl.Int32, "scene_uid": pl.Utf8, "target_name": pl.Utf8,
                              "new_category": pl.Int32, "count": pl.Int32, "quote": pl.Utf8}))
    return edit_id


def edits(scope: ProjectScope, script_id: str) -> list[Edit]:
    return [Edit(kind=r[0], scene_uid=r[1], category_id=r[2], name=r[3], target_name=r[4], new_category=r[5],
                 count=r[6], quote=r[7], note=r[8])
            for r in scope.rows(
                "SELECT kind, scene_uid, category_id, name, target_name, new_category, count, quote, note "
                "FROM {breakdown_edit} WHERE script_id = $s ORDER BY edit_id", {"s": script_id})]


def edits_frame(scope: ProjectScope, script_id: str) -> pl.DataFrame:
    return scope.sql("SELECT * EXCLUDE (tenant_id, project_id) FROM {breakdown_edit} WHERE script_id = $s "
                     "ORDER BY edit_id", {"s": script_id})


def effective_breakdown(scope: ProjectScope, script_id: str, version: int | None = None) -> Breakdown:
    """The stored automatic breakdown of a version with every stored correction replayed over it;
    corrections that no longer fit (their scene was cut) are listed in ``unapplied``."""
    return apply_edits(load_breakdown(scope, script_id, version), edits(scope, script_id))
