"""Diffusion images through diffusers, with IP-Adapter identity, and CLIP image embeddings.

Why diffusers' own API and nothing patched: ``AutoPipelineForText2Image`` loads SD 1.5, SD-Turbo
and SDXL class checkpoints from a hub id or a local folder alike, and IP-Adapter (the image-prompt
adapter that keeps a character's face, wardrobe and colours across frames) is part of its core
(``load_ip_adapter``, ``set_ip_adapter_scale``, ``ip_adapter_image``). torch and diffusers are
imported only when a backend is built, so importing studio_kit stays light.

Loading fails early and says what to do: a local folder that does not exist, a hub id that is not
in the offline cache (``huggingface-cli download <id>``), or the silent trap of an offline
``CLIPTokenizer.from_pretrained`` that returns a 2-token tokenizer instead of raising.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .base import BackendError, BackendSpec, ImageRequest
from .profile import resolve_device, resolve_dtype

#: A real tokenizer knows dozens (characters) to thousands of tokens; the offline trap gives 2 or 3.
MIN_VOCAB = 16


def _offline() -> bool:
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
               for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _looks_local(model: str) -> bool:
    """A path rather than a hub id: absolute, relative with ./ or ~, or more than one slash."""
    return (model.startswith((".", "/", "~")) or os.sep in model.strip("/").replace("/", "", 1)
            or Path(model).expanduser().exists())


def check_model_source(model: str, *, task: str, marker: str = "config.json") -> str:
    """The model id or folder to pass to ``from_pretrained``, or a BackendError saying what to fix.

    ``marker`` is a file every snapshot of that kind has (``model_index.json`` for a diffusers
    pipeline, ``config.json`` for a transformers model); with the hub offline, a hub id whose
    marker is not in the local cache cannot load, so say which download would fix it."""
    if not model or not model.strip():
        raise BackendError(f"profile key [{task}] model is empty; set it to a hub id or a local folder")
    if _looks_local(model):
        folder = Path(model).expanduser()
        if not folder.is_dir():
            raise BackendError(f"[{task}] model folder {folder} does not exist; fix the profile key [{task}] model "
                               "or download the model there (huggingface-cli download <id> --local-dir <folder>)")
        if not (folder / marker).is_file():
            raise BackendError(f"[{task}] model folder {folder} has no {marker}; is it a complete snapshot?")
        return str(folder)
    if _offline():
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(model, marker)
        if not isinstance(cached, str):
            raise BackendError(f"[{task}] model {model!r} is not in the local Hugging Face cache and the hub is "
                               f"offline (HF_HUB_OFFLINE=1): run `huggingface-cli download {model}` on a machine "
                               f"with network, or point the profile key [{task}] model at a local folder")
    return model


def check_vocab(tokenizer: Any, model: str, task: str) -> None:
    """Raise when a tokenizer loaded with a tiny vocabulary (the offline CLIPTokenizer trap)."""
    if tokenizer is None:
        return
    size = len(tokenizer)
    if size < MIN_VOCAB:
        raise BackendError(f"[{task}] the tokenizer of {model!r} loaded with only {size} tokens: its vocabulary files "
                           f"are missing (an offline or partial download); run `huggingface-cli download {model}` "
                           "or point the profile at a complete folder")


def _dtype_kwarg(dtype: Any) -> dict[str, Any]:
    """diffusers renamed ``torch_dtype`` to ``dtype``; pass the one this version wants."""
    try:
        from diffusers.utils.deprecation_utils import _resolve_dtype  # noqa: F401  (present where `dtype` is)
    except ImportError:
        return {"torch_dtype": dtype}
    return {"dtype": dtype}


class DiffusersImageBackend:
    """``generate(requests) -> [PIL.Image]`` with a diffusers text-to-image pipeline.

    Each image is a function of its request alone: one ``torch.Generator`` per request, seeded
    with ``request.seed``, so a frame re-renders identically whatever batch it lands in. Requests
    are grouped by ``batch_key`` (size, steps, guidance) and each group is one pipeline call.

    Options (``spec.options``): ``ip_adapter`` (repo id or folder), ``ip_adapter_subfolder``
    (default ``models``), ``ip_adapter_weight_name`` (default ``ip-adapter_sd15.bin``),
    ``ip_adapter_scale`` (default 0.6), ``assets_dir`` (where reference images are stored as
    ``<sha[:2]>/<sha>.png``). ``reference_loader`` overrides how a reference sha becomes an image.
    """

    def __init__(self, spec: BackendSpec, *, reference_loader: Callable[[str], Any] | None = None) -> None:
        import torch
        from diffusers import AutoPipelineForText2Image

        self.spec = spec
        self.model_id = spec.model
        self.device = resolve_device(spec.device)
        self.dtype = resolve_dtype(spec.dtype, self.device)
        self.reference_loader = reference_loader or self._load_reference
        source = check_model_source(spec.model, task=spec.task, marker="model_index.json")
        try:
            pipe = AutoPipelineForText2Image.from_pretrained(source, **_dtype_kwarg(self.dtype))
        except (OSError, ValueError) as exc:
            raise BackendError(f"[{spec.task}] cannot load diffusers pipeline {spec.model!r}: {exc}; check the "
                               f"profile key [{spec.task}] model (`huggingface-cli download {spec.model}`)") from None
        check_vocab(getattr(pipe, "tokenizer", None), spec.model, spec.task)
        check_vocab(getattr(pipe, "tokenizer_2", None), spec.model, spec.task)
        pipe = pipe.to(self.device)
        pipe.set_progress_bar_config(disable=True)
        self.ip_adapter = str(spec.options.get("ip_adapter", "") or "")
        if self.ip_adapter:
            self._load_ip_adapter(pipe)
        self.pipe = pipe
        self._torch = torch

    def _load_ip_adapter(self, pipe: Any) -> None:
        opts = self.spec.options
        subfolder = str(opts.get("ip_adapter_subfolder", "models"))
        weight_name = str(opts.get("ip_adapter_weight_name", "ip-adapter_sd15.bin"))
        if _looks_local(self.ip_adapter):
            path = Path(self.ip_adapter).expanduser() / subfolder / weight_name
            if not path.is_file():
                raise BackendError(f"[image.options] ip_adapter weights {path} do not exist; fix ip_adapter, "
                                   "ip_adapter_subfolder or ip_adapter_weight_name in the profile")
        else:
            check_model_source(self.ip_adapter, task="image.options ip_adapter",
                               marker=f"{subfolder}/{weight_name}")
        try:
            pipe.load_ip_adapter(self.ip_adapter, subfolder=subfolder, weight_name=weight_name)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise BackendError(f"[image.options] cannot load IP-Adapter {self.ip_adapter!r} "
                               f"({subfolder}/{weight_name}) into {self.spec.model!r}: {exc}; the adapter must "
                               "match the base model (sd15 weights for SD 1.x / SD-Turbo, sdxl for SDXL)") from None
        pipe.set_ip_adapter_scale(float(opts.get("ip_adapter_scale", 0.6)))

    def _load_reference(self, sha: str) -> Any:
        """The stored artifact ``<assets_dir>/<sha[:2]>/<sha>.png`` as an RGB image."""
        from PIL import Image

        assets = self.spec.options.get("assets_dir")
        if not assets:
            raise BackendError("IP-Adapter needs the characters' reference images: set [image.options] assets_dir "
                               "(or pass reference_loader=)")
        path = Path(str(assets)).expanduser() / sha[:2] / f"{sha}.png"
        if not path.is_file():
            raise BackendError(f"reference image {sha} not found at {path}")
        with Image.open(path) as im:
            return im.convert("RGB")

    def _references(self, request: ImageRequest) -> list[Any]:
        """The reference images of a request's characters (at least one when it names characters)."""
        images: list[Any] = []
        for character in request.characters:
            for sha in character.reference_images:
                images.append(self.reference_loader(sha))
        if request.characters and not images:
            names = ", ".join(c.name for c in request.characters)
            raise BackendError(f"IP-Adapter is configured but {names} has no reference images: lock the character's "
                               "reference sheet first (Identity.reference_images is empty)")
        return images

    def generate(self, requests: Sequence[ImageRequest]) -> list[Any]:
        """One PIL image per request, in order."""
        out: list[Any] = [None] * len(requests)
        groups: dict[tuple, list[int]] = {}
        for i, r in enumerate(requests):
            # diffusers gives every prompt of one call the same IP-Adapter image prompt, so frames with
            # different reference images are separate calls.
            refs = tuple(sha for c in r.characters for sha in c.reference_images) \
                if self.ip_adapter and r.anchored else ()
            groups.setdefault((r.batch_key(), refs), []).append(i)
        for indices in groups.values():
            images = self._call([requests[i] for i in indices])
            for i, image in zip(indices, images, strict=True):
                out[i] = image
        return out

    def _call(self, requests: list[ImageRequest]) -> list[Any]:
        torch = self._torch
        first = requests[0]
        gen_device = "cpu" if self.device == "mps" else self.device
        kwargs: dict[str, Any] = dict(
            prompt=[r.full_prompt() for r in requests],
            num_inference_steps=first.steps,
            guidance_scale=first.guidance,
            width=first.width,
            height=first.height,
            generator=[torch.Generator(device=gen_device).manual_seed(int(r.seed)) for r in requests],
        )
        if first.guidance > 1.0:  # negative prompts only matter with classifier-free guidance
            kwargs["negative_prompt"] = [r.negative_prompt for r in requests]
        scale = float(self.spec.options.get("ip_adapter_scale", 0.6))
        # frames without an identity image prompt: no characters, or a lock's own reference renders
        # (batch_key keeps them apart from anchored frames)
        free = not (first.characters and first.anchored)
        if self.ip_adapter:
            if free:
                self.pipe.set_ip_adapter_scale(0.0)
            kwargs["ip_adapter_image_embeds"] = self._ip_embeds(first, do_cfg=first.guidance > 1.0)
        try:
            with torch.inference_mode():
                return list(self.pipe(**kwargs).images)
        finally:
            if self.ip_adapter and free:
                self.pipe.set_ip_adapter_scale(scale)

    def _ip_embeds(self, request: ImageRequest, *, do_cfg: bool) -> list[Any]:
        """The IP-Adapter image prompt of a request: its characters' references encoded by the
        pipeline's image encoder and averaged into one (the form ``ip_adapter_image_embeds`` takes:
        one tensor per adapter, negative then positive under guidance)."""
        from PIL import Image

        torch = self._torch
        refs = self._references(request) if request.characters and request.anchored else [Image.new("RGB", (224, 224))]
        embeds = []
        for ref in refs:
            (e,) = self.pipe.prepare_ip_adapter_image_embeds([ref], None, self.device, 1, do_cfg)
            embeds.append(e)
        return [torch.stack(embeds).mean(dim=0)]


