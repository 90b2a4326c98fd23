"""Tasks: who does which pipeline step on which scene, shot or asset, and how far along it is.

Why flags, not names: a project may call its statuses whatever it likes ("todo", "en cours",
"WFA"), but what a status *means* (default, wip, waiting_for_approval, retake, done) is a flag,
and the rules hang on the flag: which roles may set it (``access.STATUS_RIGHTS``), retake
counting with an optional per-project cap, and the done date. Every status change and every
refusal goes to the audit log. Vendors see only the tasks assigned to them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..common.clock import utc_now
from ..common.errors import Invalid, NotFound
from ..store import Migration, ProjectScope
from .access import ADMIN, STATUS_RIGHTS, Principal, Role, audit, refuse, require_member

FLAGS: tuple[str, ...] = ("default", "wip", "waiting_for_approval", "retake", "done")
ENTITY_TYPES: tuple[str, ...] = ("scene", "shot", "asset")

#: Seeded into a project the first time its tasks are touched: (status_id, name, flag).
DEFAULT_STATUSES: tuple[tuple[str, str, str], ...] = (
    ("todo", "To do", "default"), ("wip", "Work in progress", "wip"),
    ("wfa", "Waiting for approval", "waiting_for_approval"), ("retake", "Retake", "retake"),
    ("done", "Done", "done"),
)
#: (type_id, name, department)
DEFAULT_TASK_TYPES: tuple[tuple[str, str, str], ...] = (
    ("storyboard", "Storyboard", "story"), ("character-design", "Character design", "art"),
    ("animation", "Animation", "animation"), ("voice", "Voice", "sound"), ("mix", "Mix", "sound"),
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "management_tasks",
        1,
        "task types, flag-based task statuses, tasks per scene/shot/asset, assignees",
        """
        CREATE TABLE task_type (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            type_id VARCHAR NOT NULL, name VARCHAR NOT NULL, department VARCHAR NOT NULL DEFAULT '',
            PRIMARY KEY (tenant_id, project_id, type_id)
        );
        CREATE TABLE task_status (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            status_id VARCHAR NOT NULL, name VARCHAR NOT NULL,
            flag VARCHAR NOT NULL CHECK (flag IN ('default', 'wip', 'waiting_for_approval', 'retake', 'done')),
            PRIMARY KEY (tenant_id, project_id, status_id)
        );
        CREATE TABLE task (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            task_id VARCHAR NOT NULL, type_id VARCHAR NOT NULL,
            entity_type VARCHAR NOT NULL CHECK (entity_type IN ('scene', 'shot', 'asset')),
            entity_id VARCHAR NOT NULL, name VARCHAR NOT NULL,
            status_id VARCHAR NOT NULL,
            start_date DATE, due_date DATE, estimate_days DOUBLE,
            retake_count INTEGER NOT NULL DEFAULT 0, done_date DATE,
            created_by VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, task_id)
        );
        CREATE TABLE task_assignee (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            task_id VARCHAR NOT NULL, person_id VARCHAR NOT NULL,
            assigned_by VARCHAR NOT NULL, assigned_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, task_id, person_id)
        );
        """,
        scoped=("task_type", "task_status", "task", "task_assignee"),
    ),
)

_ID = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,62}$")


class TaskError(Invalid):
    """A task request that cannot be carried out as asked; the message says what to change."""


@dataclass(frozen=True)
class Task:
    task_id: str
    type_id: str
    department: str
    entity_type: str
    entity_id: str
    name: str
    status_id: str
    status_name: str
    flag: str
    assignees: tuple[str, ...]
    start_date: date | None
    due_date: date | None
    estimate_days: float | None
    retake_count: int
    done_date: date | None


def _role(who: Principal, scope: ProjectScope) -> str | None:
    return ADMIN if who.is_admin else who.role_in(scope.project_id)


def ensure_defaults(scope: ProjectScope) -> None:
    """Seed the default statuses and task types of a project that has none yet (idempotent)."""
    if scope.store.read_only:
        return
    with scope.transaction():
        if scope.one("SELECT 1 FROM {task_status} LIMIT 1") is None:
            scope.insert("task_status", [{"status_id": s, "name": n, "flag": f} for s, n, f in DEFAULT_STATUSES])
        if scope.one("SELECT 1 FROM {task_type} LIMIT 1") is None:
            scope.insert("task_type", [{"type_id": t, "name": n, "department": d} for t, n, d in DEFAULT_TASK_TYPES])


# -- configuration --------------------------------------------------------------------------------

def add_task_type(scope: ProjectScope, type_id: str, name: str, department: str = "") -> None:
    if not _ID.match(type_id):
        raise TaskError(f"task type id {type_id!r}: use lower-case letters, digits, '.', '_' or '-'")
    ensure_defaults(scope)
    with scope.transaction():
        scope.delete("task_type", "type_id = $t", {"t": type_id})
        scope.insert("task_type", [{"type_id": type_id, "name": name, "department": department}])


def task_types(scope: ProjectScope) -> list[tuple[str, str, str]]:
    ensure_defaults(scope)
    return scope.rows("SELECT type_id, name, department FROM {task_type} ORDER BY type_id")


def set_status(scope: ProjectScope, status_id: str, name: str, flag: str) -> None:
    """Add or rename a project status; its meaning is ``flag``."""
    if flag not in FLAGS:
        raise TaskError(f"status flag {flag!r} is not one of {', '.join(FLAGS)}")
    if not _ID.match(status_id):
        raise TaskError(f"status id {status_id!r}: use lower-case letters, digits, '.', '_' or '-'")
    ensure_defaults(scope)
    with scope.transaction():
        scope.delete("task_status", "status_id = $s", {"s": status_id})
        scope.insert("task_status", [{"status_id": status_id, "name": name, "flag": flag}])


def statuses(scope: ProjectScope) -> list[tuple[str, str, str]]:
    ensure_defaults(scope)
    return scope.rows("SELECT status_id, name, flag FROM {task_status} ORDER BY status_id")


def retake_cap(scope: ProjectScope) -> int | None:
    cap = scope.store.project_settings(scope.tenant_id, scope.project_id).get("retake_cap")
    return None if cap is None else int(cap)


def set_retake_cap(scope: ProjectScope, who: Principal, cap: int | None) -> None:
    """Cap the retakes of any one task in this project (None: no cap); production managers and admins only."""
    role = _role(who, scope)
    if role not in (ADMIN, Role.PRODUCTION_MANAGER):
        raise refuse(scope, who, "task.write", "retake_cap", f"your role here ({role}) may not change the retake cap")
    if cap is not None and cap < 0:
        raise TaskError(f"retake cap {cap} must be >= 0 (or None for no cap)")
    scope.store.update_project_settings(scope.tenant_id, scope.project_id, {"retake_cap": cap})
    audit(scope.store, scope.tenant_id, scope.project_id, who.person_id, "task.retake_cap", "project", "ok",
          {"cap": cap})


# -- tasks ----------------------------------------------------------------------------------------

_SELECT = """
    SELECT t.task_id, t.type_id, coalesce(tt.department, ''), t.entity_type, t.entity_id, t.name, t.status_id,
           coalesce(s.name, t.status_id), coalesce(s.flag, 'default'),
           coalesce((SELECT list(a.person_id ORDER BY a.person_id) FROM {task_assignee} a
                     WHERE a.task_id = t.task_id), []),
           t.start_date, t.due_date, t.estimate_days, t.retake_count, t.done_date
    FROM {task} t LEFT JOIN {task_type} tt ON tt.type_id = t.type_id
    LEFT JOIN {task_status} s ON s.status_id = t.status_id
