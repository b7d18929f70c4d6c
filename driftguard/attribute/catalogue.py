"""Event types and task ids in the attribution table that no real vCenter posts: the simulator's own.

Every other id in :mod:`driftguard.attribute.table` is in a real vCenter's catalogue: the event ids of vCenter
6.7u3, 7.0u3 and 8.0u3, and the task ``descriptionId`` keys of a real vCenter's ``TaskManager.description``
(copies with their sources under ``tests/fixtures/catalogue/``; ``tests/attribute/test_attribute_catalogue.py``
checks both ways). govmomi's simulator (vcsim) names a task ``<managed object type>.<method name without _Task,
first letter lowered>``, which differs from vCenter's id for these methods; the table lists them so that
attribution also works against the simulator, and they never match anything on a real vCenter.
"""

from __future__ import annotations

SIMULATOR_ONLY: frozenset[str] = frozenset(
    {
        "ClusterComputeResource.reconfigureCluster",  # vCenter: ClusterComputeResource.reconfigureEx
        "DistributedVirtualPortgroup.destroy",  # vCenter: dvs.DistributedVirtualPortgroup.destroy
        "DistributedVirtualPortgroup.reconfigureDvPortgroup",  # vCenter: dvs.DistributedVirtualPortgroup.reconfigure
        "DistributedVirtualPortgroup.rename",  # vCenter: dvs.DistributedVirtualPortgroup.rename
        "DistributedVirtualSwitch.addDVPortgroup",  # vCenter: dvs.VmwareDistributedVirtualSwitch.addPortgroups
        "VmwareDistributedVirtualSwitch.addDVPortgroup",
        "DistributedVirtualSwitch.reconfigureDvs",  # vCenter: dvs.VmwareDistributedVirtualSwitch.reconfigure
        "VmwareDistributedVirtualSwitch.reconfigureDvs",
        "VirtualMachine.RemoveAllSnapshots",  # vCenter: VirtualMachine.removeAllSnapshots
        "VirtualMachine.reconfigVm",  # vCenter: VirtualMachine.reconfigure
        "VirtualMachine.relocateVm",  # vCenter: VirtualMachine.relocate
        "VirtualMachine.revertSnapshot",  # vCenter: vm.Snapshot.revert
        "VirtualMachine.upgradeVm",  # vCenter: VirtualMachine.upgradeVirtualHardware
    }
)
