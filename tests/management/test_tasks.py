"""Tasks: flag-based statuses checked per role, assignment rules, retake cap, done date, vendor filtering."""

from __future__ import annotations

from datetime import date

import pytest

from studio_kit.common.errors import NotFound
from studio_kit.management import tasks
from studio_kit.management.access import AccessDenied

from .conftest import PROJECT


@pytest.fixture
def anim(world):
    """An animation task on shot 12a, assigned to 'art', and a voice task assigned to nobody."""
    pm = world.studio("pm")
    t = pm.create_task("animation", "shot", "12a", task_id="anim-12a", start_date=date(2026, 1, 5),
                       due_date=date(2026, 1, 9), estimate_days=3.5)
    pm.assign_task(t.task_id, "art")
    pm.create_task("voice", "scene", "4", task_id="voice-4")
    return t


def test_create_task_uses_default_status_and_records_dates(world, anim):
    t = world.studio("pm").task("anim-12a")
    assert (t.flag, t.status_id, t.department) == ("default", "todo", "animation")
    assert (t.start_date, t.due_date, t.estimate_days, t.retake_count) == (date(2026, 1, 5), date(2026, 1, 9), 3.5, 0)
    assert t.assignees == ("art",)
    with pytest.raises(tasks.TaskError, match="unknown task type 'lighting'"):
        world.studio("pm").create_task("lighting", "shot", "12a")
    with pytest.raises(tasks.TaskError, match="before its start date"):
        world.studio("pm").create_task("animation", "shot", "1", start_date=date(2026, 2, 1), due_date=date(2026, 1, 1))
    with pytest.raises(AccessDenied, match="may not task.write"):
        world.studio("art").create_task("animation", "shot", "13")


@pytest.mark.parametrize(("person", "flag", "allowed"), [
    ("art", "wip", True), ("art", "waiting_for_approval", True), ("art", "done", False), ("art", "retake", False),
    ("sup", "done", True), ("sup", "retake", True), ("pm", "done", True), ("boss", "done", True),
    ("cli", "wip", False), ("outsider", "wip", False), ("spy", "wip", False),
])
def test_status_rights_per_role(world, anim, person, flag, allowed):
    studio = world.studio(person) if person != "spy" else None
    if studio is None:
        # another tenant's person cannot even open a Studio on acme's project
        from .conftest import S
        with pytest.raises(Exception, match="no project|tenant"):
            S(world.store, "acme", PROJECT, world.settings, user=world.who["spy"]).set_task_status("anim-12a", flag)
        return
    if allowed:
        assert studio.set_task_status("anim-12a", flag).flag == flag
        assert world.audit("task.status", "ok")[0]["target"] == "anim-12a"
    else:
        with pytest.raises(AccessDenied):
            studio.set_task_status("anim-12a", flag)
        refused = world.audit("task.status", "refused")
        assert refused and refused[0]["actor"] == person
        assert world.studio("pm").task("anim-12a").flag == "default"


def test_artist_and_vendor_change_only_own_tasks_supervisor_only_own_department(world, anim):
    with pytest.raises(AccessDenied, match="assigned to them"):
        world.studio("art2").set_task_status("anim-12a", "wip")
    with pytest.raises(AccessDenied, match="department 'sound'"):
        world.studio("sup").set_task_status("voice-4", "wip")
    assert world.studio("sup-snd").set_task_status("voice-4", "wip").flag == "wip"


def test_renamed_status_keeps_its_flag(world, anim):
    pm = world.studio("pm")
    pm.set_task_status_name("wfa", "Pending review", "waiting_for_approval")
    t = world.studio("art").set_task_status("anim-12a", "waiting_for_approval")
    assert (t.status_id, t.status_name, t.flag) == ("wfa", "Pending review", "waiting_for_approval")
    pm.set_task_status_name("en-cours", "En cours", "wip")
    t = world.studio("art").set_task_status("anim-12a", "en-cours")
    assert t.flag == "wip"
    with pytest.raises(tasks.TaskError, match="unknown status 'nope'"):
        pm.set_task_status("anim-12a", "nope")
    with pytest.raises(tasks.TaskError, match="flag 'finished'"):
        pm.set_task_status_name("fin", "Finished", "finished")


def test_retake_counts_and_cap(world, anim):
    sup = world.studio("sup")
    world.studio("pm").set_retake_cap(2)
    assert sup.set_task_status("anim-12a", "retake").retake_count == 1
    assert sup.set_task_status("anim-12a", "retake").retake_count == 2
    with pytest.raises(tasks.TaskError, match="already had 2 retake.*cap is 2.*set_retake_cap"):
        sup.set_task_status("anim-12a", "retake")
    assert world.audit("task.status", "refused")[0]["detail"].count("retake cap") == 1
    with pytest.raises(AccessDenied, match="retake cap"):
        tasks.set_retake_cap(world.scope, world.who["sup"], 10)
    world.studio("pm").set_retake_cap(None)
    assert sup.set_task_status("anim-12a", "retake").retake_count == 3