class ClipImageEmbedder:
    """``embed_images(images) -> (n, d)`` unit float32 CLIP image embeddings (CLIP-I consistency scores).

    ``spec.model`` is a ``CLIPVisionModelWithProjection`` checkpoint, e.g.
    ``openai/clip-vit-large-patch14`` or IP-Adapter's ``h94/IP-Adapter`` ``models/image_encoder``
    (give that as a folder, or set ``options.subfolder``)."""

    def __init__(self, spec: BackendSpec) -> None:
        import torch
        from transformers import CLIPImageProcessor, CLIPVisionModelWithProjection

        self.spec = spec
        self.model_id = spec.model
        self.device = resolve_device(spec.device)
        self.dtype = resolve_dtype(spec.dtype, self.device)
        subfolder = str(spec.options.get("subfolder", ""))
        source = check_model_source(spec.model, task=spec.task,
                                    marker=f"{subfolder}/config.json" if subfolder else "config.json")
        kw = {"subfolder": subfolder} if subfolder else {}
        try:
            self.model = CLIPVisionModelWithProjection.from_pretrained(source, **kw).to(self.device, self.dtype).eval()
            try:
                self.processor = CLIPImageProcessor.from_pretrained(source, **kw)
            except OSError:  # IP-Adapter's image_encoder folder ships no processor: CLIP's defaults at its size
                size = int(self.model.config.image_size)
                self.processor = CLIPImageProcessor(size={"shortest_edge": size},
                                                    crop_size={"height": size, "width": size})
        except (OSError, ValueError) as exc:
            raise BackendError(f"[{spec.task}] cannot load CLIP vision model {spec.model!r}: {exc}; "
                               f"`huggingface-cli download {spec.model}` or fix the profile key [{spec.task}] model"
                               ) from None
        self._torch = torch

    def embed_images(self, images: Sequence[Any]) -> np.ndarray:
        if not images:
            return np.zeros((0, int(self.model.config.projection_dim)), dtype=np.float32)
        torch = self._torch
        pixels = self.processor(images=[im.convert("RGB") for im in images], return_tensors="pt").pixel_values
        with torch.inference_mode():
            emb = self.model(pixel_values=pixels.to(self.device, self.dtype)).image_embeds
        vecs = emb.float().cpu().numpy().astype(np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.maximum(norms, 1e-12)
