"""The producer dashboard: what is in the script, how long it runs, who is in it, what changed.

Serve it with ``panel serve dashboards/producer.py`` (``STUDIO_STORE``, ``STUDIO_TENANT`` and
``STUDIO_PROJECT`` choose what it reads), or show ``build_app(studio)`` in a notebook.

It never writes and never holds the store: DuckDB keeps a writer out while any other process has
the file open, so each read opens the store read-only, copies what the page needs into memory and
closes it again. While a writer owns the store, point ``STUDIO_STORE`` at a snapshot
(``Store.snapshot(path)`` / ``studio snapshot``) instead.

This module is the app: the pickers, the tabs and the reads (:class:`StoreReader`). The pages are
plain functions ``(studio, script_id) -> viewable``, one module each under ``dashboards/pages/``,
listed in tab order in :data:`PAGES`; a page reads everything it shows through the Studio while it
is called (the studio is closed afterwards).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb
import holoviews as hv
import panel as pn
import param

from studio_kit.settings import Settings
from studio_kit.store import Store, StoreError
from studio_kit.studio import ALL_MIGRATIONS, AccessDenied, Studio

# `panel serve dashboards/producer.py` runs this file as a script with dashboards/ on sys.path, not
# the repository root (Bokeh puts the script's folder first, and only while the script runs); the
# pages are the package dashboards.pages, so the root goes first. Already there: imported as
# dashboards.producer, under pytest, or served with `python -m panel` from the root.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from dashboards.pages import (  # noqa: E402  (after the sys.path fix above)
    approvals,
    boards,
    budget,
    callsheet,
    characters,
    dood,
    jobs,
    script,
    stripboard,
    timeline,
    usage,
)

hv.extension("bokeh", logo=False)
pn.extension("tabulator", notifications=False)

#: A dashboard page: given a Studio bound to the chosen project and a script id, the page's content.
PageBuilder = Callable[[Studio, str], pn.viewable.Viewable]

#: The dashboard's pages, in tab order. A new page is a module under dashboards/pages/ and one entry
#: here (or pass ``pages=`` to build_app).
PAGES: dict[str, PageBuilder] = {
    "Script": script.script_page,
    "Stripboard": stripboard.stripboard_page,
    "DOOD": dood.dood_page,
    "Budget": budget.budget_page,
    "Call sheet": callsheet.callsheet_page,
    "Characters": characters.characters_page,
    "Boards": boards.boards_page,
    "Jobs": jobs.jobs_page,
    "Approvals": approvals.approvals_page,
    "Usage": usage.usage_page,
    "Timeline": timeline.timeline_page,
}


# -- reading the store ----------------------------------------------------------------------------


class StoreReader:
    """Where the dashboard reads from: a store path opened read-only per read, or an open Studio.

    With a path, every read opens and closes the store, so the dashboard never keeps a writer out
    for longer than one page takes to read. With a Studio (a notebook that owns the store), reads go
    through that Studio's connection, which the reader never closes and never writes through.
    """

    def __init__(self, source: Studio | str | Path, tenant: str | None = None,
                 settings: Settings | None = None) -> None:
        self._studio = source if isinstance(source, Studio) else None
        if self._studio is not None:
            self.settings = self._studio.settings
            self.tenant = tenant or self._studio.tenant
            self.path = self._studio.store.path
        else:
            self.settings = settings or Settings.from_env()
            self.tenant = tenant or self.settings.tenant
            self.path = Path(source)

    @contextmanager
    def store(self) -> Iterator[Store]:
        if self._studio is not None:
            yield self._studio.store
            return
        store = Store.open(self.path, read_only=True, migrations=ALL_MIGRATIONS)
        try:
            yield store
        finally:
            store.close()

    def projects(self) -> list[str]:
        with self.store() as store:
            return store.projects(self.tenant)["project_id"].to_list()

    @contextmanager
    def studio(self, project: str) -> Iterator[Studio]:
        """A Studio on ``project`` for the length of one read."""
        with self.store() as store:
            if store.read_only:
                yield Studio(store, self.tenant, project, self.settings)
            else:  # the owner's Studio: rebind a copy to the project without the write Studio() would do
                base = self._studio
                assert base is not None
                if base.tenant == self.tenant and base.project == project:
                    yield base
                else:
                    yield base.for_project(project)

    def scripts(self, project: str) -> dict[str, str]:
        """Label -> script id for the project's scripts, the most recently created last."""
        with self.studio(project) as studio:
            frame = studio.scripts().sort(["created_at", "script_id"])
        return {f"{r['title']} ({r['script_id']})": r["script_id"] for r in frame.iter_rows(named=True)}


# -- the app ------------------------------------------------------------------------------------------

_READ_ERRORS = (StoreError, ValueError, duckdb.Error, AccessDenied)


class _Selection(param.Parameterized):
    #: (project, script_id); one value so that pages re-render once per change of either.
    current = param.Tuple(default=("", ""), length=2)


