"""Shooting schedules: plan one (bounded solver time), list them, read a stripboard."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import AliasChoices, BaseModel, Field

from ...preproduction.options import ScheduleOptions
from ..deps import CtxDep
from ._common import Request, Rows, rows

router = APIRouter(prefix="/v1/projects/{project}/schedules", tags=["schedule"])


#: The defaults every door shares (preproduction.options); the API only bounds what a caller may ask.
_DEFAULT = ScheduleOptions()
#: The most solver time one request may ask for: a request holds the store while it solves.
MAX_SOLVE_S = 30.0


class PlanIn(Request):
    script_id: str | None = None
    #: (``version`` is still accepted: the name before the names were made one)
    script_version: int | None = Field(None, ge=1, validation_alias=AliasChoices("script_version", "version"))
    start: date | None = None
    capacity_eighths: int = Field(_DEFAULT.capacity_eighths, ge=1, le=400)
    capacity_hours: float | None = Field(_DEFAULT.capacity_hours, gt=0, le=24)
    time_limit_s: float = Field(_DEFAULT.time_limit_s, gt=0, le=MAX_SOLVE_S,
                                validation_alias=AliasChoices("time_limit_s", "time_limit"))
    max_days: int = Field(_DEFAULT.max_days, ge=0, le=365)
    drop_pickup: bool = _DEFAULT.drop_pickup
    label: str = Field("", max_length=200)

    def options(self) -> ScheduleOptions:
        return ScheduleOptions(capacity_eighths=self.capacity_eighths, capacity_hours=self.capacity_hours,
                               time_limit_s=self.time_limit_s, max_days=self.max_days, drop_pickup=self.drop_pickup)


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
    s = c.run(c.studio.plan_schedule, body.script_id, body.script_version, start=body.start, options=body.options(),
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
