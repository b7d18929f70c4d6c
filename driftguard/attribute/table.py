"""The one table that says which vCenter events and tasks can change which canonical path.

Each :class:`Rule` maps a canonical path pattern of one object kind (the readable paths the diff prints:
``cpu.count``, ``devices[*]``, ``ha.options[*]``, ``network.portgroups[*]`` ...) to

* ``properties``: the vSphere property paths behind it. An event whose ``changed_paths`` overlap one of them is an
  *exact* match; an event of a relevant type that names only other properties is not a candidate at all.
  Placeholders: ``{key}`` the key matched by ``[*]``; ``{device}`` the device key(s) of the device with that label;
  ``{rule}`` the key of the DRS rule with that name; ``{nics}`` the device keys of the VM's network adapters;
  ``{disks}`` the device keys of its devices backed by a file or datastore (disks, ISO images ...).
* ``sources``: where such events and tasks are posted (the object itself, or a parent where the setting lives or
  from which it is driven: the VM's cluster and host, the host's cluster, a cluster's member hosts, a distributed
  portgroup) and their event types / task ``descriptionId``s; the ones many rules share are in
  :mod:`driftguard.attribute.sources`. Both vCenter's ids and the simulator's (``VirtualMachine.reconfigVm`` ...,
  listed in :mod:`driftguard.attribute.catalogue`) are given. A trailing ``*`` matches by prefix
  (``com.vmware.vcIntegrity.*``).
* ``exact``: event types / task ids that name the change by themselves when posted on the object
  (``VmRenamedEvent`` for a rename, ``VmCreatedEvent`` for an added VM); ``exact_by_value``: the same, only when
  the new value is the given one (``DasEnabledEvent`` when ``ha.enabled`` became true); ``exact_field``: an
  ``Event`` field that names the change when it equals the new value (a migration event whose ``host`` is the
  VM's new host).

A rule without sources is a setting that vCenter changes without recording anything on the object (derived or
runtime values): attribution says *unknown* for it, never *unattributed*.

Lookup is by longest matching pattern, so ``services["TSM-SSH"].running`` refines ``services[*]``. Whole-object
changes (``added``/``removed`` with an empty path, and any ``renamed``) have rules of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from driftguard.attribute.sources import (
    CLUSTER_EVC,
    CLUSTER_RECONFIGURE,
    DVPORTGROUP,
    DVPORTGROUP_ADD,
    DVS_RECONFIGURE,
    HA_SWITCH,
    HOST_DATASTORES,
    HOST_HA_AGENT_SELF,
    HOST_HA_BY_CLUSTER,
    HOST_HA_SELF,
    HOST_MOVE_BY_CLUSTER,
    HOST_NETWORK,
    HOST_OPTIONS,
    HOST_PROFILE,
    HOST_SERVICES,
    HOST_SOFTWARE,
    VM_MIGRATE,
    VM_MIGRATE_BY_CLUSTER,
    VM_MIGRATE_BY_HOST,
    VM_POWER,
    VM_RECONFIGURE,
    VM_SNAPSHOT,
    Source,
)
from driftguard.attribute.sources import names as _s
from driftguard.models import Change, Kind, Scalar
from driftguard.models.paths import Key, Path, captured_keys, parse, prefix_matches


@dataclass(frozen=True)
class Rule:
    kind: Kind
    path: str
    """Canonical path pattern; ``""`` for a whole-object rule."""
    properties: tuple[str, ...]
    sources: tuple[Source, ...]
    change: Change | None = None
    """Set on whole-object rules only: ``added``, ``removed`` or ``renamed``."""
    exact: frozenset[str] = frozenset()
    exact_by_value: tuple[tuple[Scalar | None, frozenset[str]], ...] = ()
    exact_field: str | None = None
    pattern: Path = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", parse(self.path))

    def exact_types(self, new: object) -> frozenset[str]:
        """Event types and task ids that name this change on the object, for the drift's new value."""
        by_value = [types for value, types in self.exact_by_value if value == new and type(value) is type(new)]
        return self.exact.union(*by_value)


# The table is laid out by hand, one rule or name group per line; the formatter would stretch it to 900 lines.
# fmt: off

def _rows(kind: Kind, sources: tuple[Source, ...], rows: Iterable[tuple[str, str | tuple[str, ...]]]) -> list[Rule]:
    """Rules that share their sources: (canonical path, vSphere property path(s))."""
    return [
        Rule(kind, path, (props,) if isinstance(props, str) else props, sources) for path, props in rows
    ]


