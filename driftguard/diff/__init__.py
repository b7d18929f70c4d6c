"""Snapshot → snapshot drift: matching by identity, hash-first skipping, readable paths, categories, ignores.

DeepDiff is imported only in this package (an import-linter contract).
"""

from driftguard.diff.categories import CATEGORY_RULES, FALLBACK, CategoryRule, categorize
from driftguard.diff.engine import diff_snapshots, render_path, same_content
from driftguard.diff.ignore import (
    DEFAULT_IGNORES,
    IgnoreTable,
    check_pattern,
    load_ignore_file,
)
from driftguard.models.patterns import IgnorePatternError, glob_match  # re-exports for callers of the old location

__all__ = [
    "CATEGORY_RULES",
    "DEFAULT_IGNORES",
    "FALLBACK",
    "CategoryRule",
    "IgnorePatternError",
    "IgnoreTable",
    "categorize",
    "check_pattern",
    "diff_snapshots",
    "glob_match",
    "load_ignore_file",
    "render_path",
    "same_content",
]
