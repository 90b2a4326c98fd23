"""Scripts in the production database: versions, scenes with stable identities, elements.

Every engine reads scripts from here (the breakdown, schedules, characters, shot lists), so it sits
just above the screenplay model and the store, below every engine.

Ingesting writes one whole version or nothing (one transaction). Ingesting the same text again
records nothing new, so a retried job or a re-run notebook never doubles a version.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

import polars as pl

from .common.clock import utc_now
from .common.errors import Invalid, NotFound
from .screenplay.analysis import ScriptAnalysis
from .screenplay.diff import SceneFingerprint, ScriptDiff, diff_scenes, fingerprint
from .screenplay.model import ElementType, character_name, strip_notes
from .store import Migration, ProjectScope, StoreError

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "writing",
        1,
        "scripts, versions, scenes, elements",
        """
        CREATE TABLE script (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, title VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, script_id)
        );
        CREATE TABLE script_version (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, version INTEGER NOT NULL,
            sha256 VARCHAR NOT NULL, source_name VARCHAR NOT NULL, source_format VARCHAR NOT NULL,
            source_text VARCHAR NOT NULL, title VARCHAR NOT NULL, title_page JSON,
            layout VARCHAR NOT NULL, pages INTEGER NOT NULL, scenes INTEGER NOT NULL,
            stats JSON, changes JSON, ingested_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, script_id, version)
        );
        CREATE TABLE scene (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, version INTEGER NOT NULL,
            scene_uid VARCHAR NOT NULL, ordinal INTEGER NOT NULL, number VARCHAR NOT NULL,
            heading VARCHAR NOT NULL, int_ext VARCHAR NOT NULL, location VARCHAR NOT NULL,
            time_of_day VARCHAR NOT NULL, day_night VARCHAR NOT NULL,
            page_start INTEGER NOT NULL, eighths INTEGER NOT NULL, eighths_exact DOUBLE NOT NULL,
            synopsis VARCHAR NOT NULL, line INTEGER NOT NULL, digest VARCHAR NOT NULL,
            fp_heading VARCHAR NOT NULL, body VARCHAR NOT NULL, change VARCHAR NOT NULL,
            PRIMARY KEY (tenant_id, project_id, script_id, version, scene_uid)
        );
        CREATE TABLE scene_character (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, version INTEGER NOT NULL, scene_uid VARCHAR NOT NULL,
            character VARCHAR NOT NULL, speaking BOOLEAN NOT NULL, speeches INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, project_id, script_id, version, scene_uid, character)
        );
        CREATE TABLE script_element (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            script_id VARCHAR NOT NULL, version INTEGER NOT NULL, idx INTEGER NOT NULL,
            type VARCHAR NOT NULL, text VARCHAR NOT NULL, line INTEGER NOT NULL,
            scene_uid VARCHAR, page INTEGER, scene_number VARCHAR, dual VARCHAR,
            PRIMARY KEY (tenant_id, project_id, script_id, version, idx)
        );
        """,
        scoped=("script", "script_version", "scene", "scene_character", "script_element"),
    ),
)


@dataclass
class IngestReport:
    script_id: str
    version: int
    created: bool  # False: the same text was already the latest version
    title: str
    pages: int
    scenes: int
    diff: ScriptDiff | None

    def summary(self) -> dict[str, int]:
        return self.diff.summary() if self.diff else {"added": self.scenes}


def script_id_for(title: str, fallback: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (title or fallback).lower()).strip("-")
    return slug[:60] or "script"


def ingest(scope: ProjectScope, analysis: ScriptAnalysis, source_text: str, *, source_name: str,
           source_format: str = "fountain", script_id: str | None = None) -> IngestReport:
    """Store a script version with its scenes and elements; carry scene identities from the
    previous version and record what changed. All or nothing."""
    sp = analysis.screenplay
    sid = script_id or script_id_for(sp.title, source_name.rsplit("/", 1)[-1].rsplit(".", 1)[0])
    sha = hashlib.sha256(source_text.encode()).hexdigest()
    now = utc_now()
    fps = [fingerprint(sp, s) for s in analysis.scenes]
    with scope.transaction():
        latest = scope.one(
            "SELECT version, sha256 FROM {script_version} WHERE script_id = $s ORDER BY version DESC LIMIT 1",
            {"s": sid},
        )
        if latest and latest[1] == sha:
            return IngestReport(sid, latest[0], False, sp.title, analysis.pagination.page_count,
                                len(analysis.scenes), None)
        version = (latest[0] + 1) if latest else 1
        if latest:
            old = scope.rows(
                "SELECT scene_uid, fp_heading, body, number, digest FROM {scene} "
                "WHERE script_id = $s AND version = $v ORDER BY ordinal",
                {"s": sid, "v": latest[0]},
            )
            old_fps = [SceneFingerprint(heading=h, body=b, number=n, digest=d) for _, h, b, n, d in old]
            diff = diff_scenes(old_fps, [r[0] for r in old], fps)
        else:
            scope.insert("script", [{"script_id": sid, "title": sp.title or sid, "created_at": now}])
            diff = diff_scenes([], [], fps)
        uid_of = diff.uid_map()
        change_of = {c.new_index: c.kind for c in diff.changes if c.new_index is not None}
        scope.insert("script_version", [{
            "script_id": sid, "version": version, "sha256": sha, "source_name": source_name,
            "source_format": source_format, "source_text": source_text, "title": sp.title or sid,
            "title_page": json.dumps(sp.title_page.to_dict()), "layout": analysis.pagination.layout.name,
            "pages": analysis.pagination.page_count, "scenes": len(analysis.scenes),
            "stats": json.dumps(analysis.stats.to_dict()), "changes": json.dumps(_changes_json(diff)),
            "ingested_at": now,
        }])
        scope.insert("scene", pl.DataFrame([{
            "script_id": sid, "version": version, "scene_uid": uid_of[k], "ordinal": k, "number": s.number,
            "heading": s.heading, "int_ext": s.int_ext, "location": s.location, "time_of_day": s.time_of_day,
            "day_night": s.day_night, "page_start": s.page_start, "eighths": s.eighths,
            "eighths_exact": float(s.eighths_exact), "synopsis": s.synopsis, "line": s.line,
            "digest": fps[k].digest, "fp_heading": fps[k].heading, "body": fps[k].body, "change": change_of.get(k, "added"),
        } for k, s in enumerate(analysis.scenes)], infer_schema_length=None))
        scope.insert("scene_character", _scene_characters(analysis, sid, version, uid_of))
        scope.insert("script_element", _elements_frame(analysis, sid, version, uid_of))
    return IngestReport(sid, version, True, sp.title, analysis.pagination.page_count, len(analysis.scenes), diff)


def _changes_json(diff: ScriptDiff) -> dict:
    return {
        "summary": diff.summary(),
        "changes": [
            {"kind": c.kind, "uid": c.uid, "old_number": c.old_number, "new_number": c.new_number,
             "old_heading": c.old_heading, "new_heading": c.new_heading, "similarity": round(c.similarity, 3)}
            for c in diff.changes if c.kind != "unchanged"
        ],
    }


def _scene_characters(analysis: ScriptAnalysis, sid: str, version: int, uid_of: dict[int, str]) -> list[dict]:
    els = analysis.screenplay.elements
    rows = []
    for k, s in enumerate(analysis.scenes):
        speeches: dict[str, int] = {}
        for e in els[s.first : s.last + 1]:
            if e.type is ElementType.CHARACTER:
                name = character_name(strip_notes(e.text))
                speeches[name] = speeches.get(name, 0) + 1
        for name in s.speaking:
            rows.append({"script_id": sid, "version": version, "scene_uid": uid_of[k], "character": name,
                         "speaking": True, "speeches": speeches.get(name, 0)})
        for name in s.non_speaking:
            if name not in speeches:
                rows.append({"script_id": sid, "version": version, "scene_uid": uid_of[k], "character": name,
                             "speaking": False, "speeches": 0})
    return rows


def _elements_frame(analysis: ScriptAnalysis, sid: str, version: int, uid_of: dict[int, str]) -> pl.DataFrame:
    els = analysis.screenplay.elements
    n = len(els)
    scene_uid: list[str | None] = [None] * n
    for k, s in enumerate(analysis.scenes):
        for i in range(s.first, s.last + 1):
            scene_uid[i] = uid_of[k]
    lpp = analysis.pagination.layout.lines_per_page
    return pl.DataFrame({
        "script_id": [sid] * n,
        "version": [version] * n,
        "idx": list(range(n)),
        "type": [e.type.value for e in els],
        "text": [e.text for e in els],
        "line": [e.line for e in els],
        "scene_uid": scene_uid,
        "page": [analysis.pagination.element_pos[i] // lpp + 1 for i in range(n)],
        "scene_number": [e.scene_number for e in els],
        "dual": [e.dual for e in els],
    }, schema_overrides={"scene_uid": pl.Utf8, "scene_number": pl.Utf8, "dual": pl.Utf8})


def scenes_frame(scope: ProjectScope, script_id: str, version: int | None = None) -> pl.DataFrame:
    """The scene table of a version (latest by default), with its cast as a list column."""
    v = version_of(scope, script_id, version)
    return scope.sql(
        """SELECT s.ordinal, s.number, s.scene_uid, s.heading, s.int_ext, s.location, s.time_of_day, s.day_night,
                  s.page_start, s.eighths, s.eighths_exact, s.synopsis, s.change,
                  list(c.character ORDER BY c.speaking DESC, c.character) FILTER (WHERE c.character IS NOT NULL)
                      AS characters
           FROM {scene} s LEFT JOIN {scene_character} c
             ON c.script_id = s.script_id AND c.version = s.version AND c.scene_uid = s.scene_uid
           WHERE s.script_id = $s AND s.version = $v
           GROUP BY ALL ORDER BY s.ordinal""",
        {"s": script_id, "v": v},
    )


def require_version(scope: ProjectScope, table: str, script_id: str, version: int, what: str, see: str) -> int:
    """``version`` if ``table`` (a versioned table keyed by script: script_version, schedule_version)
    holds it for the script, else NotFound naming it and where to look."""
    if scope.one(f"SELECT 1 FROM {{{table}}} WHERE script_id = $s AND version = $v",
                 {"s": script_id, "v": version}) is None:
        raise NotFound(f"script {script_id!r} has no {what} {version} in project {scope.project_id!r}; see `{see}`")
    return version


def version_of(scope: ProjectScope, script_id: str, version: int | None) -> int:
    """The version asked for (checked: a version that is not stored is NotFound), or the latest."""
    if version is None:
        return latest_version(scope, script_id)
    try:
        return require_version(scope, "script_version", script_id, version, "version", "studio versions")
    except NotFound:
        latest_version(scope, script_id)  # no script at all says so first
        raise


def latest_version(scope: ProjectScope, script_id: str) -> int:
    row = scope.one("SELECT max(version) FROM {script_version} WHERE script_id = $s", {"s": script_id})
    if not row or row[0] is None:
        raise NotFound(f"no script {script_id!r} in project {scope.project_id!r}; ingest it first")
    return int(row[0])


@dataclass(frozen=True)
class SceneIndex:
    """A stored version's scenes by printed number and uid, read from the scene table (no parsing):
    what an operation needs to find a scene (``numbers[k]`` is the number of ``scene_uids[k]``)."""

    script_id: str
    version: int
    title: str
    scene_uids: list[str]
    numbers: list[str]


def scene_index(scope: ProjectScope, script_id: str | None = None, version: int | None = None) -> SceneIndex:
    sid = script_id_or_only(scope, script_id)
    v = version_of(scope, sid, version)
    title = scope.one("SELECT title FROM {script_version} WHERE script_id = $s AND version = $v", {"s": sid, "v": v})
    rows = scope.rows("SELECT scene_uid, number FROM {scene} WHERE script_id = $s AND version = $v ORDER BY ordinal",
                      {"s": sid, "v": v})
    return SceneIndex(sid, v, title[0] if title else sid, [r[0] for r in rows], [r[1] for r in rows])


@dataclass
class StoredScript:
    """A stored version brought back as the engines' models: the analysis of its source text and
    the stable scene identities (``scene_uids[k]`` belongs to ``analysis.scenes[k]``)."""

    script_id: str
    version: int
    title: str
    analysis: ScriptAnalysis
    scene_uids: list[str]

    @property
    def numbers(self) -> list[str]:
        return [sc.number for sc in self.analysis.scenes]


def load_analysis(scope: ProjectScope, script_id: str, version: int | None = None) -> StoredScript:
    """Re-analyse a stored version from its own source text, so every engine downstream works from
    exactly what was ingested (not from a file that may have changed since)."""
    from .screenplay.analysis import analyze
    from .screenplay.fdx import read_fdx
    from .screenplay.fountain import parse_fountain
    from .screenplay.pagination import layout_for

    v = latest_version(scope, script_id) if version is None else version  # the row says whether it exists
    row = scope.one("SELECT source_text, source_format, source_name, layout, title FROM {script_version} "
                    "WHERE script_id = $s AND version = $v", {"s": script_id, "v": v})
    if row is None:
        raise NotFound(f"script {script_id!r} has no version {v} in project {scope.project_id!r}")
    text, fmt, name, layout, title = row
    sp = read_fdx(text, source=name) if fmt == "fdx" else parse_fountain(text, source=name)
    analysis = analyze(sp, layout_for(layout))
    uids = [r[0] for r in scope.rows("SELECT scene_uid FROM {scene} WHERE script_id = $s AND version = $v "
                                     "ORDER BY ordinal", {"s": script_id, "v": v})]
    if len(uids) != len(analysis.scenes):
        raise StoreError(f"script {script_id!r} v{v}: {len(uids)} stored scenes but the source gives "
                         f"{len(analysis.scenes)}; the parser changed since ingest: ingest the script again")
    return StoredScript(script_id, v, title, analysis, uids)


def default_script_id(scope: ProjectScope) -> str:
    """The project's script when it has one (most projects); asks the user to choose otherwise."""
    ids = [r[0] for r in scope.rows("SELECT script_id FROM {script} ORDER BY created_at, script_id")]
    if not ids:
        raise NotFound(f"project {scope.project_id!r} has no script yet; run `studio ingest FILE` first")
    if len(ids) > 1:
        raise Invalid(f"project {scope.project_id!r} has several scripts ({', '.join(ids)}); name one")
    return ids[0]