# --- VM ---------------------------------------------------------------------------------------------------------

_VM_PLACEMENT = (VM_MIGRATE, VM_MIGRATE_BY_CLUSTER, VM_MIGRATE_BY_HOST)

_VM: list[Rule] = [
    *_rows("vm", (VM_RECONFIGURE,), [
        ("cpu.count", "config.hardware.numCPU"),
        ("cpu.cores_per_socket", "config.hardware.numCoresPerSocket"),
        ("cpu.reservation_mhz", "config.cpuAllocation.reservation"),
        ("cpu.limit_mhz", "config.cpuAllocation.limit"),
        ("cpu.shares_level", "config.cpuAllocation.shares.level"),
        ("cpu.shares", "config.cpuAllocation.shares.shares"),
        ("cpu.feature_mask", "config.cpuFeatureMask"),
        ("cpu.affinity", "config.cpuAffinity"),
        ("memory.size_mb", "config.hardware.memoryMB"),
        ("memory.reservation_mb", "config.memoryAllocation.reservation"),
        ("memory.limit_mb", "config.memoryAllocation.limit"),
        ("memory.shares_level", "config.memoryAllocation.shares.level"),
        ("memory.shares", "config.memoryAllocation.shares.shares"),
        ("cpu", ("config.hardware.numCPU", "config.hardware.numCoresPerSocket", "config.cpuAllocation",
                 "config.cpuFeatureMask", "config.cpuAffinity")),
        ("memory", ("config.hardware.memoryMB", "config.memoryAllocation")),
        ("devices", "config.hardware.device"),
        ("devices[*]", "config.hardware.device[{device}]"),
        ("networks", ("network", "config.hardware.device[{nics}]")),
        ("guest_id", "config.guestId"),
        ("guest_full_name", ("config.guestId", "config.guestFullName")),
        ("is_64bit", "config.guestId"),
    ]),
    # runtime EVC requirements are recomputed at power-on, by a per-VM EVC mode, or by the cluster's EVC mode
    *_rows("vm", (VM_RECONFIGURE, VM_POWER, Source("self", _s(), _s("VirtualMachine.applyEvcMode")), CLUSTER_EVC), [
        ("cpu.min_required_evc_mode", ()),
        ("cpu.feature_requirements", ()),
        ("cpu.offline_feature_requirements", ()),
        # per-VM EVC: set by a reconfigure (its configChanges/configSpec name the masks) or ApplyEvcModeVM_Task
        ("cpu.runtime_feature_mask", ("runtime.featureMask", "config.cpuFeatureMask", "config.featureMask")),
    ]),
    Rule("vm", "hardware_version", ("config.version",), (
        VM_RECONFIGURE,
        Source("self", _s("VmUpgradeCompleteEvent", "VmUpgradingEvent"),
               _s("VirtualMachine.upgradeVirtualHardware", "VirtualMachine.upgradeVm")),
    ), exact=_s("VmUpgradeCompleteEvent")),
    Rule("vm", "instance_uuid", ("config.instanceUuid",), (
        VM_RECONFIGURE, Source("self", _s("VmInstanceUuidChangedEvent", "VmInstanceUuidAssignedEvent")),
    ), exact=_s("VmInstanceUuidChangedEvent", "VmInstanceUuidAssignedEvent")),
    Rule("vm", "template", ("config.template",), (
        Source("self", _s(), _s("VirtualMachine.markAsTemplate", "VirtualMachine.markAsVirtualMachine")),
    ), exact_by_value=(
        (True, _s("VirtualMachine.markAsTemplate")), (False, _s("VirtualMachine.markAsVirtualMachine")),
    )),
    Rule("vm", "power_state", ("runtime.powerState",), (
        VM_POWER, VM_MIGRATE_BY_CLUSTER, VM_MIGRATE_BY_HOST,
    ), exact_by_value=(
        ("poweredOn", _s("VmPoweredOnEvent", "DrsVmPoweredOnEvent", "com.vmware.vc.ha.VmRestartedByHAEvent",
                         "VmRestartedOnAlternateHostEvent", "VirtualMachine.powerOn")),
        ("poweredOff", _s("VmPoweredOffEvent", "VmGuestShutdownEvent", "VirtualMachine.powerOff")),
        ("suspended", _s("VmSuspendedEvent", "VirtualMachine.suspend")),
    )),
    Rule("vm", "host", ("runtime.host",), _VM_PLACEMENT, exact_field="host"),
    Rule("vm", "cluster", ("resourcePool", "runtime.host"), _VM_PLACEMENT, exact_field="cluster"),
    Rule("vm", "datacenter", (), ()),  # the datacenter's name: renaming it posts nothing on the VM
    # the datastores a VM uses change with its files and disks, not with any other device; a migration or
    # relocation whose destination datastore (``ds``) the list gained names the change by itself
    Rule("vm", "datastores", ("datastore", "config.files", "config.hardware.device[{disks}]"),
         (VM_RECONFIGURE, VM_MIGRATE), exact_field="datastore"),
    Rule("vm", "snapshots", ("snapshot",), (VM_SNAPSHOT,)),
    Rule("vm", "current_snapshot", ("snapshot.currentSnapshot",), (
        VM_SNAPSHOT, Source("self", _s("com.vmware.vc.vm.VmStateRevertedToSnapshot")),
    ), exact=_s("com.vmware.vc.vm.VmStateRevertedToSnapshot", "vm.Snapshot.revert")),
    Rule("vm", "ft_role", ("config.ftInfo",), (
        VM_RECONFIGURE,
        Source(
            "self",
            _s("VmFaultToleranceStateChangedEvent", "VmFaultToleranceTurnedOffEvent", "VmPrimaryFailoverEvent",
               "VmSecondaryAddedEvent", "VmSecondaryDisabledEvent", "VmSecondaryEnabledEvent",
               "VmFaultToleranceVmTerminatedEvent"),
            _s("VirtualMachine.createSecondary", "VirtualMachine.createSecondaryEx",
               "VirtualMachine.turnOffFaultTolerance", "VirtualMachine.makePrimary",
               "VirtualMachine.terminateFaultTolerantVM", "VirtualMachine.disableSecondary",
               "VirtualMachine.enableSecondary"),
        ),
    )),
    Rule("vm", "", (), (Source("self", _s(
        "VmCreatedEvent", "VmClonedEvent", "VmDeployedEvent", "VmRegisteredEvent", "VmDiscoveredEvent",
        "VmBeingCreatedEvent", "VmBeingClonedEvent", "VmBeingDeployedEvent"), always_posts_event=True),),
        change="added",
        exact=_s("VmCreatedEvent", "VmClonedEvent", "VmDeployedEvent", "VmRegisteredEvent", "VmDiscoveredEvent")),
    Rule("vm", "", (), (Source("self", _s("VmRemovedEvent"), _s(
        "VirtualMachine.destroy", "VirtualMachine.unregister", "ManagedEntity.destroy"), always_posts_event=True),),
        change="removed",
        exact=_s("VmRemovedEvent", "VirtualMachine.destroy", "VirtualMachine.unregister")),
    Rule("vm", "", ("name",), (VM_RECONFIGURE, Source("self", _s("VmRenamedEvent"), _s(
        "VirtualMachine.rename", "ManagedEntity.rename"), always_posts_event=True)), change="renamed",
        exact=_s("VmRenamedEvent", "VirtualMachine.rename")),
]

