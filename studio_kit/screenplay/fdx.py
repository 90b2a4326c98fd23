"""Final Draft ``.fdx`` import and export.

Mapping (Final Draft paragraph ``Type`` <-> element):

* ``Scene Heading`` (``Number`` = scene number), ``Action``, ``Character``, ``Parenthetical``,
  ``Dialogue``, ``Transition`` map one to one; ``Lyrics`` (and Final Draft's ``Singing``) <-> LYRICS.
* ``Action`` or ``General`` with ``Alignment="Center"`` <-> CENTERED.
* ``Shot``, ``General``, ``Cast List`` and unknown types import as ACTION: a shot is a camera
  direction inside a scene, and reading it as a heading would split scenes on the stripboard.
* ``New Act`` imports as a SECTION (depth 1, the act's structure) followed by a CENTERED card
  with the same text (Final Draft prints it); ``End of Act`` imports as CENTERED.
* ``<DualDialogue>`` (inside a ``<Paragraph>`` or directly in ``<Content>``): the speech up to
  the second ``Character`` is ``dual="left"``, the rest ``dual="right"``.
* PAGE_BREAK <-> ``StartsNewPage="Yes"`` on the next paragraph (an empty Action paragraph
  carries it when nothing printable follows or a note sits between break and paragraph).
* Text runs: ``<Text Style="Bold+Italic+Underline">`` <-> ``**``, ``*``, ``***``, ``_`` emphasis.
  The runs are written only when turning them back into markers gives the element text back
  exactly; otherwise the text goes out as one plain run with its markers visible.
* A scene's ``SceneProperties/Summary`` (Final Draft's index-card summary) imports as SYNOPSIS.

Notes, sections, synopses and boneyard are exported as Final Draft script notes
(``<ScriptNotes><ScriptNote>`` at the end of the document), so Final Draft shows them as notes
and never prints them. Each carries ``StudioKitType`` (note/section/synopsis/boneyard),
``StudioKitAfter`` (the index of the top-level paragraph it follows, -1 for the start) and, for
sections, ``StudioKitDepth``; ``Range`` points Final Draft at the same place. Notes written by
Final Draft itself (no StudioKit attributes) import as NOTE elements placed after the paragraph
their ``Range`` starts in (or after their paragraph for the older in-paragraph notes).

The title page is laid out as Final Draft shows one (title, credit, author and source centred a
third of the way down, draft date and contact at the bottom). All entries, unknown keys
included, are also stored in order in a root ``<StudioKit>`` element that Final Draft ignores;
import uses it only when the visible title page still reads exactly as exported (so an edit
made in Final Draft wins), and otherwise recovers Title, Credit, Author, Source, Draft date,
Contact, Copyright and Notes from the layout. ``<StudioKit>`` also tells import that the file is
ours: texts are taken as written, not cleaned up or upper-cased as for Final Draft's files
(whose headings, cues and transitions are often typed in lower case and shown in capitals).

Parsing goes through defusedxml: entity declarations (XML bombs) and external entities are
refused with a :class:`ScreenplayError`, as are malformed XML and XML that is not Final Draft.
"""

from __future__ import annotations

import bisect
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from ..common.files import atomic_write
from .emphasis import scan_emphasis
from .errors import EmptyScriptError, EncodingError, ScreenplayError, ScriptTooLargeError
from .fountain import DEFAULT_MAX_BYTES
from .model import NON_PRINTING, SPEECH, Element, ElementType, Screenplay, TitlePage

__all__ = ["read_fdx", "to_fdx", "write_fdx"]

_T = ElementType
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="no" ?>'
_OURS = "StudioKit"

