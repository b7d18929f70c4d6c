"""Canonical serialisation: the same state always gives the same bytes.

Both the store (file contents) and the diff (hash-first skipping of unchanged objects) use these, so a file's
bytes and an object's content hash always agree.

The bytes are defined by the reference encoder :func:`reference_dumps` (``json.dumps`` with sorted keys, two-space
indentation, no ASCII escaping, no NaN, plus a trailing newline): every state repo written so far holds exactly
those. :func:`canonical_dumps` produces the same bytes with orjson, ~10x faster, and falls back to the reference
encoder for every input where orjson could differ or fail:

- anything but exact ``dict`` (with ``str`` keys only), ``list``, ``str``, ``int``, ``float``, ``bool`` and ``None``
  (subclasses such as enums, tuples, datetimes, UUIDs: orjson would encode some of them where ``json`` raises, or
  encode them differently);
- a float whose orjson form differs from ``repr`` (``1e-05`` is ``0.00001`` in orjson) or that is not finite
  (orjson writes ``null`` for NaN where ``json`` raises);
- integers beyond 64 bits, lone surrogates, nesting deeper than orjson's limit (orjson raises; the reference
  encoder then gives its own result or error).

The fallback is per document, and the test suite compares both encoders on every golden snapshot file and on
generated data (tests/models/test_canonical.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import BaseModel

INDENT = "  "
_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


def reference_dumps(data: Any) -> bytes:
    """The definition of the canonical bytes: JSON with sorted keys, two-space indentation, UTF-8 (no ASCII
    escaping) and a trailing newline; ``ValueError`` for NaN and infinities."""
    text = json.dumps(data, sort_keys=True, indent=len(INDENT), ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def orjson_safe(data: Any) -> bool:
    """Whether orjson encodes ``data`` to exactly :func:`reference_dumps`'s bytes (short of the errors it raises
    itself: big integers, surrogates, deep nesting)."""
    try:
        return _safe(data)
    except RecursionError:
        return False


def _safe(value: Any) -> bool:
    # recursive with the common leaf types tested inline: ~3x faster than an explicit stack
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            leaf = type(item)
            if not (leaf is str or leaf is int or leaf is bool or item is None or _safe(item)):
                return False
        return True
    if kind is list:
        for item in value:
            leaf = type(item)
            if not (leaf is str or leaf is int or leaf is bool or item is None or _safe(item)):
                return False
        return True
    if kind is float:
        return orjson.dumps(value) == repr(value).encode()  # also false for NaN and infinities ("null")
    return kind is str or kind is int or kind is bool or value is None


def canonical_dumps(data: Any) -> bytes:
    """:func:`reference_dumps`'s bytes, through orjson where that is provably identical (see the module docstring)."""
    if orjson_safe(data):
        try:
            return orjson.dumps(data, option=_OPTIONS)
        except orjson.JSONEncodeError:
            pass  # integer beyond 64 bits, lone surrogate, deep nesting: the reference encoder decides
    return reference_dumps(data)


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
