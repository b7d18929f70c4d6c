"""The volatile-field ignore table: drift that is not worth reporting.

A pattern is ``<kind>:<path>``, both globs (``*`` matches anything; see :mod:`driftguard.diff.patterns`),
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

from driftguard.diff.patterns import glob_match
from driftguard.models import KINDS

DEFAULT_IGNORES: tuple[str, ...] = (
    # HA election state (master / connectedToMaster / election ...): it moves whenever FDM re-elects a master,
    # e.g. after a reboot or maintenance mode of another host, with no configuration change and no event that
    # could attribute it. Its health values (networkIsolated, initializationError) are judged by policy on the
    # current snapshot, not as history drift.
    "host:ha_state",
)


class IgnorePatternError(ValueError):
    """An ignore pattern that cannot match anything; the message names the line for file input."""


def check_pattern(pattern: str) -> str:
    """``pattern`` stripped, or :class:`IgnorePatternError` when its kind part matches no kind."""
    text = pattern.strip()
    body = text[1:] if text.startswith("!") else text
    kind, sep, _path = body.partition(":")
    if not sep:
        raise IgnorePatternError(f"ignore pattern {text!r} needs the form <kind>:<path>, e.g. host:ha_state")
    if not any(glob_match(kind, candidate) for candidate in KINDS):
        raise IgnorePatternError(f"ignore pattern {text!r}: unknown kind {kind!r} (one of {', '.join(KINDS)} or *)")
    return text


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
            patterns.append(check_pattern(stripped))
        except IgnorePatternError as exc:
            raise IgnorePatternError(f"line {number}: {exc}") from None
    return patterns


class IgnoreTable:
    """Compiled ignore patterns: :data:`DEFAULT_IGNORES` first, then the user's, last match wins."""

    def __init__(self, extra: Iterable[str] = (), *, defaults: Sequence[str] = DEFAULT_IGNORES) -> None:
        self.patterns: tuple[str, ...] = tuple(check_pattern(p) for p in (*defaults, *extra))
        self._rules: list[tuple[bool, str, str]] = []
        for pattern in self.patterns:
            kind, _, path = pattern.removeprefix("!").partition(":")
            self._rules.append((pattern.startswith("!"), kind, path))

    def ignored(self, kind: str, path: str) -> bool:
        """Whether the item ``<kind>:<path>`` is ignored (kind and path globs are matched separately)."""
        verdict = False
        for negated, kind_glob, path_glob in self._rules:
            if glob_match(kind_glob, kind) and glob_match(path_glob, path):
                verdict = not negated
        return verdict