_TYPE_TO_FDX = {
    _T.SCENE_HEADING: "Scene Heading",
    _T.ACTION: "Action",
    _T.CHARACTER: "Character",
    _T.PARENTHETICAL: "Parenthetical",
    _T.DIALOGUE: "Dialogue",
    _T.TRANSITION: "Transition",
    _T.LYRICS: "Lyrics",
}
_FDX_TO_TYPE = {
    "scene heading": _T.SCENE_HEADING,
    "action": _T.ACTION,
    "character": _T.CHARACTER,
    "parenthetical": _T.PARENTHETICAL,
    "dialogue": _T.DIALOGUE,
    "transition": _T.TRANSITION,
    "lyrics": _T.LYRICS,
    "singing": _T.LYRICS,
}
_NOTE_LABEL = {_T.NOTE: "Note", _T.SECTION: "Section", _T.SYNOPSIS: "Synopsis", _T.BONEYARD: "Boneyard"}
#: Types Final Draft's default template shows in capitals whatever was typed.
_DEFAULT_CAPS = frozenset({"scene heading", "character", "transition", "shot"})


# -- emphasis <-> styled runs --------------------------------------------------------------------

Run = tuple[str, tuple[str, ...]]  # (text, styles in the order they were opened)

_STYLE_MARK = {"Bold": "**", "Italic": "*", "Underline": "_"}
_OPEN_ORDER = ("Underline", "Bold", "Italic")


_ESCAPE_RE = re.compile(r"[*_\\]")


def _write_markers(runs: list[Run], escape: bool) -> str:
    out: list[str] = []
    stack: list[str] = []
    for text, styles in runs:
        if not text:
            continue
        want = [s for s in dict.fromkeys(styles) if s in _STYLE_MARK]
        k = next((j for j, s in enumerate(stack) if s not in want), len(stack))
        reopen = [s for s in stack[k:] if s in want]
        for s in reversed(stack[k:]):
            out.append(_STYLE_MARK[s])
        del stack[k:]
        for s in reopen + [s for s in want if s not in stack and s not in reopen]:
            out.append(_STYLE_MARK[s])
            stack.append(s)
        out.append(_ESCAPE_RE.sub(r"\\\g<0>", text) if escape else text)
    for s in reversed(stack):
        out.append(_STYLE_MARK[s])
    return "".join(out)


def _canonical(runs: list[Run]) -> list[tuple[str, frozenset[str]]]:
    """Runs compared by what they show: adjacent runs of the same styles merged, empties dropped."""
    out: list[tuple[str, frozenset[str]]] = []
    for text, styles in runs:
        key = frozenset(s for s in styles if s in _STYLE_MARK)
        if not text:
            continue
        if out and out[-1][1] == key:
            out[-1] = (out[-1][0] + text, key)
        else:
            out.append((text, key))
    return out


def _markup(runs: list[Run]) -> str:
    """Styled runs to Fountain text: styles close innermost first and reopen as needed.

    Literal ``*``, ``_`` and ``\\`` are left alone when the text reads back as the same runs, and
    escaped (``\\*``) otherwise, so Final Draft's "*not italic*" stays literal. The result always
    reads back to the same words.
    """
    plain = _write_markers(runs, escape=False)
    if not any(c in plain for c in "*_\\"):
        return plain
    want = _canonical(runs)
    if _canonical(scan_emphasis(plain)) == want:
        return plain
    escaped = _write_markers(runs, escape=True)
    if _canonical(scan_emphasis(escaped)) == want:
        return escaped
    # Styles that touch so that their markers run together ("**a***b*") cannot be written
    # unambiguously; keep the words exactly and drop the styling.
    return _write_markers([("".join(t for t, _ in runs), ())], escape=True)


def _styled(text: str) -> list[Run] | None:
    """Runs for export, or None when the runs would not give ``text`` back exactly."""
    if "*" not in text and "_" not in text and "\\" not in text:
        return [(text, ())]
    runs = scan_emphasis(text)
    return runs if _markup(runs) == text else None


# -- export ----------------------------------------------------------------------------------------

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(s: str) -> str:
    """Text XML 1.0 can carry (control characters dropped; CR would be normalised anyway)."""
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    return _XML_BAD.sub("", s)


def _add_text(p: ET.Element, text: str) -> None:
    """Text runs for ``text``; unusual marker nesting goes out verbatim, marked ``StudioKitRaw``."""
    runs = _styled(text)
    if runs is None:
        p.set("StudioKitRaw", "Yes")
        runs = [(text, ())]
    for run, styles in runs:
        t = ET.SubElement(p, "Text")
        if styles:
            t.set("Style", "+".join(styles))
        t.text = _clean(run)


