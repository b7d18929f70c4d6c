"""Shared pytest configuration: the simulator fixtures, the Hypothesis profiles and a git identity independent of
the machine."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["tests.vcsim.fixtures", "tests.ssh.sshd"]

# Hypothesis profiles, registered once for the whole suite; HYPOTHESIS_PROFILE picks one, else "ci" under CI=true
# and "default" elsewhere. No deadline: the suite shares two cores with other work, and a per-example time limit
# would make results depend on machine load (no timed asserts). Tests that need more or fewer examples than the
# profile say only that, e.g. @settings(max_examples=400).
_COMMON = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("default", _COMMON)
# CI: derandomised, so a red build is reproducible from the log and never a coin toss; no example database.
settings.register_profile("ci", _COMMON, derandomize=True, database=None)
# dev: a quick local loop while editing (HYPOTHESIS_PROFILE=dev).
settings.register_profile("dev", _COMMON, max_examples=10)


def pytest_configure(config: pytest.Config) -> None:
    profile = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "default")
    if profile not in ("default", "ci", "dev"):
        raise pytest.UsageError(f"HYPOTHESIS_PROFILE={profile!r} is not a profile: use default, ci or dev")
    settings.load_profile(profile)


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    # Commits made by tests must not depend on the developer's or CI's git config.
    for var, value in {
        "GIT_AUTHOR_NAME": "driftguard tests",
        "GIT_AUTHOR_EMAIL": "tests@driftguard.invalid",
        "GIT_COMMITTER_NAME": "driftguard tests",
        "GIT_COMMITTER_EMAIL": "tests@driftguard.invalid",
        "GIT_CONFIG_NOSYSTEM": "1",
    }.items():
        monkeypatch.setenv(var, value)
