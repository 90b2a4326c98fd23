"""Animatics: a storyboard played as a movie, with temp dialogue and burnt-in captions.

Why this shape: the timing decision (how long each panel stays up, when each line is heard) is a
pure function, ``plan_timeline``, so it can be tested and shown in a UI without a codec. The edge,
``render_animatic``, synthesizes the lines in one batch through any speech backend, composes each
*distinct* frame once (a held panel only changes when its caption does) and hands the same
encoded picture to libx264 again for every frame it is held, which is what makes an animatic
render many times faster than real time on a CPU. The MP4 is written to a temp file beside the
target and moved into place, so a failure never leaves a half-written movie where an editor
expects one. ``write_otio`` exports the cut as an OpenTimelineIO timeline for an editor's tool.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..common.errors import Invalid
from ..common.files import atomic_path
from ..generation.base import Audio, SpeechRequest
from .options import AnimaticOptions

#: The animatic's defaults, shared with every door (writing.options).
_DEFAULTS = AnimaticOptions()

#: Audio rate of the mixed dialogue track (the delivery rate for film and video).
AUDIO_RATE = 48000
_AUDIO_CHUNK = 1024  # AAC frame size


class AnimaticError(Invalid):
    """Bad animatic input or a render that cannot finish; the message names the panel and the fix."""


class SpeechSynthesizer(Protocol):
    def synthesize(self, requests: list[SpeechRequest]) -> list[Audio]: ...


@dataclass(frozen=True)
class AnimaticLine:
    """One line of temp dialogue: who says it, what, and with which voice, pace and pitch.

    ``pitch`` (semitones, -12 .. 12) shifts the backend's voice so that characters sharing one
    single-speaker voice are told apart; the pace stays ``speed``."""

    character: str
    text: str
    voice: str = ""
    speed: float = 1.0
    pitch: float = 0.0

    def __post_init__(self) -> None:
        if not (isinstance(self.pitch, int | float) and math.isfinite(self.pitch) and -12 <= self.pitch <= 12):
            raise AnimaticError(f"line of {self.character or '?'}: pitch {self.pitch!r} must be -12 .. 12 semitones")
        if not (isinstance(self.speed, int | float) and math.isfinite(self.speed) and self.speed > 0):
            raise AnimaticError(f"line of {self.character or '?'}: speed {self.speed!r} must be positive (1.0 is "
                                "normal)")

    @property
    def factor(self) -> float:
        """The frequency ratio of ``pitch``."""
        return float(2.0 ** (self.pitch / 12.0))

    @property
    def caption(self) -> str:
        return f"{self.character}: {self.text}" if self.character else self.text


@dataclass(frozen=True)
class AnimaticPanel:
    """One storyboard frame held on screen for ``seconds`` (stretched if its lines need longer).

    ``image`` is PNG/JPEG bytes of any size (fitted on black to the output size); ``label`` is
    burnt in at the top, e.g. "Sc 3 · 3B · MCU · MAYA"."""

    image: bytes
    seconds: float
    label: str = ""
    lines: tuple[AnimaticLine, ...] = ()
    scene: str = ""
    shot: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.seconds, int | float) or not math.isfinite(self.seconds) or self.seconds <= 0:
            raise AnimaticError(f"panel {self.shot or self.label or '?'}: seconds must be a positive number of "
                                f"seconds of planned screen time, got {self.seconds!r}")
        if not isinstance(self.image, bytes | bytearray) or not self.image:
            raise AnimaticError(f"panel {self.shot or self.label or '?'}: image must be PNG or JPEG bytes, got "
                                f"{type(self.image).__name__} of length {len(self.image) if self.image else 0}")


@dataclass(frozen=True)
class LineSlot:
    """When one line is heard and its caption shown, in seconds from the start of the animatic."""

    panel: int
    index: int  # the line's index within its panel
    character: str
    text: str
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class PanelSlot:
    """When one panel is on screen; ``planned`` is what it asked for, ``end - start`` what it got."""

    index: int
    start: float
    end: float
    planned: float
    scene: str = ""
    shot: str = ""
    label: str = ""

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def stretched(self) -> bool:
        return self.seconds > self.planned + 1e-9


@dataclass(frozen=True)
class Timeline:
    """The animatic's cut: panel slots back to back and the dialogue slots inside them."""

    panels: tuple[PanelSlot, ...]
    lines: tuple[LineSlot, ...]
    gap: float
    pad: float
    fps: float | None = None

    @property
    def seconds(self) -> float:
        return self.panels[-1].end if self.panels else 0.0

    def panel_at(self, t: float) -> int:
        """Index of the panel on screen at time ``t`` (the last one for t past the end)."""
        for slot in self.panels:
            if t < slot.end:
                return slot.index
        return len(self.panels) - 1

    def line_at(self, t: float) -> LineSlot | None:
        """The line whose caption is up at ``t``, or None."""
        for line in self.lines:
            if line.start <= t < line.end:
                return line
        return None


