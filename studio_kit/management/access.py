"""Who may do what: people, per-project roles, the permission matrix, and the audit log.

Why one module: every door into the studio (the HTTP API, the CLI, notebooks, dashboards) goes
through the Studio, and every Studio operation asks :func:`authorize` here before it reads or
writes. Kitsu's lesson is built in: membership of the project is checked first and the role is the
role *in that project* (a global role is never read for a project check, except admin); a refused
access is written to the append-only audit log like an approval or a role change.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import polars as pl

from ..store import Migration, Store, StoreError


class Role(StrEnum):
    ARTIST = "artist"
    SUPERVISOR = "supervisor"
    PRODUCTION_MANAGER = "production_manager"
    CLIENT = "client"
    VENDOR = "vendor"


#: The global role: sees and does everything in its tenant (Kitsu's studio manager).
ADMIN = "admin"

#: Every action the studio checks. Reads of production data are ``*.read``; a role without it
#: does not see that kind of object at all (lists and details alike).
ACTIONS: tuple[str, ...] = (
    "project.read",        # scripts, scenes, breakdown, schedule, DOOD, call sheets
    "script.write",        # ingest a script version, edit the breakdown
    "schedule.write",      # plan schedules
    "budget.read", "budget.write",
    "character.read", "character.write",  # bibles, locks, sheets
    "generation.submit", "generation.read",
    "asset.read", "asset.write",
    "task.read", "task.write", "task.assign", "task.status",
    "review.read", "review.comment", "review.approve",
    "review.client",       # client-visible playlists and comments only
    "usage.read", "invoice.read", "invoice.issue",
    "member.manage", "key.manage", "audit.read",
)

_STAFF_READ = {"project.read", "character.read", "generation.read", "asset.read", "task.read", "review.read",
               "review.comment", "review.client"}

#: The permission matrix (platform reference, after Kitsu): role -> actions in a project it is a member of.
#: Vendors and clients get narrower *objects* as well (own tasks; client-visible reviews): the engines
#: filter by :meth:`Principal.sees_only_own_tasks` / :meth:`Principal.client_view`.
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ARTIST: frozenset(_STAFF_READ | {"character.write", "generation.submit", "asset.write", "task.status",
                                          "task.assign"}),  # assign: only themselves (management.tasks)
    Role.SUPERVISOR: frozenset(_STAFF_READ | {"character.write", "generation.submit", "asset.write", "task.write",
                                              "task.assign", "task.status", "review.approve", "script.write"}),
    Role.PRODUCTION_MANAGER: frozenset(set(ACTIONS) - {"invoice.issue", "key.manage"}),
    Role.CLIENT: frozenset({"review.client"}),
    Role.VENDOR: frozenset({"task.read", "task.status", "asset.read", "asset.write", "review.read",
                            "review.comment"}),
}

#: Task statuses each role may set (flag names; see management.tasks).
STATUS_RIGHTS: dict[Role, frozenset[str]] = {
    Role.ARTIST: frozenset({"wip", "waiting_for_approval"}),
    Role.VENDOR: frozenset({"wip", "waiting_for_approval"}),
    Role.SUPERVISOR: frozenset({"default", "wip", "waiting_for_approval", "retake", "done"}),
    Role.PRODUCTION_MANAGER: frozenset({"default", "wip", "waiting_for_approval", "retake", "done"}),
    Role.CLIENT: frozenset(),
}

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "management_access",
        1,
        "people, project memberships with roles, append-only audit log",
        """
        CREATE TABLE person (
            tenant_id VARCHAR NOT NULL REFERENCES tenant(tenant_id),
            person_id VARCHAR NOT NULL,
            name VARCHAR NOT NULL, email VARCHAR NOT NULL,
            is_admin BOOLEAN NOT NULL DEFAULT false,
            active BOOLEAN NOT NULL DEFAULT true,
            created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, person_id)
        );
        CREATE TABLE membership (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL, person_id VARCHAR NOT NULL,
            role VARCHAR NOT NULL CHECK (role IN ('artist', 'supervisor', 'production_manager', 'client', 'vendor')),
            department VARCHAR NOT NULL DEFAULT '',
            created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, person_id)
        );
        CREATE TABLE audit_event (
            event_id VARCHAR PRIMARY KEY,
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            actor VARCHAR NOT NULL, action VARCHAR NOT NULL, target VARCHAR NOT NULL,
            outcome VARCHAR NOT NULL CHECK (outcome IN ('ok', 'refused')),
            detail JSON, occurred_at TIMESTAMP NOT NULL
        );
        """,
        scoped=("membership", "audit_event"),
    ),
)

_ID = re.compile(r"^[a-z0-9][a-z0-9_.@\-]{0,62}$")


class AccessDenied(PermissionError):
    """The principal may not do this; the message says which action, where, and why."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Principal:
    """Who is asking: a person of a tenant, admin or not, with a role per project."""

    tenant_id: str
    person_id: str
    is_admin: bool = False
    roles: Mapping[str, Role] = field(default_factory=dict)  # project_id -> role
    departments: Mapping[str, str] = field(default_factory=dict)

    def role_in(self, project_id: str) -> Role | None:
        return self.roles.get(project_id)

    def may(self, action: str, project_id: str) -> bool:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        if self.is_admin:
            return True
        role = self.roles.get(project_id)  # membership first: a non-member has no role here
        return role is not None and action in PERMISSIONS[role]

    def projects(self) -> list[str]:
        return sorted(self.roles)

    def sees_only_own_tasks(self, project_id: str) -> bool:
        return not self.is_admin and self.roles.get(project_id) == Role.VENDOR

    def client_view(self, project_id: str) -> bool:
        return not self.is_admin and self.roles.get(project_id) == Role.CLIENT


