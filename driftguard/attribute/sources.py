"""The places and event/task ids that recur across the attribution table: one :class:`Source` each.

A source says where vCenter posts the records of one way of changing a setting (the object itself, or a parent
where it lives or from which it is driven) and which event types and task ``descriptionId``s they carry. Every
id is checked against real vCenter catalogues (``tests/attribute/test_attribute_catalogue.py``); the simulator's
own task ids are listed in :mod:`driftguard.attribute.catalogue`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scope = Literal["self", "cluster", "host", "member_hosts", "portgroup"]
"""Where a source's events are posted, relative to the drifted object:
``cluster``/``host`` the VM's or host's cluster / the VM's host (old and new); ``member_hosts`` a cluster's hosts;
``portgroup`` the distributed portgroup named by the path's key."""


@dataclass(frozen=True)
class Source:
    scope: Scope
    events: frozenset[str] = frozenset()
    tasks: frozenset[str] = frozenset()
    always_posts_event: bool = False
    """vCenter posts one of ``events`` for every change made this way, so a missing task history cannot hide
    one. When no source of a rule says so, an unattributed change's reason warns of a partial task history."""


def names(*ids: str) -> frozenset[str]:
    return frozenset(ids)


_s = names

# One source or name group per line, laid out by hand.
# fmt: off

# --- sources shared by many rules -------------------------------------------------------------------------------

