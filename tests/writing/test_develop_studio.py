"""The development pipeline through the Studio: the profile's text model (an OpenAI-compatible
endpoint replayed on 127.0.0.1) answers as jobs on the Ray runner, the written script becomes a
script version the other engines read (shot lists and boards made from it), and one scene's
dialogue is re-run."""

from __future__ import annotations

import pytest

from studio_kit.writing import develop as dv
from tests.writing.conftest import endpoint_studio
from tests.writing.test_develop import LOGLINE, Recorded


@pytest.fixture(scope="module")
def studio(tmp_path_factory, server, shared_ray):
    root = tmp_path_factory.mktemp("develop_studio")
    s = endpoint_studio(root, server, "night-shift", model="qwen-test")
    yield s
    s.close()


def test_logline_to_boards_through_the_runner(studio, server):
    recorded = Recorded()
    recorded.failed_once = {"1", "2"}  # no transient faults here (test_develop covers them)
    recorded.fixed = True
    server.responder = recorded
    premise = dv.Premise.make("Night Shift", LOGLINE, target_pages=6, characters=[
        {"name": "MAYA", "description": "conductor, 50s"}, {"name": "TOMAS", "description": "stowaway, 12"},
        {"name": "BRUNO"}, {"name": "ILSE"}])
    res = studio.develop(premise)
    assert res.mode == "structured" and res.ok, res.messages()
    assert res.stored == {"beats": 1, "outline": 1, "scenes": 1, "dialogue": 1}
    asked = len(server.received)
    assert asked == 1 + 1 + 4 + 4  # beats, outline, four scenes, a dialogue pass on each
    jobs = studio.jobs()
    text_jobs = jobs.filter(jobs["task"] == "text")
    assert text_jobs.height == asked and set(text_jobs["status"]) == {"done"}
    assert set(text_jobs["model"]) == {"qwen-test"}
    report = res.scripts["dialogue"]
    stored = studio.stored_script(report.script_id)
    assert [sc.number for sc in stored.analysis.scenes] == ["1", "2", "3", "4"]
    assert studio.development_runs().height == 1

    # the written script feeds the other engines like any script
    lists = studio.make_shot_lists(script_id=report.script_id)
    assert lists.errors == [] and len(lists.shot_lists) == 4
    studio.create_characters(report.script_id)
    for cid in studio.characters()["character_id"]:
        studio.lock_character(cid)
    board = studio.make_boards(["1"], script_id=report.script_id)
    assert board.errors == [] and len(board.frames) == len(lists.shot_lists[0].shots)

    # re-running one scene's dialogue asks once more and stores the next versions
    again = studio.develop(res.run_id, start_at="dialogue", scenes=[2])
    assert again.ok and again.stored == {"dialogue": 2}
    assert len(server.received) == asked + 1
    # a re-run of the same step with the same prompt reuses the stored job (same key): nothing is asked
    studio.develop(res.run_id, start_at="dialogue", scenes=[2])
    assert len(server.received) == asked + 1
