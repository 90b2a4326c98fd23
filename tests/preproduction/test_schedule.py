"""Shooting schedule: the cost function, the CP-SAT board and its constraints, and diagnosis."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from studio_kit.preproduction.schedule import (
    ScheduleInfeasible,
    ScheduleRequest,
    Strip,
    Weights,
    board_feasible,
    close_gaps,
    compare,
    evaluate,
    greedy_board,
    improve_board,
    location_of,
    solve_schedule,
    stripboard,
    strips_from_scenes,
)
from studio_kit.screenplay.cast import cast_ids_for

SAMPLE = Path(__file__).parents[2] / "data" / "sample" / "night_train.fountain"


def strip(uid, cast, eighths=8, set_="STAGE A", dn="D"):
    return Strip(uid, uid, set_, day_night=dn, cast=tuple(cast), eighths=eighths)


def brute_pay(days, pay, drop=False):
    """Pay by walking every day from each actor's first to last work day."""
    total = 0
    for a, rate in pay.items():
        work = [d for d, day in enumerate(days) if any(a in s.cast for s in day)]
        if not work:
            continue
        paid = [d for d in range(work[0], work[-1] + 1)]
        if drop:
            best = 0
            for x, y in zip(work, work[1:], strict=False):
                if y - x - 1 >= 10:
                    best = max(best, y - x - 1)
            total += rate * (len(paid) - best)
        else:
            total += rate * len(paid)
    return total


def test_location_defaults_to_the_first_part_of_the_set():
    assert location_of("TRAIN - DINING CAR") == "TRAIN"
    assert Strip("u", "1", "TRAIN - DINING CAR", day_night="NIGHT").location == "TRAIN"
    assert Strip("u", "1", "X", day_night="NIGHT").day_night == "N"


def test_solver_optimum_matches_brute_force_on_tiny_boards():
    strips = [strip("a", [1, 2], 16), strip("b", [1], 8), strip("c", [2, 3], 24, "LAKE"),
              strip("d", [3], 8, "LAKE", "N"), strip("e", [1, 3], 8)]
    pay = {1: 100, 2: 40, 3: 70}
    req = ScheduleRequest(strips, pay, capacity_eighths=32, max_days=3, weights=Weights(50, 30, 0),
                          night_turnaround=True, time_limit_s=10)
    best = None
    for assign in itertools.product(range(3), repeat=len(strips)):
        days = [[s for s, d in zip(strips, assign, strict=True) if d == k] for k in range(3)]
        if any(sum(s.eighths for s in day) > 32 for day in days):
            continue
        if any(any(s.day_night == "N" for s in days[k]) and any(s.day_night == "D" for s in days[k + 1])
               for k in range(2)):
            continue
        c = evaluate(req, days)
        assert c.cast_pay == brute_pay(days, pay)
        best = c.total if best is None else min(best, c.total)
    sch = solve_schedule(req)
    assert sch.optimal and sch.cost.total == best == evaluate(req, sch.days).total
    assert sch.lower_bound == sch.cost.total and sch.gap == 0


def test_evaluate_counts_moves_switches_overtime_and_drops():
    w = Weights(company_move=10, day_night_switch=7, overtime_hour=5, normal_hours=2)
    a = Strip("a", "1", "TRAIN - CAB", cast=(1,), eighths=8, hours=2.5, day_night="D")
    b = Strip("b", "2", "STATION - HALL", cast=(1,), eighths=8, hours=1, day_night="N")
    c = Strip("c", "3", "TRAIN - BAR", cast=(1,), eighths=8, hours=1)
    req = ScheduleRequest([a, b, c], {1: 100}, max_days=20, weights=w)
    days = [[a, b]] + [[] for _ in range(11)] + [[c]]
    cost = evaluate(req, days)
    assert (cost.company_moves, cost.day_night_switches, cost.overtime_hours) == (1, 1, 1.5)
    assert cost.cast_pay == 1300 and cost.total == 1300 + 10 + 7 + 7.5
    req.drop_pickup = True
    assert evaluate(req, days).cast_pay == 200  # dropped for the 11 days between
    assert brute_pay(days, {1: 100}, drop=True) == 200


def check_board(req, days):
    by = {s.scene_uid: d for d, day in enumerate(days) for s in day}
    assert sorted(by) == sorted(s.scene_uid for s in req.strips)
    for u, f in req.fixed_days.items():
        assert by[u] == f
    for d, day in enumerate(days):
        assert sum(s.eighths for s in day) <= req.capacity_eighths
        for s in day:
            assert not any(d in req.actor_unavailable.get(a, ()) for a in s.cast)
            assert d not in req.location_unavailable.get(s.location, ())
        if any(s.day_night == "N" for s in day) and d + 1 < len(days):
            assert not any(s.day_night == "D" for s in days[d + 1])


def test_constraints_are_respected():
    strips = [strip(f"s{k}", [1 + k % 3, 4], 8 + 4 * (k % 3), "TRAIN - CAB" if k % 2 else "STATION",
                    "N" if k % 4 == 0 else "D") for k in range(12)]
    req = ScheduleRequest(strips, {1: 300, 2: 200, 3: 100, 4: 50}, capacity_eighths=32, max_days=8,
                          actor_unavailable={2: {0, 1, 2}}, location_unavailable={"STATION": {3}},
                          fixed_days={"s5": 6}, time_limit_s=8)
    sch = solve_schedule(req)
    day_of = sch.day_of()
    assert sorted(day_of) == sorted(s.scene_uid for s in strips)
    assert day_of["s5"] == 6
    for d, day in enumerate(sch.days):
        assert sum(s.eighths for s in day) <= 32
        for s in day:
            assert not (2 in s.cast and d in {0, 1, 2})
            assert not (s.location == "STATION" and d == 3)
        if any(s.day_night == "N" for s in day) and d + 1 < len(sch.days):
            assert not any(s.day_night == "D" for s in sch.days[d + 1])
        # Day scenes before night scenes, each location in one block.
        lights = [s.day_night for s in day]
        assert lights == sorted(lights, key=lambda x: {"D": 0, "": 1, "N": 2}[x])
    assert evaluate(req, sch.days).total == sch.cost.total
    assert sch.lower_bound <= sch.cost.total
    check_board(req, sch.days)
    greedy = greedy_board(req)
    check_board(req, greedy)
    better = improve_board(req, greedy, seconds=0.5)
    check_board(req, better)
    assert evaluate(req, better).total <= evaluate(req, greedy).total


