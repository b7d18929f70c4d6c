"""The object counts in a first snapshot's commit subject and in ``snapshot``'s "collected" line read as English:
``1 dvswitch``, ``2 dvswitches``, ``14 VMs`` (they said ``1 dvswitchs``, ``14 vms``)."""

from __future__ import annotations

from driftguard.models import Manifest, Snapshot, VCenterInfo
from driftguard.report.commit import commit_message, object_counts


def test_counts_are_singular_for_one_and_plural_otherwise() -> None:
    counts = {"cluster": 2, "host": 1, "vm": 14, "dvswitch": 1, "datastore": 0}
    assert object_counts(counts) == "2 clusters, 1 host, 14 VMs, 1 dvswitch"
    assert object_counts({"vm": 1, "dvswitch": 3, "datastore": 2}) == "1 VM, 3 dvswitches, 2 datastores"
    assert object_counts({}) == ""


def test_a_first_snapshot_says_what_it_holds() -> None:
    manifest = Manifest(tool_version="0", vcenter=VCenterInfo(name="vc01", url="https://vc01"), counts={"vm": 2})
    assert commit_message(None, Snapshot(manifest=manifest)) == "vc01: first snapshot (2 VMs)"
