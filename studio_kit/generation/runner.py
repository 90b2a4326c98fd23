"""The Ray runner: the owner process queues jobs in the store and drives GPU workers that keep models loaded.

Why this shape:
- One actor class (:class:`ModelWorker`) per backend key loads its model once and serves batch
  after batch; asking Ray for ``num_gpus`` (fractional allowed) is how a worker gets its GPU(s),
  and the same code runs on a laptop (local Ray on loopback) or a cluster (``address=`` or
  ``Settings.ray_address``).
- Only the owner writes the store: workers return bytes, the owner writes content-addressed
  artifacts and records each job's result and usage in one transaction (see :mod:`.jobs`).
- Failures are bookkept, not hidden: a worker that dies costs its batch one attempt and the batch is
  retried (the restarted actor reloads its model); a backend exception splits its batch so that one
  bad request does not sink its batch-mates, then fails only the request at fault.
- Starting Ray is retried (:func:`start_ray`): on a loaded machine a node can time out during
  start-up; after a few attempts :class:`RayStartError` says so and what to do.

Environment: this is the one module that *writes* environment variables. Before Ray is imported it
sets ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (keeps every Ray process on 127.0.0.1) and
``RAY_USAGE_STATS_ENABLED=0`` (no usage reporting), unless they are already set; Ray only reads
them from the environment.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from ..common.errors import Unavailable
from ..settings import Settings
from ..store import ProjectScope, artifacts
from . import jobs
from .base import (
    Audio,
    BackendError,
    BackendSpec,
    ImageRequest,
    SpeechRequest,
    TextRequest,
    request_from_json,
    request_to_json,
)
from .profile import ModelProfile, load_backend

log = logging.getLogger(__name__)

#: (bytes, mime, ext, metadata, seconds) for one request of a batch.
Item = tuple[bytes, str, str, dict[str, Any], float]


def _ray() -> Any:
    """Import Ray with the loopback and no-telemetry settings in place (see the module docstring)."""
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    return ray


class RayStartError(Unavailable):
    """Ray could not be started (or reached) after a few attempts: ``Unavailable`` (the API answers
    503, the CLI prints ``studio: error: ...``); the message says what failed, after how many
    attempts, and what to do."""


#: How many times Ray's start is tried, and the first wait between tries (doubled each time).
START_ATTEMPTS = 3
START_BACKOFF_S = 2.0

#: What ray.init's errors say when a node's processes did not come up in time: seen on a loaded
#: machine ("The current node timed out during startup..."); worth another try, unlike a bad argument.
_START_FAILURES = ("timed out during startup", "timed out waiting for node", "timed out after",
                   "failed to start gcs", "failed to connect to gcs", "may not have started successfully",
                   "failed to startup", "failed to get node info")


def _start_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is a start-up failure that another attempt may get past."""
    return isinstance(exc, TimeoutError) or any(m in str(exc).lower() for m in _START_FAILURES)


def _new_ray_processes(before: set[int], marker: str) -> list[Any]:
    """What a failed start left behind: this process's descendants started since ``before``, below
    no older process (a Ray already running keeps its workers), whose command line names ``marker``
    (the attempt's temp dir: gcs_server, raylet, monitors), with their own children (the raylet's
    agents and workers). Only our own children are looked at."""
    import psutil

    new = {p.pid: p for p in psutil.Process().children(recursive=True) if p.pid not in before}
    found: dict[int, Any] = {}
    for proc in new.values():
        with suppress(psutil.Error):
            if (proc.ppid() == os.getpid() or proc.ppid() in new) and marker in " ".join(proc.cmdline()):
                found[proc.pid] = proc
                found |= {c.pid: c for c in proc.children(recursive=True)}
    return list(found.values())


def _children() -> set[int] | None:
    """The pids of this process's descendants now; None without psutil (then nothing is cleaned)."""
    try:
        import psutil

        return {p.pid for p in psutil.Process().children(recursive=True)}
    except Exception:  # no psutil (Ray vendors one), or it could not list them
        return None


