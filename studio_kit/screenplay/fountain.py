"""Fountain 1.1 parser.

One pass over the lines with a one-line lookahead: fast enough for a 400-page script in a
fraction of a second, and every element remembers the line it came from so errors and
breakdown tags can point back to the source.

Boneyard (``/* */``, nesting allowed) and notes (``[[ ]]``) may span lines, even blank ones, so
they are cut out first and replaced by placeholder tokens; a line that holds only such tokens
becomes NOTE/BONEYARD elements, and inline ones are put back into the element text (printing
strips them with :func:`~studio_kit.screenplay.model.strip_notes`). That keeps round trips
lossless.
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path

from .errors import EmptyScriptError, EncodingError, ScreenplayError, ScriptTooLargeError, UnterminatedError
from .model import Element, ElementType, Screenplay, TitlePage

#: Files beyond this are refused with a clear message (a feature script is ~150 KB).
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

# Placeholder tokens for cut-out boneyard and notes. Control characters never survive decoding
# (see _clean_controls), so they cannot collide with script text.
_TOK_OPEN, _TOK_CLOSE = "\x01", "\x02"
_TOKEN_RE = re.compile("\x01(\\d+)\x02")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_HEADING_RE = re.compile(r"^(?:INT\.?/EXT|EXT\.?/INT|INT|EXT|EST|I\.?/E)[. ]", re.I)
_SCENE_NUMBER_RE = re.compile(r"\s*#([\w.\-]+)#\s*$")
_TRANSITION_RE = re.compile(r"^[^a-z]*TO:$")
_CENTERED_RE = re.compile(r"^>\s*(.*?)\s*<$")
_PAGE_BREAK_RE = re.compile(r"^={3,}$")
_TITLE_KEY_RE = re.compile(r"^([A-Za-z][A-Za-z0-9 _\-.'/]{0,40}?)\s*:(.*)$")
_KNOWN_TITLE_KEYS = frozenset(
    "title credit author authors source draft date date contact copyright notes revision "
    "episode series draft format".split()
) | {"draft date", "contact info", "written by"}
_LETTER_RE = re.compile(r"[^\W\d_]")
_DUAL_RE = re.compile(r"\s*\^\s*$")
_EXTENSIONS_RE = re.compile(r"(?:\s*\([^()]*\))*\s*\^?\s*$")


def read_fountain(path: str | Path, encoding: str = "utf-8", max_bytes: int = DEFAULT_MAX_BYTES) -> Screenplay:
    """Read and parse a Fountain file, with errors that name the file and the line."""
    p = Path(path)
    source = str(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise ScreenplayError("file not found; check the path", source) from None
    except OSError as exc:
        raise ScreenplayError(f"cannot read the file ({exc.strerror})", source) from None
    if p.is_dir():
        raise ScreenplayError("is a folder, not a screenplay file", source)
    if size > max_bytes:
        raise ScriptTooLargeError(
            f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit for a screenplay; "
            "split it or raise the limit (max_bytes / --max-mb)",
            source,
        )
    return parse_fountain(decode_script(p.read_bytes(), source, encoding), source=source)


def decode_script(data: bytes, source: str = "<memory>", encoding: str = "utf-8") -> str:
    """Bytes to text: refuse binary files, name the line of a bad byte, drop a UTF-8 BOM."""
    if not data.strip():
        raise EmptyScriptError("the file is empty; a screenplay needs at least one line of text", source)
    head = data[:8192]
    if b"\x00" in head or _looks_binary(head):
        kind = "a PDF" if data.startswith(b"%PDF") else ("a zip/docx/fdz archive" if data.startswith(b"PK") else "binary data")
        raise EncodingError(
            f"this is {kind}, not a Fountain text file; export the script as .fountain (or .fdx) and try again",
            source,
        )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise EncodingError(
            f"byte 0x{data[exc.start]:02X} at column {col} is not valid {encoding}; save the file as UTF-8 "
            "or give its encoding (e.g. --encoding cp1252)",
            source,
            line,
        ) from None
    except LookupError:
        raise EncodingError(f"unknown encoding {encoding!r}", source) from None
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise EncodingError("NUL byte in the text; the file is damaged or not a screenplay", source, line)
    return text


def _looks_binary(head: bytes) -> bool:
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > max(4, len(head) // 50)


def parse_fountain(text: str, source: str = "<memory>") -> Screenplay:
    """Parse Fountain text into a :class:`Screenplay`. Raises :class:`ScreenplayError` on bad input."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROL_RE.search(text):
        text = _CONTROL_RE.sub("", text)
    if not text.strip():
        raise EmptyScriptError("the file is empty; a screenplay needs at least one line of text", source)
    return _Parser(text, source).parse()


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.hidden: list[tuple[ElementType, str, str]] = []  # (type, content, original syntax)
        self.lines, self._line_shift = self._cut_hidden(text)
        self.elements: list[Element] = []

    # -- pass 1: boneyard and notes -------------------------------------------------------
    def _cut_hidden(self, text: str) -> tuple[list[str], list[tuple[int, int]]]:
        """Replace ``/* */`` and ``[[ ]]`` spans by tokens; track how output lines map to source lines."""
        if "/*" not in text and "[[" not in text:
            return text.split("\n"), []
        out: list[str] = []
        shifts: list[tuple[int, int]] = []  # (first output line index, source lines skipped before it)
        skipped = 0
        out_lines = 0
        pos = 0
        n = len(text)
        b = m = -2  # next "/*" and "[[" (-1: none left); found once and reused, so this stays linear
        while pos < n:
            if b != -1 and b < pos:
                b = text.find("/*", pos)
            if m != -1 and m < pos:
                m = text.find("[[", pos)
            if b < 0 and m < 0:
                out.append(text[pos:])
                break
            start = b if m < 0 or (0 <= b < m) else m
            chunk = text[pos:start]
            out.append(chunk)
            out_lines += chunk.count("\n")
            if start == b:
                end = self._boneyard_end(text, start)
                content = text[start + 2 : end - 2]
                kind = ElementType.BONEYARD
            else:
                close = text.find("]]", start + 2)
                if close < 0:
                    raise UnterminatedError(
                        "note '[[' is never closed; add ']]' where the note ends", self.source, _line_at(text, start)
                    )
                end = close + 2
                content = text[start + 2 : close]
                kind = ElementType.NOTE
            self.hidden.append((kind, content, text[start:end]))
            out.append(f"{_TOK_OPEN}{len(self.hidden) - 1}{_TOK_CLOSE}")
            inner = text.count("\n", start, end)
            if inner:
                skipped += inner
                shifts.append((out_lines + 1, skipped))
            pos = end
        return "".join(out).split("\n"), shifts

    def _boneyard_end(self, text: str, start: int) -> int:
        depth, pos = 1, start + 2
        while depth:
            o = text.find("/*", pos)
            c = text.find("*/", pos)
            if c < 0:
                raise UnterminatedError(
                    "boneyard '/*' is never closed, so everything after it would vanish; add '*/' where it ends",
                    self.source,
                    _line_at(text, start),
                )
            if 0 <= o < c:
                depth, pos = depth + 1, o + 2
            else:
                depth, pos = depth - 1, c + 2
        return pos

    def src_line(self, i: int) -> int:
        """1-based source line of output line index ``i``."""
        if not self._line_shift:
            return i + 1
        k = bisect.bisect_right(self._line_shift, (i, 1 << 62)) - 1
        return i + 1 + (self._line_shift[k][1] if k >= 0 else 0)

    def restore(self, s: str) -> str:
        """Put inline notes and boneyard back into element text, as written."""
        if _TOK_OPEN not in s:
            return s
        return _TOKEN_RE.sub(lambda m: self.hidden[int(m.group(1))][2], s)

    def hidden_only(self, line: str) -> list[int] | None:
        """Token ids if the line holds only notes/boneyard (and white space), else None."""
        if _TOK_OPEN not in line:
            return None
        ids = [int(x) for x in _TOKEN_RE.findall(line)]
        return ids if not _TOKEN_RE.sub("", line).strip() else None

    def emit_hidden(self, ids: list[int], i: int) -> None:
        for k in ids:
            kind, content, _ = self.hidden[k]
            self.elements.append(Element(kind, content.strip() if kind is ElementType.NOTE else content, self.src_line(i)))

    # -- pass 2: title page and body --------------------------------------------------------
    def parse(self) -> Screenplay:
        title, i = self.parse_title_page()
        self.parse_body(i)
        return Screenplay(title_page=title, elements=self.elements, source=self.source)

    def parse_title_page(self) -> tuple[TitlePage, int]:
        lines = self.lines
        i, n = 0, len(lines)
        while i < n:
            if not lines[i].strip():
                i += 1
            elif (ids := self.hidden_only(lines[i])) is not None:
                self.emit_hidden(ids, i)
                i += 1
            else:
                break
        if i >= n:
            return TitlePage(), i
        m = _TITLE_KEY_RE.match(lines[i])
        if not m:
            return TitlePage(), i
        key = m.group(1).strip()
        nxt = lines[i + 1] if i + 1 < n else ""
        continued = nxt[:1] == "\t" or nxt[:3] == "   "
        if key.lower() not in _KNOWN_TITLE_KEYS and not continued:
            # An unknown first key makes a title page only with another key beside it, so that
            # "FADE IN:" or "FADE IN: a dark room." opening a script stays script.
            block = lines[i + 1 : next((k for k in range(i + 1, n) if not lines[k].strip()), n)]
            if not any(_TITLE_KEY_RE.match(ln) for ln in block):
                return TitlePage(), i
        if _HEADING_RE.match(lines[i]) or _TRANSITION_RE.match(lines[i].strip()):
            return TitlePage(), i
        entries: list[list[str]] = []
        while i < n and lines[i].strip():
            line = lines[i]
            if (ids := self.hidden_only(line)) is not None:
                self.emit_hidden(ids, i)
            elif (line[:1] == "\t" or line[:3] == "   " or not (m := _TITLE_KEY_RE.match(line))) and entries:
                entries[-1][1] += ("\n" if entries[-1][1] else "") + self.restore(line.strip())
            elif m:
                entries.append([m.group(1).strip(), self.restore(m.group(2).strip())])
            else:  # continuation with no key yet cannot happen: first line matched
                entries.append([line.strip(), ""])
            i += 1
        return TitlePage([(k, v) for k, v in entries]), i

    def parse_body(self, i: int) -> None:
        lines, n, out = self.lines, len(self.lines), self.elements
        after_blank = True
        while i < n:
            raw = lines[i]
            s = raw.strip()
            if not s:
                after_blank = True
                i += 1
                continue
            ids = self.hidden_only(raw)
            if ids is not None:
                self.emit_hidden(ids, i)
                i += 1
                continue
            line_no = self.src_line(i)
            nxt_blank = i + 1 >= n or not lines[i + 1].strip()
            c = s[0]

            # Elements recognised anywhere a paragraph starts (and which end by themselves).
            if c == "=" and _PAGE_BREAK_RE.match(s):
                out.append(Element(ElementType.PAGE_BREAK, "", line_no))
                after_blank, i = True, i + 1
                continue
            if c == "#":
                depth = len(s) - len(s.lstrip("#"))
                out.append(Element(ElementType.SECTION, self.restore(s[depth:].strip()), line_no, depth=depth))
                after_blank, i = True, i + 1
                continue
            if c == "=":
                out.append(Element(ElementType.SYNOPSIS, self.restore(s[1:].strip()), line_no))
                after_blank, i = True, i + 1
                continue
            if c == ">":
                i = self.centered_or_transition(i)
                after_blank = False
                continue
            if c == "~":
                i = self.lyrics(i, ElementType.LYRICS)
                after_blank = False
                continue
            if not after_blank or c == "!":
                i = self.action(i)
                after_blank = False
                continue

            # After a blank line: heading, transition, cue or action.
            if c == "." and len(s) > 1 and s[1] != "." and not s[1].isspace():
                self.heading(s[1:], line_no, forced=True)
                i += 1
                continue
            bare = _TOKEN_RE.sub("", s) if _TOK_OPEN in s else s
            if nxt_blank and _HEADING_RE.match(bare):
                self.heading(s, line_no, forced=False)
                i += 1
                continue
            if nxt_blank and raw == raw.rstrip() and _TRANSITION_RE.match(bare):
                out.append(Element(ElementType.TRANSITION, self.restore(s), line_no))
                i += 1
                continue
            if not nxt_blank and (c == "@" or (_is_cue(bare) and not _HEADING_RE.match(bare))):
                i = self.speech(i)
                after_blank = False
                continue
            i = self.action(i)
            after_blank = False

    def heading(self, text: str, line_no: int, forced: bool) -> None:
        number = None
        m = _SCENE_NUMBER_RE.search(text)
        if m:
            number = m.group(1)
            text = text[: m.start()]
        self.elements.append(
            Element(ElementType.SCENE_HEADING, self.restore(text.strip()), line_no, scene_number=number, forced=forced)
        )

    def centered_or_transition(self, i: int) -> int:
        s = self.lines[i].strip()
        m = _CENTERED_RE.match(s)
        if not m:
            self.elements.append(Element(ElementType.TRANSITION, self.restore(s[1:].strip()), self.src_line(i), forced=True))
            return i + 1
        parts = [m.group(1)]
        line_no = self.src_line(i)
        i += 1
        while i < len(self.lines) and (m := _CENTERED_RE.match(self.lines[i].strip())):
            parts.append(m.group(1))
            i += 1
        self.elements.append(Element(ElementType.CENTERED, self.restore("\n".join(parts)), line_no))
        return i

    def lyrics(self, i: int, kind: ElementType, dual: str | None = None) -> int:
        parts, line_no = [], self.src_line(i)
        while i < len(self.lines) and self.lines[i].lstrip()[:1] == "~":
            parts.append(self.lines[i].lstrip()[1:].strip())
            i += 1
        self.elements.append(Element(kind, self.restore("\n".join(parts)), line_no, dual=dual, forced=True))
        return i

    def action(self, i: int) -> int:
        """An action paragraph: up to the next blank line; leading white space is kept."""
        lines, n = self.lines, len(self.lines)
        line_no = self.src_line(i)
        parts: list[str] = []
        forced = False
        while i < n:
            raw = lines[i]
            if not raw.strip():
                break
            if parts:
                s0 = raw.lstrip()[:1]
                if s0 in "=#" and (_PAGE_BREAK_RE.match(raw.strip()) or s0 == "#"):
                    break  # a section or page break ends the paragraph
            text = raw.rstrip()
            if text.lstrip().startswith("!"):
                stripped = text.lstrip()
                text = text[: len(text) - len(stripped)] + stripped[1:]
                if not parts:
                    forced = True
            if "\t" in text:
                text = text.expandtabs(4)
            parts.append(text)
            i += 1
        self.elements.append(Element(ElementType.ACTION, self.restore("\n".join(parts)), line_no, forced=forced))
        return i

    def speech(self, i: int) -> int:
        """A cue and its parentheticals, dialogue and lyrics, up to the next empty line."""
        lines, n, out = self.lines, len(self.lines), self.elements
        s = lines[i].strip()
        forced = s.startswith("@")
        if forced:
            s = s[1:].lstrip()
        dual = None
        if _DUAL_RE.search(s):
            s = _DUAL_RE.sub("", s)
            if self._mark_left_speech():
                dual = "right"
        out.append(Element(ElementType.CHARACTER, self.restore(s), self.src_line(i), dual=dual, forced=forced))
        i += 1
        dialogue: list[str] = []
        d_line = 0

        def flush() -> None:
            if dialogue:
                out.append(Element(ElementType.DIALOGUE, self.restore("\n".join(dialogue)), d_line, dual=dual))
                dialogue.clear()

        while i < n:
            raw = lines[i]
            s = raw.strip()
            if not s:
                if raw and len(raw) >= 2 and i + 1 < n and lines[i + 1].strip():
                    # A line of (at least two) spaces keeps a blank line inside the speech.
                    if not dialogue:
                        d_line = self.src_line(i)
                    dialogue.append("")
                    i += 1
                    continue
                break
            if s[0] == "(" and s[-1] == ")":
                flush()
                out.append(Element(ElementType.PARENTHETICAL, self.restore(s), self.src_line(i), dual=dual))
                i += 1
            elif s[0] == "~":
                flush()
                i = self.lyrics(i, ElementType.LYRICS, dual)
            else:
                if not dialogue:
                    d_line = self.src_line(i)
                dialogue.append(s)
                i += 1
        flush()
        return i

    def _mark_left_speech(self) -> bool:
        """Mark the speech just before a ``^`` cue as the left side of dual dialogue."""
        out = self.elements
        end = len(out)
        while end > 0 and out[end - 1].type in (ElementType.NOTE, ElementType.BONEYARD):
            end -= 1  # a note between the two speeches does not break them apart
        k = end - 1
        while k >= 0 and out[k].type in (ElementType.DIALOGUE, ElementType.PARENTHETICAL, ElementType.LYRICS):
            k -= 1
        if k < 0 or out[k].type is not ElementType.CHARACTER or k == end - 1:
            return False
        for e in out[k:end]:
            e.dual = "left"
        return True


def _is_cue(s: str) -> bool:
    """An upper-case name (extensions may be lower case since 1.1) with at least one letter."""
    name = s.split("(", 1)[0]
    name = _DUAL_RE.sub("", name).strip()
    if not name or not _LETTER_RE.search(name):
        return False
    if name != name.upper():
        return False
    # After the name only parenthesised extensions may follow: "BOB (V.O.) (CONT'D)".
    return _EXTENSIONS_RE.match(s, len(s.split("(", 1)[0])) is not None


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1
