"""The Studio: one object bound to a store, a tenant and a project; its methods are the
operations of every engine. The CLI, notebooks, dashboards and (later) the API all go through it.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from .screenplay.analysis import ScriptAnalysis, analyze, load_script
from .screenplay.errors import ScreenplayError
from .screenplay.pagination import layout_for
from .settings import Settings
from .store import Migration, ProjectScope, Store
from .writing import scripts

#: Every engine's tables, applied when a store opens.
ALL_MIGRATIONS: tuple[Migration, ...] = (*scripts.MIGRATIONS,)


class Studio:
    def __init__(self, store: Store, tenant: str, project: str, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or Settings()
        self.tenant = tenant
        self.project = project
        self.scope: ProjectScope = (
            store.scope(tenant, project) if store.read_only else store.ensure_project(tenant, project)
        )

    @classmethod
    def open(cls, settings: Settings | None = None, *, project: str | None = None, tenant: str | None = None,
             read_only: bool = False, store_path: str | Path | None = None) -> Studio:
        s = settings or Settings.from_env()
        path = store_path if store_path is not None else s.store
        store = Store.open(path, read_only=read_only, migrations=ALL_MIGRATIONS)
        try:
            return cls(store, tenant or s.tenant, project or s.project, s)
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- screenplay -------------------------------------------------------------------------
    def analyze_file(self, path: str | Path, *, encoding: str = "utf-8", paper: str | None = None) -> ScriptAnalysis:
        sp = load_script(path, encoding=encoding, max_bytes=self.settings.max_script_mb * 1024 * 1024)
        return analyze(sp, layout_for(paper or self.settings.paper))

    def ingest_script(self, path: str | Path, *, script_id: str | None = None, encoding: str = "utf-8",
                      paper: str | None = None) -> scripts.IngestReport:
        """Parse, paginate and store a script as a new version (or nothing, if unchanged)."""
        p = Path(path)
        analysis = self.analyze_file(p, encoding=encoding, paper=paper)
        raw = p.read_bytes()
        fmt = "fdx" if p.suffix.lower() == ".fdx" else "fountain"
        try:
            text = raw.decode("utf-8-sig") if fmt == "fdx" else raw.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError as exc:  # the parser accepted it with another encoding
            raise ScreenplayError(f"cannot store the source text: {exc}", str(p)) from None
        return scripts.ingest(self.scope, analysis, text, source_name=p.name, source_format=fmt, script_id=script_id)

    def scripts(self) -> pl.DataFrame:
        return self.scope.sql("SELECT script_id, title, created_at FROM {script} ORDER BY script_id")

    def versions(self, script_id: str | None = None) -> pl.DataFrame:
        return scripts.versions_frame(self.scope, script_id)

    def scenes(self, script_id: str, version: int | None = None) -> pl.DataFrame:
        return scripts.scenes_frame(self.scope, script_id, version)

    def changes(self, script_id: str, version: int | None = None) -> dict:
        import json

        v = version or scripts.latest_version(self.scope, script_id)
        row = self.scope.one("SELECT changes FROM {script_version} WHERE script_id = $s AND version = $v",
                             {"s": script_id, "v": v})
        return json.loads(row[0]) if row and row[0] else {}
