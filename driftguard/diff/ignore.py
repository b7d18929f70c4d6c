"""The volatile-field ignore table: drift that is not worth reporting.

A pattern is ``<kind>:<path>``, both globs (``*`` matches anything; see ``docs/patterns.md``),
matched against each drift item's kind and readable path: ``host:ha_state``, ``vm:devices["CD/DVD*"].connected``,
``*:snapshots*``. An item of a whole added/removed object has the empty path, so ``vm:`` (or ``vm:*``) ignores
every VM change. A pattern starting with ``!`` re-includes what an earlier pattern ignored; the last matching
pattern decides (as in ``.gitignore``), so users can both extend and override :data:`DEFAULT_IGNORES`.

The defaults are short on purpose: runtime counters and statuses (quickStats, uptime, overallStatus, boot time,
free ports ...) never enter the canonical model, so only values that are in the model for the policy checks
of the current snapshot, yet change without anyone changing configuration, belong here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from driftguard.models.patterns import IgnorePatternError, check_ignore_pattern, ignored

DEFAULT_IGNORES: tuple[str, ...] = (
    # HA election state (master / connectedToMaster / election ...): it moves whenever FDM re-elects a master,
    # e.g. after a reboot or maintenance mode of another host, with no configuration change and no event that
    # could attribute it. Its health values (networkIsolated, initializationError) are judged by policy on the
    # current snapshot, not as history drift.
    "host:ha_state",
)


def load_ignore_file(text: str) -> list[str]:
    """Patterns of an ignore file: one per line; blank lines and lines starting with ``#`` are skipped.

    A ``#`` later in a line is part of the pattern (device labels such as ``Network adapter #1`` contain one).
    """
    patterns: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            patterns.append(check_ignore_pattern(stripped))
        except IgnorePatternError as exc:
            raise IgnorePatternError(f"line {number}: {exc}") from None
    return patterns


class IgnoreTable:
    """Compiled ignore patterns: :data:`DEFAULT_IGNORES` first, then the user's, last match wins."""

    def __init__(self, extra: Iterable[str] = (), *, defaults: Sequence[str] = DEFAULT_IGNORES) -> None:
        self.patterns: tuple[str, ...] = tuple(check_ignore_pattern(p) for p in (*defaults, *extra))

    def ignored(self, kind: str, path: str) -> bool:
        """Whether the item ``<kind>:<path>`` is ignored (kind and path globs are matched separately)."""
        return ignored(self.patterns, kind, path)