def plan_timeline(panels: Sequence[AnimaticPanel], line_seconds: Sequence[Sequence[float]], *,
                  gap: float = _DEFAULTS.gap_s, pad: float = _DEFAULTS.pad_s, fps: float | None = None) -> Timeline:
    """Place every panel and line in time (pure: no audio, no codec).

    A panel lasts max(planned seconds, gap + its lines back to back with ``gap`` between + ``pad``):
    the first line starts ``gap`` after the cut so words are not clipped by it, and ``pad`` lets
    the last line land before the next panel. With ``fps`` each panel's length is rounded up to
    whole frames, so the video and audio cuts agree exactly."""
    if not panels:
        raise AnimaticError("an animatic needs at least one panel")
    if len(line_seconds) != len(panels):
        raise AnimaticError(f"line_seconds has {len(line_seconds)} entries for {len(panels)} panels; give one "
                            "list of line durations per panel")
    if gap < 0 or pad < 0:
        raise AnimaticError(f"gap and pad must be >= 0 seconds, got gap={gap}, pad={pad}")
    if fps is not None and not fps > 0:
        raise AnimaticError(f"fps must be positive, got {fps!r}")
    panel_slots: list[PanelSlot] = []
    line_slots: list[LineSlot] = []
    start = 0.0
    for i, (panel, durations) in enumerate(zip(panels, line_seconds, strict=True)):
        name = _panel_name(i, panel)
        if not panel.seconds > 0:
            raise AnimaticError(f"{name}: seconds must be > 0, got {panel.seconds!r}")
        if len(durations) != len(panel.lines):
            raise AnimaticError(f"{name}: {len(durations)} line durations for {len(panel.lines)} lines")
        cursor = start + (gap if durations else 0.0)
        for j, (line, seconds) in enumerate(zip(panel.lines, durations, strict=True)):
            if not (math.isfinite(seconds) and seconds >= 0):
                raise AnimaticError(f"{name}, line {j}: duration must be >= 0 seconds, got {seconds!r}")
            line_slots.append(LineSlot(i, j, line.character, line.text, cursor, cursor + seconds))
            cursor += seconds + (gap if j < len(durations) - 1 else 0.0)
        spoken = (cursor - start + pad) if durations else 0.0
        length = max(float(panel.seconds), spoken)
        if fps is not None:
            length = math.ceil(length * fps - 1e-6) / fps
        end = _snap(start + length, fps)
        panel_slots.append(PanelSlot(i, start, end, float(panel.seconds), panel.scene, panel.shot, panel.label))
        start = end
    return Timeline(tuple(panel_slots), tuple(line_slots), gap, pad, fps)


def _snap(t: float, fps: float | None) -> float:
    """Keep cumulative panel edges exactly on the frame grid (no float drift over long cuts)."""
    return round(t * fps) / fps if fps else t


def _panel_name(index: int, panel: AnimaticPanel) -> str:
    tag = panel.shot or panel.label
    return f"panel {index}" + (f" (shot {tag})" if tag else "")


# -- rendering --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnimaticResult:
    """What a render produced: the MP4, its length and frame count, and the cut it followed.

    ``timings`` splits the wall time (tts, audio, compose, encode) so a slow render can be
    pinned on the voice or the codec."""

    path: Path
    seconds: float
    frames: int
    audio_seconds: float
    timeline: Timeline
    size: tuple[int, int]
    fps: int
    timings: Mapping[str, float] = field(default_factory=dict)


