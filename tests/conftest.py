"""Shared pytest configuration: the simulator fixtures and a git identity independent of the machine."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.vcsim.fixtures", "tests.ssh.sshd"]


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
