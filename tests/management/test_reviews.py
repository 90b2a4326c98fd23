"""Reviews: notes per version, per-candidate decisions, the sign-off chain, client playlists."""

from __future__ import annotations

import json

import pytest

from studio_kit.common.errors import NotFound
from studio_kit.management import reviews
from studio_kit.management.access import AccessDenied

from .conftest import png_bytes


@pytest.fixture
def take(world):
    """Shot 12a's animation, version 1 with three AI candidates, version 2 with one."""
    pm = world.studio("pm")
    pm.create_task("animation", "shot", "12a", task_id="anim-12a")
    a = pm.create_asset("Anim 12A", "footage", entity_type="shot", entity_id="12a", task_id="anim-12a")
    world.studio("art").publish_asset(a.asset_id, [(f"take{i}.png", png_bytes(4, 4, (i * 60, 0, 0)))
                                                   for i in range(3)], "three takes")
    world.studio("art").publish_asset(a.asset_id, [("take3.png", png_bytes(4, 4, (0, 9, 0)))], "one more")
    return a.asset_id


def test_comments_hang_on_a_version(world, take):
    sup = world.studio("sup")
    sup.comment(take, 1, "arc too flat")
    sup.comment(take, 2, "better", client_visible=True)
    assert sup.comments(take, 1)["text"].to_list() == ["arc too flat"]
    assert sup.comments(take, 2).select("text", "client_visible", "author").rows() == [("better", True, "sup")]
    with pytest.raises(NotFound, match="no version 9"):
        sup.comment(take, 9, "?")
    with pytest.raises(reviews.ReviewError, match="empty"):
        sup.comment(take, 1, "  ")


def test_candidates_validated_rejected_neutral(world, take):
    sup = world.studio("sup")
    cands = sup.candidates(take, 1)
    assert cands["decision"].to_list() == ["neutral"] * 3
    sha = cands["sha256"].to_list()
    sup.validate_candidate(take, 1, sha[0], "validated")
    sup.validate_candidate(take, 1, sha[1], "rejected")
    sup.validate_candidate(take, 1, sha[1], "neutral")
    sup.validate_candidate(take, 1, sha[2], "rejected")
    assert sup.candidates(take, 1).select("name", "decision").rows() == [
        ("take0.png", "validated"), ("take1.png", "neutral"), ("take2.png", "rejected")]
    assert len(world.audit("review.candidate", "ok")) == 4
    with pytest.raises(AccessDenied, match="may not review.approve"):
        world.studio("art").validate_candidate(take, 1, sha[0], "rejected")
    with pytest.raises(NotFound, match="no candidate"):
        sup.validate_candidate(take, 2, sha[0], "validated")
    with pytest.raises(reviews.ReviewError, match="decision 'maybe'"):
        sup.validate_candidate(take, 1, sha[0], "maybe")


def test_default_chain_in_order_to_final_approval(world, take):
    sup, pm = world.studio("sup"), world.studio("pm")
    state = sup.approval_state(take, 2)
    assert [s.name for s in state.steps] == ["supervisor", "director", "producer"]
    assert (state.next_step, state.final) == ("supervisor", "pending")
    with pytest.raises(reviews.ReviewError, match="out of order; the next sign-off is 'supervisor'"):
        pm.sign_off(take, 2, "producer")
    with pytest.raises(AccessDenied, match="signed by a supervisor"):
        pm.sign_off(take, 2, "supervisor")
    with pytest.raises(AccessDenied, match="may not review.approve"):
        world.studio("art").sign_off(take, 2, "supervisor")
    assert sup.sign_off(take, 2, "supervisor").next_step == "director"
    assert sup.sign_off(take, 2, "director", note="lovely").next_step == "producer"
    with pytest.raises(AccessDenied, match="signed by a production_manager"):
        sup.sign_off(take, 2, "producer")
    final = pm.sign_off(take, 2, "producer")
    assert (final.final, final.next_step) == ("approved", None)
    assert [s.signed_by for s in final.steps] == ["sup", "sup", "pm"]
    assert pm.asset_version(take, 2).status == "approved"
    assert pm.asset_version(take, 1).status == "pending"
    with pytest.raises(reviews.ReviewError, match="already approved"):
        pm.sign_off(take, 2, "producer")
    ok = world.audit("review.approve", "ok")
    assert [json.loads(r["detail"])["step"] for r in reversed(ok)] == ["supervisor", "director", "producer"]
    assert world.audit("review.final_approved", "ok")[0]["target"] == f"{take}@v2"
    refused = world.audit("review.approve", "refused")
    assert {r["actor"] for r in refused} == {"pm", "art", "sup"}


def test_rejection_ends_the_chain(world, take):
    state = world.studio("sup").sign_off(take, 1, "supervisor", "rejected", note="redo")
    assert state.final == "rejected" and state.next_step is None
    assert world.studio("pm").asset_version(take, 1).status == "rejected"
    assert world.audit("review.final_rejected", "ok")


