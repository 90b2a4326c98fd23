"""Generation jobs of the project: list, one, cancel."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ...generation import jobs as generation_jobs
from ..app import Ctx, CtxDep
from ._common import Rows, plain, rows

router = APIRouter(prefix="/v1/projects/{project}/jobs", tags=["jobs"])


class Cancelled(BaseModel):
    job_id: str
    status: str


@router.get("", response_model=Rows)
def jobs(c: CtxDep, status: str | None = None) -> Rows:
    return rows(c.run(c.studio.jobs, status))


def _get(c: Ctx, job_id: str) -> dict[str, Any]:
    c.studio._check("generation.read", job_id)
    return generation_jobs.get(c.studio.scope, job_id)


@router.get("/{job_id}", response_model=dict[str, Any])
def job(c: CtxDep, job_id: str) -> dict[str, Any]:
    return plain(c.run(_get, c, job_id))


def _cancel(c: Ctx, job_id: str) -> str:
    c.studio._check("generation.submit", job_id)
    return generation_jobs.cancel(c.studio.scope, job_id)


@router.post("/{job_id}/cancel", response_model=Cancelled)
def cancel(c: CtxDep, job_id: str) -> Cancelled:
    return Cancelled(job_id=job_id, status=c.run(_cancel, c, job_id))
