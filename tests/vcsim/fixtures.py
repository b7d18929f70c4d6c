"""pytest fixtures for the vCenter simulator, registered from tests/conftest.py (``pytest_plugins``).

- ``vcsim_binary`` (session): builds the launcher once. When that is impossible the tests that need it are
  skipped with the reason, except under ``CI=true``, where they fail: CI must run them.
- ``vcsim``: a fresh simulator with the default topology for one test, stopped afterwards.
- ``vcsim_factory``: ``vcsim_factory(clusters=4, tls=True, stop_after_requests=6, ...)`` starts simulators with
  launcher flags; all of them are stopped when the test ends.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.vcsim.harness import BuildError, Vcsim, build, start


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def vcsim_binary() -> Path:
    try:
        return build()
    except BuildError as exc:
        if _in_ci():
            pytest.fail(f"CI=true and the vCenter simulator cannot be built: {exc}", pytrace=False)
        pytest.skip(f"vCenter simulator not available: {exc}")


@pytest.fixture
def vcsim(vcsim_binary: Path) -> Iterator[Vcsim]:
    sim = start(vcsim_binary)
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def vcsim_factory(vcsim_binary: Path) -> Iterator[Callable[..., Vcsim]]:
    started: list[Vcsim] = []

    def factory(**flags: Any) -> Vcsim:
        sim = start(vcsim_binary, **flags)
        started.append(sim)
        return sim

    try:
        yield factory
    finally:
        for sim in reversed(started):
            sim.stop()
