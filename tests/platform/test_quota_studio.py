"""The Studio refuses generation over the tenant's GPU quota when a job is submitted."""

from __future__ import annotations

from datetime import date

import pytest

from studio_kit.generation.base import BackendSpec
from studio_kit.platform.billing import QuotaExceeded
from studio_kit.settings import Settings
from studio_kit.studio import Studio


def test_quota_is_checked_at_submit(tmp_path):
    with Studio.open(Settings(), store_path=tmp_path / "s.duckdb", project="film", tenant="acme") as studio:
        gpu = BackendSpec("image", "diffusers", "stabilityai/sd-turbo", num_gpus=1)
        cpu = BackendSpec("image", "procedural", "procedural/storyboard-v1")
        studio._admit_generation(gpu, 1)  # no plan: a local workbench has no quota
        studio.set_plan("free", effective_from=date(2026, 1, 1), gpu_quota=5.0)
        with pytest.raises(QuotaExceeded) as err:
            studio._admit_generation(gpu, 1)
        assert "quota" in str(err.value).lower() and "5" in str(err.value)
        studio._admit_generation(cpu, 100)  # CPU work costs no GPU-seconds