# --- cluster ----------------------------------------------------------------------------------------------------

_DAS = "configurationEx.dasConfig"
_DAS_DEFAULT = f"{_DAS}.defaultVmSettings"
_DRS = "configurationEx.drsConfig"
_DPM = "configurationEx.dpmConfigInfo"

_CLUSTER: list[Rule] = [
    *_rows("cluster", (CLUSTER_RECONFIGURE, HA_SWITCH), [
        ("ha", (_DAS, "configurationEx.dasVmConfig")),
        ("ha.host_monitoring", f"{_DAS}.hostMonitoring"),
        ("ha.vm_monitoring", f"{_DAS}.vmMonitoring"),
        ("ha.admission_control_policy", f"{_DAS}.admissionControlPolicy"),
        ("ha.default_vm_settings", _DAS_DEFAULT),
        ("ha.default_vm_settings.restart_priority", f"{_DAS_DEFAULT}.restartPriority"),
        ("ha.default_vm_settings.restart_priority_timeout", f"{_DAS_DEFAULT}.restartPriorityTimeout"),
        ("ha.default_vm_settings.isolation_response", f"{_DAS_DEFAULT}.isolationResponse"),
        ("ha.default_vm_settings.vm_tools_monitoring", f"{_DAS_DEFAULT}.vmToolsMonitoringSettings"),
        ("ha.default_vm_settings.vm_tools_monitoring.enabled",
         f"{_DAS_DEFAULT}.vmToolsMonitoringSettings.enabled"),
        ("ha.default_vm_settings.vm_tools_monitoring.vm_monitoring",
         f"{_DAS_DEFAULT}.vmToolsMonitoringSettings.vmMonitoring"),
        ("ha.default_vm_settings.vm_tools_monitoring.failure_interval",
         f"{_DAS_DEFAULT}.vmToolsMonitoringSettings.failureInterval"),
        ("ha.default_vm_settings.vm_tools_monitoring.min_up_time",
         f"{_DAS_DEFAULT}.vmToolsMonitoringSettings.minUpTime"),
        ("ha.default_vm_settings.vm_tools_monitoring.max_failures",
         f"{_DAS_DEFAULT}.vmToolsMonitoringSettings.maxFailures"),
        ("ha.default_vm_settings.vm_tools_monitoring.max_failure_window",
         f"{_DAS_DEFAULT}.vmToolsMonitoringSettings.maxFailureWindow"),
        ("ha.options[*]", f"{_DAS}.option[{{key}}]"),
        ("ha.heartbeat_datastores", f"{_DAS}.heartbeatDatastore"),
        ("ha.heartbeat_datastore_policy", f"{_DAS}.hBDatastoreCandidatePolicy"),
        ("ha.vm_overrides[*]", "configurationEx.dasVmConfig[{key}]"),
    ]),
    Rule("cluster", "ha.enabled", (f"{_DAS}.enabled",), (CLUSTER_RECONFIGURE, HA_SWITCH),
         exact_by_value=((True, _s("DasEnabledEvent")), (False, _s("DasDisabledEvent")))),
    Rule("cluster", "ha.admission_control_enabled", (f"{_DAS}.admissionControlEnabled",),
         (CLUSTER_RECONFIGURE, HA_SWITCH),
         exact_by_value=((True, _s("DasAdmissionControlEnabledEvent")),
                         (False, _s("DasAdmissionControlDisabledEvent")))),
    *_rows("cluster", (CLUSTER_RECONFIGURE, Source("self", _s("DrsEnabledEvent", "DrsDisabledEvent"))), [
        ("drs", (_DRS, "configurationEx.rule", "configurationEx.group", "configurationEx.drsVmConfig")),
        ("drs.default_vm_behavior", f"{_DRS}.defaultVmBehavior"),
        ("drs.vmotion_rate", f"{_DRS}.vmotionRate"),
        ("drs.enable_vm_behavior_overrides", f"{_DRS}.enableVmBehaviorOverrides"),
        ("drs.options[*]", f"{_DRS}.option[{{key}}]"),
        ("drs.rules[*]", "configurationEx.rule[{rule}]"),
        ("drs.groups[*]", "configurationEx.group[{key}]"),
        ("drs.vm_overrides[*]", "configurationEx.drsVmConfig[{key}]"),
    ]),
    Rule("cluster", "drs.enabled", (f"{_DRS}.enabled",),
         (CLUSTER_RECONFIGURE, Source("self", _s("DrsEnabledEvent", "DrsDisabledEvent"))),
         exact_by_value=((True, _s("DrsEnabledEvent")), (False, _s("DrsDisabledEvent")))),
    *_rows("cluster", (CLUSTER_RECONFIGURE,), [
        ("dpm", _DPM),
        ("dpm.enabled", f"{_DPM}.enabled"),
        ("dpm.default_behavior", f"{_DPM}.defaultDpmBehavior"),
        ("dpm.host_power_action_rate", f"{_DPM}.hostPowerActionRate"),
        ("dpm.options[*]", f"{_DPM}.option[{{key}}]"),
    ]),
    # HA's own runtime view (heartbeat datastores in use ...): HA changes it as hosts and datastores come and go
    Rule("cluster", "ha_runtime", (), ()),
    Rule("cluster", "evc_mode", ("summary.currentEVCModeKey",),
         (Source("self", _s(), CLUSTER_EVC.tasks),), exact=CLUSTER_EVC.tasks),
    Rule("cluster", "hosts", ("host",), (Source("self", _s("HostAddedEvent", "HostRemovedEvent"), _s(
        "ClusterComputeResource.addHost", "ClusterComputeResource.addHostWithAdminDisabled",
        "ClusterComputeResource.moveInto", "ClusterComputeResource.moveHostInto")),),
        exact=_s("HostAddedEvent", "HostRemovedEvent", "ClusterComputeResource.addHost",
                 "ClusterComputeResource.moveInto", "ClusterComputeResource.moveHostInto")),
    Rule("cluster", "datastores", ("datastore",), (Source("member_hosts", HOST_DATASTORES.events,
                                                          HOST_DATASTORES.tasks),)),
    Rule("cluster", "datacenter", (), ()),  # the datacenter's name: renaming it posts nothing on the cluster
    Rule("cluster", "", (), (Source("self", _s("ClusterCreatedEvent"), always_posts_event=True),), change="added",
         exact=_s("ClusterCreatedEvent")),
    Rule("cluster", "", (), (Source("self", _s("ClusterDestroyedEvent"), _s(
        "ClusterComputeResource.destroy", "ManagedEntity.destroy"), always_posts_event=True),), change="removed",
        exact=_s("ClusterDestroyedEvent", "ClusterComputeResource.destroy")),
    Rule("cluster", "", ("name",), (Source("self", _s(), _s(
        "ClusterComputeResource.rename", "ManagedEntity.rename")),), change="renamed",
        exact=_s("ClusterComputeResource.rename")),
]

