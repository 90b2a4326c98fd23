"""Shared by the writing tests that drive a Studio whose text model is an OpenAI-compatible
endpoint replayed on 127.0.0.1 (jobs on a local Ray)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from studio_kit.settings import Settings
from studio_kit.studio import Studio
from tests.generation.test_text_endpoint import ReplayServer


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    s = ReplayServer()
    yield s
    s.close()


def endpoint_studio(root: Path, server: ReplayServer, project: str, model: str = "test-model") -> Studio:
    """A Studio on a fresh store in ``root`` whose profile sends text to ``server`` (short timeout,
    one retry); every other task keeps the offline defaults."""
    profile = root / "profile.toml"
    profile.write_text(f'[text]\nbackend = "endpoint"\nmodel = "{model}"\n\n[text.options]\n'
                       f'base_url = "{server.base_url}"\ntimeout = 3\nmax_retries = 1\n')
    return Studio.open(Settings(out_dir=root / "out", model_profile=profile), project=project,
                       store_path=root / "studio.duckdb")
