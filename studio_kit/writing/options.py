"""The Writing engine's defaults, in one home: the Studio, the CLI, the API, notebooks and the
dashboard read them here, so each is written once."""

from __future__ import annotations

from dataclasses import dataclass

from ..common.errors import Invalid
from ..common.options import Options

SHOT_LIST_MODES = ("rules", "llm")
DEVELOP_MODES = ("structured", "template")


def _frame_size(size: tuple[int, int], what: str, multiple: int) -> None:
    w, h = size
    if w <= 0 or h <= 0 or w % multiple or h % multiple:
        raise Invalid(f"{what} size {w}x{h}: width and height must be positive multiples of {multiple} "
                      f"(e.g. 640x360, 1280x720)")


@dataclass(frozen=True, kw_only=True)
class ShotListOptions(Options):
    """How shot lists are made."""

    #: "rules": the coverage rules over the scene's content; "llm": the profile's text model
    mode: str = "rules"

    def __post_init__(self) -> None:
        if self.mode not in SHOT_LIST_MODES:
            raise Invalid(f"mode {self.mode!r}: use 'rules' or 'llm'")


@dataclass(frozen=True, kw_only=True)
class BoardOptions(Options):
    """How storyboard frames are drawn."""

    #: frame width x height in pixels (multiples of 8 for the image backends; 1024x576 for SDXL)
    size: tuple[int, int] = (640, 360)

    def __post_init__(self) -> None:
        _frame_size(self.size, "board frame", 8)


@dataclass(frozen=True, kw_only=True)
class AnimaticOptions(Options):
    """How an animatic is rendered."""

    fps: int = 24
    size: tuple[int, int] = (1280, 720)
    #: silence between two lines of dialogue, and before the first / after the last of a panel (seconds)
    gap_s: float = 0.25
    pad_s: float = 0.5

    def __post_init__(self) -> None:
        if not 1 <= self.fps <= 120:
            raise Invalid(f"fps must be a whole number of frames a second in 1..120, got {self.fps}")
        _frame_size(self.size, "animatic", 2)
        if self.gap_s < 0 or self.pad_s < 0:
            raise Invalid("gap_s and pad_s must be >= 0 seconds")


@dataclass(frozen=True, kw_only=True)
class DevelopOptions(Options):
    """How a development run writes (logline -> beats -> outline -> scenes -> dialogue)."""

    #: target length in pages of a new run's script
    target_pages: int = 10
    #: "structured" (an instruct model writes JSON and Fountain) or "template" (code owns the structure,
    #: the model fills slots); None: from the profile's text model (the n-gram writer is template)
    mode: str | None = None
    #: tries per item before it fails (the fault is fed back to the model on a retry)
    max_attempts: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mode is not None and self.mode not in DEVELOP_MODES:
            raise Invalid(f"mode {self.mode!r}: use one of {', '.join(DEVELOP_MODES)} (or None for the profile's)")
        if self.target_pages < 1:
            raise Invalid(f"target_pages must be at least 1, got {self.target_pages}")
        if self.max_attempts < 1:
            raise Invalid(f"max_attempts must be at least 1, got {self.max_attempts}")


__all__ = ["AnimaticOptions", "BoardOptions", "DevelopOptions", "ShotListOptions"]
