"""The two glob dialects, and ignore patterns (``<kind>:<path glob>``). See ``docs/patterns.md``.

- **Identifier globs** (:func:`glob_match`) for canonical paths, kinds, event types / task ids and rule ids:
  ``*`` matches any run of characters, dots and brackets included; every other character is literal. fnmatch is
  not used because its ``[...]`` character classes would swallow the ``["key"]`` path syntax.
- **Name globs** (:func:`name_match`) for names people give objects (VMs, hosts, portgroups, datastores,
  clusters, datacenters, vCenters): fnmatch's ``*``, ``?`` and ``[abc]``, case-sensitive, matched whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
from functools import lru_cache

from driftguard.models.snapshot import KINDS


@lru_cache(maxsize=1024)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """The compiled regular expression of an identifier glob (anchored at both ends)."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def glob_match(pattern: str, text: str) -> bool:
    """Whether the identifier glob ``pattern`` matches all of ``text``."""
    if "*" not in pattern:
        return pattern == text
    return glob_regex(pattern).fullmatch(text) is not None


def glob_any(patterns: Iterable[str], text: str) -> bool:
    return any(glob_match(pattern, text) for pattern in patterns)


def specificity(pattern: str) -> int:
    """How specific an identifier glob is: the number of literal characters (a longer literal wins)."""
    return len(pattern) - pattern.count("*")


def name_match(pattern: str, name: str) -> bool:
    """Whether the name glob ``pattern`` (``*``, ``?``, ``[abc]``, case-sensitive) matches all of ``name``."""
    return fnmatchcase(name, pattern)


def name_any(patterns: Iterable[str], name: str) -> bool:
    return any(name_match(pattern, name) for pattern in patterns)


# -- ignore patterns ------------------------------------------------------------------------------------------


class IgnorePatternError(ValueError):
    """An ignore pattern that cannot match anything; the message names the line for file input."""


def ignore_pattern_problem(pattern: str) -> str | None:
    """Why an ignore pattern cannot work, or None. The same check for ``.driftguardignore``, ``--ignore`` and a
    baseline's ``ignore:``."""
    text = pattern.strip()
    kind, sep, _path = text.removeprefix("!").partition(":")
    if not sep:
        return f"ignore pattern {text!r} needs the form <kind>:<path glob>, e.g. host:ha_state"
    if not any(glob_match(kind, candidate) for candidate in KINDS):
        return f"ignore pattern {text!r}: unknown kind {kind!r} (one of {', '.join(KINDS)} or *)"
    return None


def check_ignore_pattern(pattern: str) -> str:
    """``pattern`` stripped, or :class:`IgnorePatternError` when it cannot match anything."""
    problem = ignore_pattern_problem(pattern)
    if problem is not None:
        raise IgnorePatternError(problem)
    return pattern.strip()


def ignored(patterns: Iterable[str], kind: str, path: str) -> bool:
    """Whether ``<kind>:<path>`` is hidden by ``patterns``: kind and path globs matched separately, the last
    matching pattern decides, and one starting with ``!`` re-includes (as in ``.gitignore``)."""
    verdict = False
    for pattern in patterns:
        body = pattern.strip()
        kind_glob, _, path_glob = body.removeprefix("!").partition(":")
        if glob_match(kind_glob, kind) and glob_match(path_glob, path):
            verdict = not body.startswith("!")
    return verdict
