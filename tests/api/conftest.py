"""A real store with two tenants for the API tests.

Tenant 'acme': project 'film' (one person per role, the objects every route reaches) and
project 'side' (the *non-members* of 'film': the same roles, held in 'side' only).
Tenant 'globex': project 'rival' (the *other tenant*: the same roles there, and a task of its own).
Every person has an API key. The store is built once per module, closed, and then opened by the
API app's lifespan, as the server does.
"""

from __future__ import annotations

import io
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from studio_kit.api.app import create_app
from studio_kit.management import access
from studio_kit.platform import billing, keys
from studio_kit.preproduction.options import ScheduleOptions
from studio_kit.settings import Settings
from studio_kit.store import Store
from studio_kit.studio import ALL_MIGRATIONS, Studio

FIXTURE_SCRIPT = Path(__file__).parents[1] / "fixtures" / "fountain" / "Cyber_Bob_ep00001.fountain"
ROLES = ("admin", "artist", "supervisor", "production_manager", "client", "vendor")
PLAN = "studio"
MEMBERSHIPS = ("member", "non_member", "other_tenant")


def person_for(role: str, membership: str) -> str:
    """The person id playing ``role`` with ``membership`` of acme's project 'film'."""
    if role == "admin":
        return {"member": "boss", "non_member": "boss", "other_tenant": "gboss"}[membership]
    return {"member": role, "non_member": f"{role}-nm", "other_tenant": f"{role}-x"}[membership]


def tenant_of(person: str) -> str:
    return "globex" if person == "gboss" or person.endswith("-x") else "acme"


def png_bytes(shade: int = 0) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 10, shade % 256)).save(buf, "PNG")
    return buf.getvalue()


@dataclass
class World:
    path: Path
    settings: Settings
    keys: dict[str, str]          # person -> plaintext key
    ids: dict[str, str]           # named objects: script, character, schedule...

    def headers(self, person: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[person]}"}


def build_world(tmp: Path) -> World:
    path = tmp / "studio.duckdb"
    settings = Settings(store_path=path, assets_dir=tmp / "assets")
    store = Store.open(path, migrations=ALL_MIGRATIONS)
    ids: dict[str, str] = {}
    try:
        store.ensure_project("acme", "film")
        store.ensure_project("acme", "side")
        store.ensure_project("globex", "rival")
        access.add_person(store, "acme", "boss", "Boss", "boss@acme.test", is_admin=True)
        access.add_person(store, "globex", "gboss", "G Boss", "boss@globex.test", is_admin=True)
        dept = {"artist": "animation", "supervisor": "animation", "vendor": "animation"}
        for role in ROLES[1:]:
            for person, tenant, project in ((role, "acme", "film"), (f"{role}-nm", "acme", "side"),
                                            (f"{role}-x", "globex", "rival")):
                access.add_person(store, tenant, person, person.title(), f"{person}@{tenant}.test")
                access.set_role(store, tenant, project, person, role, actor="system", department=dept.get(role, ""))
        people = ["boss", "gboss", *[p for r in ROLES[1:] for p in (r, f"{r}-nm", f"{r}-x")]]
        plain = {p: keys.create_api_key(store, tenant_of(p), p, label="test").plaintext for p in people}

        billing.set_plan(store, "acme", PLAN, effective_from=date(2025, 1, 1))
        admin = access.principal(store, "acme", "boss")
        film = Studio(store, "acme", "film", settings, user=admin)
        r = film.ingest_script(FIXTURE_SCRIPT)
        ids["script"] = r.script_id
        film.plan_schedule(r.script_id, options=ScheduleOptions(time_limit_s=3))
        film.create_characters(r.script_id)
        ids["character"] = film.characters()["character_id"][0]
        t1 = film.create_task("animation", "scene", "1", task_id="anim-1")
        film.create_task("animation", "scene", "2", task_id="anim-2")
        film.assign_task(t1.task_id, "vendor")
        film.assign_task(t1.task_id, "artist")
        film.create_asset("Board one", "board", entity_type="scene", entity_id="1", task_id="anim-1",
                          asset_id="board-1")
        film.create_asset("Board two", "board", entity_type="scene", entity_id="2", task_id="anim-2",
                          asset_id="board-2")
        film.publish_asset("board-1", [("board.png", png_bytes())], "first")
        film.publish_asset("board-2", [("board.png", png_bytes())], "first")
        pl_ = film.create_playlist("client review", for_client=True)
        film.add_to_playlist(pl_.playlist_id, "board-1", 1)
        ids["playlist"] = pl_.playlist_id
        film.comment("board-1", 1, "looks good", client_visible=True)

        g = Studio(store, "globex", "rival", settings, user=access.principal(store, "globex", "gboss"))
        g.create_task("animation", "scene", "1", task_id="globex-task")
        g.create_asset("Secret board", "board", entity_type="scene", entity_id="1", asset_id="globex-board")
    finally:
        store.close()
    return World(path, settings, plain, ids)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def client(world: World):
    app = create_app(world.settings)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def records(world: World) -> dict:
    return tomllib.loads(world.settings.data_file("sample/night_train_production.toml").read_text())