def to_fdx(screenplay: Screenplay) -> str:
    """The screenplay as a Final Draft XML document (a ``str``; write it as UTF-8)."""
    root = ET.Element("FinalDraft", DocumentType="Script", Template="No", Version="5")
    content = ET.SubElement(root, "Content")
    top: list[ET.Element] = []
    notes: list[tuple[int, Element]] = []
    pending_break = False

    def add(p: ET.Element) -> None:
        nonlocal pending_break
        if pending_break:
            p.set("StartsNewPage", "Yes")
            pending_break = False
        content.append(p)
        top.append(p)

    def carrier() -> None:
        p = ET.Element("Paragraph", Type="Action")
        ET.SubElement(p, "Text")
        add(p)

    els = screenplay.elements
    i, n = 0, len(els)
    while i < n:
        e = els[i]
        if e.type is _T.PAGE_BREAK:
            if pending_break:
                carrier()
            pending_break = True
            i += 1
            continue
        if e.type in NON_PRINTING:
            if pending_break:
                carrier()
            notes.append((len(top) - 1, e))
            i += 1
            continue
        if e.type is _T.CHARACTER and e.dual == "left":
            mid = _speech_end(els, i)
            right = mid
            while right < n and els[right].type in NON_PRINTING:
                right += 1
            if right < n and els[right].type is _T.CHARACTER and els[right].dual == "right":
                end = _speech_end(els, right)
                wrapper = ET.Element("Paragraph")
                dual = ET.SubElement(wrapper, "DualDialogue")
                for d in els[i:mid] + els[right:end]:
                    dual.append(_paragraph(d))
                add(wrapper)
                # A note written between the two speeches cannot sit inside Final Draft's dual
                # block; it is anchored just after it.
                notes.extend((len(top) - 1, d) for d in els[mid:right])
                i = end
                continue
        add(_paragraph(e))
        i += 1
    if pending_break:
        carrier()

    if screenplay.title_page:
        _export_title_page(root, screenplay.title_page)
    if notes:
        _export_notes(root, top, notes)
    ours = ET.SubElement(root, _OURS, Version="1")
    for key, value in screenplay.title_page.entries:
        ET.SubElement(ours, "TitleEntry", Key=_clean(key)).text = _clean(value)
    ET.indent(root, space="  ")
    return _XML_DECL + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def _speech_end(els: list[Element], i: int) -> int:
    """Index just past the speech whose cue is ``els[i]`` (same dual side)."""
    side = els[i].dual
    j = i + 1
    while j < len(els) and els[j].type in SPEECH and els[j].type is not _T.CHARACTER and els[j].dual == side:
        j += 1
    return j


def _paragraph(e: Element) -> ET.Element:
    if e.type is _T.CENTERED:
        p = ET.Element("Paragraph", Type="Action", Alignment="Center")
    else:
        p = ET.Element("Paragraph", Type=_TYPE_TO_FDX.get(e.type, "Action"))
    if e.type is _T.SCENE_HEADING and e.scene_number:
        p.set("Number", _clean(e.scene_number))
    _add_text(p, e.text)
    return p


def _paragraph_length(p: ET.Element) -> int:
    """Characters Final Draft counts for a top-level paragraph (an embedded block counts 2)."""
    total = 0
    for child in p:
        if child.tag == "Text":
            total += len(child.text or "")
        elif child.tag == "LineBreak":
            total += 1
        elif child.tag in ("DualDialogue", "OmittedScene"):
            total += 2
    return total


def _starts(top: list[ET.Element]) -> list[int]:
    starts, pos = [], 0
    for p in top:
        starts.append(pos)
        pos += _paragraph_length(p) + 1
    return starts


def _export_notes(root: ET.Element, top: list[ET.Element], notes: list[tuple[int, Element]]) -> None:
    starts = _starts(top)
    block = ET.SubElement(root, "ScriptNotes")
    for k, (after, e) in enumerate(notes, start=1):
        at = starts[after] + _paragraph_length(top[after]) if after >= 0 else 0
        note = ET.SubElement(block, "ScriptNote", ID=str(k), Range=f"{at},{at}", Name=_NOTE_LABEL[e.type])
        note.set("StudioKitType", e.type.value)
        note.set("StudioKitAfter", str(after))
        if e.type is _T.SECTION:
            note.set("StudioKitDepth", str(e.depth))
        for line in e.text.split("\n"):
            ET.SubElement(ET.SubElement(note, "Paragraph"), "Text").text = _clean(line)


