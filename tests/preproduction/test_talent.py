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


def _random_board(rng, n: int, m: int, p: float) -> TalentInstance:
    cast = tuple(tuple(int(rng.random() < p) for _ in range(n)) for _ in range(m))
    return TalentInstance("r", cast, tuple(rng.randint(1, 20) for _ in range(m)),
                          tuple(rng.randint(1, 4) for _ in range(n)))


def test_bounded_dp_matches_array_dp_on_larger_boards_from_a_poor_incumbent():
    """10-18 scenes, film-like overlapping casts, and a random order as the incumbent, so the search
    itself must find the optimum: the on-set hold bound, the dominance and the mirror symmetry may
    never cut it off."""
    import random

    from studio_kit.preproduction.talent import TalentSolution, solve_bounded

    rng = random.Random(23)
    for _ in range(24):
        inst = _random_board(rng, rng.randint(10, 18), rng.randint(3, 9), rng.choice((0.3, 0.45, 0.6)))
        order = list(range(inst.scenes))
        rng.shuffle(order)
        poor = TalentSolution(order, order_cost(inst, order), 0, False, 0.0, inst.scenes, "random")
        sol = solve_bounded(inst, upper=poor)
        assert sol.optimal and sol.lower_bound == sol.cost
        assert sol.cost == solve_dp(inst).cost == order_cost(inst, sol.order)


def test_bounded_dp_with_its_own_incumbent_matches_array_dp():
    import random

    from studio_kit.preproduction.talent import solve_bounded

    rng = random.Random(5)
    for _ in range(6):
        inst = _random_board(rng, rng.randint(12, 16), rng.randint(5, 12), 0.4)
        sol = solve_bounded(inst, time_limit=2.0)  # local search and beams, then the proof
        assert sol.optimal and sol.cost == solve_dp(inst).cost == order_cost(inst, sol.order)


def test_film_like_board_past_the_array_dp_is_proved_optimal():
    """film103 plus six scenes cast from parts of its casts: 25 distinct scenes, more than the array DP
    takes, proved optimal by the bounded DP (its bound meets the order's cost)."""
    import random

    from studio_kit.preproduction.talent import DP_MAX_SCENES, merge_identical, solve, solve_local

    base = read_instance(DATA / "ddo/film103.dat")
    rng = random.Random(6)
    cols = [sorted(base.scene_actors(i)) for i in range(base.scenes)]
    durs = list(base.duration)
    while len(cols) < base.scenes + 6:
        src = rng.choice([c for c in cols[: base.scenes] if len(c) > 1])
        sub = sorted(set(rng.sample(src, rng.randint(1, len(src) - 1))))
        if sub not in cols:
            cols.append(sub)
            durs.append(rng.randint(1, 3))
    inst = TalentInstance("film103+6", tuple(tuple(int(a in c) for c in cols) for a in range(base.actors)),
                          base.cost, tuple(durs))
    assert len(merge_identical(inst)) > DP_MAX_SCENES
    sol = solve(inst, time_limit=30.0)
    assert sol.method == "bounded-dp" and sol.optimal and sol.lower_bound == sol.cost
    assert sol.cost == order_cost(inst, sol.order) <= solve_local(inst, time_limit=0.3).cost
    # the base film's scenes alone cannot cost more than the whole board
    assert OPTIMA["ddo/film103.dat"]["optimal_total_cost"] <= sol.cost
