"""Breakdown quality: precision, recall and F1 of `tag_script` against a hand-made gold breakdown.

    .venv/bin/python benchmarks/eval_breakdown.py [--script data/sample/night_train.fountain]
        [--gold data/sample/night_train_breakdown_gold.csv] [--embed] [--details]

Matching: a predicted tag counts when the gold file has the same scene number and category and
the names agree after normalisation (upper case, runs of spaces collapsed, a leading THE/A/AN
dropped, the last word made singular: "the Rivets" == "RIVET"). A gold name may list accepted
alternatives with "|" ("RELIEF SIGNALMAN|MAN": the script calls him both); each gold row matches
at most one prediction. Scene-field categories (0-6) are not scored: they come from the heading.

The peer row is the cast the screenplay package already lists per scene (cue names plus names
it sees in action), scored the same way. Exits 1 if cast recall is below 100%.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from studio_kit.preproduction.breakdown import Breakdown, SceneInfo, Tag, load_gold, score, tag_script
from studio_kit.preproduction.categories import CAST, category_name
from studio_kit.screenplay.analysis import analyze, load_script

ROOT = Path(__file__).resolve().parents[1]


def peer_cast(analysis) -> Breakdown:
    scenes = [SceneInfo(str(s.index), s.number, s.index) for s in analysis.scenes]
    tags = [Tag(str(s.index), s.number, CAST, n, source="cue") for s in analysis.scenes for n in s.characters]
    return Breakdown(scenes, tags)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--script", default=str(ROOT / "data/sample/night_train.fountain"))
    ap.add_argument("--gold", default=str(ROOT / "data/sample/night_train_breakdown_gold.csv"))
    ap.add_argument("--embed", action="store_true", help="add the sentence-embedding fallback (bundled MiniLM)")
    ap.add_argument("--details", action="store_true", help="list every miss and false alarm")
    args = ap.parse_args(argv)

    analysis = analyze(load_script(args.script))
    gold = load_gold(args.gold)
    embedder = None
    if args.embed:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from studio_kit.generation.embeddings import SentenceEmbedder

        embedder = SentenceEmbedder()
        embedder.encode(["warm-up"])
    t0 = time.perf_counter()
    bd = tag_script(analysis, embedder=embedder)
    secs = time.perf_counter() - t0
    per, total, detail = score(bd, gold)

    print(f"{Path(args.script).name}: {len(analysis.scenes)} scenes, {len(gold)} gold tags, "
          f"{len(bd.tags)} predicted in {secs:.2f} s ({'lexicon + embeddings' if args.embed else 'lexicon'})")
    print(f"{'id':>4}  {'category':<20} {'gold':>5} {'pred':>5} {'tp':>4} {'precision':>9} {'recall':>7} {'F1':>6}")
    for cid, s in per.items():
        print(f"{cid:>4}  {category_name(cid):<20} {s.tp + s.fn:>5} {s.tp + s.fp:>5} {s.tp:>4} "
              f"{s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f}")
    print(f"{'':>4}  {'overall':<20} {total.tp + total.fn:>5} {total.tp + total.fp:>5} {total.tp:>4} "
          f"{total.precision:>9.3f} {total.recall:>7.3f} {total.f1:>6.3f}")
    _, peer, _ = score(peer_cast(analysis), gold, categories=[CAST])
    cast = per.get(CAST)
    if cast:
        print(f"cast: tag_script P {cast.precision:.3f} R {cast.recall:.3f}; peer (screenplay scene cast lists) "
              f"P {peer.precision:.3f} R {peer.recall:.3f}")
    if args.details:
        print("\n".join(detail))
    if cast is None or cast.recall < 1.0:
        print("FAIL: cast recall below 100%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
