"""Project members and roles (member.manage) and the audit log (audit.read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ...management.access import AUDIT_LIMIT, Role
from ..deps import CtxDep
from ._common import Request, Rows, rows

router = APIRouter(prefix="/v1/projects/{project}", tags=["members"])


class RoleIn(Request):
    role: Role | None = Field(..., description="the role in this project; null removes the person")
    department: str = Field("", max_length=100)


class RoleSet(BaseModel):
    person_id: str
    role: str | None


@router.get("/members", response_model=Rows)
def members(c: CtxDep) -> Rows:
    return rows(c.run(c.studio.members))


@router.put("/members/{person_id}", response_model=RoleSet)
def set_role(c: CtxDep, person_id: str, body: RoleIn) -> RoleSet:
    c.run(c.studio.set_role, person_id, body.role, department=body.department)
    return RoleSet(person_id=person_id, role=body.role.value if body.role else None)


@router.get("/audit", response_model=Rows)
def audit(c: CtxDep, limit: Annotated[int, Query(ge=1, le=1000)] = AUDIT_LIMIT) -> Rows:
    return rows(c.run(c.studio.audit_log, limit=limit))
