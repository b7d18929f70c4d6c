"""``python -m driftguard`` and the ``driftguard`` console script.

Signals are caught from the first line (:mod:`driftguard._signals`): one that arrives while the command line is
still importing is replayed by :func:`driftguard.cli.main` once its real handlers are installed.
"""

from driftguard._signals import install_early


def run() -> int:
    """The console-script entry point: early signal recording, then :func:`driftguard.cli.main`."""
    install_early()
    from driftguard.cli import main  # after the handlers, on purpose

    return main()


if __name__ == "__main__":
    raise SystemExit(run())
