"""Snapshot → snapshot drift: matching by identity, hash-first skipping, readable paths, categories, ignores.

DeepDiff is imported only in this package (an import-linter contract).
"""

from driftguard.diff.categories import CATEGORY_RULES, FALLBACK, CategoryRule, categorize
from driftguard.diff.engine import diff_snapshots, only_objects, render_path, same_content
from driftguard.diff.ignore import (
    DEFAULT_IGNORES,
    IgnoreTable,
    load_ignore_file,
)

__all__ = [
    "CATEGORY_RULES",
    "DEFAULT_IGNORES",
    "FALLBACK",
    "CategoryRule",
    "IgnoreTable",
    "categorize",
    "diff_snapshots",
    "load_ignore_file",
    "only_objects",
    "render_path",
    "same_content",
]
