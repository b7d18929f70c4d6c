"""Deterministic report models for the formatter tests: the golden files and the hostile-names corpus.

Every builder takes the strings a vCenter (or a baseline author) controls as parameters, so the same report can
be rendered with ordinary names for the goldens and with hostile ones for tests/faults/test_report_hostile_names.py.
"""

from __future__ import annotations

from driftguard.models import (
    Attribution,
    BundleSource,
    Candidate,
    CheckReport,
    DiffReport,
    DriftItem,
    Endpoint,
    Finding,
    HostEvidence,
    HostIdentity,
    LogEntry,
    Summary,
)
from driftguard.models.host import AgentFile, HAAgent
from driftguard.models.plan import (
    BaselineChange,
    BaselineIssue,
    IgnorePreview,
    PlanGroup,
    PlannedExpectation,
    PlanObject,
    PlanReport,
    PlanSummary,
)

FROM = Endpoint(ref="0123456789abcdef0123456789abcdef01234567", collected_at="2026-11-28T01:00:00+00:00")
TO = Endpoint(ref="89abcdef0123456789abcdef0123456789abcdef", collected_at="2026-11-29T01:00:00+00:00")


def drift_items(
    *,
    name: str = "web01",
    key: str = "das.isolationaddress0",
    value: str = "10.0.0.2",
    user: str = "VSPHERE.LOCAL\\alice",
    event_type: str = "VmReconfiguredEvent",
    reason: str = "no event in the window explains the change",
    baseline: str = "site",
    vcenter: str = "vc01.example.com",
) -> list[DriftItem]:
    """One item of each shape the diff table renders: attributed (with candidates), unattributed, unknown,
    added and removed dicts, a rename, an approved and an unapproved item."""
    attributed = Attribution(
        status="attributed",
        confidence="exact",
        user=user,
        time="2026-11-28T13:14:15+00:00",
        event_type=event_type,
        event_key=123,
        chain_id=120,
        candidates=[
            Candidate(confidence="exact", user=user, time="2026-11-28T13:14:15+00:00", event_type=event_type),
            Candidate(confidence="likely", user="root", time="2026-11-28T13:20:00+00:00", event_type="TaskEvent"),
        ],
    )
    base = {"vcenter": vcenter, "category": "ha"}
    return [
        DriftItem(
            **base,
            kind="vm",
            id="vm-42",
            name=name,
            change="modified",
            path="cpu.count",
            old=1,
            new=4,
            severity="medium",
            attribution=attributed,
            approved=True,
            baseline=baseline,
        ),
        DriftItem(
            **base,
            kind="vm",
            id="vm-42",
            name=name,
            change="modified",
            path=f'extra_config["{key}"]',
            old=None,
            new=value,
            severity="high",
            attribution=Attribution(status="unattributed", reason=reason),
            approved=False,
        ),
        DriftItem(
            **base,
            kind="cluster",
            id="domain-c7",
            name=f"{name}-cluster",
            change="modified",
            path=f'ha.options["{key}"]',
            old="10.0.0.1",
            new=value,
            severity="high",
            attribution=Attribution(status="unknown", reason=f"events of {name} purged by retention"),
        ),
        DriftItem(
            **base,
            kind="host",
            id="host-21",
            name=f"esx01 {name}",
            change="added",
            path=f'network.portgroups["{name}"]',
            new={"name": name, "vlan_id": 66, "vswitch": "vSwitch0", "security": {"promiscuous": False}},
            severity="high",
        ),
        DriftItem(
            **base,
            kind="host",
            id="host-21",
            name=f"esx01 {name}",
            change="removed",
            path=f'advanced_options["{key}"]',
            old=value,
            severity="low",
        ),
        DriftItem(
            **base,
            kind="vm",
            id="vm-43",
            name=name,
            change="renamed",
            path="name",
            old="db01",
            new=name,
            severity="info",
            attribution=attributed,
        ),
    ]


def diff_report(**names: str) -> DiffReport:
    items = drift_items(**names)
    summary = Summary(items=len(items), objects=4, attributed=2, unattributed=1, unknown=3, approved=1, unapproved=1)
    return DiffReport.model_validate({"from": FROM, "to": TO, "items": items, "summary": summary})


def findings(
    name: str = "web01", message: str | None = None, key: str = "das.isolationaddress0", vcenter: str = "vc01"
) -> list[Finding]:
    return [
        Finding(
            rule_id="DG-VMOTION-001",
            rule_name="vmotion-blockers",
            severity="high",
            message=message or f"{name} cannot vMotion: CD-ROM connected to host device; serial port on /dev/ttyS0",
            vcenter=vcenter,
            kind="vm",
            id="vm-42",
            name=name,
            path="devices",
            evidence={"devices": [f"CD/DVD drive 1 of {name}"]},
            related=["vm-43"],
            location=f"{vcenter}/vms/c1/{name}~vm-42.json",
        ),
        Finding(
            rule_id="DG-HA-003",
            rule_name="ha-isolation-address",
            severity="medium",
            message=f"cluster {name}-cluster sets {key} to an address outside the management network",
            vcenter=vcenter,
            kind="cluster",
            id="domain-c7",
            name=f"{name}-cluster",
            path=f'ha.options["{key}"]',
        ),
        Finding(
            rule_id="DG-HIST-001",
            rule_name="unattributed-change",
            severity="low",
            message=f"host esx01 {name}: a change no event explains",
            vcenter=vcenter,
            kind="host",
            id="host-21",
            name=f"esx01 {name}",
        ),
    ]