"""


def _task(row: tuple) -> Task:
    return Task(*row[:9], tuple(row[9]), *row[10:])


def create_task(scope: ProjectScope, who: Principal, type_id: str, entity_type: str, entity_id: str, *,
                name: str = "", start_date: date | None = None, due_date: date | None = None,
                estimate_days: float | None = None, task_id: str | None = None) -> Task:
    """Create a task of a known type on a scene, shot or asset, in the project's default status."""
    require_member(scope, who, "task.write", entity_id)
    ensure_defaults(scope)
    if entity_type not in ENTITY_TYPES:
        raise TaskError(f"entity type {entity_type!r} is not one of {', '.join(ENTITY_TYPES)}")
    if scope.one("SELECT 1 FROM {task_type} WHERE type_id = $t", {"t": type_id}) is None:
        known = ", ".join(t for t, _, _ in task_types(scope))
        raise TaskError(f"unknown task type {type_id!r} (known: {known}); add it with add_task_type")
    if start_date and due_date and due_date < start_date:
        raise TaskError(f"task due date {due_date} is before its start date {start_date}")
    if estimate_days is not None and estimate_days < 0:
        raise TaskError(f"task estimate {estimate_days} days must be >= 0")
    default = scope.one("SELECT status_id FROM {task_status} WHERE flag = 'default' ORDER BY status_id LIMIT 1")
    if default is None:
        raise TaskError("this project has no status with the 'default' flag; add one with set_status")
    task_id = task_id or f"{type_id}-{entity_id}-{uuid.uuid4().hex[:8]}"
    if not _ID.match(task_id):
        raise TaskError(f"task id {task_id!r}: use lower-case letters, digits, '.', '_' or '-'")
    scope.insert("task", [{"task_id": task_id, "type_id": type_id, "entity_type": entity_type,
                           "entity_id": entity_id, "name": name or f"{type_id} {entity_id}",
                           "status_id": default[0], "start_date": start_date, "due_date": due_date,
                           "estimate_days": estimate_days, "retake_count": 0, "done_date": None,
                           "created_by": who.person_id, "created_at": utc_now()}])
    return get_task(scope, who, task_id)


