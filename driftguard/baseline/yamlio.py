"""The one bounded reader of the YAML (and TOML) files people write: baselines, ``driftguard.yaml``, the legacy
``zones.yaml``, ``.driftguardignore`` and ``driftguard.toml``. The only module of driftguard that imports ruamel.yaml
(an import-linter contract).

A file is refused before it can cost much, with ``file:line:column`` and one message (docs/configuration.md, Limits):

- **size**: more than :data:`MAX_BYTES` (5 MiB) is refused before it is read or parsed;
- **encoding**: UTF-8 only; the first byte that is not is named by line and column;
- **nesting**: more than :data:`MAX_DEPTH` (64) levels of mappings/sequences, counting what aliases bring in;
- **aliases**: at most :data:`MAX_ALIASES` (100) alias uses, and the document as aliases expand it at most
  :data:`MAX_NODES` nodes. Anchors and aliases of small blocks (a shared ``select:``) keep working; a "billion
  laughs" (aliases of collections of aliases) is refused from the event stream, before any tree is built, because
  every later step (validation, comparison) would walk the expanded document.

The limits are checked on each event of ruamel's (iterative) parser before the (recursive) composer sees it, so a
hostile file is refused as soon as it crosses a limit, before any large or deep tree exists.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    ScalarEvent,
)
from ruamel.yaml.parser import RoundTripParser
from ruamel.yaml.reader import ReaderError

MAX_BYTES = 5 * 1024 * 1024
"""Largest file read (5 MiB): a baseline of every host option of a large estate is well under 1 MiB."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences (the canonical model is under 10 levels deep)."""
MAX_ALIASES = 100
"""Most alias uses (``*name``) in one file."""
MAX_NODES = 1_000_000
"""Most nodes of the document once aliases are expanded."""


@dataclass(frozen=True)
class ReadIssue:
    """Why a file cannot be read: ``file:line:column: message``."""

    file: str
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "") + (f":{self.column}" if self.column else "")
        return f"{where}: {self.message}"


class ReadError(ValueError):
    """A file refused by a limit or not parseable; ``issue`` says where and why."""

    def __init__(self, issue: ReadIssue) -> None:
        self.issue = issue
        super().__init__(str(issue))


def read_bytes(path: Path, file: str | None = None, *, limit: int = MAX_BYTES) -> bytes:
    """The bytes of ``path``, refusing a file over ``limit`` before reading it (``file`` names it in messages)."""
    name = file or str(path)
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise ReadError(ReadIssue(name, 1, 1, _too_big(size, limit)))
            data = handle.read(limit + 1)  # a file that grows while read is still bounded
    except OSError as exc:
        raise ReadError(ReadIssue(name, None, None, f"cannot read: {exc.strerror or exc}")) from None
    if len(data) > limit:
        raise ReadError(ReadIssue(name, 1, 1, _too_big(len(data), limit)))
    return data


def read_head(path: Path, *, limit: int = MAX_BYTES) -> bytes:
    """At most ``limit + 1`` bytes of ``path``: enough for :func:`decode` to refuse a file over the limit without
    reading all of it. OSError propagates (the caller names the file)."""
    with path.open("rb") as handle:
        return handle.read(limit + 1)


def _too_big(size: int, limit: int) -> str:
    amount = f"more than {limit:,}" if size == limit + 1 else f"{size:,}"
    return f"file is {amount} bytes; the limit is {limit:,} bytes ({limit // (1024 * 1024)} MiB)"


def decode(data: bytes | str, file: str, *, limit: int = MAX_BYTES) -> str:
    """UTF-8 text of ``data`` (a leading BOM dropped); the first undecodable byte is named by line and column."""
    if isinstance(data, str):
        if len(data) > limit:  # characters: at least as many bytes
            raise ReadError(ReadIssue(file, 1, 1, _too_big(len(data.encode("utf-8", "replace")), limit)))
        return data
    if len(data) > limit:
        raise ReadError(ReadIssue(file, 1, 1, _too_big(len(data), limit)))
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        start_of_line = before.rfind(b"\n") + 1
        column = len(before[start_of_line:].decode("utf-8", "replace")) + 1
        message = f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded ({exc.reason})"
        raise ReadError(ReadIssue(file, line, column, message)) from None