def check_report(**names: str) -> CheckReport:
    found = findings(**names)
    return CheckReport(target=TO, findings=found, summary=CheckReport.summarize(found))


def log_entries(vcenter: str = "vc01.example.com", subject: str = "3 changes on 2 objects") -> list[LogEntry]:
    return [
        LogEntry(
            commit=TO.ref,
            vcenter=vcenter,
            committed_at="2026-11-29T01:00:05+00:00",
            collected_at="2026-11-29T01:00:00+00:00",
            subject=subject,
            summary=Summary(items=3, objects=2, attributed=2, unattributed=1),
        ),
        LogEntry(commit=FROM.ref, vcenter=vcenter, committed_at="2026-11-28T01:00:05+00:00", subject="first snapshot"),
    ]


def plan_report(
    name: str = "web01",
    key: str = "das.isolationaddress0",
    value: str = "10.0.0.2",
    baseline: str = "site",
    reason: str = "the isolation address must be the management gateway",
) -> PlanReport:
    group = PlanGroup(
        path=f'ha.options["{key}"]',
        kind="cluster",
        observed="10.0.0.1",
        target=value,
        compliant=False,
        count=2,
        names=[name, f"{name}-b"],
    )
    objects = [
        PlanObject(
            vcenter="vc01",
            kind="cluster",
            id="domain-c7",
            name=name,
            path=f'ha.options["{key}"]',
            observed="10.0.0.1",
            target=value,
            compliant=False,
        ),
        PlanObject(
            vcenter="vc01",
            kind="cluster",
            id="domain-c8",
            name=f"{name}-b",
            path=f'ha.options["{key}"]',
            observed=None,
            target=value,
            compliant=False,
            unknown=True,
        ),
    ]
    expectation = PlannedExpectation(
        baseline=baseline,
        id=f"isolation-{name}",
        change="added",
        kind="cluster",
        path=f'ha.options["{key}"]',
        expected={"equals": value},
        severity="high",
        reason=reason,
        selected=2,
        noncompliant=2,
        groups=[group],
        objects=objects,
    )
    newly = drift_items(name=name, key=key, value=value, baseline=baseline)[2].model_copy(
        update={"expected": {"equals": value}, "baseline": baseline, "reason": reason}
    )
    return PlanReport(
        base=FROM,
        head=TO,
        snapshots=[TO],
        changes=[
            BaselineChange(baseline=baseline, section="expectation", key=f"isolation-{name}", change="added"),
            BaselineChange(baseline=baseline, section="ignore", key=f"vm:{key}", change="removed"),
        ],
        expectations=[expectation],
        newly_noncompliant=[newly],
        summary=PlanSummary(files_changed=1, changes=2, noncompliant_after=1, newly_noncompliant=1),
    )


def plan_errors(file: str = "baselines/site.yaml", message: str = "unknown key 'equal'") -> PlanReport:
    return PlanReport(
        base=FROM,
        head=Endpoint(ref="worktree"),
        errors=[BaselineIssue(file=file, line=3, column=5, message=message)],
        summary=PlanSummary(valid=False),
    )


def evidence(
    name: str = "esx01.example.com", path: str = "evidence/esx01.example.com.json"
) -> tuple[list[HostEvidence], list[str]]:
    host = HostEvidence(
        host=HostIdentity(name=name, version="VMware ESXi 7.0.3", build="build-21930508"),
        vcenter="vc01",
        host_id="host-21",
        source=BundleSource(file=f"esx-{name}.tgz", sha256="0" * 64, top_dir=f"esx-{name}", members=12),
        ha_agent=HAAgent(
            source="bundle", files={"/etc/opt/vmware/fdm/fdm.cfg": AgentFile(sha256="1" * 64, size=10, text="x")}
        ),
        findings=findings(name=name)[:1],
    )
    return [host], [path]


def ignore_preview(name: str = "web01", pattern: str = "vm:extra_config.*") -> IgnorePreview:
    items = drift_items(name=name)
    return IgnorePreview(patterns=[pattern], compliance=items[1:2], history=items[3:4])


# -- an incident review (issue 11 points 4-5): the shapes of real engine output, grouped into logical changes ----

REVIEW_NAMES = {"clustercomputeresource-27": "DC0_C0", "clustercomputeresource-54": "DC0_C1"}
FDM = "/etc/opt/vmware/fdm/fdm.cfg"
FDM_OLD = '<config>\n  <log level="info"/>\n  <isolation>\n    <address>10.0.0.1</address>\n  </isolation>\n</config>\n'
FDM_NEW = FDM_OLD.replace("10.0.0.1", "10.99.9.9")


