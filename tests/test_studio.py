"""The Studio as one service layer, at run time: each operation is checked exactly once, a read
writes nothing, the error family reaches the API as statuses, and exports are written like any
other file of the user's."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from studio_kit.common import errors
from studio_kit.common.files import atomic_path, atomic_write
from studio_kit.management import access
from studio_kit.preproduction import schedule_store
from studio_kit.preproduction.options import ScheduleOptions
from studio_kit.settings import Settings
from studio_kit.store import ProjectNotFound, StoreLockedError
from studio_kit.studio import Studio

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "night_train.fountain"


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    """A store with the sample script, its breakdown and one schedule."""
    path = tmp_path_factory.mktemp("studio") / "s.duckdb"
    with Studio.open(Settings(), store_path=path, project="film") as studio:
        studio.ingest_script(SAMPLE)
        studio.plan_schedule(start=None, options=ScheduleOptions(time_limit_s=2))
    return path


def _counting(monkeypatch, module, name) -> list:
    calls: list = []
    real = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_save_budget_checks_once_and_reads_the_schedule_once(planned, monkeypatch):
    with Studio.open(Settings(), store_path=planned, project="film") as studio:
        checks = _counting(monkeypatch, access, "authorize")
        loads = _counting(monkeypatch, schedule_store, "load_schedule")
        saved = studio.save_budget(label="once")
        assert saved.label == "once" and saved.grand_total > 0
        assert [c[2] for c in checks] == ["budget.write"]  # one check, with the operation's action
        assert len(loads) == 1


def test_every_operation_of_a_page_read_checks_once(planned, monkeypatch):
    with Studio.open(Settings(), store_path=planned, project="film") as studio:
        checks = _counting(monkeypatch, access, "authorize")
        studio.plan_budget()
        studio.dood(categories=(103, 108))
        studio.call_sheets(SAMPLE.with_name("night_train_production.toml"))
        assert [c[2] for c in checks] == ["budget.read", "project.read", "project.read"]


@pytest.mark.parametrize("version", [0, 99])
def test_a_version_that_is_not_stored_is_not_found_never_empty_or_the_latest(planned, version):
    with Studio.open(Settings(), store_path=planned, project="film", read_only=True) as studio:
        for read in (lambda: studio.scenes(script_version=version), lambda: studio.breakdown(script_version=version),
                     lambda: studio.stripboard(schedule_version=version),
                     lambda: studio.schedule(schedule_version=version)):
            with pytest.raises(errors.NotFound, match=f"no (schedule )?version {version}"):
                read()


def test_a_read_writes_nothing_not_even_a_refusal(tmp_path):
    """An artist may read the breakdown of a version nobody tagged yet: it is computed for the read,
    nothing is stored and no refusal is audited."""
    path = tmp_path / "s.duckdb"
    with Studio.open(Settings(), store_path=path, project="film") as admin:
        admin.ingest_script(SAMPLE)
        admin.add_person("ana", "Ana Artist", "ana@example.com")
        admin.set_role("ana", "artist")
        audit_before = admin.audit_log().height
        ana = Studio(admin.store, admin.tenant, "film", admin.settings,
                     user=access.principal(admin.store, admin.tenant, "ana"))
        bd = ana.breakdown()
        assert not bd.stored and bd.tags and "no stored breakdown yet" in bd.notes[-1]
        assert admin.scope.one("SELECT count(*) FROM {breakdown_tag}")[0] == 0
        assert admin.audit_log().height == audit_before
        with pytest.raises(access.AccessDenied, match="may not script.write"):
            ana.tag_breakdown()  # the write is the writer's
        assert admin.audit_log().filter(admin.audit_log()["outcome"] == "refused").height == 1
        stored = admin.tag_breakdown()
        assert stored.stored and [t.name for t in stored.tags] == [t.name for t in bd.tags]


def test_boards_of_unlisted_scenes_need_the_right_to_write_shot_lists(tmp_path):
    """An artist may draw boards, but a scene without a shot list would get one written first: that
    is script.write, refused and audited before anything runs or is stored."""
    with Studio.open(Settings(), store_path=tmp_path / "s.duckdb", project="film") as admin:
        admin.ingest_script(SAMPLE)
        admin.add_person("ana", "Ana Artist", "ana@example.com")
        admin.set_role("ana", "artist")
        ana = Studio(admin.store, admin.tenant, "film", admin.settings,
                     user=access.principal(admin.store, admin.tenant, "ana"))
        with pytest.raises(access.AccessDenied, match="may not script.write 'shot lists of 1 scene"):
            ana.make_boards(["1"])
        assert admin.shot_lists().is_empty() and admin.scope.one("SELECT count(*) FROM {breakdown_tag}")[0] == 0
        assert admin.audit_log().filter(admin.audit_log()["outcome"] == "refused")["action"].to_list() == [
            "script.write"]
        assert ana._runner_instance is None  # refused before the runner started


def test_tenant_admin_operations_refuse_a_project_manager(tmp_path):
    with Studio.open(Settings(), store_path=tmp_path / "s.duckdb", project="film") as admin:
        admin.add_person("pete", "Pete", "pete@example.com")
        admin.set_role("pete", "production_manager")
        pete = Studio(admin.store, admin.tenant, "film", admin.settings,
                      user=access.principal(admin.store, admin.tenant, "pete"))
        assert pete.members().height == 1  # member.manage in the project
        with pytest.raises(access.AccessDenied, match="ask a tenant admin"):
            pete.invoices()
        with pytest.raises(access.AccessDenied, match="ask a tenant admin"):
            pete.add_person("x", "X", "x@example.com")
        refused = admin.audit_log().filter(admin.audit_log()["outcome"] == "refused")
        assert sorted(refused["action"]) == ["invoice.read", "member.manage"]


# -- one error family, one mapping ------------------------------------------------------------------


def _app() -> FastAPI:
    from studio_kit.api.errors import install

    app = FastAPI()
    install(app)
    raising = {
        "key": KeyError("a bug"), "value": ValueError("a bug"), "type": TypeError("a bug"),
        "notfound": errors.NotFound("no scene '9'"), "invalid": errors.Invalid("size 7x7: multiples of 8"),
        "conflict": errors.Conflict("version 2 is locked"), "forbidden": access.AccessDenied("ana may not"),
        "unavailable": errors.Unavailable("ray did not start"), "locked": StoreLockedError("held by pid 7"),
        "project": ProjectNotFound("no project 'x' for tenant 'other'"),
    }
    def route_for(exc: Exception):
        def route() -> None:
            raise exc

        return route

    for name, exc in raising.items():
        app.add_api_route(f"/{name}", route_for(exc))
    return app


@pytest.mark.parametrize(("path", "status", "detail"), [
    ("key", 500, None), ("value", 500, None), ("type", 500, None),
    ("notfound", 404, "no scene '9'"), ("invalid", 422, "size 7x7: multiples of 8"),
    ("conflict", 409, "version 2 is locked"), ("forbidden", 403, "ana may not"),
    ("unavailable", 503, "ray did not start"), ("locked", 503, "held by pid 7"), ("project", 404, "not found"),
])
def test_the_api_maps_the_family_and_only_the_family(path, status, detail):
    with TestClient(_app(), raise_server_exceptions=False) as client:
        r = client.get(f"/{path}")
    assert r.status_code == status
    if detail is None:  # a bug: no internals, an id to quote
        assert r.json()["detail"].startswith("internal error") and len(r.json()["error_id"]) == 12
        assert "a bug" not in r.text
    else:
        assert r.json() == {"detail": detail}


def test_every_engine_error_is_in_the_family():
    """Each error class the engines define derives from one root (bugs are the only others)."""
    import importlib
    import inspect
    import pkgutil

    import studio_kit

    outside = []
    for info in pkgutil.walk_packages(studio_kit.__path__, "studio_kit."):
        if info.name.startswith(("studio_kit.api", "studio_kit.cli", "studio_kit.demo")):
            continue
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and issubclass(cls, Exception) and not issubclass(cls, errors.StudioError):
                outside.append(f"{info.name}.{name}")
    assert outside == ["studio_kit.management.access.NestedOperation"]  # a bug by definition


# -- files written like the user's own ---------------------------------------------------------------


def test_atomic_write_uses_the_umask_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        written = atomic_write(tmp_path / "out" / "budget.csv", "a,b\n")
        with atomic_path(tmp_path / "out" / "sheet.pdf", suffix=".pdf") as tmp:
            tmp.write_bytes(b"%PDF-1.4")
    finally:
        os.umask(old)
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "out" / "sheet.pdf").stat().st_mode) == 0o644
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["budget.csv", "sheet.pdf"]


def test_a_failed_write_leaves_the_old_file_and_no_part(tmp_path):
    target = atomic_write(tmp_path / "a.txt", "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]
