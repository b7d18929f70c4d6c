"""Ignore files: the user's ignore patterns from ``.driftguardignore`` and ``--ignore`` options."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from driftguard.api._common import UsageError
from driftguard.diff import IgnorePatternError, check_pattern, load_ignore_file

IGNORE_FILE = ".driftguardignore"
"""Extra ignore patterns, one per line, at the state repo's root (beside ``.git``)."""


def ignore_patterns(repo_path: Path, extra: Sequence[str] = ()) -> list[str]:
    """The user's ignore patterns: ``.driftguardignore`` in the state repo, then ``--ignore`` options.

    A bad pattern is a usage error naming ``file:line`` (or the option)."""
    patterns: list[str] = []
    path = repo_path / IGNORE_FILE
    if path.is_file():
        try:
            patterns += load_ignore_file(path.read_text(encoding="utf-8"))
        except IgnorePatternError as exc:
            line, _, message = str(exc).partition(": ")
            raise UsageError(f"{path}:{line.removeprefix('line ')}: {message}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: cannot read ({exc})") from None
    for pattern in extra:
        try:
            patterns.append(check_pattern(pattern))
        except IgnorePatternError as exc:
            raise UsageError(f"--ignore: {exc}") from None
    return patterns
