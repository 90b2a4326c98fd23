"""The embedded image backend: storyboard panels drawn with Pillow, no model and no download.

Why: every laptop and every test gets real frames (a set, the characters in their locked palette,
framed by shot size and angle, a caption strip) so storyboards, character sheets and consistency
scores work end to end before anyone configures a diffusion model. Frames are deterministic: the
same request gives byte-identical pixels. The seed only moves small things (background props, pose
jitter); a character's identity (palette, build, height, hair) never depends on it, and a set looks
the same in every shot because its dressing is picked from a hash of the set's name.

Each image carries ``image.info["studio_layout"]``: ``{character_id: (x0, y0, x1, y1)}``, the visible
box of each figure (clipped to the picture, caption strip excluded). ``layout(request)`` computes the
same boxes without drawing, so an engine can crop a stored frame it did not render itself.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..common.errors import Invalid
from .base import BackendSpec, Identity, ImageRequest

MODEL_ID = "procedural/storyboard-v1"
PALETTE_FIELDS = ("skin", "hair", "wardrobe primary", "wardrobe secondary", "accent")
INK = (26, 26, 26)
PAPER = (250, 248, 242)
_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")

#: Per shot size: (figure height, head-top y), both as fractions of the picture height (caption excluded),
#: for a figure of the tallest character's height. Wide shots show whole figures small to large; MS crops
#: at the waist, MCU at the chest, CU keeps head and shoulders, ECU a band around the eyes.
FRAMING: dict[str, tuple[float, float]] = {
    "EWS": (0.22, 0.58),
    "WS": (0.42, 0.46),
    "FS": (0.82, 0.10),
    "MS": (1 / 0.58, 0.06 / 0.58),
    "MCU": (1 / 0.41, 0.05 / 0.41),
    "CU": (1 / 0.28, 0.04 / 0.28),
    "ECU": (1 / 0.075, -0.03 / 0.075),
}
#: Per angle: (figure scale, leg length factor, horizon shift as a fraction of picture height).
ANGLES: dict[str, tuple[float, float, float]] = {
    "eye": (1.0, 1.0, 0.0),
    "high": (0.9, 0.85, -0.28),
    "low": (1.08, 1.12, 0.30),
    "overhead": (0.8, 0.45, -10.0),  # no horizon: the ground fills the frame
}
BUILDS = {"slight": 0.82, "average": 1.0, "broad": 1.22}


def parse_colour(value: str, character: str, field: str) -> tuple[int, int, int]:
    """'#1f3a93' or '#fff' -> (r, g, b); a clear ValueError naming the character and palette field."""
    m = _HEX.match(str(value).strip())
    if not m:
        raise Invalid(f"character {character}: palette {field} colour {value!r} is not a hex colour like "
                         f"'#1f3a93'; fix the character's palette (order: {', '.join(PALETTE_FIELDS)})")
    h = m.group(1)
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def identity_colours(identity: Identity) -> dict[str, tuple[int, int, int]]:
    """The five palette colours of a character by field name (skin, hair, primary, secondary, accent)."""
    who = f"{identity.name or identity.character_id} ({identity.character_id})"
    if len(identity.palette) < len(PALETTE_FIELDS):
        missing = ", ".join(PALETTE_FIELDS[len(identity.palette):])
        raise Invalid(f"character {who}: palette has {len(identity.palette)} colours, missing {missing}; "
                         f"give {len(PALETTE_FIELDS)} hex colours in the order {', '.join(PALETTE_FIELDS)}")
    keys = ("skin", "hair", "primary", "secondary", "accent")
    return {k: parse_colour(v, who, f) for k, v, f in zip(keys, identity.palette, PALETTE_FIELDS, strict=False)}


def _hash_int(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def _shade(c: tuple[int, int, int], f: float) -> tuple[int, int, int]:
    return tuple(max(0, min(255, round(v * f))) for v in c)  # type: ignore[return-value]


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow built without FreeType: the fixed bitmap font
        return ImageFont.load_default()


# -- geometry: a figure as a list of draw operations --------------------------------------------------

@dataclass(frozen=True)
class _Op:
    kind: str  # ellipse, polygon, line, arc, chord
    xy: tuple[float, ...]
    fill: tuple[int, int, int] | None = None
    outline: tuple[int, int, int] | None = None
    width: int = 1
    angles: tuple[float, float] = (0.0, 0.0)

    def bounds(self) -> tuple[float, float, float, float]:
        xs, ys = self.xy[0::2], self.xy[1::2]
        return min(xs), min(ys), max(xs), max(ys)


@dataclass(frozen=True)
class _Scene:
    width: int
    height: int
    panel_h: int
    horizon: float  # y of the horizon (exterior) or floor line (interior); may lie outside the picture
    feet_y: float
    unit: float  # pixels per figure unit for a character of height 1.0
    head_top: float  # y of the tallest character's head top


def _scene(request: ImageRequest) -> _Scene:
    w, h = request.width, request.height
    panel_h = h - _caption_height(h)
    shot = request.shot_size if request.shot_size in FRAMING else "FS"
    fig_frac, top_frac = FRAMING[shot]
    scale, legs, shift = ANGLES.get(request.angle, ANGLES["eye"])
    tallest = max((c.height for c in request.characters), default=1.0) or 1.0
    fig_h = fig_frac * panel_h * scale
    head_top = top_frac * panel_h
    if request.angle == "overhead" and shot in ("EWS", "WS", "FS"):
        head_top = panel_h * (0.5 - 0.35 * fig_frac)
    feet_y = head_top + fig_h * (0.52 + 0.48 * legs)
    eye_y = head_top + 0.07 * fig_h
    horizon = eye_y + shift * panel_h
    return _Scene(w, h, panel_h, horizon, feet_y, fig_h / tallest, head_top)


def _figure_ops(c: Identity, cx: float, scene: _Scene, request: ImageRequest, slot_w: float,
                jitter: random.Random) -> list[_Op]:
    """Draw operations for one character standing on the common floor line, centred at cx."""
    col = identity_colours(c)
    _, legs, _ = ANGLES.get(request.angle, ANGLES["eye"])
    bw = BUILDS.get(c.build, 1.0)
    u = scene.unit * max(0.3, c.height)
    body_len = 0.52 + 0.48 * legs
    top = scene.feet_y - u * body_len
    if request.shot_size in ("CU", "ECU"):  # close shots frame each face, whatever the heights
        top = scene.head_top
    half_w = 0.19 * bw * u
    if len(request.characters) > 1 and half_w * 2 > slot_w * 0.96:
        # keep figures side by side rather than overlapping: shrink, standing on the floor in wide
        # shots, keeping the head where it was in cropped ones
        u *= slot_w * 0.96 / (half_w * 2)
        if request.shot_size in ("EWS", "WS", "FS"):
            top = scene.feet_y - u * body_len
    lw = max(1, round(min(u * 0.006, scene.panel_h * 0.008)))

    def X(v: float) -> float:
        return cx + v * u

    def Y(v: float) -> float:
        return top + v * u

    def leg_y(v: float) -> float:  # below the hips, legs are foreshortened by the angle
        return Y(0.52 + (v - 0.52) * legs) if v > 0.52 else Y(v)

    view = request.view
    width_f = {"front": 1.0, "back": 1.0, "three_quarter": 0.82, "side": 0.55}.get(view, 1.0)
    sw = 0.125 * bw * width_f  # half shoulder width
    ww = 0.095 * bw * width_f
    hw = 0.11 * bw * width_f
    rx, ry = 0.052 * (1 + (bw - 1) * 0.3), 0.068
    hx = {"three_quarter": 0.008, "side": 0.012}.get(view, 0.0)  # head turns a little toward the profile
    swing = jitter.uniform(-0.02, 0.02)
    tilt = jitter.uniform(-0.004, 0.004)
    ops: list[_Op] = []
    dark = (34, 30, 28)

    # long hair falls behind the shoulders (in front of them when seen from the back)
    long_hair = _Op("polygon", (X(hx - rx * 1.15), Y(0.05), X(hx + rx * 1.15), Y(0.05),
                                X(hx + rx * 1.3), Y(0.26), X(hx - rx * 1.3), Y(0.26)), col["hair"], INK, lw)
    if c.hair == "long" and view != "back":
        ops.append(long_hair if view != "side" else
                   _Op("polygon", (X(-rx * 1.1), Y(0.05), X(0.0), Y(0.05), X(0.0), Y(0.25), X(-rx * 1.25), Y(0.25)),
                       col["hair"], INK, lw))
    # legs and shoes (wardrobe secondary)
    if view == "side":
        ops.append(_Op("polygon", (X(-0.05), Y(0.52), X(0.05), Y(0.52), X(0.045), leg_y(0.96), X(-0.045),
                                   leg_y(0.96)), col["secondary"], INK, lw))
        ops.append(_Op("polygon", (X(-0.05), leg_y(0.96), X(0.09), leg_y(0.96), X(0.09), leg_y(1.0),
                                   X(-0.05), leg_y(1.0)), dark, INK, lw))
    else:
        for s in (-1, 1):
            ops.append(_Op("polygon", (X(s * 0.006), Y(0.5), X(s * hw), Y(0.5), X(s * hw * 0.8), leg_y(0.96),
                                       X(s * 0.012), leg_y(0.96)), col["secondary"], INK, lw))
            ops.append(_Op("polygon", (X(s * 0.012), leg_y(0.96), X(s * hw * 0.95), leg_y(0.96),
                                       X(s * hw * 0.95), leg_y(1.0), X(s * 0.012), leg_y(1.0)), dark, INK, lw))
    # neck, torso (wardrobe primary), collar and belt (accent)
    ops.append(_Op("polygon", (X(hx - 0.02), Y(0.12), X(hx + 0.02), Y(0.12), X(0.022), Y(0.17), X(-0.022),
                               Y(0.17)), col["skin"], INK, lw))
    ops.append(_Op("polygon", (X(-sw), Y(0.16), X(sw), Y(0.16), X(ww), Y(0.45), X(hw), Y(0.52), X(-hw), Y(0.52),
                               X(-ww), Y(0.45)), col["primary"], INK, lw))
    if view != "back":
        cxl = 0.025 if view == "side" else (0.01 if view == "three_quarter" else 0.0)
        ops.append(_Op("polygon", (X(cxl - 0.05 * width_f), Y(0.16), X(cxl + 0.05 * width_f), Y(0.16),
                                   X(cxl), Y(0.25)), col["accent"], INK, lw))
    ops.append(_Op("polygon", (X(-ww * 1.02), Y(0.445), X(ww * 1.02), Y(0.445), X(ww * 1.05), Y(0.475),
                               X(-ww * 1.05), Y(0.475)), col["accent"], INK, lw))
    # arms (sleeves in wardrobe primary, hands in skin)
    arm_w = 0.042 * bw
    sides = (1,) if view == "side" else (-1, 1)
    for s in sides:
        x_sh = 0.0 if view == "side" else s * (sw - arm_w * 0.3)
        x_out = 0.0 if view == "side" else s * (sw + arm_w * 0.7)
        dx = swing * s if view != "side" else swing * 2
        ops.append(_Op("polygon", (X(x_sh - arm_w / 2), Y(0.17), X(x_sh + arm_w / 2), Y(0.17),
                                   X(x_out + dx + arm_w / 2), Y(0.46), X(x_out + dx - arm_w / 2), Y(0.46)),
                       _shade(col["primary"], 0.9), INK, lw))
        hr = 0.024 * bw
        ops.append(_Op("ellipse", (X(x_out + dx - hr), Y(0.46), X(x_out + dx + hr), Y(0.46 + 2 * hr)),
                       col["skin"], INK, lw))
    if c.hair == "long" and view == "back":
        ops.append(long_hair)
    # head
    hx += tilt
    head = (X(hx - rx), Y(0.0), X(hx + rx), Y(2 * ry))
    ops.append(_Op("ellipse", head, col["skin"], INK, lw))
    if view == "back":
        if c.hair != "bald":
            ops.append(_Op("ellipse", (X(hx - rx * 1.06), Y(-0.008), X(hx + rx * 1.06), Y(2 * ry * 0.93)),
                           col["hair"], INK, lw))
    else:
        if c.hair != "bald":
            back = {"side": -0.018, "three_quarter": -0.008}.get(view, 0.0)
            ops.append(_Op("chord", (X(hx + back - rx * 1.1), Y(-0.01), X(hx + back + rx * 1.1), Y(0.10)),
                           col["hair"], INK, lw, (180.0, 360.0)))
        ops += _face_ops(X, Y, hx, rx, u, view, request.expression, col, lw)
    if c.hair == "bun":
        ops.append(_Op("ellipse", (X(hx - 0.026), Y(-0.045), X(hx + 0.026), Y(0.005)), col["hair"], INK, lw))
    return ops


def _face_ops(X, Y, hx: float, rx: float, u: float, view: str, expression: str,
              col: dict[str, tuple[int, int, int]], lw: int) -> list[_Op]:
    """Eyes, brows, nose and mouth following the expression; turned by the view."""
    if rx * u < 3:  # too small to carry a face (extreme wide shots)
        return []
    ops: list[_Op] = []
    turn = {"front": 0.0, "three_quarter": 0.014, "side": 0.03}[view]
    spread = {"front": 0.022, "three_quarter": 0.016, "side": 0.0}[view]
    eyes = (hx + turn,) if view == "side" else (hx + turn - spread, hx + turn + spread)
    wide = expression in ("surprised", "afraid")
    er = 0.009 if wide else 0.006
    for ex in eyes:
        if wide:
            ops.append(_Op("ellipse", (X(ex - er), Y(0.075 - er), X(ex + er), Y(0.075 + er)), (255, 255, 255), INK, lw))
        pr = 0.004
        ops.append(_Op("ellipse", (X(ex - pr), Y(0.075 - pr), X(ex + pr), Y(0.075 + pr)), INK))
        # brows: inner end down for anger, up for sadness and fear, raised for surprise
        inner = 1 if ex > hx + turn or view == "side" else -1
        by = 0.059 if expression not in ("surprised", "afraid", "happy") else 0.052
        tilt = {"angry": 0.008, "sad": -0.007, "afraid": -0.007}.get(expression, 0.0)
        x0, x1 = ex - 0.012 * inner, ex + 0.012 * inner
        ops.append(_Op("line", (X(x0), Y(by - tilt * 0.5), X(x1), Y(by + tilt)), INK, width=max(1, lw)))
    if view == "side":
        ops.append(_Op("polygon", (X(hx + rx * 0.95), Y(0.07), X(hx + rx * 1.25), Y(0.095), X(hx + rx * 0.95),
                                   Y(0.1)), col["skin"], INK, lw))
    elif view == "three_quarter":
        ops.append(_Op("line", (X(hx + turn + 0.006), Y(0.08), X(hx + turn + 0.012), Y(0.096)), INK, width=lw))
    mx = hx + turn + (0.012 if view == "side" else 0.0)
    mw = 0.012 if view == "side" else 0.02
    my = 0.108
    if expression == "happy":
        ops.append(_Op("arc", (X(mx - mw), Y(my - 0.014), X(mx + mw), Y(my + 0.008)), INK, width=lw,
                       angles=(20.0, 160.0)))
    elif expression == "sad":
        ops.append(_Op("arc", (X(mx - mw), Y(my), X(mx + mw), Y(my + 0.02)), INK, width=lw, angles=(200.0, 340.0)))
    elif expression == "angry":
        ops.append(_Op("line", (X(mx - mw), Y(my + 0.003), X(mx), Y(my), X(mx + mw), Y(my + 0.003)), INK,
                       width=lw + 1))
    elif expression == "surprised":
        ops.append(_Op("ellipse", (X(mx - mw * 0.45), Y(my - 0.008), X(mx + mw * 0.45), Y(my + 0.012)),
                       (90, 30, 30), INK, lw))
    elif expression == "afraid":
        ops.append(_Op("ellipse", (X(mx - mw * 0.8), Y(my - 0.003), X(mx + mw * 0.8), Y(my + 0.008)),
                       (90, 30, 30), INK, lw))
    else:
        ops.append(_Op("line", (X(mx - mw * 0.7), Y(my), X(mx + mw * 0.7), Y(my)), INK, width=lw))
    return ops


def _all_figures(request: ImageRequest, scene: _Scene) -> list[tuple[Identity, list[_Op]]]:
    n = len(request.characters)
    if n == 0 or request.shot_size == "INSERT":
        return []
    jitter = random.Random(f"pose|{request.seed}")
    slot_w = scene.width / n
    out = []
    for i, c in enumerate(request.characters):
        cx = slot_w * (i + 0.5)
        out.append((c, _figure_ops(c, cx, scene, request, slot_w, jitter)))
    return out


def _clip_box(ops: Sequence[_Op], scene: _Scene) -> tuple[int, int, int, int] | None:
    bs = [op.bounds() for op in ops]
    x0 = max(0, math.floor(min(b[0] for b in bs)))
    y0 = max(0, math.floor(min(b[1] for b in bs)))
    x1 = min(scene.width, math.ceil(max(b[2] for b in bs)) + 1)
    y1 = min(scene.panel_h, math.ceil(max(b[3] for b in bs)) + 1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return x0, y0, x1, y1


def layout(request: ImageRequest) -> dict[str, tuple[int, int, int, int]]:
    """Each visible character's figure box (x0, y0, x1, y1), clipped to the picture above the caption.

    Pure: computes exactly the boxes ``render`` stores in ``image.info["studio_layout"]`` without drawing.
    INSERT shots have no figures; a figure framed entirely out of the picture has no box.
    """
    scene = _scene(request)
    boxes = {}
    for c, ops in _all_figures(request, scene):
        box = _clip_box(ops, scene)
        if box is not None:
            boxes[c.character_id] = box
    return boxes


# -- the set ----------------------------------------------------------------------------------------

def _light(request: ImageRequest) -> str:
    t = request.time_of_day.upper()
    if "NIGHT" in t or "MIDNIGHT" in t:
        return "night"
    if any(k in t for k in ("DUSK", "EVENING", "SUNSET", "DAWN", "SUNRISE", "MAGIC")):
        return "dusk"
    return "day"


def _draw_set(img: Image.Image, draw: ImageDraw.ImageDraw, request: ImageRequest, scene: _Scene) -> None:
    """Walls and floor (interior), or sky, horizon and ground (exterior); dressing from the set name's hash."""
    w, ph = scene.width, scene.panel_h
    light = _light(request)
    dim = {"day": 1.0, "dusk": 0.8, "night": 0.38}[light]
    srng = random.Random(_hash_int("set", request.set_name.upper(), request.int_ext.upper()))
    prng = random.Random(f"props|{request.seed}")
    hz = scene.horizon
    lw = max(1, round(ph / 256))
    if not request.set_name and not request.int_ext:  # a character sheet: a plain studio backdrop
        draw.rectangle((0, 0, w, ph), fill=_shade((232, 230, 226), dim))
        if hz < ph:
            draw.rectangle((0, max(0, hz + 0.08 * ph), w, ph), fill=_shade((214, 211, 205), dim))
        return
    if request.int_ext.strip().upper().startswith("EXT"):
        top, bottom = {"day": ((120, 170, 225), (205, 225, 240)), "dusk": ((80, 70, 130), (240, 160, 100)),
                       "night": ((10, 14, 38), (36, 44, 80))}[light]
        t = np.linspace(0.0, 1.0, max(1, ph))[:, None]
        sky = (np.array(top)[None, :] * (1 - t) + np.array(bottom)[None, :] * t).astype(np.uint8)
        img.paste(Image.fromarray(np.repeat(sky[:, None, :], w, axis=1), "RGB"), (0, 0))
        if light == "night":
            for _ in range(12 + prng.randrange(8)):
                x, y = prng.uniform(0, w), prng.uniform(0, max(1.0, min(hz, ph)))
                draw.point((x, y), fill=(230, 230, 200))
            mx, my, mr = w * (0.15 + 0.7 * srng.random()), ph * 0.12, ph * 0.05
            draw.ellipse((mx - mr, my - mr, mx + mr, my + mr), fill=(240, 236, 200))
        else:
            for _ in range(1 + prng.randrange(3)):
                x, y, r = prng.uniform(0, w), prng.uniform(0.05, 0.25) * ph, ph * prng.uniform(0.03, 0.05)
                draw.ellipse((x - 3 * r, y - r, x + 3 * r, y + r), fill=_shade((250, 250, 252), dim))
        ground = srng.choice([(110, 140, 80), (150, 140, 120), (120, 120, 125), (170, 150, 110)])
        skyline = srng.choice(["city", "trees", "hills"])
        if hz < ph:
            base = hz
            if skyline == "city":
                x = -srng.uniform(0, 40)
                while x < w:
                    bwid, bht = w * srng.uniform(0.06, 0.14), ph * srng.uniform(0.08, 0.3)
                    c = _shade(srng.choice([(120, 120, 135), (140, 130, 125), (100, 110, 125)]), dim)
                    draw.rectangle((x, base - bht, x + bwid, base), fill=c, outline=INK, width=lw)
                    for wy in np.arange(base - bht + 6, base - 6, 12):
                        for wx in np.arange(x + 5, x + bwid - 5, 10):
                            lit = (250, 220, 120) if light == "night" and srng.random() < 0.4 else _shade((190, 200, 215), dim)
                            draw.rectangle((wx, wy, wx + 3, wy + 5), fill=lit)
                    x += bwid + srng.uniform(0, 8)
            elif skyline == "trees":
                for _ in range(6 + srng.randrange(5)):
                    x, r = srng.uniform(0, w), ph * srng.uniform(0.04, 0.09)
                    draw.rectangle((x - r * 0.15, base - r * 1.2, x + r * 0.15, base), fill=_shade((90, 65, 45), dim))
                    draw.ellipse((x - r, base - r * 2.6, x + r, base - r * 0.8), fill=_shade((60, 110, 60), dim),
                                 outline=INK, width=lw)
            else:
                pts = [(0, base)] + [(x, base - ph * (0.05 + 0.06 * math.sin(x / w * 6 + srng.random())))
                                     for x in np.linspace(0, w, 12)] + [(w, base)]
                draw.polygon(pts, fill=_shade((110, 130, 110), dim), outline=INK)
            draw.rectangle((0, max(0, hz), w, ph), fill=_shade(ground, dim))
            draw.line((0, hz, w, hz), fill=INK, width=lw)
            if light == "night":  # a street lamp pools light on the ground
                lx = w * (0.1 + 0.8 * srng.random())
                draw.line((lx, hz - ph * 0.35, lx, hz + ph * 0.02), fill=INK, width=lw * 2)
                draw.ellipse((lx - ph * 0.02, hz - ph * 0.38, lx + ph * 0.02, hz - ph * 0.34), fill=(255, 230, 140))
        else:
            draw.rectangle((0, 0, w, ph), fill=_shade(ground, dim))
        if hz < -0.5 * ph:  # overhead: ground texture instead of sky
            for _ in range(25):
                x, y = prng.uniform(0, w), prng.uniform(0, ph)
                draw.line((x, y, x + ph * 0.02, y), fill=_shade(ground, dim * 0.8), width=lw)
        return
    # interior
    wall = srng.choice([(215, 200, 175), (190, 205, 200), (220, 210, 200), (180, 185, 200), (200, 180, 170)])
    floor = srng.choice([(140, 105, 75), (120, 115, 110), (160, 130, 95), (95, 90, 100)])
    floor_y = hz + 0.22 * ph if hz > -0.5 * ph else -1.0
    draw.rectangle((0, 0, w, ph), fill=_shade(wall, dim))
    if floor_y < ph:
        draw.rectangle((0, max(0, floor_y), w, ph), fill=_shade(floor, dim))
        draw.line((0, floor_y, w, floor_y), fill=INK, width=lw)
    if floor_y > 0:
        door_x = w * srng.uniform(0.05, 0.8)
        dw, dh = w * 0.13, ph * 0.55
        base = min(floor_y, ph * 1.5)
        draw.rectangle((door_x, base - dh, door_x + dw, base), fill=_shade((130, 95, 65), dim), outline=INK, width=lw)
        draw.ellipse((door_x + dw * 0.8, base - dh * 0.5, door_x + dw * 0.88, base - dh * 0.46), fill=(200, 170, 60))
        win_x = (door_x + w * srng.uniform(0.25, 0.5)) % (w * 0.85)
        wwid, wh, wy = w * 0.16, ph * 0.22, base - dh * 0.95
        outside = {"day": (170, 205, 235), "dusk": (235, 160, 110), "night": (20, 24, 50)}[light]
        draw.rectangle((win_x, wy, win_x + wwid, wy + wh), fill=outside, outline=INK, width=lw * 2)
        draw.line((win_x + wwid / 2, wy, win_x + wwid / 2, wy + wh), fill=INK, width=lw)
        draw.line((win_x, wy + wh / 2, win_x + wwid, wy + wh / 2), fill=INK, width=lw)
        # a seed-chosen prop: a picture frame, a plant or a shelf
        px = prng.uniform(0.05, 0.9) * w
        kind = prng.choice(["frame", "plant", "shelf"])
        if kind == "frame":
            draw.rectangle((px, wy + wh * 0.1, px + w * 0.07, wy + wh * 0.6), fill=_shade((200, 190, 150), dim),
                           outline=INK, width=lw)
        elif kind == "plant":
            draw.rectangle((px, base - ph * 0.08, px + w * 0.04, base), fill=_shade((160, 90, 60), dim), outline=INK)
            draw.ellipse((px - w * 0.02, base - ph * 0.2, px + w * 0.06, base - ph * 0.07),
                         fill=_shade((70, 130, 70), dim), outline=INK, width=lw)
        else:
            draw.line((px, wy + wh * 0.3, px + w * 0.12, wy + wh * 0.3), fill=INK, width=lw * 2)
    if light == "night":  # a lamp's warm pool against the dark wall
        lx = w * (0.1 + 0.8 * srng.random())
        ly = ph * 0.25
        draw.ellipse((lx - ph * 0.12, ly - ph * 0.12, lx + ph * 0.12, ly + ph * 0.12), fill=(120, 100, 60))
        draw.polygon((lx - ph * 0.04, ly - ph * 0.02, lx + ph * 0.04, ly - ph * 0.02, lx + ph * 0.025,
                      ly - ph * 0.07, lx - ph * 0.025, ly - ph * 0.07), fill=(250, 225, 150), outline=INK)


