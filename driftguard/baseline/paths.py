"""Canonical-model paths in baselines: ``ha.options["das.isolationaddress0"]``, ``network.portgroups[*].vlan_id``.

The syntax is the one path grammar of :mod:`driftguard.models.paths` (the one drift items use): attributes
dotted, dict keys as JSON strings in brackets, plus ``[*]`` for every key of a keyed collection. A path is checked
against the model classes (:func:`resolve`), so a typo fails when the baseline loads, not silently at evaluation;
dict-keyed collections (portgroups, options, devices ...) accept any string key.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any, Union

from pydantic import BaseModel

from driftguard.models import IDENTITY_FIELDS, KIND_MODELS, Kind
from driftguard.models.paths import WILDCARD, Key, Path, PathError, parse_spans, render

__all__ = ["MISSING", "expand", "leaf_types", "leaves", "resolve"]


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
    nothing. Dict-keyed collections accept any string key; lists are leaves (compared whole)."""
    tp: Any = KIND_MODELS[kind]
    if not text:
        raise PathError("empty path")
    spans = parse_spans(text)
    segments = tuple(seg for seg, _ in spans)
    for index, (seg, offset) in enumerate(spans):
        bare = _strip_optional(tp)
        where = render(segments[:index]) or kind
        if isinstance(seg, str):
            if not (isinstance(bare, type) and issubclass(bare, BaseModel)):
                raise PathError(f"{where} has no fields (it is a {_describe(bare)})", offset)
            fields = bare.model_fields
            if seg not in fields or (index == 0 and seg in IDENTITY_FIELDS):
                known = ", ".join(f for f in fields if not (index == 0 and f in IDENTITY_FIELDS))
                raise PathError(f"unknown field {seg!r} of {where} (fields: {known})", offset)
            tp = fields[seg].annotation
        else:
            if typing.get_origin(bare) is not dict:
                raise PathError(f"{where} is not a keyed collection (it is a {_describe(bare)})", offset)
            if isinstance(seg.value, int):
                raise PathError(f'keys of {where} are strings: write ["{seg.value}"]', offset)
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


def expand(data: Any, segments: Path) -> Iterator[tuple[Path, Any]]:
    """(concrete segments, value) for every match of ``segments`` in the JSON form of an object; a wildcard over
    an empty collection yields nothing, a missing key yields :data:`MISSING`."""

    def walk(node: Any, index: int, done: Path) -> Iterator[tuple[Path, Any]]:
        if index == len(segments):
            yield done, node
            return
        seg = segments[index]
        if seg == WILDCARD:
            if isinstance(node, dict):
                for key in sorted(node):
                    yield from walk(node[key], index + 1, (*done, Key(key)))
            return
        name = seg.value if isinstance(seg, Key) else seg
        child = node.get(name, MISSING) if isinstance(node, dict) else MISSING
        if child is MISSING or child is None:
            if WILDCARD in segments[index:]:
                return  # nothing under a missing collection to expand
            yield (*done, *segments[index:]), MISSING if child is MISSING or index + 1 < len(segments) else None
            return
        yield from walk(child, index + 1, (*done, seg))

    yield from walk(data, 0, ())


def leaves(data: Any, model: type[BaseModel]) -> Iterator[tuple[str, Any]]:
    """(readable path, value) of every scalar or list value of an object's JSON form (``pin``)."""

    def walk(node: Any, tp: Any, done: Path) -> Iterator[tuple[str, Any]]:
        bare = _strip_optional(tp)
        if isinstance(node, dict) and isinstance(bare, type) and issubclass(bare, BaseModel):
            for name, field in bare.model_fields.items():
                if not done and name in (*IDENTITY_FIELDS, "name"):
                    continue
                if name in node:
                    yield from walk(node[name], field.annotation, (*done, name))
        elif isinstance(node, dict) and typing.get_origin(bare) is dict:
            value_tp = typing.get_args(bare)[1]
            for key in sorted(node):
                yield from walk(node[key], value_tp, (*done, Key(key)))
        else:
            yield render(done), node

    yield from walk(data, model, ())
