"""The embedded ``image_embedding`` backend: a documented colour descriptor of a figure.

Why: consistency scores on the procedural path need an image embedding that needs no model and
says what "the same character" means there: the same skin, hair and wardrobe colours in roughly
the same places, whatever the pose, view, expression, set or shot size. CLIP replaces it when a
profile configures one; the scores then mean CLIP-I instead.

The descriptor of a region ``box`` of an image (``embed_region``), version ``figure-colour-v1``:

1. Pixels are converted to HSV (Pillow's 8-bit HSV). A pixel is *chromatic* when S >= 48 and
   V >= 40, else *achromatic*. Chromatic pixels fall in one of 12 hue x 3 saturation x 3 value
   bins (hue bins 30 degrees wide; S and V cut at 48..117..186..255, V at 40..112..184..255);
   achromatic pixels fall in 4 value-only bins (black, dark grey, light grey, white): 112 bins.
2. Background removal by a local background estimate: the same histogram is taken over a ring
   around the box (the box grown by 25% of its larger side on each side, clipped to the image,
   minus the box itself). With both histograms normalised to sum 1, the figure histogram is
   ``max(0, box - ring)``: colours as common around the figure as on it are the set, not the
   character. Where the box fills the image (no ring) nothing is subtracted. The box histogram
   weights each pixel by a horizontal centre prior ``max(0.05, 1 - d**2)`` (d = distance from the
   box's vertical centre line, 1 at its sides): a figure stands in the middle of its box, while
   the set shows at the sides of loose boxes (a close-up's box spans the frame) where the ring
   above the head cannot see it (the ground behind the shoulders).
3. Achromatic bins are down-weighted by 0.35 (outlines, near-grey walls and paper are shared by
   every figure and say little about identity), then the histogram is renormalised and
   square-rooted (Hellinger), so the dot product of two such parts is the Bhattacharyya
   coefficient of the two colour distributions.
4. Spatial colour layout: the box is cut into a 2 (columns) x 4 (rows) grid; in each cell the
   mean sRGB colour of the pixels is taken with each pixel weighted by the share of its bin that
   step 2 kept as foreground, converted to CIE Lab (D65) and scaled to (L - 50) / 50, a / 50,
   b / 50 (a cell with no foreground gives zeros). The 24 numbers are scaled to unit length.
5. The embedding is ``[sqrt(1 - SPATIAL_WEIGHT) * histogram, sqrt(SPATIAL_WEIGHT) * layout]``,
   136 float32 numbers of unit length, so ``cosine`` is a weighted sum of the two parts'
   similarities.

``embed_images`` embeds whole images; an image that carries a procedural ``studio_layout`` with
exactly one figure (a character sheet view, a single shot) is embedded over that figure's box.

Thresholds, measured with ``python benchmarks/bench_procedural.py --measure`` on rendered frames:
8 characters (palettes that share skin, hair or a wardrobe colour, as real casts do), each shot in
4 views x 6 expressions x MS/MCU/CU x 4 sets (INT/EXT, DAY/NIGHT), alone and in two-shots; the
score is ``cosine(reference, embed_region(shot, its layout box))``.

* Reference = one full-figure character-sheet view (FS, front, neutral, plain backdrop), what a
  locked ``Identity.reference_embedding`` holds; ``DRIFT_THRESHOLD = 0.5``:
  same character n=1536: min 0.368, p1 0.407, p5 0.517, median 0.719 (3.8% flagged, mostly close
  shots of characters whose wardrobe is a small part of a CU); different character n=10752:
  median 0.136, p95 0.567, p99 0.809 (6.2% pass: pairs sharing skin, hair and a wardrobe colour);
  wardrobe primary changed to a clearly different colour n=1056: median 0.250, p95 0.469, max
  0.671 (2.7% pass); wardrobe secondary (trousers) changed, FS shots n=252: median 0.630 (0.8%
  flagged: a colour covering a quarter of the figure moves the score by about a quarter; MS..CU
  crop the trousers away, so no image descriptor of those shots can see that change).
* Reference = the locked character rendered at the shot's own size (front, neutral, plain
  backdrop), ``DRIFT_THRESHOLD_MATCHED = 0.62``: same character min 0.595, p1 0.643, median 0.958
  (0.8% flagged); different character p95 0.733, p99 0.874 (6% pass); primary changed median
  0.284, p99 0.619, max 0.643 (0.9% pass). Prefer this where the reference can be re-rendered per
  shot size. Limit: in a CU of a long-haired character the wardrobe is a strip under the chin and
  a changed colour can still score about 0.75 (the tests check MS/MCU there).

It is a colour descriptor: two characters dressed alike in the same colours score alike, and it
does not see face shape or hair style. CLIP (the ``clip`` image_embedding backend) replaces it
when configured, with its own threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from ..common.errors import Invalid
from .base import BackendSpec

MODEL_ID = "descriptor/figure-colour-v1"
HUE_BINS, SAT_EDGES, VAL_EDGES = 12, (48, 117, 186), (40, 112, 184)
GREY_BINS = 4
ACHROMATIC_WEIGHT = 0.35
SPATIAL_WEIGHT = 0.1
GRID = (4, 2)  # rows, columns
RING = 0.25
DIM = HUE_BINS * 3 * 3 + GREY_BINS + GRID[0] * GRID[1] * 3

#: Similarity below which a shot is flagged as drift from the character's full-figure reference
#: (a character-sheet front view, FS): what ``Identity.reference_embedding`` holds.
DRIFT_THRESHOLD = 0.5
#: The same, when the reference is the locked character rendered at the shot's own size (sharper).
DRIFT_THRESHOLD_MATCHED = 0.62


def _bins(hsv: np.ndarray) -> np.ndarray:
    """Bin index per pixel (see step 1 of the module docstring)."""
    h = hsv[..., 0].astype(np.int32)
    s = hsv[..., 1].astype(np.int32)
    v = hsv[..., 2].astype(np.int32)
    chroma = (s >= SAT_EDGES[0]) & (v >= VAL_EDGES[0])
    hb = (h * HUE_BINS) // 256
    sb = np.digitize(s, SAT_EDGES[1:])
    vb = np.digitize(v, VAL_EDGES[1:])
    chromatic = (hb * 3 + sb) * 3 + vb
    grey = HUE_BINS * 9 + np.minimum(v * GREY_BINS // 256, GREY_BINS - 1)
    return np.where(chroma, chromatic, grey)


def _hist(bins: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    n = HUE_BINS * 9 + GREY_BINS
    counts = np.bincount(bins.ravel(), None if weights is None else weights.ravel(), minlength=n).astype(np.float64)
    total = counts.sum()
    return counts / total if total else counts


def _lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 255] (..., 3) -> CIE Lab (D65)."""
    c = rgb / 255.0
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def describe(image: Image.Image, box: Sequence[float] | None = None) -> np.ndarray:
    """The descriptor of ``box`` (x0, y0, x1, y1) of ``image`` (the whole image when None): unit float32."""
    img = image if image.mode == "RGB" else image.convert("RGB")
    w, h = img.size
    if box is None:
        box = (0, 0, w, h)
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 1 or y1 - y0 < 1:
        raise Invalid(f"region {tuple(box)} is empty inside the {w}x{h} image; pass a box (x0, y0, x1, y1) "
                         "that overlaps the image, e.g. a box from image.info['studio_layout']")
    m = round(RING * max(x1 - x0, y1 - y0))
    ox0, oy0, ox1, oy1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
    outer = img.crop((ox0, oy0, ox1, oy1))
    rgb = np.asarray(outer, dtype=np.uint8)
    bins = _bins(np.asarray(outer.convert("HSV"), dtype=np.uint8))
    inside = np.zeros(bins.shape, dtype=bool)
    inside[y0 - oy0:y1 - oy0, x0 - ox0:x1 - ox0] = True
    bw_ = x1 - x0  # centre prior: figures stand in the middle of their boxes, the set shows at the sides
    cols = (np.arange(bw_) + 0.5 - bw_ / 2) / (bw_ / 2)
    centre = np.broadcast_to(np.maximum(0.05, 1 - cols ** 2)[None, :], (y1 - y0, bw_))
    p_box = _hist(bins[y0 - oy0:y1 - oy0, x0 - ox0:x1 - ox0], centre)
    ring = bins[~inside]
    fg = np.maximum(0.0, p_box - _hist(ring)) if ring.size else p_box.copy()
    keep = np.divide(fg, p_box, out=np.zeros_like(fg), where=p_box > 0)  # foreground share per bin
    weighted = fg.copy()
    weighted[HUE_BINS * 9:] *= ACHROMATIC_WEIGHT
    if weighted.sum() <= 0:  # nothing differs from the surround: fall back to the box's own colours
        weighted = p_box.copy()
        weighted[HUE_BINS * 9:] *= ACHROMATIC_WEIGHT
        keep = np.ones_like(keep)
    hist = np.sqrt(weighted / weighted.sum())

    box_rgb = rgb[y0 - oy0:y1 - oy0, x0 - ox0:x1 - ox0].astype(np.float64)
    pix_w = keep[bins[y0 - oy0:y1 - oy0, x0 - ox0:x1 - ox0]]
    rows, cols = GRID
    ys = np.linspace(0, box_rgb.shape[0], rows + 1).round().astype(int)
    xs = np.linspace(0, box_rgb.shape[1], cols + 1).round().astype(int)
    cells = []
    for r in range(rows):
        for c in range(cols):
            cw = pix_w[ys[r]:ys[r + 1], xs[c]:xs[c + 1]]
            total = cw.sum()
            if total <= 0:
                cells.append(np.zeros(3))
                continue
            mean = (box_rgb[ys[r]:ys[r + 1], xs[c]:xs[c + 1]] * cw[..., None]).sum((0, 1)) / total
            lab = _lab(mean)
            cells.append(np.array([(lab[0] - 50) / 50, lab[1] / 50, lab[2] / 50]))
    spatial = np.concatenate(cells)
    norm = np.linalg.norm(spatial)
    spatial = spatial / norm if norm > 0 else spatial
    vec = np.concatenate([np.sqrt(1 - SPATIAL_WEIGHT) * hist, np.sqrt(SPATIAL_WEIGHT) * spatial])
    return (vec / np.linalg.norm(vec)).astype(np.float32)


def cosine(a: Any, b: Any) -> float:
    """Cosine similarity of two vectors (embeddings are unit length, so this is their dot product)."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise Invalid(f"cannot compare embeddings of different sizes {a.size} and {b.size}; were they made "
                         "by the same image_embedding backend?")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(a @ b / (na * nb)) if na and nb else 0.0


class DescriptorEmbedder:
    """The default ``image_embedding`` backend (see the module docstring for the exact descriptor)."""

    def __init__(self, spec: BackendSpec | None = None) -> None:
        self.spec = spec
        self.model_id = MODEL_ID

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        out = np.zeros((len(images), DIM), dtype=np.float32)
        for i, img in enumerate(images):
            boxes = img.info.get("studio_layout") if hasattr(img, "info") else None
            box = next(iter(boxes.values())) if isinstance(boxes, dict) and len(boxes) == 1 else None
            out[i] = describe(img, box)
        return out

    def embed_region(self, image: Image.Image, box: Sequence[float]) -> np.ndarray:
        """One character's figure: ``box`` is (x0, y0, x1, y1), e.g. from ``image.info['studio_layout']``."""
        return describe(image, box)
