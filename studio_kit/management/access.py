"""Who may do what: people, per-project roles, the permission matrix, and the audit log.

Why one module: every door into the studio (the HTTP API, the CLI, notebooks, dashboards) goes
through the Studio, and every Studio operation is declared with :func:`operation` here, the one
permission idiom: it asks :func:`authorize` once before the operation reads or writes. Kitsu's lesson is built in: membership of the project is checked first and the role is the
role *in that project* (a global role is never read for a project check, except admin); a refused
access is written to the append-only audit log like an approval or a role change.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import uuid
from collections.abc import Callable, Mapping
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import polars as pl

from ..common.clock import utc_now
from ..common.errors import Forbidden, Invalid, NotFound
from ..settings import Settings
from ..store import Migration, ProjectScope, Store, StoreError

P = ParamSpec("P")
R = TypeVar("R")


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


class AccessDenied(Forbidden):
    """The principal may not do this; the message says which action, where, and why."""


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
            raise Invalid(f"unknown action {action!r}")
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
        raise Invalid(f"person id {person_id!r}: lower-case letters, digits, '.', '_', '-', '@' (max 63)")
    store.ensure_tenant(tenant_id)
    with store.transaction() as con:
        if has_person(store, tenant_id, person_id):
            raise StoreError(f"person {person_id!r} already exists in tenant {tenant_id!r}")
        con.execute("INSERT INTO person VALUES (?, ?, ?, ?, ?, true, ?)",
                    [tenant_id, person_id, name, email, is_admin, utc_now()])
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
            raise NotFound(f"no person {person_id!r} in tenant {tenant_id!r}")
        before = con.execute("SELECT role FROM membership WHERE tenant_id = ? AND project_id = ? AND person_id = ?",
                             [tenant_id, project_id, person_id]).fetchall()
        con.execute("DELETE FROM membership WHERE tenant_id = ? AND project_id = ? AND person_id = ?",
                    [tenant_id, project_id, person_id])
        if role is not None:
            con.execute("INSERT INTO membership VALUES (?, ?, ?, ?, ?, ?)",
                        [tenant_id, project_id, person_id, Role(role).value, department, utc_now()])
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


def projects_where(who: Principal, action: str) -> list[str]:
    """The projects of the principal's memberships whose role allows ``action`` (every one for an admin
    is the caller's to list: an admin's reach is the whole tenant)."""
    return [p for p in who.projects() if who.may(action, p)]


def visible_projects(store: Store, who: Principal) -> pl.DataFrame:
    """The tenant's projects this person may see: a tenant admin all of them, anyone else the
    projects they are a member of (with their role there); never another tenant's."""
    frame = store.projects(who.tenant_id)
    if not who.is_admin:
        frame = frame.filter(pl.col("project_id").is_in(who.projects()))
    roles = [ADMIN if who.is_admin else str(who.role_in(p)) for p in frame["project_id"]]
    return frame.with_columns(pl.Series("role", roles, dtype=pl.Utf8))


def people(store: Store, tenant_id: str) -> pl.DataFrame:
    return store.con.sql("SELECT person_id, name, email, is_admin, active FROM person WHERE tenant_id = $t "
                         "ORDER BY person_id", params={"t": tenant_id}).pl()


def members(store: Store, tenant_id: str, project_id: str) -> pl.DataFrame:
    return store.con.sql(
        "SELECT m.person_id, p.name, p.email, m.role, m.department FROM membership m JOIN person p "
        "USING (tenant_id, person_id) WHERE m.tenant_id = $t AND m.project_id = $p ORDER BY m.person_id",
        params={"t": tenant_id, "p": project_id}).pl()


# -- the one check ------------------------------------------------------------------------------------

def authorize(store: Store | None, who: Principal, action: str, tenant_id: str, project_id: str,
              target: str | Callable[[], str] = "", *, tenant_admin: bool = False) -> None:
    """Allow or refuse; a refusal raises AccessDenied and, on a writable store, is audited.

    Another tenant's project is refused before anything else (the message does not say whether
    it exists); then membership; then the role's actions in that project; then, for what covers
    every project of the tenant (``tenant_admin``: plans, invoices), the tenant admin flag.
    ``target`` (what the refusal is audited against) may be a function: it is called only on a refusal.
    """
    if who.tenant_id != tenant_id:
        reason = "not a project of your tenant"
    elif who.may(action, project_id) and (who.is_admin or not tenant_admin):
        return
    elif who.may(action, project_id):
        reason = f"{action} here covers every project of tenant {tenant_id!r}; ask a tenant admin"
    elif who.role_in(project_id) is None and not who.is_admin:
        reason = "you are not a member of this project"
    else:
        reason = f"your role here ({who.role_in(project_id)}) may not {action}"
    if store is not None and not store.read_only and who.tenant_id == tenant_id:
        with suppress(StoreError):  # the refusal stands even when the audit row cannot be written
            audit(store, tenant_id, project_id, who.person_id, action, target() if callable(target) else target,
                  "refused", {"reason": reason})
    raise AccessDenied(f"{who.person_id} may not {action} in project {project_id!r}: {reason}")


def refuse(scope: ProjectScope, who: Principal, action: str, target: str, reason: str) -> AccessDenied:
    """An object-level refusal inside an engine function (a vendor's task, a client's playlist, a
    status the role may not set), audited like the operation's own; returns the error to raise."""
    if not scope.store.read_only and who.tenant_id == scope.tenant_id:
        with suppress(StoreError):
            audit(scope.store, scope.tenant_id, scope.project_id, who.person_id, action, target, "refused",
                  {"reason": reason})
    return AccessDenied(f"{who.person_id} may not {action} {target!r} in project {scope.project_id!r}: {reason}")