def render_animatic(panels: Sequence[AnimaticPanel], speech: SpeechSynthesizer, out: Path, *,
                    fps: int = _DEFAULTS.fps, size: tuple[int, int] = _DEFAULTS.size, progress: bool = True,
                    gap: float = _DEFAULTS.gap_s, pad: float = _DEFAULTS.pad_s) -> AnimaticResult:
    """Render ``panels`` with their dialogue to an H.264 + AAC MP4 at ``out`` (atomically)."""
    out = Path(out)
    _check_settings(panels, fps, size)
    timings = {"tts": 0.0, "audio": 0.0, "compose": 0.0, "encode": 0.0}
    t0 = time.perf_counter()
    for i, panel in enumerate(panels):
        _decode(i, panel)  # fail before any work or file if a frame cannot be read
    lines = [line for p in panels for line in p.lines]
    # A pitch shift by resampling also shortens the line by its factor, so the voice is asked for a
    # line that much slower: the pace heard is ``speed``.
    requests = [SpeechRequest(line.text, voice=line.voice, speed=line.speed / line.factor) for line in lines]
    t1 = time.perf_counter()
    audios = list(speech.synthesize(requests)) if requests else []
    timings["tts"] = time.perf_counter() - t1
    if len(audios) != len(requests):
        raise AnimaticError(f"the speech backend returned {len(audios)} clips for {len(requests)} lines")
    t1 = time.perf_counter()
    clips = [_resample(Audio(a.samples, max(1, round(a.rate * line.factor))), AUDIO_RATE)
             for a, line in zip(audios, lines, strict=True)]
    per_panel: list[list[float]] = []
    k = 0
    for panel in panels:
        per_panel.append([len(c) / AUDIO_RATE for c in clips[k:k + len(panel.lines)]])
        k += len(panel.lines)
    timeline = plan_timeline(panels, per_panel, gap=gap, pad=pad, fps=fps)
    n_frames = round(timeline.seconds * fps)
    track = _mix(timeline, clips, round(n_frames * AUDIO_RATE / fps))
    timings["audio"] = time.perf_counter() - t1

    with atomic_path(out, suffix=".mp4") as tmp:
        _encode(tmp, panels, timeline, track, n_frames, fps, size, progress, timings)
    timings["total"] = time.perf_counter() - t0
    return AnimaticResult(out, n_frames / fps, n_frames, len(track) / AUDIO_RATE, timeline, tuple(size), fps,
                          timings)


def _check_settings(panels: Sequence[AnimaticPanel], fps: int, size: tuple[int, int]) -> None:
    if not panels:
        raise AnimaticError("an animatic needs at least one panel; pass the shots' storyboard frames")
    if not isinstance(fps, int) or fps <= 0:
        raise AnimaticError(f"fps must be a positive whole number (24, 25, 30), got {fps!r}")
    w, h = size
    if w < 16 or h < 16 or w % 2 or h % 2:
        raise AnimaticError(f"size {w}x{h}: H.264 needs an even width and height of at least 16; use e.g. "
                            "1280x720 or 1920x1080")
    for i, panel in enumerate(panels):
        if not isinstance(panel, AnimaticPanel):
            raise AnimaticError(f"panel {i} is a {type(panel).__name__}, not an AnimaticPanel")


def _decode(index: int, panel: AnimaticPanel):
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(panel.image))
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise AnimaticError(f"{_panel_name(index, panel)}: the image bytes cannot be decoded ({exc}); pass the "
                            "storyboard frame as PNG or JPEG bytes") from exc
    return img.convert("RGB")


def _resample(audio: Audio, rate: int) -> np.ndarray:
    """Mono float32 at ``rate`` (linear interpolation: plenty for temp dialogue)."""
    samples = np.asarray(audio.samples, dtype=np.float32).reshape(-1)
    if audio.rate == rate or samples.size == 0:
        return samples
    n = int(round(samples.size * rate / audio.rate))
    src = np.arange(samples.size, dtype=np.float64) / audio.rate
    dst = np.arange(n, dtype=np.float64) / rate
    return np.interp(dst, src, samples).astype(np.float32)


