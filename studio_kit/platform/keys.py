"""API keys: how a person of a tenant reaches the Studio from a script or another service.

Why this shape (OWASP API2, GitHub/Stripe token practice):
- A key reads ``sk_live_<public id>_<secret>``: the ``sk_live_`` prefix makes a leaked key
  recognisable to secret scanners and people; the 8-character public id finds the row by its
  primary key (indexed) without ever searching by secret.
- The plaintext is returned once, by :func:`create_api_key`, and never stored. The table keeps
  only ``sha256(public_id ":" secret)``. The secret is 256 bits from :func:`secrets.token_urlsafe`,
  so a brute-force or dictionary attack on a stolen hash is hopeless already; a slow KDF (scrypt,
  PBKDF2) protects low-entropy *passwords* and would only add tens of milliseconds to every API
  request here. Binding the public id into the hash stops a hash being replayed against another row.
- The hash is compared with :func:`hmac.compare_digest` (constant time).
- Keys are tenant-level (not project-scoped): the ``api_key`` table has ``tenant_id`` but no
  ``project_id``, so it is not a ProjectScope table and every query here filters by tenant
  explicitly. What the key may do is the person's roles, loaded by :func:`access.principal`.
- Lifecycle (create, revoke, a refused use) goes to the audit log with project ``""``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import polars as pl

from ..common.clock import utc_now
from ..common.errors import Invalid, NotFound
from ..management import access
from ..management.access import AccessDenied, Principal
from ..store import Migration, Store

PREFIX = "sk_live_"
_PUBLIC_ID_LEN = 8
_PUBLIC_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_BYTES = 32  # 256 bits
#: Refusals never say why (unknown, revoked, expired, malformed): that would help an attacker.
#: How finely last_used_at is kept.
LAST_USED_RESOLUTION = timedelta(minutes=1)
GENERIC_REFUSAL = "invalid API key"

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "platform_keys",
        1,
        "API keys: hashed secrets looked up by public id",
        """
        CREATE TABLE api_key (
            key_id VARCHAR PRIMARY KEY,          -- the public id inside the key
            tenant_id VARCHAR NOT NULL REFERENCES tenant(tenant_id),
            person_id VARCHAR NOT NULL,
            label VARCHAR NOT NULL DEFAULT '',
            secret_sha256 VARCHAR NOT NULL,      -- sha256(key_id ':' secret), hex
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL,
            expires_at TIMESTAMP,
            last_used_at TIMESTAMP,
            revoked_at TIMESTAMP,
            revoked_by VARCHAR
        );
        CREATE INDEX api_key_tenant ON api_key (tenant_id, person_id);
        """,
    ),
)


def _utc_naive(dt: datetime | None) -> datetime | None:
    """The store keeps naive UTC; an aware datetime is converted, a naive one is taken as UTC."""
    if dt is None or dt.tzinfo is None:
        return dt
    return dt.astimezone(UTC).replace(tzinfo=None)


def _hash(key_id: str, secret: str) -> str:
    return hashlib.sha256(f"{key_id}:{secret}".encode()).hexdigest()


@dataclass(frozen=True)
class CreatedKey:
    """The one time the plaintext exists outside the caller: show it, then drop this object."""

    key_id: str
    tenant_id: str
    person_id: str
    label: str
    expires_at: datetime | None
    plaintext: str = field(repr=False)

    @property
    def prefix(self) -> str:
        """What listings show to recognise the key: ``sk_live_<public id>``."""
        return PREFIX + self.key_id


def create_api_key(store: Store, tenant_id: str, person_id: str, *, label: str = "",
                   expires_at: datetime | None = None, actor: str = "system") -> CreatedKey:
    """Make a key for an active person of the tenant; the returned plaintext is not stored anywhere."""
    expires = _utc_naive(expires_at)
    if expires is not None and expires <= utc_now():
        raise Invalid(f"API key for {person_id!r}: expires_at {expires_at} is in the past")
    with store.transaction() as con:
        row = con.execute("SELECT active FROM person WHERE tenant_id = ? AND person_id = ?",
                          [tenant_id, person_id]).fetchall()
        if not row or not row[0][0]:
            raise NotFound(f"no active person {person_id!r} in tenant {tenant_id!r}; add them first "
                             "(access.add_person)")
        while True:  # 36^8 ids: a collision is rare, but the primary key must hold
            key_id = "".join(secrets.choice(_PUBLIC_ALPHABET) for _ in range(_PUBLIC_ID_LEN))
            if not con.execute("SELECT 1 FROM api_key WHERE key_id = ?", [key_id]).fetchall():
                break
        secret = secrets.token_urlsafe(_SECRET_BYTES)
        con.execute("INSERT INTO api_key (key_id, tenant_id, person_id, label, secret_sha256, created_at, created_by, "
                    "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [key_id, tenant_id, person_id, label, _hash(key_id, secret), utc_now(), actor, expires])
        access.audit(store, tenant_id, "", actor, "key.create", key_id, "ok",
                     {"person": person_id, "label": label, "expires_at": expires})
    return CreatedKey(key_id, tenant_id, person_id, label, expires, f"{PREFIX}{key_id}_{secret}")


def list_api_keys(store: Store, tenant_id: str, person_id: str | None = None) -> pl.DataFrame:
    """The tenant's keys (optionally one person's): never the secret or its hash."""
    where = "tenant_id = $t" + (" AND person_id = $p" if person_id is not None else "")
    params = {"t": tenant_id} | ({"p": person_id} if person_id is not None else {})
    return store.con.sql(
        f"SELECT key_id, '{PREFIX}' || key_id AS prefix, label, person_id, created_at, last_used_at, "
        f"revoked_at IS NOT NULL AS revoked, revoked_at, expires_at FROM api_key WHERE {where} "
        "ORDER BY created_at, key_id", params=params).pl()


def revoke_api_key(store: Store, tenant_id: str, key_id: str, *, actor: str = "system") -> bool:
    """Revoke a key of this tenant; False when it was already revoked. Another tenant's key is 'not found'."""
    with store.transaction() as con:
        row = con.execute("SELECT revoked_at FROM api_key WHERE tenant_id = ? AND key_id = ?",
                          [tenant_id, key_id]).fetchall()
        if not row:
            raise NotFound(f"no API key {key_id!r} in tenant {tenant_id!r}; list them with api_keys()")
        if row[0][0] is not None:
            return False
        con.execute("UPDATE api_key SET revoked_at = ?, revoked_by = ? WHERE tenant_id = ? AND key_id = ?",
                    [utc_now(), actor, tenant_id, key_id])
        access.audit(store, tenant_id, "", actor, "key.revoke", key_id, "ok")
    return True


