"""The language-model tagger: prompt, forgiving parsing of answers, and the whole path through
``tag_script`` against a real HTTP server on 127.0.0.1 replaying recorded answers per scene.
Real quotes become "llm" tags; an invented quote and an unknown category are dropped with a note;
a garbage answer costs one scene its model tags, not the breakdown."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from studio_kit.generation.text import ChatEndpoint, TextBackendError
from studio_kit.preproduction.breakdown import TagModel, tag_script
from studio_kit.preproduction.breakdown_llm import LLMTagModel, build_messages, parse_answer
from studio_kit.preproduction.categories import PROPS, SET_DRESSING, WARDROBE
from studio_kit.screenplay.analysis import ScriptAnalysis, analyze, load_script
from tests.generation.test_text_endpoint import ReplayServer, Reply, chat_reply

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data/sample/night_train.fountain"


@pytest.fixture(scope="module")
def analysis() -> ScriptAnalysis:
    return analyze(load_script(SAMPLE))


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    s = ReplayServer()
    yield s
    s.close()


# -- parsing --------------------------------------------------------------------------------------
def test_parse_bare_array_with_confidence() -> None:
    p = parse_answer('[{"category_id": 104, "name": "Rivet head", "quote": "A rivet head", "confidence": 0.9},'
                     ' {"category_id": "114", "name": "RAILING", "quote": "the railing"}]')
    assert p.items == [(104, "Rivet head", "A rivet head", 0.9), (114, "RAILING", "the railing")]
    assert p.problems == []


def test_parse_fenced_answer_inside_prose() -> None:
    answer = ('Here is the breakdown you asked for:\n\n```json\n'
              '[{"category_id": 106, "name": "GREY SUIT", "quote": "immaculate grey suit"}]\n```\n'
              'Let me know if you need [anything] else.')
    assert parse_answer(answer).items == [(106, "GREY SUIT", "immaculate grey suit")]


def test_parse_array_after_prose_without_fences_and_object_wrapper() -> None:
    answer = 'Sure. Elements: [{"category_id": 104, "name": "KETTLE", "quote": "A kettle."}] Done.'
    assert parse_answer(answer).items == [(104, "KETTLE", "A kettle.")]
    wrapped = '{"elements": [{"category_id": 104, "name": "RADIO", "quote": "A radio."}]}'
    assert parse_answer(wrapped).items == [(104, "RADIO", "A radio.")]


def test_parse_skips_malformed_items_and_says_why() -> None:
    p = parse_answer(json.dumps([
        {"category_id": 104, "name": "KETTLE", "quote": "A kettle."},
        {"category_id": "props", "name": "RADIO", "quote": "A radio."},
        {"name": "LEVERS", "quote": "A museum of levers"},
        {"category_id": 104, "name": "  ", "quote": "x"},
        "CALENDAR",
    ]))
    assert p.items == [(104, "KETTLE", "A kettle.")]
    assert len(p.problems) == 4
    assert "item 1: category_id 'props' is not a number" in p.problems[0]
    assert "item 2: missing category_id" in p.problems[1]
    assert "item 3: empty name or quote" in p.problems[2]
    assert "item 4" in p.problems[3] and "not an object" in p.problems[3]


@pytest.mark.parametrize("answer", ["I cannot help with that.", "", "[{'category_id': 104,}", '"just a string"'])
def test_parse_garbage_gives_no_items_and_a_problem(answer: str) -> None:
    p = parse_answer(answer)
    assert p.items == []
    assert len(p.problems) == 1


def test_prompt_lists_the_categories_and_the_scene() -> None:
    msgs = build_messages("INT. SIGNAL BOX - NIGHT\n\nA kettle.", {501: "Drones"})
    system, user = msgs[0]["content"], msgs[1]["content"]
    assert msgs[0]["role"] == "system" and msgs[1]["role"] == "user"
    for line in ("100: Cast Members", "104: Props", "124: Other", "501: Drones"):
        assert line in system
    assert "0: Set" not in system.splitlines()
    assert "verbatim" in system and "JSON array" in system
    assert "A kettle." in user


class FakeChat:
    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.seen: list[list[dict[str, Any]]] = []

    def complete(self, messages: list[dict[str, Any]]) -> str:
        self.seen.append(messages)
        a = self.answers.pop(0)
        if isinstance(a, Exception):
            raise a
        return a


def test_model_is_a_tag_model_and_records_problems_per_scene() -> None:
    m = LLMTagModel(FakeChat(['[{"category_id": 104, "name": "KETTLE", "quote": "A kettle."}]', "no idea"]))
    assert isinstance(m, TagModel)
    assert list(m("INT. SIGNAL BOX - NIGHT\n\nA kettle.")) == [(104, "KETTLE", "A kettle.")]
    assert list(m("EXT. BRIDGE - DAWN\n\nMist.")) == []
    assert len(m.problems) == 1 and "EXT. BRIDGE - DAWN" in m.problems[0] and "no JSON" in m.problems[0]
    assert m.requests == 2


def test_refused_request_raises_at_once_but_a_failed_scene_does_not() -> None:
    down = TextBackendError("http://x/v1/chat/completions: HTTP 503", status=503)
    m = LLMTagModel(FakeChat([down, down, '[]', down]), max_failed_scenes=2)
    assert m("S1") == [] and m("S2") == [] and m("S3") == []
    assert len(m.problems) == 2 and "HTTP 503" in m.problems[0]
    with pytest.raises(TextBackendError, match="3 scenes got no answer"):
        m("S4")
    refused = TextBackendError("http://x/v1/chat/completions: HTTP 401", status=401)
    with pytest.raises(TextBackendError, match="401"):
        LLMTagModel(FakeChat([refused]))("S1")


# -- the whole path, over HTTP -----------------------------------------------------------------------
SCENE_1 = [  # EXT. KESSEL BRIDGE - DAWN
    {"category_id": PROPS, "name": "rivet head", "quote": "A rivet head lies on the walkway."},
    {"category_id": SET_DRESSING, "name": "RAILING", "quote": "against the railing"},
    {"category_id": PROPS, "name": "SILVER PISTOL", "quote": "Viktor draws a silver pistol"},  # invented
    {"category_id": 3, "name": "DAY 1", "quote": "DAWN"},  # a scene field, not an element
    {"category_id": 777, "name": "DRONE", "quote": "Mist lies on the river"},  # no such category
]
SCENE_2 = [  # INT. RAIL COMPANY HQ - ILSE'S OFFICE - DAY
    {"category_id": WARDROBE, "name": "Grey suit", "quote": "immaculate grey suit", "confidence": 0.8},
]
SCENE_4 = [  # INT. HOLLIN JUNCTION - SIGNAL BOX - NIGHT
    {"category_id": PROPS, "name": "LOG BOOK", "quote": "writes in the log book"},  # the lexicon has it
    {"category_id": SET_DRESSING, "name": "ROUTE PANEL", "quote": "a modern route panel glowing"},
]


class SceneResponder:
    """Answers by a line only that scene has, as a recorded model would: scene 1 a bare array,
    scene 2 fenced in prose, scene 3 garbage, scene 4 a 500 first and then an answer, others []."""

    def __init__(self) -> None:
        self.failed_once = False

    def __call__(self, body: Any) -> Reply:
        scene = body["messages"][-1]["content"]
        if "A rivet head lies on the walkway." in scene:
            return chat_reply(json.dumps(SCENE_1))
        if "immaculate grey suit" in scene:
            return chat_reply("Here you go:\n```json\n" + json.dumps(SCENE_2, indent=2) + "\n```\nHope it helps!")
        if "A sodium lamp buzzes over the door." in scene:
            return chat_reply("As an AI language model I find this scene very atmospheric.")
        if "A museum of levers on one side" in scene:
            if not self.failed_once:
                self.failed_once = True
                return Reply(500, '{"error": "worker restarted"}')
            return chat_reply(json.dumps(SCENE_4))
        return chat_reply("[]")


def test_tag_script_with_llm_over_http(analysis: ScriptAnalysis, server: ReplayServer) -> None:
    server.responder = SceneResponder()
    ep = ChatEndpoint(server.base_url, "qwen-test", api_key="sk-local", timeout=5.0, max_retries=1, backoff=0.01)
    model = LLMTagModel(ep)
    bd = tag_script(analysis, llm=model)

    n_scenes = len(analysis.scenes)
    assert len(server.received) == n_scenes + 1  # one request per scene, one retry for scene 4
    first = server.received[0]
    assert first.path == "/v1/chat/completions"
    assert first.headers["Authorization"] == "Bearer sk-local"
    assert first.body["model"] == "qwen-test" and first.body["temperature"] == 0.0
    assert [m["role"] for m in first.body["messages"]] == ["system", "user"]
    assert "104: Props" in first.body["messages"][0]["content"]
    assert "A rivet head lies on the walkway." in first.body["messages"][1]["content"]

    llm = {(t.scene_number, t.category_id, t.name): t for t in bd.tags if t.source == "llm"}
    assert set(llm) == {("1", PROPS, "RIVET HEAD"), ("1", SET_DRESSING, "RAILING"),
                        ("2", WARDROBE, "GREY SUIT"), ("4", SET_DRESSING, "ROUTE PANEL")}
    rivet = llm[("1", PROPS, "RIVET HEAD")]
    assert rivet.quote == "A rivet head lies on the walkway."
    el = analysis.screenplay.elements[rivet.span.element]
    assert el.text[rivet.span.start:rivet.span.end] == rivet.quote
    assert llm[("2", WARDROBE, "GREY SUIT")].confidence == 0.8
    assert llm[("1", SET_DRESSING, "RAILING")].confidence == 0.75
    # A proposal an earlier, surer tagger already made keeps that tagger's source.
    assert [t.source for t in bd.tags if t.key[1:] == (PROPS, "LOG BOOK") and t.scene_number == "4"] == ["lexicon"]

    # The invented quote and the non-element categories are dropped, each with a note.
    assert not any(t.name in ("SILVER PISTOL", "DAY 1", "DRONE") for t in bd.tags)
    assert any("silver pistol" in n and "not in the scene" in n for n in bd.notes)
    assert any("unknown category 3" in n for n in bd.notes)
    assert any("unknown category 777" in n for n in bd.notes)
    assert len(bd.notes) == 3

    # The garbage answer cost scene 3 its model tags only, and says so.
    assert not [t for t in bd.tags if t.scene_number == "3" and t.source == "llm"]
    assert {t.name for t in bd.tags if t.scene_number == "3"}  # the offline taggers still ran
    assert len(model.problems) == 1 and "EXT. HOLLIN JUNCTION - SIGNAL BOX - NIGHT" in model.problems[0]
    assert model.requests == n_scenes

    # The offline tags are all still there, but for PANEL, which the model's ROUTE PANEL names better
    # (tag_script keeps the longer name of one element in a scene).
    offline = tag_script(analysis)
    scene_4_uid = bd.scenes[3].uid
    assert {t.key for t in offline.tags} - {t.key for t in bd.tags} == {(scene_4_uid, SET_DRESSING, "PANEL")}


def test_unauthorised_endpoint_stops_the_breakdown_after_one_request(analysis: ScriptAnalysis,
                                                                     server: ReplayServer) -> None:
    server.responder = lambda body: Reply(401, '{"error": "invalid api key"}')
    ep = ChatEndpoint(server.base_url, "m", api_key="wrong", max_retries=3, backoff=0.01)
    with pytest.raises(TextBackendError, match="HTTP 401.*API key"):
        tag_script(analysis, llm=LLMTagModel(ep))
    assert len(server.received) == 1


def test_dead_endpoint_costs_a_bounded_number_of_requests(analysis: ScriptAnalysis, server: ReplayServer) -> None:
    server.responder = lambda body: Reply(503, '{"error": "loading model"}')
    ep = ChatEndpoint(server.base_url, "m", max_retries=1, backoff=0.01)
    model = LLMTagModel(ep, max_failed_scenes=2)
    with pytest.raises(TextBackendError, match="HTTP 503.*3 scenes got no answer"):
        tag_script(analysis, llm=model)
    assert len(server.received) == 3 * 2  # three scenes, two attempts each
    assert len(model.problems) == 2


def test_cli_breakdown_with_endpoint_stores_llm_tags(server: ReplayServer, tmp_path, capsys) -> None:
    """`studio breakdown --llm-endpoint` through the Studio: the model's real quotes are stored with
    source "llm"; an invented one is dropped with a note; the key comes from settings, never printed."""
    from studio_kit.cli import main
    from studio_kit.settings import Settings
    from studio_kit.studio import Studio

    def answer(body: dict) -> Reply:
        scene = body["messages"][-1]["content"]
        if "KESSEL BRIDGE - DAWN" in scene:
            return chat_reply(json.dumps([
                {"category_id": 104, "name": "RIVET HEAD", "quote": "A rivet head"},
                {"category_id": 104, "name": "SILVER PISTOL", "quote": "a silver pistol"}]))
        return chat_reply("[]")

    server.responder = answer
    store = tmp_path / "llm.duckdb"
    opts = ["-p", "film", "--store", str(store)]
    assert main(["ingest", str(SAMPLE), *opts]) == 0
    assert main(["breakdown", *opts, "--llm-endpoint", server.base_url, "--llm-model", "test-model"]) == 0
    out = capsys.readouterr().out
    assert "note:" in out and "silver pistol" in out.lower()
    assert len(server.received) == 48  # one request per scene, no retries
    assert main(["breakdown", *opts, "--llm-endpoint", server.base_url]) == 2
    assert "needs a model name" in capsys.readouterr().err
    with Studio.open(Settings(), project="film", store_path=store, read_only=True) as studio:
        tags = [t for t in studio.breakdown().tags if t.source == "llm"]
    assert [(t.scene_number, t.name) for t in tags] == [("1", "RIVET HEAD")]
    assert tags[0].span is not None and tags[0].span.text == "A rivet head"
