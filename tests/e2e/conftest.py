"""End-to-end tests log in to the simulator (which accepts any password) with one throwaway secret, set as
DRIFTGUARD_PASSWORD for every command a test runs; tests that need another password pass ``password=``."""

from __future__ import annotations

import pytest

from tests.e2e.test_e2e import SECRET


@pytest.fixture(autouse=True)
def _simulator_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTGUARD_PASSWORD", SECRET)
