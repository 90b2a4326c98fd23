"""Platform operations of the Studio: API keys, usage, plans, invoices and quotas.

A mixin: the Studio provides ``self.store``, ``self.tenant``, ``self.project``, ``self.user`` and
``self._check(action, target="")``. Every method checks first. Keys, plans and invoices are
tenant-level (they cover every project of the tenant), so beyond the action a non-admin is
limited: usage is reported for the projects where they may ``usage.read``; invoices, which sum
the whole tenant, are for tenant admins only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl

from ..management.access import AccessDenied
from . import billing, keys


class PlatformOps:
    store: Any
    tenant: str
    project: str
    user: Any

    _check: Any  # provided by Studio: _check(action, target="") raises AccessDenied

    def _require_tenant_admin(self, what: str) -> None:
        if not self.user.is_admin:
            raise AccessDenied(f"{self.user.person_id} may not {what}: it covers every project of tenant "
                               f"{self.tenant!r}; ask a tenant admin")

    # -- API keys ----------------------------------------------------------------------------------
    def create_api_key(self, person_id: str, *, label: str = "", expires_at: datetime | None = None) -> keys.CreatedKey:
        """A new key for a person of this tenant; its plaintext is in the result only (show it once)."""
        self._check("key.manage", person_id)
        return keys.create_api_key(self.store, self.tenant, person_id, label=label, expires_at=expires_at,
                                   actor=self.user.person_id)

    def api_keys(self, person_id: str | None = None) -> pl.DataFrame:
        self._check("key.manage")
        return keys.list_api_keys(self.store, self.tenant, person_id)

    def revoke_api_key(self, key_id: str) -> bool:
        self._check("key.manage", key_id)
        return keys.revoke_api_key(self.store, self.tenant, key_id, actor=self.user.person_id)

    # -- usage, plans, quotas --------------------------------------------------------------------------
    def usage_report(self, period: str | date | datetime | None = None) -> pl.DataFrame:
        """Quantity per (project, meter) this month (or ``period``); a non-admin sees their projects only."""
        self._check("usage.read")
        per = billing.Period.of(period if period is not None else billing._now())
        projects = None if self.user.is_admin else [p for p in self.user.projects() if self.user.may("usage.read", p)]
        return billing.usage_report(self.store, self.tenant, per, projects)

    def set_plan(self, plan_id: str, *, effective_from: date, gpu_quota: float | None = None) -> None:
        self._check("invoice.issue", plan_id)
        self._require_tenant_admin("set the tenant's price plan")
        billing.set_plan(self.store, self.tenant, plan_id, effective_from=effective_from, gpu_quota=gpu_quota,
                         actor=self.user.person_id)

    def quota_status(self) -> billing.QuotaStatus:
        self._check("usage.read")
        return billing.quota_status(self.store, self.tenant)

    # -- invoices ------------------------------------------------------------------------------------
    def draft_invoice(self, period: str | date | datetime) -> billing.Invoice:
        self._check("invoice.read")
        self._require_tenant_admin("see the tenant's invoices")
        return billing.draft_invoice(self.store, self.tenant, period)

    def issue_invoice(self, period: str | date | datetime) -> billing.Invoice:
        self._check("invoice.issue", str(period))
        self._require_tenant_admin("issue invoices")
        return billing.issue_invoice(self.store, self.tenant, period, actor=self.user.person_id)

    def invoices(self) -> pl.DataFrame:
        self._check("invoice.read")
        self._require_tenant_admin("see the tenant's invoices")
        return billing.list_invoices(self.store, self.tenant)

    def invoice(self, invoice_id: str) -> billing.Invoice:
        self._check("invoice.read", invoice_id)
        self._require_tenant_admin("see the tenant's invoices")
        return billing.verify_invoice(self.store, self.tenant, invoice_id)
