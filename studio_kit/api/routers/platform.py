"""API keys, usage, quota and invoices (tenant-level; reached through a project the caller is in)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ..deps import CtxDep
from ._common import Request, Rows, plain, rows

router = APIRouter(prefix="/v1/projects/{project}", tags=["platform"])

_PERIOD = r"^\d{4}-\d{2}$"


class KeyIn(Request):
    person_id: str = Field(..., min_length=1, max_length=63)
    label: str = Field("", max_length=200)
    expires_at: datetime | None = None


class KeyCreated(BaseModel):
    key_id: str
    prefix: str
    person_id: str
    label: str
    expires_at: datetime | None
    key: str = Field(..., description="the key itself: shown this once, never again")


class Revoked(BaseModel):
    key_id: str
    revoked: bool


class Quota(BaseModel):
    period: str
    used: float
    reserved: float
    quota: float | None
    remaining: float | None


class PeriodIn(Request):
    period: str = Field(..., pattern=_PERIOD, description="billing period, YYYY-MM")


@router.post("/keys", response_model=KeyCreated, status_code=201, tags=["keys"])
def create_key(c: CtxDep, body: KeyIn) -> KeyCreated:
    k = c.run(c.studio.create_api_key, body.person_id, label=body.label, expires_at=body.expires_at)
    return KeyCreated(key_id=k.key_id, prefix=k.prefix, person_id=k.person_id, label=k.label,
                      expires_at=k.expires_at, key=k.plaintext)


@router.get("/keys", response_model=Rows, tags=["keys"])
def list_keys(c: CtxDep, person_id: str | None = None) -> Rows:
    return rows(c.run(c.studio.api_keys, person_id))


@router.delete("/keys/{key_id}", response_model=Revoked, tags=["keys"])
def revoke_key(c: CtxDep, key_id: str) -> Revoked:
    return Revoked(key_id=key_id, revoked=c.run(c.studio.revoke_api_key, key_id))


@router.get("/usage", response_model=Rows)
def usage(c: CtxDep, period: str | None = None) -> Rows:
    return rows(c.run(c.studio.usage_report, period))


@router.get("/quota", response_model=Quota)
def quota(c: CtxDep) -> Quota:
    q = c.run(c.studio.quota_status)
    return Quota(period=str(q.period), used=q.used, reserved=q.reserved, quota=q.quota, remaining=q.remaining)


@router.get("/invoices", response_model=Rows)
def invoices(c: CtxDep) -> Rows:
    return rows(c.run(c.studio.invoices))


@router.get("/invoices/{invoice_id}", response_model=dict[str, Any])
def invoice(c: CtxDep, invoice_id: str) -> dict[str, Any]:
    return plain(c.run(c.studio.invoice, invoice_id))


@router.post("/invoices/draft", response_model=dict[str, Any])
def draft(c: CtxDep, body: PeriodIn) -> dict[str, Any]:
    return plain(c.run(c.studio.draft_invoice, body.period))


@router.post("/invoices", response_model=dict[str, Any], status_code=201)
def issue(c: CtxDep, body: PeriodIn) -> dict[str, Any]:
    return plain(c.run(c.studio.issue_invoice, body.period))
