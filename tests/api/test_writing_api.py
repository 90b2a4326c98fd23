"""The writing routes: shot lists made by rules, read, edited (validated) over HTTP; boards, animatics and
development runs read; the permission matrix applied (artists read, only script.write makes or edits)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from studio_kit.api.app import create_app
from studio_kit.management import access
from studio_kit.studio import Studio

from .conftest import World, build_world

BASE = "/v1/projects/film"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("writing"))


@pytest.fixture(scope="module")
def client(world: World):
    with TestClient(create_app(world.settings), raise_server_exceptions=False) as c:
        yield c


def _with_studio(client: TestClient, fn):
    """Run ``fn(studio)`` on the app's own open store (the one writer), under its lock."""
    api = client.app.state.api
    with api.lock:
        return fn(Studio(api.store, "acme", "film", api.settings, user=access.principal(api.store, "acme", "boss")))


def test_a_scene_without_a_shot_list_is_not_found(client: TestClient, world: World) -> None:
    """Before any list is made (this test runs before the ``made`` fixture is first asked for)."""
    r = client.get(f"{BASE}/shot-lists", headers=world.headers("boss"))
    if r.json()["rows"]:
        pytest.skip("shot lists were made earlier in this module (tests reordered)")
    r = client.get(f"{BASE}/shot-lists/1", headers=world.headers("boss"))
    assert r.status_code == 404 and "no shot list" in r.json()["detail"], r.text
    r = client.put(f"{BASE}/shot-lists/1", json={"shots": [{"number": "1A", "size": "WS"}]},
                   headers=world.headers("boss"))
    assert r.status_code == 404, r.text


@pytest.fixture(scope="module")
def made(client: TestClient, world: World) -> dict:
    r = client.post(f"{BASE}/shot-lists", json={"mode": "rules", "note": "first pass"}, headers=world.headers("boss"))
    assert r.status_code == 201, r.text
    return r.json()


def test_make_shot_lists_by_rules(made: dict, client: TestClient) -> None:
    scene_count = _with_studio(client, lambda s: len(s.stored_script().scene_uids))
    assert scene_count > 1
    assert set(made["versions"]) == set(made["shots"])
    assert len(made["versions"]) == scene_count
    assert set(made["versions"].values()) == {1}
    assert all(n >= 1 for n in made["shots"].values())
    assert made["errors"] == []


def test_lists_and_one_scene_match_the_studio(made: dict, client: TestClient, world: World) -> None:
    r = client.get(f"{BASE}/shot-lists", headers=world.headers("boss"))
    assert r.status_code == 200, r.text
    api_rows = r.json()["rows"]
    frame = _with_studio(client, lambda s: s.shot_lists())
    assert [(x["scene_uid"], x["version"], x["shots"]) for x in api_rows] == \
        list(zip(frame["scene_uid"], frame["version"], frame["shots"], strict=True))
    first = _with_studio(client, lambda s: s.stored_script().analysis.scenes[0].number)
    r = client.get(f"{BASE}/shot-lists/{first}", headers=world.headers("boss"))
    assert r.status_code == 200, r.text
    body = r.json()
    studio_list = _with_studio(client, lambda s: s.shot_list(first))
    assert body["scene_uid"] == studio_list.scene_uid and body["scene_number"] == first
    assert [s["number"] for s in body["shots"]] == [s.number for s in studio_list.shots]
    assert body["shots"][0] == studio_list.shots[0].to_dict()
    assert body["version"] >= 1 and body["seconds"] == studio_list.seconds


def test_edit_stores_a_new_version(made: dict, client: TestClient, world: World) -> None:
    first = _with_studio(client, lambda s: s.stored_script().analysis.scenes[0].number)
    before = client.get(f"{BASE}/shot-lists/{first}", headers=world.headers("boss")).json()
    shots = before["shots"][:1]
    shots[0] = {**shots[0], "size": "CU", "description": "pushed in for the edit"}
    r = client.put(f"{BASE}/shot-lists/{first}", json={"shots": shots, "note": "tighter"},
                   headers=world.headers("boss"))
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["version"] == before["version"] + 1 and saved["shots"] == 1
    after = client.get(f"{BASE}/shot-lists/{first}", headers=world.headers("boss")).json()
    assert after["version"] == saved["version"] and after["source"] == "edited"
    assert after["shots"][0]["size"] == "CU" and after["shots"][0]["description"] == "pushed in for the edit"
    old = client.get(f"{BASE}/shot-lists/{first}", params={"version": before["version"]},
                     headers=world.headers("boss")).json()
    assert len(old["shots"]) == len(before["shots"]) and old["version"] == before["version"]
    notes = {(x["scene_uid"], x["version"]): x["note"]
             for x in client.get(f"{BASE}/shot-lists", headers=world.headers("boss")).json()["rows"]}
    assert notes[(saved["scene_uid"], saved["version"])] == "tighter"


