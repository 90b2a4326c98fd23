"""Breakdown categories (Universal Category Identification ids) and their per-project colours.

The ids are fixed so that a breakdown exported here reads the same in any tool that speaks UCI;
the colours are only tradition and vary by vendor, so they live in a settings object a project
may override.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..common.errors import Invalid


class CategoryError(Invalid):
    """An unknown or malformed breakdown category."""


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    name: str
    #: True for the scene fields (0-6) that describe the strip itself, not an element in it.
    scene_field: bool = False


#: Scene fields 0-6 and elements 100-124, as numbered by the Universal Category Identification.
CATEGORIES: dict[int, Category] = {
    c.id: c
    for c in (
        Category(0, "Set", True), Category(1, "INT/EXT", True), Category(2, "Day/Night", True),
        Category(3, "Script Day", True), Category(4, "Unit", True), Category(5, "Sequence", True),
        Category(6, "Location", True),
        Category(100, "Cast Members"), Category(101, "Background Actors"), Category(102, "Stunts"),
        Category(103, "Vehicles"), Category(104, "Props"), Category(105, "Special Effects"),
        Category(106, "Wardrobe"), Category(107, "Makeup/Hair"), Category(108, "Animals"),
        Category(109, "Animal Wranglers"), Category(110, "Camera"), Category(111, "Music"),
        Category(112, "Sound"), Category(113, "Art Department"), Category(114, "Set Dressing"),
        Category(115, "Greenery"), Category(116, "Security"), Category(117, "Special Equipment"),
        Category(118, "Additional Labor"), Category(119, "Visual Effects"), Category(120, "Mechanical Effects"),
        Category(121, "Notes"), Category(122, "Comments"), Category(123, "Miscellaneous"), Category(124, "Other"),
    )
}

CAST, BACKGROUND, STUNTS, VEHICLES, PROPS, SFX = 100, 101, 102, 103, 104, 105
WARDROBE, MAKEUP, ANIMALS, MUSIC, SOUND, SET_DRESSING, VFX = 106, 107, 108, 111, 112, 114, 119
#: Custom categories a project defines take ids from here up.
CUSTOM_BASE = 500

#: Traditional sheet colours (hex). Categories not listed print in light grey.
DEFAULT_COLOURS: dict[int, str] = {
    CAST: "#e53935",  # red
    BACKGROUND: "#43a047",  # green (atmosphere); speaking extras take yellow below
    STUNTS: "#fb8c00",  # orange
    VEHICLES: "#ec407a",  # pink
    PROPS: "#8e24aa",  # purple
    SFX: "#1e88e5",  # blue
    WARDROBE: "#00897b",  # circled on paper; teal on screen
    MAKEUP: "#f06292",  # asterisk on paper
    ANIMALS: "#ec407a",  # pink, like vehicles
    109: "#f48fb1",
    MUSIC: "#795548",  # brown
    SOUND: "#795548",  # brown
    SET_DRESSING: "#6d4c41",
    117: "#546e7a",  # boxed on paper
    VFX: "#3949ab",
    120: "#1565c0",
}
#: Speaking extras (background with a line) are yellow by tradition.
SPEAKING_EXTRAS_COLOUR = "#fdd835"
FALLBACK_COLOUR = "#bdbdbd"


def category(category_id: int, custom: Mapping[int, str] | None = None) -> Category:
    """The category for an id; custom ids (from 500) need a name in ``custom``."""
    if category_id in CATEGORIES:
        return CATEGORIES[category_id]
    if custom and category_id in custom and category_id >= CUSTOM_BASE:
        return Category(category_id, custom[category_id])
    raise CategoryError(
        f"unknown breakdown category id {category_id!r}: use 0-6 (scene fields), 100-124 (UCI elements) "
        f"or a custom id from {CUSTOM_BASE} declared in the project's categories"
    )


def category_name(category_id: int, custom: Mapping[int, str] | None = None) -> str:
    return category(category_id, custom).name


def element_categories() -> list[Category]:
    return [c for c in CATEGORIES.values() if not c.scene_field]


@dataclass
class CategoryColours:
    """Per-project sheet colours: the traditional defaults, overridden by the project's own dict.

    Overrides are checked when made, so a typo in a settings file fails at load, not at print.
    """

    overrides: dict[int, str] = field(default_factory=dict)
    custom: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for cid, colour in self.overrides.items():
            category(int(cid), self.custom)
            if not (isinstance(colour, str) and colour.startswith("#") and len(colour) in (4, 7)):
                raise CategoryError(f"colour for category {cid} must be a hex string like '#ff0000', got {colour!r}")
        self.overrides = {int(k): v for k, v in self.overrides.items()}

    def colour(self, category_id: int) -> str:
        if category_id in self.overrides:
            return self.overrides[category_id]
        return DEFAULT_COLOURS.get(category_id, FALLBACK_COLOUR)

    def as_dict(self) -> dict[int, str]:
        ids = [c.id for c in element_categories()] + sorted(self.custom)
        return {cid: self.colour(cid) for cid in ids}
