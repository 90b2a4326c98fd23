"""Property-based fuzzing of every documented operation (schemathesis, from the app's OpenAPI schema),
authenticated as the tenant admin: whatever the input, no 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from studio_kit.api.app import create_app

from .conftest import build_world

MAX_EXAMPLES = 8  # per operation; ~55 operations, well under a minute


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    world = build_world(tmp_path_factory.mktemp("fuzz"))
    app = create_app(world.settings)
    with TestClient(app):  # runs the lifespan: the store is open on app.state for the fuzzer's calls
        yield app, world


def test_no_server_errors_for_generated_input(served) -> None:
    app, world = served
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = world.headers("boss")
    failures: list[str] = []
    seen = 0
    statuses: dict[int, int] = {}

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        nonlocal seen
        if case.path_parameters and "project" in case.path_parameters:
            case.path_parameters["project"] = "film"  # a real project, so the engines see the generated input
        if isinstance(case.body, dict) and ("time_limit_s" in case.body or case.path.endswith("/schedules")):
            case.body["time_limit_s"] = 0.5  # the schedule solver: keep each call short (its default is 20 s)
        response = case.call(headers=headers)
        seen += 1
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                            f"{response.text[:200]}\n  {case.as_curl_command()}")

    for operation in schema.get_all_operations():
        given(case=operation.ok().as_strategy())(run)()
    assert seen > 100
    assert sum(n for code, n in statuses.items() if code < 300) > 50, statuses  # authenticated, reaching the engines
    assert not failures, "\n".join(failures[:10])
