"""Fountain export: what our parser reads back is what was written, and forcing marks appear
exactly where a plain line would be read as something else."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio_kit.screenplay.fountain import parse_fountain, read_fountain
from studio_kit.screenplay.fountain_writer import to_fountain
from studio_kit.screenplay.model import Element, ElementType, Screenplay, TitlePage

T = ElementType
FIXTURES = Path(__file__).parents[1] / "fixtures" / "fountain"
ALL_FIXTURES = sorted(FIXTURES.rglob("*.fountain"))


def seq(sp: Screenplay) -> list[tuple]:
    """The element sequence as the project compares scripts: line numbers and forcing ignored."""
    return [(e.type.value, e.text, e.scene_number, e.dual, e.depth) for e in sp.elements]


def assert_same(a: Screenplay, b: Screenplay) -> None:
    assert seq(b) == seq(a)
    assert b.title_page.entries == a.title_page.entries


def round_trip(sp: Screenplay) -> tuple[str, Screenplay]:
    text = to_fountain(sp)
    back = parse_fountain(text)
    assert_same(sp, back)
    return text, back


def test_fixtures_are_all_found():
    names = {p.name for p in ALL_FIXTURES}
    assert len(ALL_FIXTURES) == 18
    assert {"afterwriting-test.fountain", "Cyber_Bob_ep00001.fountain", "DualDialogue.fountain"} <= names


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=lambda p: p.name)
def test_fixture_round_trip(path):
    sp = read_fountain(path)
    text, back = round_trip(sp)
    # Writing what we read back gives the same text: no forcing marks pile up.
    assert to_fountain(back) == text


def sp_of(*elements: Element, title: list[tuple[str, str]] | None = None) -> Screenplay:
    return Screenplay(title_page=TitlePage(list(title or [])), elements=list(elements))


def E(t: ElementType, text: str = "", **kw) -> Element:  # noqa: N802 - reads like a constructor
    return Element(t, text, **kw)


def body(sp: Screenplay) -> list[str]:
    """Blocks of the written script (title page included), split at blank lines."""
    return to_fountain(sp).rstrip("\n").split("\n\n")


# -- forcing exactly where needed ----------------------------------------------------------


def test_natural_elements_are_not_forced():
    sp = sp_of(
        E(T.SCENE_HEADING, "INT. HOUSE - DAY", scene_number="12A"),
        E(T.SCENE_HEADING, "int. lower case heading"),
        E(T.SCENE_HEADING, "I/E. CAR - MOVING"),
        E(T.ACTION, "A single uppercase line stays action:\nBOB LOOKS UP."),
        E(T.ACTION, "BOB"),
        E(T.CHARACTER, "BOB (cont'd)"),
        E(T.DIALOGUE, "Hi."),
        E(T.TRANSITION, "SMASH CUT TO:"),
    )
    _, back = round_trip(sp)
    assert body(sp) == [
        "INT. HOUSE - DAY #12A#",
        "int. lower case heading",
        "I/E. CAR - MOVING",
        "A single uppercase line stays action:\nBOB LOOKS UP.",
        "BOB",
        "BOB (cont'd)\nHi.",
        "SMASH CUT TO:",
    ]


def test_elements_that_would_be_misread_are_forced():
    sp = sp_of(
        E(T.SCENE_HEADING, "THE LAB", scene_number="3"),
        E(T.ACTION, "BOB\nwalks in."),  # would be a cue
        E(T.ACTION, "INT. ACTION"),  # would be a heading
        E(T.ACTION, "CUT TO:"),  # would be a transition
        E(T.ACTION, "> not centered <"),
        E(T.ACTION, "~not lyrics"),
        E(T.ACTION, "# not a section\n## nor this\n===\n!bang"),
        E(T.ACTION, "=not a synopsis"),
        E(T.ACTION, "!starts with a bang"),
        E(T.ACTION, ".44 magnum on the table"),
        E(T.ACTION, "@handle\nof the knife"),
        E(T.CHARACTER, "McCLANE"),
        E(T.DIALOGUE, "Yippee."),
        E(T.CHARACTER, "INT. GUY"),
        E(T.DIALOGUE, "I sound like a heading."),
        E(T.TRANSITION, "Fade out."),
        E(T.TRANSITION, "DISSOLVE"),
    )
    round_trip(sp)
    assert body(sp) == [
        ".THE LAB #3#",
        "!BOB\nwalks in.",
        "!INT. ACTION",
        "!CUT TO:",
        "!> not centered <",
        "!~not lyrics",
        "!# not a section\n!## nor this\n!===\n!!bang",
        "!=not a synopsis",
        "!!starts with a bang",
        "!.44 magnum on the table",
        "!@handle\nof the knife",
        "@McCLANE\nYippee.",
        "@INT. GUY\nI sound like a heading.",
        "> Fade out.",
        "> DISSOLVE",
    ]


def test_dialogue_starting_with_a_dot_stays_dialogue():
    sp = sp_of(E(T.CHARACTER, "BOB"), E(T.DIALOGUE, ".44 magnum.\n...and a #2 pencil.\n!Loud!"))
    _, back = round_trip(sp)
    assert back.elements[1].type is T.DIALOGUE


def test_action_leading_whitespace_is_kept_when_forced():
    sp = sp_of(E(T.ACTION, "    BOB\n  waits."), E(T.ACTION, "    indented plain action"))
    text, _ = round_trip(sp)
    assert "!    BOB\n  waits.\n\n    indented plain action" in text


def test_action_that_looks_like_a_title_page_is_forced_when_no_title_page():
    sp = sp_of(E(T.NOTE, "first a note"), E(T.ACTION, "Title: this is action"), E(T.ACTION, "Author: me"))
    text, _ = round_trip(sp)
    assert text.startswith("[[first a note]]\n\n!Title: this is action\n\nAuthor: me")
    cue = sp_of(E(T.CHARACTER, "RADIO: CHANNEL 9"), E(T.DIALOGUE, "Over."))
    text, _ = round_trip(cue)
    assert text.startswith("@RADIO: CHANNEL 9")


def test_dual_dialogue_with_parentheticals_and_lyrics():
    sp = sp_of(
        E(T.CHARACTER, "ADAM", dual="left"),
        E(T.PARENTHETICAL, "(shouting)", dual="left"),
        E(T.DIALOGUE, "Yes.", dual="left"),
        E(T.CHARACTER, "Eve", dual="right"),
        E(T.DIALOGUE, "No.", dual="right"),
        E(T.LYRICS, "La la la\nla", dual="right"),
        E(T.CHARACTER, "ADAM"),
        E(T.DIALOGUE, "Fine."),
    )
    text, _ = round_trip(sp)
    assert "@Eve ^\nNo.\n~La la la\n~la" in text


def test_kept_blank_line_in_dialogue_and_speech_lyrics():
    sp = sp_of(
        E(T.CHARACTER, "SINGER"),
        E(T.DIALOGUE, "First verse.\n\nSecond verse."),
        E(T.LYRICS, "Oh my darling"),
        E(T.PARENTHETICAL, "(beat)"),
        E(T.DIALOGUE, "Clementine."),
        E(T.LYRICS, "A standalone lyric"),
    )
    text, _ = round_trip(sp)
    assert "First verse.\n  \nSecond verse." in text


def test_non_printing_elements_and_centered_text():
    sp = sp_of(
        E(T.BONEYARD, " cut:\nINT. OLD SCENE - DAY\n"),
        E(T.SECTION, "Act One", depth=1),
        E(T.SECTION, "The heist", depth=3),
        E(T.SYNOPSIS, "They get in, and out."),
        E(T.SCENE_HEADING, "EXT. BANK - NIGHT"),
        E(T.NOTE, "check the permit\nwith the city"),
        E(T.CENTERED, "THE END\n*really*"),
        E(T.PAGE_BREAK),
        E(T.ACTION, "After the break."),
        E(T.PAGE_BREAK),
    )
    text, _ = round_trip(sp)
    assert "### The heist" in text and "= They get in, and out." in text
    assert "[[check the permit\nwith the city]]" in text
    assert "> THE END <\n> *really* <" in text


def test_title_page_multi_line_values_and_unknown_keys():
    sp = sp_of(
        E(T.NOTE, "a note before the title page"),
        E(T.SCENE_HEADING, "INT. HOUSE - DAY"),
        title=[
            ("Title", "_BIG FISH_\nPart Two"),
            ("Credit", "Written by"),
            ("Authors", "Jo Writer\n**Sam** Other"),
            ("Revision", "Blue"),
            ("Draft date", "3 March 2026"),
            ("Contact", "Jo Writer\njo@example.com\n+1 555 0100"),
        ],
    )
    text, _ = round_trip(sp)
    assert text.startswith("Title:\n   _BIG FISH_\n   Part Two\nCredit: Written by\nAuthors:\n")
    assert "Revision: Blue\n" in text


def test_unknown_title_key_first():
    sp = sp_of(E(T.ACTION, "Hello."), title=[("Revision", "Blue"), ("Working Title", "Fish"), ("Title", "X")])
    round_trip(sp)


def test_parenthetical_without_parentheses_is_wrapped():
    sp = sp_of(E(T.CHARACTER, "BOB"), E(T.PARENTHETICAL, "beat"), E(T.DIALOGUE, "Hm."))
    back = parse_fountain(to_fountain(sp))
    assert [(e.type, e.text) for e in back.elements][1] == (T.PARENTHETICAL, "(beat)")


def test_inline_notes_and_emphasis_are_kept_verbatim():
    sp = sp_of(
        E(T.SCENE_HEADING, "INT. HOUSE [[check location]] - DAY"),
        E(T.ACTION, "She *whispers* **loudly**, _underlined_, ***both*** [[inline]]."),
        E(T.CHARACTER, "BOB [[new name?]]"),
        E(T.DIALOGUE, "Escaped \\*stars\\* stay."),
    )
    round_trip(sp)


def test_empty_screenplay_writes_nothing():
    assert to_fountain(Screenplay()) == ""


# -- property: action paragraphs built from lines that tempt the parser ----------------------

TEMPTING = [
    "INT. HOUSE - DAY", "EXT. PARK", "int. kitchen", "I/E. CAR", "BOB", "BOB (V.O.)", "McDUCK",
    "CUT TO:", "Fade to:", "> CENTER <", "> forced", "~lyric", "===", "= synopsis", "# section",
    "## deeper", "!bang", "@at", ".dot", "..", "...", "  indented", "Title: x",
    "plain words", "*italic*", "(paren)", "[[note]]", "/* bone */", "^", "A ^",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.sampled_from(TEMPTING), min_size=1, max_size=4).map(lambda ls: "\n".join(ls)),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
)
def test_tempting_action_round_trips(paragraphs, with_title):
    sp = sp_of(*(E(T.ACTION, p) for p in paragraphs), title=[("Title", "T")] if with_title else None)
    round_trip(sp)


# Inside a speech only "(...)" and "~..." lines change meaning (Fountain has no escape for them),
# and dialogue lines lose their indentation, as the parser strips them.
IN_SPEECH = [x for x in TEMPTING if not x.startswith(("(", "~", " "))] + ["Hello.", ".44", "!wow", "@me", "#1"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["BOB", "McCLANE", "ANNA (V.O.)", "int. guy", "THE BOSS (cont'd)", "R2D2"]),
            st.lists(st.sampled_from(IN_SPEECH), min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_tempting_speeches_round_trip(speeches):
    els = []
    for cue, lines in speeches:
        els += [E(T.CHARACTER, cue), E(T.DIALOGUE, "\n".join(lines))]
    round_trip(sp_of(*els))
