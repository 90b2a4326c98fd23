"""Load test of the HTTP API on 127.0.0.1: N concurrent clients for a bounded time, mixing reads
(scenes, schedules, jobs, tasks) and writes (review comments), through uvicorn in a subprocess.

    .venv/bin/python benchmarks/bench_api_load.py --seconds 30 --clients 50

Reports throughput, p50/p99 latency and error counts, then stops the server (it always stops:
the clients run for --seconds, every request has a timeout, the server is terminated at the end).
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.api.conftest import build_world  # noqa: E402  (the same two-tenant world as the API tests)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, headers: dict, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if httpx.get(f"{base}/v1/projects", headers=headers, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the API server did not come up on 127.0.0.1")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--write-share", type=float, default=0.2, help="fraction of requests that write")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    world = build_world(tmp)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys; from studio_kit.api.serve import main; sys.exit(main(sys.argv[1:]))",
         "--store", str(world.path), "--port", str(port), "--log-level", "warning"], cwd=ROOT)
    try:
        heads = [world.headers(p) for p in ("boss", "production_manager", "supervisor", "artist")]
        wait_ready(base, heads[0])
        sid = world.ids["script"]
        reads = [f"/v1/projects/film/scripts/{sid}/scenes", "/v1/projects/film/schedules",
                 "/v1/projects/film/schedules/1/stripboard", "/v1/projects/film/jobs", "/v1/projects/film/tasks"]
        lat: list[tuple[str, float, int]] = []
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def client(n: int) -> None:
            rnd = random.Random(n)
            h = heads[n % len(heads)]
            mine: list[tuple[str, float, int]] = []
            with httpx.Client(base_url=base, headers=h, timeout=10.0) as c:
                while time.monotonic() < stop:
                    write = rnd.random() < args.write_share
                    t0 = time.perf_counter()
                    try:
                        if write:
                            r = c.post("/v1/projects/film/assets/board-1/versions/1/comments",
                                       json={"text": f"load note {n}"})
                        else:
                            r = c.get(rnd.choice(reads))
                        code = r.status_code
                    except httpx.HTTPError:
                        code = -1
                    mine.append(("write" if write else "read", time.perf_counter() - t0, code))
            with lock:
                lat.extend(mine)

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
        t_start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(args.seconds + 30)
        wall = time.monotonic() - t_start
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()

    def pct(xs: list[float], q: float) -> float:
        return statistics.quantiles(xs, n=100)[q - 1] * 1000 if len(xs) > 1 else float("nan")

    print(f"API load: {args.clients} clients x {args.seconds:.0f} s on 127.0.0.1 (uvicorn, 1 worker, one writer)")
    for kind in ("all", "read", "write"):
        xs = [d for k, d, _ in lat if kind == "all" or k == kind]
        errs = sum(1 for k, _, c in lat if (kind == "all" or k == kind) and not 200 <= c < 300)
        if xs:
            print(f"  {kind:5s}: {len(xs):6d} requests, {len(xs) / wall:7.1f} req/s, p50 {pct(xs, 50):7.1f} ms, "
                  f"p99 {pct(xs, 99):7.1f} ms, errors {errs}")
    codes: dict[int, int] = {}
    for _, _, c in lat:
        codes[c] = codes.get(c, 0) + 1
    print(f"  status codes: {dict(sorted(codes.items()))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
