"""Issue 8: a vCenter that "disappears" — a collection that returns zero objects where the last snapshot had
some — is never a complete snapshot: exit 3, the vCenter and both counts named, nothing committed.

The fault is injected where it happens in the field: the real simulator answers, and the inventory reply is
lost on the way (the raw inventory arrives with every object list empty, as when a non-SOAP page was read as an
empty last page)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from driftguard import collect
from tests.cli_runner import invoke
from tests.e2e.test_e2e import AUDITOR, SECRET
from tests.faults.health import assert_healthy, assert_no_traceback, head

pytestmark = pytest.mark.vcsim


class _Lost:
    """The facade's inventory reader, except that every object list arrives empty."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader

    def __enter__(self) -> _Lost:
        self.reader.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.reader.__exit__(*exc_info)

    def __getattr__(self, name: str) -> Any:  # what the reader saw besides the objects (fingerprints, context)
        return getattr(self.reader, name)

    def small(self) -> Any:
        return self._emptied(self.reader.small())

    def vm_pages(self) -> Iterator[list[Any]]:
        for _page in self.reader.vm_pages():
            pass  # read and lost
        yield from ()

    def finish(self) -> Any:
        return self._emptied(self.reader.finish())

    @staticmethod
    def _emptied(raw: Any) -> Any:
        raw["objects"] = {kind: [] for kind in raw["objects"]}
        return raw


def lose_the_inventory(monkeypatch: pytest.MonkeyPatch) -> None:
    real = collect.read_inventory
    # where the facade looks it up: the collection stage itself is untouched
    monkeypatch.setattr("driftguard.api._common.read_inventory", lambda *args, **kwargs: _Lost(real(*args, **kwargs)))


@pytest.mark.parametrize("command", ["snapshot", "diff", "check"])
def test_zero_objects_after_a_snapshot_with_objects_is_refused(
    vcsim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    repo = tmp_path / "state"
    first = invoke("snapshot", "--vcenter", vcsim.url, "--user", AUDITOR, "--repo", repo, password=SECRET)
    assert first.exit_code == 0, first.output
    head_before = head(repo)

    lose_the_inventory(monkeypatch)
    live = [] if command == "snapshot" else ["--live"]
    result = invoke(command, *live, "--vcenter", vcsim.url, "--user", AUDITOR, "--repo", repo, password=SECRET)

    assert result.exit_code == 3, result.output
    assert "returned no objects but the last snapshot had" in result.stderr
    assert "nothing committed" in result.stderr
    assert_healthy(repo, head_before, allow_new_snapshot=False)
    assert_no_traceback(result.stdout, result.stderr)


def test_a_first_snapshot_may_be_empty(vcsim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an earlier snapshot there is nothing to contradict an empty vCenter (a fresh lab)."""
    repo = tmp_path / "state"
    lose_the_inventory(monkeypatch)
    result = invoke("snapshot", "--vcenter", vcsim.url, "--user", AUDITOR, "--repo", repo, password=SECRET)
    assert result.exit_code == 0, result.output
    assert_healthy(repo, None)
    assert_no_traceback(result.stdout, result.stderr)
