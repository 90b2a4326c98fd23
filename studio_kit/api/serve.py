"""`studio serve api`: run the HTTP API on 127.0.0.1 (the one process that writes the store)."""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    from ..settings import Settings
    from .app import create_app

    ap = argparse.ArgumentParser(prog="studio serve api", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1", help="bind address (default loopback only)")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--store", type=Path, default=None, help="the DuckDB store (default: settings)")
    ap.add_argument("--log-level", default="info")
    args = ap.parse_args(argv)
    app = create_app(Settings.from_env(), store_path=args.store)
    # One worker: the store has one writer; more processes would fight over DuckDB's lock.
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
