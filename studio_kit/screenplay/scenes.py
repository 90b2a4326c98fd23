"""Scenes as data: the strips a first AD schedules, drawn from the element sequence."""

from __future__ import annotations

import re

from .model import NON_PRINTING, ElementType, Scene, Screenplay, character_name, strip_notes

_PREFIX_RE = re.compile(r"^(INT\.?\s*/\s*EXT|EXT\.?\s*/\s*INT|I\.?\s*/\s*E|INT|EXT|EST)\b\.?\s*", re.I)
_SEP_RE = re.compile(r"\s+[-\u2013\u2014]+\s+|\s*--+\s*|\s+[\u2013\u2014]\s*")
#: Time-of-day words and the stripboard D/N they belong to (None: continues the previous scene).
TIME_OF_DAY: dict[str, str | None] = {
    "DAY": "DAY", "MORNING": "DAY", "AFTERNOON": "DAY", "NOON": "DAY", "MIDDAY": "DAY", "LATE AFTERNOON": "DAY",
    "EARLY MORNING": "DAY", "LATE MORNING": "DAY", "SUNRISE": "DAWN", "DAWN": "DAWN", "FIRST LIGHT": "DAWN",
    "DUSK": "DUSK", "SUNSET": "DUSK", "TWILIGHT": "DUSK", "MAGIC HOUR": "DUSK", "EVENING": "NIGHT",
    "NIGHT": "NIGHT", "LATE NIGHT": "NIGHT", "MIDNIGHT": "NIGHT", "PRE-DAWN": "NIGHT",
    "CONTINUOUS": None, "LATER": None, "MOMENTS LATER": None, "SAME": None, "SAME TIME": None,
    "MOMENTS BEFORE": None, "A MOMENT LATER": None, "SECONDS LATER": None, "MINUTES LATER": None,
}
_TOD_WORD_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, TIME_OF_DAY), key=len, reverse=True)) + r")\b")
# Names introduced in action: CAPS words followed by an age, e.g. "MARA VOSS (30s)" or "BOB, 40,".
_INTRO_RE = re.compile(r"\b([A-Z][A-Z'.\-]+(?: [A-Z][A-Z'.\-]+){0,3})(?: \((?:\d{1,2}s?|EARLY \d0S|LATE \d0S|MID-\d0S)\)|, \d{1,2}s?,)")


def parse_heading(heading: str) -> tuple[str, str, str]:
    """Split a heading into (INT/EXT, location, time of day): ``EXT. PARK--DAY`` -> EXT, PARK, DAY."""
    text = strip_notes(heading).replace("*", "").replace("_", " ").strip().upper()
    int_ext = ""
    m = _PREFIX_RE.match(text)
    if m:
        p = m.group(1).replace(" ", "").replace(".", "")
        int_ext = {"INT": "INT", "EXT": "EXT", "EST": "EXT"}.get(p, "INT/EXT")
        text = text[m.end() :].strip(" .-")
    parts = [p.strip(" .") for p in _SEP_RE.split(text) if p.strip(" .")]
    tod = ""
    for k in range(len(parts) - 1, 0, -1):
        m = _TOD_WORD_RE.search(parts[k])
        if m:
            tod = m.group(1)
            parts = parts[:k]
            break
    else:
        if len(parts) == 1:  # "INT HOUSE DAY": no separators
            words = parts[0].split()
            for n in (2, 1):
                if len(words) > n and " ".join(words[-n:]) in TIME_OF_DAY:
                    tod = " ".join(words[-n:])
                    parts = [" ".join(words[:-n])]
                    break
    return int_ext, " - ".join(parts), tod


