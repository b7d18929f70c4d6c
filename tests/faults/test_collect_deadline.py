"""Fault family "deadline" (issue 8, point 3): a server that drips or stops must not hold a run (or the repo lock).

A fault proxy in front of the real simulator drips an answer one byte a second (no single read ever waits long
enough for the per-request timeout) or sends half an answer and then nothing while keeping the connection open.
With a small whole-collection deadline the real snapshot process must end by itself with exit 3 and the one-line
"exceeded the deadline" message, commit nothing and leave no lock; the subprocess timeout is only a safety net.
Before the fix nothing bounded the collection: the drip kept the run busy as long as the server liked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults._collect_support import USER, Run, Stage, assert_secret_free, run, snapshot, staged
from tests.faults._proxy import Fault
from tests.faults.health import assert_healthy, assert_no_traceback

pytestmark = pytest.mark.vcsim

# The API path, as the CLI's --deadline/--timeout flags will call it: Connection(deadline=..., timeout=...).
SNAPSHOT_WITH_LIMITS = """
import os, sys
from pathlib import Path
from pydantic import SecretStr
from driftguard import api
url, repo, user, deadline, timeout = sys.argv[1:]
conn = api.Connection(url=url, user=user, password=SecretStr(os.environ["DRIFTGUARD_PASSWORD"]), insecure=True,
                      deadline=float(deadline), timeout=float(timeout))
try:
    api.snapshot(conn, Path(repo))
except api.DriftguardError as exc:
    print(f"driftguard: error: {exc}", file=sys.stderr)
    sys.exit(exc.exit_code)
"""


@pytest.fixture(scope="module")
def stage(vcsim_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    with staged(vcsim_binary, tmp_path_factory) as ready:
        yield ready


def limited_snapshot(stage: Stage, repo: Path, *, deadline: float, timeout: float = 60.0) -> Run:
    return run(["-c", SNAPSHOT_WITH_LIMITS, stage.proxy.url, str(repo), USER, str(deadline), str(timeout)])


def assert_ended_cleanly(result: Run, repo: Path, before: str | None, *reason: str) -> None:
    assert result.returncode == 3, result.stderr
    line = result.error_line
    for part in reason:
        assert part in line, line
    assert "nothing committed" in line, line
    assert_secret_free(result)
    assert_healthy(repo, before, allow_new_snapshot=False)
    assert_no_traceback(result.stdout, result.stderr)


@pytest.mark.parametrize(
    "fault",
    [
        Fault("drip", method="RetrievePropertiesEx", occurrence=1, drip_interval=1.0),  # the inventory reply
        Fault("stall", method="RetrievePropertiesEx", occurrence=1),  # a proxy that stops mid-inventory
        Fault("drip", method="RetrievePropertiesEx", occurrence=2, drip_interval=1.0),  # the host-options reply
        Fault("drip", method="ReadNextEvents", occurrence=1, drip_interval=1.0),  # the event history
        Fault("stall", method="RetrieveServiceContent"),  # the very first answer
        Fault("drip", every=True, drip_interval=1.0),
    ],
    ids=["drip-inventory", "stall-inventory", "drip-host-options", "drip-events", "stall-connect", "drip-all"],
)
def test_deadline_ends_a_dripping_or_stalled_collection(stage: Stage, tmp_path: Path, fault: Fault) -> None:
    repo, before = stage.repo(tmp_path)
    stage.proxy.reset(fault)
    result = limited_snapshot(stage, repo, deadline=3, timeout=60)
    assert_ended_cleanly(result, repo, before, f"collection from {stage.proxy.host} exceeded the deadline of 3 s")
    assert any(kind is not None for _, _, kind in stage.proxy.log), stage.proxy.log  # the fault did happen

    # The lock is gone and the next run, with nothing injected, succeeds unaided.
    stage.proxy.reset()
    again = limited_snapshot(stage, repo, deadline=1800, timeout=60)
    assert again.returncode == 0, again.stderr
    assert_healthy(repo, before)
    assert_no_traceback(again.stdout, again.stderr)


def test_per_request_timeout_ends_a_silent_answer(stage: Stage, tmp_path: Path) -> None:
    """Half an answer, then silence: the per-request (socket) timeout ends it long before the deadline."""
    repo, before = stage.repo(tmp_path)
    stage.proxy.reset(Fault("stall", method="RetrievePropertiesEx", occurrence=1))
    result = limited_snapshot(stage, repo, deadline=1800, timeout=2)
    assert_ended_cleanly(
        result, repo, before, f"vCenter {stage.proxy.host} sent nothing for 2 s while answering RetrievePropertiesEx"
    )


def test_default_limits_still_collect(stage: Stage, tmp_path: Path) -> None:
    """The CLI without any limit flags (defaults: 60 s per request, 1800 s in all) is unaffected by the budget."""
    repo, before = stage.repo(tmp_path)
    stage.proxy.reset()
    result = snapshot(stage.proxy.url, repo)
    assert result.returncode == 0, result.stderr
    assert_healthy(repo, before)
    assert_no_traceback(result.stdout, result.stderr)