def _stop(procs: Sequence[Any]) -> None:
    """Terminate, then kill what is left after a few seconds (a failed attempt's Ray processes)."""
    if not procs:
        return
    import psutil

    for p in procs:
        with suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(procs, timeout=5)
    for p in alive:
        with suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=5)


_OVERLOADED = ("The machine may be overloaded: try again when it is quieter, or start Ray once with "
               "`ray start --head` and set RAY_ADDRESS (or settings.ray_address) to its address")


def retry_ray_start(start: Callable[[], Any], *, what: str, attempts: int | None = None,
                    backoff: float | None = None, cleanup: Callable[[], None] | None = None,
                    marker: str | None = None, hint: str = _OVERLOADED,
                    sleep: Callable[[float], None] = time.sleep) -> Any:
    """``start()`` retried on the start-up failures of a loaded machine; returns what it returns.

    Between attempts: ``cleanup()`` (default ``ray.shutdown()``), the Ray processes the failed
    attempt started (descendants of this process whose command line names ``marker``, the attempt's
    temp dir) are stopped, and it waits ``backoff`` seconds, then twice that (defaults:
    :data:`START_ATTEMPTS`, :data:`START_BACKOFF_S`). Any other error is raised at once. After the
    last attempt fails it raises :class:`RayStartError` naming ``what``, the attempts, the last
    error and ``hint`` (what to do).
    """
    attempts = max(1, START_ATTEMPTS if attempts is None else attempts)
    backoff = START_BACKOFF_S if backoff is None else backoff
    last: BaseException | None = None
    for attempt in range(1, attempts + 1):
        before = _children() if marker else None
        try:
            return start()
        except Exception as exc:
            if not _start_failure(exc):
                raise
            last = exc
            log.warning("%s failed (attempt %d of %d): %s", what, attempt, attempts, _short(exc))
            with suppress(Exception):
                (cleanup or _ray().shutdown)()
            if marker and before is not None:
                with suppress(Exception):
                    _stop(_new_ray_processes(before, marker))
            if attempt < attempts:
                sleep(backoff * 2 ** (attempt - 1))
    raise RayStartError(f"{what} failed {attempts} times; the last error: {_short(last) if last else 'unknown'}. "
                        f"{hint}") from last


def start_ray(*, attempts: int | None = None, backoff: float | None = None, **init_kwargs: Any) -> Any:
    """``ray.init(**init_kwargs)``, retried by :func:`retry_ray_start` on the start-up failures of
    a loaded machine ("node timed out during startup"); raises :class:`RayStartError` at last."""
    ray = _ray()
    address = init_kwargs.get("address")
    if address and address != "local":  # an existing cluster: nothing of ours to clean up
        what, marker = f"Connecting to Ray at {address}", None
        hint = (f"Is that cluster up and reachable? Check it with `ray status --address {address}`, or unset "
                "RAY_ADDRESS (and settings.ray_address) to start a local Ray")
    else:  # a failed attempt's processes name its temp dir (Ray's default one lies under a /ray/ folder)
        what, marker = "Starting a local Ray", str(init_kwargs.get("_temp_dir") or f"{os.sep}ray{os.sep}")
        hint = _OVERLOADED
    return retry_ray_start(lambda: ray.init(**init_kwargs), what=what, attempts=attempts, backoff=backoff,
                           cleanup=ray.shutdown, marker=marker, hint=hint)


def encode_result(task: str, result: Any) -> tuple[bytes, str, str, dict[str, Any]]:
    """A backend's result as stored bytes: images as PNG, speech as WAV, text as UTF-8."""
    if task == "image":
        buf = io.BytesIO()
        result.save(buf, format="PNG")
        layout = result.info.get("studio_layout") if hasattr(result, "info") else None
        if isinstance(layout, str):
            with suppress(ValueError):  # a layout that is not JSON is kept as the text it is
                layout = json.loads(layout)
        meta = {"width": result.width, "height": result.height}
        if layout is not None:
            meta["studio_layout"] = layout
        return buf.getvalue(), "image/png", "png", meta
    if task == "speech":
        if not isinstance(result, Audio):
            raise TypeError(f"speech backend returned {type(result).__name__}, expected base.Audio")
        return result.to_wav(), "audio/wav", "wav", {"seconds": result.seconds, "rate": result.rate}
    if task == "text":
        return str(result).encode("utf-8"), "text/plain; charset=utf-8", "txt", {}
    raise BackendError(f"task {task!r} has no job type; the runner serves image, text and speech")