# -- INSERT: an object close-up ---------------------------------------------------------------------

_INSERT_OBJECTS = (
    ("letter", ("letter", "note", "paper", "envelope", "page", "script", "document", "map")),
    ("phone", ("phone", "screen", "text message", "mobile")),
    ("key", ("key",)),
    ("cup", ("cup", "mug", "coffee", "tea", "glass", "drink")),
    ("clock", ("clock", "watch", "time")),
    ("photo", ("photo", "picture", "photograph")),
)


def _draw_insert(draw: ImageDraw.ImageDraw, request: ImageRequest, scene: _Scene) -> None:
    """A tabletop close-up of the object the prompt names (a parcel when nothing is recognised)."""
    w, ph = scene.width, scene.panel_h
    text = f"{request.prompt} {request.caption}".lower()
    obj = next((name for name, words in _INSERT_OBJECTS if any(k in text for k in words)), "box")
    dim = 0.45 if _light(request) == "night" else 1.0
    draw.rectangle((0, 0, w, ph), fill=_shade((150, 110, 75), dim))
    for i in range(6):
        y = ph * (i + 0.5) / 6
        draw.line((0, y, w, y + ph * 0.03), fill=_shade((130, 95, 62), dim), width=2)
    cx, cy, s = w / 2, ph / 2, min(w, ph) * 0.36
    lw = max(2, round(ph / 150))
    if obj == "letter":
        draw.polygon((cx - s, cy - s * 0.75, cx + s, cy - s * 0.85, cx + s * 1.02, cy + s * 0.75, cx - s * 0.98,
                      cy + s * 0.8), fill=(245, 242, 230), outline=INK, width=lw)
        for i in range(7):
            y = cy - s * 0.55 + i * s * 0.18
            draw.line((cx - s * 0.8, y, cx + s * (0.8 if i % 3 else 0.4), y - s * 0.02), fill=(60, 60, 90), width=lw)
    elif obj == "phone":
        draw.rounded_rectangle((cx - s * 0.5, cy - s, cx + s * 0.5, cy + s), radius=s * 0.12, fill=(30, 30, 34),
                               outline=INK, width=lw)
        draw.rectangle((cx - s * 0.42, cy - s * 0.85, cx + s * 0.42, cy + s * 0.85), fill=(150, 200, 235))
        for i in range(4):
            y = cy - s * 0.6 + i * s * 0.35
            draw.rounded_rectangle((cx - s * 0.35, y, cx + s * 0.2, y + s * 0.2), radius=s * 0.05, fill=PAPER)
    elif obj == "key":
        draw.ellipse((cx - s, cy - s * 0.35, cx - s * 0.3, cy + s * 0.35), fill=(205, 175, 80), outline=INK, width=lw)
        draw.ellipse((cx - s * 0.8, cy - s * 0.12, cx - s * 0.55, cy + s * 0.12), fill=_shade((150, 110, 75), dim))
        draw.rectangle((cx - s * 0.32, cy - s * 0.08, cx + s, cy + s * 0.08), fill=(205, 175, 80), outline=INK, width=lw)
        for x in (0.6, 0.8):
            draw.rectangle((cx + s * x, cy + s * 0.08, cx + s * (x + 0.1), cy + s * 0.25), fill=(205, 175, 80),
                           outline=INK, width=lw)
    elif obj == "cup":
        draw.rectangle((cx - s * 0.55, cy - s * 0.6, cx + s * 0.55, cy + s * 0.8), fill=(235, 235, 240), outline=INK,
                       width=lw)
        draw.arc((cx + s * 0.35, cy - s * 0.35, cx + s * 0.95, cy + s * 0.35), 270, 90, fill=INK, width=lw * 3)
        draw.ellipse((cx - s * 0.55, cy - s * 0.75, cx + s * 0.55, cy - s * 0.45), fill=(90, 55, 30), outline=INK,
                     width=lw)
    elif obj == "clock":
        draw.ellipse((cx - s, cy - s, cx + s, cy + s), fill=PAPER, outline=INK, width=lw * 2)
        for k in range(12):
            a = k / 12 * 2 * math.pi
            draw.line((cx + math.sin(a) * s * 0.8, cy - math.cos(a) * s * 0.8, cx + math.sin(a) * s * 0.92,
                       cy - math.cos(a) * s * 0.92), fill=INK, width=lw)
        draw.line((cx, cy, cx + s * 0.5, cy - s * 0.2), fill=INK, width=lw * 2)
        draw.line((cx, cy, cx - s * 0.1, cy - s * 0.75), fill=INK, width=lw)
    elif obj == "photo":
        draw.rectangle((cx - s, cy - s * 0.75, cx + s, cy + s * 0.75), fill=PAPER, outline=INK, width=lw)
        draw.rectangle((cx - s * 0.88, cy - s * 0.63, cx + s * 0.88, cy + s * 0.5), fill=(150, 170, 190))
        draw.ellipse((cx - s * 0.15, cy - s * 0.45, cx + s * 0.15, cy - s * 0.1), fill=(200, 160, 130), outline=INK)
        draw.rectangle((cx - s * 0.3, cy - s * 0.1, cx + s * 0.3, cy + s * 0.5), fill=(80, 80, 110), outline=INK)
    else:
        draw.polygon((cx - s, cy - s * 0.3, cx, cy - s * 0.7, cx + s, cy - s * 0.3, cx, cy + s * 0.1),
                     fill=(210, 175, 125), outline=INK, width=lw)
        draw.polygon((cx - s, cy - s * 0.3, cx, cy + s * 0.1, cx, cy + s * 0.8, cx - s, cy + s * 0.4),
                     fill=(185, 150, 100), outline=INK, width=lw)
        draw.polygon((cx + s, cy - s * 0.3, cx, cy + s * 0.1, cx, cy + s * 0.8, cx + s, cy + s * 0.4),
                     fill=(165, 130, 85), outline=INK, width=lw)