# Title page keys by where a title page prints them (lower case); other keys are not printed.
_TP_CENTER = (("title",), ("credit",), ("author", "authors", "written by"), ("source",))
_TP_RIGHT = ("draft date", "date", "revision")
_TP_LEFT = ("contact", "contact info", "copyright", "notes")
_TP_LINES = 55  # lines on a Letter page at 6 lines per inch inside 1" margins


def _title_layout(tp: TitlePage) -> list[tuple[str, str]]:
    """(alignment, text) per title-page line, blank lines included, as Final Draft lays it out."""
    def values(keys: tuple[str, ...]) -> list[str]:
        return [v for k, v in tp.entries if k.lower() in keys and v]

    top: list[tuple[str, str]] = []
    for n, keys in enumerate(_TP_CENTER):
        for v in values(keys):
            if top:
                top += [("Center", "")] * (2 if n == 3 else 1)
            top += [("Center", line) for line in v.split("\n")]
    bottom = [("Right", line) for v in values(_TP_RIGHT) for line in v.split("\n")]
    left = [("Left", line) for v in values(_TP_LEFT) for line in v.split("\n")]
    if bottom and left:
        bottom.append(("Left", ""))
    bottom += left
    lines: list[tuple[str, str]] = [("Center", "")] * 18 + top
    if bottom:
        lines += [("Left", "")] * max(2, _TP_LINES - len(lines) - len(bottom)) + bottom
    return lines


def _export_title_page(root: ET.Element, tp: TitlePage) -> None:
    content = ET.SubElement(ET.SubElement(root, "TitlePage"), "Content")
    for align, text in _title_layout(tp):
        p = ET.SubElement(content, "Paragraph", Alignment=align, Type="Title Page")
        _add_text(p, text)


def write_fdx(screenplay: Screenplay, path: str | Path) -> Path:
    """Write ``.fdx`` atomically (temporary file, then rename), so no half-written file is left."""
    return atomic_write(path, to_fdx(screenplay))


# -- import ----------------------------------------------------------------------------------------


