"""Procedural image path benchmark: renderer frames per second and descriptor embeddings per second,
and (with --measure) the similarity distributions behind descriptor.DRIFT_THRESHOLD.

    python benchmarks/bench_procedural.py [--frames 200] [--measure]

Speed: storyboard panels (one to three characters, sets, shot sizes) rendered at 512x512 and 768x432
on one core, then the descriptor over each figure box. Measure: every character's reference (a
character-sheet front view, neutral, full figure on the plain backdrop) against its own shots (4 views
x 6 expressions x MS/MCU/CU x 4 sets, alone and in a two-shot), against other characters' shots, and
against its own shots with one wardrobe colour changed. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from dataclasses import replace

import numpy as np

from studio_kit.generation.base import EXPRESSIONS, VIEWS, Identity, ImageRequest
from studio_kit.generation.descriptor import DRIFT_THRESHOLD, DRIFT_THRESHOLD_MATCHED, DescriptorEmbedder
from studio_kit.generation.procedural import ProceduralImageBackend

CAST = (
    Identity("maya", "MAYA", palette=("#e0ac69", "#3b2314", "#1f3a93", "#dddddd", "#c0392b"), hair="long",
             build="slight", height=0.95),
    Identity("joe", "JOE", palette=("#8d5524", "#111111", "#6b8e23", "#4a3728", "#f1c40f"), build="broad",
             height=1.08),
    Identity("ann", "ANN", palette=("#f1c27d", "#b55239", "#8e44ad", "#2c3e50", "#ecf0f1"), hair="bun"),
    Identity("lee", "LEE", palette=("#c68642", "#2b1b0e", "#7f8c8d", "#1c1c1c", "#2980b9"), hair="short"),
    Identity("rosa", "ROSA", palette=("#ffdbac", "#e6c27a", "#c0392b", "#f5f5dc", "#27ae60"), hair="long",
             height=0.92),
    Identity("sam", "SAM", palette=("#e0ac69", "#3b2314", "#16a085", "#34495e", "#e67e22"), hair="bald",
             build="broad"),
    Identity("kit", "KIT", palette=("#8d5524", "#111111", "#d35400", "#2c3e50", "#f1c40f"), hair="short",
             build="slight"),
    Identity("ivy", "IVY", palette=("#f1c27d", "#111111", "#1f3a93", "#7f8c8d", "#ecf0f1"), hair="bun"),
)
SETS = (("KITCHEN", "INT", "DAY"), ("MAIN STREET", "EXT", "NIGHT"), ("PARK", "EXT", "DAY"), ("OFFICE", "INT", "NIGHT"))
OTHER_COLOURS = ("#c0392b", "#27ae60", "#f39c12", "#8e44ad", "#2980b9", "#ecf0f1")


def reference(c: Identity, size: str = "FS") -> ImageRequest:
    """The locked reference: a character-sheet front view, neutral, on the plain backdrop."""
    return ImageRequest(f"{c.name} character sheet", characters=(c,), shot_size=size, view="front")


def shots(c: Identity, partner: Identity) -> list[ImageRequest]:
    out = []
    for i, (view, expr, size, (set_name, ie, tod)) in enumerate(
            itertools.product(VIEWS, EXPRESSIONS, ("MS", "MCU", "CU"), SETS)):
        cast = (c,) if i % 2 == 0 else ((c, partner) if i % 4 == 1 else (partner, c))
        out.append(ImageRequest(f"{c.name} in {set_name}", characters=cast, shot_size=size, view=view,
                                expression=expr, set_name=set_name, int_ext=ie, time_of_day=tod, seed=i))
    return out


def embed_figure(backend, embedder, req: ImageRequest, character_id: str) -> np.ndarray:
    img = backend.generate([req])[0]
    return embedder.embed_region(img, img.info["studio_layout"][character_id])


def with_colour(c: Identity, index: int, colour: str) -> Identity:
    pal = list(c.palette)
    pal[index] = colour
    return replace(c, palette=tuple(pal))


def _close(a: str, b: str) -> bool:
    """Two hex colours within 60 of each other in RGB (not a visible wardrobe change)."""
    pa = np.array([int(a[i:i + 2], 16) for i in (1, 3, 5)])
    pb = np.array([int(b[i:i + 2], 16) for i in (1, 3, 5)])
    return float(np.linalg.norm(pa - pb)) < 60


def summary(name: str, values: list[float], threshold: float) -> None:
    v = np.array(values)
    print(f"  {name:<38} n={len(v):5d}  min {v.min():.3f}  p1 {np.percentile(v, 1):.3f}  p5 {np.percentile(v, 5):.3f}"
          f"  median {np.median(v):.3f}  p95 {np.percentile(v, 95):.3f}  p99 {np.percentile(v, 99):.3f}"
          f"  max {v.max():.3f}  below threshold {np.mean(v < threshold):.1%}")


def measure() -> None:
    backend, embedder = ProceduralImageBackend(None), DescriptorEmbedder(None)
    for matched in (False, True):
        refs = {(c.character_id, size): embed_figure(backend, embedder, reference(c, size if matched else "FS"),
                                                     c.character_id)
                for c in CAST for size in ("MS", "MCU", "CU")}
        same, other, wardrobe, trousers = [], [], [], []
        for k, c in enumerate(CAST):
            partner = CAST[(k + 1) % len(CAST)]
            for req in shots(c, partner)[::2] + shots(c, partner)[1::6]:
                vec = embed_figure(backend, embedder, req, c.character_id)
                same.append(float(refs[c.character_id, req.shot_size] @ vec))
                other += [float(refs[o.character_id, req.shot_size] @ vec) for o in CAST if o is not c]
            # wardrobe primary changed to a clearly different colour; the secondary is the trousers, which
            # MS..CU crop away, so that change is measured on full figures against the FS reference
            for colour in OTHER_COLOURS:
                if _close(colour, c.palette[2]):
                    continue
                for req in shots(with_colour(c, 2, colour), partner)[::12]:
                    vec = embed_figure(backend, embedder, req, c.character_id)
                    wardrobe.append(float(refs[c.character_id, req.shot_size] @ vec))
                if matched or _close(colour, c.palette[3]):
                    continue
                ref_fs = embed_figure(backend, embedder, reference(c, "FS"), c.character_id)
                for req in shots(with_colour(c, 3, colour), partner)[::48]:
                    vec = embed_figure(backend, embedder, replace(req, shot_size="FS"), c.character_id)
                    trousers.append(float(ref_fs @ vec))
        threshold = DRIFT_THRESHOLD_MATCHED if matched else DRIFT_THRESHOLD
        kind = "a reference at the shot's size" if matched else "the full-figure (FS) reference"
        print(f"descriptor similarity to {kind} (threshold {threshold}):")
        summary("same character, all views/expr/MS..CU", same, threshold)
        summary("different character", other, threshold)
        summary("same character, wardrobe primary changed", wardrobe, threshold)
        if trousers:
            summary("same, wardrobe secondary changed (FS shots)", trousers, threshold)


def speed(frames: int) -> None:
    backend, embedder = ProceduralImageBackend(None), DescriptorEmbedder(None)
    for w, h in ((512, 512), (768, 432)):
        reqs = [ImageRequest(f"panel {i}", width=w, height=h, characters=CAST[i % 8: i % 8 + 1 + i % 3],
                             shot_size=("WS", "FS", "MS", "MCU", "CU", "INSERT")[i % 6], set_name=SETS[i % 4][0],
                             int_ext=SETS[i % 4][1], time_of_day=SETS[i % 4][2], seed=i,
                             view=VIEWS[i % 4], expression=EXPRESSIONS[i % 6]) for i in range(frames)]
        backend.generate(reqs[:5])
        t = time.perf_counter()
        images = backend.generate(reqs)
        dt = time.perf_counter() - t
        print(f"render {w}x{h}: {frames / dt:.0f} frames/s ({dt / frames * 1000:.2f} ms/frame)")
        regions = [(im, box) for im in images for box in im.info["studio_layout"].values()]
        t = time.perf_counter()
        for im, box in regions:
            embedder.embed_region(im, box)
        dt = time.perf_counter() - t
        print(f"descriptor on {w}x{h} figure boxes: {len(regions) / dt:.0f} embeddings/s "
              f"({dt / len(regions) * 1000:.2f} ms each)")
        t = time.perf_counter()
        embedder.embed_images(images[:50])
        dt = time.perf_counter() - t
        print(f"descriptor on whole {w}x{h} frames: {50 / dt:.0f} embeddings/s")
    print(f"median of 3 single-frame renders: {statistics.median(_one(backend) for _ in range(3)) * 1000:.2f} ms")


def _one(backend) -> float:
    t = time.perf_counter()
    backend.generate([ImageRequest("x", characters=CAST[:2], shot_size="MS", set_name="KITCHEN", int_ext="INT")])
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--measure", action="store_true", help="similarity distributions behind DRIFT_THRESHOLD")
    args = ap.parse_args()
    speed(args.frames)
    if args.measure:
        measure()


if __name__ == "__main__":
    main()
