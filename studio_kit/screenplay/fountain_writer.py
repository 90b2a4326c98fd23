"""Fountain export that our parser reads back to the same elements.

Elements are written plainly where Fountain would recognise them and forced (``.``, ``!``,
``@``, ``>``, ``~``) exactly where it would not, so a round trip keeps every element, the notes,
sections, synopses, boneyard and unknown title keys.
"""

from __future__ import annotations

import re

from .model import Element, ElementType, Screenplay, continues_speech, split_cue

_HEADING_RE = re.compile(r"^(?:INT\.?/EXT|EXT\.?/INT|INT|EXT|EST|I\.?/E)[. ]", re.I)
_TRANSITION_RE = re.compile(r"^[^a-z]*TO:$")
_LETTER_RE = re.compile(r"[^\W\d_]")
_SCENE_NUMBER_RE = re.compile(r"#([\w.\-]+)#\s*$")


def to_fountain(screenplay: Screenplay) -> str:
    out: list[str] = []
    tp = screenplay.title_page
    els = screenplay.elements
    # Notes and boneyard written before the title page stay before it.
    lead = 0
    if tp:
        while lead < len(els) and els[lead].type in (ElementType.NOTE, ElementType.BONEYARD):
            out.append(_hidden(els[lead]))
            out.append("")
            lead += 1
        for key, value in tp.entries:
            if "\n" in value:
                out.append(f"{key}:")
                out.extend(f"   {ln}" for ln in value.split("\n"))
            else:
                out.append(f"{key}: {value}")
        out.append("")
    i, n = lead, len(els)
    while i < n:
        e = els[i]
        t = e.type
        if t is ElementType.CHARACTER:
            j = i + 1
            while j < n and continues_speech(els[j - 1], els[j]):
                j += 1
            out.extend(_speech(els[i:j]))
            out.append("")
            i = j
            continue
        out.append(_element(e, els, i))
        out.append("")
        i += 1
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _hidden(e: Element) -> str:
    return f"[[{e.text}]]" if e.type is ElementType.NOTE else f"/*{e.text}*/"


def _element(e: Element, els: list[Element], i: int) -> str:
    t, text = e.type, e.text
    if t is ElementType.SCENE_HEADING:
        line = text if (_HEADING_RE.match(text) and not e.forced) else "." + text
        return line + (f" #{e.scene_number}#" if e.scene_number else "")
    if t is ElementType.TRANSITION:
        return text if (_TRANSITION_RE.match(text) and not e.forced) else f"> {text}"
    if t is ElementType.CENTERED:
        return "\n".join(f"> {ln} <" for ln in text.split("\n"))
    if t is ElementType.LYRICS:
        return "\n".join(f"~{ln}" for ln in text.split("\n"))
    if t is ElementType.PAGE_BREAK:
        return "==="
    if t in (ElementType.NOTE, ElementType.BONEYARD):
        return _hidden(e)
    if t is ElementType.SECTION:
        return "#" * max(1, e.depth) + " " + text
    if t is ElementType.SYNOPSIS:
        return "= " + text
    # Action (and stray dialogue/parentheticals, written as action).
    lines = text.split("\n")
    if e.forced or _needs_bang(lines):
        lines[0] = "!" + lines[0]
    return "\n".join(("!" + ln if k and _line_needs_bang(ln) else ln) for k, ln in enumerate(lines))


def _needs_bang(lines: list[str]) -> bool:
    """Would a parser read this paragraph as something other than action?"""
    first = lines[0].strip()
    if not first:
        return True
    if first[0] in "!@~>=#.[/" or first.startswith("/*"):
        return True
    if len(lines) == 1 and (_HEADING_RE.match(first) or (_TRANSITION_RE.match(first) and first == lines[0].rstrip())):
        return True
    if len(lines) > 1:
        name = first.split("(", 1)[0].replace("^", "").strip()
        if name and name == name.upper() and _LETTER_RE.search(name):
            return True  # would read as a character cue
    return False


def _line_needs_bang(line: str) -> bool:
    s = line.lstrip()
    return bool(s) and (s[0] in "=#" and (s.startswith("#") or set(s) == {"="} and len(s) >= 3))


def _speech(part: list[Element]) -> list[str]:
    cue = part[0]
    name, _ = split_cue(cue.text)
    plain_ok = name == name.upper() and _LETTER_RE.search(name) and not _HEADING_RE.match(cue.text)
    line = ("" if plain_ok and not cue.forced else "@") + cue.text
    if cue.dual == "right":
        line += " ^"
    lines = [line]
    for e in part[1:]:
        if e.type is ElementType.PARENTHETICAL:
            lines.append(e.text)
        elif e.type is ElementType.LYRICS:
            lines.extend(f"~{ln}" for ln in e.text.split("\n"))
        else:
            for ln in e.text.split("\n"):
                lines.append(ln if ln else "  ")
    return lines
