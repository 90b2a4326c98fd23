"""Generation's facade on the Studio: the model profile, the Ray runner, jobs and GPU usage.

Every public method is an operation (``management.access.operation``: one check, audited when
refused). The private helpers below are the resources the engines above build on (the runner,
the image embedder, image and text jobs); they are not operations, so an operation of another
engine uses them without a second check.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import polars as pl

from ..management.access import Operations, operation
from ..store import StoreError
from . import jobs as generation_jobs
from . import metering
from .profile import ModelProfile, load_backend, load_profile

if TYPE_CHECKING:
    from .runner import Runner, RunnerTextJobs


class GenerationOps(Operations):
    """Mixed into :class:`studio_kit.studio.Studio`."""

    _runner_instance: Runner | None = None
    _embedder_instance: Any = None

    # -- operations ---------------------------------------------------------------------------
    @operation("generation.submit")
    def runner(self, *, progress: bool = True) -> Runner:
        """The generation runner (Ray on loopback, or settings.ray_address); only the owner process
        (the Studio that opened the store for writing) runs jobs, because only it may record them."""
        return self._runner(progress=progress)

    @operation("generation.read")
    def jobs(self, status: str | None = None) -> pl.DataFrame:
        """The project's generation jobs (status, node, GPU, time), optionally of one status."""
        return generation_jobs.list_jobs(self.scope, status=status)

    @operation("generation.read", target="{job_id}")
    def job(self, job_id: str) -> dict[str, Any]:
        """One job with its request, result and error."""
        return generation_jobs.get(self.scope, job_id)

    @operation("generation.submit", target="{job_id}")
    def cancel_job(self, job_id: str) -> str:
        """Cancel a queued or running job; returns its status after the request."""
        return generation_jobs.cancel(self.scope, job_id)

    @operation("generation.read")
    def gpu_usage(self) -> pl.DataFrame:
        """GPU-seconds per (model, GPU kind) recorded for this project's jobs."""
        return metering.usage_by_model(self.scope)

    @operation("character.read")
    def image_embedder(self) -> Any:
        """The image embedder that scores consistency (descriptor by default, CLIP when configured)."""
        return self._embedder()

    # -- resources for the engines above (not operations) --------------------------------------
    def model_profile(self) -> ModelProfile:
        """The model profile in use (settings.model_profile, or the embedded defaults): configuration,
        not production data, so anyone holding a Studio may read it."""
        return load_profile(self.settings.model_profile)

    def _runner(self, *, progress: bool = True) -> Runner:
        if self._runner_instance is None:
            if self.store.read_only:
                raise StoreError("this Studio opened the store read-only; generation jobs run in the process that "
                                 "owns the store (the notebook, `studio` command or API server that opened it)")
            from .runner import Runner

            self._runner_instance = Runner(self.scope, replace(self.settings, assets_dir=self.assets_dir),
                                           self.model_profile(), progress=progress, admit=self._admit_generation)
        return self._runner_instance

    def _admit_generation(self, spec: Any, requests: int) -> None:
        """Called before jobs are queued; raises to refuse them. No limit here: the platform's
        facade (``platform.ops``), above this one, puts the tenant's GPU quota in its place."""

    def _embedder(self) -> Any:
        if self._embedder_instance is None:
            self._embedder_instance = load_backend(self.model_profile().spec("image_embedding"))
        return self._embedder_instance

    def _text_jobs(self, key_prefix: str, progress: bool = False) -> RunnerTextJobs:
        """The profile's text model as jobs on the runner, saying whether it follows instructions
        (the n-gram writer does not: the pipeline then owns the structure and fills slots)."""
        from .runner import RunnerTextJobs

        jobs = RunnerTextJobs(self._runner(progress=progress), key_prefix=key_prefix)
        spec = self.model_profile().spec("text")
        jobs.follows_instructions = spec.backend != "ngram"
        jobs.model_id = spec.model
        return jobs

    def _close_resources(self) -> None:
        if self._runner_instance is not None:
            self._runner_instance.close()
            self._runner_instance = None


__all__ = ["GenerationOps"]