def test_close_gaps_drops_holes_the_rules_allow():
    a, b, c = strip("a", [1]), strip("b", [1]), strip("c", [1], dn="N")
    req = ScheduleRequest([a, b, c], {1: 100}, capacity_eighths=8, max_days=5, weights=Weights(shoot_day=10))
    holed = [[a], [], [b], [], []]
    closed = close_gaps(req, holed)
    assert closed == [[a], [b]]
    assert evaluate(req, closed).total == evaluate(req, holed).total - 100 - 10
    # A hole that gives a night its turnaround stays: night on day 1, day work on day 3.
    night_first = [[c], [], [a], [b]]
    assert not board_feasible(req, [[c], [a], [b]])
    assert close_gaps(req, night_first) == night_first
    # A hole forced by availability stays too.
    req_off = ScheduleRequest([a, b], {1: 100}, capacity_eighths=8, max_days=3, location_unavailable={"STAGE A": {1}})
    assert close_gaps(req_off, [[a], [], [b]]) == [[a], [], [b]]


def test_drop_pickup_only_across_more_than_ten_days():
    strips = [strip("a", [1, 2]), strip("b", [1, 2]), strip("c", [2]), strip("z", [1, 3])]
    fixed = {"a": 0, "z": 13}
    req = ScheduleRequest(strips, {1: 100, 2: 10, 3: 10}, capacity_eighths=8, max_days=14, fixed_days=fixed,
                          drop_pickup=True, time_limit_s=8, weights=Weights(0, 0, 0))
    sch = solve_schedule(req)
    assert sch.cost.pay_days[1] == 3  # work 0, 1; dropped; picked up on day 14
    assert sch.cost.cast_pay == brute_pay(sch.days, req.cast_pay, drop=True)
    req.drop_pickup = False
    held = solve_schedule(req)
    assert held.cost.pay_days[1] == 14
    req.fixed_days = {"a": 0, "z": 10}  # a gap of 9 days: no drop allowed
    req.drop_pickup = True
    assert solve_schedule(req).cost.pay_days[1] == 11


def test_infeasible_requests_name_the_conflict():
    long = strip("12", [1], 76)
    with pytest.raises(ScheduleInfeasible, match=r"scene 12 is 9 4/8 pages; daily capacity is 5 pages"):
        solve_schedule(ScheduleRequest([long], {1: 1}, capacity_eighths=40, max_days=3))
    s = [strip("7", [2], 8)]
    with pytest.raises(ScheduleInfeasible, match=r"scene 7: no day in 1..3 on which cast 2"):
        solve_schedule(ScheduleRequest(s, {2: 1}, max_days=3, actor_unavailable={2: {0, 1, 2}}))
    with pytest.raises(ScheduleInfeasible, match=r"fixed to day 2, when cast 2 is unavailable"):
        solve_schedule(ScheduleRequest(s, {2: 1}, max_days=3, actor_unavailable={2: {1}}, fixed_days={"7": 1}))
    many = [strip(str(k), [1], 32) for k in range(5)]
    with pytest.raises(ScheduleInfeasible, match=r"20 pages need more than 3 days"):
        solve_schedule(ScheduleRequest(many, {1: 1}, capacity_eighths=40, max_days=3))
    assert issubclass(ScheduleInfeasible, ValueError)


def test_infeasible_after_checks_is_explained_by_constraint_group():
    # Each check passes alone; together the night turnaround blocks every board.
    strips = [strip("n", [1], 8, dn="N"), strip("d", [2], 8, dn="D")]
    req = ScheduleRequest(strips, {1: 1, 2: 1}, capacity_eighths=8, max_days=2, fixed_days={"n": 0},
                          location_unavailable={}, time_limit_s=4)
    with pytest.raises(ScheduleInfeasible, match="night turnaround"):
        solve_schedule(req)


def test_sample_script_board():
    from studio_kit.screenplay.analysis import analyze, load_script

    a = analyze(load_script(SAMPLE))
    assert len(a.scenes) == 48
    ids = cast_ids_for(a.scenes, a.screenplay)
    assert sorted(ids.values()) == list(range(1, len(ids) + 1))
    strips = strips_from_scenes(a.scenes, ids)
    pay = {i: 3000 if i <= 3 else 1000 if i <= 8 else 400 for i in ids.values()}
    req = ScheduleRequest(strips, pay, capacity_eighths=40, time_limit_s=4)
    sch = solve_schedule(req)
    assert sorted(sch.day_of()) == sorted(s.scene_uid for s in strips)
    assert all(sum(s.eighths for s in day) <= 40 for day in sch.days)
    assert sch.cost.total == evaluate(req, sch.days).total
    assert 0 < sch.lower_bound <= sch.cost.total
    rows = stripboard(sch)
    breaks = [r for r in rows if r["kind"] == "day_break"]
    assert len(breaks) == len(sch.days) and breaks[0]["text"].startswith("End of Day 1 -- ")
    diff = compare(sch, sch)
    assert diff["moved_scenes"] == {} and diff["terms"]["total"]["delta"] == 0
