"""The documented exit codes (README.md "Exit codes", docs/reliability.md); standard library only."""

from __future__ import annotations

EXIT_OK = 0
EXIT_DRIFT = 1
"""Drift or findings present, and the user asked for that to fail (``--exit-code``, ``--fail-on``)."""
EXIT_USAGE = 2
EXIT_OPERATIONAL = 3
EXIT_INTERNAL = 4
EXIT_PARTIAL = 5
"""A fleet run (``snapshot --all``) where some vCenters failed and the others were snapshotted."""
"""A bug: one line on the terminal, the traceback in a report file whose path that line names."""
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: whoever read the output went away (``driftguard log | head -1``), as for other Unix tools."""
EXIT_SIGINT = 130
EXIT_SIGTERM = 143
