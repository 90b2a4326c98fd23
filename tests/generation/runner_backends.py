"""Small real image backends for the runner tests and benchmarks (importable by Ray workers).

Why not mocks: the runner must move real bytes produced by real work. ``GradientBackend`` renders a
deterministic gradient PNG per request with numpy; prompts containing ``FAIL`` raise (a bad
request), ``CRASH`` kills the worker process every time, and a marker file named in
``spec.options["crash_marker"]`` kills the worker the first time it is seen (then is removed), so
tests can kill a worker mid-job exactly once. ``spec.options["sleep"]`` adds a fixed per-image
duration (a stand-in for GPU time when measuring scaling on a CPU-only machine).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from studio_kit.generation.base import BackendSpec, ImageRequest


class GradientBackend:
    def __init__(self, spec: BackendSpec) -> None:
        self.spec = spec
        self.model_id = spec.model or "test/gradient"
        self.loads = 1  # a restarted actor constructs a fresh backend

    def _render(self, r: ImageRequest) -> Image.Image:
        digest = hashlib.sha256(f"{r.prompt}|{r.seed}".encode()).digest()
        a, b = np.frombuffer(digest[:3], np.uint8), np.frombuffer(digest[3:6], np.uint8)
        t = np.linspace(0.0, 1.0, r.width, dtype=np.float32)[None, :, None]
        rows = np.linspace(0.0, 1.0, r.height, dtype=np.float32)[:, None, None]
        img = (a * (1 - t) + b * t) * (0.5 + 0.5 * rows)
        image = Image.fromarray(img.clip(0, 255).astype(np.uint8), "RGB")
        image.info["studio_layout"] = {"boxes": [[0, 0, r.width // 2, r.height // 2]], "prompt": r.prompt}
        return image

    def generate(self, requests: Sequence[ImageRequest]) -> list[Image.Image]:
        marker = self.spec.options.get("crash_marker")
        if marker and Path(marker).exists():
            Path(marker).unlink()
            os._exit(1)  # the worker dies mid-job, once
        if any("CRASH" in r.prompt for r in requests):
            os._exit(1)
        bad = [r.prompt for r in requests if "FAIL" in r.prompt]
        if bad:
            raise ValueError(f"cannot render prompt {bad[0]!r}")
        pause = float(self.spec.options.get("sleep", 0.0))
        if pause:
            time.sleep(pause * len(requests))
        return [self._render(r) for r in requests]


class OptionsEchoBackend(GradientBackend):
    """A gradient backend that reports the options its worker was built with (in each image's
    ``studio_layout``), so tests can see what the runner passed to the worker."""

    def _render(self, r: ImageRequest) -> Image.Image:
        image = super()._render(r)
        image.info["studio_layout"] = {**image.info["studio_layout"], "options": dict(self.spec.options)}
        return image
