"""Usage records: what generation used, by model and GPU kind, counted once.

Why an idempotency key: a generation job may be retried after a worker dies or replayed after a
crash; its usage must reach the budget's AI compute account (and later the invoice) exactly once.
The key is chosen by the job (e.g. ``job-42/attempt-ok``); recording the same key again is a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass

import duckdb
import polars as pl

from ..common.clock import utc_now
from ..common.errors import Invalid
from ..store import Migration, ProjectScope

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "generation_metering",
        1,
        "usage records with idempotency keys",
        """
        CREATE TABLE usage_record (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            idempotency_key VARCHAR NOT NULL, job_id VARCHAR NOT NULL,
            model VARCHAR NOT NULL, gpu_kind VARCHAR NOT NULL, gpu_seconds DOUBLE NOT NULL,
            recorded_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, idempotency_key)
        );
        """,
        scoped=("usage_record",),
    ),
)


@dataclass(frozen=True)
class Usage:
    idempotency_key: str
    job_id: str
    model: str
    gpu_kind: str
    gpu_seconds: float


def _validate_usage(usage: Usage) -> None:
    if usage.gpu_seconds < 0:
        raise Invalid(f"usage {usage.idempotency_key!r}: gpu_seconds must be >= 0, got {usage.gpu_seconds}")
    if not usage.idempotency_key:
        raise Invalid(f"usage of job {usage.job_id!r} needs an idempotency key")


def record_usage(scope: ProjectScope, usage: Usage) -> bool:
    """Store one usage record; False when its key was already recorded (a retry or a replay)."""
    return record_usages(scope, [usage])[0]


def record_usages(scope: ProjectScope, usages: Sequence[Usage]) -> list[bool]:
    """Store many usage records in one transaction (one lookup, one bulk insert); per record, False
    when its key was already recorded, or appears earlier in ``usages`` (the first one counts)."""
    for usage in usages:
        _validate_usage(usage)
    if not usages:
        return []
    first: dict[str, Usage] = {}
    first_at: dict[str, int] = {}
    for i, usage in enumerate(usages):  # a key twice in one call: the first one counts
        first.setdefault(usage.idempotency_key, usage)
        first_at.setdefault(usage.idempotency_key, i)
    now = utc_now()
    rows = pl.DataFrame({
        "tenant_id": [scope.tenant_id] * len(first), "project_id": [scope.project_id] * len(first),
        "idempotency_key": list(first), "job_id": [u.job_id for u in first.values()],
        "model": [u.model for u in first.values()], "gpu_kind": [u.gpu_kind for u in first.values()],
        "gpu_seconds": [float(u.gpu_seconds) for u in first.values()], "recorded_at": [now] * len(first),
    }, schema={"tenant_id": pl.String, "project_id": pl.String, "idempotency_key": pl.String, "job_id": pl.String,
               "model": pl.String, "gpu_kind": pl.String, "gpu_seconds": pl.Float64,
               "recorded_at": pl.Datetime("us")}).to_arrow()
    with scope.transaction() as con:
        con.register("_sk_usage", rows)
        try:
            # keys already recorded are skipped by the primary key; no lookup first in the usual case
            (count,) = con.execute("INSERT INTO usage_record BY NAME SELECT * FROM _sk_usage ON CONFLICT DO NOTHING").fetchone()
        finally:
            with suppress(duckdb.Error):  # an aborted transaction refuses this; the next register replaces it
                con.unregister("_sk_usage")
        if count == len(first):
            fresh = set(first)
        else:  # some were replays: the new ones are those stamped now
            fresh = {k for (k,) in scope.rows("SELECT idempotency_key FROM {usage_record} WHERE recorded_at = $t "
                                              "AND list_contains($keys, idempotency_key)",
                                              {"t": now, "keys": list(first)})}
    return [u.idempotency_key in fresh and first_at[u.idempotency_key] == i for i, u in enumerate(usages)]


def usage_by_model(scope: ProjectScope) -> pl.DataFrame:
    """GPU-seconds per (model, GPU kind) for the project: what the AI compute account prices."""
    return scope.sql("SELECT model, gpu_kind, sum(gpu_seconds) AS gpu_seconds, count(*) AS records "
                     "FROM {usage_record} GROUP BY model, gpu_kind ORDER BY model, gpu_kind")
