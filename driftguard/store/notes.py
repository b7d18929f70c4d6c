"""Verification notes: when a run found a vCenter unchanged, it records the time instead of committing.

The note lives under ``refs/notes/driftguard-verified`` on the vCenter's *state commit* (the last commit that
touched ``<vcenter>/``). It is JSON: ``{"<vcenter>": {"started_at": ..., "finished_at": ...}}``. Push it with
``git push origin refs/notes/driftguard-verified``.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any

from driftguard.models import Manifest
from driftguard.models.times import iso, parse_time_or_none
from driftguard.store.plumbing import Plumbing

NOTES_REF = "refs/notes/driftguard-verified"


def read_note(git: Plumbing, sha: str) -> dict[str, Any]:
    status, out = git.run("notes", f"--ref={NOTES_REF}", "show", sha, check=False)
    if status != 0:
        return {}
    with contextlib.suppress(ValueError):
        note = json.loads(out)
        if isinstance(note, dict):
            return note
    return {}


def _note_time(moment: datetime | None) -> str:
    return iso(moment) if moment is not None else ""


def record_verified(git: Plumbing, head: str, directory: str, manifest: Manifest, env: dict[str, str]) -> None:
    """Note ``manifest``'s times on the state commit of ``directory`` (unless a later run already noted its own)."""
    state = git.state_commit(head, directory) or head
    note = read_note(git, state)
    vcenter = manifest.vcenter.name
    previous = note.get(vcenter)
    previous_time = parse_time_or_none(previous.get("started_at")) if isinstance(previous, dict) else None
    current_time = manifest.started_at
    if previous_time is not None and current_time is not None and previous_time >= current_time:
        return
    note[vcenter] = {"started_at": _note_time(manifest.started_at), "finished_at": _note_time(manifest.finished_at)}
    text = json.dumps(note, sort_keys=True, indent=2) + "\n"
    git.run("notes", f"--ref={NOTES_REF}", "add", "-f", "-F", "-", state, stdin=text.encode(), env=env)
