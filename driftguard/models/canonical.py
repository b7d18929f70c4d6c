"""Canonical serialisation: the same state always gives the same bytes.

Both the store (file contents) and the diff (hash-first skipping of unchanged objects) use these, so a file's
bytes and an object's content hash always agree.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel


def canonical_dumps(data: Any) -> bytes:
    """JSON with sorted keys, two-space indentation, UTF-8 (no ASCII escaping) and a trailing newline."""
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def canonical_bytes(model: BaseModel) -> bytes:
    """The canonical file bytes of a model (JSON mode, field names, not aliases)."""
    return canonical_dumps(model.model_dump(mode="json"))


def content_hash(model: BaseModel) -> str:
    """sha256 hex digest of :func:`canonical_bytes`."""
    return hashlib.sha256(canonical_bytes(model)).hexdigest()
