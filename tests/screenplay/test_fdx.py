"""Final Draft import and export: our own files come back exactly, Final Draft's own files import
to the right elements, and hostile or wrong input is refused with a clear ScreenplayError."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio_kit.screenplay.emphasis import scan_emphasis
from studio_kit.screenplay.errors import EmptyScriptError, EncodingError, ScreenplayError, ScriptTooLargeError
from studio_kit.screenplay.fdx import _markup, read_fdx, to_fdx, write_fdx
from studio_kit.screenplay.fountain import parse_fountain, read_fountain
from studio_kit.screenplay.fountain_writer import to_fountain
from studio_kit.screenplay.model import Element, ElementType, Screenplay, TitlePage

T = ElementType
FIXTURES = Path(__file__).parents[1] / "fixtures"
FOUNTAIN_FIXTURES = sorted((FIXTURES / "fountain").rglob("*.fountain"))
FD12 = FIXTURES / "fdx" / "last_lamp_fd12.fdx"


def seq(sp: Screenplay) -> list[tuple]:
    return [(e.type.value, e.text, e.scene_number, e.dual, e.depth) for e in sp.elements]


def fdx_round_trip(sp: Screenplay) -> Screenplay:
    back = read_fdx(to_fdx(sp).encode("utf-8"), source="roundtrip.fdx")
    assert seq(back) == seq(sp)
    assert back.title_page.entries == sp.title_page.entries
    return back


def E(t: ElementType, text: str = "", **kw) -> Element:  # noqa: N802 - reads like a constructor
    return Element(t, text, **kw)


def sp_of(*elements: Element, title: list[tuple[str, str]] | None = None) -> Screenplay:
    return Screenplay(title_page=TitlePage(list(title or [])), elements=list(elements))


def xml_of(sp: Screenplay) -> ET.Element:
    return ET.fromstring(to_fdx(sp))


# -- our own files come back exactly -----------------------------------------------------------


@pytest.mark.parametrize("path", FOUNTAIN_FIXTURES, ids=lambda p: p.name)
def test_fixture_round_trip(path):
    fdx_round_trip(read_fountain(path))


TRICKY = sp_of(
    E(T.NOTE, "before everything"),
    E(T.PAGE_BREAK),
    E(T.SECTION, "Act One", depth=1),
    E(T.SYNOPSIS, "Set-up."),
    E(T.SCENE_HEADING, "INT. HOUSE - DAY", scene_number="1A"),
    E(T.ACTION, "She *whispers* **loudly**, _under_ ***both*** **_nested_** _**other**_."),
    E(T.ACTION, "Needed escapes: \\*not italic\\* and \\_not underlined\\_. A needless one: f\\*ck."),
    E(T.ACTION, "Odd nesting _**underline and bold_** stays as written. 5 * 3 = 15"),
    E(T.PAGE_BREAK),
    E(T.NOTE, "a note between a page break and the next paragraph"),
    E(T.CHARACTER, "McCLANE (cont'd)"),
    E(T.PARENTHETICAL, "(beat)"),
    E(T.DIALOGUE, ".44 magnum.\n\nAnd *then*..."),
    E(T.LYRICS, "La la\nla"),
    E(T.CHARACTER, "ADAM", dual="left"),
    E(T.DIALOGUE, "Yes.", dual="left"),
    E(T.CHARACTER, "EVE", dual="right"),
    E(T.PARENTHETICAL, "(quietly)", dual="right"),
    E(T.DIALOGUE, "No.", dual="right"),
    E(T.BONEYARD, " cut:\n  INT. OLD SCENE - DAY \n"),
    E(T.TRANSITION, "Fade out."),
    E(T.CENTERED, "THE END\n_really_"),
    E(T.PAGE_BREAK),
    E(T.PAGE_BREAK),
    E(T.ACTION, "   Indented action keeps its spaces.  "),
    E(T.NOTE, "last\n\n  word"),
    E(T.PAGE_BREAK),
    title=[
        ("Title", "_BIG FISH_\nPart Two"),
        ("Credit", "Written by"),
        ("Authors", "Jo Writer & **Sam** Other"),
        ("Source", "Based on the novel"),
        ("Revision", "Blue"),
        ("Draft date", "3 March 2026"),
        ("Contact", "Jo Writer\njo@example.com"),
        ("Format", "feature"),
    ],
)


def test_hand_built_round_trip():
    fdx_round_trip(TRICKY)


def test_round_trip_without_title_page_or_elements():
    fdx_round_trip(Screenplay())
    fdx_round_trip(sp_of(E(T.PAGE_BREAK)))
    fdx_round_trip(sp_of(E(T.SYNOPSIS, "only a synopsis")))


def test_fountain_to_fdx_to_fountain_keeps_the_script():
    for path in FOUNTAIN_FIXTURES:
        sp = read_fountain(path)
        again = parse_fountain(to_fountain(read_fdx(to_fdx(sp))))
        assert seq(again) == seq(sp), path.name


def test_write_fdx_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "out" / "script.fdx"
    written = write_fdx(TRICKY, target)
    assert written == target and isinstance(written, Path)
    assert target.read_text(encoding="utf-8") == to_fdx(TRICKY)
    fdx_round_trip(read_fdx(target))

    # A failed write leaves the old file whole and no temporary file behind.
    import studio_kit.common.files as files

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", boom)
    with pytest.raises(OSError):
        write_fdx(sp_of(E(T.ACTION, "new")), target)
    assert target.read_text(encoding="utf-8") == to_fdx(TRICKY)
    assert sorted(os.listdir(target.parent)) == ["script.fdx"]


# -- what the export looks like to Final Draft --------------------------------------------------


def test_export_structure():
    root = xml_of(TRICKY)
    assert root.tag == "FinalDraft" and root.get("Version") == "5"
    assert to_fdx(TRICKY).startswith('<?xml version="1.0" encoding="UTF-8" standalone="no" ?>')
    paras = root.find("Content").findall("Paragraph")
    heading = next(p for p in paras if p.get("Type") == "Scene Heading")
    assert heading.get("Number") == "1A" and heading.find("Text").text == "INT. HOUSE - DAY"
    action = next(p for p in paras if p.get("Type") == "Action" and "whispers" in "".join(t.text or "" for t in p))
    assert [(t.get("Style"), t.text) for t in action.findall("Text")][:4] == [
        (None, "She "), ("Italic", "whispers"), (None, " "), ("Bold", "loudly"),
    ]
    styles = {t.get("Style") for t in action.findall("Text")}
    assert {"Underline", "Bold+Italic", "Bold+Underline", "Underline+Bold"} <= styles
    # Odd nesting goes out verbatim (and is marked so that our import takes it as written).
    odd = next(p for p in paras if "Odd nesting" in "".join(t.text or "" for t in p))
    assert odd.get("StudioKitRaw") == "Yes" and len(odd.findall("Text")) == 1
    # Dual dialogue: one wrapper paragraph, the second cue starts the right side.
    wrapper = next(p for p in paras if p.find("DualDialogue") is not None)
    inner = [(p.get("Type"), p.find("Text").text) for p in wrapper.find("DualDialogue")]
    assert inner == [("Character", "ADAM"), ("Dialogue", "Yes."), ("Character", "EVE"),
                     ("Parenthetical", "(quietly)"), ("Dialogue", "No.")]
    centered = next(p for p in paras if p.get("Alignment") == "Center")
    assert centered.get("Type") == "Action"
    assert any(p.get("Type") == "Lyrics" for p in paras)
    assert [p.get("StartsNewPage") for p in paras].count("Yes") == 5
    # Non-printing elements are script notes, never printed paragraphs.
    assert not any(p.get("Type") == "General" for p in paras)
    notes = root.find("ScriptNotes").findall("ScriptNote")
    assert [n.get("StudioKitType") for n in notes] == ["note", "section", "synopsis", "note", "boneyard", "note"]
    assert all(re.fullmatch(r"\d+,\d+", n.get("Range")) for n in notes)
    section = notes[1]
    assert section.get("StudioKitDepth") == "1" and section.get("Name") == "Section"


def test_title_page_layout():
    root = xml_of(TRICKY)
    paras = root.find("TitlePage/Content").findall("Paragraph")
    lines = [(p.get("Alignment"), "".join(t.text or "" for t in p.findall("Text"))) for p in paras]
    printed = [x for x in lines if x[1]]
    assert printed[:6] == [
        ("Center", "BIG FISH"), ("Center", "Part Two"), ("Center", "Written by"),
        ("Center", "Jo Writer & Sam Other"), ("Center", "Based on the novel"), ("Right", "Blue"),
    ]
    assert printed[6:] == [("Right", "3 March 2026"), ("Left", "Jo Writer"), ("Left", "jo@example.com")]
    first_title = next(k for k, x in enumerate(lines) if x[1])
    assert first_title >= 15  # a third of the way down the page
    assert len(lines) <= 56  # fits one page
    # Unknown keys are not printed, but stored for our import.
    assert [e.get("Key") for e in root.find("StudioKit").findall("TitleEntry")][-1] == "Format"


def test_edited_title_page_wins_over_stored_entries():
    xml = to_fdx(TRICKY).replace(">Part Two<", ">The Return<")
    tp = read_fdx(xml).title_page
    assert tp.get("title") == "_BIG FISH_\nThe Return"
    assert tp.get("format") is None  # the stored copy no longer matches, so the layout is read


def test_export_without_our_markers_still_imports_sensibly():
    """What Final Draft keeps after re-saving our file: no StudioKit element or attributes."""
    xml = to_fdx(TRICKY)
    xml = re.sub(r"<StudioKit .*?</StudioKit>", "", xml, flags=re.S)
    xml = re.sub(r' StudioKit\w+="[^"]*"', "", xml)
    sp = read_fdx(xml)
    assert sp.title_page.entries[:4] == [
        ("Title", "_BIG FISH_\nPart Two"), ("Credit", "Written by"), ("Author", "Jo Writer & **Sam** Other"),
        ("Source", "Based on the novel"),
    ]
    assert sp.title_page.get("contact") == "Jo Writer\njo@example.com"
    # Every non-printing element comes back as a note, at the place its Range points to.
    kinds = [e.type for e in sp.elements]
    assert kinds.count(T.NOTE) == 6
    first_heading = kinds.index(T.SCENE_HEADING)
    assert kinds[:first_heading].count(T.NOTE) == 3
    assert [(e.type, e.text) for e in sp.elements[-2:]] == [(T.NOTE, "last\n\n  word"), (T.PAGE_BREAK, "")]


# -- Final Draft's own files ------------------------------------------------------------------------

FD12_EXPECTED = [
    ("section", "ACT ONE", None, None, 1),
    ("centered", "_ACT ONE_", None, None, 0),
    ("scene_heading", "INT. LIGHTHOUSE LAMP ROOM - NIGHT", "1", None, 0),
    ("synopsis", "Wren finds the lamp dark.", None, None, 0),
    ("action", "The great lens sits *dead*. WREN (60s, oilskins) climbs the last rung, lantern first.", None, None, 0),
    ("character", "WREN", None, None, 0),
    ("parenthetical", "(to the lens)", None, None, 0),
    ("dialogue", "Not tonight. Not with the **_Mary Ellen_** still out.", None, None, 0),
    ("action", "CLOSE ON THE WICK", None, None, 0),
    ("action", "Soot. A snapped mantle. Spare parts are GONE.", None, None, 0),
    ("note", "Check: do lighthouses still use mantles?\n\nAsk the museum in Whitby.", None, None, 0),
    ("character", "OTIS (V.O.)", None, None, 0),
    ("dialogue", "Wren? Radio says the channel's socked in.", None, None, 0),
    ("character", "WREN", None, "left", 0),
    ("dialogue", "I know.", None, "left", 0),
    ("character", "OTIS (V.O.)", None, "right", 0),
    ("parenthetical", "(through static)", None, "right", 0),
    ("dialogue", "-- light it by hand.", None, "right", 0),
    ("transition", "SMASH CUT TO:", None, None, 0),
    ("page_break", "", None, None, 0),
    ("scene_heading", "EXT. HARBOUR WALL - CONTINUOUS", "2A", None, 0),
    ("action", "A beam sweeps the fog. Once. Twice. The ***Mary Ellen*** turns for home.", None, None, 0),
    ("centered", "THE END", None, None, 0),
]


def test_final_draft_12_file_imports():
    sp = read_fdx(FD12)
    assert sp.source == str(FD12)
    assert seq(sp) == FD12_EXPECTED
    assert sp.title_page.entries == [
        ("Title", "_THE LAST LAMP_"),
        ("Credit", "Written by"),
        ("Author", "Ada Quill"),
        ("Source", "Based on the ballad by J. Moss"),
        ("Draft date", "Second Draft - March 3, 2026"),
        ("Contact", "Ada Quill\nada@example.org\n+44 20 7946 0000"),
        ("Copyright", "© 2026 Ada Quill"),
    ]
    # Elements point back at the XML line of their paragraph.
    heading = sp.elements[2]
    assert FD12.read_text(encoding="utf-8").split("\n")[heading.line - 1].strip().startswith('<Paragraph Number="1"')


def test_final_draft_file_goes_on_to_fountain_and_back_to_fdx():
    sp = read_fdx(FD12)
    assert seq(parse_fountain(to_fountain(sp))) == FD12_EXPECTED
    fdx_round_trip(sp)


def test_capitals_follow_element_settings():
    doc = """<FinalDraft DocumentType="Script" Version="5"><Content>
    <Paragraph Type="Scene Heading"><Text>int. kitchen - day</Text></Paragraph>
    <Paragraph Type="Character"><Text>McCoy</Text></Paragraph>
    <Paragraph Type="Dialogue"><Text>Dammit.</Text></Paragraph>
    </Content>{settings}</FinalDraft>"""
    plain = read_fdx(doc.format(settings=""))  # no settings: Final Draft's defaults (capitals)
    assert [e.text for e in plain.elements] == ["INT. KITCHEN - DAY", "MCCOY", "Dammit."]
    settings = '<ElementSettings Type="Scene Heading"><FontSpec Style="Bold+AllCaps"/></ElementSettings>'
    custom = read_fdx(doc.format(settings=settings))
    assert [e.text for e in custom.elements] == ["INT. KITCHEN - DAY", "McCoy", "Dammit."]
    # Our own files keep what was written: a mixed-case cue stays mixed case.
    assert read_fdx(to_fdx(sp_of(E(T.CHARACTER, "McCLANE"), E(T.DIALOGUE, "Hi.")))).elements[0].text == "McCLANE"


def test_final_draft_details():
    doc = """<?xml version="1.0" encoding="UTF-8" standalone="no" ?>