def extract_scenes(screenplay: Screenplay) -> list[Scene]:
    """Scenes in script order. A script with no headings still gets one scene, and dialogue
    before the first heading becomes a scene of its own (a cold open written without a slug)."""
    els = screenplay.elements
    starts = [i for i, e in enumerate(els) if e.type is ElementType.SCENE_HEADING]
    pre_end = starts[0] if starts else len(els)
    pre = [e for e in els[:pre_end] if e.type not in NON_PRINTING]
    if pre and (not starts or any(e.type is ElementType.CHARACTER for e in pre)):
        first = next(i for i, e in enumerate(els) if e.type not in NON_PRINTING)
        starts = [first] + starts
    cast = {character_name(e.text) for e in els if e.type is ElementType.CHARACTER}
    cast_patterns = _cast_patterns(cast)
    written = any(e.scene_number for e in els if e.type is ElementType.SCENE_HEADING)
    scenes: list[Scene] = []
    prev_dn = "DAY"
    for k, start in enumerate(starts):
        end = (starts[k + 1] if k + 1 < len(starts) else len(els)) - 1
        head = els[start]
        if head.type is ElementType.SCENE_HEADING:
            heading = head.text
            int_ext, location, tod = parse_heading(heading)
            number = head.scene_number or (str(k + 1) if not written else _next_number(scenes))
        else:
            heading, int_ext, location, tod = "", "", "", ""
            number = str(k + 1) if not written else _next_number(scenes)
        dn = TIME_OF_DAY.get(tod, "") if tod else ""
        dn = dn or (prev_dn if tod else "")
        if dn:
            prev_dn = dn
        speaking: list[str] = []
        action_text: list[str] = []
        synopsis: list[str] = []
        for e in els[start : end + 1]:
            if e.type is ElementType.CHARACTER:
                name = character_name(strip_notes(e.text))
                if name not in speaking:
                    speaking.append(name)
            elif e.type is ElementType.ACTION:
                action_text.append(strip_notes(e.text))
            elif e.type is ElementType.SYNOPSIS:
                synopsis.append(e.text)
        scenes.append(
            Scene(
                index=k, number=number, heading=heading, int_ext=int_ext, location=location, time_of_day=tod,
                first=start, last=end, speaking=speaking,
                non_speaking=_named_in_action("\n".join(action_text), cast_patterns, speaking),
                synopsis=" ".join(synopsis), line=head.line, day_night=dn,
            )
        )
    return scenes


def _next_number(scenes: list[Scene]) -> str:
    """Number for an unnumbered scene in a numbered script: the previous number plus one."""
    if not scenes:
        return "1"
    m = re.match(r"\d+", scenes[-1].number)
    return str(int(m.group()) + 1) if m else f"{scenes[-1].number}+"


def _cast_patterns(cast: set[str]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    """One alternation over every cast name (CAPS and Title case), and the variant -> name map."""
    variants: dict[str, str] = {}
    for name in cast:
        if _word_ok(name):
            variants[name] = name
            variants.setdefault(name.title(), name)
    if not variants:
        return None, {}
    alt = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    return re.compile(r"(?<![\w'])(?:" + alt + r")(?![\w])"), variants


def _word_ok(name: str) -> bool:
    return len(name) >= 2 and any(ch.isalpha() for ch in name) and name not in {"ALL", "BOTH", "EVERYONE", "VOICE"}


def _named_in_action(text: str, cast_patterns: tuple[re.Pattern[str] | None, dict[str, str]],
                     speaking: list[str]) -> list[str]:
    """Characters present without lines: known cast named in action, and CAPS introductions with an age."""
    if not text:
        return []
    pattern, variants = cast_patterns
    found: list[tuple[int, str]] = []
    seen = set(speaking)
    if pattern is not None:
        for m in pattern.finditer(text):
            name = variants[m.group(0)]
            if name not in seen:
                seen.add(name)
                found.append((m.start(), name))
    cast_words = {w for n in variants.values() for w in n.split()}
    for m in _INTRO_RE.finditer(text):
        name = m.group(1).strip()
        # "MARA VOSS (30s)" introduces MARA, whose cues read "MARA": not a second person.
        if name not in seen and _word_ok(name) and not cast_words.intersection(name.split()):
            found.append((m.start(), name))
            seen.add(name)
    return [n for _, n in sorted(found)]
