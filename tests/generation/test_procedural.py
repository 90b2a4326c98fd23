"""The procedural storyboard renderer: real frames, deterministic, figures in their locked palette."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest

from studio_kit.generation.base import EXPRESSIONS, VIEWS, BackendSpec, Identity, ImageRequest
from studio_kit.generation.procedural import ProceduralImageBackend, layout, render

MAYA = Identity("maya", "MAYA", palette=("#e0ac69", "#3b2314", "#1f3a93", "#dddddd", "#c0392b"), hair="long",
                build="slight", height=0.95)
JOE = Identity("joe", "JOE", palette=("#8d5524", "#111111", "#6b8e23", "#4a3728", "#f1c40f"), build="broad",
               height=1.08)


def shot(**kw) -> ImageRequest:
    base = dict(prompt="Maya confronts Joe", characters=(MAYA, JOE), shot_size="MS", set_name="KITCHEN",
                int_ext="INT", time_of_day="DAY")
    return ImageRequest(**{**base, **kw})


def png(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def colours_in(img, box) -> set[tuple[int, int, int]]:
    x0, y0, x1, y1 = box
    px = np.asarray(img)[y0:y1, x0:x1].reshape(-1, 3)
    return {tuple(int(v) for v in p) for p in np.unique(px, axis=0)}


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def test_backend_model_id_and_batch() -> None:
    backend = ProceduralImageBackend(BackendSpec("image", "procedural", ""))
    assert backend.model_id == "procedural/storyboard-v1"
    assert ProceduralImageBackend(BackendSpec("image", "procedural", "procedural/custom")).model_id == "procedural/custom"
    images = backend.generate([shot(), shot(shot_size="WS", width=768, height=432)])
    assert [im.size for im in images] == [(512, 512), (768, 432)]
    assert all(im.mode == "RGB" for im in images)


def test_same_request_gives_identical_bytes() -> None:
    assert png(render(shot(seed=7))) == png(render(shot(seed=7)))


def test_seed_moves_small_things_but_never_the_character() -> None:
    a, b = render(shot(seed=1, shot_size="WS")), render(shot(seed=2, shot_size="WS"))
    assert not np.array_equal(np.asarray(a), np.asarray(b))
    for cid in ("maya", "joe"):
        char = MAYA if cid == "maya" else JOE
        wanted = {rgb(h) for h in char.palette}
        assert wanted <= colours_in(a, a.info["studio_layout"][cid])
        assert wanted <= colours_in(b, b.info["studio_layout"][cid])


def test_figures_wear_their_palette() -> None:
    img = render(shot(shot_size="FS"))
    boxes = img.info["studio_layout"]
    assert rgb(MAYA.palette[2]) in colours_in(img, boxes["maya"])
    assert rgb(JOE.palette[2]) in colours_in(img, boxes["joe"])
    assert rgb(JOE.palette[2]) not in colours_in(img, boxes["maya"])


@pytest.mark.parametrize("size", ["EWS", "WS", "FS", "MS", "MCU", "CU", "ECU"])
def test_layout_one_box_per_character_inside_the_picture(size: str) -> None:
    req = shot(shot_size=size)
    img = render(req)
    boxes = img.info["studio_layout"]
    assert boxes == layout(req)
    assert set(boxes) == {"maya", "joe"}
    caption_top = req.height - round(req.height * 0.15)
    for x0, y0, x1, y1 in boxes.values():
        assert 0 <= x0 < x1 <= req.width and 0 <= y0 < y1 <= caption_top
    assert boxes["maya"][2] <= boxes["joe"][0] + 1  # left to right, side by side


def test_shot_size_changes_figure_scale() -> None:
    area = {}
    for size in ("WS", "FS", "CU"):
        x0, y0, x1, y1 = layout(shot(shot_size=size, characters=(MAYA,)))["maya"]
        area[size] = (x1 - x0) * (y1 - y0)
    assert area["WS"] < area["FS"] < area["CU"]


def test_views_and_expressions_change_the_figure() -> None:
    one = dict(characters=(MAYA,), shot_size="CU")
    front = np.asarray(render(shot(view="front", **one)))
    frames = {v: np.asarray(render(shot(view=v, **one))) for v in VIEWS}
    assert all(not np.array_equal(front, frames[v]) for v in VIEWS if v != "front")
    faces = [np.asarray(render(shot(expression=e, **one))) for e in EXPRESSIONS]
    assert len({f.tobytes() for f in faces}) == len(EXPRESSIONS)


def test_back_view_shows_hair_where_the_face_was() -> None:
    req = shot(characters=(MAYA,), shot_size="CU")
    x0, y0, x1, y1 = layout(req)["maya"]
    cx = (x0 + x1) // 2
    def face_band(view: str) -> np.ndarray:
        img = np.asarray(render(replace(req, view=view)))
        return img[y0 + (y1 - y0) // 4: y0 + (y1 - y0) // 3, cx - 10: cx + 10].reshape(-1, 3)
    skin, hair = np.array(rgb(MAYA.palette[0])), np.array(rgb(MAYA.palette[1]))
    assert (np.abs(face_band("front") - skin).sum(1) == 0).mean() > 0.5
    assert (np.abs(face_band("back") - hair).sum(1) == 0).mean() > 0.5


def test_insert_draws_an_object_and_no_figures() -> None:
    req = shot(shot_size="INSERT", prompt="INSERT - the letter on the table")
    img = render(req)
    assert img.info["studio_layout"] == {} and layout(req) == {}
    assert not np.array_equal(np.asarray(img), np.asarray(render(replace(req, prompt="a phone buzzes"))))


def test_night_is_darker_than_day() -> None:
    for ie in ("INT", "EXT"):
        day = np.asarray(render(shot(int_ext=ie, time_of_day="DAY", shot_size="WS")).convert("L"))
        night = np.asarray(render(shot(int_ext=ie, time_of_day="NIGHT", shot_size="WS")).convert("L"))
        assert night.mean() < day.mean() - 30


def test_same_set_looks_the_same_across_shots() -> None:
    a = np.asarray(render(shot(characters=(), seed=1)))
    b = np.asarray(render(shot(characters=(), seed=1, prompt="another shot")))
    other_set = np.asarray(render(shot(characters=(), seed=1, set_name="GARAGE")))
    ph = 512 - round(512 * 0.15)
    assert np.array_equal(a[:ph], b[:ph])
    assert not np.array_equal(a[:ph], other_set[:ph])


def test_caption_strip_has_text() -> None:
    req = shot(caption="Maya slams the letter down")
    img = np.asarray(render(req).convert("L"))
    strip = img[req.height - round(req.height * 0.15) + 3: req.height - 3, 3: req.width - 3]
    assert (strip < 100).mean() > 0.01
    blank = np.asarray(render(replace(req, caption="", prompt="", shot_size="MS")).convert("L"))
    assert (strip < 100).sum() > (blank[req.height - round(req.height * 0.15) + 3: req.height - 3,
                                         3: req.width - 3] < 100).sum()


def test_malformed_palette_names_character_and_field() -> None:
    bad = replace(MAYA, palette=("#e0ac69", "#3b2314", "blue-ish", "#dddddd", "#c0392b"))
    with pytest.raises(ValueError, match=r"MAYA.*wardrobe primary.*blue-ish"):
        render(shot(characters=(bad, JOE)))
    with pytest.raises(ValueError, match=r"MAYA.*missing.*accent"):
        layout(shot(characters=(replace(MAYA, palette=MAYA.palette[:4]),)))