def visible_task_ids(scope: ProjectScope, who: Principal) -> set[str] | None:
    """The tasks this principal may see: None means all; a vendor sees only tasks assigned to them."""
    if who.sees_only_own_tasks(scope.project_id):
        return {r[0] for r in scope.rows("SELECT task_id FROM {task_assignee} WHERE person_id = $p",
                                         {"p": who.person_id})}
    return None


def list_tasks(scope: ProjectScope, who: Principal, *, entity_type: str | None = None,
               entity_id: str | None = None, assignee: str | None = None) -> list[Task]:
    """Tasks of the project, filtered for the principal exactly as :func:`get_task` is."""
    require_member(scope, who, "task.read")
    if who.client_view(scope.project_id):
        raise refuse(scope, who, "task.read", "", "clients see review playlists, not tasks")
    ensure_defaults(scope)
    where, params = ["TRUE"], {}
    if entity_type is not None:
        where.append("t.entity_type = $et")
        params["et"] = entity_type
    if entity_id is not None:
        where.append("t.entity_id = $eid")
        params["eid"] = entity_id
    if assignee is not None:
        where.append("EXISTS (SELECT 1 FROM {task_assignee} a2 WHERE a2.task_id = t.task_id AND a2.person_id = $who)")
        params["who"] = assignee
    if who.sees_only_own_tasks(scope.project_id):
        where.append("EXISTS (SELECT 1 FROM {task_assignee} a3 WHERE a3.task_id = t.task_id AND a3.person_id = $me)")
        params["me"] = who.person_id
    rows = scope.rows(_SELECT + " WHERE " + " AND ".join(where) + " ORDER BY t.entity_type, t.entity_id, t.task_id",
                      params)
    return [_task(r) for r in rows]


def get_task(scope: ProjectScope, who: Principal, task_id: str) -> Task:
    """One task; refused (and audited) exactly when :func:`list_tasks` would not show it."""
    require_member(scope, who, "task.read", task_id)
    if who.client_view(scope.project_id):
        raise refuse(scope, who, "task.read", task_id, "clients see review playlists, not tasks")
    row = scope.one(_SELECT + " WHERE t.task_id = $id", {"id": task_id})
    if row is None:
        raise NotFound(f"no task {task_id!r} in project {scope.project_id!r}")
    task = _task(row)
    if who.sees_only_own_tasks(scope.project_id) and who.person_id not in task.assignees:
        raise refuse(scope, who, "task.read", task_id, "vendors see only tasks assigned to them")
    return task


def _department_ok(who: Principal, scope: ProjectScope, task: Task) -> bool:
    """A supervisor acts on their department's tasks; a blank department on the membership means all."""
    mine = who.departments.get(scope.project_id, "")
    return not mine or mine == task.department