def _mix(timeline: Timeline, clips: Sequence[np.ndarray], n_samples: int) -> np.ndarray:
    track = np.zeros(n_samples, dtype=np.float32)
    for slot, clip in zip(timeline.lines, clips, strict=True):
        at = int(round(slot.start * AUDIO_RATE))
        part = clip[: max(0, n_samples - at)]
        track[at:at + len(part)] += part
    return np.clip(track, -1.0, 1.0)


def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _wrap(text: str, font, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and font.getlength(trial) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def _fit(img, size: tuple[int, int]):
    """The panel scaled to fit inside ``size`` and centred on black (letterbox / pillarbox)."""
    from PIL import Image

    w, h = size
    scale = min(w / img.width, h / img.height)
    fitted = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.BILINEAR)
    canvas = Image.new("RGB", size, (0, 0, 0))
    canvas.paste(fitted, ((w - fitted.width) // 2, (h - fitted.height) // 2))
    return canvas


def _timecode(seconds: float, fps: int) -> str:
    frames = int(round(seconds * fps))
    s, f = divmod(frames, fps)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{f:02d}"


def _compose(base, slot: PanelSlot, count: int, caption: str, fps: int):
    """One distinct frame: the fitted panel, the label strip on top, the caption at the bottom."""
    from PIL import ImageDraw

    img = base.copy()
    w, h = img.size
    draw = ImageDraw.Draw(img, "RGBA")
    size = max(10, h // 30)
    font = _font(size)
    strip = size + size // 2 * 2
    draw.rectangle((0, 0, w, strip), fill=(0, 0, 0, 170))
    draw.text((size // 2, size // 2), slot.label or slot.shot or f"panel {slot.index + 1}", font=font,
              fill=(255, 255, 255))
    counter = f"{slot.index + 1}/{count}  {_timecode(slot.start, fps)}"
    draw.text((w - size // 2 - font.getlength(counter), size // 2), counter, font=font, fill=(255, 220, 120))
    if caption:
        cfont = _font(max(12, h // 22))
        csize = max(12, h // 22)
        rows = _wrap(caption, cfont, w * 0.85)
        line_h = int(csize * 1.3)
        top = h - line_h * len(rows) - csize
        draw.rectangle((0, top - csize // 2, w, h), fill=(0, 0, 0, 190))
        for r, row in enumerate(rows):
            x = (w - cfont.getlength(row)) / 2
            draw.text((x, top + r * line_h), row, font=cfont, fill=(255, 255, 255))
    return img


def _encode(path: Path, panels: Sequence[AnimaticPanel], timeline: Timeline, track: np.ndarray, n_frames: int,
            fps: int, size: tuple[int, int], progress: bool, timings: dict[str, float]) -> None:
    import av
    from tqdm.auto import tqdm

    w, h = size
    with av.open(str(path), mode="w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": "23"})
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        # frame threads (x264's own pool, all cores): better throughput than the slice threads PyAV asks for
        video.codec_context.thread_type = "FRAME"
        video.codec_context.thread_count = 0
        video.codec_context.time_base = Fraction(1, fps)
        audio = container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        audio.codec_context.time_base = Fraction(1, AUDIO_RATE)
        audio_pos = 0
        key: tuple[int, int | None] | None = None
        base_for: tuple[int, Any] | None = None
        frame = None
        p = li = 0
        for k in tqdm(range(n_frames), desc="animatic", unit="frame", disable=not progress):
            t0 = time.perf_counter()
            t = k / fps
            while p < len(timeline.panels) - 1 and t >= timeline.panels[p].end - 1e-9:
                p += 1
            while li < len(timeline.lines) and t >= timeline.lines[li].end:
                li += 1  # lines are in time order: walk them with the frames (linear, not per-frame search)
            line = timeline.lines[li] if li < len(timeline.lines) and timeline.lines[li].start <= t else None
            state = (p, None if line is None else li)
            if state != key:
                if base_for is None or base_for[0] != p:
                    base_for = (p, _fit(_decode(p, panels[p]), size))
                caption = ""
                if line is not None:
                    caption = panels[p].lines[line.index].caption
                img = _compose(base_for[1], timeline.panels[p], len(panels), caption, fps)
                frame = av.VideoFrame.from_image(img).reformat(format="yuv420p")
                key = state
            assert frame is not None
            frame.pts = k
            frame.time_base = Fraction(1, fps)
            t1 = time.perf_counter()
            container.mux(video.encode(frame))
            target = min(len(track), round((k + 1) * AUDIO_RATE / fps))
            while target - audio_pos >= _AUDIO_CHUNK or (k == n_frames - 1 and audio_pos < len(track)):
                chunk = track[audio_pos:audio_pos + _AUDIO_CHUNK]
                af = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
                af.sample_rate = AUDIO_RATE
                af.pts = audio_pos
                af.time_base = Fraction(1, AUDIO_RATE)
                container.mux(audio.encode(af))
                audio_pos += len(chunk)
            t2 = time.perf_counter()
            timings["compose"] += t1 - t0
            timings["encode"] += t2 - t1
        t1 = time.perf_counter()
        container.mux(video.encode(None))
        container.mux(audio.encode(None))
        timings["encode"] += time.perf_counter() - t1


# -- editorial interchange --------------------------------------------------------------------------


def write_otio(result_or_timeline: AnimaticResult | Timeline, path: Path, *, fps: float | None = None,
               media: Path | None = None) -> Path:
    """Export the cut as an OpenTimelineIO timeline: a video track with one clip per panel (named by
    shot) and an audio track with the dialogue lines, both referencing the rendered MP4 (when known)
    with source ranges at their place in it, so an editor can relink and recut."""
    import opentimelineio as otio

    if isinstance(result_or_timeline, AnimaticResult):
        timeline = result_or_timeline.timeline
        rate = float(fps or result_or_timeline.fps)
        media = media or result_or_timeline.path
    else:
        timeline = result_or_timeline
        rate = float(fps or timeline.fps or 24)
    if not timeline.panels:
        raise AnimaticError("the timeline has no panels to export")

    def rt(seconds: float) -> Any:
        return otio.opentime.RationalTime(round(seconds * rate), rate)

    def ref() -> Any:
        if media is None:
            return otio.schema.MissingReference()
        return otio.schema.ExternalReference(
            target_url=Path(media).resolve().as_uri(),
            available_range=otio.opentime.TimeRange(rt(0), rt(timeline.seconds)))

    name = Path(media).stem if media else "animatic"
    out = otio.schema.Timeline(name=name, global_start_time=otio.opentime.RationalTime(0, rate))
    video = otio.schema.Track(name="storyboard", kind=otio.schema.TrackKind.Video)
    for slot in timeline.panels:
        clip_name = slot.shot or slot.label or f"panel {slot.index + 1}"
        clip = otio.schema.Clip(name=clip_name, media_reference=ref(),
                                source_range=otio.opentime.TimeRange(rt(slot.start), rt(slot.end) - rt(slot.start)))
        clip.metadata["studio_kit"] = {"scene": slot.scene, "shot": slot.shot, "label": slot.label,
                                       "planned_seconds": slot.planned}
        video.append(clip)
    dialogue = otio.schema.Track(name="dialogue", kind=otio.schema.TrackKind.Audio)
    cursor = rt(0)
    for line in timeline.lines:
        start, end = rt(line.start), rt(line.end)
        if start > cursor:
            dialogue.append(otio.schema.Gap(duration=start - cursor))
        clip = otio.schema.Clip(name=f"{line.character}: {line.text}"[:80], media_reference=ref(),
                                source_range=otio.opentime.TimeRange(start, end - start))
        clip.metadata["studio_kit"] = {"character": line.character, "text": line.text, "panel": line.panel}
        dialogue.append(clip)
        cursor = end
    out.tracks.append(video)
    out.tracks.append(dialogue)
    path = Path(path)
    otio.adapters.write_to_file(out, str(path))
    return path
