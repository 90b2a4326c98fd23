"""Shot lists: the coverage rules on scenes whose right answer can be told by hand, the edit of a
scene over its coverage, the LLM answer parser, and the models' validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio_kit.screenplay import analyze, load_script, parse_fountain
from studio_kit.writing import shots as S

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "night_train.fountain"

SCRIPT = """\
EXT. HARBOUR WALL - NIGHT

Rain. NINA (30s) runs along the wall, a LANTERN in her hand. She stops at the iron RING.

INT. HARBOUR OFFICE - NIGHT

TOM waits by the window. NINA bursts in and drops the lantern on the desk. KAY (60s) watches from the door.

NINA
(angry)
You left me out there.

TOM
I had no choice.

NINA
There is always a choice.

TOM
Not tonight.

INT. HARBOUR OFFICE - NIGHT

TOM sits alone.

TOM
Three days. Three days and nothing.
"""


@pytest.fixture(scope="module")
def script():
    return analyze(parse_fountain(SCRIPT))


def _lists(a, props=None):
    out = []
    for k, sc in enumerate(a.scenes):
        prev = a.scenes[k - 1].location if k else None
        out.append(S.default_shot_list(a.screenplay, sc, props=(props or {}).get(sc.number, ()), previous_location=prev))
    return out


def test_exterior_opening_gets_establishing_master_and_prop_inserts(script):
    sl = _lists(script, {"1": ["lantern", "iron ring", "anchor"]})[0]
    kinds = [s.kind for s in sl.shots]
    # a silent scene: no reaction, a single that tracks her; the anchor is never named: no insert
    assert kinds == ["establishing", "master", "single", "insert", "insert"]
    est, master = sl.shots[0], sl.shots[1]
    assert est.size == "EWS" and est.angle == "high" and est.characters == ()
    assert master.characters == ("NINA",) and master.size == "FS" and master.movement == "handheld"  # she runs
    assert sl.shots[2].movement == "tracking" and sl.shots[2].characters == ("NINA",)
    assert [s.props for s in sl.shots[3:]] == [("lantern",), ("iron ring",)]
    assert [s.number for s in sl.shots] == ["1A", "1B", "1C", "1D", "1E"]


def test_two_hander_gets_two_shot_ots_pair_and_a_reaction_for_the_silent(script):
    sl = _lists(script)[1]
    by_kind = {}
    for s in sl.shots:
        by_kind.setdefault(s.kind, []).append(s)
    assert len(by_kind["establishing"]) == 1 and by_kind["establishing"][0].size == "WS"  # interior: WS, eye
    assert set(by_kind["master"][0].characters) == {"NINA", "TOM", "KAY"}
    assert by_kind["two-shot"][0].characters == ("NINA", "TOM")
    assert [(s.subject, s.characters) for s in by_kind["ots"]] == [("NINA", ("NINA", "TOM")), ("TOM", ("TOM", "NINA"))]
    assert [s.subject for s in by_kind["reaction"]] == ["KAY"]


def test_same_location_continues_without_establishing_and_a_monologue_gets_a_push_in(script):
    sl = _lists(script)[2]
    assert [s.kind for s in sl.shots] == ["master", "single"]
    assert sl.shots[0].size == "FS"  # one character in the master


def test_seconds_add_up_to_the_scene_estimate_and_no_shot_is_left_out(script):
    for sl, sc in zip(_lists(script, {"1": ["lantern", "iron ring"]}), script.scenes, strict=True):
        assert sl.seconds == pytest.approx(S.scene_seconds(sc), abs=0.05)
        assert all(s.seconds > 0 for s in sl.shots), [(s.number, s.seconds) for s in sl.shots]


def test_the_edit_plays_every_beat_once_in_script_order_on_the_right_shot(script):
    a = script
    sc = a.scenes[1]
    sl = _lists(a)[1]
    beats = S.scene_beats(a.screenplay, sc)
    assert [b.kind for b in beats] == ["action", "dialogue", "dialogue", "dialogue", "dialogue"]
    assert beats[1].parenthetical == "(angry)" and beats[1].character == "NINA"
    cuts = S.cut_scene(sl, beats, 60.0)
    played = [b for c in cuts for b in c.beats]
    assert played == beats
    assert sum(c.seconds for c in cuts) == pytest.approx(60.0, abs=0.05)
    shot_of = {b.text: c.shot for c in cuts for b in c.beats}
    kinds = {s.number: s for s in sl.shots}
    assert kinds[shot_of["You left me out there."]].kind == "two-shot"  # the first line of a two-hander
    assert kinds[shot_of["I had no choice."]].subject == "TOM"
    assert kinds[shot_of["There is always a choice."]].subject == "NINA"
    assert kinds[cuts[0].shot].kind == "establishing" and kinds[cuts[1].shot].kind == "master"


def test_sample_script_every_scene_covered_and_timed():
    a = analyze(load_script(SAMPLE))
    total = 0
    for k, sc in enumerate(a.scenes):
        sl = S.default_shot_list(a.screenplay, sc, previous_location=a.scenes[k - 1].location if k else None)
        total += len(sl.shots)
        assert sl.seconds == pytest.approx(S.scene_seconds(sc), abs=0.05)
        speakers = set(sc.speaking)
        covered = {c for s in sl.shots if s.kind in ("single", "ots", "two-shot") for c in s.characters}
        assert speakers <= covered | {c for s in sl.shots if s.kind == "master" for c in s.characters}
        S.validate(sl)
    assert total > 2 * len(a.scenes)


def test_shot_numbers_skip_i_and_o():
    assert [S.shot_number("4", k) for k in (0, 7, 8, 12, 13)] == ["4A", "4H", "4J", "4N", "4P"]
    assert S.shot_number("4", 24) == "4AA"


def test_json_round_trip_and_edits_are_validated(script):
    sl = _lists(script)[1]
    again = S.ShotList.from_json(sl.to_json())
    assert again == sl
    longer = sl.edited([*sl.shots, S.Shot("2Z", "CU", kind="single", subject="KAY", characters=("KAY",), seconds=2)])
    assert longer.source == "edited" and len(longer.shots) == len(sl.shots) + 1
    with pytest.raises(S.ShotListError, match=r"shot 2Y: BOB is not in this scene"):
        sl.edited([*sl.shots, S.Shot("2Y", "CU", kind="single", subject="BOB", characters=("BOB",))])
    with pytest.raises(S.ShotListError, match="used twice"):
        sl.edited([*sl.shots, sl.shots[0]])


@pytest.mark.parametrize(("field", "value", "message"), [
    ("size", "BIG", "size 'BIG' is not one of"), ("angle", "dutch", "angle 'dutch'"),
    ("movement", "fly", "movement 'fly'"), ("kind", "hero", "kind 'hero'"), ("seconds", -1, "seconds must be"),
])
def test_shot_fields_are_checked(field, value, message):
    with pytest.raises(S.ShotListError, match=message):
        S.Shot(**{"number": "1A", "size": "MS", field: value})
    with pytest.raises(S.ShotListError, match="unknown fields"):
        S.Shot.from_dict({"number": "1A", "size": "MS", "lens": "50mm"})


def test_llm_answer_with_fences_synonyms_and_a_bad_shot(script):
    sc = script.scenes[1]
    answer = "Here is the coverage:\n```json\n" + json.dumps([
        {"size": "wide shot", "angle": "eye level", "movement": "static", "kind": "master",
         "subject": "the office", "characters": ["Nina", "TOM"], "description": "All three.", "seconds": 12},
        {"size": "close-up", "angle": "low angle", "movement": "push in", "kind": "single", "subject": "NINA",
         "characters": "NINA", "description": "Nina's anger.", "seconds": 4},
        {"size": "MCU", "angle": "eye", "movement": "static", "kind": "single", "subject": "BOB",
         "characters": ["BOB"], "description": "Who?", "seconds": 3},
        {"size": "ginormous", "characters": []},
        {"size": "CU", "kind": "insert", "seconds": "Infinity"},
    ]) + "\n```\nGood luck!"
    sl, problems = S.parse_llm_shots(answer, sc, sc.characters, scene_uid="u2")
    assert [(s.number, s.size, s.angle, s.movement) for s in sl.shots] == [
        ("2A", "WS", "eye", "static"), ("2B", "CU", "low", "push in")]
    assert sl.shots[0].characters == ("NINA", "TOM") and sl.source == "llm" and sl.scene_uid == "u2"
    assert len(problems) == 3
    assert "shot 3 of the model's list: BOB is not in this scene" in problems[0]
    assert "shot 4 of the model's list" in problems[1] and "size 'ginormous'" in problems[1]
    assert "shot 5 of the model's list" in problems[2] and "finite number" in problems[2]


@pytest.mark.parametrize("answer", ["", "I cannot help with that.", '{"shots": "none"}', "[1, 2, 3]"])
def test_llm_garbage_is_a_clear_error_naming_the_scene(script, answer):
    sc = script.scenes[1]
    with pytest.raises(S.ShotListError, match=r"(scene 2|no JSON array)"):
        S.parse_llm_shots(answer, sc, sc.characters)


def test_llm_object_wrapping_the_array_is_unwrapped(script):
    sc = script.scenes[0]
    sl, problems = S.parse_llm_shots('{"shots": [{"size": "EWS", "kind": "establishing"}]}', sc, sc.characters)
    assert [s.size for s in sl.shots] == ["EWS"] and problems == []


def test_csv_export_has_one_row_per_shot(script):
    lists = _lists(script)
    text = S.to_csv(lists)
    lines = text.strip().splitlines()
    assert lines[0].split(",")[:3] == ["scene", "shot", "size"]
    assert len(lines) == 1 + sum(len(sl.shots) for sl in lists)
