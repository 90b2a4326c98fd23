"""Storyboard throughput: shot lists for the whole sample script, then every shot's board frame made
through the Studio (jobs in the store, Ray workers, locked identities, consistency scored and
recorded), against the peer - the same frame requests rendered by a plain loop over the backend in
this process (no jobs, no store, no scoring).

    python benchmarks/bench_boards.py [--scenes all|N] [--workers 2] [--size 640x360]

Prints shot-list time, frames, frames per second end to end and per stage, and the plain loop's
frames per second. It asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "night_train.fountain"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", default="all", help="'all' or the first N scenes")
    ap.add_argument("--size", default="640x360")
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))

    from studio_kit.characters.bible import identity
    from studio_kit.characters.service import character_for, require_lock
    from studio_kit.generation.procedural import ProceduralImageBackend
    from studio_kit.settings import Settings
    from studio_kit.studio import Studio
    from studio_kit.writing import boards
    from studio_kit.writing.options import BoardOptions

    tmp = Path(tempfile.mkdtemp(prefix="bench_boards_"))
    try:
        studio = Studio.open(Settings(out_dir=tmp / "out"), project="bench", store_path=tmp / "s.duckdb")
        studio.ingest_script(SAMPLE)
        stored = studio.stored_script()
        n = len(stored.analysis.scenes) if args.scenes == "all" else int(args.scenes)
        scenes = [sc.number for sc in stored.analysis.scenes[:n]]
        studio.create_characters()
        runner = studio.runner(progress=False)
        t = time.perf_counter()
        for cid in studio.characters()["character_id"]:
            studio.lock_character(cid)
        lock_s = time.perf_counter() - t
        studio.tag_breakdown()  # tag and store first: its time is not the shot lists'
        t = time.perf_counter()
        lists = studio.make_shot_lists(scenes)
        shots_s = time.perf_counter() - t
        shots = sum(len(sl.shots) for sl in lists.shot_lists)
        print(f"sample: {len(scenes)} scenes, {shots} shots; shot lists {shots_s * 1000:.0f} ms "
              f"({shots_s / len(scenes) * 1000:.1f} ms a scene); {studio.characters().height} characters locked "
              f"in {lock_s:.1f} s")
        print(f"ray workers for the image model: {runner._capacity(runner.profile.spec('image'))}")
        t = time.perf_counter()
        run = studio.make_boards(scenes, options=BoardOptions(size=size))
        board_s = time.perf_counter() - t
        print(f"boards through the Studio: {len(run.frames)} frames in {board_s:.2f} s = "
              f"{len(run.frames) / board_s:.1f} frames/s (jobs, Ray, consistency, store); "
              f"{len(run.errors)} errors; lowest consistency {run.min_score:.3f}, "
              f"drift {sum(1 for f in run.frames if f.drift)}")
        t = time.perf_counter()
        again = studio.make_boards(scenes, options=BoardOptions(size=size))
        print(f"re-run (jobs reused by key): {len(again.frames)} frames in {time.perf_counter() - t:.2f} s")

        # the peer: the same requests through the backend in a plain loop
        from studio_kit.writing import shots_store
        from studio_kit.writing.shots import cut_scene, scene_beats, scene_seconds

        reqs = []
        for uid, sc in zip(stored.scene_uids[:n], stored.analysis.scenes[:n], strict=True):
            sl, _ = shots_store.load_shot_list(studio.scope, stored.script_id, uid)
            cuts = cut_scene(sl, scene_beats(stored.analysis.screenplay, sc), scene_seconds(sc))
            for k, shot in enumerate(sl.shots):
                ids = []
                for name in boards.in_frame(shot):
                    ch, locked = require_lock(studio.scope, character_for(studio.scope, name).character_id)
                    ids.append(identity(ch, locked, shot_index=k))
                reqs.append(boards.frame_request(shot, sc, ids, seed=k, expression=boards.expression_for(cuts, shot),
                                                 size=size))
        backend = ProceduralImageBackend(studio.model_profile().spec("image"))
        t = time.perf_counter()
        for r in reqs:
            backend.generate([r])
        loop_s = time.perf_counter() - t
        print(f"peer, plain loop over the backend in one process: {len(reqs)} frames in {loop_s:.2f} s = "
              f"{len(reqs) / loop_s:.1f} frames/s (no jobs, no store, no scores)")
        studio.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
