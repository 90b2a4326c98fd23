"""Characters: list, one version of a bible, stored sheets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import CtxDep
from ._common import Rows, plain, rows

router = APIRouter(prefix="/v1/projects/{project}/characters", tags=["characters"])


@router.get("", response_model=Rows)
def characters(c: CtxDep) -> Rows:
    return rows(c.run(c.studio.characters))


@router.get("/{character_id}/versions", response_model=Rows)
def versions(c: CtxDep, character_id: str) -> Rows:
    return rows(c.run(c.studio.character_versions, character_id))


@router.get("/{character_id}/versions/{version}", response_model=dict[str, Any])
def version(c: CtxDep, character_id: str, version: int) -> dict[str, Any]:
    return plain(c.run(c.studio.character_version, character_id, version))


@router.get("/{character_id}/sheets", response_model=Rows)
def sheets(c: CtxDep, character_id: str) -> Rows:
    return rows(c.run(c.studio.character_sheets, character_id))
