"""The platform's facade on the Studio: API keys, usage, plans, invoices and the GPU quota.

Keys, plans and invoices are tenant-level (they cover every project of the tenant), so beyond the
action a non-admin is limited: usage is reported for the projects where they may ``usage.read``;
plans and invoices, which sum the whole tenant, are for tenant admins only (``tenant_admin=True``
in the one permission idiom).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl

from ..common.clock import utc_now
from ..generation.ops import GenerationOps
from ..management import access
from ..management.access import operation
from . import billing, keys


class PlatformOps(GenerationOps):
    """Mixed into :class:`studio_kit.studio.Studio`; it meters the generation facade below it."""

    # -- API keys ----------------------------------------------------------------------------------
    @operation("key.manage", target="{person_id}")
    def create_api_key(self, person_id: str, *, label: str = "", expires_at: datetime | None = None) -> keys.CreatedKey:
        """A new key for a person of this tenant; its plaintext is in the result only (show it once)."""
        return keys.create_api_key(self.store, self.tenant, person_id, label=label, expires_at=expires_at,
                                   actor=self.user.person_id)

    @operation("key.manage")
    def api_keys(self, person_id: str | None = None) -> pl.DataFrame:
        return keys.list_api_keys(self.store, self.tenant, person_id)

    @operation("key.manage", target="{key_id}")
    def revoke_api_key(self, key_id: str) -> bool:
        return keys.revoke_api_key(self.store, self.tenant, key_id, actor=self.user.person_id)

    # -- usage, plans, quotas --------------------------------------------------------------------------
    @operation("usage.read")
    def usage_report(self, period: str | date | datetime | None = None) -> pl.DataFrame:
        """Quantity per (project, meter) this month (or ``period``); a non-admin sees their projects only."""
        per = billing.Period.of(period if period is not None else utc_now())
        projects = None if self.user.is_admin else access.projects_where(self.user, "usage.read")
        return billing.usage_report(self.store, self.tenant, per, projects)

    @operation("invoice.issue", target="{plan_id}", tenant_admin=True)
    def set_plan(self, plan_id: str, *, effective_from: date, gpu_quota: float | None = None) -> None:
        billing.set_plan(self.store, self.tenant, plan_id, effective_from=effective_from, gpu_quota=gpu_quota,
                         actor=self.user.person_id)

    @operation("usage.read")
    def quota_status(self) -> billing.QuotaStatus:
        return billing.quota_status(self.store, self.tenant)

    # -- invoices ------------------------------------------------------------------------------------
    @operation("invoice.read", tenant_admin=True)
    def draft_invoice(self, period: str | date | datetime) -> billing.Invoice:
        return billing.draft_invoice(self.store, self.tenant, period)

    @operation("invoice.issue", target="{period}", tenant_admin=True)
    def issue_invoice(self, period: str | date | datetime) -> billing.Invoice:
        return billing.issue_invoice(self.store, self.tenant, period, actor=self.user.person_id)

    @operation("invoice.read", tenant_admin=True)
    def invoices(self) -> pl.DataFrame:
        return billing.list_invoices(self.store, self.tenant)

    @operation("invoice.read", target="{invoice_id}", tenant_admin=True)
    def invoice(self, invoice_id: str) -> billing.Invoice:
        return billing.verify_invoice(self.store, self.tenant, invoice_id)

    # -- the quota on generation ------------------------------------------------------------------------
    def _admit_generation(self, spec: Any, requests: int) -> None:
        """The tenant's GPU quota, checked when a job is submitted (not when it would run): a job
        over quota is refused with the figures and what to do (platform.billing.QuotaExceeded)."""
        found = billing.plan_for(self.store, self.tenant, utc_now())
        if found is None:
            return
        billing.check_quota(self.store, self.tenant,
                            billing.estimate_gpu_seconds(spec, requests=requests, plan=found[0]))


__all__ = ["PlatformOps"]
