"""The one small interface per modality that every model backend implements.

Why so small: engines (characters, writing, post, marketing) ask for *what* they need (a frame of
scene 12 with MAYA in a medium shot; a line of dialogue spoken) and never learn which model made
it. A backend turns a batch of requests into a batch of results; the Ray runner moves the batches,
the store records them. Requests are plain frozen dataclasses so they can be stored as JSON in
the job table, shipped to Ray workers and compared for batching.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..common.errors import Invalid, Unavailable

#: The tasks a model profile assigns a backend to.
TASKS = ("image", "text", "speech", "embedding", "image_embedding")

#: Shot sizes a producer knows, widest first (the procedural renderer frames by these).
SHOT_SIZES = ("EWS", "WS", "FS", "MS", "MCU", "CU", "ECU", "INSERT")

#: Turnaround views of a character sheet, and the expression row.
VIEWS = ("front", "three_quarter", "side", "back")
EXPRESSIONS = ("neutral", "happy", "sad", "angry", "surprised", "afraid")


class BackendError(Unavailable):
    """A backend cannot be configured or loaded; the message says what to install or download."""


@dataclass(frozen=True)
class Identity:
    """What a locked character version contributes to every image that names the character.

    ``palette`` is hex colours in a fixed order: skin, hair, wardrobe primary, wardrobe secondary,
    accent. ``reference_images`` are sha256 ids of stored artifacts (the IP-Adapter's image prompt
    on the diffusers path); ``reference_embedding`` is the locked reference's image embedding, the
    target every consistency score is measured against.
    """

    character_id: str
    name: str
    version: int = 1
    palette: tuple[str, ...] = ("#c68642", "#2b1b0e", "#1f3a93", "#dddddd", "#c0392b")
    prompt: str = ""  # the prompt fragment that describes the character ("a tall woman in her 40s, grey coat")
    wardrobe: str = ""
    build: str = "average"  # slight, average, broad: the figure's proportions
    height: float = 1.0  # relative to an average adult
    hair: str = "short"  # short, long, bald, bun
    seed: int = 0
    reference_images: tuple[str, ...] = ()
    reference_embedding: tuple[float, ...] = ()


@dataclass(frozen=True)
class ImageRequest:
    """One frame: a storyboard panel, a character-sheet view, a poster plate."""

    prompt: str
    negative_prompt: str = ""
    width: int = 512
    height: int = 512
    seed: int = 0
    steps: int = 4
    guidance: float = 0.0
    characters: tuple[Identity, ...] = ()
    shot_size: str = "MS"
    angle: str = "eye"  # eye, high, low, overhead
    set_name: str = ""
    int_ext: str = ""
    time_of_day: str = ""
    caption: str = ""
    view: str = "front"
    expression: str = "neutral"
    #: Hold the characters to their locked reference images (the IP-Adapter's image prompt on the
    #: diffusers path). False only for the renders a lock is made from: there is no reference yet,
    #: so those come from the words of the bible alone.
    anchored: bool = True

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0 or self.width % 8 or self.height % 8:
            raise Invalid(f"image size {self.width}x{self.height}: width and height must be positive multiples of 8")
        if self.shot_size not in SHOT_SIZES:
            raise Invalid(f"shot_size {self.shot_size!r} is not one of {', '.join(SHOT_SIZES)}")
        if self.view not in VIEWS:
            raise Invalid(f"view {self.view!r} is not one of {', '.join(VIEWS)}")
        if self.steps < 1:
            raise Invalid(f"steps must be >= 1, got {self.steps}")

    def batch_key(self) -> tuple:
        """Requests with equal keys can share one pipeline call (same tensor shapes and schedule)."""
        return ("image", self.width, self.height, self.steps, round(self.guidance, 4),
                bool(self.characters) and self.anchored)

    def full_prompt(self) -> str:
        """The text a diffusion model sees: the shot, the set, then each character's locked fragment."""
        parts = [self.prompt]
        if self.set_name:
            parts.append(f"{self.int_ext} {self.set_name} {self.time_of_day}".strip())
        parts += [c.prompt or c.name for c in self.characters]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class TextRequest:
    prompt: str
    system: str = ""
    max_new_tokens: int = 256
    temperature: float = 0.0
    seed: int = 0

    def batch_key(self) -> tuple:
        return ("text", self.max_new_tokens, round(self.temperature, 4))


@dataclass(frozen=True)
class SpeechRequest:
    text: str
    voice: str = ""  # backend-specific voice or speaker id; "" is the backend's default
    speed: float = 1.0
    seed: int = 0

    def batch_key(self) -> tuple:
        return ("speech", self.voice)


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] at ``rate`` Hz."""

    samples: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    def to_wav(self) -> bytes:
        import wave

        pcm = (np.clip(self.samples, -1, 1) * 32767).astype("<i2")
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.rate)
            w.writeframes(pcm.tobytes())
        return buf.getvalue()


@runtime_checkable
class ImageBackend(Protocol):
    model_id: str

    def generate(self, requests: Sequence[ImageRequest]) -> list[Any]:  # PIL images, same order
        ...


@runtime_checkable
class TextBackend(Protocol):
    model_id: str

    def complete(self, requests: Sequence[TextRequest]) -> list[str]:
        ...


@runtime_checkable
class SpeechBackend(Protocol):
    model_id: str

    def synthesize(self, requests: Sequence[SpeechRequest]) -> list[Audio]:
        ...


@runtime_checkable
class EmbeddingBackend(Protocol):
    model_id: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:  # (n, d), unit length
        ...


@runtime_checkable
class ImageEmbedder(Protocol):
    """Image -> unit vector, for consistency scores (CLIP when configured, a descriptor by default)."""

    model_id: str

    def embed_images(self, images: Sequence[Any]) -> np.ndarray:  # (n, d), unit length
        ...


@dataclass(frozen=True)
class BackendSpec:
    """One task's entry of a model profile: which backend, which model, where it runs."""

    task: str
    backend: str
    model: str = ""
    device: str = "auto"  # auto, cpu, cuda, cuda:1, mps
    dtype: str = "auto"  # auto, float32, float16, bfloat16
    num_gpus: float = 0.0  # what a Ray worker for this task asks for (fractional allowed)
    batch_size: int = 4
    options: dict[str, Any] = field(default_factory=dict)

    def key(self) -> str:
        """Workers are pooled per key: one loaded model serves every job with the same key."""
        return json.dumps([self.task, self.backend, self.model, self.device, self.dtype,
                           sorted(self.options.items())], default=str)


# -- requests to and from JSON (the job table stores them) ----------------------------------------

_REQUEST_TYPES: dict[str, type] = {"image": ImageRequest, "text": TextRequest, "speech": SpeechRequest}


def request_to_json(request: ImageRequest | TextRequest | SpeechRequest) -> str:
    return json.dumps(asdict(request), sort_keys=True)


def request_from_json(task: str, text: str) -> ImageRequest | TextRequest | SpeechRequest:
    cls = _REQUEST_TYPES[task]
    data = json.loads(text)
    if cls is ImageRequest:
        data["characters"] = tuple(
            Identity(**{k: tuple(v) if isinstance(v, list) else v for k, v in c.items()})
            for c in data.get("characters", ()))
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise Invalid(f"{task} request has unknown fields {sorted(unknown)}")
    return cls(**data)
