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
from typing import Any

import orjson
from pydantic import BaseModel

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


def reference_dumps(data: Any) -> bytes:
    """The definition of the canonical bytes: JSON with sorted keys, two-space indentation, UTF-8 (no ASCII
    escaping) and a trailing newline; ``ValueError`` for NaN and infinities."""
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
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
