"""Budget benchmark: how fast a big budget follows a schedule change, and how fast a dashboard reads a store
that holds many projects.

1. A ~3,000-line budget (the template's lines, the plan-linked lines, and synthetic lines across the chart with
   formulas over the plan's globals and fringes): ``compute`` (median of 5), then SHOOT_DAYS changes (as a new
   board would change it) and the recompute is timed the same way.
2. A temporary store with 50 projects, each a synthetic ~30-page script ingested and scheduled (short solver
   limit): the setup time, then the read path of a dashboard page (open read-only, scenes, stripboard,
   schedules, DOOD, budget) for one project and for all of them.

    python benchmarks/bench_budget.py [--lines 3000] [--projects 50] [--pages 30] [--time-limit 1]

It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from studio_kit.preproduction import budget as bud
from studio_kit.preproduction.options import ScheduleOptions
from studio_kit.screenplay.synthetic import write_synthetic
from studio_kit.settings import Settings
from studio_kit.studio import Studio

START = date(2027, 3, 1)
GENERATED = {bud.CAST_ACCOUNT, bud.BACKGROUND_ACCOUNT, bud.LOCATION_ACCOUNT, bud.COMPUTE_ACCOUNT}
QUANTITIES = ("SHOOT_DAYS", "SHOOT_WEEKS", "PREP_WEEKS + SHOOT_WEEKS", "PREP_WEEKS / 2 + SHOOT_WEEKS + WRAP_WEEKS",
              "ceil(SHOOT_DAYS / 6)", "max(1, SHOOT_DAYS - 2)", "2", "1")
MULTIPLIERS = ("1", "2", "CREW_SIZE / 11", "min(3, CAST_COUNT)", "LOCATION_DAYS / SHOOT_DAYS")


def median_seconds(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def plan_inputs(shoot_days: int, cast: int = 24) -> bud.BudgetInputs:
    """A plausible plan: cast paid for part of the shoot, a few locations, extras on most days."""
    rng = random.Random(7)
    rows = [bud.CastDays(str(i), f"ROLE {i}", float(min(shoot_days, rng.randint(1, shoot_days))), 0.0, 0.0,
                         5000.0 if i <= 2 else 2500.0 if i <= 8 else 1200.0) for i in range(1, cast + 1)]
    locations = {f"LOCATION {k}": float(rng.randint(1, 4)) for k in range(8)}
    background = {f"Day {d}": rng.choice((0, 4, 12, 30)) for d in range(1, shoot_days + 1)}
    return bud.BudgetInputs(shoot_days, 4.0, 2.0, rows, locations, background)


def big_budget(n_lines: int, shoot_days: int) -> bud.Budget:
    """The shipped template and the plan's lines, padded with synthetic lines to ``n_lines``."""
    base = bud.plan_budget(plan_inputs(shoot_days), title="bench", on=START)
    accounts = [a.number for a in base.accounts if a.number not in GENERATED]
    rng = random.Random(11)
    rate_names = sorted(k for k, v in base.globals.items() if isinstance(v, (int, float)) and k.endswith(("_DAY",
                                                                                                       "_WEEK")))
    extra = []
    for i in range(max(0, n_lines - len(base.lines))):
        q = rng.choice(QUANTITIES)
        units = "weeks" if "WEEKS" in q else "days" if "DAYS" in q else "allow"
        rate: str | float = rng.choice(rate_names) if rate_names and rng.random() < 0.5 else float(rng.randint(50, 900))
        fringes = bud.PAYROLL_FRINGES if rng.random() < 0.5 else ()
        extra.append(bud.DetailLine(rng.choice(accounts), f"synthetic line {i}", q, units, rng.choice(MULTIPLIERS),
                                    rate, fringes, "bench"))
    return replace(base, lines=[*base.lines, *extra])


def bench_recompute(n_lines: int, repeat: int) -> None:
    budget = big_budget(n_lines, shoot_days=20)
    secs, before = median_seconds(lambda: bud.compute(budget), repeat)
    changed = replace(budget, globals={**budget.globals, "SHOOT_DAYS": 24.0})
    secs2, after = median_seconds(lambda: bud.compute(changed), repeat)
    print(f"budget: {len(budget.lines):,} lines, {len(budget.globals)} globals")
    print(f"  compute (SHOOT_DAYS 20): {secs:.3f} s median of {repeat}; grand total {before.grand_total:,.2f}")
    print(f"  recompute (SHOOT_DAYS 24): {secs2:.3f} s median of {repeat}; grand total {after.grand_total:,.2f} "
          f"({after.grand_total - before.grand_total:+,.2f})")
    rebuilt = bud.plan_budget(plan_inputs(24), title="bench", on=START)
    secs3, _ = median_seconds(lambda: bud.compute(rebuilt), repeat)
    print(f"  template + plan lines only ({len(rebuilt.lines)} lines) at 24 days: {secs3 * 1000:.1f} ms")


def dashboard_read(studio: Studio) -> int:
    """What one dashboard page reads for a project; returns a row count so nothing is optimised away."""
    sid = studio.script_id()
    n = len(studio.scenes(sid)) + len(studio.stripboard()) + len(studio.schedules())
    n += len(studio.dood().rows)
    return n + len(studio.plan_budget().detail)  # computed, as the budget page does


def bench_store(projects: int, pages: int, time_limit: float, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_budget_") as tmp:
        store = Path(tmp) / "studio.duckdb"
        names = [f"film-{k:02d}" for k in range(projects)]
        t0 = time.perf_counter()
        for k, name in enumerate(names):
            script = write_synthetic(pages, Path(tmp) / f"{name}.fountain", seed=k)
            with Studio.open(Settings(), project=name, store_path=store) as studio:
                studio.ingest_script(script)
                studio.plan_schedule(start=START, options=ScheduleOptions(time_limit_s=time_limit))
        setup = time.perf_counter() - t0
        print(f"store: {projects} projects x {pages}-page synthetic scripts ingested and scheduled "
              f"(time limit {time_limit:g} s) in {setup:.1f} s ({setup / projects:.2f} s a project); "
              f"{store.stat().st_size / 1e6:.1f} MB")

        def one() -> int:
            with Studio.open(Settings(), project=names[0], store_path=store, read_only=True) as studio:
                return dashboard_read(studio)

        def every() -> int:
            with Studio.open(Settings(), project=names[0], store_path=store, read_only=True) as studio:
                return sum(dashboard_read(studio.for_project(name)) for name in names)

        secs, rows = median_seconds(one, repeat)
        print(f"  dashboard read, one project (open read-only + scenes, stripboard, schedules, DOOD, budget): "
              f"{secs * 1000:.0f} ms median of {repeat} ({rows} rows)")
        secs, rows = median_seconds(every, max(1, repeat // 2))
        print(f"  dashboard read, all {projects} projects on one connection: {secs:.2f} s median of "
              f"{max(1, repeat // 2)} ({secs / projects * 1000:.0f} ms a project, {rows} rows)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=3000)
    ap.add_argument("--projects", type=int, default=50)
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--time-limit", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    bench_recompute(args.lines, args.repeat)
    bench_store(args.projects, args.pages, args.time_limit, args.repeat)


if __name__ == "__main__":
    main()
