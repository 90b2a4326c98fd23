"""Generation jobs in the store: what was asked, where it ran, what it made, and what it cost.

Why in DuckDB: a job outlives the process that ran it. The owner process (the only writer) queues
requests here, the Ray runner moves them through queued -> running -> done/failed/cancelled, and
every finish writes the result *and* its usage record in one transaction under the key
``job:<job_id>``, so a job finished twice (a retry whose first attempt did finish, a replay after
a crash) is recorded once and billed once. Workers never open the store.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass
from typing import Any

import duckdb
import polars as pl

from ..common.clock import utc_now
from ..common.errors import Invalid, NotFound
from ..store import Migration, ProjectScope
from . import metering
from .base import BackendSpec, ImageRequest, SpeechRequest, TextRequest, request_to_json

STATUSES = ("queued", "running", "done", "failed", "cancelled")

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "generation_jobs",
        1,
        "generation job table",
        """
        CREATE TABLE generation_job (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            job_id VARCHAR NOT NULL,
            task VARCHAR NOT NULL,
            backend_key VARCHAR NOT NULL,
            spec JSON NOT NULL,
            model VARCHAR NOT NULL,
            request JSON NOT NULL,
            batch_key VARCHAR NOT NULL,
            status VARCHAR NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
            cancel_requested BOOLEAN NOT NULL DEFAULT false,
            attempts INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL DEFAULT 3,
            error VARCHAR,
            submitted_at TIMESTAMP NOT NULL,
            started_at TIMESTAMP,
            finished_at TIMESTAMP,
            seconds DOUBLE,
            node_id VARCHAR,
            worker_id VARCHAR,
            gpu_ids VARCHAR,
            gpu_kind VARCHAR,
            artifact_sha256 VARCHAR,
            artifact_path VARCHAR,
            artifact_mime VARCHAR,
            metadata JSON,
            idempotency_key VARCHAR,
            PRIMARY KEY (tenant_id, project_id, job_id),
            UNIQUE (tenant_id, project_id, idempotency_key)
        );
        """,
        scoped=("generation_job",),
    ),
)

#: What a store that runs generation needs: the job table and the usage records it writes.
ALL_MIGRATIONS: tuple[Migration, ...] = (*metering.MIGRATIONS, *MIGRATIONS)


def spec_to_json(spec: BackendSpec) -> str:
    return json.dumps(asdict(spec), sort_keys=True, default=str)


def spec_from_json(text: str) -> BackendSpec:
    return BackendSpec(**json.loads(text))


@dataclass(frozen=True)
class JobResult:
    """What the owner records when a job's batch comes back."""

    artifact_sha256: str | None = None
    artifact_path: str | None = None
    artifact_mime: str | None = None
    metadata: Mapping[str, Any] | None = None
    seconds: float = 0.0
    node_id: str = ""
    worker_id: str = ""
    gpu_ids: Sequence[str] = ()
    gpu_kind: str = "cpu"
    gpu_seconds: float = 0.0


def scoped_key(key: str | None, spec: BackendSpec) -> str | None:
    """The stored form of an idempotency key: the caller's key for this backend and model. The same
    request to another model (the profile changed) is another job, never the old model's answer."""
    if key is None:
        return None
    return f"{key}@{hashlib.sha256(spec.key().encode()).hexdigest()[:12]}"


def submit(scope: ProjectScope, task: str, request: ImageRequest | TextRequest | SpeechRequest, spec: BackendSpec,
           *, idempotency_key: str | None = None, max_attempts: int = 3) -> str:
    """Queue one request; with an idempotency key already used in this project, return that job instead
    (queued again if it ended failed or cancelled: asking again is a retry, recorded on the same job)."""
    if spec.task != task:
        raise Invalid(f"job for task {task!r} names a {spec.task!r} backend spec ({spec.backend})")
    if max_attempts < 1:
        raise Invalid(f"max_attempts must be >= 1, got {max_attempts}")
    idempotency_key = scoped_key(idempotency_key, spec)
    with scope.transaction():
        if idempotency_key is not None:
            row = scope.one("SELECT job_id FROM {generation_job} WHERE idempotency_key = $k", {"k": idempotency_key})
            if row:
                _queue_again(scope, [row[0]])
                return row[0]
        job_id = "job-" + uuid.uuid4().hex[:16]
        scope.insert("generation_job", [{
            "job_id": job_id, "task": task, "backend_key": spec.key(), "spec": spec_to_json(spec),
            "model": spec.model or spec.backend, "request": request_to_json(request),
            "batch_key": json.dumps(list(request.batch_key()), default=str), "status": "queued",
            "cancel_requested": False, "attempts": 0, "max_attempts": max_attempts,
            "submitted_at": utc_now(), "idempotency_key": idempotency_key,
        }])
    return job_id


