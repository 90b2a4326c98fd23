"""The Fountain parser against the reference fixtures, the known traps and bad input."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio_kit.screenplay.errors import (
    EmptyScriptError,
    EncodingError,
    ScreenplayError,
    ScriptTooLargeError,
    UnterminatedError,
)
from studio_kit.screenplay.fountain import parse_fountain, read_fountain
from studio_kit.screenplay.model import ElementType
from studio_kit.screenplay.scenes import extract_scenes, parse_heading

from .fountain_expected import EXPECTED

FIXTURES = Path(__file__).parents[1] / "fixtures" / "fountain"


def seq(sp):
    out = []
    for e in sp.elements:
        extra = {}
        if e.scene_number:
            extra["number"] = e.scene_number
        if e.dual:
            extra["dual"] = e.dual
        if e.depth:
            extra["depth"] = e.depth
        out.append((e.type.value, e.text, extra) if extra else (e.type.value, e.text))
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_nyousefi_fixture_element_sequence(name):
    sp = read_fountain(FIXTURES / "nyousefi-FountainTests" / name)
    assert seq(sp) == EXPECTED[name]


def test_every_nyousefi_fixture_has_expectations():
    files = {p.name for p in (FIXTURES / "nyousefi-FountainTests").glob("*.fountain")}
    assert files == set(EXPECTED)


def test_afterwriting_torture_file():
    sp = read_fountain(FIXTURES / "afterwriting-test.fountain")
    counts = Counter(e.type for e in sp.elements)
    assert counts[ElementType.SCENE_HEADING] == 11
    assert counts[ElementType.TRANSITION] == 3
    # The note before the title page does not hide the title page.
    assert sp.elements[0].type is ElementType.NOTE
    assert sp.elements[0].text.startswith("Script note.")
    assert sp.title_page.get("title") == "_Screenplay title_\nSecond line"
    assert sp.title_page.get("author") == "Author 1,\n**Author 2** & Author 3"
    assert sp.title_page.get("contact") == "e-mail: email@email.com\nphone: +12 34 567 89"
    assert [k for k, _ in sp.title_page.entries] == [
        "Title", "Credit", "Author", "Source", "Notes", "Date", "Contact", "Copyright"
    ]
    # Nested boneyard is one block; the multi-line note with a blank line is one note.
    bone = [e for e in sp.elements if e.type is ElementType.BONEYARD]
    assert len(bone) == 1 and "/* nested */" in bone[0].text
    notes = [e for e in sp.elements if e.type is ElementType.NOTE]
    assert notes[-1].text.endswith("...multiline note")
    # Dual dialogue: HERO 1 left, HERO 2 right, HERO 3 ordinary.
    cues = [(e.text, e.dual) for e in sp.elements if e.type is ElementType.CHARACTER]
    assert ("HERO 2", "right") in cues and ("HERO 3", None) in cues
    assert [e.text for e in sp.elements if e.type is ElementType.LYRICS] == ["Happy birthday to you!"]
    assert any(e.type is ElementType.ACTION and e.text == "INT. ACTION" and e.forced for e in sp.elements)
    headings = [e.text for e in sp.elements if e.type is ElementType.SCENE_HEADING]
    assert "WNĘTRZE. FORCED ELEMENTS - NIGHT" in headings
    assert [e.depth for e in sp.elements if e.type is ElementType.SECTION][:2] == [1, 2]
    # CRLF line endings leave no carriage returns behind.
    assert not any("\r" in e.text for e in sp.elements)


def test_cyber_bob_episode():
    sp = read_fountain(FIXTURES / "Cyber_Bob_ep00001.fountain")
    counts = Counter(e.type for e in sp.elements)
    assert counts[ElementType.SCENE_HEADING] == 3
    assert counts[ElementType.TRANSITION] == 2
    assert counts[ElementType.BONEYARD] == 1
    assert counts[ElementType.NOTE] == 2
    assert sp.title_page.get("title").startswith("BOB THE CYBER PAWN")
    assert sp.title_page.get("copyright") == "Dedicated to the Public Domain."
    scenes = extract_scenes(sp)
    assert [(s.int_ext, s.location, s.time_of_day) for s in scenes][0] == ("EXT", "PARK", "DAY")
    # An action line with an age in parentheses is not a character cue.
    assert not any(e.type is ElementType.CHARACTER and "," in e.text for e in sp.elements)


# -- traps listed in the reference --------------------------------------------------------------

def test_dialogue_starting_with_period_is_not_a_heading():
    sp = parse_fountain("INT. RANGE - DAY\n\nBOB\n.44 magnum. Six shots.\n")
    assert seq(sp)[1:] == [("character", "BOB"), ("dialogue", ".44 magnum. Six shots.")]


def test_bom_and_i_e_heading():
    sp = parse_fountain("\ufeffTitle: X\n\nI./E. CAR - NIGHT\n\nThey drive.\n")
    assert sp.title_page.get("title") == "X"
    assert extract_scenes(sp)[0].int_ext == "INT/EXT"


def test_script_without_headings_still_has_a_scene():
    sp = parse_fountain("A dark room.\n\nBOB\nHello?\n")
    scenes = extract_scenes(sp)
    assert len(scenes) == 1 and scenes[0].speaking == ["BOB"] and scenes[0].heading == ""


def test_fade_in_is_not_a_title_page():
    sp = parse_fountain("FADE IN:\n\nINT. HOUSE - DAY\n\nQuiet.\n")
    assert not sp.title_page
    assert seq(sp)[0] == ("action", "FADE IN:")


def test_stacked_lowercase_extensions_and_forced_cue():
    sp = parse_fountain("BOB (V.O.)(cont'd)\nHi.\n\n@McCLANE (on radio)\nYippee.\n")
    assert [e.text for e in sp.elements if e.type is ElementType.CHARACTER] == [
        "BOB (V.O.)(cont'd)", "McCLANE (on radio)"
    ]


def test_action_keeps_indentation_and_emphasis():
    sp = parse_fountain("INT. X - DAY\n\n    Indented *action* with **bold**.\n\tTabbed.\n")
    assert sp.elements[1].text == "    Indented *action* with **bold**.\n    Tabbed."


def test_scene_fields():
    sp = parse_fountain(
        "INT. MARA'S FLAT - KITCHEN - NIGHT #12A#\n\n= Mara finds the letter.\n\n"
        "MARA VOSS (30s) reads. JONAS watches.\n\nMARA\nWhere?\n\n"
        "EXT. STATION - CONTINUOUS\n\nRain.\n\nJONAS\nNow.\n"
    )
    s1, s2 = extract_scenes(sp)
    assert (s1.number, s1.int_ext, s1.location, s1.time_of_day, s1.day_night) == (
        "12A", "INT", "MARA'S FLAT - KITCHEN", "NIGHT", "NIGHT"
    )
    assert s1.synopsis == "Mara finds the letter."
    assert s1.speaking == ["MARA"] and s1.non_speaking == ["JONAS"]
    assert (s2.number, s2.time_of_day, s2.day_night) == ("13", "CONTINUOUS", "NIGHT")


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("INT. HOUSE - DAY", ("INT", "HOUSE", "DAY")),
        ("EXT. PARK--DAY", ("EXT", "PARK", "DAY")),
        ("INT HOUSE DAY", ("INT", "HOUSE", "DAY")),
        ("EST. CITY - NIGHT", ("EXT", "CITY", "NIGHT")),
        ("INT./EXT. CAR - MOVING - DUSK", ("INT/EXT", "CAR - MOVING", "DUSK")),
        ("INT. HOUSE - DAY - FLASHBACK (1944)", ("INT", "HOUSE", "DAY")),
        ("KITCHEN", ("", "KITCHEN", "")),
        ("int. house - day", ("INT", "HOUSE", "DAY")),
        ("EXT. ROAD - LATE NIGHT", ("EXT", "ROAD", "LATE NIGHT")),
    ],
)
def test_parse_heading(heading, expected):
    assert parse_heading(heading) == expected


# -- bad input ---------------------------------------------------------------------------------

def test_non_utf8_names_file_and_line(tmp_path):
    p = tmp_path / "latin1.fountain"
    p.write_bytes("INT. CAF\u00c9 - DAY\n\nOK.\n\nCr\u00e8me br\u00fbl\u00e9e.\n".encode("latin-1"))
    with pytest.raises(EncodingError) as err:
        read_fountain(p)
    msg = str(err.value)
    assert str(p) in msg and ":1:" in msg and "UTF-8" in msg
    sp = read_fountain(p, encoding="cp1252")  # the fix the message suggests works
    assert sp.elements[0].text == "INT. CAF\u00c9 - DAY"


@pytest.mark.parametrize("blob", [b"%PDF-1.7\n\x00\x01\x02binary", b"PK\x03\x04\x00\x00zip", bytes(range(256)) * 8])
def test_binary_file_refused(tmp_path, blob):
    p = tmp_path / "script.fountain"
    p.write_bytes(blob)
    with pytest.raises(EncodingError, match="not a Fountain text file"):
        read_fountain(p)


@pytest.mark.parametrize("content", [b"", b"   \n\n\t\n"])
def test_empty_file(tmp_path, content):
    p = tmp_path / "empty.fountain"
    p.write_bytes(content)
    with pytest.raises(EmptyScriptError, match="empty"):
        read_fountain(p)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ScreenplayError, match="not found"):
        read_fountain(tmp_path / "nope.fountain")
    with pytest.raises(ScreenplayError, match="folder"):
        read_fountain(tmp_path)


def test_unterminated_boneyard_names_its_line():
    with pytest.raises(UnterminatedError) as err:
        parse_fountain("INT. A - DAY\n\nAction.\n\n/* cut this\n\nmore\n", source="s.fountain")
    assert str(err.value).startswith("s.fountain:5:")


def test_unterminated_note_names_its_line():
    with pytest.raises(UnterminatedError) as err:
        parse_fountain("INT. A - DAY\n\nAction [[ oops\n", source="s.fountain")
    assert str(err.value).startswith("s.fountain:3:")


def test_too_large_file_refused_before_reading(tmp_path):
    p = tmp_path / "big.fountain"
    p.write_bytes(b"Action line.\n\n" * 1000)
    with pytest.raises(ScriptTooLargeError, match="limit"):
        read_fountain(p, max_bytes=1000)


def test_enormous_file_parses(tmp_path):
    block = "INT. HALL - DAY\n\nPeople walk.\n\nBOB\nHello there, how are you?\n\n"
    text = block * 200_000  # ~13 MB
    sp = parse_fountain(text)
    assert sum(1 for e in sp.elements if e.type is ElementType.SCENE_HEADING) == 200_000


def test_line_numbers_survive_multiline_notes():
    sp = parse_fountain("[[a\nb\nc]]\n\nINT. A - DAY\n\nBOB\nHi.\n")
    assert [(e.type.value, e.line) for e in sp.elements] == [
        ("note", 1), ("scene_heading", 5), ("character", 7), ("dialogue", 8)
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                ["", "INT. A - DAY", "BOB", "(beat)", "/*", "*/", "[[", "]]", "> X <", "> CUT TO:", "~la",
                 "===", "# Act", "= syn", "@bob", "Title: T", "   cont", "BOB ^", "!ACTION", ".FORCED", "  "]
            ),
        ),
        max_size=30,
    )
)
def test_parser_terminates_with_screenplay_or_clear_error(lines):
    text = "\n".join(lines)
    try:
        sp = parse_fountain(text, source="fuzz.fountain")
    except ScreenplayError as exc:
        assert str(exc).startswith("fuzz.fountain")
        return
    for e in sp.elements:
        assert isinstance(e.text, str) and e.line >= 1
    extract_scenes(sp)


def test_unknown_single_key_line_is_script_not_title_page():
    sp = parse_fountain("FADE IN: a dark room.\n\nINT. HOUSE - DAY\n\nQuiet.\n")
    assert not sp.title_page and seq(sp)[0] == ("action", "FADE IN: a dark room.")
    sp = parse_fountain("Series: Night Train\nEpisode: 3\n\nINT. A - DAY\n\nB.\n")
    assert sp.title_page.entries == [("Series", "Night Train"), ("Episode", "3")]


def test_note_between_dual_speeches_keeps_the_pair():
    sp = parse_fountain("BOB\nHi.\n\n[[check line]]\n\nALICE ^\nHey.\n")
    assert [(e.type.value, e.dual) for e in sp.elements] == [
        ("character", "left"), ("dialogue", "left"), ("note", None), ("character", "right"), ("dialogue", "right")
    ]