# --- host -------------------------------------------------------------------------------------------------------

_HOST: list[Rule] = [
    *_rows("host", (HOST_NETWORK, HOST_PROFILE), [
        ("network", "config.network"),
        ("network.vswitches[*]", "config.network.vswitch[{key}]"),
        ("network.portgroups[*]", "config.network.portgroup[{key}]"),
        ("network.vmkernel_nics[*]", ("config.network.vnic[{key}]", "config.virtualNicManagerInfo.netConfig")),
        ("network.physical_nics[*]", "config.network.pnic[{key}]"),
    ]),
    *_rows("host", (HOST_OPTIONS, HOST_PROFILE), [
        ("advanced_options", "advancedOption.setting"),
        ("advanced_options[*]", "advancedOption.setting[{key}]"),
        ("syslog_target", 'advancedOption.setting["Syslog.global.logHost"]'),
    ]),
    Rule("host", "services", ("config.service.service",), (HOST_SERVICES, HOST_PROFILE)),
    Rule("host", "services[*]", ("config.service.service[{key}]",), (HOST_SERVICES, HOST_PROFILE)),
    *[
        rule
        for service, prefix in (("TSM-SSH", "esx.audit.ssh"), ("TSM", "esx.audit.shell"), ("DCUI", "esx.audit.dcui"))
        for rule in (
            Rule("host", f'services["{service}"]', (f'config.service.service["{service}"]',),
                 (HOST_SERVICES, HOST_PROFILE, Source("self", _s(f"{prefix}.enabled", f"{prefix}.disabled")))),
            Rule("host", f'services["{service}"].running', (f'config.service.service["{service}"].running',),
                 (HOST_SERVICES, HOST_PROFILE, Source("self", _s(f"{prefix}.enabled", f"{prefix}.disabled"))),
                 exact_by_value=((True, _s(f"{prefix}.enabled")), (False, _s(f"{prefix}.disabled")))),
        )
    ],
    Rule("host", "lockdown_mode", ("config.lockdownMode",), (
        HOST_PROFILE,
        Source("self", _s("esx.audit.lockdownmode.enabled", "esx.audit.lockdownmode.disabled"), _s(
            "host.HostAccessManager.changeLockdownMode", "HostSystem.enterLockdownMode",
            "HostSystem.exitLockdownMode"), always_posts_event=True),
    ), exact_by_value=(
        ("lockdownDisabled", _s("esx.audit.lockdownmode.disabled", "HostSystem.exitLockdownMode")),
        ("lockdownNormal", _s("esx.audit.lockdownmode.enabled", "HostSystem.enterLockdownMode")),
        ("lockdownStrict", _s("esx.audit.lockdownmode.enabled")),
    )),
    Rule("host", "ntp_servers", ("config.dateTimeInfo.ntpConfig.server",), (
        HOST_PROFILE, Source("self", _s(), _s("host.DateTimeSystem.updateConfig")))),
    Rule("host", "product", ("config.product",), (HOST_SOFTWARE,)),
    Rule("host", "cpu", ("hardware.cpuPkg", "summary.hardware"), (HOST_SOFTWARE,)),
    Rule("host", "evc", ("summary.currentEVCModeKey", "summary.maxEVCModeKey"), (
        HOST_SOFTWARE, Source("self", _s(), _s("HostSystem.applyEvcMode")), CLUSTER_EVC)),
    Rule("host", "evc.max_mode", ("summary.maxEVCModeKey",), (HOST_SOFTWARE,)),
    Rule("host", "evc.current_mode", ("summary.currentEVCModeKey",), (
        HOST_SOFTWARE, Source("self", _s(), _s("HostSystem.applyEvcMode")), CLUSTER_EVC)),
    Rule("host", "ha_state", ("runtime.dasHostState",), (HOST_HA_SELF, HOST_HA_BY_CLUSTER)),
    # The agent's files (/etc/opt/vmware/fdm ...) change legitimately only when vCenter pushes HA configuration: a
    # cluster (HA) reconfigure, HA enabled/disabled, or "Reconfigure for vSphere HA" on the host. Such an event in
    # the window makes a file change *likely*; without one the change is unattributed: someone edited the host.
    Rule("host", "ha_agent", (), (HOST_HA_AGENT_SELF, HOST_HA_BY_CLUSTER)),
    Rule("host", "cluster", ("parent",), (Source("self", _s("HostAddedEvent")), HOST_MOVE_BY_CLUSTER),
         exact_field="cluster"),
    Rule("host", "cluster_name", ("parent",), (HOST_MOVE_BY_CLUSTER,)),
    Rule("host", "datastores", ("datastore",), (HOST_DATASTORES,)),
    Rule("host", "datacenter", (), ()),  # the datacenter's name: renaming it posts nothing on the host
    Rule("host", "", (), (Source("self", _s("HostAddedEvent"), always_posts_event=True),), change="added",
         exact=_s("HostAddedEvent")),
    Rule("host", "", (), (Source("self", _s("HostRemovedEvent"), _s("HostSystem.destroy", "ManagedEntity.destroy"),
                                 always_posts_event=True),), change="removed",
         exact=_s("HostRemovedEvent", "HostSystem.destroy")),
    Rule("host", "", ("name",), (Source("self", _s(), _s("HostSystem.rename", "ManagedEntity.rename")),),
         change="renamed", exact=_s("HostSystem.rename")),
]

