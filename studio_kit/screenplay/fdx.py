"""Final Draft ``.fdx`` import and export.

Final Draft has no paragraph types for Fountain's notes, sections, synopses or boneyard, nor a
place for unknown title-page keys. Export keeps them so that our own import restores them:
they are written as ``General`` paragraphs carrying a ``studio_kit`` attribute (Final Draft
shows them as plain text and keeps unknown attributes out of the way), and the title page is
also stored key by key in a ``<studio_kit:TitlePage>`` element that Final Draft ignores.
Real Final Draft files (no such markers) import by paragraph type and alignment.

Parsing goes through defusedxml: entity expansion and external entities are refused.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree.ElementTree import Element as XElement
from xml.etree.ElementTree import SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from .errors import ScreenplayError
from .io import atomic_write
from .model import Element, ElementType, Screenplay, TitlePage
from .pagination import parse_emphasis

_TYPE_TO_FDX = {
    ElementType.SCENE_HEADING: "Scene Heading",
    ElementType.ACTION: "Action",
    ElementType.CHARACTER: "Character",
    ElementType.PARENTHETICAL: "Parenthetical",
    ElementType.DIALOGUE: "Dialogue",
    ElementType.TRANSITION: "Transition",
    ElementType.LYRICS: "Lyrics",
}
_FDX_TO_TYPE = {
    "scene heading": ElementType.SCENE_HEADING,
    "action": ElementType.ACTION,
    "general": ElementType.ACTION,
    "character": ElementType.CHARACTER,
    "parenthetical": ElementType.PARENTHETICAL,
    "dialogue": ElementType.DIALOGUE,
    "transition": ElementType.TRANSITION,
    "lyrics": ElementType.LYRICS,
    "shot": ElementType.SCENE_HEADING,  # a shot reads as a (forced) heading: a new beat in the board
    "cast list": ElementType.ACTION,
    "new act": ElementType.SECTION,
    "end of act": ElementType.SECTION,
}
_MARK = "studio_kit"  # attribute naming the Fountain element a General paragraph carries


def to_fdx(screenplay: Screenplay) -> str:
    root = XElement("FinalDraft", DocumentType="Script", Template="No", Version="5")
    content = SubElement(root, "Content")
    els = screenplay.elements
    page_break = False
    i, n = 0, len(els)
    while i < n:
        e = els[i]
        if e.type is ElementType.PAGE_BREAK:
            page_break = True
            i += 1
            continue
        if e.type is ElementType.CHARACTER and e.dual == "left":
            j = i + 1
            while j < n and els[j].dual in ("left", "right") and els[j].type is not ElementType.PAGE_BREAK:
                j += 1
            wrapper = SubElement(content, "Paragraph")
            if page_break:
                wrapper.set("StartsNewPage", "Yes")
                page_break = False
            dual = SubElement(wrapper, "DualDialogue")
            for d in els[i:j]:
                _paragraph(dual, d)
            i = j
            continue
        p = _paragraph(content, e)
        if page_break:
            p.set("StartsNewPage", "Yes")
            page_break = False
        i += 1
    if screenplay.title_page:
        _title_page(root, screenplay.title_page)
    xml = tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n' + xml + "\n"


def _paragraph(parent: XElement, e: Element) -> XElement:
    if e.type in _TYPE_TO_FDX:
        p = SubElement(parent, "Paragraph", Type=_TYPE_TO_FDX[e.type])
    elif e.type is ElementType.CENTERED:
        p = SubElement(parent, "Paragraph", Type="Action", Alignment="Center")
    else:  # note, boneyard, section, synopsis: kept for our own round trip
        p = SubElement(parent, "Paragraph", Type="General")
        p.set(_MARK, e.type.value)
        if e.depth:
            p.set("studio_kit_depth", str(e.depth))
    if e.scene_number:
        p.set("Number", e.scene_number)
    if e.forced and e.type in (ElementType.SCENE_HEADING, ElementType.TRANSITION, ElementType.ACTION,
                               ElementType.CHARACTER):
        p.set("studio_kit_forced", "1")
    raw = e.type in (ElementType.NOTE, ElementType.BONEYARD) or "/*" in e.text or "[[" in e.text
    if raw and e.type not in (ElementType.NOTE, ElementType.BONEYARD):
        p.set("studio_kit_raw", "1")  # inline notes/boneyard: keep the Fountain text as written
    _text_runs(p, e.text, styled=not raw)
    return p


def _text_runs(p: XElement, text: str, styled: bool = True) -> None:
    runs = parse_emphasis(text) if styled else None
    if not runs or (len(runs) == 1 and not (runs[0].bold or runs[0].italic or runs[0].underline)):
        SubElement(p, "Text").text = text if not runs else runs[0].text
        return
    for r in runs:
        styles = [s for s, on in (("Bold", r.bold), ("Italic", r.italic), ("Underline", r.underline)) if on]
        t = SubElement(p, "Text")
        if styles:
            t.set("Style", "+".join(styles))
        t.text = r.text


def _title_page(root: XElement, tp: TitlePage) -> None:
    page = SubElement(root, "TitlePage")
    content = SubElement(page, "Content")
    for _ in range(16):
        SubElement(content, "Paragraph", Alignment="Center", Type="Title Page").append(XElement("Text"))
    for key in ("title", "credit", "author", "authors", "source"):
        value = tp.get(key)
        if value:
            for ln in value.split("\n"):
                _text_runs(SubElement(content, "Paragraph", Alignment="Center", Type="Title Page"), ln)
            SubElement(content, "Paragraph", Alignment="Center", Type="Title Page").append(XElement("Text"))
    for key in ("draft date", "date", "contact", "copyright", "notes"):
        value = tp.get(key)
        if value:
            for ln in value.split("\n"):
                _text_runs(SubElement(content, "Paragraph", Alignment="Left", Type="Title Page"), ln)
    keep = SubElement(root, "studio_kit.TitlePage")
    for key, value in tp.entries:
        SubElement(keep, "Entry", Key=key).text = value


def write_fdx(screenplay: Screenplay, path: str | Path) -> Path:
    return atomic_write(path, to_fdx(screenplay))


# -- import ----------------------------------------------------------------------------------

def read_fdx(path_or_bytes: str | Path | bytes, source: str | None = None) -> Screenplay:
    if isinstance(path_or_bytes, bytes):
        data, src = path_or_bytes, source or "<fdx>"
    else:
        p = Path(path_or_bytes)
        src = source or str(p)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            raise ScreenplayError("file not found; check the path", src) from None
    if not data.strip():
        raise ScreenplayError("the file is empty", src)
    try:
        root = fromstring(data)
    except DefusedXmlException as exc:
        raise ScreenplayError(f"refused unsafe XML ({type(exc).__name__}): entity declarations are not allowed "
                              "in a Final Draft file", src) from None
    except ParseError as exc:
        line = getattr(exc, "position", (None,))[0]
        raise ScreenplayError(f"not well-formed XML ({exc}); re-export it from Final Draft", src, line) from None
    if root.tag != "FinalDraft":
        raise ScreenplayError(f"root element is <{root.tag}>, not <FinalDraft>: this is not a Final Draft .fdx file", src)
    content = root.find("Content")
    elements: list[Element] = []
    if content is not None:
        for para in content.findall("Paragraph"):
            dual = para.find("DualDialogue")
            if para.get("StartsNewPage") == "Yes" and elements:
                elements.append(Element(ElementType.PAGE_BREAK, ""))
            if dual is not None:
                side = None
                for inner in dual.findall("Paragraph"):
                    e = _element(inner)
                    if e is None:
                        continue
                    if e.type is ElementType.CHARACTER:
                        side = "left" if side is None else "right"
                    e.dual = side
                    elements.append(e)
                continue
            e = _element(para)
            if e is not None:
                elements.append(e)
    return Screenplay(_read_title_page(root), elements, src)


def _text(p: XElement) -> str:
    parts = []
    for t in p.findall("Text"):
        # Literal * and _ in Final Draft text are escaped so they do not read as Fountain emphasis.
        s = re.sub(r"([*_\\])", r"\\\1", t.text or "")
        style = (t.get("Style") or "").lower()
        if s.strip() and style:
            lead, core, trail = re.match(r"^(\s*)(.*?)(\s*)$", s, re.S).groups()
            b, i, u = "bold" in style, "italic" in style, "underline" in style
            mark = "***" if b and i else "**" if b else "*" if i else ""
            core = f"{mark}{core}{mark}"
            if u:
                core = f"_{core}_"
            s = lead + core + trail
        parts.append(s)
    return "".join(parts)


def _element(p: XElement) -> Element | None:
    kind = p.get(_MARK)
    raw = kind in ("note", "boneyard") or p.get("studio_kit_raw") == "1"
    text = "".join(t.text or "" for t in p.findall("Text")) if raw else _text(p)
    if kind:
        try:
            t = ElementType(kind)
        except ValueError:
            t = ElementType.ACTION
        return Element(t, text, depth=int(p.get("studio_kit_depth", "0")))
    ptype = (p.get("Type") or "Action").lower()
    if not text.strip() and ptype != "dialogue":
        return None
    forced = p.get("studio_kit_forced") == "1"
    if ptype == "action" and (p.get("Alignment") or "").lower() == "center":
        return Element(ElementType.CENTERED, text.strip())
    t = _FDX_TO_TYPE.get(ptype, ElementType.ACTION)
    if t is ElementType.SECTION:
        return Element(t, text.strip(), depth=1)
    if ptype == "shot":
        forced = True
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if t is not ElementType.ACTION:
        text = text.strip()
    return Element(t, text, scene_number=p.get("Number") if t is ElementType.SCENE_HEADING else None, forced=forced)


def _read_title_page(root: XElement) -> TitlePage:
    keep = root.find("studio_kit.TitlePage")
    if keep is not None:
        return TitlePage([(e.get("Key", ""), e.text or "") for e in keep.findall("Entry")])
    tp = root.find("TitlePage/Content")
    if tp is None:
        return TitlePage()
    centered, left = [], []
    for p in tp.findall("Paragraph"):
        text = _text(p).strip()
        if not text:
            if centered and centered[-1] != "":
                centered.append("")
            continue
        (centered if (p.get("Alignment") or "").lower() == "center" else left).append(text)
    blocks = [b for b in "\n".join(centered).split("\n\n") if b.strip()]
    entries: list[tuple[str, str]] = []
    if blocks:
        entries.append(("Title", blocks.pop(0).strip()))
    for b in blocks:
        low = b.lower()
        if low.startswith(("written by", "by", "screenplay by", "story by", "teleplay by")) and "\n" not in b:
            entries.append(("Credit", b))
        elif any(k == "Credit" for k, _ in entries) and not any(k == "Author" for k, _ in entries):
            entries.append(("Author", b))
        else:
            entries.append(("Source", b))
    if left:
        dates = [x for x in left if re.search(r"\d{1,4}[/.\-]\d{1,2}|draft", x, re.I)]
        contact = [x for x in left if x not in dates]
        if contact:
            entries.append(("Contact", "\n".join(contact)))
        if dates:
            entries.append(("Draft date", "\n".join(dates)))
    return TitlePage(entries)
