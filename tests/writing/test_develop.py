"""The development pipeline, logline to script: template mode with the real n-gram writer,
structured mode against a real HTTP server on 127.0.0.1 replaying recorded answers (a 500, a
stall past the timeout, a refusal), the tiny random-weight LM whose noise must be rejected item by
item, and re-runs after editing the outline or for one scene."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from studio_kit.generation.base import BackendSpec
from studio_kit.generation.hf_text import EndpointTextBackend
from studio_kit.generation.profile import DEFAULTS, load_backend
from studio_kit.screenplay import parse_fountain
from studio_kit.screenplay.scenes import extract_scenes
from studio_kit.store import ProjectScope, Store
from studio_kit.studio import ALL_MIGRATIONS
from studio_kit.writing import develop as dv
from tests.generation.test_text_endpoint import ReplayServer, Reply, chat_reply

REPLAYS = json.loads((Path(__file__).parent / "develop_replays" / "night_shift.json").read_text())
LOGLINE = ("When Maya, a night-train conductor, finds a stowaway on the last train to Hollin, "
           "she must hide him from Inspector Ilse.")


@pytest.fixture
def scope() -> Iterator[ProjectScope]:
    migrations = ALL_MIGRATIONS if any(m.component == "development" for m in ALL_MIGRATIONS) else \
        (*ALL_MIGRATIONS, *dv.MIGRATIONS)
    store = Store.open(None, migrations=migrations)
    yield store.ensure_project("acme", "film")
    store.close()


@pytest.fixture(scope="module")
def ngram() -> dv.BackendTextJobs:
    return dv.BackendTextJobs(load_backend(DEFAULTS["text"]))


def latest_script(scope: ProjectScope, script_id: str) -> tuple[int, str]:
    return scope.one("SELECT version, source_text FROM {script_version} WHERE script_id = $s "
                     "ORDER BY version DESC LIMIT 1", {"s": script_id})


def steps(scope: ProjectScope, run_id: str) -> list[tuple[str, int]]:
    return [(r[0], r[1]) for r in scope.rows("SELECT step, version FROM {development_step} WHERE run_id = $r "
                                             "ORDER BY step, version", {"r": run_id})]


# -- pure parts ---------------------------------------------------------------------------------------

def test_premise_derives_cast_and_places_and_round_trips() -> None:
    p = dv.Premise.make("Night Shift", LOGLINE, target_pages=8)
    assert [c.name for c in p.characters] == ["MAYA", "INSPECTOR ILSE"]
    assert p.locations == ("LAST TRAIN", "HOLLIN")
    assert dv.Premise.from_json(p.to_json()) == p
    given = dv.Premise.make("X", "a story", characters=[{"name": "ada", "voice": "curt"}], locations=["EXT. PIER"])
    assert given.characters[0].name == "ADA" and given.characters[0].voice == "curt"
    assert dv.Premise.make("X", "nobody here").characters[0].name == "PROTAGONIST"
    with pytest.raises(dv.DevelopError, match="target_pages"):
        dv.Premise.make("X", "y", target_pages=0)
    with pytest.raises(dv.DevelopError, match="unknown fields"):
        dv.Premise.from_dict({"title": "X", "logline": "y", "budget": 3})


def test_scene_validation_says_why() -> None:
    s = dv.OutlineScene(3, "INT. CAB - NIGHT", "Maya drives.", ("MAYA",), "Midpoint")
    good = dv.validate_scene("```fountain\nINT. CAB - NIGHT #9#\n\nRain.\n\nMAYA\nGo.\n\nGHOST\nBoo.\n```", s, {"MAYA"})
    assert good.fountain.startswith("INT. CAB - NIGHT\n") and good.heading == "INT. CAB - NIGHT"
    assert good.warnings == ("speaking characters not in the cast: GHOST",)
    cases = {
        "": "empty",
        '{"scene": "INT. CAB - NIGHT"}': "JSON, not a Fountain scene",
        "Sure! Here it is.\n\nINT. CAB - NIGHT\n\nRain.": "does not start with a scene heading",
        "INT. CAB - NIGHT\n\nRain.\n\nEXT. ROAD - NIGHT\n\nMore rain.": "2 scene headings",
        "INT. CAB - NIGHT\n": "no action or dialogue",
        "EXT. CAB - NIGHT\n\nRain.": "the outline says 'INT. CAB - NIGHT'",
    }
    for answer, why in cases.items():
        with pytest.raises(ValueError, match=why):
            dv.validate_scene(answer, s, {"MAYA"})


def test_dialogue_pass_keeps_the_structure() -> None:
    s = dv.OutlineScene(1, "INT. CAB - NIGHT", "x", ("MAYA",), "Midpoint")
    w = dv.validate_scene("INT. CAB - NIGHT\n\nRain.\n\nMAYA\nGo.\n\nBRUNO\n(quietly)\nNo.\n", s, {"MAYA", "BRUNO"})
    out = dv.apply_dialogue(w, ["Drive.", "BRUNO: Not tonight."], {"MAYA", "BRUNO"})
    assert [(n, t) for n, t, _ in dv.dialogue_lines(out)] == [("MAYA", "Drive."), ("BRUNO", "Not tonight.")]
    assert "(quietly)" in out.fountain
    with pytest.raises(ValueError, match="expected 2 lines back, got 1"):
        dv.apply_dialogue(w, ["Drive."], set())
    with pytest.raises(ValueError, match="line 2 is empty"):
        dv.apply_dialogue(w, ["Drive.", "  "], set())


# -- template mode with the real n-gram writer --------------------------------------------------------

def test_template_mode_end_to_end(scope: ProjectScope, ngram: dv.BackendTextJobs) -> None:
    premise = dv.Premise.make("Night Shift", LOGLINE, target_pages=8)
    run_id = dv.new_run(scope, premise, backend="ngram", model=ngram.model_id)
    assert dv.mode_for(ngram) == "template"
    r = dv.run(scope, run_id, ngram)
    assert r.ok and r.mode == "template", r.messages()
    assert r.stored == {"beats": 1, "outline": 1, "scenes": 1, "dialogue": 1}
    assert ngram.calls == 4  # one batch per step

    beats = dv.load_step(scope, run_id, "beats")
    assert [b.name for b in beats.beats][::7] == ["Opening Image", "Fun and Games", "Final Image"]
    assert [b.page for b in beats.beats] == sorted(b.page for b in beats.beats) and beats.beats[-1].page <= 8
    outline = dv.load_step(scope, run_id, "outline")
    assert len(outline.scenes) == dv.scene_count(8) == 4

    info = dv.run_info(scope, run_id)
    version, text = latest_script(scope, info["script_id"])
    assert version == 2 == r.scripts["dialogue"].version and r.scripts["scenes"].version == 1
    sp = parse_fountain(text)
    assert sp.title == "Night Shift"
    scenes = extract_scenes(sp)
    assert [s.number for s in scenes] == ["1", "2", "3", "4"]
    assert [s.location for s in scenes] == ["LAST TRAIN", "HOLLIN", "LAST TRAIN", "HOLLIN"]
    assert all(s.heading.startswith("INT. ") for s in scenes)
    assert {c for s in scenes for c in s.speaking} == {"MAYA", "INSPECTOR ILSE"}
    stored = scope.rows("SELECT number FROM {scene} WHERE script_id = $s AND version = 2 ORDER BY ordinal",
                        {"s": info["script_id"]})
    assert [n for (n,) in stored] == ["1", "2", "3", "4"]
    # The dialogue pass changed the lines but not the speakers.
    before = dv.load_step(scope, run_id, "scenes").scenes[0]
    after = dv.load_step(scope, run_id, "dialogue").scenes[0]
    assert [n for n, _, _ in dv.dialogue_lines(before)] == [n for n, _, _ in dv.dialogue_lines(after)]
    assert [t for _, t, _ in dv.dialogue_lines(before)] != [t for _, t, _ in dv.dialogue_lines(after)]


def test_rerun_after_editing_the_outline(scope: ProjectScope, ngram: dv.BackendTextJobs) -> None:
    premise = dv.Premise.make("Night Shift", LOGLINE, target_pages=8)
    run_id = dv.new_run(scope, premise)
    assert dv.run(scope, run_id, ngram, stop_after="outline").stored == {"beats": 1, "outline": 1}
    outline = dv.load_step(scope, run_id, "outline")
    edited = outline.with_scene(2, heading="EXT. SIGNAL BOX - DAWN", summary="Ilse waits at the signal box.")
    assert dv.Outline.from_json(edited.to_json()) == edited
    assert dv.save_step(scope, run_id, "outline", edited, note="moved outside") == 2
    with pytest.raises(dv.DevelopError, match="not INT./EXT."):
        dv.save_step(scope, run_id, "outline", outline.with_scene(1, heading="KITCHEN"))

    r = dv.run(scope, run_id, ngram, start_at="scenes")
    assert r.ok and r.stored == {"scenes": 1, "dialogue": 1}
    _, text = latest_script(scope, dv.run_info(scope, run_id)["script_id"])
    headings = [s.heading for s in extract_scenes(parse_fountain(text))]
    assert headings[1] == "EXT. SIGNAL BOX - DAWN"
    assert ("outline", 2) in steps(scope, run_id) and ("beats", 2) not in steps(scope, run_id)
    with pytest.raises(dv.DevelopError, match="has no stored beats; run from start_at=.beats. first"):
        dv.run(scope, dv.new_run(scope, premise), ngram, start_at="dialogue")


# -- structured mode over HTTP ------------------------------------------------------------------------

class Recorded:
    """Answers from the recorded file by what the prompt asks: scene 1 fails once with a 500,
    scene 2 stalls past the client's timeout once, scene 3 refuses (until ``fixed``)."""

    def __init__(self) -> None:
        self.failed_once: set[str] = set()
        self.fixed = False

    def __call__(self, body: Any) -> Reply:
        prompt = body["messages"][-1]["content"]
        if "Save the Cat beat sheet" in prompt:
            return chat_reply(REPLAYS["beats"])
        if "Break the story into" in prompt:
            return chat_reply(REPLAYS["outline"])
        for n in "1234":
            if f"Write scene {n} in Fountain" in prompt:
                if n in "12" and n not in self.failed_once:
                    self.failed_once.add(n)
                    return Reply(500, '{"error": "worker restarted"}') if n == "1" else \
                        Reply(200, "{}", delay=5.0)
                return chat_reply(REPLAYS["scenes"]["3_fixed" if n == "3" and self.fixed else n])
        heading = prompt.split("Dialogue pass on the scene ", 1)[1].split(". Rewrite", 1)[0]
        number = {"INT. NIGHT TRAIN - CORRIDOR - NIGHT": "1", "INT. NIGHT TRAIN - GUARD'S VAN - NIGHT": "2",
                  "EXT. KESSEL BRIDGE - DAWN": "4"}[heading]
        if number == "1" and "Anything to declare" in prompt:
            number = "3"
        return chat_reply(REPLAYS["dialogue"][number])


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    s = ReplayServer()
    yield s
    s.close()


