"""Fault family "garbage" (issue 8, point 2): answers that are not vCenter's SOAP answer.

A fault proxy in front of the real simulator replaces, breaks or cuts one answer (or all of them) of a real
``python -m driftguard snapshot``. Every such run must exit 3 with one line naming the vCenter and what came back,
commit nothing (HEAD unchanged, repo healthy), print no traceback and no secret, and the next run must succeed.
Before the fix, an HTML ``200`` in place of the inventory reply committed a "complete" snapshot of zero objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults._collect_support import Run, Stage, assert_secret_free, snapshot, staged
from tests.faults._proxy import Fault, Kind
from tests.faults.health import assert_healthy, assert_no_traceback

pytestmark = pytest.mark.vcsim


@pytest.fixture(scope="module")
def stage(vcsim_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    with staged(vcsim_binary, tmp_path_factory) as ready:
        yield ready


def attack(stage: Stage, tmp_path: Path, fault: Fault | None) -> tuple[Run, Path, str | None]:
    repo, before = stage.repo(tmp_path)
    stage.proxy.reset(fault)
    result = snapshot(stage.proxy.url, repo)
    return result, repo, before


def assert_refused(result: Run, repo: Path, before: str | None, stage: Stage, *reason: str) -> None:
    """Exit 3, one line naming the vCenter and the reason, nothing committed, no traceback, no secret."""
    assert result.returncode == 3, result.stderr
    line = result.error_line
    assert f"vCenter {stage.proxy.host} " in line, line
    for part in reason:
        assert part in line, line
    assert "nothing committed" in line, line
    assert_secret_free(result)
    assert_healthy(repo, before, allow_new_snapshot=False)
    assert_no_traceback(result.stdout, result.stderr)


def test_html_in_place_of_the_inventory_reply(stage: Stage, tmp_path: Path) -> None:
    result, repo, before = attack(stage, tmp_path, Fault("html", method="RetrievePropertiesEx", occurrence=1))
    assert_refused(result, repo, before, stage, "answered RetrievePropertiesEx with HTML (text/html, 200)")


def test_html_in_place_of_the_host_options_reply(stage: Stage, tmp_path: Path) -> None:
    # The third RetrievePropertiesEx (after the small kinds' and the hosts' pages) reads every host's
    # OptionManager.setting.
    result, repo, before = attack(stage, tmp_path, Fault("html", method="RetrievePropertiesEx", occurrence=3))
    assert (9, "RetrievePropertiesEx", "html") in stage.proxy.log, stage.proxy.log
    assert_refused(result, repo, before, stage, "answered RetrievePropertiesEx with HTML (text/html, 200)")


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("broken-xml", "with broken XML (mismatched tag at line 2"),
        ("truncate", "with a truncated body ("),
        ("truncate-chunked", "with a truncated body (the last chunk ends early)"),
        ("empty", "with an empty body (text/xml, 200)"),
        ("wrong-type", "with a body that is not XML (application/json, 200)"),
        ("http-502", "with HTTP status 502 (text/html)"),
        ("soap-fault", "failed while reading the inventory: SystemError: injected"),
    ],
)
def test_broken_inventory_reply(stage: Stage, tmp_path: Path, kind: Kind, reason: str) -> None:
    result, repo, before = attack(stage, tmp_path, Fault(kind, method="RetrievePropertiesEx", occurrence=1))
    assert_refused(result, repo, before, stage, reason)


def test_html_to_every_request(stage: Stage, tmp_path: Path) -> None:
    result, repo, before = attack(stage, tmp_path, Fault("html", every=True))
    assert_refused(result, repo, before, stage, "answered RetrieveServiceContent with HTML (text/html, 200)")


def test_garbage_at_each_request_number(stage: Stage, tmp_path: Path) -> None:
    """HTML, then a truncated body, in place of answer 1, 2, ... N of a run that also reads the history.

    An answer that carries data must fail the run; the answers to DestroyView, DestroyCollector and Logout carry
    none, so a run whose only bad answer is one of those commits the real drift as a complete snapshot.
    """
    clean, repo, before = attack(stage, tmp_path / "clean", None)
    assert clean.returncode == 0, clean.stderr
    methods = stage.proxy.methods()
    assert "ReadNextEvents" in methods and "QueryEvents" in methods, methods  # the history was read too
    cleanup = {"DestroyView", "DestroyCollector", "Logout"}
    tried = 0
    for kind in ("html", "truncate"):
        for number, method in enumerate(methods, start=1):
            result, repo, before = attack(stage, tmp_path / f"{kind}-{number}", Fault(kind, number=number))
            tried += 1
            assert_no_traceback(result.stdout, result.stderr)
            assert_secret_free(result)
            if method in cleanup:
                # The data was all read and checked: the run commits the real drift, attributed as usual.
                assert result.returncode == 0, (number, method, result.stderr)
                assert "1 change on 1 object: 1 attributed (alice)" in result.stderr, result.stderr
                assert_healthy(repo, before)
                continue
            what = "HTML (text/html, 200)" if kind == "html" else "a truncated body"
            assert_refused(result, repo, before, stage, f"answered {method} with {what}")
    assert tried == 2 * len(methods)

    # ... and the next run, with nothing injected, succeeds unaided.
    again = snapshot(stage.proxy.url, repo)
    assert again.returncode == 0, again.stderr
    assert_healthy(repo, before)
    assert_no_traceback(again.stdout, again.stderr)
