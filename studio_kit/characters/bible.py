"""Characters from the screenplay, and their bible: the typed core of the Character engine (pure).

Why a bible: a generated frame can only stay the same person if what defines the person is
written down once — look, age, wardrobe per story day, palette, voice — and every generation
reads it from there. The first draft comes from the script itself (the cast, their scenes, the
introduction line "MARA VOSS (30s), signal engineer, orange hi-vis jacket ..."); people edit it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..common.errors import Invalid
from ..generation.base import Identity
from ..screenplay.model import ElementType, Scene, Screenplay

#: The shot sizes a lock keeps a reference for, and which reference every shot size is scored
#: against: a frame is compared with the character framed the same way (a close-up is a face and
#: shoulders, not a full figure), which measures far more reliably than one full-figure reference.
REFERENCE_SIZES = ("FS", "MS", "MCU", "CU")
SIZE_CLASS = {"EWS": "FS", "WS": "FS", "FS": "FS", "MS": "MS", "MCU": "MCU", "CU": "CU", "ECU": "CU"}

#: Palette slots, in the order Identity.palette uses.
PALETTE_SLOTS = ("skin", "hair", "wardrobe_primary", "wardrobe_secondary", "accent")

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")

#: Colour words of wardrobe descriptions -> hex (what the introduction line says becomes the palette).
COLOUR_WORDS: dict[str, str] = {
    "black": "#1c1c1c", "white": "#f2f2f2", "grey": "#7f8c8d", "gray": "#7f8c8d", "silver": "#bdc3c7",
    "red": "#c0392b", "crimson": "#9b1b30", "orange": "#e67e22", "yellow": "#f1c40f", "mustard": "#d4a017",
    "green": "#27ae60", "olive": "#708238", "teal": "#16a085", "blue": "#2e64b5", "navy": "#1f2a44",
    "purple": "#8e44ad", "violet": "#7d3c98", "pink": "#e88fb4", "brown": "#7b4a2a", "tan": "#c9a26b",
    "beige": "#d9c7a7", "cream": "#f3e5c0", "khaki": "#b8a26a", "burgundy": "#6d1a2a", "maroon": "#6d1a2a",
    "gold": "#c9a227", "hi-vis": "#f39c12", "denim": "#3b5b92", "tweed": "#8a7656", "camel": "#c19a6b",
}

#: Distinct wardrobe colour pairs handed out by cast order when the script names none.
_WARDROBE_PAIRS = (
    ("#1f3a93", "#dcdde1"), ("#b03a2e", "#2c3e50"), ("#1e8449", "#f5cba7"), ("#7d3c98", "#f7dc6f"),
    ("#ca6f1e", "#1b2631"), ("#117a65", "#fdfefe"), ("#5d6d7e", "#c0392b"), ("#873600", "#aed6f1"),
    ("#2e4053", "#f0b27a"), ("#6c3483", "#a9dfbf"), ("#9a7d0a", "#34495e"), ("#a93226", "#d5dbdb"),
)
_SKINS = ("#f1c27d", "#e0ac69", "#c68642", "#8d5524", "#ffdbac", "#a0522d")
_HAIRS = ("#2b1b0e", "#4a3728", "#8b5a2b", "#d4b16a", "#1c1c1c", "#6b3e26")

_INTRO = re.compile(r"\b([A-Z][A-Z'.\- ]{1,40}?)\s*\((\d{1,2}s?|[A-Z]{2,}|late \d0s|early \d0s)\)\s*,?\s*([^.]*)",
                    re.UNICODE)


class BibleError(Invalid):
    """A bible field has a value the engines cannot use; the message names the field."""


@dataclass(frozen=True)
class WardrobeChange:
    """What the character wears from ``story_day`` on (until the next change)."""

    story_day: int
    description: str
    primary: str = ""  # hex; "" keeps the palette's wardrobe colours
    secondary: str = ""


@dataclass(frozen=True)
class Bible:
    description: str = ""
    age: str = ""
    look: str = ""
    wardrobe: tuple[WardrobeChange, ...] = ()
    palette: tuple[str, ...] = ("#c68642", "#2b1b0e", "#1f3a93", "#dddddd", "#c0392b")
    voice: str = ""  # a speech backend voice id, or a description for casting a voice
    build: str = "average"
    height: float = 1.0
    hair: str = "short"
    prompt: str = ""  # the fragment every image prompt that names the character gets

    def __post_init__(self) -> None:
        if len(self.palette) != len(PALETTE_SLOTS):
            raise BibleError(f"palette needs {len(PALETTE_SLOTS)} colours ({', '.join(PALETTE_SLOTS)}), "
                             f"got {len(self.palette)}")
        for slot, colour in zip(PALETTE_SLOTS, self.palette, strict=True):
            if not _HEX.match(colour):
                raise BibleError(f"palette.{slot} = {colour!r} is not a #rrggbb colour")
        for w in self.wardrobe:
            for name in ("primary", "secondary"):
                c = getattr(w, name)
                if c and not _HEX.match(c):
                    raise BibleError(f"wardrobe day {w.story_day} {name} = {c!r} is not a #rrggbb colour")
        if self.build not in ("slight", "average", "broad"):
            raise BibleError(f"build {self.build!r} must be slight, average or broad")
        if not 0.5 <= self.height <= 1.5:
            raise BibleError(f"height {self.height} is relative to an average adult: 0.5 .. 1.5")

    def wardrobe_on(self, story_day: int) -> WardrobeChange | None:
        """The wardrobe worn on a story day: the last change at or before it."""
        worn = [w for w in sorted(self.wardrobe, key=lambda w: w.story_day) if w.story_day <= story_day]
        return worn[-1] if worn else (min(self.wardrobe, key=lambda w: w.story_day) if self.wardrobe else None)

    def palette_on(self, story_day: int) -> tuple[str, ...]:
        w = self.wardrobe_on(story_day)
        if w is None:
            return self.palette
        p = list(self.palette)
        p[2] = w.primary or p[2]
        p[3] = w.secondary or p[3]
        return tuple(p)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bible:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise BibleError(f"unknown bible fields {sorted(unknown)}; fields are {sorted(known)}")
        d = dict(data)
        d["wardrobe"] = tuple(WardrobeChange(**w) if isinstance(w, dict) else w for w in d.get("wardrobe", ()))
        d["palette"] = tuple(d.get("palette", cls.palette))
        return cls(**d)


@dataclass(frozen=True)
class Character:
    """A character of the script: stable id (from the name), billing-order cast id, scenes."""

    character_id: str
    name: str
    cast_id: int
    scenes: tuple[str, ...] = ()  # scene numbers, in script order
    speaking_scenes: int = 0
    story_days: tuple[int, ...] = ()


@dataclass(frozen=True)
class Lock:
    """What a locked version freezes: seed policy, references and their embedding, prompt,
    wardrobe and palette. Everything a later frame needs to be the same person."""

    seed: int
    seed_policy: str  # "fixed": every frame of the character uses ``seed``; "per_shot": seed + shot index
    reference_images: tuple[str, ...]
    reference_embedding: tuple[float, ...]
    embedder: str  # model_id of the image embedder that made the reference embedding
    prompt: str
    wardrobe: str
    palette: tuple[str, ...]
    threshold: float  # below this similarity a frame is flagged as drift
    #: Reference embedding per framing (REFERENCE_SIZES); ``reference_embedding`` is the full figure.
    size_embeddings: dict[str, tuple[float, ...]] = field(default_factory=dict)
    #: The threshold for frames scored against a same-size reference (a full-figure-only lock uses ``threshold``).
    matched_threshold: float | None = None

    def target_for(self, shot_size: str) -> tuple[tuple[float, ...], float]:
        """The reference a frame of this size is scored against, and the drift threshold for it."""
        size = SIZE_CLASS.get(shot_size, "FS")
        if size in self.size_embeddings:
            return self.size_embeddings[size], self.matched_threshold or self.threshold
        return self.reference_embedding, self.threshold

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Lock:
        return cls(**{**d, "reference_images": tuple(d["reference_images"]),
                      "reference_embedding": tuple(d["reference_embedding"]), "palette": tuple(d["palette"]),
                      "size_embeddings": {k: tuple(v) for k, v in d.get("size_embeddings", {}).items()}})


@dataclass(frozen=True)
class CharacterVersion:
    character_id: str
    version: int
    bible: Bible
    lock: Lock | None = None
    note: str = ""

    @property
    def locked(self) -> bool:
        return self.lock is not None


def slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not s:
        raise BibleError(f"character name {name!r} has no letters or digits to make an id from")
    return s


def story_days(scenes: Sequence[Scene]) -> list[int]:
    """Story day of each scene (1-based): a new day starts when a DAY/DAWN/MORNING scene follows a
    NIGHT or DUSK scene. A first estimate the script supervisor corrects in the bible."""
    day, out, prev = 1, [], ""
    for s in scenes:
        dn = (s.day_night or "").upper()
        if prev in ("NIGHT", "DUSK") and dn in ("DAY", "DAWN", "MORNING"):
            day += 1
        if dn:
            prev = dn
        out.append(day)
    return out


def characters_from_script(screenplay: Screenplay, scenes: Sequence[Scene],
                           cast_ids: dict[str, int]) -> list[Character]:
    """The cast as characters, in billing order, with their scenes and story days."""
    days = story_days(scenes)
    by: dict[str, list[int]] = {}
    speaking: dict[str, int] = {}
    for k, s in enumerate(scenes):
        for c in s.characters:
            by.setdefault(c, []).append(k)
        for c in s.speaking:
            speaking[c] = speaking.get(c, 0) + 1
    out = []
    for name, cid in sorted(cast_ids.items(), key=lambda kv: kv[1]):
        ks = by.get(name, [])
        out.append(Character(slug(name), name, cid, tuple(scenes[k].number for k in ks), speaking.get(name, 0),
                             tuple(sorted({days[k] for k in ks}))))
    return out


def introductions(screenplay: Screenplay) -> dict[str, tuple[str, str, str]]:
    """Introduction lines of the action: CUE NAME -> (full name, age, description).

    "MARA VOSS (30s), signal engineer, orange hi-vis jacket ..." introduces MARA (and VOSS)."""
    found: dict[str, tuple[str, str, str]] = {}
    for e in screenplay.elements:
        if e.type != ElementType.ACTION:
            continue
        for m in _INTRO.finditer(e.text):
            full, age, rest = m.group(1).strip(), m.group(2), m.group(3).strip()
            for part in [full, *full.split()]:
                found.setdefault(part, (full, age, rest))
    return found


def _colours_in(text: str) -> list[str]:
    words = re.findall(r"[a-z][a-z\-]+", text.lower())
    return [COLOUR_WORDS[w] for w in words if w in COLOUR_WORDS]


def draft_bible(character: Character, screenplay: Screenplay) -> Bible:
    """A first bible from the script: age, description and wardrobe colours from the introduction
    line; skin, hair and any colour the script does not name from a stable hash of the id, so the
    draft is the same on every run and different characters look different."""
    intro = introductions(screenplay).get(character.name)
    full, age, desc = intro if intro else (character.name.title(), "", "")
    h = int(hashlib.sha256(character.character_id.encode()).hexdigest(), 16)
    primary, secondary = _WARDROBE_PAIRS[(character.cast_id - 1) % len(_WARDROBE_PAIRS)]
    named = _colours_in(desc)
    if named:
        primary = named[0]
        secondary = named[1] if len(named) > 1 else secondary
    hair = "bald" if "bald" in desc.lower() else ("long" if h % 2 else "short")
    if "hair tied" in desc.lower() or "bun" in desc.lower():
        hair = "bun"
    grey = age and age[:1].isdigit() and int(age[:1]) >= 6
    palette = (_SKINS[h % len(_SKINS)], "#a9a9a9" if grey else _HAIRS[(h // 7) % len(_HAIRS)], primary, secondary,
               _WARDROBE_PAIRS[(h // 11) % len(_WARDROBE_PAIRS)][0])
    build = "broad" if re.search(r"\b(built like|broad|heavy|muscle|hulking)", desc.lower()) else (
        "slight" if re.search(r"\b(slight|thin|small|wiry)\b", desc.lower()) else "average")
    height = 0.62 if age.isdigit() and int(age) < 13 else 1.0
    look = desc
    wardrobe = (WardrobeChange(min(character.story_days or (1,)), desc or "as introduced", primary, secondary),)
    words = ", ".join(x for x in (f"{full.title()}", f"age {age}" if age else "", desc) if x)
    return Bible(description=f"{full.title()}" + (f" ({age})" if age else "") + (f": {desc}" if desc else ""),
                 age=age, look=look, wardrobe=wardrobe, palette=palette, build=build, height=height, hair=hair,
                 prompt=words)


def identity(character: Character, version: CharacterVersion, story_day: int | None = None,
             shot_index: int = 0) -> Identity:
    """The Identity an image request carries: from the lock when the version is locked (what makes
    every frame the same person), from the draft bible otherwise."""
    b = version.bible
    palette = b.palette_on(story_day) if story_day is not None else b.palette
    lock = version.lock
    if lock is not None:
        seed = lock.seed + (shot_index if lock.seed_policy == "per_shot" else 0)
        palette = tuple(lock.palette) if story_day is None else (
            *lock.palette[:2], *palette[2:4], lock.palette[4])
        return Identity(character.character_id, character.name, version.version, palette, lock.prompt,
                        lock.wardrobe, b.build, b.height, b.hair, seed, lock.reference_images,
                        lock.reference_embedding)
    wardrobe = b.wardrobe_on(story_day or 1)
    return Identity(character.character_id, character.name, version.version, palette, b.prompt,
                    wardrobe.description if wardrobe else "", b.build, b.height, b.hair,
                    seed_for(character.character_id))


def seed_for(character_id: str) -> int:
    """A stable default seed per character (so drafts look the same on every run)."""
    return int(hashlib.sha256(f"seed:{character_id}".encode()).hexdigest()[:8], 16)


def edit_bible(bible: Bible, **changes: Any) -> Bible:
    """A new bible with some fields changed; unknown fields are an error naming them."""
    unknown = set(changes) - set(Bible.__dataclass_fields__)
    if unknown:
        raise BibleError(f"unknown bible fields {sorted(unknown)}; fields are {sorted(Bible.__dataclass_fields__)}")
    if "palette" in changes:
        changes["palette"] = tuple(changes["palette"])
    if "wardrobe" in changes:
        changes["wardrobe"] = tuple(WardrobeChange(**w) if isinstance(w, dict) else w for w in changes["wardrobe"])
    return replace(bible, **changes)


__all__ = ["Bible", "BibleError", "Character", "CharacterVersion", "Lock", "WardrobeChange", "PALETTE_SLOTS",
           "characters_from_script", "draft_bible", "edit_bible", "identity", "introductions", "seed_for",
           "slug", "story_days"]
