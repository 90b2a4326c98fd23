"""One local Ray for the whole test session, started on first use.

Starting Ray costs tens of seconds on a loaded 2-core machine, so the tests that need it share one:
a test or fixture that needs Ray asks for ``shared_ray`` (module-scoped: it calls
:meth:`SharedRay.ensure`). A Runner or Studio made then finds Ray initialized, uses it, and leaves
it running when it closes (a Runner stops only a Ray it started itself). A command run in a
subprocess joins it with ``RAY_ADDRESS`` set to :attr:`SharedRay.address` (``tests/test_cli.py``).

Tests that need a Ray of their own (``tests/generation/test_cluster.py``'s simulated cluster) call
:meth:`SharedRay.release` first; the next test that asks gets a fresh shared Ray back, because
``ensure`` starts one whenever it finds Ray not initialized. Marked ``own_ray``, they run after the
other tests, so that in a whole run the shared Ray starts once. Tests that never ask start nothing.

The shared Ray: local, on loopback (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``), no usage stats, no
dashboard, driver logs off, 2 CPUs (as on the 2-core machines the tests are sized for; the runner
tests count on it), its own temp dir, and ``PYTHONPATH`` naming the repository so that workers can
import the test backends. It is started with the runner's retried start (:func:`start_ray`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

REPO = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "own_ray: needs Ray to itself (releases the shared one); runs last")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``own_ray`` run after the others (a stable sort: every other order is kept)."""
    items.sort(key=lambda item: item.get_closest_marker("own_ray") is not None)


class SharedRay:
    """The session's local Ray: started by :meth:`ensure`, stopped by :meth:`release` (only if it
    is still the one this object started)."""

    def __init__(self, temp_root: Path) -> None:
        self.temp_root = temp_root
        self.starts = 0
        self._gcs: str | None = None  # the address of the Ray this object started, while it runs

    def ensure(self) -> None:
        """Make sure a Ray is initialized in this process: ours if none is (started again after a
        test released it), or whichever one a test connected to itself."""
        from studio_kit.generation.runner import _ray, start_ray

        ray = _ray()
        if ray.is_initialized():
            return
        paths = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))  # workers import tests.*
        self.starts += 1
        temp = self.temp_root / str(self.starts)  # short: Ray's socket paths must fit AF_UNIX's 107 bytes
        start_ray(address="local", num_cpus=2, include_dashboard=False, _temp_dir=str(temp), log_to_driver=False)
        self._gcs = ray.get_runtime_context().gcs_address

    @property
    def address(self) -> str:
        """The GCS address (127.0.0.1:port) of the Ray this process runs, for a subprocess to join
        as RAY_ADDRESS (the way a user points the studio at a running cluster)."""
        from studio_kit.generation.runner import _ray

        ray = _ray()
        if not ray.is_initialized():
            raise RuntimeError("no Ray is running: call ensure() first")
        return ray.get_runtime_context().gcs_address

    def release(self) -> None:
        """Shut the shared Ray down (for a test that needs Ray to itself); ``ensure`` brings it back."""
        from studio_kit.generation.runner import _ray

        ray = _ray()
        if self._gcs is not None and ray.is_initialized() and ray.get_runtime_context().gcs_address == self._gcs:
            ray.shutdown()
        self._gcs = None


@pytest.fixture(scope="session")
def ray_session() -> Iterator[SharedRay]:
    """The session's :class:`SharedRay` (nothing started until a test calls ``ensure``)."""
    pytest.importorskip("ray")
    root = Path(tempfile.mkdtemp(prefix="skrt-"))
    shared = SharedRay(root)
    try:
        yield shared
    finally:
        shared.release()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def shared_ray(ray_session: SharedRay) -> SharedRay:
    """For the tests and fixtures of a module that need Ray: the session's local Ray, initialized."""
    ray_session.ensure()
    return ray_session