VM_RECONFIGURE = Source(
    "self", _s("VmReconfiguredEvent"), _s("VirtualMachine.reconfigure", "VirtualMachine.reconfigVm"),
    always_posts_event=True,
)
VM_POWER = Source(
    "self",
    _s(
        "VmPoweredOnEvent", "VmPoweredOffEvent", "VmSuspendedEvent", "VmResettingEvent", "VmGuestShutdownEvent",
        "VmGuestRebootEvent", "DrsVmPoweredOnEvent", "VmRestartedOnAlternateHostEvent",
        "com.vmware.vc.ha.VmRestartedByHAEvent",
    ),
    _s(
        "VirtualMachine.powerOn", "VirtualMachine.powerOff", "VirtualMachine.suspend", "VirtualMachine.reset",
        "VirtualMachine.shutdownGuest", "VirtualMachine.rebootGuest", "VirtualMachine.standbyGuest",
        "Datacenter.powerOnVm", "Drm.ExecuteVmPowerOnLRO", "Datacenter.ExecuteVmPowerOnLRO",
    ),
    always_posts_event=True,
)
VM_MIGRATE = Source(
    "self",
    _s(
        "VmMigratedEvent", "DrsVmMigratedEvent", "VmRelocatedEvent", "VmBeingHotMigratedEvent",
        "VmBeingMigratedEvent", "VmBeingRelocatedEvent", "VmRestartedOnAlternateHostEvent",
        "com.vmware.vc.ha.VmRestartedByHAEvent", "DrsVmPoweredOnEvent", "VmRegisteredEvent",
    ),
    _s(
        "VirtualMachine.migrate", "VirtualMachine.relocate", "VirtualMachine.relocateVm", "Drm.ExecuteVMotionLRO",
        "Drm.ExecuteStorageVmotionLro", "VirtualMachine.powerOn", "Datacenter.powerOnVm", "Drm.ExecuteVmPowerOnLRO",
    ),
    always_posts_event=True,
)
VM_MIGRATE_BY_CLUSTER = Source(
    # DRS recommendations, maintenance-mode evacuation and HA failover are driven from the cluster
    "cluster",
    _s("DasHostFailedEvent", "DasHostIsolatedEvent"),
    _s(
        "ClusterComputeResource.applyRecommendation", "Drm.ExecuteVMotionLRO",
        "Drm.ExecuteMaintenanceRecommendationsLro", "ClusterComputeResource.enterMaintenanceMode",
    ),
)
VM_MIGRATE_BY_HOST = Source(
    # entering maintenance or standby mode evacuates the VMs of the (old) host
    "host",
    _s(
        "EnteringMaintenanceModeEvent", "EnteredMaintenanceModeEvent", "DrsEnteringStandbyModeEvent",
        "DrsEnteredStandbyModeEvent", "EnteringStandbyModeEvent", "EnteredStandbyModeEvent",
    ),
    _s(
        "HostSystem.enterMaintenanceMode", "HostSystem.enterStandbyMode", "Drm.TrackEnterMaintenanceLro",
        "HostSystem.shutdown", "HostSystem.reboot",
    ),
)
VM_SNAPSHOT = Source(
    # vCenter 6.7u3-8.0u3 post no event for taking, removing or renaming a snapshot: only these tasks record it
    "self",
    _s(),
    _s(
        "VirtualMachine.createSnapshot", "VirtualMachine.createSnapshotEx", "VirtualMachine.removeAllSnapshots",
        "VirtualMachine.RemoveAllSnapshots", "VirtualMachine.revertToCurrentSnapshot",
        "VirtualMachine.revertSnapshot", "VirtualMachine.consolidateDisks", "vm.Snapshot.remove",
        "vm.Snapshot.revert", "vm.Snapshot.rename",
    ),
)
CLUSTER_EVC = Source(
    "cluster",
    _s(),
    _s(
        "cluster.EVCManager.configureEvc", "cluster.EVCManager.disableEvc",
        "cluster.TransitionalEVCManager.configureEVC", "cluster.TransitionalEVCManager.disableEVC",
    ),
)
CLUSTER_RECONFIGURE = Source(
    "self",
    _s("ClusterReconfiguredEvent"),
    _s(
        "ClusterComputeResource.reconfigureEx", "ClusterComputeResource.reconfigure",
        "ComputeResource.reconfigureEx", "ClusterComputeResource.reconfigureCluster",
    ),
    always_posts_event=True,
)
HA_SWITCH = Source(
    "self", _s("DasEnabledEvent", "DasDisabledEvent", "DasAdmissionControlEnabledEvent",
               "DasAdmissionControlDisabledEvent"),
)
HOST_PROFILE = Source(
    # a host profile or host-config apply can change any host setting
    "self",
    _s("HostProfileAppliedEvent", "HostConfigAppliedEvent"),
    _s(
        "profile.host.profileEngine.HostProfileManager.applyHostConfig",
        "profile.host.ProfileManager.applyHostConfiguration", "profile.host.ProfileManager.applyEntitiesConfiguration",
    ),
)
HOST_NETWORK = Source(
    # No event: the only esx.audit.net.* ids (6.7u3, 7.0u3, 8.0u3 catalogues) are firewall and LACP events, which
    # change none of these paths (the firewall and LAGs are not in the host model), so they explain nothing here.
    "self",
    _s(),
    _s(
        "host.NetworkSystem.updateNetworkConfig", "host.NetworkSystem.addVirtualSwitch",
        "host.NetworkSystem.removeVirtualSwitch", "host.NetworkSystem.updateVirtualSwitch",
        "host.NetworkSystem.addPortGroup", "host.NetworkSystem.removePortGroup",
        "host.NetworkSystem.updatePortGroup", "host.NetworkSystem.addVirtualNic",
        "host.NetworkSystem.removeVirtualNic", "host.NetworkSystem.updateVirtualNic",
        "host.NetworkSystem.updatePhysicalNicLinkSpeed", "host.VirtualNicManager.selectVnic",
        "host.VirtualNicManager.deselectVnic", "host.VMotionSystem.selectVnic", "host.VMotionSystem.deselectVnic",
        "host.VMotionSystem.updateIpConfig",
    ),
)
HOST_OPTIONS = Source("self", _s(), _s("option.OptionManager.updateValues"))
HOST_SERVICES = Source(
    "self",
    _s(),
    _s(
        "host.ServiceSystem.start", "host.ServiceSystem.stop", "host.ServiceSystem.restart",
        "host.ServiceSystem.updatePolicy", "host.ServiceSystem.uninstall",
    ),
)
HOST_SOFTWARE = Source(
    "self",
    _s("esx.audit.esximage.*", "com.vmware.vcIntegrity.*", "HostConnectedEvent"),
    _s(
        "host.PatchManager.Install", "host.PatchManager.InstallV2", "host.PatchManager.Uninstall",
        "HostSystem.reconnect",
    ),
)
HOST_HA_SELF = Source(
    "self", _s("com.vmware.vc.HA.*", "com.vmware.vc.ha.*", "DasHostFailedEvent", "DasHostIsolatedEvent"),
    _s("HostSystem.reconfigureDAS"),
)
HOST_HA_AGENT_SELF = Source(
    # vCenter (re)configuring the HA agent on this host rewrites its files; HA *state* events do not
    "self", _s("HostDasEnablingEvent", "HostDasEnabledEvent", "HostDasDisablingEvent", "HostDasDisabledEvent"),
    _s("HostSystem.reconfigureDAS"),
)
HOST_HA_BY_CLUSTER = Source(
    "cluster",
    _s("ClusterReconfiguredEvent", "DasEnabledEvent", "DasDisabledEvent"),
    CLUSTER_RECONFIGURE.tasks,
)
HOST_MOVE_BY_CLUSTER = Source(
    "cluster",
    _s("HostAddedEvent"),
    _s(
        "ClusterComputeResource.addHost", "ClusterComputeResource.addHostWithAdminDisabled",
        "ClusterComputeResource.moveInto", "ClusterComputeResource.moveHostInto", "ClusterComputeResource.rename",
        "ManagedEntity.rename",
    ),
)
HOST_DATASTORES = Source(
    "self",
    _s(
        "DatastoreDiscoveredEvent", "NASDatastoreCreatedEvent", "VMFSDatastoreCreatedEvent",
        "LocalDatastoreCreatedEvent", "DatastoreRemovedOnHostEvent", "DatastoreDestroyedEvent",
    ),
    _s(
        "host.DatastoreSystem.createNasDatastore", "host.DatastoreSystem.createVmfsDatastore",
        "host.DatastoreSystem.createLocalDatastore", "host.DatastoreSystem.removeDatastore",
        "host.DatastoreSystem.removeDatastoreEx", "host.StorageSystem.mountVmfsVolume",
        "host.StorageSystem.unmountVmfsVolume", "host.StorageSystem.mountVmfsVolumeEx",
        "host.StorageSystem.unmountVmfsVolumeEx",
    ),
)
DVS_RECONFIGURE = Source(
    "self",
    _s("DvsReconfiguredEvent"),
    _s(
        "DistributedVirtualSwitch.reconfigure", "dvs.VmwareDistributedVirtualSwitch.reconfigure",
        "DistributedVirtualSwitch.reconfigureDvs", "VmwareDistributedVirtualSwitch.reconfigureDvs",
    ),
    always_posts_event=True,
)
DVPORTGROUP = Source(
    "portgroup",
    _s("DVPortgroupReconfiguredEvent", "DVPortgroupRenamedEvent", "DVPortgroupCreatedEvent",
       "DVPortgroupDestroyedEvent"),
    _s(
        "dvs.DistributedVirtualPortgroup.reconfigure", "DistributedVirtualPortgroup.reconfigureDvPortgroup",
        "dvs.DistributedVirtualPortgroup.rename", "dvs.DistributedVirtualPortgroup.destroy",
        "DistributedVirtualPortgroup.destroy", "DistributedVirtualPortgroup.rename",
    ),
    always_posts_event=True,
)
DVPORTGROUP_ADD = Source(
    "self",
    _s(),
    _s(
        "DistributedVirtualSwitch.addPortgroups", "dvs.VmwareDistributedVirtualSwitch.addPortgroups",
        "DistributedVirtualSwitch.addPortgroup", "dvs.VmwareDistributedVirtualSwitch.addPortgroup",
        "DistributedVirtualSwitch.addDVPortgroup", "VmwareDistributedVirtualSwitch.addDVPortgroup",
    ),
)

# fmt: on
