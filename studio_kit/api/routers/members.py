"""Project members and roles (member.manage) and the audit log (audit.read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ...management import access
from ...management.access import Role
from ..app import Ctx, CtxDep
from ._common import Request, Rows, rows

router = APIRouter(prefix="/v1/projects/{project}", tags=["members"])


class RoleIn(Request):
    role: Role | None = Field(..., description="the role in this project; null removes the person")
    department: str = Field("", max_length=100)


class RoleSet(BaseModel):
    person_id: str
    role: str | None


def _members(c: Ctx):
    c.studio._check("member.manage")
    return access.members(c.studio.store, c.studio.tenant, c.studio.project)


@router.get("/members", response_model=Rows)
def members(c: CtxDep) -> Rows:
    return rows(c.run(_members, c))


def _set_role(c: Ctx, person_id: str, body: RoleIn) -> None:
    c.studio._check("member.manage", person_id)
    access.set_role(c.studio.store, c.studio.tenant, c.studio.project, person_id, body.role,
                    actor=c.user.person_id, department=body.department)


@router.put("/members/{person_id}", response_model=RoleSet)
def set_role(c: CtxDep, person_id: str, body: RoleIn) -> RoleSet:
    c.run(_set_role, c, person_id, body)
    return RoleSet(person_id=person_id, role=body.role.value if body.role else None)


def _audit(c: Ctx, limit: int):
    c.studio._check("audit.read")
    return access.audit_log(c.studio.store, c.studio.tenant, c.studio.project, limit=limit)


@router.get("/audit", response_model=Rows)
def audit(c: CtxDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Rows:
    return rows(c.run(_audit, c, limit))
