"""Review and approval: notes on a version, per-candidate validation, a sign-off chain, client playlists.

Why this shape (ShotGrid/Kitsu): a note is only meaningful against the exact version it was
written on; AI makes several takes per shot, so each candidate file of a version is validated,
rejected or left neutral on its own; final approval is the end of an ordered chain of sign-offs
(default supervisor -> director -> producer, configurable per project, each step naming a role
or a person), and every approval is audited. Clients see only playlists shared with them and
only client-visible comments, and their comments are client-visible.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..common.clock import utc_now
from ..common.errors import Invalid, NotFound
from ..store import Migration, ProjectScope
from .access import ADMIN, Principal, Role, audit, refuse, require_member
from .assets import AssetError, _versions, get_version, set_version_status, version_exists
from .tasks import _role

DECISIONS: tuple[str, ...] = ("validated", "rejected", "neutral")
SIGNOFF_DECISIONS: tuple[str, ...] = ("approved", "rejected")

#: The default chain; "director" has no role of its own in the permission matrix, so by default
#: it is a supervisor step; name the director as a person with :func:`set_signoff_chain`.
DEFAULT_CHAIN: tuple[dict[str, str], ...] = (
    {"name": "supervisor", "role": "supervisor"},
    {"name": "director", "role": "supervisor"},
    {"name": "producer", "role": "production_manager"},
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "management_reviews",
        1,
        "version comments, candidate decisions, sign-offs, review playlists",
        """
        CREATE TABLE review_comment (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            comment_id VARCHAR NOT NULL, asset_id VARCHAR NOT NULL, version INTEGER NOT NULL,
            author VARCHAR NOT NULL, text VARCHAR NOT NULL, client_visible BOOLEAN NOT NULL,
            created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, comment_id)
        );
        CREATE TABLE candidate_decision (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            asset_id VARCHAR NOT NULL, version INTEGER NOT NULL, sha256 VARCHAR NOT NULL,
            decision VARCHAR NOT NULL CHECK (decision IN ('validated', 'rejected', 'neutral')),
            decided_by VARCHAR NOT NULL, decided_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, asset_id, version, sha256)
        );
        CREATE TABLE signoff (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            asset_id VARCHAR NOT NULL, version INTEGER NOT NULL,
            step_index INTEGER NOT NULL, step_name VARCHAR NOT NULL,
            decision VARCHAR NOT NULL CHECK (decision IN ('approved', 'rejected')),
            signed_by VARCHAR NOT NULL, note VARCHAR NOT NULL DEFAULT '', signed_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, asset_id, version, step_index)
        );
        CREATE TABLE review_playlist (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            playlist_id VARCHAR NOT NULL, name VARCHAR NOT NULL, for_client BOOLEAN NOT NULL,
            created_by VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, playlist_id)
        );
        CREATE TABLE review_playlist_item (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            playlist_id VARCHAR NOT NULL, asset_id VARCHAR NOT NULL, version INTEGER NOT NULL,
            position INTEGER NOT NULL, added_by VARCHAR NOT NULL, added_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, playlist_id, asset_id, version)
        );
        """,
        scoped=("review_comment", "candidate_decision", "signoff", "review_playlist", "review_playlist_item"),
    ),
)


class ReviewError(Invalid):
    """A review request that cannot be carried out as asked; the message says what to change."""


@dataclass(frozen=True)
class Comment:
    comment_id: str
    asset_id: str
    version: int
    author: str
    text: str
    client_visible: bool
    created_at: datetime


@dataclass(frozen=True)
class Candidate:
    name: str
    sha256: str
    decision: str
    decided_by: str


@dataclass(frozen=True)
class StepState:
    index: int
    name: str
    role: str
    person: str
    decision: str  # "pending", "approved" or "rejected"
    signed_by: str
    signed_at: datetime | None


@dataclass(frozen=True)
class ApprovalState:
    asset_id: str
    version: int
    steps: tuple[StepState, ...]
    next_step: str | None
    final: str  # "pending", "approved" or "rejected"


@dataclass(frozen=True)
class Playlist:
    playlist_id: str
    name: str
    for_client: bool
    created_by: str
    items: tuple[tuple[str, int], ...]  # (asset_id, version) in order


def _is_client(scope: ProjectScope, who: Principal) -> bool:
    return who.client_view(scope.project_id)


def _in_client_playlist(scope: ProjectScope, asset_id: str, version: int) -> bool:
    return scope.one("SELECT 1 FROM {review_playlist_item} i JOIN {review_playlist} p USING (playlist_id) "
                     "WHERE p.for_client AND i.asset_id = $a AND i.version = $v",
                     {"a": asset_id, "v": version}) is not None


def _require_version(scope: ProjectScope, who: Principal, asset_id: str, version: int, action: str) -> None:
    """The version exists and this principal may see it: staff by asset visibility (vendors
    filtered), clients only through a client playlist."""
    require_member(scope, who, action, f"{asset_id}@v{version}")
    if _is_client(scope, who):
        if not version_exists(scope, asset_id, version) or not _in_client_playlist(scope, asset_id, version):
            raise refuse(scope, who, action, f"{asset_id}@v{version}",
                          "clients see only versions shared in a client playlist")
        return
    get_version(scope, who, asset_id, version)


# -- comments -------------------------------------------------------------------------------------

def comment(scope: ProjectScope, who: Principal, asset_id: str, version: int, text: str, *,
            client_visible: bool = False) -> Comment:
    """A note on one version. A client's note is always client-visible."""
    _require_version(scope, who, asset_id, version, "review.comment")
    if not text.strip():
        raise ReviewError(f"comment on {asset_id} v{version} is empty; write the note text")
    c = Comment(uuid.uuid4().hex[:16], asset_id, version, who.person_id, text,
                True if _is_client(scope, who) else bool(client_visible), utc_now())
    scope.insert("review_comment", [c.__dict__])
    return c


