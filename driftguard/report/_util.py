"""Small helpers shared by the formatters."""

from __future__ import annotations

import json
from typing import Any

from driftguard.report.escape import md

MAX_VALUE_CHARS = 80


def short(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """A compact one-line rendering of a drift value for tables (JSON, so strings are quoted)."""
    if value is None:
        return "-"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md_escape(text: str) -> str:
    """User text as inline Markdown (see :func:`driftguard.report.escape.md`)."""
    return md(text)