def test_structured_mode_over_http(scope: ProjectScope, server: ReplayServer) -> None:
    server.responder = Recorded()
    backend = EndpointTextBackend(BackendSpec("text", "endpoint", "qwen-test", options={
        "base_url": server.base_url, "timeout": 1.0, "max_retries": 1}), api_key="")
    jobs = dv.BackendTextJobs(backend)
    assert dv.mode_for(jobs) == "structured"
    premise = dv.Premise.make("Night Shift", LOGLINE, target_pages=6, characters=[
        {"name": "MAYA", "description": "conductor, 50s", "voice": "dry, few words"},
        {"name": "TOMAS", "description": "stowaway, 12"}, {"name": "BRUNO"}, {"name": "ILSE"}])
    run_id = dv.new_run(scope, premise, backend="endpoint", model="qwen-test")
    r = dv.run(scope, run_id, jobs)

    # beats 1 + outline 1 + scenes (1: 500 then ok, 2: stall then ok, 3: refusal twice, 4) 7 + dialogue 3
    assert len(server.received) == 12
    assert r.stored == {"beats": 1, "outline": 1, "scenes": 1, "dialogue": 1}
    assert [str(f) for f in r.failures] == [
        "scenes scene 3: does not start with a scene heading (INT./EXT. LOCATION - TIME); it starts "
        "'As an AI language model, I think this scene should be very t' (rejected after 2 attempts)"]
    retry = [x.body["messages"][-1]["content"] for x in server.received if "Write scene 3" in
             x.body["messages"][-1]["content"]]
    assert len(retry) == 2 and "Your previous answer was rejected: does not start" in retry[1]
    scene_prompt = next(x.body["messages"][-1]["content"] for x in server.received
                        if "Write scene 1" in x.body["messages"][-1]["content"])
    assert "Maya finds Tomas hiding in the luggage rack." in scene_prompt and "dry, few words" in scene_prompt

    beats = dv.load_step(scope, run_id, "beats")
    assert beats.beats[3].description.startswith("She finds a soaked boy")
    draft = dv.load_step(scope, run_id, "dialogue")
    assert [s.number for s in draft.scenes] == [1, 2, 4] and [f.scene for f in draft.failures] == [3]
    _, text = latest_script(scope, dv.run_info(scope, run_id)["script_id"])
    sp = parse_fountain(text)
    assert [s.number for s in extract_scenes(sp)] == ["1", "2", "4"]
    assert "Then you're luggage. Stay put." in text and "Stay up there" not in text
    assert "Single. To Hollin." in text and "(holding it up)" in text

    # Re-run the failed scene alone: one scene request and one dialogue request.
    server.responder.fixed = True
    seen = len(server.received)
    again = dv.run(scope, run_id, jobs, start_at="scenes", scenes=[3])
    assert again.ok, again.messages()
    assert len(server.received) == seen + 2
    assert again.stored == {"scenes": 2, "dialogue": 2}
    final = dv.load_step(scope, run_id, "dialogue")
    assert [s.number for s in final.scenes] == [1, 2, 3, 4] and final.failures == ()
    assert final.scenes[0] == draft.scenes[0]  # the untouched scenes keep their polished text
    _, text = latest_script(scope, dv.run_info(scope, run_id)["script_id"])
    assert [s.number for s in extract_scenes(parse_fountain(text))] == ["1", "2", "3", "4"]
    assert "Rain. And delays." in text


