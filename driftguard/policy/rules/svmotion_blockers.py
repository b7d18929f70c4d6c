"""DG-VMOTION-002."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import Finding, Snapshot
from driftguard.policy.base import Rule, RuleParams
from driftguard.policy.context import RuleContext

NON_PERSISTENT_MODES = ("independent_persistent", "independent_nonpersistent", "nonpersistent", "undoable", "append")


class SvmotionBlockersParams(RuleParams):
    report_snapshots: bool = True
    """Snapshots block Storage vMotion in the chapter's era; newer ESXi moves them (reference §5, uncertain)."""


class SvmotionBlockers(Rule):
    """VMs that Storage vMotion cannot move: snapshots, independent or non-persistent disks, raw disk mappings.

    *Why*: Chapter 5, "Storage VMotion" (Figure 5.4): "SVM will fail if the VM has snapshots, non-independent
    mode virtual disks, or raw disk maps". The vSphere API reference §5 refines the disk-mode condition: Storage
    vMotion needs ``persistent`` disks (or an RDM the destination sees), so the independent and non-persistent
    modes are what block. A VM that cannot leave its LUN cannot be evacuated from a failing or compromised
    datastore, and the DMZ best practice ("Do not use SVMotion to move VMs from DMZ-specific LUNs ...") assumes
    you know which VMs can move at all.

    *Non-compliant*: ``db01`` has a snapshot ``before-patch`` and ``Hard disk 2`` in ``independent_persistent``
    mode: "db01 cannot Storage vMotion: 1 snapshot (before-patch); Hard disk 2 is independent_persistent".

    *Compliant*: no snapshots, every disk ``persistent`` and file-backed.
    """

    id = "DG-VMOTION-002"
    name = "svmotion-blockers"
    severity = "low"
    tags = ("storage-vmotion", "availability", "storage")
    Params = SvmotionBlockersParams

    def check(self, snapshot: Snapshot, context: RuleContext, params: SvmotionBlockersParams) -> Iterator[Finding]:
        for vm in sorted(snapshot.vms.values(), key=lambda v: v.name):
            blockers: list[str] = []
            if params.report_snapshots and vm.snapshots:
                names = sorted(node.name for node in vm.snapshots.values())
                plural = "s" if len(names) != 1 else ""
                blockers.append(f"{len(names)} snapshot{plural} ({', '.join(names)})")
            for label, dev in sorted(vm.devices.items()):
                if dev.type != "VirtualDisk" or dev.backing is None:
                    continue
                if "RawDiskMapping" in dev.backing.type:
                    mode = dev.backing.compatibility_mode or "RDM"
                    blockers.append(f"{label} is a raw disk mapping ({mode})")
                elif dev.backing.disk_mode in NON_PERSISTENT_MODES:
                    blockers.append(f"{label} is {dev.backing.disk_mode}")
            if blockers:
                yield self.finding(
                    snapshot,
                    vm,
                    f"{vm.name} cannot Storage vMotion: {'; '.join(blockers)}",
                    evidence={"blockers": blockers},
                )
