"""The Character engine's tables: characters, their versions (bible + lock) and every image made
of them with its consistency score.

Versions are append-only once locked: a locked version is what shots were made from, so changing
it would silently change history. Editing a locked character writes a new (draft) version; images
made from an older version than the character's current lock read back as ``stale``.
"""

from __future__ import annotations

import json

import polars as pl

from ..common.clock import utc_now
from ..common.errors import NotFound
from ..store import Migration, ProjectScope, StoreError
from .bible import Bible, Character, CharacterVersion, Lock

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "characters",
        1,
        "characters, versions with bible and lock, images with consistency",
        """
        CREATE TABLE character (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            character_id VARCHAR NOT NULL, name VARCHAR NOT NULL, cast_id INTEGER NOT NULL,
            script_id VARCHAR, scenes JSON NOT NULL, speaking_scenes INTEGER NOT NULL,
            story_days JSON NOT NULL, created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, character_id)
        );
        CREATE TABLE character_version (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            character_id VARCHAR NOT NULL, version INTEGER NOT NULL,
            bible JSON NOT NULL, lock JSON, note VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL, locked_at TIMESTAMP,
            PRIMARY KEY (tenant_id, project_id, character_id, version)
        );
        CREATE TABLE character_image (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            image_id VARCHAR NOT NULL, character_id VARCHAR NOT NULL, version INTEGER NOT NULL,
            kind VARCHAR NOT NULL, label VARCHAR NOT NULL, scene VARCHAR NOT NULL,
            job_id VARCHAR, artifact VARCHAR NOT NULL, path VARCHAR NOT NULL,
            box JSON, score DOUBLE, threshold DOUBLE, drift BOOLEAN NOT NULL,
            embedder VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, image_id, character_id)
        );
        """,
        scoped=("character", "character_version", "character_image"),
    ),
    Migration(
        "characters",
        2,
        "composed character sheets as versioned artifacts",
        """
        CREATE TABLE character_sheet (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            character_id VARCHAR NOT NULL, version INTEGER NOT NULL,
            artifact VARCHAR NOT NULL, path VARCHAR NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
            tiles JSON NOT NULL, created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, character_id, version, artifact)
        );
        """,
        scoped=("character_sheet",),
    ),
)


def save_characters(scope: ProjectScope, script_id: str, characters: list[Character],
                    drafts: dict[str, Bible]) -> list[str]:
    """Add the script's characters that are new to the project, each with a draft version 1;
    characters already there keep their versions (their scenes are refreshed). One transaction."""
    added = []
    with scope.transaction():
        for c in characters:
            exists = scope.one("SELECT 1 FROM {character} WHERE character_id = $c", {"c": c.character_id})
            row = {"scenes": json.dumps(list(c.scenes)), "speaking_scenes": c.speaking_scenes,
                   "story_days": json.dumps(list(c.story_days)), "cast_id": c.cast_id, "script_id": script_id}
            if exists:
                scope.update("character", row, "character_id = $c", {"c": c.character_id})
                continue
            scope.insert("character", [{"character_id": c.character_id, "name": c.name, "created_at": utc_now(), **row}])
            scope.insert("character_version", [{
                "character_id": c.character_id, "version": 1, "bible": json.dumps(drafts[c.character_id].to_dict()),
                "lock": None, "note": "draft from the script", "created_at": utc_now(), "locked_at": None}])
            added.append(c.character_id)
    return added


def characters_frame(scope: ProjectScope) -> pl.DataFrame:
    """One row per character: cast id, scenes, current version, locked version, image counts."""
    return scope.sql(
        """SELECT c.character_id, c.name, c.cast_id, json_array_length(c.scenes) AS scenes, c.speaking_scenes,
                  v.version AS version, lv.locked_version,
                  (SELECT count(*) FROM {character_image} i WHERE i.character_id = c.character_id) AS images,
                  (SELECT count(*) FROM {character_image} i WHERE i.character_id = c.character_id AND i.drift)
                      AS drifted
           FROM {character} c
           JOIN (SELECT character_id, max(version) AS version FROM {character_version} GROUP BY character_id) v
             USING (character_id)
           LEFT JOIN (SELECT character_id, max(version) AS locked_version FROM {character_version}
                      WHERE lock IS NOT NULL GROUP BY character_id) lv USING (character_id)
           ORDER BY c.cast_id, c.character_id""")


def get_character(scope: ProjectScope, character_id: str) -> Character:
    row = scope.one("SELECT character_id, name, cast_id, scenes, speaking_scenes, story_days FROM {character} "
                    "WHERE character_id = $c", {"c": character_id})
    if row is None:
        known = [r[0] for r in scope.rows("SELECT character_id FROM {character} ORDER BY cast_id")]
        raise NotFound(f"no character {character_id!r} in project {scope.project_id!r}; known: "
                         f"{', '.join(known) or 'none (run `studio characters create` first)'}")
    return Character(row[0], row[1], int(row[2]), tuple(json.loads(row[3])), int(row[4]), tuple(json.loads(row[5])))


def _version(row: tuple) -> CharacterVersion:
    cid, version, bible, lock, note = row
    return CharacterVersion(cid, int(version), Bible.from_dict(json.loads(bible)),
                            Lock.from_dict(json.loads(lock)) if lock else None, note)


