"""The production database: one DuckDB file, one writer process, every row scoped.

Why this shape:
- DuckDB locks the file for a single read-write process; we turn its raw lock error into a
  message that explains the one-writer rule and what to do instead.
- Engines bring their own tables as versioned :class:`Migration` s; the store applies them on
  open, each in its own transaction, and records them in ``schema_migrations``.
- Production tables declare themselves *scoped*: they must carry ``tenant_id`` and
  ``project_id``, and engines reach them only through :class:`ProjectScope`, which adds both
  predicates to every read, write and delete. Reading across tenants takes a deliberate detour.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from ..common.clock import utc_now
from ..common.errors import Conflict, NotFound, Unavailable
from ..common.files import atomic_path


class StoreError(Conflict):
    """A problem with the production database that the user can act on (a read-only store, a
    schema that needs updating, a record that already exists)."""


class StoreLockedError(Unavailable, StoreError):
    """Another process holds the store open for writing."""


class ScopeError(StoreError):
    """A query tried to reach a table outside the project scope."""


class ProjectNotFound(NotFound, ScopeError):
    """No such project in this tenant (another tenant's project reads the same)."""


@dataclass(frozen=True)
class Migration:
    """One versioned step of one component's schema.

    ``scoped`` names the tables this step creates that hold production rows; the store checks
    they carry ``tenant_id`` and ``project_id`` and lets :class:`ProjectScope` reach them.
    """

    component: str
    version: int
    name: str
    sql: str
    scoped: tuple[str, ...] = ()

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]


#: The store's own schema: tenants and projects, the roots every production row hangs from.
CORE_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "core",
        1,
        "tenants and projects",
        """
        CREATE TABLE tenant (
            tenant_id   VARCHAR PRIMARY KEY,
            name        VARCHAR NOT NULL,
            created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE project (
            tenant_id   VARCHAR NOT NULL REFERENCES tenant(tenant_id),
            project_id  VARCHAR NOT NULL,
            name        VARCHAR NOT NULL,
            created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
            settings    JSON,
            PRIMARY KEY (tenant_id, project_id)
        );
        """,
    ),
)

_LOCK_PID_RE = re.compile(r"held in (.+?) \(PID (\d+)\)")
_PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,62}$")