def comments(scope: ProjectScope, who: Principal, asset_id: str, version: int) -> list[Comment]:
    """Notes on one version, oldest first; clients get the client-visible ones only."""
    _require_version(scope, who, asset_id, version, "review.read")
    extra = " AND client_visible" if _is_client(scope, who) else ""
    rows = scope.rows("SELECT comment_id, asset_id, version, author, text, client_visible, created_at "
                      f"FROM {{review_comment}} WHERE asset_id = $a AND version = $v{extra} "
                      "ORDER BY created_at, comment_id", {"a": asset_id, "v": version})
    return [Comment(*r) for r in rows]


# -- candidates -----------------------------------------------------------------------------------

def candidates(scope: ProjectScope, who: Principal, asset_id: str, version: int) -> list[Candidate]:
    """The version's representations with their decision (neutral when none was made)."""
    v = get_version(scope, who, asset_id, version)
    decided = {r[0]: (r[1], r[2]) for r in scope.rows(
        "SELECT sha256, decision, decided_by FROM {candidate_decision} WHERE asset_id = $a AND version = $v",
        {"a": asset_id, "v": version})}
    return [Candidate(r.name, r.sha256, *decided.get(r.sha256, ("neutral", ""))) for r in v.representations]


def validate_candidate(scope: ProjectScope, who: Principal, asset_id: str, version: int, sha256: str,
                       decision: str) -> Candidate:
    """Validate, reject or reset (neutral) one candidate file of a version; audited."""
    if decision not in DECISIONS:
        raise ReviewError(f"candidate decision {decision!r} is not one of {', '.join(DECISIONS)}")
    v = get_version(scope, who, asset_id, version)
    match = [r for r in v.representations if r.sha256 == sha256]
    if not match:
        raise NotFound(f"{asset_id} v{version} has no candidate with sha256 {sha256[:12]}...; "
                          "list them with candidates()")
    with scope.transaction():
        scope.delete("candidate_decision", "asset_id = $a AND version = $v AND sha256 = $s",
                     {"a": asset_id, "v": version, "s": sha256})
        scope.insert("candidate_decision", [{"asset_id": asset_id, "version": version, "sha256": sha256,
                                             "decision": decision, "decided_by": who.person_id,
                                             "decided_at": utc_now()}])
        audit(scope.store, scope.tenant_id, scope.project_id, who.person_id, "review.candidate",
              f"{asset_id}@v{version}", "ok", {"sha256": sha256, "decision": decision})
    return Candidate(match[0].name, sha256, decision, who.person_id)


# -- sign-off chain -------------------------------------------------------------------------------

def signoff_chain(scope: ProjectScope) -> list[dict[str, str]]:
    chain = scope.store.project_settings(scope.tenant_id, scope.project_id).get("signoff_chain")
    return [dict(s) for s in (chain or DEFAULT_CHAIN)]


