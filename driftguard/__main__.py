"""``python -m driftguard`` and the ``driftguard`` console script.

Signals are handled from the first line: until :func:`driftguard.cli.main` has installed the real handlers
(:mod:`driftguard.cli.crash`, which imports half the standard library), a SIGINT or SIGTERM exits 130 or 143 with
the same one line and no traceback. Nothing has started yet, so there is nothing to roll back.
"""

import os
import signal


def _before_start(signum: int, _frame: object) -> None:
    name = "SIGINT" if signum == signal.SIGINT else "SIGTERM"
    os.write(2, f"driftguard: interrupted by {name}; nothing was committed half-way\n".encode())
    os._exit(130 if signum == signal.SIGINT else 143)


def run() -> int:
    """The console-script entry point: early signal handlers, then :func:`driftguard.cli.main`."""
    signal.signal(signal.SIGINT, _before_start)
    signal.signal(signal.SIGTERM, _before_start)
    from driftguard.cli import main  # after the handlers, on purpose

    return main()


if __name__ == "__main__":
    raise SystemExit(run())
