"""The cast's billing order, read from the script alone.

Why here: characters, the schedule's cast numbers and the breakdown all number the cast the same
way (1 is the lead), so the rule lives with the screenplay model, below every engine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .model import ElementType, Scene, Screenplay, character_name


def cast_ids_for(scenes: Sequence[Scene], screenplay: Screenplay | None = None) -> dict[str, int]:
    """Cast ids by billing order: most scenes first, then most speeches (when the screenplay is
    given), then first appearance. 1 is the lead."""
    scenes_of: Counter[str] = Counter()
    first: dict[str, int] = {}
    for s in scenes:
        for c in dict.fromkeys(s.speaking + s.non_speaking):
            scenes_of[c] += 1
            first.setdefault(c, s.index)
    speeches: Counter[str] = Counter()
    if screenplay is not None:
        for e in screenplay.elements:
            if e.type == ElementType.CHARACTER:
                speeches[character_name(e.text)] += 1
    ranked = sorted(scenes_of, key=lambda c: (-scenes_of[c], -speeches[c], first[c], c))
    return {c: k + 1 for k, c in enumerate(ranked)}


__all__ = ["cast_ids_for"]