def submit_many(scope: ProjectScope, task: str, requests: Sequence[ImageRequest | TextRequest | SpeechRequest],
                spec: BackendSpec, keys: Sequence[str | None], *, max_attempts: int = 3) -> list[str]:
    """Queue many requests in one transaction (one lookup of the keys already used, one insert): what
    a board or a draft submits at once. Same rules as :func:`submit`, per request."""
    if spec.task != task:
        raise Invalid(f"job for task {task!r} names a {spec.task!r} backend spec ({spec.backend})")
    if max_attempts < 1:
        raise Invalid(f"max_attempts must be >= 1, got {max_attempts}")
    if len(keys) != len(requests):
        raise Invalid(f"{len(requests)} requests but {len(keys)} idempotency keys")
    keys = [scoped_key(k, spec) for k in keys]
    wanted = [k for k in keys if k is not None]
    ids: list[str] = []
    with scope.transaction():
        known = dict(scope.rows("SELECT idempotency_key, job_id FROM {generation_job} "
                                "WHERE list_contains($k, idempotency_key)", {"k": wanted})) if wanted else {}
        rows = []
        spec_json, backend_key, model = spec_to_json(spec), spec.key(), spec.model or spec.backend
        for request, key in zip(requests, keys, strict=True):
            if key is not None and key in known:
                ids.append(known[key])
                continue
            job_id = "job-" + uuid.uuid4().hex[:16]
            if key is not None:
                known[key] = job_id  # the same key twice in one call is one job
            rows.append({
                "job_id": job_id, "task": task, "backend_key": backend_key, "spec": spec_json, "model": model,
                "request": request_to_json(request), "batch_key": json.dumps(list(request.batch_key()), default=str),
                "status": "queued", "cancel_requested": False, "attempts": 0, "max_attempts": max_attempts,
                "submitted_at": utc_now(), "idempotency_key": key})
            ids.append(job_id)
        if rows:
            scope.insert("generation_job", rows)
        _queue_again(scope, [known[k] for k in wanted if k in known])
    return ids


#: Job states a resubmission by key starts over from.
ENDED_UNSUCCESSFULLY = ("failed", "cancelled")


def _queue_again(scope: ProjectScope, job_ids: Sequence[str]) -> None:
    """Failed or cancelled jobs asked for again go back to the queue with fresh attempts (same job
    id, so the result is still recorded and counted once); queued, running and done ones stay."""
    if job_ids:
        scope.store.con.execute(
            "UPDATE generation_job SET status = 'queued', attempts = 0, cancel_requested = false, error = NULL, "
            "finished_at = NULL, submitted_at = ? WHERE tenant_id = ? AND project_id = ? "
            "AND list_contains(?, job_id) AND list_contains(?, status)",
            [utc_now(), scope.tenant_id, scope.project_id, list(dict.fromkeys(job_ids)), list(ENDED_UNSUCCESSFULLY)])


def get(scope: ProjectScope, job_id: str) -> dict[str, Any]:
    """One job as a dict; NotFound names the job when it is not in this project."""
    frame = scope.sql("SELECT * EXCLUDE (tenant_id, project_id) FROM {generation_job} WHERE job_id = $j",
                      {"j": job_id})
    if frame.is_empty():
        raise NotFound(f"no generation job {job_id!r} in project {scope.project_id!r}")
    return frame.row(0, named=True)


def list_jobs(scope: ProjectScope, job_ids: Iterable[str] | None = None, *, status: str | None = None) -> pl.DataFrame:
    """Jobs as a Polars frame, oldest first (all of the project's, or the given ids)."""
    where, params = ["TRUE"], {}
    if job_ids is not None:
        where.append("list_contains($ids, job_id)")
        params["ids"] = list(job_ids)
    if status is not None:
        if status not in STATUSES:
            raise Invalid(f"status {status!r} is not one of {', '.join(STATUSES)}")
        where.append("status = $s")
        params["s"] = status
    return scope.sql("SELECT * EXCLUDE (tenant_id, project_id) FROM {generation_job} WHERE "
                     + " AND ".join(where) + " ORDER BY submitted_at, job_id", params)


