"""Call sheets as JSON; the production records come in the request body (never a file on the server)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from ..deps import CtxDep
from ._common import Request, plain

router = APIRouter(prefix="/v1/projects/{project}/callsheets", tags=["callsheets"])


class CallSheetsIn(Request):
    records: dict[str, Any] = Field(..., description="production records (contacts, locations, hospitals, crew)")
    script_id: str | None = None
    schedule_version: int | None = Field(None, ge=1)


@router.post("", response_model=list[dict[str, Any]])
def call_sheets(c: CtxDep, body: CallSheetsIn) -> list[dict[str, Any]]:
    sheets = c.run(c.studio.call_sheets, body.records, script_id=body.script_id, schedule_version=body.schedule_version)
    return plain(list(sheets))
