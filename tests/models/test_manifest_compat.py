"""State repos written before manifest and log times were typed still load, byte for byte.

Until the time fields became aware datetimes (``models.times.UtcTime``) the manifest, the ``Driftguard-*-At``
trailers and the verification notes carried times as plain text. These tests pin that text format: a state repo
written then loads, its times are aware UTC, and writing the manifest again gives the same bytes (no noise commit).
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from driftguard.models import Endpoint, LogEntry, Manifest
from driftguard.models.canonical import canonical_bytes
from driftguard.store import NOTES_REF, StateRepo, manifest_path

VC = "vc01.example.com"
STARTED = datetime(2026, 11, 29, 2, 10, 58, 678542, tzinfo=UTC)
FINISHED = datetime(2026, 11, 29, 2, 10, 58, 878486, tzinfo=UTC)

# A manifest exactly as driftguard wrote it before this change (canonical JSON, times as ISO text).
TODAY = """{
  "complete": true,
  "counts": {
    "cluster": 0,
    "datastore": 0,
    "dvswitch": 0,
    "host": 0,
    "vm": 0
  },
  "finished_at": "2026-11-29T02:10:58.878486+00:00",
  "incomplete_reason": null,
  "page_size": 500,
  "round_trips": 4,
  "schema_version": 1,
  "started_at": "2026-11-29T02:10:58.678542+00:00",
  "tool": "driftguard",
  "tool_version": "0.1.0",
  "unknowns": 0,
  "vcenter": {
    "api_version": "6.5",
    "build": "5973321",
    "instance_uuid": "dbed6e0c-bd88-4ef6-b594-21283e1c677f",
    "name": "vc01.example.com",
    "url": "https://vc01.example.com/sdk",
    "version": "6.5.0"
  }
}
"""


def test_todays_manifest_loads_as_aware_times_and_writes_the_same_bytes() -> None:
    manifest = Manifest.model_validate_json(TODAY)
    assert manifest.started_at == STARTED and manifest.started_at.tzinfo is UTC
    assert manifest.finished_at == FINISHED
    assert canonical_bytes(manifest) == TODAY.encode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-29T02:10:58.678542Z", STARTED),  # hand-written, Z offset
        ("2026-11-29T03:10:58.678542+01:00", STARTED),  # another offset
        ("2026-11-29T02:10:58.678542", STARTED),  # naive: taken to be UTC
        ("", None),  # a time the source did not give
    ],
)
def test_older_time_texts_still_load(text: str, expected: datetime | None) -> None:
    data = json.loads(TODAY)
    data["started_at"] = text
    assert Manifest.model_validate(data).started_at == expected


def test_report_times_keep_their_json_text() -> None:
    endpoint = Endpoint(ref="abc", collected_at="2026-11-29T02:10:58.878486+00:00")
    assert endpoint.model_dump(mode="json") == {"ref": "abc", "collected_at": "2026-11-29T02:10:58.878486+00:00"}
    entry = LogEntry(commit="abc", vcenter=VC, committed_at="2026-11-29T02:11:00+00:00", subject="s")
    assert entry.model_dump(mode="json")["committed_at"] == "2026-11-29T02:11:00+00:00"
    assert Endpoint(ref="live", collected_at="").collected_at is None


def _git(path: Path, *args: str, stdin: str | None = None) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "old driftguard",
        "GIT_AUTHOR_EMAIL": "dg@localhost",
        "GIT_COMMITTER_NAME": "old driftguard",
        "GIT_COMMITTER_EMAIL": "dg@localhost",
        "GIT_AUTHOR_DATE": "1764382260 +0000",
        "GIT_COMMITTER_DATE": "1764382260 +0000",
    }
    data = stdin.encode() if stdin is not None else None
    done = subprocess.run(["git", "-C", str(path), *args], input=data, env=env, check=True, capture_output=True)
    return done.stdout.decode()


def test_a_state_repo_in_todays_format_loads(tmp_path: Path) -> None:
    # Written with plain git, as the store wrote it before: manifest file, trailers and a verification note.
    state = tmp_path / "state"
    _git(tmp_path, "init", "-q", "-b", "main", str(state))
    target = state / manifest_path(VC)
    target.parent.mkdir(parents=True)
    target.write_text(TODAY, encoding="utf-8")
    _git(state, "add", "-A")
    message = (
        f"snapshot of {VC}\n\nDriftguard-Vcenter: {VC}\n"
        "Driftguard-Started-At: 2026-11-29T02:10:58.678542+00:00\n"
        "Driftguard-Finished-At: 2026-11-29T02:10:58.878486+00:00\nDriftguard-Schema: 1\n"
    )
    _git(state, "commit", "-q", "-F", "-", stdin=message)
    note = {VC: {"started_at": "2026-11-30T02:00:00+00:00", "finished_at": "2026-11-30T02:00:01+00:00"}}
    _git(state, "notes", f"--ref={NOTES_REF}", "add", "-F", "-", "HEAD", stdin=json.dumps(note))

    with StateRepo.open(state) as repo:
        snapshot = repo.load("HEAD", VC)
        (ref,) = repo.history(VC)
        verified = repo.last_verified("HEAD", VC)
    assert snapshot.manifest.started_at == STARTED and snapshot.manifest.finished_at == FINISHED
    assert canonical_bytes(snapshot.manifest) == TODAY.encode()
    assert ref.started_at == STARTED and ref.collected_at == FINISHED
    assert ref.committed_at == datetime(2025, 11, 29, 2, 11, tzinfo=UTC)
    assert verified == datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
