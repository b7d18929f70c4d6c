"""The user's ignore patterns: the ``ignore`` section of the configuration (driftguard.yaml, or the deprecated
``.driftguardignore``) and ``--ignore`` options."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from driftguard.api._common import UsageError
from driftguard.api.config import ignore_rules
from driftguard.models.patterns import IgnorePatternError, check_ignore_pattern

"""Deprecated: extra ignore patterns, one per line, at the state repo's root (use ``ignore`` in driftguard.yaml)."""


def ignore_patterns(repo_path: Path, extra: Sequence[str] = ()) -> list[str]:
    """The user's ignore patterns: the configuration's, then ``--ignore`` options.

    A bad pattern is a usage error naming ``file:line:column`` (or the option)."""
    patterns = ignore_rules(repo_path)
    for pattern in extra:
        try:
            patterns.append(check_ignore_pattern(pattern))
        except IgnorePatternError as exc:
            raise UsageError(f"--ignore: {exc}") from None
    return patterns