def read_text(path: Path, file: str | None = None, *, limit: int = MAX_BYTES) -> str:
    """Bounded, UTF-8-checked text of a file."""
    name = file or str(path)
    return decode(read_bytes(path, name, limit=limit), name, limit=limit)


# -- YAML -----------------------------------------------------------------------------------------------------


class _Constructor(RoundTripConstructor):
    """Round-trip construction with timestamps left as the text written: ``2026-13-01`` then fails validation at
    its position instead of raising from deep inside ruamel, and dates stay JSON-comparable strings."""

    def construct_timestamp_text(self, node: Any) -> Any:
        return self.construct_scalar(node)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_timestamp_text)


def load_yaml(data: bytes | str, file: str) -> Any:
    """The round-trip tree (``CommentedMap``/``CommentedSeq`` with positions) of one YAML document within the
    limits; None for an empty document. Raises :class:`ReadError` with ``file:line:column``."""
    text = decode(data, file)
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.Parser = _Parser
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except _Refused as exc:
        raise ReadError(_at(file, exc.mark, exc.message)) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "syntax error"
        raise ReadError(_at(file, mark, f"not valid YAML: {problem}")) from None
    except ReaderError as exc:
        line, column = _line_column(text, exc.position)
        raise ReadError(ReadIssue(file, line, column, f"not valid YAML: {_first_line(exc)}")) from None
    except YAMLError as exc:
        raise ReadError(ReadIssue(file, None, None, f"not valid YAML: {_first_line(exc)}")) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a constructor refusing a scalar, e.g. a huge float
        raise ReadError(ReadIssue(file, None, None, f"not valid YAML: {_first_line(exc)}")) from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _line_column(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _at(file: str, mark: Any, message: str) -> ReadIssue:
    if mark is None:
        return ReadIssue(file, None, None, message)
    return ReadIssue(file, int(mark.line) + 1, int(mark.column) + 1, message)


@dataclass
class _Frame:
    anchor: str | None
    start: int
    """Nodes counted before this collection began (its size is the count at its end minus this)."""
    height: int = 1
    """Levels of nesting inside this collection, itself included."""


class _Limits:
    """Deep nesting and alias expansion, checked on each event as the parser produces it (before the composer,
    which recurses, sees it). Raises :class:`_Refused` with the event's mark."""

    def __init__(self) -> None:
        self.anchors: dict[str, tuple[int, int]] = {}  # anchor → (nodes, height) of what it names
        self.stack: list[_Frame] = []
        self.total = 0  # nodes of the document as aliases expand it
        self.aliases = 0

    def feed(self, event: Event) -> None:
        if isinstance(event, CollectionStartEvent):
            if len(self.stack) >= MAX_DEPTH:
                raise _Refused(event.start_mark, f"nested more than {MAX_DEPTH} levels deep")
            self.stack.append(_Frame(event.anchor, self.total))
            self.total += 1
            return
        if isinstance(event, CollectionEndEvent):
            frame = self.stack.pop()
            if frame.anchor:
                self.anchors[frame.anchor] = (self.total - frame.start, frame.height)
            self._nested(frame.height)
        elif isinstance(event, ScalarEvent):
            self.total += 1
            if event.anchor:
                self.anchors[event.anchor] = (1, 0)
        elif isinstance(event, AliasEvent):
            self._alias(event)

    def _alias(self, event: AliasEvent) -> None:
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise _Refused(event.start_mark, f"more than {MAX_ALIASES} aliases")
        nodes, height = self.anchors.get(str(event.anchor), (1, 0))
        self.total += nodes
        if self.total > MAX_NODES:
            raise _Refused(event.start_mark, f"aliases expand the document beyond {MAX_NODES:,} nodes")
        if len(self.stack) + height > MAX_DEPTH:
            raise _Refused(event.start_mark, f"aliases nest it more than {MAX_DEPTH} levels deep")
        self._nested(height)

    def _nested(self, height: int) -> None:
        if self.stack:
            self.stack[-1].height = max(self.stack[-1].height, height + 1)


class _Refused(Exception):
    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


class _Parser(RoundTripParser):
    """ruamel's round-trip parser with :class:`_Limits` on every event it hands the composer."""

    def get_event(self) -> Any:
        event = super().get_event()
        limits = self.__dict__.setdefault("_driftguard_limits", _Limits())
        limits.feed(event)
        return event


def plain(data: Any) -> Any:
    """A round-trip tree as plain dicts, lists and scalars (string keys), for Pydantic."""
    if isinstance(data, dict):
        return {k if isinstance(k, str) else str(k): plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data


def locate(tree: Any, loc: Iterable[str | int], *, key: bool = False) -> tuple[int | None, int | None]:
    """1-based (line, column) of the deepest node of ``loc`` in a round-trip tree: the value's position, or the
    key's with ``key`` (for unknown keys and missing fields, the mapping that should hold them)."""
    parts = list(loc)
    node = tree
    line: int | None = None
    column: int | None = None
    if getattr(tree, "lc", None) is not None:
        line, column = tree.lc.line + 1, tree.lc.col + 1
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if isinstance(node, CommentedMap) and part in node:
            kl, kc = node.lc.key(part) if key and last else node.lc.value(part)
            line, column = kl + 1, kc + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            il, ic = node.lc.item(part)
            line, column = il + 1, ic + 1
            node = node[part]
        else:
            break
    return line, column


def is_quoted(tree: Any, loc: list[str | int]) -> bool:
    """Whether the scalar at ``loc`` was written in quotes (its column is then the opening quote's)."""
    node = tree
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    value = node.get(loc[-1]) if isinstance(node, CommentedMap) else None
    return type(value).__name__ in ("DoubleQuotedScalarString", "SingleQuotedScalarString")


def set_key(tree: Any, key: str, value: Any, *, first: bool = False, comment: str | None = None) -> None:
    """Set ``key`` of a round-trip mapping (at the top with ``first`` when it is new), with a comment above it."""
    if first and key not in tree:
        tree.insert(0, key, value)
    else:
        tree[key] = value
    if comment:
        tree.yaml_set_comment_before_after_key(key, before=comment)


def keep_leading_comment(mapping: Any, indent: int) -> None:
    """Re-attach the comment lines above a nested mapping's first key to that key, so they survive when the
    mapping is moved under another parent (ruamel keeps them on the mapping, and drops them on such a move)."""
    tokens = (getattr(getattr(mapping, "ca", None), "comment", None) or [None, None])[1]
    if not tokens or not isinstance(mapping, CommentedMap) or not mapping:
        return
    lines = [line.strip().removeprefix("#").strip() for t in tokens for line in str(t.value).splitlines()]
    mapping.ca.comment[1] = None
    mapping.yaml_set_comment_before_after_key(next(iter(mapping)), before="\n".join(lines), indent=indent)


def is_mapping(tree: Any) -> bool:
    return isinstance(tree, CommentedMap)


def new_tree() -> Any:
    """An empty round-trip mapping (for an empty document)."""
    return CommentedMap()


def dump_plain(data: Any) -> str:
    """Block-style YAML of plain data, keys in the order given (for files driftguard writes)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


def dump_tree(tree: Any) -> str:
    """A round-trip tree (comments kept) as YAML text, for ``driftguard config migrate``."""
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 120
    buf = io.StringIO()
    yaml.dump(tree, buf)
    return buf.getvalue()


# -- TOML -----------------------------------------------------------------------------------------------------


def check_toml_depth(text: str, file: str) -> None:
    """Refuse TOML nested deeper than :data:`MAX_DEPTH` arrays/inline tables (``tomllib`` recurses on them)."""
    depth = 0
    line, column = 1, 0
    index = 0
    quote: str | None = None
    while index < len(text):
        char = text[index]
        column += 1
        if char == "\n":
            line, column = line + 1, 0
            if quote in ('"', "'"):
                quote = None  # a single-line string cannot span lines; tomllib reports it
        elif quote is not None:
            if char == "\\" and quote in ('"', '"""'):
                index += 1
                column += 1
            elif text.startswith(quote, index):
                index += len(quote) - 1
                column += len(quote) - 1
                quote = None
        elif char == "#":
            end = text.find("\n", index)
            index = len(text) if end < 0 else end - 1
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, index) else char
            index += len(quote) - 1
            column += len(quote) - 1
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ReadError(ReadIssue(file, line, column, f"nested more than {MAX_DEPTH} levels deep"))
        elif char in "]}":
            depth = max(0, depth - 1)
        index += 1
