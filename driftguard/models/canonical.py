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

:func:`canonical_bytes` of a model skips the walk when the model's *type* proves its JSON-mode dump can hold
nothing but str-keyed dicts, lists, str, int, bool and None (no float, no ``Any``, no custom serializer: a VM):
~0.3 ms a VM, 1.6 s of a 5,500-VM snapshot (issue 12). orjson's own errors still fall back.
"""

from __future__ import annotations

import enum
import hashlib
import json
import types
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

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
    data = model.model_dump(mode="json")
    if plain_model(type(model)):
        try:
            return orjson.dumps(data, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return reference_dumps(data)
    return canonical_dumps(data)


_PLAIN: dict[type[BaseModel], bool] = {}
_LEAVES = (str, int, bool, type(None), datetime, date)  # times dump as text in JSON mode


def plain_model(cls: type[BaseModel]) -> bool:
    """Whether every JSON-mode dump of ``cls`` is exact str-keyed dicts, lists, str, int, bool and None (nothing
    orjson could write differently from the reference encoder). Decided from the field types, once per class."""
    known = _PLAIN.get(cls)
    if known is None:
        _PLAIN[cls] = False  # a model that contains itself is judged by its other fields
        decorators = cls.__pydantic_decorators__
        custom = decorators.model_serializers or decorators.field_serializers or decorators.computed_fields
        known = not custom and all(_plain_type(field.annotation) for field in cls.model_fields.values())
        _PLAIN[cls] = known
    return known


def _plain_type(declared: Any) -> bool:
    origin = get_origin(declared)
    args = get_args(declared)
    if origin is None:
        if declared in _LEAVES:
            return True
        if isinstance(declared, type) and issubclass(declared, BaseModel):
            return plain_model(declared)
        if isinstance(declared, type) and issubclass(declared, enum.Enum):
            return all(type(member.value) in (str, int) for member in declared)
        return False
    if origin is Annotated:
        # validators never change the dump's type; a serializer might (times declare str: still text)
        return _plain_type(args[0]) and all(_serializes_plain(meta) for meta in args[1:])
    if origin is Literal:
        return all(type(value) in (str, int, bool) or value is None for value in args)
    if origin in (Union, types.UnionType):
        return all(_plain_type(arg) for arg in args)
    if origin in (list, tuple, set, frozenset):
        return all(_plain_type(arg) for arg in args if arg is not Ellipsis)
    if origin is dict:
        return len(args) == 2 and args[0] is str and _plain_type(args[1])
    return False


def _serializes_plain(meta: Any) -> bool:
    serializer = type(meta).__name__
    if serializer in ("PlainSerializer", "WrapSerializer"):
        return getattr(meta, "return_type", None) is str
    return True


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