class ModelWorker:
    """A Ray actor holding one loaded backend; serves batches until it is killed.

    ``backend_factory`` (``spec -> backend``) replaces :func:`profile.load_backend` (tests, custom
    backends); it must be importable by the worker (a module-level function or class).
    """

    def __init__(self, spec: BackendSpec, backend_factory: Callable[[BackendSpec], Any] | None = None) -> None:
        self.spec = spec
        self.backend = (backend_factory or load_backend)(spec)
        self._info: dict[str, Any] | None = None

    def info(self) -> dict[str, Any]:
        """Where this worker runs: Ray node id, worker id, the accelerator ids Ray gave it, the GPU kind."""
        if self._info is None:
            import ray

            ctx = ray.get_runtime_context()
            gpu_ids = [str(g) for g in ctx.get_accelerator_ids().get("GPU", [])]
            kind = "cpu"
            if gpu_ids:
                kind = "unknown-gpu"  # Ray assigned a GPU that CUDA cannot see (a simulated cluster)
                with suppress(ImportError):  # no torch: the device keeps the kind Ray gave it
                    import torch

                    if torch.cuda.is_available():
                        kind = torch.cuda.get_device_name(0)
            self._info = {"node_id": ctx.get_node_id(), "worker_id": ctx.get_worker_id(),
                          "actor_id": ctx.get_actor_id(), "gpu_ids": gpu_ids, "gpu_kind": kind, "pid": os.getpid()}
        return self._info

    def run_batch(self, task: str, requests_json: list[str]) -> tuple[list[Item], dict[str, Any]]:
        """Run one batch; returns one (bytes, mime, ext, metadata, seconds) per request, in order, and
        :meth:`info` (seconds is the batch's compute time shared equally over its requests)."""
        requests = [request_from_json(task, r) for r in requests_json]
        start = time.perf_counter()
        if task == "image":
            results = self.backend.generate(requests)
        elif task == "text":
            results = self.backend.complete(requests)
        elif task == "speech":
            results = self.backend.synthesize(requests)
        else:
            raise BackendError(f"task {task!r} has no job type; the runner serves image, text and speech")
        seconds = time.perf_counter() - start
        if len(results) != len(requests):
            raise BackendError(f"{self.spec.backend} returned {len(results)} results for {len(requests)} requests")
        share = seconds / len(requests)
        items = [(*encode_result(task, r), share) for r in results]
        return items, self.info()


@dataclass
class _Pool:
    spec: BackendSpec
    capacity: int
    actors: list[Any] = field(default_factory=list)
    idle: list[Any] = field(default_factory=list)
    deaths: dict[str, int] = field(default_factory=dict)


@dataclass
class _Batch:
    pool: _Pool
    actor: Any
    job_ids: list[str]
    started: float


