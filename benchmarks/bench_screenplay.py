"""Screenplay hot path: parse + paginate synthetic 120- and 400-page scripts, with screenplain
(the peer: a widely used Python Fountain tool) parsing and typesetting the same text in the same run.

    .venv/bin/python benchmarks/bench_screenplay.py [--repeat 7] [--pages 120 400]

Prints the median wall time of each step. screenplain has no pagination step of its own outside
its PDF export, so the PDF rows compare whole "text to paginated PDF" runs.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from studio_kit.screenplay.analysis import analyze
from studio_kit.screenplay.fountain import parse_fountain
from studio_kit.screenplay.pagination import paginate
from studio_kit.screenplay.pdf import render_pdf
from studio_kit.screenplay.synthetic import synthetic_script


def median_time(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up (imports, regex compilation)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, nargs="+", default=[120, 400])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    try:
        from screenplain.export.pdf import to_pdf as sp_to_pdf
        from screenplain.parsers import fountain as sp_fountain
    except ImportError:
        sp_fountain = sp_to_pdf = None
        print("screenplain is not installed (pip install screenplain): peer figures skipped")

    tmp = Path(tempfile.mkdtemp(prefix="bench_screenplay_"))
    print(f"python {sys.version.split()[0]}, median of {args.repeat} runs\n")
    header = f"{'script':<10}{'step':<34}{'studio_kit':>12}{'screenplain':>13}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    for pages in args.pages:
        text = synthetic_script(pages, seed=1)
        sp = parse_fountain(text)
        pag = paginate(sp)
        label = f"{pag.page_count} pp"
        t_parse = median_time(lambda: parse_fountain(text), args.repeat)
        t_pag = median_time(lambda: paginate(sp), args.repeat)
        t_both = median_time(lambda: paginate(parse_fountain(text)), args.repeat)
        t_all = median_time(lambda: analyze(parse_fountain(text)), args.repeat)
        pdf_repeat = max(1, args.repeat // 3)
        t_pdf = median_time(lambda: render_pdf(parse_fountain(text), tmp / "ours.pdf"), pdf_repeat)
        peer_parse = peer_pdf = None
        if sp_fountain is not None:
            peer_parse = median_time(lambda: sp_fountain.parse(io.StringIO(text)), args.repeat)
            peer_pdf = median_time(
                lambda: sp_to_pdf(sp_fountain.parse(io.StringIO(text)), str(tmp / "peer.pdf")), pdf_repeat
            )

        def row(step: str, ours: float, peer: float | None) -> None:
            ratio = f"{peer / ours:.1f}x" if peer else ""
            peer_s = f"{peer * 1000:.1f} ms" if peer else "-"
            print(f"{label:<10}{step:<34}{ours * 1000:>9.1f} ms{peer_s:>13}{ratio:>8}")

        row("parse", t_parse, peer_parse)
        row("paginate (parsed script)", t_pag, None)
        row("parse + paginate", t_both, peer_parse)
        row("parse + paginate + scenes + stats", t_all, None)
        row("text -> paginated PDF", t_pdf, peer_pdf)
        print()
    print("ratio = screenplain time / studio_kit time (higher: studio_kit faster). The parse + paginate row")
    print("compares against screenplain's parse alone, which does no pagination.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
