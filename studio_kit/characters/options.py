"""The Character engine's defaults, in one home (the Studio, CLI, API and notebooks read them here)."""

from __future__ import annotations

from dataclasses import dataclass

from ..common.errors import Invalid
from ..common.options import Options

SEED_POLICIES = ("fixed", "per_shot")


@dataclass(frozen=True, kw_only=True)
class LockOptions(Options):
    """How a character's identity is locked."""

    #: the seed every image of the character uses (None: derived from the character id)
    seed: int | None = None
    #: "fixed": one seed for every shot; "per_shot": a seed per shot from the character's own
    seed_policy: str = "fixed"
    #: consistency below this is drift (None: the image embedder's own threshold)
    threshold: float | None = None

    def __post_init__(self) -> None:
        if self.seed_policy not in SEED_POLICIES:
            raise Invalid(f"seed_policy {self.seed_policy!r}: use one of {', '.join(SEED_POLICIES)}")
        if self.threshold is not None and not -1.0 <= self.threshold <= 1.0:
            raise Invalid(f"threshold must be a similarity in [-1, 1], got {self.threshold}")


__all__ = ["SEED_POLICIES", "LockOptions"]
