"""The ``driftguard`` command line: a thin shell over :mod:`driftguard.api` and :mod:`driftguard.report`.

Exit codes (README.md, docs/reliability.md): 0 success; 1 drift or findings present and ``--exit-code`` /
``--fail-on`` given; 2 usage or input error; 3 operational error (vCenter unreachable or answering garbage, login
failed, timeout, repo locked or corrupt, disk full); 4 internal error (a bug: one line, the traceback in a report
file); 130 interrupted by SIGINT, 143 by SIGTERM, after rolling back.

This module stays light: :func:`main` imports Typer, Rich and the commands with signals only recorded
(:func:`driftguard._signals.recording`), then installs the real handlers and replays what came meanwhile.
``app`` (:mod:`driftguard.cli.groups`) is loaded on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from driftguard import _signals
from driftguard.cli import crash

if TYPE_CHECKING:
    import typer

    from driftguard.cli.groups import app


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point and the one error boundary; returns the exit code instead of raising.

    ``argv`` None means this run owns the process (``python -m driftguard``, the ``driftguard`` script): signals
    after the work is done are ignored so interpreter shutdown stays quiet. Otherwise the caller's signal handlers
    and hooks are restored on return.
    """
    failed: BaseException | None = None
    # Signals during these imports (most of a second) are recorded and replayed below, never raised inside an import.
    with _signals.recording():
        try:
            from typer.main import get_command

            from driftguard.cli.boundary import run
            from driftguard.cli.groups import app
        except BaseException as exc:  # a broken install: reported like any other failure, after install()
            failed = exc
    crash.install()
    try:
        crash.replay_early_signal()  # one that came while `python -m driftguard` was starting or importing
        if failed is not None:
            raise failed
        return crash.outcome(run(get_command(app), argv, "driftguard"))
    except BaseException as exc:
        return crash.fatal(exc, argv)
    finally:
        crash.finish(process=argv is None)


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        from driftguard.cli.groups import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
