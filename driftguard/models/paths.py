"""The one path grammar: canonical drift paths, baseline paths, unknowns and vSphere property paths.

A path is a field name followed by field names (``.name``) and collection keys (``[key]``)::

    network.portgroups["DMZ"].vlan_id      ha.options["das.isolationaddress0"]      config.hardware.device[3002]

- a field name is an identifier (``[A-Za-z_][A-Za-z0-9_]*``);
- a key is a JSON string (``["CD/DVD drive 1"]``: any text, quotes and backslashes escaped as JSON does), an
  integer (``[3002]``), or, in patterns only, the wildcard ``[*]`` (every key of the collection);
- the empty path ``""`` names the whole object.

Drift items, baselines, unknowns, the attribution table and ``Event.changed_paths`` all use this grammar, so a
path written by one stage is read by the others without translation. ``render(parse(p)) == p`` for every
canonical path, and ``parse(render(s)) == s`` for every segment tuple (a property test checks both).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Key:
    """A bracketed collection key; ``value`` is None for the pattern wildcard ``[*]``."""

    value: int | str | None


Segment = str | Key
"""A field name, or a collection key."""

Path = tuple[Segment, ...]

WILDCARD = Key(None)
"""The ``[*]`` segment of a pattern."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INT = re.compile(r"-?[0-9]+")


class PathError(ValueError):
    """A path that does not parse (or names nothing in the model); ``offset`` is 0-based in the text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


def parse_spans(text: str) -> list[tuple[Segment, int]]:
    """Each segment of ``text`` with its offset (a name's first letter, a key's ``[``); :class:`PathError` names
    the offending offset."""
    segments: list[tuple[Segment, int]] = []
    i = 0
    while i < len(text):
        if text[i] == "[":
            key, end = _read_key(text, i + 1)
            segments.append((key, i))
            i = end
            continue
        if segments:
            if text[i] != ".":
                raise PathError(f"expected '.' or '[' at {text[i]!r}", i)
            i += 1
        m = _NAME.match(text, i)
        if not m:
            raise PathError("expected a field name", i)
        segments.append((m.group(0), i))
        i = m.end()
    return segments


def _read_key(text: str, i: int) -> tuple[Key, int]:
    """The key starting at ``text[i]`` (just after ``[``) and the offset after its ``]``."""
    if text.startswith('"', i):
        try:
            value, end = json.JSONDecoder().raw_decode(text, i)
        except json.JSONDecodeError as exc:
            raise PathError(f"bad key string: {exc.msg}", i) from None
        key = Key(str(value))
    elif text.startswith("*", i):
        key, end = WILDCARD, i + 1
    elif m := _INT.match(text, i):
        key, end = Key(int(m.group(0))), m.end()
    else:
        raise PathError('expected ["key"], [number] or [*] after "["', i - 1)
    if not text.startswith("]", end):
        raise PathError('expected "]" after the key', end)
    return key, end + 1


@lru_cache(maxsize=4096)
def parse(text: str) -> Path:
    """The segments of a path (``()`` for ``""``); :class:`PathError` on a malformed path."""
    return tuple(segment for segment, _ in parse_spans(text))


def render_key(value: int | str) -> str:
    """A key as it appears inside ``[...]``: integers bare, any text as a JSON string (non-ASCII kept)."""
    return str(value) if isinstance(value, int) else json.dumps(value, ensure_ascii=False)


def render(segments: Iterable[Segment]) -> str:
    """The text of a path; the inverse of :func:`parse`."""
    out: list[str] = []
    for segment in segments:
        if isinstance(segment, Key):
            out.append("[*]" if segment.value is None else f"[{render_key(segment.value)}]")
        else:
            out.append(f".{segment}" if out else segment)
    return "".join(out)


def is_under(path: str, ancestor: str) -> bool:
    """Whether ``path`` is ``ancestor`` or lies beneath it; ``""`` (the whole object) is above every path.

    Compared at segment boundaries: ``device[30]`` is not above ``device[3002]``. For canonical paths the text
    test is exact (a JSON key string cannot end before its closing quote), and much cheaper than parsing.
    """
    if not ancestor or path == ancestor:
        return True
    return path.startswith(ancestor) and path[len(ancestor)] in ".["


def under_any(path: str, ancestors: Iterable[str]) -> bool:
    """Whether ``path`` is, or is under, one of ``ancestors`` (e.g. an object's unknown paths)."""
    return any(is_under(path, ancestor) for ancestor in ancestors)


def overlaps(a: str, b: str) -> bool:
    """Whether one path contains the other (``config.cpuAllocation`` and ``config.cpuAllocation.limit``)."""
    return is_under(a, b) or is_under(b, a)


def _segment_matches(want: Segment, got: Segment) -> bool:
    if isinstance(want, Key):
        return isinstance(got, Key) and (want.value is None or want.value == got.value)
    return want == got


def matches(pattern: Path, path: Path) -> bool:
    """Whether ``path`` is one of the paths ``pattern`` names (``[*]`` matches any key, same length)."""
    return len(pattern) == len(path) and all(map(_segment_matches, pattern, path))


def prefix_matches(pattern: Path, path: Path) -> bool:
    """Whether ``path`` is, or is under, one of the paths ``pattern`` names."""
    return len(pattern) <= len(path) and all(map(_segment_matches, pattern, path[: len(pattern)]))


def captured_keys(pattern: Path, path: Path) -> list[int | str]:
    """The keys of ``path`` that the wildcards of ``pattern`` matched, in order."""
    return [
        got.value
        for want, got in zip(pattern, path, strict=False)
        if want == WILDCARD and isinstance(got, Key) and got.value is not None
    ]
