"""One settings object for paths, tenancy, paper, models and Ray; environment overrides it.

No other module reads environment variables: pass a Settings (or let Studio build one).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .common.errors import Invalid

_REPO_DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class Settings:
    #: Folder for the project's data (the store lives under it by default).
    data_dir: Path = Path("data")
    #: The DuckDB file; default ``<data_dir>/store/studio.duckdb``.
    store_path: Path | None = None
    #: Where jobs write PDFs, reports and media.
    out_dir: Path = Path("out")
    #: Content-addressed artifacts (generated images, audio); default ``assets/`` beside the store.
    assets_dir: Path | None = None
    tenant: str = "local"
    project: str = "default"
    #: "letter" or "a4".
    paper: str = "letter"
    #: Largest script file accepted, in MB.
    max_script_mb: int = 64
    #: Ray cluster address (None: a local Ray on loopback).
    ray_address: str | None = None
    #: YAML/TOML model profile naming which backend and model serve each task.
    model_profile: Path | None = None
    #: Key for an OpenAI-compatible endpoint (vLLM, llama.cpp server, a hosted API); never printed.
    llm_api_key: str | None = field(default=None, repr=False)

    def data_file(self, rel: str) -> Path:
        """A bundled data file (sample script, rates, lexicon): the configured data folder first, so a
        project can override any file, then the repository's own ``data/``."""
        for base in (self.data_dir, _REPO_DATA):
            if (Path(base) / rel).exists():
                return Path(base) / rel
        raise FileNotFoundError(f"bundled data file {rel!r} not found under {self.data_dir} or {_REPO_DATA}")

    @property
    def store(self) -> Path:
        return self.store_path or self.data_dir / "store" / "studio.duckdb"

    @property
    def assets(self) -> Path:
        return self.assets_dir or self.store.parent / "assets"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then ``STUDIO_*`` (and ``RAY_ADDRESS``) variables, then explicit overrides."""
        e = os.environ if env is None else env
        s = cls()
        mapping = {
            "STUDIO_DATA_DIR": ("data_dir", Path),
            "STUDIO_STORE": ("store_path", Path),
            "STUDIO_OUT": ("out_dir", Path),
            "STUDIO_ASSETS": ("assets_dir", Path),
            "STUDIO_TENANT": ("tenant", str),
            "STUDIO_PROJECT": ("project", str),
            "STUDIO_PAPER": ("paper", str),
            "STUDIO_MAX_SCRIPT_MB": ("max_script_mb", int),
            "RAY_ADDRESS": ("ray_address", str),
            "STUDIO_MODEL_PROFILE": ("model_profile", Path),
            "STUDIO_LLM_API_KEY": ("llm_api_key", str),
        }
        values: dict[str, object] = {}
        for var, (name, kind) in mapping.items():
            if e.get(var):
                try:
                    values[name] = kind(e[var])
                except ValueError:
                    raise Invalid(f"environment variable {var}={e[var]!r} is not a valid {kind.__name__}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(s, **values)
