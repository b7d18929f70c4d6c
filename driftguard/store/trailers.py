"""Commit messages of snapshot commits: the subject, the caller's body and the ``Driftguard-*`` trailers.

::

    Driftguard-Vcenter: vc01.example.com
    Driftguard-Started-At: 2026-01-02T03:00:00Z
    Driftguard-Finished-At: 2026-01-02T03:04:10Z
    Driftguard-Schema: 1
    Driftguard-Objects: {"added":1,"changed":3,"moved":0,"removed":0,"total":1234}
    Driftguard-Summary: {"items":4,"objects":4,"attributed":3,"unattributed":1,"unknown":0}

``Driftguard-Objects`` is the store's own count of object files by identity; ``Driftguard-Summary`` (and any
other trailer) is whatever the caller passes, e.g. the drift summary. A value that is not a plain printable
line is written as a JSON string.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from driftguard.models import Manifest
from driftguard.models.times import iso, parse_time_or_none
from driftguard.store.layout import parse_object_path

TRAILER_PREFIX = "Driftguard-"
STORE_TRAILERS = frozenset(
    f"{TRAILER_PREFIX}{key}" for key in ("Vcenter", "Started-At", "Finished-At", "Schema", "Objects")
)
"""Trailers the store writes itself; a caller cannot pass them."""


@dataclass(frozen=True)
class Signature:
    """Author or committer of the commits driftguard makes."""

    name: str
    email: str


DEFAULT_SIGNATURE = Signature("driftguard", "driftguard@localhost")


@dataclass(frozen=True)
class SnapshotRef:
    """One commit in the history of a vCenter's snapshots."""

    commit: str
    committed_at: datetime
    vcenter: str
    subject: str
    started_at: datetime | None = None
    """Manifest ``started_at`` (from the trailer)."""
    collected_at: datetime | None = None
    """Manifest ``finished_at``: when the collection that this commit stores completed."""
    summary: Any = None
    """The parsed ``Driftguard-Summary`` trailer (the caller's JSON); None when absent or not JSON."""
    objects: dict[str, int] | None = None
    """The parsed ``Driftguard-Objects`` trailer: the store's object counts (total, added, removed, changed,
    moved); None for commits driftguard did not make."""
    trailers: dict[str, str] = field(default_factory=dict)
    """Every ``Driftguard-*`` trailer, raw."""


def _time_value(moment: datetime | None) -> str:
    return iso(moment) if moment is not None else ""


def _trailer_value(value: str) -> str:
    if value.isprintable() and value == value.strip() and not value.startswith('"'):
        return value
    return json.dumps(value)


def _parse_trailer_value(value: str) -> str:
    if value.startswith('"'):
        with contextlib.suppress(ValueError):
            parsed = json.loads(value)
            if isinstance(parsed, str):
                return parsed
    return value


def parse_trailers(message: str) -> dict[str, str]:
    """The ``Driftguard-*`` trailers of a commit message (its last paragraph)."""
    last = message.strip().split("\n\n")[-1]
    trailers: dict[str, str] = {}
    for line in last.splitlines():
        key, sep, value = line.partition(": ")
        if sep and key.startswith(TRAILER_PREFIX):
            trailers[key] = _parse_trailer_value(value)
    return trailers


def json_or_none(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def counts_or_none(text: str | None) -> dict[str, int] | None:
    value = json_or_none(text)
    if isinstance(value, dict) and all(isinstance(v, int) for v in value.values()):
        return {str(k): int(v) for k, v in value.items()}
    return None


def snapshot_ref(commit: str, committed: int, body: str, vcenter: str | None) -> SnapshotRef | None:
    """The history entry of one commit (``git log`` fields); None for a commit no driftguard snapshot made."""
    trailers = parse_trailers(body)
    name = trailers.get(f"{TRAILER_PREFIX}Vcenter")
    if vcenter is None and name is None:
        return None
    return SnapshotRef(
        commit=commit,
        committed_at=datetime.fromtimestamp(committed, UTC),
        vcenter=name if name is not None else str(vcenter),
        subject=body.strip().split("\n", 1)[0],
        started_at=parse_time_or_none(trailers.get(f"{TRAILER_PREFIX}Started-At")),
        collected_at=parse_time_or_none(trailers.get(f"{TRAILER_PREFIX}Finished-At")),
        summary=json_or_none(trailers.get(f"{TRAILER_PREFIX}Summary")),
        objects=counts_or_none(trailers.get(f"{TRAILER_PREFIX}Objects")),
        trailers=trailers,
    )


def caller_trailers(summary: Any, trailers: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """The caller's trailers, checked: ``Driftguard-<Name>``, none the store writes, summary given once."""
    out: list[tuple[str, str]] = []
    for key, value in (trailers or {}).items():
        if not key.startswith(TRAILER_PREFIX) or not key.replace("-", "").isalnum() or key in STORE_TRAILERS:
            raise ValueError(f"trailer {key!r} must be Driftguard-<Name> and not one the store writes")
        out.append((key, value))
    if summary is not None:
        if any(key == f"{TRAILER_PREFIX}Summary" for key, _ in out):
            raise ValueError("pass the summary either as summary= or as a Driftguard-Summary trailer, not both")
        out.append((f"{TRAILER_PREFIX}Summary", json.dumps(summary, sort_keys=True, separators=(",", ":"))))
    return out


def object_counts(old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, int]:
    """Added/removed/changed objects by identity (kind, id): a moved file with the same bytes is a rename."""

    def keyed(files: Mapping[str, str]) -> dict[tuple[str, str], tuple[str, str]]:
        out: dict[tuple[str, str], tuple[str, str]] = {}
        for path, sha in files.items():
            key = parse_object_path(path)
            if key is not None:
                out[(key.kind, key.id)] = (path, sha)
        return out

    before, after = keyed(old), keyed(new)
    both = before.keys() & after.keys()
    return {
        "total": len(after),
        "added": len(after.keys() - before.keys()),
        "removed": len(before.keys() - after.keys()),
        "changed": sum(1 for key in both if before[key][1] != after[key][1]),
        "moved": sum(1 for key in both if before[key][0] != after[key][0]),
    }


def commit_message(message: str, manifest: Manifest, counts: Mapping[str, int], extra: list[tuple[str, str]]) -> str:
    lines = message.strip().splitlines()
    subject = lines[0].strip() if lines else ""
    subject = subject or f"snapshot of {manifest.vcenter.name}"
    body = "\n".join(lines[1:]).strip()
    trailers = [
        (f"{TRAILER_PREFIX}Vcenter", manifest.vcenter.name),
        (f"{TRAILER_PREFIX}Started-At", _time_value(manifest.started_at)),
        (f"{TRAILER_PREFIX}Finished-At", _time_value(manifest.finished_at)),
        (f"{TRAILER_PREFIX}Schema", str(manifest.schema_version)),
        (f"{TRAILER_PREFIX}Objects", json.dumps(dict(counts), sort_keys=True, separators=(",", ":"))),
        *extra,
    ]
    parts = [subject] + ([body] if body else [])
    parts.append("\n".join(f"{key}: {_trailer_value(value)}" for key, value in trailers))
    return "\n\n".join(parts) + "\n"


def identity_env(author: Signature, committer: Signature, now: datetime) -> dict[str, str]:
    stamp = f"{int(now.timestamp())} +0000"
    return {
        "GIT_AUTHOR_NAME": author.name,
        "GIT_AUTHOR_EMAIL": author.email,
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_NAME": committer.name,
        "GIT_COMMITTER_EMAIL": committer.email,
        "GIT_COMMITTER_DATE": stamp,
    }
