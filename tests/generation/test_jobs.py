"""The generation job table on a real DuckDB file: idempotent submits, a finish recorded and billed
once, retry bookkeeping, recovery after the owner died, cancellation, tenant isolation; and the
content-addressed artifact folder."""

from __future__ import annotations

import hashlib
import json

import pytest

from studio_kit.common.errors import NotFound
from studio_kit.generation import jobs, metering
from studio_kit.generation.base import BackendSpec, ImageRequest
from studio_kit.store import Store, artifacts

SPEC = BackendSpec("image", "procedural", "procedural/storyboard-v1", device="cpu", batch_size=4)


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "s.duckdb", migrations=jobs.ALL_MIGRATIONS) as s:
        yield s


def _usage_rows(scope) -> int:
    return scope.one("SELECT count(*) FROM {usage_record}")[0]


def test_submit_with_same_key_returns_existing_job(store):
    scope = store.ensure_project("acme", "night-train")
    a = jobs.submit(scope, "image", ImageRequest("a train at night"), SPEC, idempotency_key="panel-1")
    b = jobs.submit(scope, "image", ImageRequest("a train at night"), SPEC, idempotency_key="panel-1")
    c = jobs.submit(scope, "image", ImageRequest("a train at night"), SPEC)
    assert a == b != c
    frame = jobs.list_jobs(scope)
    assert frame.height == 2
    job = jobs.get(scope, a)
    assert job["status"] == "queued" and job["attempts"] == 0
    assert job["backend_key"] == SPEC.key() and jobs.spec_from_json(job["spec"]) == SPEC


def test_finish_twice_is_recorded_and_counted_once(store, tmp_path):
    scope = store.ensure_project("acme", "night-train")
    job_id = jobs.submit(scope, "image", ImageRequest("x"), SPEC)
    jobs.mark_running(scope, [job_id])
    art = artifacts.put(tmp_path / "assets", b"fake png bytes", "png")
    result = jobs.JobResult(art.sha256, str(art.path), art.mime, {"boxes": [1, 2]}, 0.5, "node-a", "w1",
                            ("0",), "NVIDIA H100", 0.5)
    assert jobs.finish(scope, job_id, result) is True
    assert jobs.finish(scope, job_id, jobs.JobResult(gpu_seconds=9.0, node_id="node-b")) is False
    job = jobs.get(scope, job_id)
    assert job["status"] == "done" and job["node_id"] == "node-a" and job["artifact_sha256"] == art.sha256
    assert job["attempts"] == 1 and job["gpu_kind"] == "NVIDIA H100"
    assert _usage_rows(scope) == 1
    usage = metering.usage_by_model(scope)
    assert usage["gpu_seconds"].to_list() == [0.5]


def test_retry_bookkeeping_until_max_attempts(store):
    scope = store.ensure_project("acme", "p")
    job_id = jobs.submit(scope, "image", ImageRequest("x"), SPEC, max_attempts=2)
    jobs.mark_running(scope, [job_id])
    assert jobs.retry_or_fail(scope, job_id, "worker died") == "queued"
    assert jobs.get(scope, job_id)["attempts"] == 1
    jobs.mark_running(scope, [job_id])
    assert jobs.retry_or_fail(scope, job_id, "CUDA out of memory") == "failed"
    job = jobs.get(scope, job_id)
    assert (job["status"], job["attempts"], job["error"]) == ("failed", 2, "CUDA out of memory")
    assert _usage_rows(scope) == 0


def test_requeue_gives_the_attempt_back(store):
    scope = store.ensure_project("acme", "p")
    ids = [jobs.submit(scope, "image", ImageRequest(f"x{i}"), SPEC, max_attempts=1) for i in range(2)]
    jobs.mark_running(scope, ids)
    jobs.requeue(scope, ids, error="batch failed; retrying alone")
    assert jobs.list_jobs(scope)["attempts"].to_list() == [0, 0]
    assert set(jobs.list_jobs(scope)["status"]) == {"queued"}