def test_unauthorised_endpoint_stops_the_run(scope: ProjectScope, server: ReplayServer) -> None:
    server.responder = lambda body: Reply(401, '{"error": "bad key"}')
    backend = EndpointTextBackend(BackendSpec("text", "endpoint", "m", options={"base_url": server.base_url}),
                                  api_key="wrong")
    run_id = dv.new_run(scope, dv.Premise.make("X", LOGLINE))
    with pytest.raises(dv.TextBackendError, match="401"):
        dv.run(scope, run_id, dv.BackendTextJobs(backend))
    assert len(server.received) == 1 and steps(scope, run_id) == []


# -- the tiny random-weight LM ------------------------------------------------------------------------

def test_tiny_lm_noise_is_rejected_item_by_item(scope: ProjectScope, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                ngram: dv.BackendTextJobs) -> None:
    pytest.importorskip("transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    from transformers import GPT2LMHeadModel

    from studio_kit.generation.hf_text import TransformersTextBackend
    from tests.generation.tiny_models import build_tiny_causal_lm

    folder = build_tiny_causal_lm(tmp_path / "lm")
    # The builder's 128 positions are fewer than our prompts' tokens: widen them (fresh random rows).
    GPT2LMHeadModel.from_pretrained(folder, n_positions=4096, ignore_mismatched_sizes=True).save_pretrained(folder)
    jobs = dv.BackendTextJobs(TransformersTextBackend(BackendSpec("text", "transformers", str(folder),
                                                                  device="cpu", dtype="float32")))
    assert dv.mode_for(jobs) == "structured"
    premise = dv.Premise.make("Night Shift", LOGLINE, target_pages=8)
    run_id = dv.new_run(scope, premise)
    tokens = {"beats": 24, "outline": 24, "scenes": 24, "dialogue": 24}
    r = dv.run(scope, run_id, jobs, tokens=tokens)
    assert r.stopped_at == "beats" and r.stored == {} and steps(scope, run_id) == []
    assert len(r.failures) == 1 and str(r.failures[0]).startswith("beats: ")
    assert "JSON" in r.failures[0].message and "rejected after 2 attempts" in r.failures[0].message

    # With beats and an outline from elsewhere (the n-gram's template), every scene is rejected,
    # each with its own message, and nothing is stored for the scenes step.
    other = dv.new_run(scope, premise)
    dv.run(scope, other, ngram, stop_after="outline")
    dv.save_step(scope, run_id, "beats", dv.load_step(scope, other, "beats"))
    dv.save_step(scope, run_id, "outline", dv.load_step(scope, other, "outline"))
    r = dv.run(scope, run_id, jobs, start_at="scenes", tokens=tokens)
    assert r.stopped_at == "scenes" and r.stored == {}
    assert [f.scene for f in r.failures] == [1, 2, 3, 4]
    assert all(str(f).startswith(f"scenes scene {f.scene}: ") and "rejected after 2 attempts" in f.message
               for f in r.failures)
    assert steps(scope, run_id) == [("beats", 1), ("outline", 1)]
    sid = dv.run_info(scope, run_id)["script_id"]
    assert scope.one("SELECT count(*) FROM {script_version} WHERE script_id = $s", {"s": sid})[0] == 0


def test_length_far_from_the_target_is_a_warning() -> None:
    from studio_kit.screenplay import analyze

    text = "INT. CAB - NIGHT\n\n" + "MAYA drives through the rain, counting the lamps.\n\n" * 20
    a = analyze(parse_fountain(text))
    assert 6 <= sum(s.eighths for s in a.scenes) <= 12  # about a page
    short = dv.length_warnings(a, dv.Premise.make("Cab", "MAYA drives a cab.", target_pages=10))
    assert len(short) == 1 and "against a target of 10" in short[0] and "short by" in short[0]
    assert dv.length_warnings(a, dv.Premise.make("Cab", "MAYA drives a cab.", target_pages=1)) == []


def test_a_scene_polished_again_keeps_its_new_text_when_the_pass_stores_nothing() -> None:
    """Re-running scene 2 (rewritten as a silent scene, so its dialogue pass has nothing to do)
    must not bring back the old draft's polished text; scene 1 keeps its polish."""
    h = "INT. KITCHEN - DAY"
    outline = dv.Outline(tuple(dv.OutlineScene(n, h, "s", ("ANA",), "Opening Image") for n in (1, 2)))
    old_dialogue = dv.Draft((dv.WrittenScene(1, h, f"{h}\n\nAna cooks.\n\nANA\nPolished hello."),
                             dv.WrittenScene(2, h, f"{h}\n\nANA\nOLD polished line.")))
    new_draft = dv.Draft((dv.WrittenScene(1, h, f"{h}\n\nAna cooks.\n\nANA\nHello."),
                          dv.WrittenScene(2, h, f"{h}\n\nAna leaves without a word.")))
    base = dv._overlay(new_draft, old_dialogue, skip={2})
    merged = dv._merge(outline, base, {}, [], {2}, keep_failed=True)
    assert "without a word" in merged.scene(2).fountain
    assert "Polished hello." in merged.scene(1).fountain