def mark_running(scope: ProjectScope, job_ids: Sequence[str]) -> list[str]:
    """Queued -> running; each start counts one attempt. Returns the ids that did start (a job
    cancelled or finished meanwhile does not), so the caller runs only those."""
    if not job_ids:
        return []
    now = utc_now()
    with scope.transaction() as con:
        (count,) = con.execute(
            "UPDATE generation_job SET status = 'running', started_at = ?, error = NULL, attempts = attempts + 1 "
            "WHERE tenant_id = ? AND project_id = ? AND status = 'queued' AND list_contains(?, job_id)",
            [now, scope.tenant_id, scope.project_id, list(job_ids)]).fetchone()
        if count == len(set(job_ids)):
            return list(job_ids)  # the usual case; RETURNING would cost about as much as the UPDATE
        moved = {j for (j,) in scope.rows(
            "SELECT job_id FROM {generation_job} WHERE status = 'running' AND started_at = $t "
            "AND list_contains($ids, job_id)", {"t": now, "ids": list(job_ids)})}
    return [j for j in job_ids if j in moved]


def finish(scope: ProjectScope, job_id: str, result: JobResult) -> bool:
    """Record a job's result and its usage in ONE transaction; False when it was already recorded
    (see :func:`finish_many`)."""
    return finish_many(scope, [(job_id, result)])[0]


#: The job columns a finish writes, in the order of the frame :func:`finish_many` registers.
_FINISH_SCHEMA = {
    "job_id": pl.String, "new_status": pl.String, "seconds": pl.Float64, "node_id": pl.String,
    "worker_id": pl.String, "gpu_ids": pl.String, "gpu_kind": pl.String, "artifact_sha256": pl.String,
    "artifact_path": pl.String, "artifact_mime": pl.String, "metadata": pl.String,
}


