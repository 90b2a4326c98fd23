"""Fountain and Final Draft export: what goes out comes back."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio_kit.screenplay.errors import ScreenplayError
from studio_kit.screenplay.fdx import read_fdx, to_fdx
from studio_kit.screenplay.fountain import parse_fountain, read_fountain
from studio_kit.screenplay.fountain_writer import to_fountain
from studio_kit.screenplay.model import ElementType
from studio_kit.screenplay.pagination import parse_emphasis

FIX = Path(__file__).parents[1] / "fixtures" / "fountain"
ALL = sorted(FIX.rglob("*.fountain"))

TRICKY = """Title: Tricky
Revision: Blue
Contact:
   Jo Writer
   jo@example.com

[[a note about the draft]]

# ACT ONE

= The set-up.

!INT. THIS IS ACTION
Not a heading.

!BOB
Not a cue either.

@McCLANE (on radio)
Yippee.

BOB
.38 caliber, he said.

> COLD OPEN ON:

ADAM
Yes.

EVE ^
No.

~Sing it.

/* cut scene */

> THE END <
"""


def key(sp):
    return [(e.type, e.text, e.scene_number, e.dual, e.depth) for e in sp.elements]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_fountain_round_trip(path):
    sp = read_fountain(path)
    back = parse_fountain(to_fountain(sp))
    assert key(back) == key(sp)
    assert back.title_page.entries == sp.title_page.entries


def test_fountain_round_trip_tricky_cases():
    sp = parse_fountain(TRICKY)
    assert sp.title_page.get("revision") == "Blue"
    out = to_fountain(sp)
    back = parse_fountain(out)
    assert key(back) == key(sp)
    assert back.title_page.entries == sp.title_page.entries
    assert "Revision: Blue" in out and "[[a note about the draft]]" in out and "= The set-up." in out


def styled(sp):
    """Visible characters with their styles (FDX carries styles, not the markers that made them)."""
    out = []
    for e in sp.elements:
        chars = [(ch, r.bold, r.italic, r.underline) for r in parse_emphasis(e.text) for ch in r.text if not ch.isspace()]
        out.append((e.type, chars if "/*" not in e.text else e.text, e.scene_number, e.dual, e.depth))
    return out


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_fdx_round_trip(path):
    sp = read_fountain(path)
    back = read_fdx(to_fdx(sp).encode())
    assert styled(back) == styled(sp)
    assert back.title_page.entries == sp.title_page.entries


FINAL_DRAFT_12 = """<?xml version="1.0" encoding="UTF-8" standalone="no" ?>
<FinalDraft DocumentType="Script" Template="No" Version="5">
  <Content>
    <Paragraph Number="1" Type="Scene Heading"><Text>EXT. SIGNAL BOX - NIGHT</Text></Paragraph>
    <Paragraph Type="Action"><Text>Rain. A lamp swings. </Text><Text Style="Bold">Someone is inside.</Text></Paragraph>
    <Paragraph Type="Character"><Text>MARA (V.O.)</Text></Paragraph>
    <Paragraph Type="Parenthetical"><Text>(whispering)</Text></Paragraph>
    <Paragraph Type="Dialogue"><Text>Don't move.</Text></Paragraph>
    <Paragraph>
      <DualDialogue>
        <Paragraph Type="Character"><Text>JONAS</Text></Paragraph>
        <Paragraph Type="Dialogue"><Text>Now?</Text></Paragraph>
        <Paragraph Type="Character"><Text>MARA</Text></Paragraph>
        <Paragraph Type="Dialogue"><Text Style="Italic">Now.</Text></Paragraph>
      </DualDialogue>
    </Paragraph>
    <Paragraph Type="Transition"><Text>CUT TO:</Text></Paragraph>
    <Paragraph Number="2" StartsNewPage="Yes" Type="Scene Heading"><Text>INT. TRAIN - CONTINUOUS</Text></Paragraph>
    <Paragraph Alignment="Center" Type="Action"><Text>THE END</Text></Paragraph>
  </Content>
  <TitlePage>
    <Content>
      <Paragraph Alignment="Center" Type="Title Page"><Text></Text></Paragraph>
      <Paragraph Alignment="Center" Type="Title Page"><Text Style="Underline">NIGHT TRAIN</Text></Paragraph>
      <Paragraph Alignment="Center" Type="Title Page"><Text></Text></Paragraph>
      <Paragraph Alignment="Center" Type="Title Page"><Text>written by</Text></Paragraph>
      <Paragraph Alignment="Center" Type="Title Page"><Text></Text></Paragraph>
      <Paragraph Alignment="Center" Type="Title Page"><Text>Jo Writer</Text></Paragraph>
      <Paragraph Alignment="Left" Type="Title Page"><Text>jo@example.com</Text></Paragraph>
      <Paragraph Alignment="Left" Type="Title Page"><Text>Draft 3/11/2026</Text></Paragraph>
    </Content>
  </TitlePage>
</FinalDraft>
"""


def test_real_final_draft_file_imports():
    sp = read_fdx(FINAL_DRAFT_12.encode(), source="fd12.fdx")
    types = [e.type for e in sp.elements]
    assert types == [
        ElementType.SCENE_HEADING, ElementType.ACTION, ElementType.CHARACTER, ElementType.PARENTHETICAL,
        ElementType.DIALOGUE, ElementType.CHARACTER, ElementType.DIALOGUE, ElementType.CHARACTER,
        ElementType.DIALOGUE, ElementType.TRANSITION, ElementType.PAGE_BREAK, ElementType.SCENE_HEADING,
        ElementType.CENTERED,
    ]
    assert sp.elements[0].scene_number == "1"
    assert sp.elements[1].text == "Rain. A lamp swings. **Someone is inside.**"
    assert [e.dual for e in sp.elements[5:9]] == ["left", "left", "right", "right"]
    assert sp.elements[8].text == "*Now.*"
    assert sp.title_page.get("title") == "_NIGHT TRAIN_"
    assert sp.title_page.get("credit") == "written by"
    assert sp.title_page.get("author") == "Jo Writer"
    assert sp.title_page.get("contact") == "jo@example.com"
    assert sp.title_page.get("draft date") == "Draft 3/11/2026"


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<FinalDraft><Content><Paragraph Type="Action"><Text>&lol2;</Text></Paragraph></Content></FinalDraft>"""


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (BOMB, "unsafe XML"),
        (b"<html><body>hi</body></html>", "not a Final Draft"),
        (b"<FinalDraft><Content>", "not well-formed"),
        (b"", "empty"),
    ],
)
def test_bad_fdx_refused(data, match):
    with pytest.raises(ScreenplayError, match=match):
        read_fdx(data, source="bad.fdx")
