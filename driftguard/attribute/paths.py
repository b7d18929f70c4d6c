"""Reading canonical drift paths and comparing vSphere property paths.

A canonical path is what the diff prints: attribute names joined by ``.``, collection keys in brackets, string
keys JSON-quoted (``devices["CD/DVD drive 1"].backing.file_name``, ``ha.options["das.isolationaddress0"]``).
vSphere property paths use the same key rendering (see ``driftguard.normalize.events``), so they are compared as
strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """A bracketed collection key in a path; ``value`` is None for the pattern wildcard ``[*]``."""

    value: int | str | None


Segment = str | Key
"""An attribute name, or a collection key."""


def parse_path(path: str) -> tuple[Segment, ...]:
    """Split a canonical path into segments; raises ``ValueError`` on a malformed path.

    Keys may be JSON strings, single-quoted strings, integers, ``*`` (patterns only) or bare text.
    """
    segments: list[Segment] = []
    i = 0
    while i < len(path):
        char = path[i]
        if char == ".":
            i += 1
            continue
        if char == "[":
            i = _read_key(path, i + 1, segments)
            continue
        end = i
        while end < len(path) and path[end] not in ".[":
            end += 1
        segments.append(path[i:end])
        i = end
    return tuple(segments)


def _read_key(path: str, i: int, segments: list[Segment]) -> int:
    if path.startswith('"', i):
        decoder = json.JSONDecoder()
        value, end = decoder.raw_decode(path, i)
        if not path.startswith("]", end):
            raise ValueError(f"unclosed key in {path!r}")
        segments.append(Key(str(value)))
        return end + 1
    if path.startswith("'", i):
        end = path.find("']", i + 1)
        if end < 0:
            raise ValueError(f"unclosed key in {path!r}")
        segments.append(Key(path[i + 1 : end]))
        return end + 2
    end = path.find("]", i)
    if end < 0:
        raise ValueError(f"unclosed key in {path!r}")
    bare = path[i:end]
    if bare == "*":
        segments.append(Key(None))
    elif bare.lstrip("-").isdigit():
        segments.append(Key(int(bare)))
    else:
        segments.append(Key(bare))
    return end + 1


def render_key(value: int | str) -> str:
    """A key as it appears inside ``[...]``: integers bare, anything else as a JSON string."""
    return str(value) if isinstance(value, int) else json.dumps(value, ensure_ascii=False)


def render_path(segments: tuple[Segment, ...]) -> str:
    out: list[str] = []
    for segment in segments:
        if isinstance(segment, Key):
            out.append("[*]" if segment.value is None else f"[{render_key(segment.value)}]")
        else:
            out.append(f".{segment}" if out else segment)
    return "".join(out)


def overlaps(a: str, b: str) -> bool:
    """True when one property path contains the other (``config.cpuAllocation`` and ``config.cpuAllocation.limit``).

    Containment is checked at segment boundaries, so ``config.hardware.device[30]`` does not contain
    ``config.hardware.device[3002]``.
    """
    if a == b:
        return True
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return long.startswith(short) and long[len(short)] in ".["


def type_matches(name: str, patterns: frozenset[str]) -> bool:
    """Whether an event type / task id is in ``patterns``; a pattern ending in ``*`` matches by prefix."""
    if name in patterns:
        return True
    return any(p.endswith("*") and name.startswith(p[:-1]) for p in patterns)
