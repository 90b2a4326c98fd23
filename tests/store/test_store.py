"""The DuckDB store: migrations, scoping, transactions, the one-writer rule, crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from studio_kit.store import Migration, ScopeError, Store, StoreError, StoreLockedError

TAKES = Migration(
    "test",
    1,
    "takes",
    "CREATE TABLE take (tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL, take_id INTEGER, label VARCHAR,"
    " PRIMARY KEY (tenant_id, project_id, take_id));",
    scoped=("take",),
)
TAKES_V2 = Migration("test", 2, "take notes", "ALTER TABLE take ADD COLUMN note VARCHAR;")


def test_migrations_apply_once_and_are_recorded(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store.open(path, migrations=[TAKES]) as store:
        assert store.schema_versions() == {"core": 1, "test": 1}
    with Store.open(path, migrations=[TAKES, TAKES_V2]) as store:
        assert store.schema_versions() == {"core": 1, "test": 2}
        cols = {r[0] for r in store.con.execute("DESCRIBE take").fetchall()}
        assert "note" in cols
        n = store.con.execute("SELECT count(*) FROM schema_migrations WHERE component='test'").fetchone()[0]
        assert n == 2


def test_edited_migration_is_refused(tmp_path):
    path = tmp_path / "s.duckdb"
    Store.open(path, migrations=[TAKES]).close()
    edited = Migration("test", 1, "takes", TAKES.sql + " -- edited", scoped=("take",))
    with pytest.raises(StoreError, match="changed after it was applied"):
        Store.open(path, migrations=[edited])


def test_store_newer_than_code_is_refused(tmp_path):
    path = tmp_path / "s.duckdb"
    Store.open(path, migrations=[TAKES, TAKES_V2]).close()
    with pytest.raises(StoreError, match="newer than this studio_kit"):
        Store.open(path, migrations=[TAKES])


def test_read_only_open_does_not_migrate(tmp_path):
    path = tmp_path / "s.duckdb"
    Store.open(path, migrations=[TAKES]).close()
    with pytest.raises(StoreError, match="needs schema updates"):
        Store.open(path, read_only=True, migrations=[TAKES, TAKES_V2])
    with pytest.raises(StoreError, match="no store here yet"):
        Store.open(tmp_path / "missing.duckdb", read_only=True)


def test_scoped_table_must_carry_tenant_and_project(tmp_path):
    bad = Migration("bad", 1, "unscoped", "CREATE TABLE loose (id INTEGER);", scoped=("loose",))
    with pytest.raises(StoreError, match="lacks tenant_id/project_id"):
        Store.open(tmp_path / "s.duckdb", migrations=[bad])


def test_scope_isolates_tenants_and_projects():
    with Store.open(None, migrations=[TAKES]) as store:
        a = store.ensure_project("acme", "film-a")
        b = store.ensure_project("acme", "film-b")
        other = store.ensure_project("rival", "film-a")  # same project id, other tenant
        a.insert("take", [{"take_id": 1, "label": "a1"}, {"take_id": 2, "label": "a2"}])
        b.insert("take", [{"take_id": 1, "label": "b1"}])
        other.insert("take", [{"take_id": 1, "label": "secret"}])
        assert a.sql("SELECT label FROM {take} ORDER BY take_id")["label"].to_list() == ["a1", "a2"]
        assert b.sql("SELECT label FROM {take}")["label"].to_list() == ["b1"]
        assert other.sql("SELECT label FROM {take}")["label"].to_list() == ["secret"]
        # joins and named parameters work through the scope
        assert a.one("SELECT count(*) FROM {take} t JOIN {take} u ON t.take_id = u.take_id WHERE t.label = $l",
                     {"l": "a1"}) == (1,)
        a.update("take", {"label": "a1-final"}, "take_id = $id", {"id": 1})
        a.delete("take", "take_id = $id", {"id": 2})
        assert a.sql("SELECT label FROM {take}")["label"].to_list() == ["a1-final"]
        assert b.sql("SELECT label FROM {take}")["label"].to_list() == ["b1"]
        assert other.sql("SELECT label FROM {take}")["label"].to_list() == ["secret"]
        assert a.arrow("SELECT * FROM {take}").num_rows == 1


def test_scope_refuses_escapes():
    with Store.open(None, migrations=[TAKES]) as store:
        a = store.ensure_project("acme", "film-a")
        with pytest.raises(ScopeError, match="not bare"):
            a.sql("SELECT * FROM take")
        with pytest.raises(ScopeError, match="not a project table"):
            a.sql("SELECT * FROM {project}")
        with pytest.raises(ScopeError, match="may not set tenant_id"):
            a.insert("take", [{"take_id": 9, "tenant_id": "rival"}])
        with pytest.raises(ScopeError, match="cannot be changed"):
            a.update("take", {"project_id": "film-b"})
        with pytest.raises(ScopeError, match="no project"):
            store.scope("acme", "nope")
        with pytest.raises(StoreError, match="not valid"):
            store.ensure_project("acme", "Bad Name!")


def test_transaction_is_all_or_nothing():
    with Store.open(None, migrations=[TAKES]) as store:
        a = store.ensure_project("acme", "film")
        with pytest.raises(RuntimeError), a.transaction():
            a.insert("take", [{"take_id": 1, "label": "x"}])
            a.insert("take", [{"take_id": 2, "label": "y"}])
            raise RuntimeError("crash mid-way")
        assert a.one("SELECT count(*) FROM {take}") == (0,)
        with pytest.raises(duckdb.ConstraintException), a.transaction():  # duplicate key fails the batch
            a.insert("take", [{"take_id": 1, "label": "x"}])
            a.insert("take", [{"take_id": 1, "label": "dup"}])
        assert a.one("SELECT count(*) FROM {take}") == (0,)


def test_read_only_store_refuses_writes(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store.open(path, migrations=[TAKES]) as store:
        store.ensure_project("acme", "film")
    with Store.open(path, read_only=True, migrations=[TAKES]) as ro:
        scope = ro.scope("acme", "film")
        with pytest.raises(StoreError, match="read-only"):
            scope.insert("take", [{"take_id": 1}])


HOLDER = textwrap.dedent(
    """
    import sys, time
    from studio_kit.store import Store
    from tests.store.test_store import TAKES
    s = Store.open(sys.argv[1], migrations=[TAKES])
    scope = s.ensure_project("acme", "film")
    scope.insert("take", [{"take_id": 1, "label": "committed"}])
    print("ready", flush=True)
    if sys.argv[2] == "crash":
        s.con.execute("BEGIN TRANSACTION")
        s.con.execute("INSERT INTO take VALUES ('acme', 'film', 2, 'uncommitted')")
        print("mid-transaction", flush=True)
    time.sleep(60)
    """
)


def _holder(path, mode):
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), mode], stdout=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 60
    want = "mid-transaction" if mode == "crash" else "ready"
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line.strip() == want:
            return proc
    proc.kill()
    raise AssertionError("holder process did not start")


def test_second_writer_gets_a_clear_message(tmp_path):
    path = tmp_path / "s.duckdb"
    proc = _holder(path, "hold")
    try:
        with pytest.raises(StoreLockedError) as err:
            Store.open(path, migrations=[TAKES])
        msg = str(err.value)
        assert str(path) in msg and f"process {proc.pid}" in msg
        assert "one-writer rule" in msg and "snapshot" in msg
        assert "IO Error" not in msg
        with pytest.raises(StoreLockedError, match="cannot read it"):
            Store.open(path, read_only=True, migrations=[TAKES])
    finally:
        proc.kill()
        proc.wait()


def test_killed_writer_loses_no_committed_data(tmp_path):
    path = tmp_path / "s.duckdb"
    proc = _holder(path, "crash")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Store.open(path, migrations=[TAKES]) as store:
        labels = store.scope("acme", "film").sql("SELECT label FROM {take}")["label"].to_list()
    assert labels == ["committed"]


def test_snapshot_can_be_read_while_owner_writes(tmp_path):
    path = tmp_path / "s.duckdb"
    snap = tmp_path / "snap.duckdb"
    with Store.open(path, migrations=[TAKES]) as store:
        store.ensure_project("acme", "film").insert("take", [{"take_id": 1, "label": "x"}])
        store.snapshot(snap)
        with Store.open(snap, read_only=True, migrations=[TAKES]) as reader:
            assert reader.scope("acme", "film").one("SELECT label FROM {take}") == ("x",)
