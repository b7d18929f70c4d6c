"""The ``driftguard`` command line: a thin shell over :mod:`driftguard.api` and :mod:`driftguard.report`.

Exit codes (README.md, docs/reliability.md): 0 success; 1 drift or findings present and ``--exit-code`` /
``--fail-on`` given; 2 usage or input error; 3 operational error (vCenter unreachable or answering garbage, login
failed, timeout, repo locked or corrupt, disk full); 4 internal error (a bug: one line, the traceback in a report
file); 130 interrupted by SIGINT, 143 by SIGTERM, after rolling back.

This module stays light: :func:`main` installs the signal handlers before Typer, Rich and pyVmomi are imported.
``app`` (:mod:`driftguard.cli.groups`) is loaded on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

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
    crash.install()
    try:
        crash.replay_early_signal()  # one that came while `python -m driftguard` was starting
        # After the handlers, on purpose: a signal during these imports (most of a second) is handled too.
        from typer.main import get_command

        from driftguard.cli.boundary import run
        from driftguard.cli.groups import app

        return crash.outcome(run(get_command(app), argv, "driftguard"))
    except BaseException as exc:  # only what escaped while importing gets here
        return crash.fatal(exc, argv)
    finally:
        crash.finish(process=argv is None)


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        from driftguard.cli.groups import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
