"""Pagination rules and page eighths."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio_kit.screenplay.fountain import parse_fountain, read_fountain
from studio_kit.screenplay.model import ElementType
from studio_kit.screenplay.pagination import (
    A4,
    LETTER,
    layout_for,
    paginate,
    parse_emphasis,
    scene_lengths,
    wrap_runs,
)
from studio_kit.screenplay.scenes import extract_scenes

FIX = Path(__file__).parents[1] / "fixtures" / "fountain"


def long_script(scenes: int = 60) -> str:
    out = ["Title: Long"]
    for k in range(scenes):
        out.append(f"\nINT. ROOM {k} - {'DAY' if k % 2 else 'NIGHT'}\n")
        out.append(("Rain hammers the window while the kettle screams on the stove. " * (1 + k % 4)).strip() + "\n")
        out.append("MARA\n" + ("I told you the train would not wait for anyone, least of all us. " * (1 + k % 6)).strip()
                   + "\n")
        if k % 7 == 3:
            out.append("CUT TO:\n")
    return "\n".join(out)


def rows_text(page):
    return [" | ".join(ln.text for ln in row) for row in page.rows]


def test_widths_and_indents():
    pag = paginate(parse_fountain(long_script()))
    for page in pag.pages:
        for row in page.rows:
            for ln in row:
                limit = {ElementType.ACTION: 61, ElementType.DIALOGUE: 36, ElementType.PARENTHETICAL: 26,
                         ElementType.SCENE_HEADING: 61}.get(ln.kind)
                if limit and ln.column is None:
                    assert len(ln.text) <= limit
                if ln.kind is ElementType.DIALOGUE and ln.column is None:
                    assert ln.x == LETTER.dialogue_x
                if ln.kind is ElementType.SCENE_HEADING:
                    assert ln.x == LETTER.action_x
        assert len(page.rows) <= LETTER.lines_per_page


def test_break_rules_hold_on_every_page():
    pag = paginate(parse_fountain(long_script(120)))
    assert pag.page_count > 10
    for page in pag.pages:
        nonblank = [row for row in page.rows if row]
        assert page.rows[0], "no page starts with a blank row"
        assert nonblank[-1][0].kind is not ElementType.SCENE_HEADING, f"page {page.number} ends on a heading"
        assert nonblank[0][0].kind is not ElementType.TRANSITION, f"page {page.number} starts with a transition"
        last = nonblank[-1][0]
        assert last.kind is not ElementType.PARENTHETICAL


def test_speech_across_pages_gets_more_and_contd():
    text = "INT. A - DAY\n\n" + "Filler line of action.\n\n" * 20 + "MARA\n" + "Word after word, sentence after sentence. " * 40
    pag = paginate(parse_fountain(text))
    assert pag.page_count == 2
    p1, p2 = rows_text(pag.pages[0]), rows_text(pag.pages[1])
    assert p1[-1] == "(MORE)"
    assert p2[0] == "MARA (CONT'D)"
    assert p1[-2].rstrip().endswith(".")  # broke after a full sentence
    # at least two lines of the speech stay before the break
    dialogue_on_p1 = [r for r in pag.pages[0].rows if r and r[0].kind is ElementType.DIALOGUE]
    assert len(dialogue_on_p1) >= 2


def test_short_action_never_split_long_action_keeps_two_lines_each_side():
    filler = "Line.\n\n" * 26  # 52 rows
    pag = paginate(parse_fountain("INT. A - DAY\n\n" + filler + "One.\nTwo.\nThree.\n"))
    assert rows_text(pag.pages[1])[:3] == ["One.", "Two.", "Three."]
    pag = paginate(parse_fountain("INT. A - DAY\n\n" + filler[:-14] + "\n".join(f"line {k}." for k in range(6)) + "\n"))
    p1 = [t for t in rows_text(pag.pages[0]) if t.startswith("line ")]
    p2 = [t for t in rows_text(pag.pages[1]) if t.startswith("line ")]
    assert len(p1) >= 2 and len(p2) >= 2 and len(p1) + len(p2) == 6


def test_heading_kept_with_following_lines():
    text = "INT. A - DAY\n\n" + "Line.\n\n" * 26 + "INT. B - NIGHT\n\nThe next scene starts here.\n"
    pag = paginate(parse_fountain(text))
    assert rows_text(pag.pages[1])[0] == "INT. B - NIGHT"


def test_transition_not_alone_at_top_of_page():
    text = "INT. A - DAY\n\n" + "Line.\n\n" * 26 + "Last words\nof the scene.\n\nCUT TO:\n\nINT. B - DAY\n\nMore.\n"
    pag = paginate(parse_fountain(text))
    top = rows_text(pag.pages[1])
    assert top[0] != "CUT TO:" and "CUT TO:" in top


def test_page_break_element_starts_a_page():
    sp = read_fountain(FIX / "nyousefi-FountainTests" / "PageBreaks.fountain")
    pag = paginate(sp)
    assert [rows_text(p)[0] for p in pag.pages] == ["Page one.", "Page two.", "Page three."]


def test_dual_dialogue_shares_rows():
    pag = paginate(read_fountain(FIX / "nyousefi-FountainTests" / "DualDialogue.fountain"))
    rows = [r for r in pag.pages[0].rows if r]
    assert [len(r) for r in rows] == [2, 2]
    assert {ln.column for ln in rows[0]} == {"left", "right"}
    assert rows[0][0].x < rows[0][1].x


def test_eighths_sum_to_the_printed_span():
    sp = parse_fountain(long_script(80))
    pag = paginate(sp)
    scenes = extract_scenes(sp)
    scene_lengths(pag, scenes)
    start = pag.element_pos[scenes[0].first]
    assert sum(s.eighths_exact for s in scenes) == pytest.approx((pag.end_pos - start) * 8 / LETTER.lines_per_page)
    assert all(s.eighths >= 1 for s in scenes)
    assert all(abs(s.eighths - s.eighths_exact) <= 0.5 or s.eighths == 1 for s in scenes)
    assert scenes[0].page_start == 1 and (pag.end_pos - 1) // LETTER.lines_per_page + 1 == pag.page_count


def test_a4_holds_more_lines_per_page():
    sp = parse_fountain(long_script(150))
    assert paginate(sp, A4).page_count <= paginate(sp, LETTER).page_count
    assert layout_for("A4") is A4
    with pytest.raises(ValueError, match="letter"):
        layout_for("legal")


def test_emphasis_and_wrapping():
    runs = parse_emphasis(r"a *it* **bo** ***bi*** _un_ \*lit\* 5*3")
    styled = [(r.text, r.bold, r.italic, r.underline) for r in runs if r.text.strip()]
    assert ("it", False, True, False) in styled and ("bo", True, False, False) in styled
    assert ("bi", True, True, False) in styled and ("un", False, False, True) in styled
    assert "".join(r.text for r in runs).endswith("*lit* 5*3")
    lines = wrap_runs("word " * 30, 20)
    assert all(sum(len(r.text) for r in ln) <= 20 for ln in lines)
    assert wrap_runs("x" * 50, 20)[0][0].text == "x" * 20  # a long word is broken, not lost


def test_note_inside_dual_exchange_does_not_print():
    pag = paginate(parse_fountain("BOB\nHi.\n\n[[check line]]\n\nALICE ^\nHey.\n"))
    assert [[ln.text for ln in r] for r in pag.pages[0].rows] == [["BOB", "ALICE"], ["Hi.", "Hey."]]