class ProducerDashboard:
    """Project and script pickers over tabs of pages; every page follows the pickers."""

    def __init__(self, reader: StoreReader, project: str | None = None,
                 pages: Mapping[str, PageBuilder] | None = None) -> None:
        self.reader = reader
        self.pages = dict(PAGES if pages is None else pages)
        if not self.pages:
            raise ValueError("the dashboard needs at least one page (pages={name: builder})")
        self.selection = _Selection()
        self._quiet = False
        self.message = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width")
        on_bar = ["label { color: #f4f6fa; }"]
        self.project_select = pn.widgets.Select(label="Project", options=[], width=220, stylesheets=on_bar)
        self.script_select = pn.widgets.Select(label="Script", options={}, width=260, stylesheets=on_bar)
        self.reload_button = pn.widgets.Button(label="Reload", width=90,
                                               align="end", description="read the store again")
        self.tabs = pn.Tabs(*((name, self._page_view(name)) for name in self.pages), dynamic=True,
                            sizing_mode="stretch_width")
        self.project_select.param.watch(self._on_project, "value")
        self.script_select.param.watch(self._on_script, "value")
        self.reload_button.on_click(self._on_reload)
        self._load_projects(project)

    def _page_view(self, name: str) -> pn.viewable.Viewable:
        # lazy: a page is read and built when its tab is first shown, not for every tab on every visit.
        return pn.param.ParamFunction(pn.bind(self._render, name=name, current=self.selection.param.current),
                                      lazy=True, loading_indicator=True, sizing_mode="stretch_width")

    def _render(self, name: str, current: tuple[str, str]) -> pn.viewable.Viewable:
        project, script_id = current
        if not project:
            return pn.pane.Alert(f"No projects for tenant {self.reader.tenant!r} in {self.reader.path}. "
                                 "Store a script first: `studio ingest SCRIPT.fountain -p PROJECT`.",
                                 alert_type="info")
        if not script_id:
            return pn.pane.Alert(f"Project {project!r} has no script yet: "
                                 f"`studio ingest SCRIPT.fountain -p {project}`.", alert_type="info")
        try:
            with self.reader.studio(project) as studio:
                return self.pages[name](studio, script_id)
        except _READ_ERRORS as exc:
            return pn.pane.Alert(f"The {name} page could not read project {project!r}: {exc}",
                                 alert_type="danger")

    def _show_error(self, exc: Exception | None) -> None:
        self.message.object = str(exc) if exc else ""
        self.message.visible = exc is not None

    def _load_projects(self, preferred: str | None) -> None:
        try:
            projects = self.reader.projects()
        except _READ_ERRORS as exc:
            self._show_error(exc)
            return
        self._show_error(None)
        keep = preferred if preferred in projects else (projects[0] if projects else None)
        self.project_select.options = projects
        if self.project_select.value == keep:
            self._select_project(keep)
        else:
            self.project_select.value = keep  # the watcher selects it

    def _select_project(self, project: str | None) -> None:
        if not project:
            self.selection.current = ("", "")
            return
        try:
            scripts = self.reader.scripts(project)
        except _READ_ERRORS as exc:
            self._show_error(exc)
            return
        ids = list(scripts.values())
        keep = self.script_select.value if self.script_select.value in ids else (ids[-1] if ids else None)
        self._quiet = True  # one re-render per project change, not one for the script too
        try:
            self.script_select.param.update(options=scripts, value=keep)
        finally:
            self._quiet = False
        self.selection.current = (project, keep or "")

    def _on_project(self, event: param.parameterized.Event) -> None:
        self._select_project(event.new)

    def _on_script(self, event: param.parameterized.Event) -> None:
        if self._quiet:
            return
        self.selection.current = (self.project_select.value or "", event.new or "")

    def _on_reload(self, _event: object) -> None:
        self._load_projects(self.project_select.value)
        self.selection.param.trigger("current")

    def view(self) -> pn.viewable.Viewable:
        bar = pn.Row(
            pn.pane.HTML("<div class='brand'><b>studio_kit</b> · Producer</div>",
                         styles={"font-size": "20px", "color": "white", "padding-top": "14px"}, width=260),
            self.project_select, self.script_select, self.reload_button,
            styles={"background": "#23395b", "padding": "4px 12px", "border-radius": "4px"},
            sizing_mode="stretch_width",
        )
        return pn.Column(bar, self.message, self.tabs, sizing_mode="stretch_width",
                         css_classes=["producer-dashboard"])


def build_app(studio_or_store_path: Studio | str | Path, *, tenant: str | None = None,
              project: str | None = None, pages: Mapping[str, PageBuilder] | None = None,
              settings: Settings | None = None) -> pn.viewable.Viewable:
    """The producer dashboard over an open Studio or a store path (opened read-only per read).

    ``project`` is the one shown first (default: the Studio's, or the tenant's first project);
    ``pages`` replaces :data:`PAGES`.
    """
    reader = StoreReader(studio_or_store_path, tenant=tenant, settings=settings)
    first = project or (studio_or_store_path.project if isinstance(studio_or_store_path, Studio) else None)
    return ProducerDashboard(reader, project=first, pages=pages).view()


def _served_app() -> pn.viewable.Viewable:
    s = Settings.from_env()
    return build_app(s.store, tenant=s.tenant, project=s.project, settings=s)


if pn.state.served:
    _served_app().servable(title="studio_kit · Producer")
