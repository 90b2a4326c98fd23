"""Script statistics a producer asks for first: length, mix of scenes, who talks and how much.

Line counts come from the paginated script (printed lines), so "dialogue share" means share of
the printed page, the way readers and schedulers feel it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from .model import ElementType, Scene, Screenplay, character_name, strip_notes
from .pagination import Pagination

_DIALOGUE_KINDS = frozenset({ElementType.CHARACTER, ElementType.PARENTHETICAL, ElementType.DIALOGUE, ElementType.LYRICS})
_ACTION_KINDS = frozenset({ElementType.ACTION, ElementType.CENTERED})


@dataclass
class CharacterStats:
    name: str
    scenes: list[str] = field(default_factory=list)  # scene numbers where the character speaks
    present: list[str] = field(default_factory=list)  # scene numbers where named in action only
    speeches: int = 0
    lines: int = 0  # printed dialogue lines
    words: int = 0
    first_scene: str = ""


@dataclass
class ScriptStats:
    pages: int
    minutes: float  # one page is about one minute of screen time
    scenes: int
    eighths: int
    by_int_ext: dict[str, int]
    by_day_night: dict[str, int]
    locations: dict[str, int]  # scenes per location (set)
    dialogue_lines: int
    action_lines: int
    dialogue_share: float
    action_share: float
    words: int
    characters: list[CharacterStats]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def script_stats(screenplay: Screenplay, scenes: list[Scene], pagination: Pagination) -> ScriptStats:
    els = screenplay.elements
    printed_by_element: Counter[int] = Counter()
    dialogue_lines = action_lines = 0
    for page in pagination.pages:
        for row in page.rows:
            for line in row:
                if line.kind in _DIALOGUE_KINDS and line.kind is not ElementType.CHARACTER:
                    dialogue_lines += 1
                    if line.element >= 0:
                        printed_by_element[line.element] += 1
                elif line.kind in _ACTION_KINDS:
                    action_lines += 1
    chars: dict[str, CharacterStats] = {}
    scene_of = _scene_index(scenes, len(els))
    words = 0
    current: str | None = None
    for i, e in enumerate(els):
        t = e.type
        if t is ElementType.CHARACTER:
            current = character_name(strip_notes(e.text))
            cs = chars.setdefault(current, CharacterStats(current))
            cs.speeches += 1
            k = scene_of[i]
            if k is not None:
                num = scenes[k].number
                if not cs.first_scene:
                    cs.first_scene = num
                if num not in cs.scenes:
                    cs.scenes.append(num)
        elif t in (ElementType.DIALOGUE, ElementType.LYRICS, ElementType.PARENTHETICAL) and current:
            cs = chars[current]
            n_words = len(strip_notes(e.text).split())
            if t is not ElementType.PARENTHETICAL:
                cs.words += n_words
            cs.lines += printed_by_element.get(i, 0)
            words += n_words
        else:
            current = None
            if t in _ACTION_KINDS or t is ElementType.SCENE_HEADING:
                words += len(strip_notes(e.text).split())
    for s in scenes:
        for name in s.non_speaking:
            cs = chars.get(name)
            if cs is not None and s.number not in cs.present:
                cs.present.append(s.number)
    total = dialogue_lines + action_lines
    return ScriptStats(
        pages=pagination.page_count,
        minutes=float(pagination.page_count),
        scenes=len(scenes),
        eighths=sum(s.eighths for s in scenes),
        by_int_ext=dict(Counter(s.int_ext or "?" for s in scenes)),
        by_day_night=dict(Counter(s.day_night or "?" for s in scenes)),
        locations=dict(Counter(s.location or "?" for s in scenes).most_common()),
        dialogue_lines=dialogue_lines,
        action_lines=action_lines,
        dialogue_share=round(dialogue_lines / total, 4) if total else 0.0,
        action_share=round(action_lines / total, 4) if total else 0.0,
        words=words,
        characters=sorted(chars.values(), key=lambda c: (-c.lines, -c.speeches, c.name)),
    )


def _scene_index(scenes: list[Scene], n: int) -> list[int | None]:
    out: list[int | None] = [None] * n
    for k, s in enumerate(scenes):
        for i in range(s.first, min(s.last, n - 1) + 1):
            out[i] = k
    return out
