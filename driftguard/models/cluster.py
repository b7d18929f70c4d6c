"""Cluster configuration: HA (das), DRS, DPM and EVC (paths in shared/reference/vsphere-api.md §1-3)."""

from __future__ import annotations

from typing import Literal

from driftguard.models.base import ManagedObject, Model, Scalar


class AdmissionControlPolicy(Model):
    """``dasConfig.admissionControlPolicy``; ``type`` names the vSphere subtype."""

    type: Literal["failover_level", "resources_percent", "failover_hosts", "other"]
    failover_level: int | None = None
    cpu_failover_percent: int | None = None
    memory_failover_percent: int | None = None
    auto_compute_percentages: bool | None = None
    failover_hosts: list[str] = []
    """Host ids reserved as failover hosts."""
    vsphere_type: str | None = None
    """The vSphere type name when ``type`` is ``other``."""


class VmToolsMonitoring(Model):
    """``defaultVmSettings.vmToolsMonitoringSettings``: VM-monitoring sensitivity."""

    enabled: bool | None = None
    vm_monitoring: str | None = None
    failure_interval: int | None = None
    min_up_time: int | None = None
    max_failures: int | None = None
    max_failure_window: int | None = None


class DasVmSettings(Model):
    """HA settings for a VM: the cluster default or a per-VM override."""

    restart_priority: str | None = None
    restart_priority_timeout: int | None = None
    isolation_response: str | None = None
    vm_tools_monitoring: VmToolsMonitoring | None = None


class HAConfig(Model):
    """``configurationEx.dasConfig`` plus per-VM overrides (``dasVmConfig``)."""

    enabled: bool | None = None
    host_monitoring: str | None = None
    vm_monitoring: str | None = None
    admission_control_enabled: bool | None = None
    admission_control_policy: AdmissionControlPolicy | None = None
    default_vm_settings: DasVmSettings | None = None
    options: dict[str, Scalar] = {}
    """Every ``das.*`` / ``fdm.*`` advanced option, by key."""
    heartbeat_datastores: list[str] = []
    """Datastore ids, sorted."""
    heartbeat_datastore_policy: str | None = None
    vm_overrides: dict[str, DasVmSettings] = {}
    """Per-VM overrides by VM id."""


class DrsRule(Model):
    """A DRS rule (``configurationEx.rule[]``), keyed by name in :class:`DRSConfig`."""

    type: Literal["affinity", "anti_affinity", "vm_host", "dependency", "other"]
    key: int | None = None
    enabled: bool | None = None
    mandatory: bool | None = None
    user_created: bool | None = None
    vms: list[str] = []
    """VM ids (affinity/anti-affinity), sorted."""
    vm_group: str | None = None
    affine_host_group: str | None = None
    anti_affine_host_group: str | None = None
    depends_on_vm_group: str | None = None


class DrsGroup(Model):
    """A DRS VM or host group (``configurationEx.group[]``), keyed by name."""

    type: Literal["vm", "host"]
    members: list[str] = []
    """VM or host ids, sorted."""


class DrsVmOverride(Model):
    enabled: bool | None = None
    behavior: str | None = None


class DRSConfig(Model):
    """``configurationEx.drsConfig``, rules, groups and per-VM overrides."""

    enabled: bool | None = None
    default_vm_behavior: str | None = None
    vmotion_rate: int | None = None
    """Migration threshold as the API stores it (1-5); see the reference for the UI inversion."""
    enable_vm_behavior_overrides: bool | None = None
    options: dict[str, Scalar] = {}
    rules: dict[str, DrsRule] = {}
    groups: dict[str, DrsGroup] = {}
    vm_overrides: dict[str, DrsVmOverride] = {}
    """Per-VM overrides by VM id."""


class DPMConfig(Model):
    """``configurationEx.dpmConfigInfo``."""

    enabled: bool | None = None
    default_behavior: str | None = None
    host_power_action_rate: int | None = None
    options: dict[str, Scalar] = {}


class HARuntime(Model):
    """``RetrieveDasAdvancedRuntimeInfo()``: what HA itself reports, beside the configuration vCenter pushes.

    Read only in the HA-evidence pass (``driftguard snapshot --host-files``); None when not read. A server
    without the method (the simulator, MethodNotFound) leaves it None with the reason in ``unknowns["ha_runtime"]``.
    """

    heartbeat_datastores: list[str] = []
    """Datastore ids HA actually uses for heartbeating (``heartbeatDatastoreInfo[].datastore``), sorted."""
    primary_hosts: list[str] = []
    """AAM (before 5.0) only: the primary hosts' names (``dasHostInfo.primaryHosts``), sorted."""
    vmcp_supported: bool | None = None
    """6.0+: whether VM component protection is supported on the cluster."""


class Cluster(ManagedObject):
    """A ``ClusterComputeResource``."""

    kind: Literal["cluster"] = "cluster"
    datacenter: str | None = None
    """Datacenter name."""
    ha: HAConfig = HAConfig()
    drs: DRSConfig = DRSConfig()
    dpm: DPMConfig = DPMConfig()
    evc_mode: str | None = None
    """``summary.currentEVCModeKey``; None when EVC is off."""
    hosts: list[str] = []
    """Member host ids, sorted."""
    datastores: list[str] = []
    """Datastore ids, sorted."""
    ha_runtime: HARuntime | None = None
    """Supported-API HA runtime state (the HA-evidence pass only); see :class:`HARuntime`."""
