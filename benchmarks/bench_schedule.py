"""Talent scheduling and shooting schedule benchmark.

Every instance in tests/fixtures/talent/: our solver (``talent.solve``) against a plain textbook
CP-SAT model of the same problem (position variables with AllDifferent, each actor's first and
last position, minimise sum cost x span), same time limit. Then the 120- and 400-page synthetic
scripts end to end (strips from scenes -> ``solve_schedule``), with time and peak memory.

    python benchmarks/bench_schedule.py [--time-limit 10] [--board-limit 60]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

from ortools.sat.python import cp_model

from studio_kit.preproduction import schedule, talent
from studio_kit.preproduction.options import ScheduleOptions
from studio_kit.screenplay.analysis import analyze, parse_text
from studio_kit.screenplay.cast import cast_ids_for
from studio_kit.screenplay.synthetic import synthetic_script

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "fixtures" / "talent"


def cpsat_talent(inst: talent.TalentInstance, time_limit: float) -> tuple[int | None, int, float]:
    """The textbook model: scene i at position pos[i]; start[i] its first day; an actor's span runs
    from the start of its earliest scene to the end of its latest."""
    t0 = time.perf_counter()
    n, total = inst.scenes, sum(inst.duration)
    m = cp_model.CpModel()
    pos = [m.NewIntVar(0, n - 1, f"p{i}") for i in range(n)]
    m.AddAllDifferent(pos)
    before = {(i, j): m.NewBoolVar(f"b{i}_{j}") for i in range(n) for j in range(n) if i != j}
    for i in range(n):
        for j in range(i + 1, n):
            m.Add(pos[i] < pos[j]).OnlyEnforceIf(before[i, j])
            m.Add(pos[i] > pos[j]).OnlyEnforceIf(before[i, j].Not())
            m.Add(before[j, i] == 1 - before[i, j])
    start = []
    for i in range(n):
        s = m.NewIntVar(0, total - inst.duration[i], f"s{i}")
        m.Add(s == sum(inst.duration[j] * before[j, i] for j in range(n) if j != i))
        start.append(s)
    obj = []
    for a in range(inst.actors):
        mine = [i for i in range(n) if inst.cast[a][i]]
        if not mine:
            continue
        first = m.NewIntVar(0, total, f"f{a}")
        last = m.NewIntVar(0, total, f"l{a}")
        m.AddMinEquality(first, [start[i] for i in mine])
        m.AddMaxEquality(last, [start[i] + inst.duration[i] for i in mine])
        obj.append(inst.cost[a] * (last - first))
    m.Minimize(sum(obj))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    st = solver.Solve(m)
    cost = int(solver.ObjectiveValue()) if st in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
    return cost, int(solver.BestObjectiveBound()), time.perf_counter() - t0


def talent_table(time_limit: float) -> None:
    optima = json.loads((DATA / "optima.json").read_text())
    print(f"Talent scheduling, every instance in tests/fixtures/talent/ (CP-SAT: 2 workers, {time_limit:g} s)")
    head = (f"{'instance':34} {'scenes':>6} {'merged':>6} {'cost':>6} {'optimum':>7} {'gap':>6} {'ours s':>7} "
            f"{'method':>10} {'bdp s':>6} | {'cpsat':>6} {'bound':>6} {'cpsat s':>7}")
    print(head)
    print("-" * len(head))
    ours_total = cp_total = 0.0
    for key in sorted(optima):
        inst = talent.read_instance(DATA / key)
        sol = talent.solve(inst, time_limit=time_limit)
        bdp = talent.solve_bounded(inst, time_limit=time_limit)
        if not bdp.optimal or bdp.cost != sol.cost:
            raise SystemExit(f"{key}: bounded DP {bdp.cost} (optimal={bdp.optimal}) disagrees with {sol.cost}")
        cost, bound, secs = cpsat_talent(inst, time_limit)
        ours_total += sol.seconds
        cp_total += secs
        print(f"{key:34} {inst.scenes:>6} {sol.merged_scenes:>6} {sol.cost:>6} {optima[key]['optimal_total_cost']:>7} "
              f"{sol.gap:>6.1%} {sol.seconds:>7.2f} {sol.method:>10} {bdp.seconds:>6.2f} | "
              f"{cost if cost is not None else '-':>6} "
              f"{bound:>6} {secs:>7.2f}")
    print(f"{'total seconds':34} {'':>6} {'':>6} {'':>6} {'':>7} {'':>6} {ours_total:>7.1f} {'':>10} {'':>6} | "
          f"{'':>6} {'':>6} {cp_total:>7.1f}")
    print("(bdp s: the bounded DP alone, which solve() uses past 23 merged scenes; checked to agree)")


def film_like(base: talent.TalentInstance, extra: int, seed: int) -> talent.TalentInstance:
    """A larger board in a film's style: extra scenes whose casts are parts of the film's casts."""
    import random

    rng = random.Random(seed)
    casts = [sorted(base.scene_actors(i)) for i in range(base.scenes)]
    cols = [list(c) for c in casts]
    durs = list(base.duration)
    while len(cols) < base.scenes + extra:
        src = rng.choice([c for c in casts if len(c) > 1])
        sub = sorted(rng.sample(src, rng.randint(1, len(src) - 1)) + ([rng.randrange(base.actors)]
                                                                        if rng.random() < 0.3 else []))
        if sorted(set(sub)) not in cols:
            cols.append(sorted(set(sub)))
            durs.append(rng.randint(1, 3))
    cast = tuple(tuple(int(a in c) for c in cols) for a in range(base.actors))
    return talent.TalentInstance(f"{base.name}+{extra}", cast, base.cost, tuple(durs))


def larger_boards(time_limit: float) -> None:
    print(f"\nPast the array DP: film-like boards of 24-30 distinct scenes (film103/118 casts), solve() with "
          f"{time_limit:g} s")
    head = f"{'board':16} {'merged':>6} {'cost':>6} {'bound':>6} {'gap':>6} {'proved':>6} {'states':>9} {'s':>6}"
    print(head)
    print("-" * len(head))
    for name, extra in (("film103.dat", 6), ("film103.dat", 9), ("film118.dat", 8), ("film118.dat", 11)):
        inst = film_like(talent.read_instance(DATA / "ddo" / name), extra, seed=extra)
        sol = talent.solve(inst, time_limit=time_limit)
        print(f"{inst.name:16} {sol.merged_scenes:>6} {sol.cost:>6} {sol.lower_bound:>6} {sol.gap:>6.1%} "
              f"{'yes' if sol.optimal else 'no':>6} {sol.stats.get('states', 0):>9} {sol.seconds:>6.1f}")


def board_table(board_limit: float) -> None:
    """Breakdown + schedule of synthetic 120/400-page scripts, with the project defaults of
    data/rates/ (cast day rates by billing, shoot-day cost and the other weights)."""
    from studio_kit.preproduction.breakdown import Lexicon, tag_script
    from studio_kit.preproduction.schedule_store import rate_for, read_cast_rates, read_schedule_weights

    rates = read_cast_rates(ROOT / "data" / "rates" / "cast_day_rates.csv")
    weights = read_schedule_weights(ROOT / "data" / "rates" / "schedule_weights.csv")
    lexicon = Lexicon.load()
    capacity = ScheduleOptions().capacity_eighths  # the Studio's default page capacity
    print(f"\nShooting schedule end to end (synthetic scripts: parse, breakdown, strips, board; "
          f"capacity {capacity / 8:g} pages/day; shoot day {weights.shoot_day:,.0f}; CP-SAT 2 workers, "
          f"{board_limit:g} s budget)")
    head = (f"{'script':10} {'strips':>6} {'tags':>6} {'cast':>5} {'days':>5} {'min':>4} {'cost':>10} {'bound':>10} "
            f"{'gap':>6} {'moves':>5} {'D/N':>4} {'holds':>5} {'status':>9} {'tag s':>6} {'total s':>7} {'peak MB':>8}")
    print(head)
    print("-" * len(head))
    for pages in (120, 400):
        tracemalloc.start()
        t0 = time.perf_counter()
        a = analyze(parse_text(synthetic_script(pages)))
        t1 = time.perf_counter()
        bd = tag_script(a, lexicon=lexicon)
        tag_s = time.perf_counter() - t1
        cast_of: dict[str, list[str]] = {}
        for t in bd.tags:
            if t.category_id == 100:
                cast_of.setdefault(t.scene_uid, []).append(t.name)
        uids = [sc.uid for sc in bd.scenes]
        scenes = [replace(sc, speaking=list(dict.fromkeys(cast_of.get(u, []))), non_speaking=[])
                  for sc, u in zip(a.scenes, uids, strict=True)]
        ids = cast_ids_for(scenes, a.screenplay)
        strips = schedule.strips_from_scenes(scenes, ids, scene_uids=uids)
        cast = sorted({c for s in strips for c in s.cast})
        pay = {c: rate_for(c, rates) for c in cast}
        req = schedule.ScheduleRequest(strips, pay, capacity_eighths=capacity, weights=weights,
                                       time_limit_s=board_limit)
        sch = schedule.solve_schedule(req)
        secs = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        c = sch.cost
        print(f"{pages:>3} pages  {len(strips):>6} {len(bd.tags):>6} {len(cast):>5} {c.days:>5} "
              f"{schedule.min_days(req):>4} {c.total:>10.0f} {sch.lower_bound:>10.0f} {sch.gap:>6.1%} "
              f"{c.company_moves:>5} {c.day_night_switches:>4} {c.hold_days:>5} {sch.status:>9} {tag_s:>6.1f} "
              f"{secs:>7.1f} {peak:>8.1f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(min: fewest days the pages allow; peak MB: Python allocations by tracemalloc; process max RSS "
          f"{rss:.0f} MB incl. CP-SAT)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per talent instance, both solvers")
    ap.add_argument("--board-limit", type=float, default=60.0, help="seconds for each synthetic board")
    args = ap.parse_args()
    talent_table(args.time_limit)
    larger_boards(args.time_limit)
    board_table(args.board_limit)


if __name__ == "__main__":
    main()
