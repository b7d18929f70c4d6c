"""The last resort under the boundary (driftguard/cli/crash.py), piece by piece: what the fault suite cannot
reach with a real process cheaply — a thread's exception, an OS error's code, where reports go, scrubbing."""

from __future__ import annotations

import errno
import threading
from pathlib import Path

import pytest

from driftguard.cli import crash


@pytest.fixture(autouse=True)
def reports_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "driftguard"


def test_scrub_removes_registered_secrets_and_url_userinfo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crash._state, "secrets", [])  # other tests in this process registered theirs
    crash.register_secret("hunter2/#x")
    text = crash.scrub("pw hunter2/#x in https://bob:hunter2/#x@vc01/sdk and ssh://alice@esx01")
    assert "hunter2" not in text and "bob" not in text and "alice" not in text
    assert text == "pw *** in https://***@vc01/sdk and ssh://***@esx01"


def test_an_exception_in_a_thread_is_one_line_and_a_report(
    reports_in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def work() -> None:
        raise ValueError("bad page")

    crash.install()
    try:
        thread = threading.Thread(target=work, name="pager")
        thread.start()
        thread.join()
    finally:
        crash.finish(process=False)
    err = capsys.readouterr().err
    (report,) = reports_in_tmp.glob("driftguard-crash-*.txt")
    assert err == f"driftguard: internal error in thread pager: ValueError: bad page; full report written to {report}\n"
    assert "Traceback" in report.read_text()
    assert crash.outcome(0) == 4 and crash.outcome(1) == 4 and crash.outcome(3) == 3  # never "ok" after a crash


def test_finish_gives_an_embedding_caller_its_handlers_back() -> None:
    import signal
    import sys

    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM), sys.excepthook)
    crash.install()
    assert signal.getsignal(signal.SIGTERM) is not before[1]
    crash.finish(process=False)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM), sys.excepthook) == before


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/srv/state/x"), 3, "No space left on device: /srv/state/x"),
        (PermissionError(errno.EACCES, "Permission denied", "/srv/plan.json"), 3, "Permission denied: /srv/plan.json"),
        (BrokenPipeError(errno.EPIPE, "Broken pipe"), 141, None),
        (KeyboardInterrupt(), 130, "interrupted by SIGINT; nothing was committed half-way"),
        (crash.Terminated(), 143, "interrupted by SIGTERM; nothing was committed half-way"),
        (SystemExit(7), 7, None),
    ],
)
def test_what_escaped_gets_its_documented_code(
    exc: BaseException, code: int, line: str | None, reports_in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert crash.fatal(exc, []) == code
    err = capsys.readouterr().err
    if line is None:
        assert err == ""
    else:
        assert err == f"driftguard: {'error: ' if code == 3 else ''}{line}\n"
    assert not reports_in_tmp.exists()  # none of these is a bug


def test_reports_fall_back_when_the_state_dir_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "not-a-dir").write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "not-a-dir"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert crash.internal_error(RuntimeError("boom\nsecond line"), ["log"]) == 4
    (report,) = (tmp_path / "home" / ".local" / "state" / "driftguard").glob("driftguard-crash-*.txt")
    assert capsys.readouterr().err == (
        f"driftguard: internal error: RuntimeError: boom second line; full report written to {report}\n"
    )
    assert "command: driftguard log" in report.read_text()


def test_an_interrupt_after_a_commit_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    """Seen in CI once reuse made a snapshot fast: SIGINT while the run wrote its cache, after HEAD had moved, printed
    "nothing was committed half-way" and left the reader to find out a snapshot had landed; it names the commit."""
    from driftguard import _signals

    crash.install()
    try:
        _signals.COMMITTED.append("847fa07487b0edbaa64604a7a9960a62a34ad036")
        assert crash.fatal(KeyboardInterrupt(), []) == 130
    finally:
        crash.finish(process=False)
    assert (
        capsys.readouterr().err
        == "driftguard: interrupted by SIGINT after committing 847fa07487, a complete snapshot\n"
    )
    crash.install()  # a new run starts with nothing committed
    try:
        assert _signals.COMMITTED == []
    finally:
        crash.finish(process=False)


def test_the_store_records_what_it_published(tmp_path: Path) -> None:
    from driftguard import _signals
    from driftguard.store import StateRepo

    _signals.COMMITTED.clear()
    with StateRepo.open(tmp_path / "state", create=True) as repo:
        commit = repo.write_files("vc", {"vc/x.json": b"{}\n"}, "one file")
    assert [commit] == _signals.COMMITTED
    _signals.COMMITTED.clear()