def test_configured_chain_with_a_person_step(world, take):
    pm = world.studio("pm")
    with pytest.raises(AccessDenied, match="may not change it"):
        reviews.set_signoff_chain(world.scope, world.who["sup"], [{"name": "x", "role": "supervisor"}])
    with pytest.raises(reviews.ReviewError, match="exactly one of 'role' or 'person'"):
        pm.set_signoff_chain([{"name": "director"}])
    pm.set_signoff_chain([{"name": "director", "person": "sup-snd"}, {"name": "producer", "role": "production_manager"}])
    assert world.studio("art").signoff_chain().row(0, named=True) == {"name": "director", "role": None,
                                                                 "person": "sup-snd"}
    with pytest.raises(AccessDenied, match="signed by sup-snd"):
        world.studio("sup").sign_off(take, 1, "director")
    world.studio("sup-snd").sign_off(take, 1, "director")
    assert pm.sign_off(take, 1, "producer").final == "approved"
    with pytest.raises(reviews.ReviewError, match="not a step"):
        pm.sign_off(take, 2, "supervisor")


def test_client_playlists_and_client_visible_comments(world, take):
    pm, cli, sup = world.studio("pm"), world.studio("cli"), world.studio("sup")
    internal = pm.create_playlist("dailies")
    shared = pm.create_playlist("client review", for_client=True)
    pm.add_to_playlist(internal.playlist_id, take, 1)
    pm.add_to_playlist(shared.playlist_id, take, 2)
    assert pm.add_to_playlist(shared.playlist_id, take, 2).items == ((take, 2),)
    sup.comment(take, 2, "internal: timing off by 2 frames")
    sup.comment(take, 2, "for the client: new version", client_visible=True)

    assert cli.playlists()["playlist_id"].to_list() == [shared.playlist_id]
    assert set(pm.playlists()["playlist_id"]) == {internal.playlist_id, shared.playlist_id}
    with pytest.raises(AccessDenied, match="not shared with you"):
        cli.playlist(internal.playlist_id)
    files = cli.playlist_versions(shared.playlist_id).to_dicts()
    assert [(f["asset_id"], f["version"], len(f["files"])) for f in files] == [(take, 2, 1)]
    assert "assignees" not in json.dumps(files)
    assert cli.comments(take, 2)["text"].to_list() == ["for the client: new version"]
    c = cli.comment(take, 2, "love it")
    assert c.client_visible
    assert "love it" in sup.comments(take, 2)["text"].to_list()
    # version 1 is only in the internal playlist: the client can neither read nor note it
    with pytest.raises(AccessDenied, match="client playlist"):
        cli.comments(take, 1)
    with pytest.raises(AccessDenied, match="client playlist"):
        cli.comment(take, 1, "?")
    with pytest.raises(AccessDenied, match="may not review.approve"):
        cli.create_playlist("mine", for_client=True)
    with pytest.raises(AccessDenied, match="may not asset.read"):
        cli.asset_versions(take)
    assert world.audit("review.client", "refused") == [] and world.audit("review.comment", "refused")


def test_vendor_reviews_only_their_assets_and_no_playlists(world, take):
    ven, pm = world.studio("ven"), world.studio("pm")
    pm.create_playlist("dailies")
    assert ven.playlists().is_empty()
    with pytest.raises(AccessDenied, match="vendors see only assets"):
        ven.comments(take, 1)
    pm.assign_task("anim-12a", "ven")
    ven.comment(take, 1, "fixed the arc")
    assert ven.comments(take, 1)["author"].to_list() == ["ven"]


def test_non_members_and_other_tenants_refused(world, take):
    with pytest.raises(AccessDenied, match="not a member"):
        world.studio("outsider").comments(take, 1)
    with pytest.raises(AccessDenied, match="not a project of your tenant"):
        reviews.comments(world.scope, world.who["spy"], take, 1)
    with pytest.raises(AccessDenied, match="not a project of your tenant"):
        reviews.sign_off(world.scope, world.who["spy"], take, 1, "supervisor", "approved")
    assert world.studio("boss").approval_state(take, 1).final == "pending"


def test_every_management_operation_checks_first():
    """Static guard: each public ManagementOps method is declared with ``@operation(...)`` (the check
    runs before the method body) with an action the permission matrix knows (and, for the
    client/staff review switch, a client action it knows too)."""
    import ast
    import inspect
    import textwrap

    from studio_kit.management.access import ACTIONS, operations_of
    from studio_kit.management.ops import ManagementOps

    tree = ast.parse(textwrap.dedent(inspect.getsource(ManagementOps)))
    methods = [n for n in tree.body[0].body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    assert len(methods) >= 25
    ops = operations_of(ManagementOps)
    for fn in methods:
        calls = [d for d in fn.decorator_list if isinstance(d, ast.Call) and ast.unparse(d.func) == "operation"]
        assert len(calls) == 1 and fn.decorator_list[0] is calls[0], fn.name
        action = calls[0].args[0]
        assert isinstance(action, ast.Constant) and action.value in ACTIONS, fn.name
        client = {k.arg: k.value for k in calls[0].keywords}.get("client_action")
        if client is not None:
            assert isinstance(client, ast.Constant) and client.value in ACTIONS, fn.name
        assert fn.name in ops and ops[fn.name].action == action.value, fn.name