def require_member(scope: ProjectScope, who: Principal, action: str, target: str = "") -> None:
    """For engine functions that take a principal: the same tenant and membership rule as
    :func:`authorize`, for callers that reach the function without an operation (tests, tools)."""
    if who.tenant_id != scope.tenant_id:
        raise AccessDenied(f"{who.person_id} may not {action} in project {scope.project_id!r}: "
                           "not a project of your tenant")
    if not who.is_admin and who.role_in(scope.project_id) is None:
        raise refuse(scope, who, action, target, "you are not a member of this project")


class NestedOperation(RuntimeError):
    """An operation called another checked operation: a bug (it would check and audit twice)."""


@dataclass(frozen=True)
class Operation:
    """What :func:`operation` records on a Studio method: its action and how it is checked."""

    name: str
    action: str
    #: the action checked instead for a client of this project (clients see client playlists only)
    client_action: str | None = None
    #: the operation covers every project of the tenant: only a tenant admin may call it
    tenant_admin: bool = False
    #: the audit target of a refusal, a format string over the call's arguments ("{asset_id}@v{version}")
    target: str | None = None

    def action_for(self, who: Principal, project_id: str) -> str:
        return self.client_action if self.client_action and who.client_view(project_id) else self.action


#: The operation running in this thread of control (None between operations). A context variable,
#: not an attribute of one Studio, so a nested call is caught even through another Studio object
#: (``for_project``) on the same store.
_RUNNING: ContextVar[str | None] = ContextVar("studio_operation", default=None)


class Operations:
    """The base of every engine's facade (``<engine>/ops.py``): the attributes an operation runs on,
    bound by :class:`studio_kit.studio.Studio`. An engine's ops class holds only methods declared
    with :func:`operation` (and private helpers); each calls its engine's functions."""

    store: Store
    scope: ProjectScope
    settings: Settings
    #: the tenant's own artifact folder (one tenant's files never sit among another's)
    assets_dir: Path
    tenant: str
    project: str
    user: Principal

    def _require(self, action: str, target: str, why: str) -> None:
        """A second action an operation needs on one of its paths only (boards of scenes that have
        no shot list yet also write the lists): checked and audited like the operation's own."""
        if not self.user.may(action, self.project):
            raise refuse(self.scope, self.user, action, target, why)


def operation(action: str, *, target: str | None = None, client_action: str | None = None,
              tenant_admin: bool = False) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a Studio method as an operation that needs ``action`` in the Studio's project.

    The one permission idiom: the check runs once, before the method does anything (tenant, then
    membership, then the role in this project; refusals audited with ``target``). An operation
    that needs another operation's work calls the engine function, never the other checked
    method: a nested call raises :class:`NestedOperation`, so every operation checks exactly once.
    """
    for a in (action, client_action):
        if a is not None and a not in ACTIONS:
            raise Invalid(f"unknown action {a!r}; add it to management.access.ACTIONS and the permission matrix")

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        op = Operation(fn.__name__, action, client_action, tenant_admin, target)
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def checked(self: Operations, *args: Any, **kwargs: Any) -> Any:
            if (running := _RUNNING.get()) is not None:
                raise NestedOperation(f"{op.name} was called inside {running}: an operation calls the "
                                      "engine's functions, not another checked operation")
            authorize(self.store, self.user, op.action_for(self.user, self.project), self.tenant, self.project,
                      lambda: _target(op, sig, self, args, kwargs), tenant_admin=tenant_admin)
            token = _RUNNING.set(op.name)
            try:
                return fn(self, *args, **kwargs)
            finally:
                _RUNNING.reset(token)

        checked.__operation__ = op  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return wrap


def _target(op: Operation, sig: inspect.Signature, self: Any, args: tuple, kwargs: dict) -> str:
    if op.target is None:
        return op.name
    try:
        bound = sig.bind(self, *args, **kwargs)
        bound.apply_defaults()
        return op.target.format_map(bound.arguments)
    except (TypeError, KeyError, IndexError, ValueError):  # a bad call fails in the method itself
        return op.name


def operations_of(cls: type) -> dict[str, Operation]:
    """Every operation of a Studio class by method name (what the one-idiom test lists)."""
    out = {}
    for name in dir(cls):
        op = getattr(getattr(cls, name, None), "__operation__", None)
        if isinstance(op, Operation):
            out[name] = op
    return out


def audit(store: Store, tenant_id: str, project_id: str, actor: str, action: str, target: str, outcome: str,
          detail: Mapping[str, Any] | None = None) -> str:
    """Append one audit event (nothing updates or deletes them)."""
    event_id = uuid.uuid4().hex
    with store.transaction() as con:
        con.execute("INSERT INTO audit_event VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [event_id, tenant_id, project_id, actor, action, target, outcome,
                     json.dumps(dict(detail or {}), default=str), utc_now()])
    return event_id


#: How many audit events a read returns by default (newest first).
AUDIT_LIMIT = 500


def audit_log(store: Store, tenant_id: str, project_id: str | None = None, *, limit: int = AUDIT_LIMIT) -> pl.DataFrame:
    where = "tenant_id = $t" + (" AND project_id = $p" if project_id is not None else "")
    params: dict[str, Any] = {"t": tenant_id, "n": limit}
    if project_id is not None:
        params["p"] = project_id
    return store.con.sql(f"SELECT event_id, project_id, actor, action, target, outcome, detail, occurred_at FROM audit_event "
                         f"WHERE {where} ORDER BY occurred_at DESC LIMIT $n", params=params).pl()