#: The principal of a local, single-user workbench (a notebook or `studio` on one's own machine):
#: the tenant's admin. Multi-user access goes through API keys (platform.keys) to real people.
def local_admin(tenant_id: str) -> Principal:
    return Principal(tenant_id, "local-admin", is_admin=True)


# -- people and memberships -------------------------------------------------------------------------

def add_person(store: Store, tenant_id: str, person_id: str, name: str, email: str, *, is_admin: bool = False,
               actor: str = "system") -> str:
    if not _ID.match(person_id):
        raise ValueError(f"person id {person_id!r}: lower-case letters, digits, '.', '_', '-', '@' (max 63)")
    store.ensure_tenant(tenant_id)
    with store.transaction() as con:
        if has_person(store, tenant_id, person_id):
            raise StoreError(f"person {person_id!r} already exists in tenant {tenant_id!r}")
        con.execute("INSERT INTO person VALUES (?, ?, ?, ?, ?, true, ?)",
                    [tenant_id, person_id, name, email, is_admin, _now()])
        audit(store, tenant_id, "", actor, "person.add", person_id, "ok", {"admin": is_admin})
    return person_id


def has_person(store: Store, tenant_id: str, person_id: str) -> bool:
    return bool(store.con.execute("SELECT 1 FROM person WHERE tenant_id = ? AND person_id = ?",
                                  [tenant_id, person_id]).fetchall())


def set_role(store: Store, tenant_id: str, project_id: str, person_id: str, role: Role | str | None, *,
             actor: str, department: str = "") -> None:
    """Give a person a role in a project (None removes them); audited as a role change."""
    store.scope(tenant_id, project_id)  # the project must exist in this tenant
    with store.transaction() as con:
        if not con.execute("SELECT 1 FROM person WHERE tenant_id = ? AND person_id = ?",
                           [tenant_id, person_id]).fetchall():
            raise StoreError(f"no person {person_id!r} in tenant {tenant_id!r}")
        before = con.execute("SELECT role FROM membership WHERE tenant_id = ? AND project_id = ? AND person_id = ?",
                             [tenant_id, project_id, person_id]).fetchall()
        con.execute("DELETE FROM membership WHERE tenant_id = ? AND project_id = ? AND person_id = ?",
                    [tenant_id, project_id, person_id])
        if role is not None:
            con.execute("INSERT INTO membership VALUES (?, ?, ?, ?, ?, ?)",
                        [tenant_id, project_id, person_id, Role(role).value, department, _now()])
        audit(store, tenant_id, project_id, actor, "role.set", person_id, "ok",
              {"from": before[0][0] if before else None, "to": Role(role).value if role else None})


