"""Shooting schedules: plan one (bounded solver time), list them, read a stripboard."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ..app import CtxDep
from ._common import Request, Rows, rows

router = APIRouter(prefix="/v1/projects/{project}/schedules", tags=["schedule"])


class PlanIn(Request):
    script_id: str | None = None
    version: int | None = Field(None, ge=1)
    start: date | None = None
    capacity_eighths: int = Field(40, ge=1, le=400)
    time_limit: float = Field(5.0, gt=0, le=30)
    max_days: int = Field(0, ge=0, le=365)
    label: str = Field("", max_length=200)


class ScheduleOut(BaseModel):
    script_id: str
    version: int
    script_version: int
    label: str
    shoot_days: int
    dates: list[date]


def _out(s) -> ScheduleOut:
    return ScheduleOut(script_id=s.script_id, version=s.version, script_version=s.script_version, label=s.label,
                       shoot_days=s.shoot_days, dates=s.dates())


@router.post("", response_model=ScheduleOut, status_code=201)
def plan(c: CtxDep, body: PlanIn) -> ScheduleOut:
    s = c.run(c.studio.plan_schedule, body.script_id, body.version, start=body.start,
              capacity_eighths=body.capacity_eighths, time_limit=body.time_limit, max_days=body.max_days,
              label=body.label)
    return _out(s)


@router.get("", response_model=Rows)
def schedules(c: CtxDep, script_id: str | None = None) -> Rows:
    return rows(c.run(c.studio.schedules, script_id))


@router.get("/{version}", response_model=ScheduleOut)
def schedule(c: CtxDep, version: int, script_id: str | None = None) -> ScheduleOut:
    return _out(c.run(c.studio.schedule, script_id, version))


@router.get("/{version}/stripboard", response_model=Rows)
def stripboard(c: CtxDep, version: int, script_id: str | None = None) -> Rows:
    return rows(c.run(c.studio.stripboard, script_id, version))