def parse_key(presented: str) -> tuple[str, str] | None:
    """``(public id, secret)`` of a well-formed key, else None."""
    if not isinstance(presented, str) or not presented.startswith(PREFIX):
        return None
    rest = presented[len(PREFIX):]
    key_id, sep, secret = rest[:_PUBLIC_ID_LEN], rest[_PUBLIC_ID_LEN:_PUBLIC_ID_LEN + 1], rest[_PUBLIC_ID_LEN + 1:]
    if sep != "_" or len(key_id) != _PUBLIC_ID_LEN or any(c not in _PUBLIC_ALPHABET for c in key_id):
        return None
    if not secret or len(secret) > 128:
        return None
    return key_id, secret


def authenticate(store: Store, presented_key: str, *, tenant_id: str | None = None,
                 now: datetime | None = None) -> Principal:
    """The principal behind a presented key, or AccessDenied with one generic message.

    ``tenant_id``: the tenant the request is for (e.g. from the URL); a key of another tenant is
    refused like an unknown one. A refused use of a known key is audited in the key's tenant;
    a successful use stamps ``last_used_at``.
    """
    at = _utc_naive(now) or utc_now()
    parsed = parse_key(presented_key)
    if parsed is None:
        raise AccessDenied(GENERIC_REFUSAL)
    key_id, secret = parsed
    rows = store.con.execute("SELECT tenant_id, person_id, secret_sha256, expires_at, revoked_at, last_used_at "
                             "FROM api_key WHERE key_id = ?", [key_id]).fetchall()
    if not rows:
        raise AccessDenied(GENERIC_REFUSAL)
    key_tenant, person_id, stored_hash, expires_at, revoked_at, last_used = rows[0]
    reason = None
    if not hmac.compare_digest(stored_hash.encode(), _hash(key_id, secret).encode()):
        reason = "wrong secret"
    elif revoked_at is not None:
        reason = "revoked"
    elif expires_at is not None and expires_at <= at:
        reason = "expired"
    elif tenant_id is not None and tenant_id != key_tenant:
        reason = "key of another tenant"
    if reason is None:
        try:
            who = access.principal(store, key_tenant, person_id)
        except AccessDenied:
            reason = "person inactive"
    if reason is not None:
        if not store.read_only:
            access.audit(store, key_tenant, "", person_id, "key.use", key_id, "refused", {"reason": reason})
        raise AccessDenied(GENERIC_REFUSAL)
    # last_used_at to the minute: a write (and a commit) per request would serialise every API call
    # on the one writer for a field nobody reads more finely.
    if not store.read_only and (last_used is None or at - last_used >= LAST_USED_RESOLUTION):
        with store.transaction() as con:
            con.execute("UPDATE api_key SET last_used_at = ? WHERE key_id = ?", [at, key_id])
    return who
