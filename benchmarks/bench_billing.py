"""Billing benchmark: how fast a month's invoice is drafted from many usage records, how fast a
quota check answers (it runs on every submission), and how long an API-key check takes (every request).

1. A temporary store with one tenant of ``--projects`` projects and ``--records`` usage records in one
   month over three GPU kinds (plus another tenant with as many, which must not be read), bulk-loaded
   through metering.record_usages; then draft_invoice and check_quota, median of 5.
2. authenticate() on a valid key, median over ``--auth`` calls (SHA-256 of a 256-bit secret + one
   primary-key lookup + the person's roles + the last-used stamp).

    python benchmarks/bench_billing.py [--records 200000] [--projects 20] [--auth 500]

It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from studio_kit.generation import metering
from studio_kit.management import access
from studio_kit.platform import billing, keys
from studio_kit.store import Store
from studio_kit.studio import ALL_MIGRATIONS

KINDS = ("h100", "a10", "cpu")


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--projects", type=int, default=20)
    ap.add_argument("--auth", type=int, default=500)
    args = ap.parse_args()
    seen, migrations = set(), []
    for m in [*ALL_MIGRATIONS, *access.MIGRATIONS, *keys.MIGRATIONS, *billing.MIGRATIONS]:
        if (m.component, m.version) not in seen:
            seen.add((m.component, m.version))
            migrations.append(m)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.duckdb", migrations=migrations)
        t = time.perf_counter()
        per_project = args.records // args.projects
        for tenant in ("acme", "rival"):
            for p in range(args.projects):
                scope = store.ensure_project(tenant, f"p{p:03d}")
                metering.record_usages(scope, [
                    metering.Usage(f"job-{p}-{i}", f"job-{p}-{i}", "m", KINDS[i % 3], 1.0 + (i % 17))
                    for i in range(per_project)])
        month = datetime.now().strftime("%Y-%m")
        print(f"setup: {2 * per_project * args.projects:,} usage records in {time.perf_counter() - t:.1f} s")
        billing.set_plan(store, "acme", "studio", effective_from=date(2000, 1, 1), gpu_quota=1e12)
        inv = billing.draft_invoice(store, "acme", month)
        print(f"draft_invoice ({len(inv.lines)} lines, {inv.total} {inv.currency}): "
              f"{median_seconds(lambda: billing.draft_invoice(store, 'acme', month), 5) * 1e3:.1f} ms")
        print(f"check_quota: {median_seconds(lambda: billing.check_quota(store, 'acme', 30.0), 5) * 1e3:.1f} ms")
        access.add_person(store, "acme", "alice", "Alice", "alice@acme.test")
        key = keys.create_api_key(store, "acme", "alice").plaintext
        auth = median_seconds(lambda: keys.authenticate(store, key), args.auth)
        print(f"authenticate: {auth * 1e3:.2f} ms per call (median of {args.auth})")
        store.close()


if __name__ == "__main__":
    main()
