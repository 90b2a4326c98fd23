"""Pre-production's defaults, in one home: every door (Studio, CLI, API, notebooks, dashboards)
reads them from these objects, so a default is written once.

Each is frozen and keyword-only: ``ScheduleOptions(capacity_eighths=32)`` changes one field and
keeps the rest; ``options.replace(...)`` derives another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..common.errors import Invalid
from ..common.options import Options

if TYPE_CHECKING:  # the options only name the type; schedule.py reads its defaults from here
    from .schedule import Weights


@dataclass(frozen=True, kw_only=True)
class BreakdownOptions(Options):
    """How a script version is tagged."""

    #: sentence embeddings (bundled MiniLM) for words the lexicon lacks
    embeddings: bool = False
    #: an OpenAI-compatible chat endpoint (vLLM, llama.cpp server) that proposes more tags; every
    #: quote it gives is checked against the scene
    llm_endpoint: str | None = None
    #: the model id the endpoint serves (needed with ``llm_endpoint``)
    llm_model: str | None = None
    llm_timeout_s: float = 120.0

    def __post_init__(self) -> None:
        if self.llm_endpoint and not self.llm_model:
            raise Invalid("llm_model: an LLM endpoint needs a model name (the id the server serves, see "
                          "<endpoint>/models)")
        if self.llm_timeout_s <= 0:
            raise Invalid(f"llm_timeout_s must be > 0, got {self.llm_timeout_s}")


@dataclass(frozen=True, kw_only=True)
class ScheduleOptions(Options):
    """How a shooting schedule is planned."""

    #: page eighths the unit shoots in a day (40 = 5 pages, feature pace); None: no page cap
    capacity_eighths: int | None = 40
    #: also cap each day's estimated hours (None: no hour cap)
    capacity_hours: float | None = None
    #: days on the board (0: enough for the work at capacity, plus a fifth)
    max_days: int = 0
    #: seconds the solver may spend (it returns its best board with a proven bound)
    time_limit_s: float = 20.0
    #: allow one drop/pick-up per actor across a gap of more than 10 days
    drop_pickup: bool = False
    #: shooting weekdays, 0 = Monday
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    #: cost weights; None: the dated file data/rates/schedule_weights.csv
    weights: Weights | None = None

    def __post_init__(self) -> None:
        if self.capacity_eighths is not None and self.capacity_eighths < 1:
            raise Invalid(f"capacity_eighths must be at least 1 (or None for no cap), got {self.capacity_eighths}")
        if self.capacity_hours is not None and self.capacity_hours <= 0:
            raise Invalid(f"capacity_hours must be > 0 (or None), got {self.capacity_hours}")
        if self.max_days < 0:
            raise Invalid(f"max_days must be >= 0, got {self.max_days}")
        if not self.time_limit_s > 0:
            raise Invalid(f"time_limit_s must be > 0 seconds, got {self.time_limit_s}")
        if not self.weekdays or any(d not in range(7) for d in self.weekdays):
            raise Invalid(f"weekdays must be 0 (Monday) .. 6 (Sunday), got {self.weekdays}")


@dataclass(frozen=True, kw_only=True)
class BudgetOptions(Options):
    """How a budget is priced from a schedule."""

    prep_weeks: float = 4.0
    wrap_weeks: float = 2.0
    contingency_pct: float = 10.0
    overhead_pct: float = 0.0
    bond_pct: float = 0.0

    def __post_init__(self) -> None:
        for name in ("prep_weeks", "wrap_weeks", "contingency_pct", "overhead_pct", "bond_pct"):
            if getattr(self, name) < 0:
                raise Invalid(f"{name} must be >= 0, got {getattr(self, name)}")


__all__ = ["BreakdownOptions", "BudgetOptions", "ScheduleOptions"]
