"""Signals that arrive before the command line has started: recorded, then handled by :mod:`driftguard.cli.crash`.

``python -m driftguard`` and the console script install :func:`record` first thing, before importing anything
heavy; :func:`driftguard.cli.main` replays the first recorded signal once its real handlers are in place, so a
Ctrl-C or SIGTERM during start-up ends the run exactly like one a moment later (130/143, one line, no traceback).
Recording is all a handler does here, so a second signal in the same instant cannot print a second line.

:func:`recording` keeps the same handlers while the command line's modules are imported: a signal raised as an
exception inside an import leaves C extensions half-initialised (seen in CI: ``_decimal`` imported a second time on
the way out printed libmpdec's "mpd_setminalloc" warning next to the one line), so during imports it is only noted.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

PENDING: list[int] = []
"""The signals received before the real handlers, in order."""

COMMITTED: list[str] = []
"""Commits this run published (the state repo's HEAD moved to them), so that an interrupt after one says so
instead of claiming nothing was committed."""


def record(signum: int, _frame: FrameType | None) -> None:
    PENDING.append(signum)


def install_early() -> None:
    signal.signal(signal.SIGINT, record)
    signal.signal(signal.SIGTERM, record)


@contextmanager
def recording() -> Iterator[None]:
    """Signals are only recorded inside the block (main thread only; elsewhere Python delivers none), then the
    previous handlers are back. The caller replays :data:`PENDING` once its real handlers are installed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, record) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
