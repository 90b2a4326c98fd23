"""Usage records: what generation used, by model and GPU kind, counted once.

Why an idempotency key: a generation job may be retried after a worker dies or replayed after a
crash; its usage must reach the budget's AI compute account (and later the invoice) exactly once.
The key is chosen by the job (e.g. ``job-42/attempt-ok``); recording the same key again is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

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


def record_usage(scope: ProjectScope, usage: Usage) -> bool:
    """Store one usage record; False when its key was already recorded (a retry or a replay)."""
    if usage.gpu_seconds < 0:
        raise ValueError(f"usage {usage.idempotency_key!r}: gpu_seconds must be >= 0, got {usage.gpu_seconds}")
    if not usage.idempotency_key:
        raise ValueError(f"usage of job {usage.job_id!r} needs an idempotency key")
    with scope.transaction():
        if scope.one("SELECT 1 FROM {usage_record} WHERE idempotency_key = $k", {"k": usage.idempotency_key}):
            return False
        scope.insert("usage_record", [{
            "idempotency_key": usage.idempotency_key, "job_id": usage.job_id, "model": usage.model,
            "gpu_kind": usage.gpu_kind, "gpu_seconds": float(usage.gpu_seconds),
            "recorded_at": datetime.now(UTC).replace(tzinfo=None),
        }])
    return True


def usage_by_model(scope: ProjectScope) -> pl.DataFrame:
    """GPU-seconds per (model, GPU kind) for the project: what the AI compute account prices."""
    return scope.sql("SELECT model, gpu_kind, sum(gpu_seconds) AS gpu_seconds, count(*) AS records "
                     "FROM {usage_record} GROUP BY model, gpu_kind ORDER BY model, gpu_kind")
