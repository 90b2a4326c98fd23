"""Write a :class:`Screenplay` as Fountain 1.1 that our parser reads back to the same elements.

The writer forces an element (``.``, ``@``, ``!``, ``>``, ``~``) only where the plain line would be
read as something else, so scripts stay as clean as a writer would type them. Every decision is
made with the parser's own patterns (imported from :mod:`.fountain`), so the two cannot drift.

What plain Fountain cannot say, and is therefore written as close as it gets:

* an action paragraph holding an empty line becomes two action paragraphs;
* a dialogue line that is wrapped in parentheses, or starts with ``~``, reads back as a
  parenthetical or lyrics (Fountain has no escape for those);
* a parenthetical not wrapped in parentheses is wrapped, so it stays a parenthetical;
* a dialogue, parenthetical or lyric with no cue before it, or a cue with nothing after it,
  reads back as action (Fountain speeches need a cue and at least one line);
* an unknown title key with an empty value cannot open the title page.
"""

from __future__ import annotations

from .fountain import _HEADING_RE, _PAGE_BREAK_RE, _TITLE_KEY_RE, _TRANSITION_RE, _is_cue
from .model import Element, ElementType, Screenplay, TitlePage, continues_speech, strip_notes

__all__ = ["to_fountain"]

_T = ElementType
_SPEECH_TAIL = frozenset({_T.PARENTHETICAL, _T.DIALOGUE, _T.LYRICS})
_HIDDEN = frozenset({_T.NOTE, _T.BONEYARD})


def to_fountain(screenplay: Screenplay) -> str:
    """The screenplay as Fountain text: title page, then one block per paragraph, blank-separated."""
    blocks: list[str] = []
    if screenplay.title_page:
        blocks.append(_title_page(screenplay.title_page))
    first_body = not screenplay.title_page  # the first visible block could pass for a title page
    els = screenplay.elements
    i, n = 0, len(els)
    while i < n:
        e = els[i]
        if e.type is _T.CHARACTER:
            j = i + 1
            while j < n and _in_speech(els[j - 1], els[j], e):
                j += 1
            blocks.append(_speech(els[i:j], first_body))
            i = j
        else:
            block = _element(e, first_body)
            if block is not None:
                blocks.append(block)
            i += 1
        if e.type not in _HIDDEN:
            first_body = False
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _in_speech(prev: Element, e: Element, cue: Element) -> bool:
    """Does ``e`` belong to the speech opened by ``cue``?

    Parentheticals and dialogue always do (alone they would read back as action); a lyric stands
    on its own when the source had a blank line before it (the elements read back the same either
    way, the text just stays as written) or when it follows another lyric.
    """
    if e.type not in _SPEECH_TAIL or e.dual != cue.dual:
        return False
    if e.type is not _T.LYRICS or prev is cue:
        return True  # a cue needs at least one line after it
    if prev.type is _T.LYRICS:
        return False  # adjacent "~" lines would merge into one lyric
    return continues_speech(prev, e)


# -- title page ---------------------------------------------------------------------------------


def _title_page(tp: TitlePage) -> str:
    lines: list[str] = []
    for key, value in tp.entries:
        parts = value.split("\n")
        if len(parts) == 1:
            lines.append(f"{key}: {value}".rstrip())
        else:
            lines.append(f"{key}:")
            lines.extend("   " + p for p in parts)
    return "\n".join(lines)


# -- how the parser would read a line ----------------------------------------------------------


def _read_as(line: str, alone: bool) -> str:
    """What the parser makes of ``line`` opening a paragraph after a blank line.

    ``alone`` says whether a blank line follows it (headings and transitions need one, cues
    need a next line). Mirrors the dispatch order of ``fountain._Parser.parse_body``.
    """
    s = line.strip()
    if not s:
        return "blank"
    bare = strip_notes(s).strip() if ("[[" in s or "/*" in s) else s
    if not bare:
        return "hidden"
    c = s[0]
    if c == "=" and _PAGE_BREAK_RE.match(s):
        return "page_break"
    if c == "#":
        return "section"
    if c == "=":
        return "synopsis"
    if c == ">":
        return "centered_or_transition"
    if c == "~":
        return "lyrics"
    if c == "!":
        return "forced_action"
    if c == "." and len(s) > 1 and s[1] != "." and not s[1].isspace():
        return "forced_heading"
    if alone and _HEADING_RE.match(bare):
        return "heading"
    if alone and _TRANSITION_RE.match(bare):
        return "transition"
    if not alone and (c == "@" or (_is_cue(bare) and not _HEADING_RE.match(bare))):
        return "cue"
    return "action"


def _looks_like_title_key(line: str) -> bool:
    return _TITLE_KEY_RE.match(line) is not None


# -- elements -----------------------------------------------------------------------------------


def _element(e: Element, first_body: bool) -> str | None:
    t, text = e.type, e.text
    if t is _T.SCENE_HEADING:
        line = text + (f" #{e.scene_number}#" if e.scene_number else "")
        return line if _read_as(line, alone=True) == "heading" else "." + line
    if t is _T.ACTION:
        return _action(text, first_body) if text else None
    if t is _T.TRANSITION:
        natural = _read_as(text, alone=True) == "transition" and text == text.strip()
        return text if natural else "> " + text
    if t is _T.CENTERED:
        return "\n".join(f"> {line} <" for line in text.split("\n"))
    if t is _T.LYRICS:
        return _lyrics(text)
    if t is _T.PAGE_BREAK:
        return "==="
    if t is _T.SECTION:
        return "#" * max(e.depth, 1) + " " + text
    if t is _T.SYNOPSIS:
        return "= " + text
    if t is _T.NOTE:
        return f"[[{text}]]"
    if t is _T.BONEYARD:
        return f"/*{text}*/"
    if t is _T.PARENTHETICAL:
        return _parenthetical(text)
    # A DIALOGUE with no cue before it: Fountain can only keep its words, as action.
    return _action(text, first_body) if text else None


def _action(text: str, first_body: bool) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for k, line in enumerate(lines):
        if k == 0:
            kind = _read_as(line, alone=len(lines) == 1)
            force = kind != "action" or (first_body and _looks_like_title_key(line))
        else:
            s = line.lstrip()
            force = s.startswith(("!", "#")) or bool(_PAGE_BREAK_RE.match(s))
        out.append("!" + line if force else line)
    return "\n".join(out)


def _lyrics(text: str) -> str:
    return "\n".join("~" + line for line in text.split("\n"))


def _parenthetical(text: str) -> str:
    s = text.strip()
    return s if s.startswith("(") and s.endswith(")") else f"({s})"


def _speech(els: list[Element], first_body: bool) -> str:
    cue = els[0]
    line = cue.text + (" ^" if cue.dual == "right" else "")
    natural = _read_as(line, alone=False) == "cue" and not line.startswith("@")
    if not natural or (first_body and _looks_like_title_key(line)):
        line = "@" + line
    out = [line]
    for e in els[1:]:
        if e.type is _T.PARENTHETICAL:
            out.append(_parenthetical(e.text))
        elif e.type is _T.LYRICS:
            out.append(_lyrics(e.text))
        else:
            out.extend(ln.strip() or "  " for ln in e.text.split("\n"))
    return "\n".join(out)