# -- caption strip and rendering --------------------------------------------------------------------

def _caption_height(height: int) -> int:
    return max(24, round(height * 0.15))


def _draw_caption(draw: ImageDraw.ImageDraw, request: ImageRequest, scene: _Scene) -> None:
    w, h, ph = scene.width, scene.height, scene.panel_h
    draw.rectangle((0, ph, w, h), fill=PAPER)
    draw.line((0, ph, w, ph), fill=INK, width=max(1, round(h / 200)))
    size = max(9, round((h - ph) / 4.2))
    font = _font(size)
    pad = max(4, size // 2)
    head = request.shot_size + ("" if request.angle == "eye" else f" {request.angle.upper()} ANGLE")
    setting = " ".join(p for p in (request.int_ext.upper(), request.set_name.upper()) if p)
    if request.time_of_day:
        setting += f" - {request.time_of_day.upper()}"
    if setting:
        head += f"  |  {setting}"
    draw.text((pad, ph + pad * 0.6), head, fill=INK, font=font)
    body = request.caption or request.prompt
    char_w = max(1.0, font.getlength("n") if hasattr(font, "getlength") else size * 0.55)
    lines = textwrap.wrap(body, width=max(8, int((w - 2 * pad) / char_w)))
    room = max(0, int((h - ph - pad * 0.6 - size * 1.2) // (size * 1.15)))
    if len(lines) > room:
        lines = lines[:room]
        if lines:
            lines[-1] = lines[-1][: max(0, len(lines[-1]) - 1)] + "…"
    for i, line in enumerate(lines):
        draw.text((pad, ph + pad * 0.6 + size * 1.2 * (i + 1)), line, fill=(60, 60, 60), font=font)


def render(request: ImageRequest) -> Image.Image:
    """One storyboard panel for the request; ``image.info['studio_layout']`` holds the figure boxes."""
    scene = _scene(request)
    figures = _all_figures(request, scene)  # validates palettes before any drawing
    img = Image.new("RGB", (scene.width, scene.height), PAPER)
    draw = ImageDraw.Draw(img)
    if request.shot_size == "INSERT":
        _draw_insert(draw, request, scene)
    else:
        _draw_set(img, draw, request, scene)
    boxes: dict[str, tuple[int, int, int, int]] = {}
    for c, ops in figures:
        for op in ops:
            _draw_op(draw, op)
        box = _clip_box(ops, scene)
        if box is not None:
            boxes[c.character_id] = box
    _draw_caption(draw, request, scene)
    bw = max(1, round(min(scene.width, scene.height) / 256))
    draw.rectangle((0, 0, scene.width - 1, scene.height - 1), outline=INK, width=bw)
    img.info["studio_layout"] = boxes
    return img


def _draw_op(draw: ImageDraw.ImageDraw, op: _Op) -> None:
    if op.kind == "polygon":
        draw.polygon(op.xy, fill=op.fill, outline=op.outline, width=op.width)
    elif op.kind == "ellipse":
        draw.ellipse(op.xy, fill=op.fill, outline=op.outline, width=op.width)
    elif op.kind == "chord":
        draw.chord(op.xy, op.angles[0], op.angles[1], fill=op.fill, outline=op.outline, width=op.width)
    elif op.kind == "arc":
        draw.arc(op.xy, op.angles[0], op.angles[1], fill=op.fill, width=op.width)
    elif op.kind == "line":
        draw.line(op.xy, fill=op.fill, width=op.width)


class ProceduralImageBackend:
    """The default ``image`` backend: deterministic storyboard panels on the CPU, no download."""

    def __init__(self, spec: BackendSpec | None = None) -> None:
        self.spec = spec
        self.model_id = (spec.model if spec is not None and spec.model else MODEL_ID)

    def generate(self, requests: Sequence[ImageRequest]) -> list[Image.Image]:
        return [render(r) for r in requests]