# --- distributed switch -----------------------------------------------------------------------------------------

_DVSWITCH: list[Rule] = [
    *_rows("dvswitch", (DVS_RECONFIGURE,), [
        ("mtu", "config.maxMtu"),
        ("uplink_names", "config.uplinkPortPolicy"),
        ("policy", "config.defaultPortConfig"),
    ]),
    Rule("dvswitch", "version", ("config.productInfo.version",), (
        DVS_RECONFIGURE, Source("self", _s("DvsUpgradedEvent"), _s(
            "DistributedVirtualSwitch.performProductSpecOperation",
            "dvs.VmwareDistributedVirtualSwitch.performProductSpecOperation"))), exact=_s("DvsUpgradedEvent")),
    Rule("dvswitch", "hosts", ("config.host",), (
        DVS_RECONFIGURE, Source("self", _s("DvsHostJoinedEvent", "DvsHostLeftEvent"), always_posts_event=True)),
        exact=_s("DvsHostJoinedEvent", "DvsHostLeftEvent")),
    Rule("dvswitch", "portgroups", (), (DVS_RECONFIGURE, DVPORTGROUP_ADD)),
    Rule("dvswitch", "portgroups[*]", (), (DVPORTGROUP, DVPORTGROUP_ADD)),
    Rule("dvswitch", "uuid", (), ()),  # assigned at creation, never reconfigured
    Rule("dvswitch", "datacenter", (), ()),
    Rule("dvswitch", "", (), (Source("self", _s("DvsCreatedEvent"), always_posts_event=True),), change="added",
         exact=_s("DvsCreatedEvent")),
    Rule("dvswitch", "", (), (Source("self", _s("DvsDestroyedEvent"), _s(
        "DistributedVirtualSwitch.destroy", "dvs.VmwareDistributedVirtualSwitch.destroy", "ManagedEntity.destroy"),
        always_posts_event=True),),
        change="removed", exact=_s("DvsDestroyedEvent")),
    Rule("dvswitch", "", ("name",), (Source("self", _s("DvsRenamedEvent"), _s(
        "DistributedVirtualSwitch.rename", "dvs.VmwareDistributedVirtualSwitch.rename", "ManagedEntity.rename"),
        always_posts_event=True),),
        change="renamed", exact=_s("DvsRenamedEvent")),
]