def test_edit_with_an_unknown_character_names_the_shot(made: dict, client: TestClient, world: World) -> None:
    first = _with_studio(client, lambda s: s.stored_script().analysis.scenes[0].number)
    before = client.get(f"{BASE}/shot-lists/{first}", headers=world.headers("boss")).json()
    assert before["characters"], "the fixture's first scene has characters"
    shot = {**before["shots"][0], "characters": ["NOBODY HERE"]}
    r = client.put(f"{BASE}/shot-lists/{first}", json={"shots": [shot]}, headers=world.headers("boss"))
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert f"shot {shot['number']}" in detail and "NOBODY HERE" in detail
    # nothing stored
    assert client.get(f"{BASE}/shot-lists/{first}", headers=world.headers("boss")).json()["version"] == \
        before["version"]


def test_edit_body_is_checked(made: dict, client: TestClient, world: World) -> None:
    first = _with_studio(client, lambda s: s.stored_script().analysis.scenes[0].number)
    h = world.headers("boss")
    bad = [{"shots": []}, {"shots": [{"number": "1A", "size": "HUGE"}]},
           {"shots": [{"number": "1A", "size": "WS", "seconds": -1}]},
           {"shots": [{"number": "1A", "size": "WS", "tenant_id": "globex"}]}]
    for body in bad:
        assert client.put(f"{BASE}/shot-lists/{first}", json=body, headers=h).status_code == 422, body
    twice = {"shots": [{"number": "1A", "size": "WS"}, {"number": "1A", "size": "CU"}]}
    r = client.put(f"{BASE}/shot-lists/{first}", json=twice, headers=h)
    assert r.status_code == 422 and "used twice" in r.json()["detail"]


def test_llm_mode_is_refused_over_http(client: TestClient, world: World) -> None:
    r = client.post(f"{BASE}/shot-lists", json={"mode": "llm"}, headers=world.headers("boss"))
    assert r.status_code == 422
    assert "model runner" in r.json()["detail"] and "rules" in r.json()["detail"]


def test_unknown_scene_is_named(made: dict, client: TestClient, world: World) -> None:
    h = world.headers("boss")
    for r in (client.get(f"{BASE}/shot-lists/999Z", headers=h),
              client.post(f"{BASE}/shot-lists", json={"scenes": ["999Z"]}, headers=h),
              client.put(f"{BASE}/shot-lists/999Z", json={"shots": [{"number": "999ZA", "size": "WS"}]}, headers=h),
              client.get(f"{BASE}/boards/999Z", headers=h)):
        assert r.status_code == 404, r.text  # an unknown scene is a NotFound
        assert "999Z" in r.json()["detail"]


def test_roles(made: dict, client: TestClient, world: World) -> None:
    artist = access.PERMISSIONS[access.Role.ARTIST]
    assert "project.read" in artist and "script.write" not in artist
    assert "project.read" not in access.PERMISSIONS[access.Role.CLIENT]
    first = _with_studio(client, lambda s: s.stored_script().analysis.scenes[0].number)
    shots = client.get(f"{BASE}/shot-lists/{first}", headers=world.headers("boss")).json()["shots"]
    for person, read, write in (("artist", 200, 403), ("supervisor", 200, None), ("client", 403, 403)):
        h = world.headers(person)
        for path in ("/shot-lists", f"/shot-lists/{first}", "/boards", "/animatics", "/development-runs"):
            assert client.get(BASE + path, headers=h).status_code == read, (person, path)
        if write is not None:
            r = client.post(f"{BASE}/shot-lists", json={"scenes": [first]}, headers=h)
            assert r.status_code == write, (person, r.text)
            r = client.put(f"{BASE}/shot-lists/{first}", json={"shots": shots}, headers=h)
            assert r.status_code == write, (person, r.text)
    # the supervisor holds script.write
    r = client.post(f"{BASE}/shot-lists", json={"scenes": [first]}, headers=world.headers("supervisor"))
    assert r.status_code == 201, r.text
    # another tenant's admin does not see the project at all
    assert client.get(f"{BASE}/shot-lists", headers=world.headers("gboss")).status_code == 404


def test_boards_animatics_and_development_runs_start_empty(client: TestClient, world: World) -> None:
    h = world.headers("boss")
    for path in ("/boards", "/animatics", "/development-runs"):
        r = client.get(BASE + path, headers=h)
        assert r.status_code == 200 and r.json() == {"rows": []}, (path, r.text)
    r = client.get(f"{BASE}/development-runs/no-such-run/beats", headers=h)
    assert r.status_code == 404 and "no-such-run" in r.json()["detail"]
    assert client.get(f"{BASE}/development-runs/no-such-run/ending", headers=h).status_code == 422
