"""Budgets of a schedule version: the top sheet and the detail lines."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ..deps import CtxDep
from ._common import Rows, plain, rows

router = APIRouter(prefix="/v1/projects/{project}/budget", tags=["budget"])


class TopSheet(BaseModel):
    top_sheet: list[dict]
    section_totals: dict[str, float]
    grand_total: float


@router.get("/top-sheet", response_model=TopSheet)
def top_sheet(c: CtxDep, schedule_version: int | None = None, script_id: str | None = None) -> TopSheet:
    r = c.run(c.studio.plan_budget, script_id, schedule_version)
    return TopSheet(top_sheet=plain(r.top_sheet.to_dicts()), section_totals=r.section_totals,
                    grand_total=r.grand_total)


@router.get("/detail", response_model=Rows)
def detail(c: CtxDep, schedule_version: int | None = None, script_id: str | None = None) -> Rows:
    return rows(c.run(c.studio.plan_budget, script_id, schedule_version).detail)


@router.get("/versions", response_model=Rows)
def budgets(c: CtxDep, script_id: str | None = None) -> Rows:
    return rows(c.run(c.studio.budgets, script_id))
