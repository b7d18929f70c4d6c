"""Canonical serialisation: the same state always gives the same bytes.

Both the store (file contents) and the diff (hash-first skipping of unchanged objects) use these, so a file's
bytes and an object's content hash always agree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

INDENT = "  "


def canonical_dumps(data: Any) -> bytes:
    """JSON with sorted keys, two-space indentation, UTF-8 (no ASCII escaping) and a trailing newline."""
    text = json.dumps(data, sort_keys=True, indent=len(INDENT), ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def canonical_bytes(model: BaseModel) -> bytes:
    """The canonical file bytes of a model (JSON mode, field names, not aliases)."""
    return canonical_dumps(model.model_dump(mode="json"))


def content_hash(model: BaseModel) -> str:
    """sha256 hex digest of :func:`canonical_bytes`."""
    return hashlib.sha256(canonical_bytes(model)).hexdigest()


def locate(data: bytes, segments: Sequence[str | int]) -> tuple[int, int, int]:
    """Where the value at ``segments`` (field names and keys) starts in the canonical JSON ``data``: its line, and
    the first and past-the-last column of that line (1-based, in code points). A segment the file does not have
    stops the walk at its nearest ancestor; the empty path is the first line.

    Read from the bytes themselves: canonical JSON has one key or array element per line, indented by depth, and no
    raw newline inside a string, so a key at depth ``d`` is the line starting with ``d`` indents and its JSON text.
    """
    lines = data.decode("utf-8").split("\n")
    index = 0
    for depth, segment in enumerate(segments, start=1):
        found = _child(lines, index, depth, segment)
        if found is None:
            break
        index = found
    line = lines[index]
    return index + 1, len(line) - len(line.lstrip(" ")) + 1, len(line) + 1


def _child(lines: Sequence[str], start: int, depth: int, segment: str | int) -> int | None:
    """The line of ``segment`` inside the container opened on ``lines[start]``, None when it has none."""
    opener = lines[start].rstrip()
    indent, closing = INDENT * depth, INDENT * (depth - 1)
    if opener.endswith("{"):
        key = indent + json.dumps(str(segment), ensure_ascii=False) + ": "
        for i in range(start + 1, len(lines)):
            if lines[i].startswith(key):
                return i
            if lines[i].startswith(closing + "}"):
                return None
    elif opener.endswith("[") and isinstance(segment, int) and segment >= 0:
        count = -1
        for i in range(start + 1, len(lines)):
            if lines[i].startswith(closing + "]"):
                return None
            # an element starts at exactly ``indent``; the closing bracket of an element that is a container too
            if lines[i].startswith(indent) and lines[i][len(indent) : len(indent) + 1] not in (" ", "}", "]"):
                count += 1
                if count == segment:
                    return i
    return None