def test_done_stamps_done_date_and_leaving_done_clears_it(world, anim):
    t = tasks.set_task_status(world.scope, world.who["sup"], "anim-12a", "done", today=date(2026, 3, 1))
    assert t.done_date == date(2026, 3, 1)
    assert world.studio("sup").set_task_status("anim-12a", "retake").done_date is None


@pytest.mark.parametrize(("actor", "task_id", "person", "ok"), [
    ("art", "anim-12a", "art", True),        # artists: only themselves
    ("art", "anim-12a", "art2", False),
    ("sup", "anim-12a", "art2", True),       # supervisors: own department
    ("sup", "anim-12a", "snd", False),       # ... not a sound artist
    ("sup", "voice-4", "art", False),        # ... nor a sound task
    ("pm", "voice-4", "art", True),          # production managers: anyone
    ("boss", "voice-4", "snd", True),
    ("ven", "anim-12a", "ven", False),       # vendors and clients: never
    ("cli", "anim-12a", "cli", False),
])
def test_assignment_rules(world, anim, actor, task_id, person, ok):
    """The object rules (module level; the Studio's matrix check comes first, see below)."""
    def assign(task_id: str, person: str):
        return tasks.assign_task(world.scope, world.who[actor], task_id, person)
    if ok:
        assert person in assign(task_id, person).assignees
        assert world.audit("task.assign", "ok")[0]["detail"] == f'{{"person": "{person}"}}'
    else:
        with pytest.raises(AccessDenied):
            assign(task_id, person)
        assert world.audit(outcome="refused")[0]["actor"] == actor


def test_studio_assign_goes_through_the_permission_matrix(world, anim):
    """The matrix lets artists assign (themselves only: the task rules), clients never."""
    assert "art" in world.studio("art").assign_task("anim-12a", "art").assignees
    with pytest.raises(AccessDenied, match="department"):
        world.studio("art").assign_task("voice-4", "art")  # a sound task: not the artist's department
    with pytest.raises(AccessDenied):
        world.studio("art").assign_task("anim-12a", "art2")
    with pytest.raises(AccessDenied, match="may not task.assign"):
        world.studio("cli").assign_task("anim-12a", "cli")
    assert world.studio("sup").assign_task("anim-12a", "art2").assignees == ("art", "art2")


def test_assigning_a_non_member_is_refused(world, anim):
    with pytest.raises(tasks.TaskError, match="not a member"):
        world.studio("pm").assign_task("voice-4", "outsider")


def test_vendor_sees_and_changes_only_assigned_tasks_list_filters_like_detail(world, anim):
    pm, ven = world.studio("pm"), world.studio("ven")
    assert ven.tasks().is_empty()
    with pytest.raises(AccessDenied, match="vendors see only"):
        ven.task("anim-12a")
    pm.assign_task("anim-12a", "ven")
    listed = set(ven.tasks()["task_id"])
    assert listed == {"anim-12a"}
    for task_id in pm.tasks()["task_id"]:  # every task is either listed for the vendor or refused in detail
        if task_id in listed:
            assert ven.task(task_id).task_id == task_id
        else:
            with pytest.raises(AccessDenied):
                ven.task(task_id)
    assert ven.set_task_status("anim-12a", "wip").flag == "wip"
    assert set(pm.tasks()["task_id"]) == {"anim-12a", "voice-4"}
    assert pm.tasks(assignee="art")["task_id"].to_list() == ["anim-12a"]
    assert pm.tasks(entity_type="scene")["task_id"].to_list() == ["voice-4"]


def test_clients_non_members_and_other_projects_see_no_tasks(world, anim):
    with pytest.raises(AccessDenied, match="may not task.read"):
        world.studio("cli").tasks()
    with pytest.raises(AccessDenied, match="not a member"):
        world.studio("outsider").tasks()
    other = world.studio("outsider").for_project("other-film")
    other.user = world.who["outsider"]
    assert other.tasks().is_empty()  # the other project's tasks table is empty: nothing leaks across


def test_tenant_isolation_same_project_id(world, anim):
    """globex also has a project called 'film': its tasks are its own."""
    from .conftest import S
    g = S(world.store, "globex", PROJECT, world.settings, user=world.who["spy"])
    assert g.tasks().is_empty()
    with pytest.raises(NotFound, match="no task 'anim-12a'"):
        g.task("anim-12a")
    g.create_task("animation", "shot", "12a", task_id="anim-12a")
    assert world.studio("pm").tasks(entity_id="12a")["assignees"].to_list() == [["art"]]
