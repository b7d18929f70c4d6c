"""Canonical-model paths in baselines: ``ha.options["das.isolationaddress0"]``, ``network.portgroups[*].vlan_id``.

The syntax is the one drift items use (:func:`driftguard.diff.render_path`): attributes dotted, dict keys as JSON
strings in brackets, plus ``[*]`` for every key of a keyed collection. A path is checked against the model classes
(:func:`resolve`), so a typo fails when the baseline loads, not silently at evaluation; dict-keyed collections
(portgroups, options, devices ...) accept any key.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Union

from pydantic import BaseModel

from driftguard.models import KINDS, VM, Cluster, Datastore, DvSwitch, Host, Kind

KIND_MODELS: dict[Kind, type[BaseModel]] = {
    "cluster": Cluster,
    "host": Host,
    "vm": VM,
    "dvswitch": DvSwitch,
    "datastore": Datastore,
}
assert set(KIND_MODELS) == set(KINDS)

WILDCARD = "*"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NOT_EXPECTABLE = ("id", "kind", "unknowns", "schema_version")
"""Fields that identify an object or describe the file, not configuration an expectation could ask for."""


class PathError(ValueError):
    """A path that does not parse, or names nothing in the canonical model; ``offset`` is 0-based in the text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Segment:
    value: str
    keyed: bool
    """True for a ``["key"]`` (or ``[*]``) segment, False for an attribute."""
    offset: int


def parse(text: str) -> list[Segment]:
    """Split a readable path into segments; :class:`PathError` names the offending offset."""
    segments: list[Segment] = []
    i = 0
    if not text:
        raise PathError("empty path")
    while i < len(text):
        if text[i] == "[":
            if text.startswith("[*]", i):
                segments.append(Segment(WILDCARD, True, i))
                i += 3
                continue
            if i + 1 >= len(text) or text[i + 1] != '"':
                raise PathError('expected ["key"] or [*] after "["', i)
            try:
                key, end = json.JSONDecoder().raw_decode(text, i + 1)
            except json.JSONDecodeError as exc:
                raise PathError(f"bad key string: {exc.msg}", i + 1) from None
            if end >= len(text) or text[end] != "]":
                raise PathError('expected "]" after the key', end)
            segments.append(Segment(str(key), True, i))
            i = end + 1
        else:
            if segments:
                if text[i] != ".":
                    raise PathError(f"expected '.' or '[' at {text[i]!r}", i)
                i += 1
            m = _NAME.match(text, i)
            if not m:
                raise PathError("expected a field name", i)
            segments.append(Segment(m.group(0), False, i))
            i = m.end()
    return segments


def render(segments: list[Segment] | list[tuple[str, bool]]) -> str:
    text = ""
    for seg in segments:
        value, keyed = (seg.value, seg.keyed) if isinstance(seg, Segment) else seg
        if keyed:
            text += "[*]" if value == WILDCARD else f"[{json.dumps(value, ensure_ascii=False)}]"
        else:
            text += f".{value}" if text else value
    return text