def _by(user: str, time: str, event_type: str, key: int) -> Attribution:
    return Attribution(
        status="attributed", confidence="exact", user=f"VSPHERE.LOCAL\\{user}", time=time, event_type=event_type,
        event_key=key,
    )  # fmt: skip


def review_items(name: str = "DC0_H0_VM0", copies: int = 12) -> list[DriftItem]:
    """A VM moved between clusters and its CD-ROM re-pointed at an ISO (three leaf items), an HA agent file edit
    (three), a new portgroup that allows forged transmits, and one memory change made on ``copies`` VMs."""
    vm = {"vcenter": "vc01.example.com", "kind": "vm", "id": "vm-40", "name": name}
    host = {"vcenter": "vc01.example.com", "kind": "host", "id": "host-21", "name": "DC0_H0"}
    carol = _by("carol", "2026-11-29T09:12:00+00:00", "VmRelocatedEvent", 301)
    alice = _by("alice", "2026-11-29T09:30:00+00:00", "VmReconfiguredEvent", 305)
    cdrom = 'devices["CD/DVD drive 1"].backing'
    items = [
        DriftItem(**host, change="modified", path=f'ha_agent.files["{FDM}"].sha256', old="a1" * 32, new="b2" * 32,
                  category="ha_agent", severity="high", attribution=Attribution(status="unattributed",
                  reason="no event in the window explains the change")),
        DriftItem(**host, change="modified", path=f'ha_agent.files["{FDM}"].size', old=len(FDM_OLD),
                  new=len(FDM_NEW), category="ha_agent", severity="high",
                  attribution=Attribution(status="unattributed", reason="no event in the window explains the change")),
        DriftItem(**host, change="modified", path=f'ha_agent.files["{FDM}"].text', old=FDM_OLD, new=FDM_NEW,
                  category="ha_agent", severity="high",
                  attribution=Attribution(status="unattributed", reason="no event in the window explains the change")),
        DriftItem(**host, change="added", path='network.portgroups["DMZ"]', category="network", severity="medium",
                  new={"vswitch": "vSwitch0", "vlan_id": 66, "policy": {"security": {"allow_promiscuous": None,
                       "mac_changes": None, "forged_transmits": True}, "teaming": {"active_nics": []}},
                       "effective_security": {"allow_promiscuous": False, "mac_changes": True,
                                              "forged_transmits": True}},
                  attribution=_by("bob", "2026-11-29T10:00:00+00:00", "HostNetworkReconfiguredEvent", 310)),
        DriftItem(**vm, change="modified", path="cluster", old="clustercomputeresource-27",
                  new="clustercomputeresource-54", category="placement", severity="low", attribution=carol),
        DriftItem(**vm, change="modified", path=f"{cdrom}.device_name", old="/vmfs/devices/cdrom/mpx.vmhba0:C0:T0:L0",
                  new=None, category="devices", severity="medium", attribution=alice),
        DriftItem(**vm, change="modified", path=f"{cdrom}.file_name", old=None, new="[LocalDS_0] iso/rescue.iso",
                  category="devices", severity="medium", attribution=alice),
        DriftItem(**vm, change="modified", path=f"{cdrom}.type", old="VirtualCdromAtapiBackingInfo",
                  new="VirtualCdromIsoBackingInfo", category="devices", severity="medium", attribution=alice),
    ]  # fmt: skip
    for n in range(copies):
        items.append(
            DriftItem(
                vcenter="vc01.example.com",
                kind="vm",
                id=f"vm-{100 + n}",
                name=f"app{n:02d}",
                change="modified",
                path="memory.size_mb",
                old=32,
                new=4096,
                category="memory",
                severity="medium",
                attribution=_by("zoe", f"2026-11-30T08:{n % 60:02d}:00+00:00", "VmReconfiguredEvent", 400 + n),
            )
        )
    return items


def review_report(**names: str) -> DiffReport:
    items = review_items(**names)
    return DiffReport.model_validate({"from": FROM, "to": TO, "items": items, "summary": DiffReport.summarize(items)})


def many_findings(count: int = 40) -> CheckReport:
    """``count`` findings of three rules on as many VMs (``check --statistics``, the Markdown size cap)."""
    found = []
    for n in range(count):
        rule = findings(name=f"app{n:03d}")[n % 3]
        found.append(rule.model_copy(update={"id": f"vm-{n}", "name": f"app{n:03d}"}))
    return CheckReport(target=TO, findings=found, summary=CheckReport.summarize(found))


def many_changes(count: int = 60) -> DiffReport:
    """``count`` different memory changes on as many VMs: nothing to group, a Markdown document to cap."""
    items = [
        item.model_copy(update={"new": 4096 + n, "id": f"vm-{100 + n}", "name": f"app{n:02d}"})
        for n, item in enumerate(review_items(copies=count)[8:])
    ]
    return DiffReport.model_validate({"from": FROM, "to": TO, "items": items, "summary": DiffReport.summarize(items)})