def assign_task(scope: ProjectScope, who: Principal, task_id: str, person_id: str, *,
                unassign: bool = False) -> Task:
    """Assign (or unassign) a project member: artists only themselves, supervisors within their
    department, production managers and admins anyone. Audited."""
    task = get_task(scope, who, task_id)
    role = _role(who, scope)
    action = "task.unassign" if unassign else "task.assign"
    if role in (Role.CLIENT, Role.VENDOR, None):
        raise refuse(scope, who, action, task_id, f"your role here ({role}) may not assign tasks")
    if role == Role.ARTIST and person_id != who.person_id:
        raise refuse(scope, who, action, task_id, "artists may assign only themselves")
    if role in (Role.ARTIST, Role.SUPERVISOR) and not _department_ok(who, scope, task):
        raise refuse(scope, who, action, task_id,
                      f"task is in department {task.department!r}, yours is "
                      f"{who.departments.get(scope.project_id)!r}")
    member = scope.store.con.execute(
        "SELECT role, department FROM membership WHERE tenant_id = ? AND project_id = ? AND person_id = ?",
        [scope.tenant_id, scope.project_id, person_id]).fetchall()
    if not member and not unassign:
        raise TaskError(f"{person_id!r} is not a member of project {scope.project_id!r}; add them with set_role first")
    if role == Role.SUPERVISOR and member and member[0][1] and task.department and member[0][1] != task.department:
        raise refuse(scope, who, action, task_id,
                      f"{person_id} is in department {member[0][1]!r}, not {task.department!r}")
    with scope.transaction():
        scope.delete("task_assignee", "task_id = $t AND person_id = $p", {"t": task_id, "p": person_id})
        if not unassign:
            scope.insert("task_assignee", [{"task_id": task_id, "person_id": person_id,
                                            "assigned_by": who.person_id, "assigned_at": utc_now()}])
        audit(scope.store, scope.tenant_id, scope.project_id, who.person_id, action, task_id, "ok",
              {"person": person_id})
    return get_task(scope, who, task_id)


def set_task_status(scope: ProjectScope, who: Principal, task_id: str, status: str, *,
                    today: date | None = None) -> Task:
    """Move a task to a status (by id, or by flag for the project's first status with it).

    Checked: the role's allowed flags (``STATUS_RIGHTS``), artists and vendors on their own tasks,
    supervisors on their department's; retake beyond the project's cap is refused; done stamps
    the done date. The change (or refusal) is audited.
    """
    task = get_task(scope, who, task_id)
    row = scope.one("SELECT status_id, flag FROM {task_status} WHERE status_id = $s", {"s": status})
    if row is None:
        row = scope.one("SELECT status_id, flag FROM {task_status} WHERE flag = $s ORDER BY status_id LIMIT 1",
                        {"s": status})
    if row is None:
        known = ", ".join(f"{s} ({f})" for s, _, f in statuses(scope))
        raise TaskError(f"unknown status {status!r} for task {task_id!r} (known: {known})")
    status_id, flag = row
    role = _role(who, scope)
    if role != ADMIN:
        allowed = STATUS_RIGHTS.get(Role(role), frozenset()) if role else frozenset()
        if flag not in allowed:
            raise refuse(scope, who, "task.status", task_id,
                          f"your role here ({role}) may not set a {flag!r} status (allowed: {sorted(allowed) or 'none'})")
        if role in (Role.ARTIST, Role.VENDOR) and who.person_id not in task.assignees:
            raise refuse(scope, who, "task.status", task_id, f"{role}s may change only tasks assigned to them")
        if role == Role.SUPERVISOR and not _department_ok(who, scope, task):
            raise refuse(scope, who, "task.status", task_id,
                          f"task is in department {task.department!r}, yours is "
                          f"{who.departments.get(scope.project_id)!r}")
    values: dict[str, Any] = {"status_id": status_id}
    if flag == "retake":
        cap = retake_cap(scope)
        if cap is not None and task.retake_count >= cap:
            audit(scope.store, scope.tenant_id, scope.project_id, who.person_id, "task.status", task_id, "refused",
                  {"reason": "retake cap", "cap": cap, "retakes": task.retake_count})
            raise TaskError(f"task {task_id!r} already had {task.retake_count} retake(s), the project's cap is {cap}; "
                            "a production manager can raise it with set_retake_cap")
        values["retake_count"] = task.retake_count + 1
    values["done_date"] = (today or date.today()) if flag == "done" else None
    with scope.transaction():
        scope.update("task", values, "task_id = $t", {"t": task_id})
        audit(scope.store, scope.tenant_id, scope.project_id, who.person_id, "task.status", task_id, "ok",
              {"from": task.status_id, "to": status_id, "flag": flag})
    return get_task(scope, who, task_id)
