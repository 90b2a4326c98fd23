"""Generation jobs of the project: list, one, cancel."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ..deps import CtxDep
from ._common import Rows, plain, rows

router = APIRouter(prefix="/v1/projects/{project}/jobs", tags=["jobs"])


class Cancelled(BaseModel):
    job_id: str
    status: str


@router.get("", response_model=Rows)
def jobs(c: CtxDep, status: str | None = None) -> Rows:
    return rows(c.run(c.studio.jobs, status))


@router.get("/{job_id}", response_model=dict[str, Any])
def job(c: CtxDep, job_id: str) -> dict[str, Any]:
    return plain(c.run(c.studio.job, job_id))


@router.post("/{job_id}/cancel", response_model=Cancelled)
def cancel(c: CtxDep, job_id: str) -> Cancelled:
    return Cancelled(job_id=job_id, status=c.run(c.studio.cancel_job, job_id))
