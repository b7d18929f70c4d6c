"""The domain logic that moved out of :mod:`driftguard.api` into its stages, tested where it now lives: history
union and subset (models), host evidence alignment (diff), bundle placement (normalize), commit messages (report)."""

from __future__ import annotations

from datetime import UTC, datetime

from driftguard import api
from driftguard.diff import diff_snapshots
from driftguard.diff.align import NOT_COLLECTED, align_host_evidence
from driftguard.models import Event, History, HostEvidence, Snapshot, Task
from driftguard.models.drift import Attribution, Candidate, DriftItem
from driftguard.models.evidence import BundleSource, HostIdentity
from driftguard.models.history import merge, relevant
from driftguard.normalize.bundle import UNPLACED, bundle_host, host_index, place
from driftguard.report.commit import evidence_message
from tests.strategies import example_snapshot


def at(hour: int) -> datetime:
    return datetime(2026, 1, 1, hour, tzinfo=UTC)


def event(key: int, hour: int, kind: str = "VmReconfiguredEvent") -> Event:
    return Event(key=key, type=kind, created=at(hour))


# --- models/history.py ---------------------------------------------------------------------------------------


def test_merge_is_the_union_of_the_stored_histories_in_time_order() -> None:
    first = History(
        begin=at(1), end=at(2), events=[event(2, 2), event(1, 1)], tasks=[Task(key="t1", description_id="x")]
    )
    second = History(begin=at(2), end=at(3), events=[event(2, 2), event(3, 3)], tasks_complete=False, notes=["n"])
    merged = merge([("a" * 40, first), ("b" * 40, second)])
    assert [e.key for e in merged.events] == [1, 2, 3]
    assert [t.key for t in merged.tasks] == ["t1"]
    assert (merged.begin, merged.end) == (at(1), at(3))
    assert merged.complete and not merged.tasks_complete and merged.notes == ["n"]


def test_a_commit_without_stored_history_makes_the_union_incomplete() -> None:
    merged = merge([("a" * 40, History(events=[event(1, 1)])), ("c0ffee" * 6 + "beef", None)])
    assert not merged.complete
    assert merged.notes == ["commit c0ffeec0ff stores no event history"]
    assert [e.key for e in merged.events] == [1]


def test_merge_of_nothing_is_an_empty_complete_history() -> None:
    assert merge([]) == History()


def drift_item(candidates: list[Candidate]) -> DriftItem:
    attribution = Attribution(status="attributed", candidates=candidates)
    return DriftItem(
        vcenter="vc",
        kind="vm",
        id="vm-1",
        name="web01",
        change="modified",
        path="cpu.count",
        category="cpu",
        severity="medium",
        attribution=attribution,
    )


def test_relevant_keeps_the_candidates_and_the_types_rules_read() -> None:
    history = History(
        events=[event(1, 1), event(2, 1), event(3, 1, "VmMigratedEvent"), event(4, 1, "DrsVmMigratedEvent")],
        tasks=[Task(key="task-7", description_id="HostSystem.reconfigureDAS"), Task(key="task-8", description_id="y")],
    )
    items = [
        drift_item([Candidate(confidence="exact", event_type="VmReconfiguredEvent", event_key=2)]),
        drift_item([Candidate(source="task", confidence="likely", event_type="y", event_key="task-8")]),
    ]
    kept = relevant(history, items, ["*Migrated*"])
    assert [e.key for e in kept.events] == [2, 3, 4]
    assert [t.key for t in kept.tasks] == ["task-8"]
    assert relevant(history, [], ["HostSystem.reconfigureDAS"]).tasks == [history.tasks[0]]


# --- diff/align.py -------------------------------------------------------------------------------------------


def with_agent_files(snapshot: Snapshot) -> Snapshot:
    hosts = {
        host_id: host.model_copy(update={"ha_agent": host.ha_agent.model_copy(update={"source": "ssh"})})
        for host_id, host in snapshot.hosts.items()
    }
    return snapshot.model_copy(update={"hosts": hosts})


def test_host_files_collected_on_one_side_only_read_unknown_on_the_other() -> None:
    plain = example_snapshot()
    collected = with_agent_files(plain)
    old, new = align_host_evidence(collected, plain)
    assert old == collected
    assert {h.unknowns.get("ha_agent") for h in new.hosts.values()} == {NOT_COLLECTED}
    assert not [i for i in diff_snapshots(old, new) if i.path.startswith("ha_agent")]
    assert align_host_evidence(*align_host_evidence(collected, plain)) == (old, new)  # idempotent
    again_old, again_new = align_host_evidence(plain, collected)
    assert (again_old, again_new) == (new, old)  # symmetric


def test_alignment_leaves_comparable_sides_alone() -> None:
    plain = example_snapshot()
    assert align_host_evidence(plain, plain) == (plain, plain)
    collected = with_agent_files(plain)
    assert align_host_evidence(collected, collected) == (collected, collected)
    assert api.align_host_evidence is align_host_evidence and api.NOT_COLLECTED == NOT_COLLECTED


# --- normalize/bundle.py and report/commit.py ----------------------------------------------------------------


def test_a_bundle_is_filed_under_the_stored_host_of_its_short_name() -> None:
    snapshot = example_snapshot()
    host = next(iter(snapshot.hosts.values()))
    index = host_index([snapshot])
    short = host.name.split(".", 1)[0].upper()
    assert place(f"{short}.other.example", index) == ("vc01.example.com", host.id)
    assert place("stranger", index) == (UNPLACED, "stranger")
    raw = {"commands": {"hostname.txt": "esx09.lab\n"}, "top_dir": "esx-esx09-2026-01-01--03.00-123"}
    assert bundle_host(raw) == "esx09.lab"


def test_evidence_commit_message_names_hosts_findings_and_severities() -> None:
    source = BundleSource(file="b.tgz", sha256="0" * 64, top_dir="esx-a", members=1)
    evidence = [
        HostEvidence(host=HostIdentity(name=name), vcenter="_bundles", host_id=name, source=source)
        for name in ("esx02", "esx01")
    ]
    assert evidence_message(evidence, 2) == "evidence: esx01, esx02 from 2 bundle(s): 0 finding(s)"
