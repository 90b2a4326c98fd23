"""A real DuckDB store with one person per role in project 'film' of tenant 'acme', plus a
non-member and a person of another tenant; and a Studio (with ManagementOps) per person."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from studio_kit.management import access
from studio_kit.management.access import Principal
from studio_kit.management.ops import MIGRATIONS as MANAGEMENT_MIGRATIONS
from studio_kit.management.ops import ManagementOps
from studio_kit.settings import Settings
from studio_kit.store import Store
from studio_kit.studio import ALL_MIGRATIONS, Studio

TENANT, PROJECT = "acme", "film"

#: person -> (role in 'film', department)
PEOPLE = {
    "art": ("artist", "animation"), "art2": ("artist", "animation"), "snd": ("artist", "sound"),
    "sup": ("supervisor", "animation"), "sup-snd": ("supervisor", "sound"),
    "pm": ("production_manager", ""), "cli": ("client", ""), "ven": ("vendor", "animation"),
}


S = Studio  # the Studio carries ManagementOps (the mixin in front of the service layer)
assert issubclass(S, ManagementOps)


def _migrations() -> list:
    seen: dict[tuple[str, int], object] = {}
    for m in [*ALL_MIGRATIONS, *access.MIGRATIONS, *MANAGEMENT_MIGRATIONS]:
        seen.setdefault((m.component, m.version), m)
    return list(seen.values())


@dataclass
class World:
    store: Store
    settings: Settings
    who: dict[str, Principal]

    @property
    def scope(self):
        return self.store.scope(TENANT, PROJECT)

    @property
    def assets_dir(self) -> Path:
        return self.settings.assets / TENANT  # the Studio keeps each tenant's files apart

    def studio(self, person: str) -> S:
        return S(self.store, self.who[person].tenant_id, PROJECT, self.settings, user=self.who[person])

    def audit(self, action: str | None = None, outcome: str | None = None, tenant: str = TENANT) -> list[dict]:
        rows = access.audit_log(self.store, tenant, PROJECT).to_dicts()
        return [r for r in rows if (action is None or r["action"] == action)
                and (outcome is None or r["outcome"] == outcome)]


@pytest.fixture
def world(tmp_path: Path) -> World:
    store = Store.open(tmp_path / "studio.duckdb", migrations=_migrations())
    store.ensure_project(TENANT, PROJECT)
    store.ensure_project(TENANT, "other-film")
    store.ensure_project("globex", PROJECT)
    access.add_person(store, TENANT, "boss", "Boss", "boss@acme.test", is_admin=True)
    for person, (role, dept) in PEOPLE.items():
        access.add_person(store, TENANT, person, person.title(), f"{person}@acme.test")
        access.set_role(store, TENANT, PROJECT, person, role, actor="boss", department=dept)
    access.add_person(store, TENANT, "outsider", "Outsider", "out@acme.test")
    access.set_role(store, TENANT, "other-film", "outsider", "production_manager", actor="boss")
    access.add_person(store, "globex", "spy", "Spy", "spy@globex.test")
    access.set_role(store, "globex", PROJECT, "spy", "production_manager", actor="system")
    who = {p: access.principal(store, TENANT, p) for p in [*PEOPLE, "boss", "outsider"]}
    who["spy"] = access.principal(store, "globex", "spy")
    settings = Settings(store_path=tmp_path / "studio.duckdb", assets_dir=tmp_path / "assets")
    yield World(store, settings, who)
    store.close()


def png_bytes(w: int = 8, h: int = 6, colour: tuple[int, int, int] = (200, 10, 10)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), colour).save(buf, "PNG")
    return buf.getvalue()


def wav_bytes(seconds: float = 0.5, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return buf.getvalue()