class Store:
    """An open production database. Use :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None, read_only: bool,
                 scoped_tables: set[str]) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only
        self.scoped_tables = scoped_tables
        self._in_tx = False

    # -- opening ------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path | None, *, read_only: bool = False,
             migrations: Sequence[Migration] = ()) -> Store:
        """Open (creating if needed) the store at ``path`` (``None`` or ``":memory:"``: in memory)
        and bring its schema up to date. Read-only opens never migrate."""
        all_migrations = list(CORE_MIGRATIONS) + [m for m in migrations if m.component != "core"]
        memory = path is None or str(path) == ":memory:"
        p = None if memory else Path(path).expanduser()
        if p is not None:
            if read_only and not p.exists():
                raise StoreError(f"{p}: no store here yet; run `studio ingest` or `studio demo` to create it")
            p.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(":memory:" if p is None else str(p), read_only=read_only)
        except duckdb.IOException as exc:
            raise _explain_lock(p, read_only, exc) from None
        except duckdb.Error as exc:
            raise StoreError(f"{p}: cannot open the store: {exc}") from None
        store = cls(con, p, read_only, set())
        try:
            store._migrate(all_migrations)
        except BaseException:
            con.close()
            raise
        return store

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- migrations ---------------------------------------------------------------------------
    def _migrate(self, migrations: list[Migration]) -> None:
        seen: set[tuple[str, int]] = set()
        for m in migrations:
            if (m.component, m.version) in seen:
                raise StoreError(f"migration {m.component} v{m.version} is defined twice")
            seen.add((m.component, m.version))
        has_table = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        ).fetchall()[0][0]
        applied: dict[tuple[str, int], str] = {}
        if has_table:
            for comp, ver, checksum in self.con.execute(
                "SELECT component, version, checksum FROM schema_migrations"
            ).fetchall():
                applied[(comp, ver)] = checksum
        elif not self.read_only:
            self.con.execute(
                """CREATE TABLE schema_migrations (
                       component VARCHAR NOT NULL, version INTEGER NOT NULL, name VARCHAR NOT NULL,
                       checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL,
                       PRIMARY KEY (component, version))"""
            )
        known_components = {m.component for m in migrations}
        for (comp, ver), _ in applied.items():
            if comp in known_components and (comp, ver) not in seen:
                raise StoreError(
                    f"{self.path}: the store has {comp} schema v{ver}, newer than this studio_kit knows; "
                    "upgrade studio_kit (pip install -U studio_kit) before opening it"
                )
        pending = sorted((m for m in migrations if (m.component, m.version) not in applied),
                         key=lambda m: (m.component != "core", m.component, m.version))
        for m in migrations:
            key = (m.component, m.version)
            if key in applied and applied[key] != m.checksum:
                raise StoreError(
                    f"{self.path}: migration {m.component} v{m.version} ({m.name}) was changed after it was "
                    "applied; add a new migration version instead of editing an applied one"
                )
        if pending and self.read_only:
            names = ", ".join(f"{m.component} v{m.version}" for m in pending)
            raise StoreError(
                f"{self.path}: the store needs schema updates ({names}); open it once for writing "
                "(e.g. `studio ingest` or `studio demo`) to apply them"
            )
        for m in pending:
            with self.transaction():
                self.con.execute(m.sql)
                self.con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?, ?, ?)",
                    [m.component, m.version, m.name, m.checksum, utc_now()],
                )
        for m in migrations:
            for table in m.scoped:
                self._check_scoped(table, m)
                self.scoped_tables.add(table)

    def _check_scoped(self, table: str, m: Migration) -> None:
        cols = {r[0] for r in self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall()}
        if not cols:
            raise StoreError(f"migration {m.component} v{m.version} declares table {table!r}, which does not exist")
        if not {"tenant_id", "project_id"} <= cols:
            raise StoreError(f"table {table!r} ({m.component}) holds production rows but lacks tenant_id/project_id")

    def snapshot(self, dest: str | Path) -> Path:
        """Copy the whole store to ``dest`` in one consistent read, for readers while this process writes."""
        d = Path(dest)
        current = self.con.execute("SELECT current_database()").fetchall()[0][0]
        with atomic_path(d, suffix=".duckdb") as tmp:
            self.con.execute(f"ATTACH '{tmp.as_posix()}' AS sk_snapshot")
            try:
                self.con.execute(f'COPY FROM DATABASE "{current}" TO sk_snapshot')
            finally:
                self.con.execute("DETACH sk_snapshot")
        return d

    def schema_versions(self) -> dict[str, int]:
        rows = self.con.execute("SELECT component, max(version) FROM schema_migrations GROUP BY 1").fetchall()
        return dict(rows)

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: everything inside commits together or not at all. Nested use joins
        the outer transaction."""
        self._require_writable()
        if self._in_tx:
            yield self.con
            return
        self.con.execute("BEGIN TRANSACTION")
        self._in_tx = True
        try:
            yield self.con
        except BaseException:
            self._in_tx = False
            self.con.execute("ROLLBACK")
            raise
        else:
            self._in_tx = False
            self.con.execute("COMMIT")

    def _require_writable(self) -> None:
        if self.read_only:
            raise StoreError(
                f"{self.path}: this store is open read-only; writes go through the process that owns it "
                "(the notebook, `studio` command or API server that opened it for writing)"
            )

    # -- tenants and projects -----------------------------------------------------------------
    def ensure_tenant(self, tenant_id: str, name: str | None = None) -> str:
        _check_slug(tenant_id, "tenant")
        with self.transaction():
            self.con.execute(
                "INSERT INTO tenant (tenant_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [tenant_id, name or tenant_id],
            )
        return tenant_id

    def ensure_project(self, tenant_id: str, project_id: str, name: str | None = None) -> ProjectScope:
        _check_slug(project_id, "project")
        with self.transaction():
            self.ensure_tenant(tenant_id)
            self.con.execute(
                "INSERT INTO project (tenant_id, project_id, name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [tenant_id, project_id, name or project_id],
            )
        return self.scope(tenant_id, project_id)

    def project_settings(self, tenant_id: str, project_id: str) -> dict[str, Any]:
        """A project's own settings (sheet colours, defaults), as stored with the project."""
        row = self.con.execute("SELECT settings FROM project WHERE tenant_id = ? AND project_id = ?",
                               [tenant_id, project_id]).fetchone()
        if row is None:
            raise ProjectNotFound(f"no project {project_id!r} for tenant {tenant_id!r}")
        return json.loads(row[0]) if row[0] else {}

    def update_project_settings(self, tenant_id: str, project_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``values`` into the project's settings (a key set to None is removed), atomically."""
        self._require_writable()
        with self.transaction():
            current = self.project_settings(tenant_id, project_id)
            current.update(values)
            current = {k: v for k, v in current.items() if v is not None}
            self.con.execute("UPDATE project SET settings = ? WHERE tenant_id = ? AND project_id = ?",
                             [json.dumps(current), tenant_id, project_id])
        return current

    def projects(self, tenant_id: str) -> pl.DataFrame:
        return self.con.sql(
            "SELECT project_id, name, created_at FROM project WHERE tenant_id = $t ORDER BY project_id",
            params={"t": tenant_id},
        ).pl()

    def scope(self, tenant_id: str, project_id: str) -> ProjectScope:
        """The only door to production rows: everything through it is filtered by tenant and project."""
        rows = self.con.execute(
            "SELECT 1 FROM project WHERE tenant_id = ? AND project_id = ?", [tenant_id, project_id]
        ).fetchall()
        if not rows:
            raise ProjectNotFound(
                f"no project {project_id!r} for tenant {tenant_id!r}; create it first (studio ingest --project ...)"
            )
        return ProjectScope(self, tenant_id, project_id)


@dataclass
class ProjectScope:
    """Reads and writes of one project of one tenant.

    Scoped SQL names tables as ``{table}``; each becomes a sub-query already filtered by tenant
    and project (alias it when joining: ``FROM {scene} s``). Parameters are named (``$name``).
    """

    store: Store
    tenant_id: str
    project_id: str
    _cache: dict[str, str] = field(default_factory=dict, repr=False)

    def _expand(self, query: str) -> str:
        def sub(m: re.Match[str]) -> str:
            table = m.group(1)
            if table not in self.store.scoped_tables:
                raise ScopeError(f"{{{table}}} is not a project table (known: {', '.join(sorted(self.store.scoped_tables))})")
            return f"(SELECT * FROM {table} WHERE tenant_id = $sk_tenant AND project_id = $sk_project)"

        expanded = _PLACEHOLDER_RE.sub(sub, query)
        bare = set(re.findall(r"\b([a-z_][a-z0-9_]*)\b", _PLACEHOLDER_RE.sub("", query).lower()))
        leaked = bare & self.store.scoped_tables
        if leaked and re.search(r"\b(from|join|into|update)\s+(" + "|".join(leaked) + r")\b", query, re.I):
            raise ScopeError(f"scoped queries must name project tables as {{table}}, not bare: {sorted(leaked)}")
        return expanded

    def _params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        p = dict(params or {})
        p["sk_tenant"] = self.tenant_id
        p["sk_project"] = self.project_id
        return p

    def sql(self, query: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
        """Run a scoped read and return a Polars frame."""
        return self.store.con.sql(self._expand(query), params=self._params(params)).pl()

    def arrow(self, query: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        rel = self.store.con.sql(self._expand(query), params=self._params(params))
        return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()

    def rows(self, query: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
        return self.store.con.execute(self._expand(query), self._params(params)).fetchall()

    def one(self, query: str, params: Mapping[str, Any] | None = None) -> tuple | None:
        """The first row or None. (Fetches all: DuckDB 2 blocks a connection on a half-read result.)"""
        rows = self.store.con.execute(self._expand(query), self._params(params)).fetchall()
        return rows[0] if rows else None

    def transaction(self) -> Any:
        return self.store.transaction()

    def insert(self, table: str, rows: Iterable[Mapping[str, Any]] | pl.DataFrame) -> int:
        """Insert rows into a project table, stamping tenant and project (a row may not set them)."""
        self._table(table)
        frame = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(list(rows), infer_schema_length=None)
        if frame.is_empty():
            return 0
        if {"tenant_id", "project_id"} & set(frame.columns):
            raise ScopeError(f"rows for {table!r} may not set tenant_id/project_id; the scope stamps them")
        frame = frame.with_columns(pl.lit(self.tenant_id).alias("tenant_id"), pl.lit(self.project_id).alias("project_id"))
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        with self.store.transaction() as con:
            con.register("_sk_rows", frame.to_arrow())
            try:
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _sk_rows")
            finally:
                with suppress(duckdb.Error):  # an aborted transaction refuses this; the next register replaces it
                    con.unregister("_sk_rows")
        return frame.height

    def update(self, table: str, values: Mapping[str, Any], where: str = "TRUE",
               params: Mapping[str, Any] | None = None) -> None:
        self._table(table)
        if {"tenant_id", "project_id"} & set(values):
            raise ScopeError("tenant_id/project_id cannot be changed")
        sets = ", ".join(f'"{k}" = $v_{k}' for k in values)
        p = self._params(params) | {f"v_{k}": v for k, v in values.items()}
        with self.store.transaction() as con:
            con.execute(
                f"UPDATE {table} SET {sets} WHERE tenant_id = $sk_tenant AND project_id = $sk_project AND ({where})", p
            )

    def delete(self, table: str, where: str, params: Mapping[str, Any] | None = None) -> None:
        self._table(table)
        with self.store.transaction() as con:
            con.execute(
                f"DELETE FROM {table} WHERE tenant_id = $sk_tenant AND project_id = $sk_project AND ({where})",
                self._params(params),
            )

    def _table(self, table: str) -> None:
        self.store._require_writable()
        if table not in self.store.scoped_tables:
            raise ScopeError(f"{table!r} is not a project table")


def _check_slug(value: str, what: str) -> None:
    if not _SLUG_RE.match(value or ""):
        raise StoreError(
            f"{what} id {value!r} is not valid: use lower-case letters, digits, '-' or '_' (max 63), e.g. 'night-train'"
        )


def _explain_lock(path: Path | None, read_only: bool, exc: Exception) -> StoreError:
    text = str(exc)
    if "lock" not in text.lower():
        return StoreError(f"{path}: cannot open the store: {text}")
    m = _LOCK_PID_RE.search(text)
    holder = f"process {m.group(2)} ({os.path.basename(m.group(1))})" if m else "another process"
    mode = "read it" if read_only else "write to it"
    return StoreLockedError(
        f"{path} is open for writing by {holder}, so this process cannot {mode}.\n"
        "studio_kit follows DuckDB's one-writer rule: one process (a notebook, `studio` command or the API "
        "server) owns the store and does all the writing. Close that process, or go through it, or read a "
        "snapshot the owner writes (Store.snapshot(path), or `studio snapshot OUT` when no one else holds the "
        "store), which any number of readers may open with read_only=True."
    )