def test_recovery_requeues_jobs_left_running(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store.open(path, migrations=jobs.ALL_MIGRATIONS) as store:
        scope = store.ensure_project("acme", "p")
        a = jobs.submit(scope, "image", ImageRequest("a"), SPEC)
        b = jobs.submit(scope, "image", ImageRequest("b"), SPEC)
        jobs.mark_running(scope, [a, b])
        jobs.cancel(scope, b)  # cancel requested while running
    # the owner "died"; a new owner opens the store
    with Store.open(path, migrations=jobs.ALL_MIGRATIONS) as store:
        scope = store.scope("acme", "p")
        assert jobs.recover(scope) == 2
        assert jobs.get(scope, a)["status"] == "queued"
        assert jobs.get(scope, b)["status"] == "cancelled"
        assert jobs.recover(scope) == 0


def test_cancel_queued_and_running(store):
    scope = store.ensure_project("acme", "p")
    queued = jobs.submit(scope, "image", ImageRequest("q"), SPEC)
    running = jobs.submit(scope, "image", ImageRequest("r"), SPEC)
    jobs.mark_running(scope, [running])
    assert jobs.cancel(scope, queued) == "cancelled"
    assert jobs.cancel(scope, running) == "running"
    assert jobs.finish(scope, running, jobs.JobResult("0" * 64, "/x", "image/png", gpu_seconds=1.0)) is True
    job = jobs.get(scope, running)
    assert job["status"] == "cancelled" and job["artifact_sha256"] is None  # result discarded
    assert _usage_rows(scope) == 1  # the compute was spent, and is recorded once
    jobs.mark_running(scope, [queued])  # a cancelled job never starts
    assert jobs.get(scope, queued)["status"] == "cancelled"


def test_job_table_is_tenant_isolated(store):
    a = store.ensure_project("acme", "film")
    b = store.ensure_project("other", "film")
    ja = jobs.submit(a, "image", ImageRequest("x"), SPEC, idempotency_key="k")
    jb = jobs.submit(b, "image", ImageRequest("x"), SPEC, idempotency_key="k")  # same key, other tenant
    assert ja != jb
    assert jobs.list_jobs(a)["job_id"].to_list() == [ja]
    with pytest.raises(NotFound, match=jb):
        jobs.get(a, jb)
    jobs.cancel(b, jb)
    assert jobs.get(a, ja)["status"] == "queued"


def test_artifacts_are_content_addressed_and_verified(tmp_path):
    data = b"\x89PNG not really"
    first = artifacts.put(tmp_path, data, "png")
    mtime = first.path.stat().st_mtime_ns
    again = artifacts.put(tmp_path, data, ".PNG")
    assert first == again and first.path.stat().st_mtime_ns == mtime
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    assert first.path == tmp_path / first.sha256[:2] / f"{first.sha256}.png" and first.mime == "image/png"
    assert artifacts.read(tmp_path, first.sha256, "png") == data
    assert not list(first.path.parent.glob("*.tmp"))
    first.path.write_bytes(b"tampered")
    assert not artifacts.verify(first.path)
    with pytest.raises(artifacts.ArtifactError, match="does not match"):
        artifacts.read(tmp_path, first.sha256, "png")


def test_finish_many_records_a_batch_once_with_the_same_semantics_as_finish(store, tmp_path):
    scope = store.ensure_project("acme", "p")
    ids = [jobs.submit(scope, "image", ImageRequest(f"x{i}"), SPEC) for i in range(4)]
    jobs.mark_running(scope, ids)
    assert jobs.finish(scope, ids[0], jobs.JobResult("a" * 64, "/a", "image/png", gpu_seconds=1.0)) is True
    assert jobs.cancel(scope, ids[1]) == "running"  # cancel requested while it runs
    results = [(j, jobs.JobResult(f"{i}" * 64, f"/{i}", "image/png", {"i": i}, 0.25, "node", "w", ("0",), "cpu", 0.25))
               for i, j in enumerate(ids)]
    results.append((ids[2], jobs.JobResult(node_id="dup", gpu_seconds=5.0)))  # the same job twice in one batch
    assert jobs.finish_many(scope, results) == [False, True, True, True, False]
    frame = jobs.list_jobs(scope, ids)
    by_id = {r["job_id"]: r for r in frame.iter_rows(named=True)}
    assert by_id[ids[0]]["artifact_sha256"] == "a" * 64  # the first finish stands
    assert by_id[ids[1]]["status"] == "cancelled" and by_id[ids[1]]["artifact_sha256"] is None
    assert by_id[ids[1]]["metadata"] is None
    for i in (2, 3):
        job = by_id[ids[i]]
        assert (job["status"], job["artifact_sha256"], job["node_id"], job["gpu_ids"]) == ("done", f"{i}" * 64,
                                                                                          "node", "0")
        assert json.loads(job["metadata"]) == {"i": i} and job["finished_at"] is not None
    assert _usage_rows(scope) == 4  # each job billed once, the cancelled one included
    assert metering.usage_by_model(scope)["gpu_seconds"].to_list() == [1.75]
    assert jobs.finish_many(scope, results) == [False] * 5  # a whole replay changes nothing
    assert _usage_rows(scope) == 4 and jobs.finish_many(scope, []) == []


def test_finish_many_with_an_unknown_job_records_nothing(store):
    scope = store.ensure_project("acme", "p")
    job_id = jobs.submit(scope, "image", ImageRequest("x"), SPEC)
    jobs.mark_running(scope, [job_id])
    with pytest.raises(NotFound, match="job-missing"):
        jobs.finish_many(scope, [(job_id, jobs.JobResult(gpu_seconds=1.0)), ("job-missing", jobs.JobResult())])
    assert jobs.get(scope, job_id)["status"] == "running" and _usage_rows(scope) == 0


def test_mark_running_returns_only_the_jobs_that_started(store):
    scope = store.ensure_project("acme", "p")
    ids = [jobs.submit(scope, "image", ImageRequest(f"x{i}"), SPEC) for i in range(3)]
    jobs.cancel(scope, ids[1])
    assert jobs.mark_running(scope, ids) == [ids[0], ids[2]]
    assert jobs.mark_running(scope, ids) == [] and jobs.mark_running(scope, []) == []


def test_record_usages_counts_each_key_once(store):
    scope = store.ensure_project("acme", "p")
    u = [metering.Usage(f"k{i % 3}", f"j{i}", "m", "cpu", 1.0) for i in range(4)]  # k0 twice in one call
    assert metering.record_usages(scope, [u[1], u[1]]) == [True, False]  # the same record twice
    assert metering.record_usages(scope, u) == [True, False, True, False]
    assert metering.record_usages(scope, u[:2] + [metering.Usage("k9", "j9", "m", "cpu", 2.0)]) == [False, False, True]
    assert metering.usage_by_model(scope)["records"].to_list() == [4]
    with pytest.raises(ValueError, match="gpu_seconds"):
        metering.record_usages(scope, [metering.Usage("k10", "j", "m", "cpu", -1.0)])


def test_submit_many_matches_submit_key_for_key(store):
    scope = store.ensure_project("acme", "night-train")
    first = jobs.submit(scope, "image", ImageRequest("panel one"), SPEC, idempotency_key="k1")
    reqs = [ImageRequest("panel one"), ImageRequest("panel two"), ImageRequest("panel two"), ImageRequest("free")]
    ids = jobs.submit_many(scope, "image", reqs, SPEC, ["k1", "k2", "k2", None])
    assert ids[0] == first  # an existing key gives the existing job
    assert ids[1] == ids[2] != ids[3]  # a key twice in one call is one job; no key is always new
    assert jobs.list_jobs(scope).height == 3
    assert jobs.submit_many(scope, "image", reqs[:2], SPEC, ["k1", "k2"]) == ids[:2]
    assert jobs.list_jobs(scope).height == 3
    with pytest.raises(ValueError, match="2 requests but 1 idempotency keys"):
        jobs.submit_many(scope, "image", reqs[:2], SPEC, ["k9"])
    with pytest.raises(ValueError, match="names a 'image' backend"):
        jobs.submit_many(scope, "text", reqs[:1], SPEC, ["k9"])
    assert jobs.list_jobs(scope).height == 3


def test_asking_again_for_a_failed_or_cancelled_job_queues_it_again(store):
    """A re-run after an outage must not get the old failure back: the same job (same id, so its
    result is still recorded and counted once) goes back to the queue with fresh attempts."""
    scope = store.ensure_project("acme", "night-train")
    failed = jobs.submit(scope, "image", ImageRequest("a"), SPEC, idempotency_key="a", max_attempts=1)
    jobs.mark_running(scope, [failed])
    assert jobs.retry_or_fail(scope, failed, "CUDA out of memory") == "failed"
    cancelled = jobs.submit(scope, "image", ImageRequest("b"), SPEC, idempotency_key="b")
    assert jobs.cancel(scope, cancelled) == "cancelled"
    waiting = jobs.submit(scope, "image", ImageRequest("c"), SPEC, idempotency_key="c")
    jobs.mark_running(scope, [waiting])
    assert jobs.submit(scope, "image", ImageRequest("a"), SPEC, idempotency_key="a") == failed
    again = jobs.get(scope, failed)
    assert again["status"] == "queued" and again["attempts"] == 0 and again["error"] is None
    ids = jobs.submit_many(scope, "image", [ImageRequest("b"), ImageRequest("c")], SPEC, ["b", "c"])
    assert ids == [cancelled, waiting]
    assert jobs.get(scope, cancelled)["status"] == "queued"
    assert jobs.get(scope, waiting)["status"] == "running" and jobs.get(scope, waiting)["attempts"] == 1
    assert jobs.list_jobs(scope).height == 3


def test_the_same_key_for_another_model_is_another_job(store):
    """A profile that switches models must not get the old model's answers back by key."""
    scope = store.ensure_project("acme", "night-train")
    other = BackendSpec("image", "procedural", "procedural/storyboard-v2", device="cpu", batch_size=4)
    a = jobs.submit_many(scope, "image", [ImageRequest("x")], SPEC, ["panel"])[0]
    b = jobs.submit_many(scope, "image", [ImageRequest("x")], other, ["panel"])[0]
    assert a != b and jobs.get(scope, b)["model"] == "procedural/storyboard-v2"
    assert jobs.submit(scope, "image", ImageRequest("x"), SPEC, idempotency_key="panel") == a
    assert jobs.get(scope, a)["idempotency_key"] == jobs.scoped_key("panel", SPEC) != jobs.scoped_key("panel", other)
