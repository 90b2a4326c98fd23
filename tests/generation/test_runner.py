"""The Ray runner on a local Ray (loopback) with real backends: artifacts content-addressed and
verified, jobs done with node/worker recorded, usage counted once, a bad request fails alone while
its batch-mates finish, cancellation, idempotent submit, and recovery on open."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

from studio_kit.common.errors import Unavailable  # noqa: E402
from studio_kit.generation import jobs, metering  # noqa: E402
from studio_kit.generation.base import BackendSpec, ImageRequest  # noqa: E402
from studio_kit.generation.runner import Runner  # noqa: E402
from studio_kit.settings import Settings  # noqa: E402
from studio_kit.store import (
    Store,  # noqa: E402
    artifacts,  # noqa: E402
)
from tests.generation.runner_backends import GradientBackend, OptionsEchoBackend  # noqa: E402

ray = pytest.importorskip("ray")
SPEC = BackendSpec("image", "gradient", "test/gradient-v1", device="cpu", batch_size=4)


@pytest.fixture(scope="module")
def local_ray(shared_ray):
    """The session's local Ray on loopback (2 CPUs; workers can import the test backends)."""
    return shared_ray


@pytest.fixture
def studio(tmp_path, local_ray):
    settings = Settings(data_dir=tmp_path, assets_dir=tmp_path / "assets")
    store = Store.open(tmp_path / "s.duckdb", migrations=jobs.ALL_MIGRATIONS)
    scope = store.ensure_project("acme", "night-train")
    runner = Runner(scope, settings, progress=False, backend_factory=GradientBackend)
    yield runner, scope, settings
    runner.close()
    store.close()
    assert ray.is_initialized()  # close() leaves a Ray it did not start running


def _usage(scope) -> int:
    return scope.one("SELECT count(*) FROM {usage_record}")[0]


