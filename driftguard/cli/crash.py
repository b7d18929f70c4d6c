"""The last resort under the error boundary: signals, crash reports and the hooks that keep tracebacks off the terminal.

Standard library only, on purpose: :func:`driftguard.cli.main` installs this before it imports Typer, Rich and
pyVmomi (most of a second), so a Ctrl-C or SIGTERM that arrives during those imports is handled like any other.

- SIGINT raises ``KeyboardInterrupt`` and SIGTERM raises :class:`Terminated` (a ``BaseException``) in the main thread,
  so every ``finally`` and ``except BaseException`` on the way out rolls back; the process then exits 130 or 143 with
  one line on stderr. A second signal while unwinding, or one after the work is finished, is recorded and otherwise
  ignored: it must not interrupt a rollback or print a traceback during interpreter shutdown.
- Anything unexpected exits 4 with one line naming a report file; the traceback goes only into that file, with the
  password and any URL userinfo scrubbed out.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from driftguard import __version__, _signals
from driftguard.cli.exits import (
    EXIT_BROKEN_PIPE,
    EXIT_DRIFT,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_OPERATIONAL,
    EXIT_SIGINT,
    EXIT_SIGTERM,
    EXIT_USAGE,
)

PASSWORD_ENV = "DRIFTGUARD_PASSWORD"  # noqa: S105 - the name of the variable, not a password

OPERATIONAL_ERRNOS = frozenset(
    {
        *(errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO),
        *(errno.EMFILE, errno.ENFILE, errno.ENOENT, errno.ENOTDIR, errno.EISDIR),
    }
)
"""OS errors that describe the machine, not a bug (disk full, read-only file system, no permission, no such
directory for an output file): exit 3 with the file named."""

_USERINFO = re.compile(r"(?<=://)[^\s/@]+(?::[^\s@]*)?@")
_MESSAGE_LIMIT = 300


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException so that ``except Exception`` cannot swallow it and rollbacks still run."""


@dataclass
class _State:
    signum: int | None = None
    """The first SIGINT/SIGTERM received while working."""
    closing: bool = False
    """Unwinding or finished: later signals are recorded, never raised."""
    thread_crashed: bool = False
    """A thread died of an exception: the run cannot claim success or "drift found"."""
    secrets: list[str] = field(default_factory=list)
    password: str | None = None
    previous: dict[int, Any] = field(default_factory=dict)
    hooks: tuple[Any, Any, Any] | None = None


_state = _State()


def _visible(text: str) -> str:
    """``text`` with control and invisible characters shown as escapes (report.escape.visible), loaded only when a
    line is printed: this module must stay importable before anything else of driftguard."""
    try:
        from driftguard.report.escape import visible  # late on purpose: see above
    except Exception:  # mid-shutdown or a broken install: print what we have, escaped by Python
        return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return visible(text)


