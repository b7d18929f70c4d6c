"""The one error boundary every command runs under (pre-commit's ``error_handler.py`` is the model).

Commands return their exit code and raise what goes wrong; nothing below catches to print. Here:
``DriftguardError`` → its code (2 usage/input, 3 operational) with one line ``driftguard: error: ...``;
Click's usage errors → 2 with one line ``driftguard: error: ... (see 'driftguard CMD --help')``;
Ctrl-C → 130 and SIGTERM → 143, one line each;
anything else → 4, one line and a report file (:mod:`driftguard.cli.crash`).

The root group's ``main`` goes through :func:`run` too, so Click's test runner sees exactly what a terminal does.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

from typer import _click as click  # Typer ships its own copy of Click; its exceptions are these, not click's
from typer._click.exceptions import UsageError as ClickUsageError
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit

from driftguard.api import DriftguardError
from driftguard.cli import crash
from driftguard.cli.exits import EXIT_OK
from driftguard.cli.help import PROG, complete, polish


def run(command: click.Command, args: Sequence[str] | None, prog_name: str | None, **extra: Any) -> int:
    """Parse ``args`` (default: ``sys.argv[1:]``), run the command and map whatever it raises to an exit code."""
    argv = list(sys.argv[1:] if args is None else args)
    _log_lines()
    polish(command)
    try:
        answer = complete(command, prog_name or PROG)
        if answer is not None:
            return answer
        with command.make_context(prog_name or "driftguard", argv, **extra) as ctx:
            result = command.invoke(ctx)
    except Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        crash.say(f"error: {_usage_line(exc)}")
        return exc.exit_code
    except Abort:
        return crash.aborted()
    except DriftguardError as exc:
        crash.say(f"error: {exc}", one_line=False)
        return exc.exit_code
    except BaseException as exc:  # signals, bugs and OS errors: each its code
        return crash.fatal(exc, argv)
    return result if isinstance(result, int) else EXIT_OK


class _Say(logging.Handler):
    """A stage's log record as one ``driftguard: <level>: ...`` line on the current stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        crash.say(f"{record.levelname.lower()}: {record.getMessage()}")


def _log_lines() -> None:
    """The stages' warnings (e.g. the store's repair notice after a killed run) as ``driftguard: warning: ...``."""
    logger = logging.getLogger("driftguard")
    if not any(isinstance(h, _Say) for h in logger.handlers):
        logger.addHandler(_Say(logging.WARNING))
        logger.setLevel(logging.WARNING)
        logger.propagate = False


def _usage_line(exc: click.ClickException) -> str:
    """Click's message as one line, with where to read more: a usage error never needs a second line."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, ClickUsageError) and ctx is not None:
        return f"{message} (see '{ctx.command_path} --help')"
    return message


class BoundaryGroup(TyperGroup):
    """The root ``driftguard`` group: its ``main`` is :func:`run`, in a terminal and under ``CliRunner`` alike."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        code = run(self, args, prog_name, **extra)
        if standalone_mode:
            sys.exit(code)
        return code