def principal(store: Store, tenant_id: str, person_id: str) -> Principal:
    """Load a person's principal: admin flag and role per project of *their* tenant."""
    row = store.con.execute("SELECT is_admin, active FROM person WHERE tenant_id = ? AND person_id = ?",
                            [tenant_id, person_id]).fetchall()
    if not row or not row[0][1]:
        raise AccessDenied(f"no active person {person_id!r} in tenant {tenant_id!r}")
    roles = store.con.execute("SELECT project_id, role, department FROM membership WHERE tenant_id = ? "
                              "AND person_id = ?", [tenant_id, person_id]).fetchall()
    return Principal(tenant_id, person_id, bool(row[0][0]), {p: Role(r) for p, r, _ in roles},
                     {p: d for p, _, d in roles})


def members(store: Store, tenant_id: str, project_id: str) -> pl.DataFrame:
    return store.con.sql(
        "SELECT m.person_id, p.name, p.email, m.role, m.department FROM membership m JOIN person p "
        "USING (tenant_id, person_id) WHERE m.tenant_id = $t AND m.project_id = $p ORDER BY m.person_id",
        params={"t": tenant_id, "p": project_id}).pl()


# -- the one check ------------------------------------------------------------------------------------

def authorize(store: Store | None, who: Principal, action: str, tenant_id: str, project_id: str,
              target: str = "") -> None:
    """Allow or refuse; a refusal raises AccessDenied and, on a writable store, is audited.

    Another tenant's project is refused before anything else (the message does not say whether
    it exists); then membership; then the role's actions in that project.
    """
    if who.tenant_id != tenant_id:
        reason = "not a project of your tenant"
    elif who.may(action, project_id):
        return
    elif who.role_in(project_id) is None and not who.is_admin:
        reason = "you are not a member of this project"
    else:
        reason = f"your role here ({who.role_in(project_id)}) may not {action}"
    if store is not None and not store.read_only and who.tenant_id == tenant_id:
        with suppress(StoreError):  # the refusal stands even when the audit row cannot be written
            audit(store, tenant_id, project_id, who.person_id, action, target, "refused", {"reason": reason})
    raise AccessDenied(f"{who.person_id} may not {action} in project {project_id!r}: {reason}")


def audit(store: Store, tenant_id: str, project_id: str, actor: str, action: str, target: str, outcome: str,
          detail: Mapping[str, Any] | None = None) -> str:
    """Append one audit event (nothing updates or deletes them)."""
    event_id = uuid.uuid4().hex
    with store.transaction() as con:
        con.execute("INSERT INTO audit_event VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [event_id, tenant_id, project_id, actor, action, target, outcome,
                     json.dumps(dict(detail or {}), default=str), _now()])
    return event_id


def audit_log(store: Store, tenant_id: str, project_id: str | None = None, *, limit: int = 500) -> pl.DataFrame:
    where = "tenant_id = $t" + (" AND project_id = $p" if project_id is not None else "")
    params: dict[str, Any] = {"t": tenant_id, "n": limit}
    if project_id is not None:
        params["p"] = project_id
    return store.con.sql(f"SELECT event_id, project_id, actor, action, target, outcome, detail, occurred_at FROM audit_event "
                         f"WHERE {where} ORDER BY occurred_at DESC LIMIT $n", params=params).pl()