def say(message: str, *, one_line: bool = True) -> None:
    """A line on stderr, prefixed ``driftguard:``; never raises (stderr may be a closed pipe).

    ``one_line=False`` keeps the message's own line breaks (an error that lists every problem of a file at once).
    """
    line = (" ".join(message.split("\n")) if one_line else message).rstrip()
    line = "\n".join(_visible(part) for part in line.split("\n"))  # names in messages are data, never escapes
    try:
        sys.stderr.write(f"driftguard: {line}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # nowhere left to say it; the exit code still tells


# -- secrets ----------------------------------------------------------------------------------------------------------


def register_secret(value: str | None) -> None:
    """Scrub ``value`` from every crash report written by this process."""
    if value and value not in _state.secrets:
        _state.secrets.append(value)


def take_password() -> str | None:
    """The password from DRIFTGUARD_PASSWORD, removed from the environment so no child process (git, ssh) inherits it.

    ``main()`` takes it first thing, before any child process can start; later calls get that value.
    """
    value = os.environ.pop(PASSWORD_ENV, None)
    if value is None:
        return _state.password  # taken by main() already
    register_secret(value)
    return value


def scrub(text: str) -> str:
    """``text`` without the secrets this run knows of and without the userinfo of any URL in it."""
    for secret in sorted(_state.secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return _USERINFO.sub("***@", text)


# -- crash reports ----------------------------------------------------------------------------------------------------


def report_dirs() -> list[Path]:
    """Where crash reports go, best first: $XDG_STATE_HOME/driftguard, ~/.local/state/driftguard, the temp dir."""
    dirs: list[Path] = []
    xdg = os.environ.get("XDG_STATE_HOME", "")
    if xdg and Path(xdg).is_absolute():
        dirs.append(Path(xdg) / "driftguard")
    with contextlib.suppress(RuntimeError):  # no home directory (a bare container user): the temp dir will do
        dirs.append(Path.home() / ".local" / "state" / "driftguard")
    dirs.append(Path(tempfile.gettempdir()))
    return dirs


def write_report(title: str, exc: BaseException, argv: Sequence[str] | None) -> Path | None:
    """Write the scrubbed traceback of ``exc`` to a new private file; its path, or None when nowhere was writable."""
    register_secret(os.environ.get(PASSWORD_ENV))  # still set when main() did not run (an embedding caller)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    name = f"driftguard-crash-{stamp}-{os.getpid()}.txt"
    command = " ".join(["driftguard", *(sys.argv[1:] if argv is None else argv)])
    lines = [
        f"driftguard {__version__}: {title}",
        f"time: {datetime.now(UTC).isoformat()}",
        f"command: {command}",
        f"python: {sys.version.split()[0]} on {sys.platform}",
        "",
        *traceback.format_exception(type(exc), exc, exc.__traceback__),
    ]
    text = scrub("\n".join(line.rstrip("\n") for line in lines) + "\n")
    for directory in report_dirs():
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = directory / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
        except OSError:
            continue
        return path
    return None


def _one_line(exc: BaseException) -> str:
    text = " ".join(scrub(str(exc)).split())
    text = text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def internal_error(exc: BaseException, argv: Sequence[str] | None, where: str = "") -> int:
    """Exit 4: one line naming the report file that holds the traceback."""
    path = write_report(f"internal error{where}", exc, argv)
    saved = f"full report written to {path}" if path else "no report could be written (no writable directory)"
    say(f"internal error{where}: {_one_line(exc)}; {saved}")
    return EXIT_INTERNAL


# -- mapping what escaped to an exit code ----------------------------------------------------------------------------


def interrupted(signum: int) -> int:
    name = "SIGTERM" if signum == signal.SIGTERM else "SIGINT"
    if _signals.COMMITTED:  # the signal came after a commit landed (while the run wrote its cache or its output)
        say(f"interrupted by {name} after committing {_signals.COMMITTED[-1][:10]}, a complete snapshot")
    else:
        say(f"interrupted by {name}; nothing was committed half-way")
    return EXIT_SIGTERM if signum == signal.SIGTERM else EXIT_SIGINT


def aborted() -> int:
    """Click turned a Ctrl-C or an end of input at a prompt into ``Abort``."""
    _state.closing = True
    if _state.signum is not None:
        return interrupted(_state.signum)
    say("error: aborted: no answer at the prompt")
    return EXIT_USAGE


def fatal(exc: BaseException, argv: Sequence[str] | None) -> int:
    """The exit code for anything that escaped a command (except driftguard's own and Click's errors)."""
    _state.closing = True
    if _state.signum is not None and not isinstance(exc, SystemExit):
        # the signal decided the outcome, whatever a library made of it on the way out (pydantic-core, building a
        # validator at import time, wraps the Terminated it was interrupted by in a SchemaError)
        return interrupted(_state.signum)
    if isinstance(exc, KeyboardInterrupt):
        return interrupted(signal.SIGINT)
    if isinstance(exc, Terminated):
        return interrupted(signal.SIGTERM)
    if isinstance(exc, SystemExit):
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    if isinstance(exc, BrokenPipeError):
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    if isinstance(exc, OSError) and exc.errno in OPERATIONAL_ERRNOS:
        where = f": {exc.filename}" if exc.filename else ""
        say(f"error: {exc.strerror or exc}{where}")
        return EXIT_OPERATIONAL
    return internal_error(exc, argv)


def _silence_stdout() -> None:
    # The reader is gone: flushing what is buffered at exit would raise again, so point stdout at /dev/null.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # not a real file descriptor (a test runner's capture): nothing will be flushed to a pipe


# -- installing and removing the handlers -----------------------------------------------------------------------------


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _state.closing or _state.signum is not None:
        return  # already unwinding or done: let the rollback finish, print nothing more
    _state.signum = signum
    if signum == signal.SIGTERM:
        raise Terminated
    raise KeyboardInterrupt


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if exc.__traceback__ is None:
        exc = exc.with_traceback(tb)
    code = fatal(exc, None)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more can be said
            stream.flush()
    os._exit(code)  # the default hook would now print the traceback; the code is all that is left to give


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or isinstance(args.exc_value, SystemExit):
        return
    thread = args.thread.name if args.thread is not None else "?"
    _state.thread_crashed = True
    internal_error(args.exc_value, None, where=f" in thread {thread}")


def _unraisable_hook(unraisable: Any) -> None:
    # "Exception ignored in ..." (a __del__ during shutdown, often after a signal): kept in a report, not shown.
    exc = unraisable.exc_value
    if exc is not None and not isinstance(exc, KeyboardInterrupt | Terminated):
        write_report(f"ignored exception in {unraisable.object!r}", exc, None)


def outcome(code: int) -> int:
    """The run's exit code, unless a thread crashed while it reported success or drift: then 4."""
    return EXIT_INTERNAL if _state.thread_crashed and code in (EXIT_OK, EXIT_DRIFT) else code


def replay_early_signal() -> None:
    """Handle the first signal :mod:`driftguard._signals` recorded before :func:`install` as if it came now (the
    later ones count as second signals: ignored)."""
    if _signals.PENDING:
        first = _signals.PENDING[0]
        _signals.PENDING.clear()
        _on_signal(first, None)


def install() -> None:
    """Signal handlers and last-resort hooks, first thing in ``main()``."""
    _state.signum = None
    _state.closing = False
    _state.thread_crashed = False
    _signals.COMMITTED.clear()
    _state.password = take_password()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            _state.previous[signum] = signal.signal(signum, _on_signal)
    _state.hooks = (sys.excepthook, threading.excepthook, sys.unraisablehook)
    sys.excepthook = _excepthook
    threading.excepthook = _thread_hook
    sys.unraisablehook = _unraisable_hook


def finish(*, process: bool) -> None:
    """The run is over. A process that ends now keeps ignoring signals (its exit code is decided); a caller that
    embedded ``main()`` (tests, a scheduler) gets its own handlers and hooks back."""
    _state.closing = True
    _state.password = None
    if process:
        # SIG_IGN rather than our handler: interpreter shutdown resets Python-level handlers to the default
        # action, which would let a late signal kill a run whose work (and exit code) is already complete.
        if threading.current_thread() is threading.main_thread():
            for signum in _state.previous:
                signal.signal(signum, signal.SIG_IGN)
        return
    for signum, handler in _state.previous.items():
        signal.signal(signum, handler)
    _state.previous.clear()
    if _state.hooks is not None:
        sys.excepthook, threading.excepthook, sys.unraisablehook = _state.hooks
        _state.hooks = None
