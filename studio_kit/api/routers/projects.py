"""Projects the caller may see: an admin sees the tenant's, anyone else the projects they belong to."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from ...common.errors import NotFound
from ...management.access import Principal
from ..deps import Api, ApiDep, UserDep, visible_projects

router = APIRouter(prefix="/v1/projects", tags=["projects"])


class Project(BaseModel):
    project_id: str
    name: str
    created_at: datetime | None
    role: str | None  # the caller's role here ("admin" for a tenant admin)


def _visible(api: Api, user: Principal) -> list[Project]:
    return [Project(project_id=r["project_id"], name=r["name"], created_at=r["created_at"], role=r["role"])
            for r in visible_projects(api, user)]


@router.get("", response_model=list[Project])
def list_projects(api: ApiDep, user: UserDep) -> list[Project]:
    return _visible(api, user)


@router.get("/{project}", response_model=Project)
def get_project(project: str, api: ApiDep, user: UserDep) -> Project:
    for p in _visible(api, user):
        if p.project_id == project:
            return p
    raise NotFound(f"no project {project!r}")