<FinalDraft DocumentType="Script" Template="No" Version="5"><Content>
  <Paragraph Type="Action" StartsNewPage="Yes"><Text>First line (a leading page break is dropped).</Text></Paragraph>
  <Paragraph Type="Action"><ScriptNote ID="3"><Paragraph><Text>old-style note</Text></Paragraph></ScriptNote><Text>  Spaces  </Text><Text Style="AllCaps">kept</Text><LineBreak/><Text>second line</Text></Paragraph>
  <Paragraph Type="General" Alignment="Center"><Text>INTERMISSION</Text></Paragraph>
  <Paragraph Type="Cast List"><Text>WREN, OTIS</Text></Paragraph>
  <Paragraph Type="Singing"><Text>Oh the lamp</Text></Paragraph>
  <Paragraph Type="End of Act"><Text>END OF ACT ONE</Text></Paragraph>
  <Paragraph Type="Dialogue"><Text>   </Text></Paragraph>
  <Paragraph Type="Transition"><Text>MATCH CUT</Text><LineBreak/><Text> TO:  </Text></Paragraph>
  <DualDialogue>
    <Paragraph Type="Character"><Text>A</Text></Paragraph><Paragraph Type="Dialogue"><Text>1</Text></Paragraph>
    <Paragraph Type="Character"><Text>B</Text></Paragraph><Paragraph Type="Dialogue"><Text>2</Text></Paragraph>
  </DualDialogue>
  <Paragraph Type="Action"><Text>Five *stars*, snake_case_name.</Text></Paragraph>
