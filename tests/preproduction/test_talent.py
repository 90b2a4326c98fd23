"""Talent scheduling: every research instance read in both formats and solved to its known optimum."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from studio_kit.preproduction.talent import (
    InstanceError,
    TalentInstance,
    order_cost,
    read_instance,
    solve_dp,
)

DATA = Path(__file__).parents[1] / "fixtures" / "talent"
OPTIMA = json.loads((DATA / "optima.json").read_text())


@pytest.mark.parametrize("key", sorted(OPTIMA))
def test_exact_dp_reaches_published_optimum(key):
    inst = read_instance(DATA / key)
    assert (inst.scenes, inst.actors) == (OPTIMA[key]["scenes"], OPTIMA[key]["actors"])
    sol = solve_dp(inst)
    assert sol.optimal and sol.cost == sol.lower_bound
    assert sol.cost == OPTIMA[key]["optimal_total_cost"]
    assert order_cost(inst, sol.order) == sol.cost  # the order really costs what is claimed
    assert sol.cost - inst.fixed_cost() == OPTIMA[key]["optimal_idle_cost"]
    known = [i - 1 for i in OPTIMA[key]["order"]]
    assert order_cost(inst, known) == sol.cost


def test_dp_matches_brute_force_on_small_random_boards():
    import random

    rng = random.Random(7)
    for _ in range(25):
        n, m = rng.randint(2, 7), rng.randint(1, 5)
        cast = tuple(tuple(rng.randint(0, 1) for _ in range(n)) for _ in range(m))
        inst = TalentInstance("r", cast, tuple(rng.randint(1, 9) for _ in range(m)),
                              tuple(rng.randint(1, 3) for _ in range(n)))
        best = min(order_cost(inst, list(p)) for p in itertools.permutations(range(n)))
        assert solve_dp(inst).cost == best


def test_dat_and_dzn_of_the_same_film_agree():
    a = read_instance(DATA / "ddo" / "film103.dat")
    b = read_instance(DATA / "minizinc-benchmarks" / "film103.dzn")
    assert (a.cast, a.cost, a.duration) == (b.cast, b.cost, b.duration)


def test_bad_instances_name_the_problem(tmp_path):
    p = tmp_path / "bad.dat"
    p.write_text("bad\n3\n2\n1 0 1 5\n0 1\n1 1 1\n")
    with pytest.raises(InstanceError, match="actor row 2"):
        read_instance(p)
    q = tmp_path / "bad.dzn"
    q.write_text("numScenes = 2;\nc = [1];\n")
    with pytest.raises(InstanceError, match="missing ia, d"):
        read_instance(q)
    with pytest.raises(InstanceError, match="not found"):
        read_instance(tmp_path / "none.dzn")


def test_lower_bound_never_exceeds_optimum_and_local_search_is_feasible():
    from studio_kit.preproduction.talent import lower_bound, solve, solve_local

    for key in ("ddo/film103.dat", "ddo/Shaw2020", "minizinc-benchmarks/MobStory.dzn"):
        inst = read_instance(DATA / key)
        opt = OPTIMA[key]["optimal_total_cost"]
        assert inst.fixed_cost() <= lower_bound(inst, max_groups=12) <= opt
        sol = solve_local(inst, time_limit=1.0)
        assert sol.lower_bound <= opt <= sol.cost == order_cost(inst, sol.order)
        assert solve(inst).cost == opt  # small enough for the exact DP


FAST = ["ddo/film105.dat", "ddo/film118.dat", "ddo/Warwick1201", "minizinc-benchmarks/MobStory.dzn",
        "csplib/Film2_from_spec.dzn", "ddo/concert"]


@pytest.mark.parametrize("key", FAST)
def test_bounded_dp_proves_the_published_optimum(key):
    from studio_kit.preproduction.talent import solve_bounded, solve_local

    inst = read_instance(DATA / key)
    sol = solve_bounded(inst, upper=solve_local(inst, time_limit=0.2))
    assert sol.optimal and sol.cost == sol.lower_bound == OPTIMA[key]["optimal_total_cost"]
    assert order_cost(inst, sol.order) == sol.cost


def test_bounded_dp_matches_array_dp_on_random_boards():
    import random

    from studio_kit.preproduction.talent import solve_bounded, solve_local

    rng = random.Random(11)
    for _ in range(40):
        n, m = rng.randint(2, 12), rng.randint(1, 7)
        cast = tuple(tuple(int(rng.random() < 0.4) for _ in range(n)) for _ in range(m))
        inst = TalentInstance("r", cast, tuple(rng.randint(1, 9) for _ in range(m)),
                              tuple(rng.randint(1, 3) for _ in range(n)))
        sol = solve_bounded(inst, upper=solve_local(inst, time_limit=0.01))
        assert sol.optimal and sol.cost == solve_dp(inst).cost == order_cost(inst, sol.order)


def test_bounded_dp_out_of_budget_keeps_a_valid_bound():
    from studio_kit.preproduction.talent import solve_bounded, solve_local

    inst = read_instance(DATA / "ddo/film103.dat")
    sol = solve_bounded(inst, max_states=10, upper=solve_local(inst, time_limit=0.1))
    assert sol.lower_bound <= OPTIMA["ddo/film103.dat"]["optimal_total_cost"] <= sol.cost
    assert sol.stats["stopped"] == "states" or sol.optimal