def script_id_or_only(scope: ProjectScope, script_id: str | None = None) -> str:
    """The named script, or the project's only one."""
    return script_id or default_script_id(scope)


def load(scope: ProjectScope, script_id: str | None = None, version: int | None = None) -> StoredScript:
    """A stored version (the project's only script and its latest version by default)."""
    return load_analysis(scope, script_id_or_only(scope, script_id), version)


def changes(scope: ProjectScope, script_id: str, version: int | None = None) -> dict:
    """What changed in a version against the one before (scene by scene), as stored at ingest."""
    v = version_of(scope, script_id, version)
    row = scope.one("SELECT changes FROM {script_version} WHERE script_id = $s AND version = $v",
                    {"s": script_id, "v": v})
    return json.loads(row[0]) if row and row[0] else {}


def scripts_frame(scope: ProjectScope) -> pl.DataFrame:
    return scope.sql("SELECT script_id, title, created_at FROM {script} ORDER BY script_id")


def versions_frame(scope: ProjectScope, script_id: str | None = None) -> pl.DataFrame:
    return scope.sql(
        """SELECT script_id, version, title, source_name, pages, scenes, ingested_at,
                  json_extract(changes, '$.summary') AS changes
           FROM {script_version} WHERE $s IS NULL OR script_id = $s ORDER BY script_id, version""",
        {"s": script_id},
    )