def _strip_optional(tp: Any) -> Any:
    """``X | None`` → ``X`` (other unions stay, e.g. the option value ``bool | int | float | str``)."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
        return Union[tuple(args)]  # noqa: UP007 -- rebuilding a union from a runtime tuple of members
    return tp


def resolve(kind: Kind, text: str) -> Any:
    """The annotation of the value the path names on objects of ``kind``; :class:`PathError` when it names
    nothing. Dict-keyed collections accept any key; lists are leaves (compared whole)."""
    tp: Any = KIND_MODELS[kind]
    segments = parse(text)
    for index, seg in enumerate(segments):
        bare = _strip_optional(tp)
        if not seg.keyed:
            if not (isinstance(bare, type) and issubclass(bare, BaseModel)):
                raise PathError(
                    f"{render(segments[:index]) or kind} has no fields (it is a {_describe(bare)})", seg.offset
                )
            fields = bare.model_fields
            if seg.value not in fields or (index == 0 and seg.value in NOT_EXPECTABLE):
                known = ", ".join(f for f in fields if not (index == 0 and f in NOT_EXPECTABLE))
                where = render(segments[:index]) or kind
                raise PathError(f"unknown field {seg.value!r} of {where} (fields: {known})", seg.offset)
            tp = fields[seg.value].annotation
        else:
            if typing.get_origin(bare) is not dict:
                where = render(segments[:index]) or kind
                raise PathError(f"{where} is not a keyed collection (it is a {_describe(bare)})", seg.offset)
            tp = typing.get_args(bare)[1]
    return tp


def _describe(tp: Any) -> str:
    if isinstance(tp, type):
        return tp.__name__
    origin = typing.get_origin(tp)
    return getattr(origin, "__name__", None) or str(tp)


def leaf_types(tp: Any) -> set[type]:
    """The plain Python types a value of annotation ``tp`` may have (for min/max and matches checks)."""
    tp = _strip_optional(tp)
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        out: set[type] = set()
        for arg in typing.get_args(tp):
            out |= leaf_types(arg)
        return out
    if origin is typing.Literal:
        return {type(a) for a in typing.get_args(tp)}
    if origin is not None:
        return {origin}
    return {tp} if isinstance(tp, type) else set()


MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()
"""A value that is not there: a key absent from a collection, or a parent that is None."""


def expand(data: Any, segments: list[Segment]) -> Iterator[tuple[list[tuple[str, bool]], Any]]:
    """(concrete segments, value) for every match of ``segments`` in the JSON form of an object; a wildcard over
    an empty collection yields nothing, a missing key yields :data:`MISSING`."""

    def walk(node: Any, index: int, done: list[tuple[str, bool]]) -> Iterator[tuple[list[tuple[str, bool]], Any]]:
        if index == len(segments):
            yield done, node
            return
        seg = segments[index]
        if seg.value == WILDCARD and seg.keyed:
            if isinstance(node, dict):
                for key in sorted(node):
                    yield from walk(node[key], index + 1, [*done, (key, True)])
            return
        child = node.get(seg.value, MISSING) if isinstance(node, dict) else MISSING
        if child is MISSING or child is None:
            rest = [(s.value, s.keyed) for s in segments[index:]]
            if any(s.value == WILDCARD and s.keyed for s in segments[index:]):
                return  # nothing under a missing collection to expand
            yield [*done, *rest], MISSING if child is MISSING or index + 1 < len(segments) else None
            return
        yield from walk(child, index + 1, [*done, (seg.value, seg.keyed)])

    yield from walk(data, 0, [])


def under(path: str, unknowns: typing.Iterable[str]) -> bool:
    """Whether ``path`` is, or is under, one of the unknown paths of an object."""
    return any(u == "" or path == u or path.startswith((u + ".", u + "[")) for u in unknowns)


def leaves(data: Any, model: type[BaseModel]) -> Iterator[tuple[str, Any]]:
    """(readable path, value) of every scalar or list value of an object's JSON form (``pin``)."""

    def walk(node: Any, tp: Any, done: list[tuple[str, bool]]) -> Iterator[tuple[str, Any]]:
        bare = _strip_optional(tp)
        if isinstance(node, dict) and isinstance(bare, type) and issubclass(bare, BaseModel):
            for name, field in bare.model_fields.items():
                if not done and name in (*NOT_EXPECTABLE, "name"):
                    continue
                if name in node:
                    yield from walk(node[name], field.annotation, [*done, (name, False)])
        elif isinstance(node, dict) and typing.get_origin(bare) is dict:
            value_tp = typing.get_args(bare)[1]
            for key in sorted(node):
                yield from walk(node[key], value_tp, [*done, (key, True)])
        else:
            yield render(done), node

    yield from walk(data, model, [])
