"""API keys: format, shown once, hashed at rest, looked up by public id, revocable, expiring, audited."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from studio_kit.common.errors import NotFound
from studio_kit.management import access
from studio_kit.management.access import AccessDenied, Role
from studio_kit.platform import billing, keys
from studio_kit.platform.ops import PlatformOps
from studio_kit.store import Store
from studio_kit.studio import ALL_MIGRATIONS, Studio


def _migrations() -> list:
    seen, out = set(), []
    for m in [*ALL_MIGRATIONS, *access.MIGRATIONS, *keys.MIGRATIONS, *billing.MIGRATIONS]:
        if (m.component, m.version) not in seen:
            seen.add((m.component, m.version))
            out.append(m)
    return out


PlatformStudio = Studio  # the Studio carries PlatformOps
assert issubclass(PlatformStudio, PlatformOps)


@pytest.fixture
def store():
    s = Store.open(None, migrations=_migrations())
    s.ensure_project("acme", "film")
    s.ensure_project("rival", "other")
    access.add_person(s, "acme", "alice", "Alice", "alice@acme.test")
    access.add_person(s, "acme", "carol", "Carol", "carol@acme.test")
    access.add_person(s, "rival", "bob", "Bob", "bob@rival.test")
    access.set_role(s, "acme", "film", "alice", Role.ARTIST, actor="test")
    yield s
    s.close()


def _dump(store: Store, table: str) -> str:
    return repr(store.con.execute(f"SELECT * FROM {table}").fetchall())


def test_key_format_prefix_and_shown_once(store):
    created = keys.create_api_key(store, "acme", "alice", label="ci")
    key_id, secret = keys.parse_key(created.plaintext)
    assert created.plaintext == f"sk_live_{created.key_id}_{secret}"
    assert key_id == created.key_id and len(key_id) == 8
    assert len(secret) >= 43  # 32 random bytes, url-safe base64
    assert created.prefix == "sk_live_" + key_id
    assert created.plaintext not in repr(created)  # not echoed into logs by accident
    # at rest: only the hash; the secret appears in no table, not even the audit log
    for table in ("api_key", "audit_event", "person"):
        assert secret not in _dump(store, table)
    (stored,) = store.con.execute("SELECT secret_sha256 FROM api_key WHERE key_id = ?", [key_id]).fetchall()[0]
    assert stored == hashlib.sha256(f"{key_id}:{secret}".encode()).hexdigest()


def test_listing_never_shows_hash_or_secret(store):
    created = keys.create_api_key(store, "acme", "alice", label="laptop")
    listing = keys.list_api_keys(store, "acme")
    assert set(listing.columns) == {"key_id", "prefix", "label", "person_id", "created_at", "last_used_at",
                                    "revoked", "revoked_at", "expires_at"}
    (stored,) = store.con.execute("SELECT secret_sha256 FROM api_key").fetchall()[0]
    text = repr(listing.rows())
    assert stored not in text and keys.parse_key(created.plaintext)[1] not in text
    assert listing["prefix"].to_list() == [created.prefix]
    assert keys.list_api_keys(store, "rival").is_empty()


def test_authenticate_by_public_id_updates_last_used(store):
    a = keys.create_api_key(store, "acme", "alice")
    c = keys.create_api_key(store, "acme", "carol")
    assert keys.list_api_keys(store, "acme", "alice")["last_used_at"].to_list() == [None]
    who = keys.authenticate(store, a.plaintext)
    assert (who.tenant_id, who.person_id) == ("acme", "alice")
    assert who.role_in("film") == Role.ARTIST
    assert keys.authenticate(store, c.plaintext).person_id == "carol"
    assert keys.list_api_keys(store, "acme", "alice")["last_used_at"].to_list()[0] is not None
    # the right public id with another key's secret is refused
    forged = f"sk_live_{a.key_id}_{keys.parse_key(c.plaintext)[1]}"
    with pytest.raises(AccessDenied, match="^invalid API key$"):
        keys.authenticate(store, forged)
    log = access.audit_log(store, "acme")
    refused = log.filter(log["action"] == "key.use")
    assert refused["outcome"].to_list() == ["refused"] and refused["target"].to_list() == [a.key_id]


def test_secret_compared_in_constant_time(store, monkeypatch):
    calls = []
    real = keys.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keys.hmac, "compare_digest", spy)
    created = keys.create_api_key(store, "acme", "alice")
    keys.authenticate(store, created.plaintext)
    assert len(calls) == 1


@pytest.mark.parametrize("bad", ["", "sk_live_", "sk_test_abcdefgh_xyz", "sk_live_ABCDEFGH_secret",
                                 "sk_live_abcdefgh-secret", "sk_live_abcdefgh_secret", "Bearer x", "sk_live_a_b"])
def test_malformed_or_unknown_keys_get_one_generic_refusal(store, bad):
    with pytest.raises(AccessDenied) as err:
        keys.authenticate(store, bad)
    assert str(err.value) == keys.GENERIC_REFUSAL


def test_revoke(store):
    created = keys.create_api_key(store, "acme", "alice")
    with pytest.raises(NotFound, match="no API key"):  # another tenant cannot revoke (or learn about) it
        keys.revoke_api_key(store, "rival", created.key_id, actor="bob")
    assert keys.revoke_api_key(store, "acme", created.key_id, actor="admin") is True
    assert keys.revoke_api_key(store, "acme", created.key_id, actor="admin") is False
    with pytest.raises(AccessDenied, match="^invalid API key$"):
        keys.authenticate(store, created.plaintext)
    log = access.audit_log(store, "acme")
    actions = dict(zip(log["action"], log["outcome"], strict=True))
    assert actions["key.create"] == "ok" and actions["key.revoke"] == "ok" and actions["key.use"] == "refused"
    assert "revoked" in log.filter(log["action"] == "key.use")["detail"][0]
    assert keys.list_api_keys(store, "acme")["revoked"].to_list() == [True]


def test_expiry(store):
    now = datetime.now(UTC)
    with pytest.raises(ValueError, match="in the past"):
        keys.create_api_key(store, "acme", "alice", expires_at=now - timedelta(seconds=1))
    created = keys.create_api_key(store, "acme", "alice", expires_at=now + timedelta(hours=1))
    assert keys.authenticate(store, created.plaintext, now=now + timedelta(minutes=59)).person_id == "alice"
    with pytest.raises(AccessDenied, match="^invalid API key$"):
        keys.authenticate(store, created.plaintext, now=now + timedelta(hours=1, seconds=1))


def test_wrong_tenant_cannot_use_a_key(store):
    created = keys.create_api_key(store, "acme", "alice")
    with pytest.raises(AccessDenied, match="^invalid API key$"):
        keys.authenticate(store, created.plaintext, tenant_id="rival")
    who = keys.authenticate(store, created.plaintext, tenant_id="acme")
    with pytest.raises(AccessDenied, match="not a project of your tenant"):
        access.authorize(store, who, "project.read", "rival", "other")
    with pytest.raises(NotFound, match="no active person"):  # keys only for people of the tenant
        keys.create_api_key(store, "acme", "bob")


def test_studio_key_operations_are_checked(store):
    admin = PlatformStudio(store, "acme", "film")
    created = admin.create_api_key("alice", label="render farm")
    assert admin.api_keys()["label"].to_list() == ["render farm"]
    artist = PlatformStudio(store, "acme", "film", user=keys.authenticate(store, created.plaintext))
    with pytest.raises(AccessDenied, match="key.manage"):
        artist.create_api_key("alice")
    with pytest.raises(AccessDenied, match="key.manage"):
        artist.revoke_api_key(created.key_id)
    assert admin.revoke_api_key(created.key_id) is True