def set_signoff_chain(scope: ProjectScope, who: Principal, steps: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """Configure the project's chain: each step ``{"name": ..., "role": ...}`` or ``{"name": ..., "person": ...}``.
    Production managers and admins only; audited."""
    role = _role(who, scope)
    if role not in (ADMIN, Role.PRODUCTION_MANAGER):
        raise refuse(scope, who, "review.approve", "signoff_chain", f"your role here ({role}) may not change it")
    chain: list[dict[str, str]] = []
    names: set[str] = set()
    for i, s in enumerate(steps):
        name = str(s.get("name", "")).strip()
        if not name or name in names:
            raise ReviewError(f"sign-off step {i}: needs a unique non-empty 'name' (got {name!r})")
        if ("role" in s) == ("person" in s):
            raise ReviewError(f"sign-off step {name!r}: give exactly one of 'role' or 'person'")
        if "role" in s and s["role"] not in (*[r.value for r in Role], ADMIN):
            raise ReviewError(f"sign-off step {name!r}: unknown role {s['role']!r}")
        names.add(name)
        chain.append({"name": name, **({"role": s["role"]} if "role" in s else {"person": s["person"]})})
    if not chain:
        raise ReviewError("a sign-off chain needs at least one step")
    scope.store.update_project_settings(scope.tenant_id, scope.project_id, {"signoff_chain": chain})
    audit(scope.store, scope.tenant_id, scope.project_id, who.person_id, "review.chain", "signoff_chain", "ok",
          {"chain": chain})
    return chain


def _state(scope: ProjectScope, asset_id: str, version: int) -> ApprovalState:
    chain = signoff_chain(scope)
    signed = {r[0]: r[1:] for r in scope.rows(
        "SELECT step_index, decision, signed_by, signed_at FROM {signoff} WHERE asset_id = $a AND version = $v",
        {"a": asset_id, "v": version})}
    steps = []
    for i, s in enumerate(chain):
        d, by, at = signed.get(i, ("pending", "", None))
        steps.append(StepState(i, s["name"], s.get("role", ""), s.get("person", ""), d, by, at))
    if any(s.decision == "rejected" for s in steps):
        final, nxt = "rejected", None
    else:
        pending = [s for s in steps if s.decision == "pending"]
        final, nxt = ("approved", None) if not pending else ("pending", pending[0].name)
    return ApprovalState(asset_id, version, tuple(steps), nxt, final)


def approval_state(scope: ProjectScope, who: Principal, asset_id: str, version: int) -> ApprovalState:
    _require_version(scope, who, asset_id, version, "review.read")
    return _state(scope, asset_id, version)


def sign_off(scope: ProjectScope, who: Principal, asset_id: str, version: int, step: str, decision: str, *,
             note: str = "") -> ApprovalState:
    """Sign the next step of the version's chain. Out-of-order steps and the wrong role or person
    are refused (audited); approving the last step is final approval; a rejection ends the chain."""
    if decision not in SIGNOFF_DECISIONS:
        raise ReviewError(f"sign-off decision {decision!r} is not one of {', '.join(SIGNOFF_DECISIONS)}")
    get_version(scope, who, asset_id, version)
    target = f"{asset_id}@v{version}"
    state = _state(scope, asset_id, version)
    names = [s.name for s in state.steps]
    if step not in names:
        raise ReviewError(f"{step!r} is not a step of this project's sign-off chain ({' -> '.join(names)})")
    if state.final != "pending":
        audit(scope.store, scope.tenant_id, scope.project_id, who.person_id, "review.approve", target, "refused",
              {"step": step, "reason": f"chain already {state.final}"})
        raise ReviewError(f"{target} is already {state.final}; publish a new version for another round")
    if step != state.next_step:
        audit(scope.store, scope.tenant_id, scope.project_id, who.person_id, "review.approve", target, "refused",
              {"step": step, "reason": f"out of order, next is {state.next_step}"})
        raise ReviewError(f"{target}: step {step!r} is out of order; the next sign-off is {state.next_step!r} "
                          f"(chain: {' -> '.join(names)})")
    s = state.steps[names.index(step)]
    role = _role(who, scope)
    if role != ADMIN:
        if s.person and who.person_id != s.person:
            raise refuse(scope, who, "review.approve", target, f"step {step!r} is signed by {s.person}")
        if s.role and role != s.role:
            raise refuse(scope, who, "review.approve", target,
                          f"step {step!r} is signed by a {s.role}; your role here is {role}")
    with scope.transaction():
        scope.insert("signoff", [{"asset_id": asset_id, "version": version, "step_index": s.index, "step_name": step,
                                  "decision": decision, "signed_by": who.person_id, "note": note,
                                  "signed_at": utc_now()}])
        audit(scope.store, scope.tenant_id, scope.project_id, who.person_id, "review.approve", target, "ok",
              {"step": step, "decision": decision, "note": note})
        after = _state(scope, asset_id, version)
        if after.final != "pending":
            set_version_status(scope, asset_id, version, after.final)
            audit(scope.store, scope.tenant_id, scope.project_id, who.person_id, f"review.final_{after.final}",
                  target, "ok", {"chain": names})
    return after


# -- playlists ------------------------------------------------------------------------------------

def create_playlist(scope: ProjectScope, who: Principal, name: str, *, for_client: bool = False) -> Playlist:
    require_member(scope, who, "review.approve", name)
    if _is_client(scope, who) or who.sees_only_own_tasks(scope.project_id):
        raise refuse(scope, who, "review.approve", name, "clients and vendors do not make playlists")
    if not name.strip():
        raise ReviewError("a playlist needs a name")
    pid = uuid.uuid4().hex[:12]
    scope.insert("review_playlist", [{"playlist_id": pid, "name": name, "for_client": for_client,
                                      "created_by": who.person_id, "created_at": utc_now()}])
    audit(scope.store, scope.tenant_id, scope.project_id, who.person_id, "review.playlist", pid, "ok",
          {"name": name, "for_client": for_client})
    return get_playlist(scope, who, pid)


def add_to_playlist(scope: ProjectScope, who: Principal, playlist_id: str, asset_id: str, version: int) -> Playlist:
    pl_ = get_playlist(scope, who, playlist_id)
    if _is_client(scope, who) or who.sees_only_own_tasks(scope.project_id):
        raise refuse(scope, who, "review.approve", playlist_id, "clients and vendors do not edit playlists")
    get_version(scope, who, asset_id, version)
    if (asset_id, version) in pl_.items:
        return pl_
    scope.insert("review_playlist_item", [{"playlist_id": playlist_id, "asset_id": asset_id, "version": version,
                                           "position": len(pl_.items), "added_by": who.person_id,
                                           "added_at": utc_now()}])
    return get_playlist(scope, who, playlist_id)


def _playlist(scope: ProjectScope, row: tuple) -> Playlist:
    items = scope.rows("SELECT asset_id, version FROM {review_playlist_item} WHERE playlist_id = $p ORDER BY position",
                       {"p": row[0]})
    return Playlist(*row, tuple((a, v) for a, v in items))


def list_playlists(scope: ProjectScope, who: Principal) -> list[Playlist]:
    """Playlists of the project; clients get only the ones shared with clients; vendors none."""
    require_member(scope, who, "review.read")
    if who.sees_only_own_tasks(scope.project_id):
        return []
    extra = " WHERE for_client" if _is_client(scope, who) else ""
    rows = scope.rows("SELECT playlist_id, name, for_client, created_by FROM {review_playlist}" + extra +
                      " ORDER BY created_at, playlist_id")
    return [_playlist(scope, r) for r in rows]


def get_playlist(scope: ProjectScope, who: Principal, playlist_id: str) -> Playlist:
    require_member(scope, who, "review.read", playlist_id)
    row = scope.one("SELECT playlist_id, name, for_client, created_by FROM {review_playlist} WHERE playlist_id = $p",
                    {"p": playlist_id})
    if row is None:
        raise NotFound(f"no playlist {playlist_id!r} in project {scope.project_id!r}")
    if who.sees_only_own_tasks(scope.project_id) or (_is_client(scope, who) and not row[2]):
        raise refuse(scope, who, "review.read", playlist_id, "this playlist is not shared with you")
    return _playlist(scope, row)


def playlist_versions(scope: ProjectScope, who: Principal, playlist_id: str) -> list[dict[str, Any]]:
    """What a reviewer (client included) plays: each version's files, without assignment details."""
    pl_ = get_playlist(scope, who, playlist_id)
    out = []
    for asset_id, version in pl_.items:
        found = _versions(scope, asset_id, version)
        if not found:
            raise AssetError(f"playlist {playlist_id!r} names {asset_id} v{version}, which no longer exists")
        v = found[0]
        out.append({"asset_id": asset_id, "version": version, "status": v.status,
                    "files": [{"name": r.name, "sha256": r.sha256, "mime": r.mime} for r in v.representations]})
    return out


__all__ = ["ApprovalState", "Candidate", "Comment", "Playlist", "ReviewError", "StepState",
           "add_to_playlist", "approval_state", "candidates", "comment", "comments", "create_playlist",
           "get_playlist", "list_playlists", "playlist_versions", "set_signoff_chain", "sign_off",
           "signoff_chain", "validate_candidate"]