def get_version(scope: ProjectScope, character_id: str, version: int | None = None) -> CharacterVersion:
    """A version (default: the latest)."""
    get_character(scope, character_id)
    q = "SELECT character_id, version, bible, lock, note FROM {character_version} WHERE character_id = $c"
    row = scope.one(q + (" AND version = $v" if version else " ORDER BY version DESC LIMIT 1"),
                    {"c": character_id, **({"v": version} if version else {})})
    if row is None:
        raise NotFound(f"character {character_id!r} has no version {version}")
    return _version(row)


def locked_version(scope: ProjectScope, character_id: str) -> CharacterVersion | None:
    """The version every generation that names the character uses: the newest locked one."""
    row = scope.one("SELECT character_id, version, bible, lock, note FROM {character_version} "
                    "WHERE character_id = $c AND lock IS NOT NULL ORDER BY version DESC LIMIT 1",
                    {"c": character_id})
    return _version(row) if row else None


def versions_frame(scope: ProjectScope, character_id: str) -> pl.DataFrame:
    return scope.sql("SELECT version, lock IS NOT NULL AS locked, note, created_at, locked_at, bible "
                     "FROM {character_version} WHERE character_id = $c ORDER BY version", {"c": character_id})


def save_bible(scope: ProjectScope, character_id: str, bible: Bible, note: str) -> CharacterVersion:
    """Store an edited bible: in place on an unlocked latest version, as a new version after a lock."""
    latest = get_version(scope, character_id)
    with scope.transaction():
        if latest.locked:
            v = latest.version + 1
            scope.insert("character_version", [{
                "character_id": character_id, "version": v, "bible": json.dumps(bible.to_dict()), "lock": None,
                "note": note, "created_at": utc_now(), "locked_at": None}])
        else:
            v = latest.version
            scope.update("character_version", {"bible": json.dumps(bible.to_dict()), "note": note},
                         "character_id = $c AND version = $v", {"c": character_id, "v": v})
    return CharacterVersion(character_id, v, bible, None, note)


def save_lock(scope: ProjectScope, character_id: str, version: int, lock: Lock) -> CharacterVersion:
    """Freeze a version. A locked version is never changed again."""
    cur = get_version(scope, character_id, version)
    if cur.locked:
        raise StoreError(f"character {character_id!r} version {version} is already locked; edit the bible to "
                         "make a new version, then lock that")
    with scope.transaction():
        scope.update("character_version", {"lock": json.dumps(lock.to_dict()), "locked_at": utc_now()},
                     "character_id = $c AND version = $v AND lock IS NULL", {"c": character_id, "v": version})
    return CharacterVersion(character_id, version, cur.bible, lock, cur.note)


def record_images(scope: ProjectScope, rows: list[dict]) -> int:
    """Store images of characters with their scores; an image already recorded (same image and
    character, e.g. a replayed job) is skipped, so nothing is counted twice. One transaction."""
    if not rows:
        return 0
    with scope.transaction():
        seen = {(i, c) for i, c in scope.rows(
            "SELECT image_id, character_id FROM {character_image} WHERE list_contains($ids, image_id)",
            {"ids": sorted({r["image_id"] for r in rows})})}
        new = []
        for r in rows:
            if (r["image_id"], r["character_id"]) in seen:
                continue
            seen.add((r["image_id"], r["character_id"]))
            new.append({**r, "box": json.dumps(r.get("box")), "created_at": utc_now()})
        if new:
            scope.insert("character_image", new)
    return len(new)


def images_frame(scope: ProjectScope, character_id: str | None = None, kind: str | None = None) -> pl.DataFrame:
    """Images with their consistency and whether they were made from a version older than the
    character's current lock (``stale``: regenerate or accept)."""
    where, params = [], {}
    if character_id:
        where.append("i.character_id = $c")
        params["c"] = character_id
    if kind:
        where.append("i.kind = $k")
        params["k"] = kind
    return scope.sql(
        f"""SELECT i.image_id, i.character_id, i.version, i.kind, i.label, i.scene, i.job_id, i.artifact, i.path,
                   i.box, i.score, i.threshold, i.drift, i.embedder, i.created_at,
                   coalesce(i.version < lv.locked_version, FALSE) AS stale
            FROM {{character_image}} i
            LEFT JOIN (SELECT character_id, max(version) AS locked_version FROM {{character_version}}
                       WHERE lock IS NOT NULL GROUP BY character_id) lv USING (character_id)
            {"WHERE " + " AND ".join(where) if where else ""}
            ORDER BY i.created_at, i.image_id, i.character_id""", params)


def record_sheet(scope: ProjectScope, character_id: str, version: int, artifact: str, path: str,
                 size: tuple[int, int], tiles: list[str]) -> bool:
    """Store a composed sheet (content-addressed PNG) under its character version; the same sheet
    twice is stored once."""
    with scope.transaction():
        if scope.one("SELECT 1 FROM {character_sheet} WHERE character_id = $c AND version = $v AND artifact = $a",
                     {"c": character_id, "v": version, "a": artifact}):
            return False
        scope.insert("character_sheet", [{"character_id": character_id, "version": version, "artifact": artifact,
                                          "path": path, "width": size[0], "height": size[1],
                                          "tiles": json.dumps(tiles), "created_at": utc_now()}])
    return True


def sheets_frame(scope: ProjectScope, character_id: str | None = None) -> pl.DataFrame:
    """Composed sheets per character version, newest first."""
    where = "WHERE character_id = $c" if character_id else ""
    return scope.sql(f"SELECT character_id, version, artifact, path, width, height, tiles, created_at "
                     f"FROM {{character_sheet}} {where} ORDER BY character_id, version DESC, created_at DESC",
                     {"c": character_id} if character_id else {})