def test_jobs_run_to_verified_artifacts_with_usage_once(studio):
    runner, scope, settings = studio
    reqs = [ImageRequest(f"panel {i}", width=64, height=32, seed=i) for i in range(6)]
    ids = [runner.submit("image", r, spec=SPEC, idempotency_key=f"panel-{i}") for i, r in enumerate(reqs)]
    assert runner.submit("image", reqs[0], spec=SPEC, idempotency_key="panel-0") == ids[0]
    frame = runner.run()
    assert frame["status"].to_list() == ["done"] * 6
    assert frame["attempts"].to_list() == [1] * 6
    assert frame["node_id"].null_count() == 0 and frame["worker_id"].null_count() == 0
    assert set(frame["gpu_kind"]) == {"cpu"}
    direct = GradientBackend(SPEC).generate(reqs)
    for row, image in zip(frame.iter_rows(named=True), direct, strict=True):
        data = Path(row["artifact_path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["artifact_sha256"]
        assert Path(row["artifact_path"]) == artifacts.path_of(settings.assets, row["artifact_sha256"], "png")
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        assert buf.getvalue() == data  # same bytes as calling the backend directly
        assert '"studio_layout"' in row["metadata"]
    assert _usage(scope) == 6
    assert runner.run(ids)["status"].to_list() == ["done"] * 6  # nothing queued: nothing runs again
    assert _usage(scope) == 6
    assert metering.usage_by_model(scope)["records"].to_list() == [6]


def test_bad_request_fails_alone_and_batch_mates_finish(studio):
    runner, scope, _ = studio
    prompts = ["ok one", "FAIL this one", "ok two", "ok three"]
    ids = [runner.submit("image", ImageRequest(p, width=32, height=32), spec=SPEC) for p in prompts]
    frame = runner.run(ids)
    status = dict(zip(frame["job_id"], frame["status"], strict=True))
    assert [status[i] for i in ids] == ["done", "failed", "done", "done"]
    bad = jobs.get(scope, ids[1])
    assert "cannot render prompt 'FAIL this one'" in bad["error"] and bad["attempts"] == 1
    assert _usage(scope) == 3


def test_cancelled_job_does_not_run(studio):
    runner, scope, _ = studio
    keep = runner.submit("image", ImageRequest("keep", width=32, height=32), spec=SPEC)
    drop = runner.submit("image", ImageRequest("drop", width=32, height=32), spec=SPEC)
    assert runner.cancel(drop) == "cancelled"
    frame = runner.run()
    assert frame["job_id"].to_list() == [keep] and frame["status"].to_list() == ["done"]
    assert jobs.get(scope, drop)["status"] == "cancelled" and jobs.get(scope, drop)["artifact_sha256"] is None


def test_timeout_requeues_in_flight_jobs_for_the_next_run(studio):
    runner, scope, _ = studio
    spec = BackendSpec("image", "gradient", "test/gradient-slow", device="cpu", batch_size=2, options={"sleep": 0.5})
    ids = [runner.submit("image", ImageRequest(f"slow {i}", width=32, height=32), spec=spec) for i in range(2)]
    frame = runner.run(ids, timeout=0.0)
    assert frame["status"].to_list() == ["queued", "queued"] and frame["attempts"].to_list() == [0, 0]
    assert runner.run(ids)["status"].to_list() == ["done", "done"]
    assert _usage(scope) == 2


def test_results_are_encoded_by_modality():
    from studio_kit.generation.base import Audio
    from studio_kit.generation.runner import encode_result

    data, mime, ext, meta = encode_result("speech", Audio(np.zeros(800, np.float32), 16000))
    assert (data[:4], mime, ext, meta["seconds"]) == (b"RIFF", "audio/wav", "wav", 0.05)
    assert encode_result("text", "INT. STATION - NIGHT")[:3] == (b"INT. STATION - NIGHT", "text/plain; charset=utf-8",
                                                                 "txt")


def test_runner_recovers_jobs_left_running(tmp_path, local_ray):
    settings = Settings(data_dir=tmp_path, assets_dir=tmp_path / "assets")
    with Store.open(tmp_path / "s.duckdb", migrations=jobs.ALL_MIGRATIONS) as store:
        scope = store.ensure_project("acme", "p")
        job = jobs.submit(scope, "image", ImageRequest("left behind", width=32, height=32), SPEC)
        jobs.mark_running(scope, [job])  # as if the previous owner died here
        runner = Runner(scope, settings, progress=False, backend_factory=GradientBackend)
        try:
            assert runner.recovered == 1
            assert runner.run()["status"].to_list() == ["done"]
            assert jobs.get(scope, job)["attempts"] == 2
        finally:
            runner.close()


@pytest.mark.skipif(importlib.util.find_spec("studio_kit.generation.procedural") is None,
                    reason="procedural backend not written yet")
def test_procedural_backend_through_the_runner(studio):
    runner, scope, _ = studio
    runner.backend_factory = None  # the profile's own loader
    spec = BackendSpec("image", "procedural", "procedural/storyboard-v1", device="cpu", batch_size=4)
    ids = [runner.submit("image", ImageRequest(f"shot {i}", width=128, height=96, seed=i), spec=spec)
           for i in range(3)]
    frame = runner.run(ids)
    assert frame["status"].to_list() == ["done"] * 3, frame["error"].to_list()
    for row in frame.iter_rows(named=True):
        assert artifacts.verify(row["artifact_path"])
    assert _usage(scope) == 3



def test_image_workers_get_the_assets_folder_but_jobs_keep_their_pool_key(studio):
    runner, scope, settings = studio
    runner.backend_factory = OptionsEchoBackend
    runner.max_workers = 1  # two pools on a 2-CPU Ray: one worker each (actors keep their CPU while alive)
    plain = BackendSpec("image", "gradient", "test/echo", device="cpu", batch_size=2)
    named = BackendSpec("image", "gradient", "test/echo", device="cpu", batch_size=2,
                        options={"assets_dir": "/refs/elsewhere"})
    ids = [runner.submit("image", ImageRequest(f"echo {i}", width=16, height=16), spec=plain) for i in range(3)]
    ids.append(runner.submit("image", ImageRequest("echo named", width=16, height=16), spec=named))
    frame = runner.run(ids)
    assert frame["status"].to_list() == ["done"] * 4, frame["error"].to_list()
    seen = [json.loads(m)["studio_layout"]["options"] for m in frame["metadata"]]
    assert seen[:3] == [{"assets_dir": str(settings.assets)}] * 3  # injected for the IP-Adapter's references
    assert seen[3] == {"assets_dir": "/refs/elsewhere"}  # the profile's own folder wins
    assert frame["backend_key"].to_list() == [plain.key()] * 3 + [named.key()]
    assert sorted(runner._pools) == sorted({plain.key(), named.key()})  # one pool per original key


@pytest.mark.timeout(180)
def test_a_second_model_gets_workers_when_the_first_holds_every_cpu(studio):
    """No max_workers: the first pool takes both CPUs of this Ray; the second model's jobs still run
    because idle workers of the first pool are let go to make room (it used to wait forever)."""
    runner, scope, _ = studio
    runner.max_workers = None
    other = BackendSpec("image", "gradient", "test/gradient-v2", device="cpu", batch_size=2, options={"tint": 1})
    first = [runner.submit("image", ImageRequest(f"a {i}", width=32, height=32, seed=i), spec=SPEC) for i in range(8)]
    assert set(runner.run(first)["status"]) == {"done"}
    assert len(runner._pools[SPEC.key()].actors) == 2  # both CPUs held by the first model's workers
    second = [runner.submit("image", ImageRequest(f"b {i}", width=32, height=32, seed=i), spec=other) for i in range(4)]
    frame = runner.run(second)
    assert set(frame["status"]) == {"done"}
    assert _usage(scope) == 12


def test_admission_refuses_before_anything_is_queued(studio):
    """The Studio's quota check runs at submit: a refused job is never queued; a resubmission of an
    existing key is not refused (it queues nothing new)."""
    runner, scope, _ = studio
    kept = runner.submit("image", ImageRequest("kept", width=32, height=32), spec=SPEC, idempotency_key="kept")
    calls = []

    def admit(spec, n):
        calls.append((spec.key(), n))
        raise RuntimeError("over quota")

    runner.admit = admit
    try:
        with pytest.raises(RuntimeError, match="over quota"):
            runner.submit("image", ImageRequest("refused", width=32, height=32), spec=SPEC, idempotency_key="no")
        assert runner.submit("image", ImageRequest("kept", width=32, height=32), spec=SPEC,
                             idempotency_key="kept") == kept
    finally:
        runner.admit = None
    assert calls == [(SPEC.key(), 1)]
    assert scope.one("SELECT count(*) FROM {generation_job} WHERE idempotency_key LIKE 'no@%'")[0] == 0


def test_ray_start_is_retried_when_the_node_timed_out_during_startup(tmp_path, monkeypatch):
    """As on a loaded machine: ray.init times out twice, then starts. Ray is shut down after each
    failed try and started on the third, with the same arguments (nothing is really started here)."""
    from studio_kit.generation import runner as runner_module
    from studio_kit.generation.runner import retry_ray_start, start_ray

    calls, shutdowns, waits = [], [], []

    def init(**kwargs):
        calls.append(kwargs)
        if len(calls) < 3:
            raise Exception("The current node timed out during startup. This could happen because some of the "
                            "raylet failed to startup or the GCS has become overloaded.")
        return "started"

    monkeypatch.setattr(ray, "init", init)
    monkeypatch.setattr(ray, "shutdown", lambda: shutdowns.append(len(calls)))
    monkeypatch.setattr(runner_module, "START_BACKOFF_S", 0.0)
    assert start_ray(address="local", include_dashboard=False, _temp_dir=str(tmp_path)) == "started"
    assert calls == [{"address": "local", "include_dashboard": False, "_temp_dir": str(tmp_path)}] * 3
    assert shutdowns == [1, 2]
    calls.clear()
    assert retry_ray_start(lambda: init(), what="Starting it", backoff=2.0, cleanup=lambda: None,
                           sleep=waits.append) == "started"
    assert waits == [2.0, 4.0]  # a short back-off, doubled


def test_ray_that_never_starts_is_named_with_what_to_do(tmp_path, monkeypatch):
    """Every try times out: the Runner raises RayStartError (Unavailable, which the CLI reports as
    'studio: error: ...') saying what failed, how many times, and what to do."""
    from studio_kit.generation import runner as runner_module
    from studio_kit.generation.runner import RayStartError

    tries = []

    def init(**kwargs):
        tries.append(kwargs["address"])
        raise Exception("The current node timed out during startup.")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)  # as if no Ray ran in this process
    monkeypatch.setattr(ray, "init", init)
    monkeypatch.setattr(ray, "shutdown", lambda: None)
    monkeypatch.setattr(runner_module, "START_BACKOFF_S", 0.0)
    settings = Settings(data_dir=tmp_path, assets_dir=tmp_path / "assets")
    with Store.open(tmp_path / "s.duckdb", migrations=jobs.ALL_MIGRATIONS) as store:
        scope = store.ensure_project("acme", "p")
        with pytest.raises(RayStartError) as raised:
            Runner(scope, settings, progress=False)
    message = str(raised.value)
    assert isinstance(raised.value, Unavailable) and tries == ["local"] * 3
    assert "Starting a local Ray failed 3 times" in message
    assert "timed out during startup" in message
    assert "overloaded" in message and "ray start --head" in message and "RAY_ADDRESS" in message


def test_other_ray_start_errors_are_not_retried(monkeypatch):
    from studio_kit.generation.runner import start_ray

    calls = []

    def init(**kwargs):
        calls.append(kwargs)
        raise ValueError("When connecting to an existing cluster, num_cpus and num_gpus must not be provided.")

    monkeypatch.setattr(ray, "init", init)
    monkeypatch.setattr(ray, "shutdown", lambda: None)
    with pytest.raises(ValueError, match="num_cpus"):
        start_ray(address="127.0.0.1:6379", num_cpus=2)
    assert len(calls) == 1


def test_runner_joins_a_cluster_by_address_without_a_temp_dir_of_its_own(tmp_path, monkeypatch):
    """settings.ray_address (RAY_ADDRESS): ray.init is given the address and no temp dir (a driver
    naming a temp dir finds no node of the cluster with it and fails to connect); a local start keeps
    its own temp dir. Nothing is started here."""
    seen = []
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", lambda **kw: seen.append(kw))
    monkeypatch.setattr(ray, "shutdown", lambda: None)
    with Store.open(tmp_path / "s.duckdb", migrations=jobs.ALL_MIGRATIONS) as store:
        scope = store.ensure_project("acme", "p")
        for address in ("127.0.0.1:6379", None):
            settings = Settings(data_dir=tmp_path, assets_dir=tmp_path / "assets", ray_address=address)
            Runner(scope, settings, progress=False).close()
    joined, local = seen
    assert joined["address"] == "127.0.0.1:6379" and "_temp_dir" not in joined
    assert local["address"] == "local" and "skray-" in local["_temp_dir"]
