"""Globs over readable drift paths (``network.portgroups["DMZ"].vlan_id``).

``*`` matches any run of characters, dots and brackets included; every other character is literal. fnmatch is
not used because its ``[...]`` character classes would swallow our ``["key"]`` syntax.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1024)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """The compiled regular expression of ``pattern`` (anchored at both ends)."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def glob_match(pattern: str, text: str) -> bool:
    return glob_regex(pattern).fullmatch(text) is not None


def specificity(pattern: str) -> int:
    """How specific a pattern is: the number of literal characters (a longer literal prefix wins)."""
    return len(pattern) - pattern.count("*")