class Runner:
    """The owner process's driver of generation jobs (see the module docstring).

    ``max_workers`` caps the actors per backend key (default: as many as the cluster can hold);
    ``resources`` adds custom Ray resources every worker asks for (e.g. ``{"render": 1}``).
    """

    def __init__(self, scope: ProjectScope, settings: Settings, profile: ModelProfile | None = None, *,
                 address: str | None = None, progress: bool = True,
                 backend_factory: Callable[[BackendSpec], Any] | None = None, max_workers: int | None = None,
                 max_restarts: int = 2, resources: dict[str, float] | None = None,
                 admit: Callable[[BackendSpec, int], Any] | None = None) -> None:
        self.scope = scope
        self.settings = settings
        self.profile = profile or ModelProfile()
        self.progress = progress
        self.backend_factory = backend_factory
        self.max_workers = max_workers
        self.max_restarts = max_restarts
        self.resources = dict(resources or {})
        #: Called as admit(spec, requests) before a job is queued; raises to refuse (quota).
        self.admit: Callable[[BackendSpec, int], Any] | None = admit
        self._pools: dict[str, _Pool] = {}
        self._writers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="studio-artifacts")
        self.ray = _ray()
        self._started_ray = False
        if not self.ray.is_initialized():
            target = address or settings.ray_address or "local"
            where: dict[str, Any] = {}
            if target == "local":  # a temp dir of its own; a driver joining a cluster names none (no node would match)
                store = hashlib.sha256(str(scope.store.path or settings.store).encode()).hexdigest()[:8]
                where["_temp_dir"] = str(Path(tempfile.gettempdir()) / f"skray-{store}")
            start_ray(address=target, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False, **where)
            self._started_ray = True
        self.recovered = jobs.recover(scope)

    # -- queueing ----------------------------------------------------------------------------
    def submit(self, task: str, request: ImageRequest | TextRequest | SpeechRequest, *,
               spec: BackendSpec | None = None, idempotency_key: str | None = None, max_attempts: int = 3) -> str:
        """Queue one request for the profile's backend of ``task`` (or ``spec``); returns the job id.

        ``admit`` (set by the Studio: the tenant's GPU quota) may refuse the submission with a clear
        error before anything is queued; a resubmission of a key whose job is waiting or done is never
        refused (one that failed or was cancelled runs again, so it is asked like a new one)."""
        spec = spec or self.profile.spec(task)
        if self.admit is not None and not (idempotency_key and self.scope.one(
                "SELECT 1 FROM {generation_job} WHERE idempotency_key = $k AND NOT list_contains($ended, status)",
                {"k": jobs.scoped_key(idempotency_key, spec), "ended": list(jobs.ENDED_UNSUCCESSFULLY)})):
            self.admit(spec, 1)
        return jobs.submit(self.scope, task, request, spec, idempotency_key=idempotency_key, max_attempts=max_attempts)

    def submit_many(self, task: str, requests: Sequence[ImageRequest | TextRequest | SpeechRequest],
                    keys: Sequence[str | None], *, spec: BackendSpec | None = None, max_attempts: int = 3) -> list[str]:
        """Queue many requests at once (one transaction); the quota is asked once for the ones that
        will run: new ones and failed or cancelled ones asked for again (a finished or waiting job's
        key is never refused)."""
        spec = spec or self.profile.spec(task)
        if self.admit is not None:
            scoped = [jobs.scoped_key(k, spec) for k in keys]
            wanted = sorted({k for k in scoped if k is not None})
            known = {r[0] for r in self.scope.rows(
                "SELECT idempotency_key FROM {generation_job} WHERE list_contains($k, idempotency_key) "
                "AND NOT list_contains($ended, status)", {"k": wanted, "ended": list(jobs.ENDED_UNSUCCESSFULLY)})} \
                if wanted else set()
            # each key once (the same key twice in a call is one job), plus every request without a key
            new = len({k for k in wanted if k not in known}) + sum(1 for k in scoped if k is None)
            if new:
                self.admit(spec, new)
        return jobs.submit_many(self.scope, task, requests, spec, keys, max_attempts=max_attempts)

    def cancel(self, job_id: str) -> str:
        return jobs.cancel(self.scope, job_id)

    def jobs(self, job_ids: Iterable[str] | None = None) -> pl.DataFrame:
        return jobs.list_jobs(self.scope, job_ids)

    # -- workers -----------------------------------------------------------------------------
    def _capacity(self, spec: BackendSpec) -> int:
        """How many workers for ``spec`` the live cluster can hold at once, node by node."""
        need = {"GPU": spec.num_gpus} if spec.num_gpus > 0 else {"CPU": 1.0}
        need |= self.resources
        total = 0
        for node in self.ray.nodes():
            if not node.get("Alive"):
                continue
            have = node.get("Resources", {})
            total += min(math.floor(have.get(k, 0.0) / v + 1e-9) for k, v in need.items() if v > 0)
        if total < 1:
            what = ", ".join(f"{k}={v}" for k, v in need.items())
            raise BackendError(f"no Ray node can host a {spec.task} worker ({spec.backend}, {what}); set num_gpus = 0 "
                               "in the model profile, or connect to a cluster with GPUs (Settings.ray_address)")
        return min(total, self.max_workers) if self.max_workers else total

    def _pool(self, spec: BackendSpec) -> _Pool:
        key = spec.key()
        if key not in self._pools:
            self._pools[key] = _Pool(spec, self._capacity(spec))
        return self._pools[key]

    def _need(self, spec: BackendSpec) -> dict[str, float]:
        need = {"GPU": spec.num_gpus} if spec.num_gpus > 0 else {"CPU": 1.0}
        return need | self.resources

    def _make_room(self, pool: _Pool) -> bool:
        """Whether one more worker for ``pool`` fits beside every worker this runner holds; when it
        does not, idle workers of other pools are let go first (their models unload). Without this a
        second model's worker could wait forever for resources held by an idle first one."""
        total = self.ray.cluster_resources()
        need = self._need(pool.spec)

        def free() -> dict[str, float]:
            held: dict[str, float] = {}
            for p in self._pools.values():
                for k, v in self._need(p.spec).items():
                    held[k] = held.get(k, 0.0) + v * len(p.actors)
            return {k: total.get(k, 0.0) - held.get(k, 0.0) for k in need}

        while any(free()[k] + 1e-9 < v for k, v in need.items()):
            other = next((p for p in self._pools.values() if p is not pool and p.idle), None)
            if other is None:
                return False
            self._drop_actor(other, other.idle.pop())
        return True

    def _idle_actor(self, pool: _Pool) -> Any | None:
        if pool.idle:
            return pool.idle.pop()
        if len(pool.actors) < pool.capacity and self._make_room(pool):
            gpu = pool.spec.num_gpus > 0
            cls = self.ray.remote(ModelWorker).options(
                num_gpus=pool.spec.num_gpus if gpu else 0, num_cpus=0 if gpu else 1, max_restarts=self.max_restarts,
                max_concurrency=1, resources=self.resources or None)
            actor = cls.remote(self._worker_spec(pool.spec), self.backend_factory)
            pool.actors.append(actor)
            return actor
        return None

    def _worker_spec(self, spec: BackendSpec) -> BackendSpec:
        """The spec a worker is built with: image backends get the assets folder (the diffusers
        backend's IP-Adapter reads characters' reference images from it) unless the profile names
        one. Pools and jobs stay keyed by the profile's own spec, so jobs still find their pool."""
        if spec.task == "image" and "assets_dir" not in spec.options:
            return replace(spec, options={**spec.options, "assets_dir": str(self.settings.assets)})
        return spec

    def _drop_actor(self, pool: _Pool, actor: Any) -> None:
        self.ray.kill(actor, no_restart=True)
        pool.actors = [a for a in pool.actors if a is not actor]
        pool.idle = [a for a in pool.idle if a is not actor]

    # -- running -----------------------------------------------------------------------------
    def _batches(self, target: set[str], solo: set[str]) -> list[tuple[BackendSpec, str, list[str], list[str]]]:
        queued = jobs.list_jobs(self.scope, target, status="queued")
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in queued.iter_rows(named=True):
            key = (row["backend_key"], row["batch_key"]) if row["job_id"] not in solo else (row["job_id"], "")
            groups.setdefault(key, []).append(row)
        out = []
        for rows in groups.values():
            spec = jobs.spec_from_json(rows[0]["spec"])
            for i in range(0, len(rows), max(1, spec.batch_size)):
                chunk = rows[i:i + spec.batch_size]
                out.append((spec, chunk[0]["task"], [r["job_id"] for r in chunk], [r["request"] for r in chunk]))
        return out

    def run(self, job_ids: Iterable[str] | None = None, *, timeout: float | None = None) -> pl.DataFrame:
        """Run queued jobs (all of the project's, or ``job_ids``) to done/failed/cancelled; returns them.

        With ``timeout`` (seconds) it stops waiting then: jobs still in flight go back to queued
        (attempt given back) for the next run.
        """
        from tqdm.auto import tqdm

        ray = self.ray
        if job_ids is None:
            target = set(jobs.list_jobs(self.scope, status="queued")["job_id"].to_list())
        else:
            target = set(job_ids)
        deadline = None if timeout is None else time.monotonic() + timeout
        inflight: dict[Any, _Batch] = {}
        probes: dict[Any, tuple[_Pool, Any]] = {}  # restarting actors: back to idle once they answer
        solo: set[str] = set()
        bar = tqdm(total=len(target), disable=not self.progress, desc="generation", unit="job")
        queue = self._batches(target, solo)  # re-read only after jobs went back to queued

        def dispatch() -> None:
            """Hand queued batches to idle workers (creating workers up to each pool's capacity)."""
            nonlocal queue
            waiting = []
            for spec, task, ids, requests in queue:
                pool = self._pool(spec)
                actor = self._idle_actor(pool)
                if actor is None:
                    waiting.append((spec, task, ids, requests))
                    continue
                started = jobs.mark_running(self.scope, ids)  # a job cancelled meanwhile does not start
                if len(started) < len(ids):
                    keep = set(started)
                    requests = [r for j, r in zip(ids, requests, strict=True) if j in keep]
                    ids = started
                if not ids:
                    pool.idle.append(actor)
                    continue
                ref = actor.run_batch.remote(task, requests)
                inflight[ref] = _Batch(pool, actor, ids, time.monotonic())
            queue = waiting

        try:
            while True:
                dispatch()
                if not inflight and not probes:
                    break
                wait = None if deadline is None else max(0.0, deadline - time.monotonic())
                ready, _ = ray.wait([*inflight, *probes], num_returns=1, timeout=wait)
                if not ready:
                    for batch in inflight.values():
                        jobs.requeue(self.scope, batch.job_ids, error="runner timed out; requeued")
                        batch.pool.idle.append(batch.actor)  # its late result is dropped; calls queue behind it
                    for pool, actor in probes.values():
                        pool.idle.append(actor)
                    break
                for ref in ready:
                    if ref in probes:
                        pool, actor = probes.pop(ref)
                        try:
                            ray.get(ref)
                            pool.idle.append(actor)
                        except ray.exceptions.RayError:
                            self._drop_actor(pool, actor)  # a fresh one is created on demand
                        continue
                    batch = inflight.pop(ref)
                    finished, restarting, requeued = self._collect(ref, batch, solo, dispatch)
                    bar.update(finished)
                    if requeued:
                        queue = self._batches(target, solo)
                    if restarting:
                        probes[batch.actor.info.remote()] = (batch.pool, batch.actor)
        finally:
            bar.close()
        return jobs.list_jobs(self.scope, target)

    def _collect(self, ref: Any, batch: _Batch, solo: set[str],
                 dispatch: Callable[[], None]) -> tuple[int, bool, bool]:
        """Record one returned batch; returns how many jobs reached a final state, whether the
        batch's actor is restarting (it rejoins the pool once it answers again), and whether any job
        went back to queued (the runner then re-reads the queue). On success the worker is given its
        next batch (``dispatch``) *before* this one is written, so the store work overlaps compute."""
        ray = self.ray
        pool, spec = batch.pool, batch.pool.spec
        try:
            items, info = ray.get(ref)
        except ray.exceptions.RayActorError as exc:
            # The worker died or is restarting; the batch may have run partly, so it costs an attempt.
            # ActorDiedError: gone for good (restarts used up); others: Ray is restarting it.
            actor_key = str(id(batch.actor))
            pool.deaths[actor_key] = pool.deaths.get(actor_key, 0) + 1
            restarting = (not isinstance(exc, ray.exceptions.ActorDiedError)
                          and pool.deaths[actor_key] <= self.max_restarts)
            if not restarting:
                self._drop_actor(pool, batch.actor)
            error = f"worker died while running {spec.backend} ({spec.model}): {_short(exc)}"
            final = sum(jobs.retry_or_fail(self.scope, j, error) != "queued" for j in batch.job_ids)
            return final, restarting, final < len(batch.job_ids)
        except ray.exceptions.RayTaskError as exc:  # the backend raised
            pool.idle.append(batch.actor)
            if len(batch.job_ids) > 1:
                solo.update(batch.job_ids)
                jobs.requeue(self.scope, batch.job_ids, error=f"batch failed, retrying alone: {_short(exc)}")
                return 0, False, True
            jobs.fail(self.scope, batch.job_ids[0], f"{spec.backend} ({spec.model}) failed: {_short(exc)}")
            return 1, False, False
        pool.idle.append(batch.actor)
        dispatch()
        # written by a few threads: each write waits on its fsync (the GIL is released meanwhile)
        stored = list(self._writers.map(lambda item: artifacts.put(self.settings.assets, item[0], item[2], item[1]),
                                        items))
        share = spec.num_gpus if spec.num_gpus > 0 else 1.0  # GPU-seconds per second of compute
        jobs.finish_many(self.scope, [  # one transaction for the batch: each job's result + usage together
            (job_id, jobs.JobResult(art.sha256, str(art.path), mime, meta, seconds, info["node_id"],
                                    info["worker_id"], info["gpu_ids"], info["gpu_kind"], seconds * share))
            for job_id, art, (_, mime, _, meta, seconds) in zip(batch.job_ids, stored, items, strict=True)])
        return len(items), False, False

    # -- shutting down -----------------------------------------------------------------------
    def close(self) -> None:
        """Kill this runner's workers; shut Ray down only when this runner started it."""
        for pool in self._pools.values():
            for actor in list(pool.actors):
                self._drop_actor(pool, actor)
        self._pools.clear()
        self._writers.shutdown(wait=True)
        if self._started_ray and self.ray.is_initialized():
            self.ray.shutdown()
            self._started_ray = False

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _short(exc: BaseException) -> str:
    """The underlying error in one line (Ray wraps backend exceptions in long tracebacks)."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        return f"{type(cause).__name__}: {cause}"
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


class RunnerTextJobs:
    """Text completions as jobs on the runner (``complete(requests) -> [str]``, the protocol the
    writing engine asks for): each request is a stored job, its answer a text artifact; keys make a
    re-run reuse its jobs. A job that failed raises TextBackendError with its error (naming the job).
    ``follows_instructions`` and ``model_id`` describe the model to callers that adapt to it."""

    follows_instructions: bool | None = None
    model_id: str = ""

    def __init__(self, runner: Runner, *, key_prefix: str = "text", timeout: float | None = None) -> None:
        self.runner = runner
        self.key_prefix = key_prefix
        self.timeout = timeout

    def complete(self, requests: Sequence[TextRequest]) -> list[str]:
        out = []
        for answer in self.outcomes(requests):
            if isinstance(answer, Exception):
                raise answer
            out.append(answer)
        return out

    def outcomes(self, requests: Sequence[TextRequest]) -> list[str | Exception]:
        """Each request's answer, or the error its job ended with (so one failed item does not
        cost the others their answers)."""
        from .text import TextBackendError

        keys = [f"{self.key_prefix}:{hashlib.sha256(request_to_json(r).encode()).hexdigest()[:24]}" for r in requests]
        ids = self.runner.submit_many("text", requests, keys)
        frame = self.runner.run(ids, timeout=self.timeout)
        rows = {r["job_id"]: r for r in frame.iter_rows(named=True)}
        out: list[str | Exception] = []
        for j in ids:
            r = rows[j]
            if r["status"] != "done" or not r.get("artifact_path"):
                out.append(TextBackendError(f"text job {j} {r['status']}: {r.get('error') or 'no answer'}"))
            else:
                out.append(Path(r["artifact_path"]).read_text(encoding="utf-8"))
        return out