# --- datastore --------------------------------------------------------------------------------------------------

_DATASTORE: list[Rule] = [
    Rule("datastore", "capacity_bytes", ("summary.capacity",), (Source("self", _s(
        "DatastoreCapacityIncreasedEvent"), _s("Datastore.refresh")),), exact=_s("DatastoreCapacityIncreasedEvent")),
    Rule("datastore", "hosts", ("host",), (Source("self", _s(
        "DatastoreDiscoveredEvent", "DatastoreRemovedOnHostEvent", "NASDatastoreCreatedEvent",
        "VMFSDatastoreCreatedEvent", "LocalDatastoreCreatedEvent")),)),
    Rule("datastore", "multiple_host_access", ("summary.multipleHostAccess",), (Source("self", _s(
        "DatastoreDiscoveredEvent", "DatastoreRemovedOnHostEvent")),)),
    Rule("datastore", "type", (), ()),
    Rule("datastore", "url", (), ()),
    Rule("datastore", "datacenter", (), ()),
    Rule("datastore", "", (), (Source("self", _s(
        "DatastoreDiscoveredEvent", "NASDatastoreCreatedEvent", "VMFSDatastoreCreatedEvent",
        "LocalDatastoreCreatedEvent"), always_posts_event=True),), change="added", exact=_s(
        "NASDatastoreCreatedEvent", "VMFSDatastoreCreatedEvent", "LocalDatastoreCreatedEvent")),
    Rule("datastore", "", (), (Source("self", _s("DatastoreDestroyedEvent", "DatastoreRemovedOnHostEvent"), _s(
        "Datastore.destroy", "Datastore.destroyDatastore", "ManagedEntity.destroy"), always_posts_event=True),),
        change="removed",
        exact=_s("DatastoreDestroyedEvent", "Datastore.destroyDatastore", "Datastore.destroy")),
    Rule("datastore", "", ("name",), (Source("self", _s("DatastoreRenamedEvent"), _s(
        "Datastore.renameDatastore", "Datastore.rename", "ManagedEntity.rename"), always_posts_event=True),),
        change="renamed",
        exact=_s("DatastoreRenamedEvent", "Datastore.renameDatastore")),
]