</Content>
<ScriptNotes>
  <ScriptNote ID="9" Range="0,5"><Paragraph><Text>on the first line</Text></Paragraph></ScriptNote>
  <ScriptNote ID="10" Range="garbage"><Paragraph><Text>nowhere in particular</Text></Paragraph></ScriptNote>
  <ScriptNote ID="11" Range="3,3"><Paragraph><Text></Text></Paragraph></ScriptNote>
</ScriptNotes>
</FinalDraft>"""
    sp = read_fdx(doc)
    assert seq(sp) == [
        ("action", "First line (a leading page break is dropped).", None, None, 0),
        ("note", "on the first line", None, None, 0),
        ("action", "  Spaces  KEPT\nsecond line", None, None, 0),
        ("note", "old-style note", None, None, 0),
        ("centered", "INTERMISSION", None, None, 0),
        ("action", "WREN, OTIS", None, None, 0),
        ("lyrics", "Oh the lamp", None, None, 0),
        ("centered", "END OF ACT ONE", None, None, 0),
        ("transition", "MATCH CUT TO:", None, None, 0),
        ("character", "A", None, "left", 0),
        ("dialogue", "1", None, "left", 0),
        ("character", "B", None, "right", 0),
        ("dialogue", "2", None, "right", 0),
        ("action", "Five \\*stars\\*, snake\\_case\\_name.", None, None, 0),
        ("note", "nowhere in particular", None, None, 0),
    ]
    # Literal asterisks from Final Draft stay literal through Fountain.
    back = parse_fountain(to_fountain(sp))
    assert seq(back) == seq(sp)


# -- emphasis <-> styles --------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab *_\\\n", min_size=1, max_size=24))
def test_any_text_survives_export(text):
    text = "x" + text  # an element with no text at all is a blank Final Draft paragraph
    sp = sp_of(E(T.ACTION, text), E(T.DIALOGUE, text), E(T.NOTE, text))
    back = read_fdx(to_fdx(sp))
    assert [e.text for e in back.elements] == [text] * 3


STYLES = st.lists(st.sampled_from(["Bold", "Italic", "Underline"]), unique=True, max_size=3).map(tuple)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="ab *_\\", min_size=1, max_size=6), STYLES), min_size=1, max_size=5))
def test_final_draft_runs_keep_their_words(runs):
    """Any styled runs become Fountain text that reads back to the same words."""
    words = "".join(t for t, _ in runs)
    assert "".join(t for t, _ in scan_emphasis(_markup(runs))) == words


def test_common_styles_map_both_ways():
    cases = {
        "*i*": [("i", ("Italic",))],
        "**b**": [("b", ("Bold",))],
        "***bi***": [("bi", ("Bold", "Italic"))],
        "_u_": [("u", ("Underline",))],
        "**_bu_**": [("bu", ("Bold", "Underline"))],
        "_**ub**_": [("ub", ("Underline", "Bold"))],
        "**bold *both* bold**": [("bold ", ("Bold",)), ("both", ("Bold", "Italic")), (" bold", ("Bold",))],
    }
    for text, runs in cases.items():
        assert scan_emphasis(text) == runs
        assert _markup(runs) == text


# -- refused input --------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<FinalDraft><Content><Paragraph Type="Action"><Text>&lol9;</Text></Paragraph></Content></FinalDraft>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE FinalDraft [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<FinalDraft><Content><Paragraph Type="Action"><Text>&xxe;</Text></Paragraph></Content></FinalDraft>"""


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        (BILLION_LAUGHS, ScreenplayError, r"bomb\.fdx: refused unsafe XML"),
        (EXTERNAL_ENTITY, ScreenplayError, r"refused unsafe XML"),
        (b"<html><body>hi</body></html>", ScreenplayError, r"not a Final Draft file: the XML root is <html>"),
        (b'<?xml version="1.0"?>\n<FinalDraft>\n<Content>\n<Paragraph>', ScreenplayError, r"bomb\.fdx:4: not well-formed"),
        (b"Title: A Fountain script\n\nINT. HOUSE - DAY\n", ScreenplayError, r"not XML.*\.fountain"),
        (b"PK\x03\x04zipped", EncodingError, r"zip archive"),
        (b"", EmptyScriptError, r"empty"),
        (b"  \n ", EmptyScriptError, r"empty"),
        (b"<FinalDraft DocumentType='Script'/>", EmptyScriptError, r"no <Content>"),
    ],
)
def test_bad_input_is_refused(data, error, match):
    with pytest.raises(error, match=match):
        read_fdx(data, source="bomb.fdx")


def test_size_limit(tmp_path):
    big = tmp_path / "big.fdx"
    big.write_bytes(to_fdx(TRICKY).encode())
    with pytest.raises(ScriptTooLargeError, match="limit"):
        read_fdx(big, max_bytes=1000)
    with pytest.raises(ScriptTooLargeError, match="limit"):
        read_fdx(big.read_bytes(), max_bytes=1000)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ScreenplayError, match=r"nope\.fdx: file not found"):
        read_fdx(tmp_path / "nope.fdx")
    with pytest.raises(ScreenplayError, match="is a folder"):
        read_fdx(tmp_path)


def test_xml_given_as_text_with_its_own_encoding_declaration():
    xml = '<?xml version="1.0" encoding="ISO-8859-1"?><FinalDraft><Content><Paragraph Type="Action"><Text>Café</Text></Paragraph></Content></FinalDraft>'
    assert read_fdx(xml).elements[0].text == "Café"
    assert read_fdx(xml.encode("latin-1")).elements[0].text == "Café"
