"""A signal that arrives while ``python -m driftguard`` is still importing (before the CLI's real handlers exist) ends
the run like any other: 130/143 and one line, never a KeyboardInterrupt traceback; a second one changes nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from driftguard import _signals
from driftguard.cli import main
from tests.paths import ROOT


@pytest.mark.parametrize(("signals", "code"), [([signal.SIGINT], 130), ([signal.SIGTERM, signal.SIGINT], 143)])
def test_a_recorded_early_signal_is_replayed_once(
    signals: list[int], code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    _signals.PENDING[:] = signals
    assert main(["--version"]) == code
    assert _signals.PENDING == []
    err = capsys.readouterr().err
    name = signal.Signals(signals[0]).name
    assert err == f"driftguard: interrupted by {name}; nothing was committed half-way\n"


def test_without_an_early_signal_the_run_is_untouched(capsys: pytest.CaptureFixture[str]) -> None:
    _signals.PENDING.clear()
    assert main(["--version"]) == 0
    assert "driftguard" in capsys.readouterr().out


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.05, 0.1, 0.2])
def test_signals_during_start_up_give_one_line_and_the_first_code(delay: float) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "driftguard", "--version"],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    for signum in (signal.SIGINT, signal.SIGINT, signal.SIGTERM):
        if process.poll() is None:
            process.send_signal(signum)
    _out, err = process.communicate(timeout=60)
    # before the interpreter runs our first line the default actions apply (-2, -15); after the work, exit 0
    assert process.returncode in (0, 130, -signal.SIGINT, -signal.SIGTERM), (process.returncode, err)
    assert "Traceback" not in err, err
    if process.returncode == 130:
        assert err == "driftguard: interrupted by SIGINT; nothing was committed half-way\n", err


def test_a_signal_wrapped_by_a_library_still_decides_the_outcome(capsys: pytest.CaptureFixture[str]) -> None:
    """Seen in CI: SIGTERM while pydantic built a validator surfaced as a SchemaError ("... literal validator:
    Terminated") and exited 4 as an internal error; the run had been terminated, so it is 143 and one line."""
    from driftguard.cli import crash

    crash.install()
    try:
        with pytest.raises(crash.Terminated):
            crash._on_signal(signal.SIGTERM, None)
        wrapped = RuntimeError('Error building "literal" validator: Terminated:')
        assert crash.fatal(wrapped, []) == 143
    finally:
        crash.finish(process=False)
    assert capsys.readouterr().err == "driftguard: interrupted by SIGTERM; nothing was committed half-way\n"


INTERRUPTING_IMPORT = """
import os, signal, sys, time

class Interrupting:
    # signals itself while the CLI imports pydantic; the handler in place then runs inside this import
    def find_spec(self, name, path=None, target=None):
        if name == "decimal":
            sys.meta_path.remove(self)
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
            except BaseException as exc:
                print("raised inside an import:", type(exc).__name__, file=sys.stderr)
                raise
        return None

sys.meta_path.insert(0, Interrupting())
from driftguard.__main__ import run
sys.exit(run())
"""


def test_a_signal_during_the_command_line_imports_is_not_raised_inside_the_import() -> None:
    """Seen in CI: SIGINT raised inside ``import _decimal`` (pydantic importing it) left the C module half set up; the
    way out imported it again and libmpdec printed "mpd_setminalloc: ignoring request ..." above the one line."""
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTING_IMPORT, "--version"],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    one_line = "driftguard: interrupted by SIGINT; nothing was committed half-way\n"
    assert (done.returncode, done.stderr) == (130, one_line)
    assert done.stdout == ""