# fmt: on

TABLE: tuple[Rule, ...] = (*_VM, *_CLUSTER, *_HOST, *_DVSWITCH, *_DATASTORE)
"""Every rule, in declaration order."""


def _specificity(rule: Rule) -> tuple[int, int]:
    literal_keys = sum(1 for s in rule.pattern if isinstance(s, Key) and s.value is not None)
    return len(rule.pattern), literal_keys


def lookup(kind: Kind, path: str, change: Change) -> Rule | None:
    """The rule for one drift item: whole-object rules by change, anything else by the longest matching pattern.

    A change of ``name`` is a rename whatever the diff calls it. Raises ``ValueError`` on a malformed path.
    """
    segments = parse(path)
    if change == "renamed" or segments == ("name",):
        return _WHOLE.get((kind, "renamed"))
    if not segments and change in ("added", "removed"):
        return _WHOLE.get((kind, change))
    matches = [r for r in _BY_KIND.get(kind, ()) if r.pattern and prefix_matches(r.pattern, segments)]
    return max(matches, key=_specificity, default=None)


def captured_key(rule: Rule, path: str) -> int | str | None:
    """The key the rule's ``[*]`` matched in ``path`` (``"CD/DVD drive 1"`` for ``devices[*]``), if any."""
    keys = captured_keys(rule.pattern, parse(path))
    return keys[0] if keys else None


_BY_KIND: dict[str, list[Rule]] = {}
_WHOLE: dict[tuple[str, str], Rule] = {}
for _rule in TABLE:
    if _rule.change is not None:
        _WHOLE[(_rule.kind, _rule.change)] = _rule
    else:
        _BY_KIND.setdefault(_rule.kind, []).append(_rule)