class _LineTreeBuilder(ET.TreeBuilder):
    """A tree builder that remembers the source line of every element (for error messages)."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[int, int] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        el = super().start(tag, attrs)
        if self.parser is not None:
            self.lines[id(el)] = self.parser.parser.CurrentLineNumber
        return el


def read_fdx(
    path_or_bytes: str | Path | bytes, source: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Screenplay:
    """Read a Final Draft ``.fdx`` file: a path, the file's bytes, or its XML as a ``str``.

    Raises :class:`ScreenplayError` (naming the file and what to do) for missing, empty,
    oversized, unsafe, malformed or non-Final-Draft input.
    """
    data, src = _load(path_or_bytes, source, max_bytes)
    body = data.lstrip("\ufeff \t\r\n") if isinstance(data, str) else data.lstrip(b"\xef\xbb\xbf \t\r\n")
    head = body[:2].encode("utf-8") if isinstance(body, str) else body[:2]
    if not head:
        raise EmptyScriptError("the file is empty; a Final Draft .fdx file is XML starting with <?xml", src)
    if head.startswith(b"PK"):
        raise EncodingError(
            "this is a zip archive (a compressed .fdz or a .docx?), not a Final Draft .fdx file; "
            "save it from Final Draft as .fdx",
            src,
        )
    if not head.startswith(b"<"):
        raise ScreenplayError(
            "not XML, so not a Final Draft .fdx file; if it is a Fountain script, name it .fountain "
            "(or read it with read_fountain)",
            src,
        )
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(target=builder)
    builder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        raise ScreenplayError(
            f"refused unsafe XML ({type(exc).__name__}): the file declares entities or external "
            "references, which Final Draft files never do (it may be an XML bomb); re-export it "
            "from Final Draft",
            src,
        ) from None
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise ScreenplayError(
            f"not well-formed XML ({exc.msg if hasattr(exc, 'msg') else exc}); the file is damaged "
            "or cut short: re-save it from Final Draft",
            src,
            line,
        ) from None
    if root.tag != "FinalDraft":
        raise ScreenplayError(
            f"not a Final Draft file: the XML root is <{root.tag}>, expected <FinalDraft>; "
            "export the script from Final Draft as .fdx",
            src,
        )
    return _Importer(root, src, builder.lines).run()


def _load(path_or_bytes: str | Path | bytes, source: str | None, max_bytes: int) -> tuple[bytes | str, str]:
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        data = bytes(path_or_bytes)
        src = source or "<fdx>"
    elif isinstance(path_or_bytes, str) and path_or_bytes.lstrip().startswith("<"):
        data = path_or_bytes  # XML text: expat reads it as is, whatever encoding it declares
        src = source or "<fdx>"
    else:
        p = Path(path_or_bytes)
        src = source or str(path_or_bytes)
        try:
            if p.is_dir():
                raise ScreenplayError("is a folder, not a Final Draft .fdx file", src)
            size = p.stat().st_size
            if size > max_bytes:
                raise ScriptTooLargeError(
                    f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit for a "
                    "screenplay; is it really a .fdx file?",
                    src,
                )
            data = p.read_bytes()
        except FileNotFoundError:
            raise ScreenplayError("file not found; check the path", src) from None
        except OSError as exc:
            raise ScreenplayError(f"cannot read the file ({exc.strerror})", src) from None
    if len(data) > max_bytes:
        raise ScriptTooLargeError(
            f"{len(data) / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit for a screenplay",
            src,
        )
    return data, src


_CREDIT_RE = re.compile(
    r"^((?:(?:an?\s+)?(?:original\s+)?(?:screenplay|story|teleplay|script|written|created|adapted)"
    r"(?:\s*(?:&|and)\s*(?:screenplay|story|teleplay))?\s+)?by)\b:?\s*(.*)$",
    re.I,
)
_SOURCE_RE = re.compile(r"\b(based on|adapted from|inspired by)\b", re.I)
_DATE_RE = re.compile(
    r"\b(draft|revis|rev\.|version)|\b\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|"
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d",
    re.I,
)
_COPYRIGHT_RE = re.compile(r"^(©|\(c\)|copyright\b)", re.I)


class _Importer:
    def __init__(self, root: ET.Element, source: str, lines: dict[int, int]) -> None:
        self.root = root
        self.source = source
        self.lines = lines
        self.ours_el = root.find(_OURS)
        self.ours = self.ours_el is not None
        self.caps = self._caps_types()

    def _caps_types(self) -> frozenset[str]:
        """Paragraph types whose text Final Draft shows in capitals (from ``ElementSettings``)."""
        settings = self.root.findall("ElementSettings")
        if not settings:
            return frozenset() if self.ours else _DEFAULT_CAPS
        caps = set()
        for es in settings:
            fs = es.find("FontSpec")
            if fs is not None and "allcaps" in (fs.get("Style") or "").lower().split("+"):
                caps.add((es.get("Type") or "").lower())
        return frozenset(caps)

    def line_of(self, el: ET.Element) -> int:
        return self.lines.get(id(el), 0)

    # -- body -------------------------------------------------------------------------------
    def run(self) -> Screenplay:
        content = self.root.find("Content")
        if content is None:
            raise EmptyScriptError(
                "the Final Draft file has no <Content> (no script body); open it in Final Draft and save it again",
                self.source,
            )
        top = [c for c in content if c.tag in ("Paragraph", "DualDialogue")]
        notes = self._notes(top)
        out: list[Element] = []
        out.extend(notes.pop(-1, []))
        for k, p in enumerate(top):
            out.extend(self._top_level(p, bool(out)))
            out.extend(notes.pop(k, []))
        for k in sorted(notes):
            out.extend(notes[k])
        return Screenplay(title_page=self._title_page(), elements=out, source=self.source)

    def _top_level(self, p: ET.Element, has_elements: bool) -> list[Element]:
        out: list[Element] = []
        if (p.get("StartsNewPage") or "").lower() == "yes" and (has_elements or self.ours):
            out.append(Element(_T.PAGE_BREAK, "", self.line_of(p)))
        dual = p if p.tag == "DualDialogue" else p.find("DualDialogue")
        if dual is not None:
            out.extend(self._dual(dual))
        else:
            out.extend(self._paragraph(p))
        for note in p.findall("ScriptNote"):  # notes kept inside the paragraph (older files)
            text = self._note_text(note).strip()
            if text:
                out.append(Element(_T.NOTE, text, self.line_of(note)))
        return out

    def _dual(self, block: ET.Element) -> list[Element]:
        els = [e for p in block.findall("Paragraph") for e in self._paragraph(p)]
        cues = [k for k, e in enumerate(els) if e.type is _T.CHARACTER]
        if len(cues) < 2:
            return els
        side = "left"
        for k, e in enumerate(els):
            if k == cues[1]:
                side = "right"
            if e.type in SPEECH:
                e.dual = side
        return els

    def _paragraph(self, p: ET.Element) -> list[Element]:
        ptype = (p.get("Type") or "").strip().lower()
        text = self._text(p, upper=ptype in self.caps)
        centered = (p.get("Alignment") or "").lower() == "center"
        line = self.line_of(p)
        if ptype in ("new act", "end of act"):
            text = text.strip()
            if not text:
                return []
            card = Element(_T.CENTERED, text, line)
            if ptype == "end of act":
                return [card]
            name = "".join(t.text or "" for t in p.findall("Text")).strip()  # a section name, unstyled
            return [Element(_T.SECTION, name.upper() if ptype in self.caps else name, line, depth=1), card]
        etype = _FDX_TO_TYPE.get(ptype, _T.ACTION)
        if etype is _T.ACTION and centered:
            etype = _T.CENTERED
        if not self.ours:
            text = _tidy(text, etype)
        if not text and (etype is _T.ACTION or not self.ours):
            return []  # Final Draft's empty paragraphs are blank lines, not elements
        number = p.get("Number") if etype is _T.SCENE_HEADING else None
        out = [Element(etype, text, line, scene_number=number or None)]
        if etype is _T.SCENE_HEADING:
            summary = p.find("SceneProperties/Summary")
            if summary is not None:
                synopsis = self._note_text(summary).strip()
                if synopsis:
                    out.append(Element(_T.SYNOPSIS, synopsis.replace("\n", " "), line))
        return out

    def _text(self, p: ET.Element, upper: bool = False) -> str:
        if (p.get("StudioKitRaw") or "").lower() == "yes":
            return "".join(t.text or "" for t in p.findall("Text"))
        runs: list[Run] = []
        for child in p:
            if child.tag == "Text":
                styles = tuple(s for s in (child.get("Style") or "").split("+") if s)
                text = child.text or ""
                if upper or "AllCaps" in styles:
                    text = text.upper()
                runs.append((text, styles))
            elif child.tag == "LineBreak":
                runs.append(("\n", ()))
        return _markup(runs).replace("\r\n", "\n").replace("\r", "\n")

    # -- notes ------------------------------------------------------------------------------
    def _note_text(self, note: ET.Element) -> str:
        return "\n".join(self._text(p) for p in note.findall("Paragraph"))

    def _notes(self, top: list[ET.Element]) -> dict[int, list[Element]]:
        """Script notes by the top-level paragraph they follow (-1: before the first)."""
        by_after: dict[int, list[Element]] = {}
        block = self.root.find("ScriptNotes")
        if block is None:
            return by_after
        starts = _starts(top)
        for note in block.findall("ScriptNote"):
            kind = note.get("StudioKitType")
            line = self.line_of(note)
            if kind in {t.value for t in _NOTE_LABEL}:
                text = "\n".join("".join(t.text or "" for t in p.findall("Text")) for p in note.findall("Paragraph"))
                depth = int(note.get("StudioKitDepth") or 0) if kind == _T.SECTION.value else 0
                after = _int(note.get("StudioKitAfter"), len(top))
                by_after.setdefault(after, []).append(Element(_T(kind), text, line, depth=depth))
                continue
            text = self._note_text(note).strip()
            if not text:
                continue
            at = _int((note.get("Range") or "").split(",")[0], -1)
            # After the paragraph the range starts in; unreadable ranges go to the end.
            after = bisect.bisect_right(starts, at) - 1 if at >= 0 and starts else len(top)
            by_after.setdefault(after, []).append(Element(_T.NOTE, text, line))
        return by_after

    # -- title page -------------------------------------------------------------------------
    def _title_page(self) -> TitlePage:
        visible: list[tuple[str, str]] = []
        tp = self.root.find("TitlePage/Content")
        if tp is not None:
            for p in tp.findall("Paragraph"):
                align = (p.get("Alignment") or "Left").capitalize()
                visible.append((align, "\n".join(ln.strip() for ln in self._text(p).split("\n")).strip()))
        if self.ours_el is not None:
            entries = [(e.get("Key") or "", e.text or "") for e in self.ours_el.findall("TitleEntry")]
            printed = [x for x in _title_layout(TitlePage(entries)) if x[1]] if entries else []
            if [x for x in visible if x[1]] == printed:
                return TitlePage(entries)
        return _guess_title_page(visible)


def _int(s: str | None, default: int) -> int:
    try:
        return int((s or "").strip())
    except ValueError:
        return default


def _tidy(text: str, etype: ElementType) -> str:
    """Final Draft text as a Fountain writer would type it: no stray edge spaces or blank edges."""
    lines = [ln.rstrip() for ln in text.split("\n")]
    if etype is not _T.ACTION:
        lines = [ln.lstrip() for ln in lines]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if etype in (_T.SCENE_HEADING, _T.CHARACTER, _T.TRANSITION):
        return " ".join(ln for ln in lines if ln)  # one-line elements in Fountain
    return "\n".join(lines)


def _guess_title_page(paras: list[tuple[str, str]]) -> TitlePage:
    """Title page entries from a Final Draft title page's layout (no keys are stored there).

    Blocks are runs of non-empty lines with the same alignment. The first centred block is the
    title; a "written by"-style line is the credit and what follows it the author; "based on" is
    the source; other centred text goes to Notes. Off-centre lines are the copyright when they
    start with ©, the draft date when right-aligned or looking like a date or a draft name, and
    otherwise contact.
    """
    blocks: list[tuple[str, list[str]]] = []
    prev_blank = True
    for align, text in paras:
        if not text:
            prev_blank = True
            continue
        lines = text.split("\n")
        if prev_blank or not blocks or blocks[-1][0] != align:
            blocks.append((align, lines))
        else:
            blocks[-1][1].extend(lines)
        prev_blank = False
    found: dict[str, list[str]] = {}
    order = ["Title", "Credit", "Author", "Source", "Notes", "Draft date", "Contact", "Copyright"]
    want_author = False
    for align, lines in blocks:
        if align != "Center":
            for ln in lines:
                if _COPYRIGHT_RE.match(ln):
                    key = "Copyright"
                elif align == "Right" or _DATE_RE.search(ln):
                    key = "Draft date"
                else:
                    key = "Contact"
                found.setdefault(key, []).append(ln)
            continue
        rest = list(lines)
        while rest:
            ln = rest.pop(0)
            m = _CREDIT_RE.match(ln)
            title_first = "Title" not in found and "Credit" not in found and not (m and not m.group(2))
            if m and "Credit" not in found and not title_first:
                found["Credit"] = [m.group(1)]
                if m.group(2):
                    found["Author"] = [m.group(2)]
                else:
                    want_author = True
                continue
            if want_author:
                found["Author"] = [ln, *rest]
                want_author = False
                break
            if title_first:
                found["Title"] = [ln]
                while rest and not _CREDIT_RE.match(rest[0]):
                    found["Title"].append(rest.pop(0))
                continue
            if _SOURCE_RE.search(ln) and "Source" not in found:
                found["Source"] = [ln, *rest]
            elif _DATE_RE.search(ln) and "Draft date" not in found and not rest:
                found["Draft date"] = [ln]
            else:
                found.setdefault("Notes", []).extend([ln, *rest])
            break
    return TitlePage([(k, "\n".join(found[k])) for k in order if k in found])
