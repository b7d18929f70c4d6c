"""Signals that arrive before the command line has started: recorded, then handled by :mod:`driftguard.cli.crash`.

``python -m driftguard`` and the console script install :func:`record` first thing, before importing anything
heavy; :func:`driftguard.cli.main` replays the first recorded signal once its real handlers are in place, so a
Ctrl-C or SIGTERM during start-up ends the run exactly like one a moment later (130/143, one line, no traceback).
Recording is all a handler does here, so a second signal in the same instant cannot print a second line.
"""

import signal
from types import FrameType

PENDING: list[int] = []
"""The signals received before the real handlers, in order."""


def record(signum: int, _frame: FrameType | None) -> None:
    PENDING.append(signum)


def install_early() -> None:
    signal.signal(signal.SIGINT, record)
    signal.signal(signal.SIGTERM, record)