def finish_many(scope: ProjectScope, results: Sequence[tuple[str, JobResult]]) -> list[bool]:
    """Record a batch's results and their usage in ONE transaction; per job, False when it was
    already recorded (a replay: the first finish stands, and its usage is billed once).

    Set-based so a batch costs a fixed number of statements, not a few per job: one read of the
    batch's statuses, one bulk insert of usage records (keys ``job:<id>``), one UPDATE ... FROM a
    registered frame. A job whose cancellation was requested while it ran ends ``cancelled`` and
    its artifact is discarded, but the compute it used is still recorded (it was spent).
    """
    if not results:
        return []
    ids = [job_id for job_id, _ in results]
    with scope.transaction() as con:
        rows = {r[0]: r[1:] for r in scope.rows(
            "SELECT job_id, status, cancel_requested, model FROM {generation_job} WHERE list_contains($ids, job_id)",
            {"ids": ids})}
        missing = [j for j in ids if j not in rows]
        if missing:
            raise NotFound(f"no generation job {missing[0]!r} in project {scope.project_id!r}"
                           + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
        recorded = metering.record_usages(scope, [
            metering.Usage(f"job:{job_id}", job_id, rows[job_id][2], result.gpu_kind,
                           max(0.0, float(result.gpu_seconds)))
            for job_id, result in results])
        out: list[bool] = []
        updates: dict[str, list[Any]] = {k: [] for k in _FINISH_SCHEMA}
        for (job_id, result), fresh in zip(results, recorded, strict=True):
            status, cancel_requested, _ = rows[job_id]
            if not fresh or status == "done":
                out.append(False)  # a replay: the first finish stands
                continue
            out.append(True)
            done = not (cancel_requested or status == "cancelled")
            values = {
                "job_id": job_id, "new_status": "done" if done else "cancelled", "seconds": float(result.seconds),
                "node_id": result.node_id, "worker_id": result.worker_id,
                "gpu_ids": ",".join(map(str, result.gpu_ids)), "gpu_kind": result.gpu_kind,
                "artifact_sha256": result.artifact_sha256 if done else None,
                "artifact_path": result.artifact_path if done else None,
                "artifact_mime": result.artifact_mime if done else None,
                "metadata": json.dumps(dict(result.metadata or {}), default=str) if done else None,
            }
            for k, v in values.items():
                updates[k].append(v)
        if updates["job_id"]:
            con.register("_sk_finish", pl.DataFrame(updates, schema=_FINISH_SCHEMA).to_arrow())
            try:
                # a cancelled job keeps the artifact columns it had (none): its result is discarded
                con.execute(
                    "UPDATE generation_job AS g SET status = u.new_status, finished_at = ?, seconds = u.seconds, "
                    "node_id = u.node_id, worker_id = u.worker_id, gpu_ids = u.gpu_ids, gpu_kind = u.gpu_kind, "
                    "error = NULL, "
                    "artifact_sha256 = CASE WHEN u.new_status = 'done' THEN u.artifact_sha256 ELSE g.artifact_sha256 END, "
                    "artifact_path = CASE WHEN u.new_status = 'done' THEN u.artifact_path ELSE g.artifact_path END, "
                    "artifact_mime = CASE WHEN u.new_status = 'done' THEN u.artifact_mime ELSE g.artifact_mime END, "
                    "metadata = CASE WHEN u.new_status = 'done' THEN u.metadata::JSON ELSE g.metadata END "
                    "FROM _sk_finish AS u WHERE g.tenant_id = ? AND g.project_id = ? AND g.job_id = u.job_id",
                    [utc_now(), scope.tenant_id, scope.project_id])
            finally:
                with suppress(duckdb.Error):  # an aborted transaction refuses this; the next register replaces it
                    con.unregister("_sk_finish")
    return out


def retry_or_fail(scope: ProjectScope, job_id: str, error: str) -> str:
    """After a failed attempt: back to queued while attempts remain, else failed with the error.
    Returns the new status (``cancelled`` when a cancel was requested meanwhile)."""
    with scope.transaction():
        row = scope.one("SELECT status, attempts, max_attempts, cancel_requested FROM {generation_job} "
                        "WHERE job_id = $j", {"j": job_id})
        if row is None:
            raise NotFound(f"no generation job {job_id!r} in project {scope.project_id!r}")
        status, attempts, max_attempts, cancel_requested = row
        if status in ("done", "cancelled"):
            return status
        if cancel_requested:
            new = "cancelled"
        elif attempts < max_attempts:
            new = "queued"
        else:
            new = "failed"
        values: dict[str, Any] = {"status": new, "error": error}
        if new != "queued":
            values["finished_at"] = utc_now()
        scope.update("generation_job", values, "job_id = $j", {"j": job_id})
    return new


def requeue(scope: ProjectScope, job_ids: Sequence[str], *, error: str | None = None,
            count_attempt: bool = False) -> None:
    """Running -> queued without failing (a batch split up to isolate a bad request); by default the
    attempt is given back, since the job itself may be fine."""
    if not job_ids:
        return
    with scope.transaction():
        scope.store.con.execute(
            "UPDATE generation_job SET status = 'queued', error = ?, attempts = attempts - ? "
            "WHERE tenant_id = ? AND project_id = ? AND status = 'running' AND list_contains(?, job_id)",
            [error, 0 if count_attempt else 1, scope.tenant_id, scope.project_id, list(job_ids)])


def cancel(scope: ProjectScope, job_id: str) -> str:
    """Queued -> cancelled now; running -> cancel requested (its result is discarded when it returns).
    Returns the job's status after the call."""
    with scope.transaction():
        job = get(scope, job_id)
        if job["status"] == "queued":
            scope.update("generation_job", {"status": "cancelled", "finished_at": utc_now()}, "job_id = $j", {"j": job_id})
            return "cancelled"
        if job["status"] == "running":
            scope.update("generation_job", {"cancel_requested": True}, "job_id = $j", {"j": job_id})
        return job["status"]


def recover(scope: ProjectScope) -> int:
    """Jobs left ``running`` by an owner process that died go back to queued (or cancelled when a
    cancel was requested). Call once when the owner opens the store, before running anything."""
    with scope.transaction():
        n = scope.one("SELECT count(*) FROM {generation_job} WHERE status = 'running'")[0]
        scope.update("generation_job", {"status": "cancelled", "finished_at": utc_now()},
                     "status = 'running' AND cancel_requested")
        scope.update("generation_job", {"status": "queued", "error": "owner process stopped while running; requeued"},
                     "status = 'running'")
    return int(n)


def fail(scope: ProjectScope, job_id: str, error: str) -> None:
    """End a job as failed now, whatever attempts remain (its own request is at fault)."""
    scope.update("generation_job", {"status": "failed", "error": error, "finished_at": utc_now()},
                 "job_id = $j AND status IN ('queued', 'running')", {"j": job_id})
