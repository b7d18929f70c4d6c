"""``ClusterComputeResource`` → :class:`~driftguard.models.Cluster` (HA, DRS, DPM, EVC; reference §1-3)."""

from __future__ import annotations

from typing import Any, Literal

from driftguard.models import (
    AdmissionControlPolicy,
    Cluster,
    DasVmSettings,
    DPMConfig,
    DRSConfig,
    DrsGroup,
    DrsRule,
    DrsVmOverride,
    HAConfig,
    VmToolsMonitoring,
)
from driftguard.normalize._raw import (
    Inventory,
    RawMap,
    boolean,
    dig,
    integer,
    nonempty,
    objects,
    options,
    props,
    ref_id,
    ref_ids,
    text,
    unique_key,
    unknowns_for,
    vtype,
)

# Raw property path → the canonical paths it feeds (for ``unknowns``).
UNKNOWN_TARGETS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "parent": ("datacenter",),
    "configurationEx": ("ha", "drs", "dpm"),
    "summary": ("evc_mode",),
    "host": ("hosts",),
    "datastore": ("datastores",),
}

_POLICIES: dict[str, Literal["failover_level", "resources_percent", "failover_hosts"]] = {
    "ClusterFailoverLevelAdmissionControlPolicy": "failover_level",
    "ClusterFailoverResourcesAdmissionControlPolicy": "resources_percent",
    "ClusterFailoverHostAdmissionControlPolicy": "failover_hosts",
}

_RULES: dict[str, Literal["affinity", "anti_affinity", "vm_host", "dependency"]] = {
    "ClusterAffinityRuleSpec": "affinity",
    "ClusterAntiAffinityRuleSpec": "anti_affinity",
    "ClusterVmHostRuleInfo": "vm_host",
    "ClusterDependencyRuleInfo": "dependency",
}


def normalize_clusters(inventory: Inventory) -> dict[str, Cluster]:
    """Every cluster of the inventory, by id."""
    return {
        cluster.id: cluster
        for cluster in (normalize_cluster(obj, inventory) for obj in inventory.of_type("ClusterComputeResource"))
    }


def normalize_cluster(obj: RawMap, inventory: Inventory) -> Cluster:
    """One raw ``ClusterComputeResource`` object as a :class:`Cluster`."""
    moref = str(obj.get("moref"))
    p = props(obj)
    config = p.get("configurationEx")
    return Cluster(
        id=moref,
        name=text(p.get("name")) or moref,
        unknowns=unknowns_for(obj, UNKNOWN_TARGETS),
        datacenter=inventory.datacenter_name(moref),
        ha=_ha(config),
        drs=_drs(config),
        dpm=_dpm(dig(config, "dpmConfigInfo")),
        evc_mode=nonempty(dig(p.get("summary"), "currentEVCModeKey")),
        hosts=ref_ids(p.get("host")),
        datastores=ref_ids(p.get("datastore")),
    )


def _ha(config: Any) -> HAConfig:
    das = dig(config, "dasConfig")
    overrides: dict[str, DasVmSettings] = {}
    for entry in objects(dig(config, "dasVmConfig")):
        vm = ref_id(entry.get("key"))
        if vm is None:
            continue
        # pre-4.0 servers put the override on the entry itself, not in dasSettings
        overrides[vm] = das_vm_settings(entry.get("dasSettings")) or DasVmSettings(
            restart_priority=nonempty(entry.get("restartPriority"))
        )
    return HAConfig(
        enabled=boolean(dig(das, "enabled")),
        host_monitoring=nonempty(dig(das, "hostMonitoring")),
        vm_monitoring=nonempty(dig(das, "vmMonitoring")),
        admission_control_enabled=boolean(dig(das, "admissionControlEnabled")),
        admission_control_policy=_admission(dig(das, "admissionControlPolicy")),
        default_vm_settings=das_vm_settings(dig(das, "defaultVmSettings")),
        options=options(dig(das, "option")),
        heartbeat_datastores=ref_ids(dig(das, "heartbeatDatastore")),
        heartbeat_datastore_policy=nonempty(dig(das, "hBDatastoreCandidatePolicy")),
        vm_overrides=dict(sorted(overrides.items())),
    )


def _admission(policy: Any) -> AdmissionControlPolicy | None:
    if policy is None:
        return None
    vsphere_type = vtype(policy)
    kind = _POLICIES.get(vsphere_type or "")
    if kind is None:
        return AdmissionControlPolicy(type="other", vsphere_type=vsphere_type)
    return AdmissionControlPolicy(
        type=kind,
        failover_level=integer(dig(policy, "failoverLevel")),
        cpu_failover_percent=integer(dig(policy, "cpuFailoverResourcesPercent")),
        memory_failover_percent=integer(dig(policy, "memoryFailoverResourcesPercent")),
        auto_compute_percentages=boolean(dig(policy, "autoComputePercentages")),
        failover_hosts=ref_ids(dig(policy, "failoverHosts")),
    )


def das_vm_settings(settings: Any) -> DasVmSettings | None:
    """``ClusterDasVmSettings`` (cluster default or per-VM override); None when unset."""
    if settings is None:
        return None
    tools = dig(settings, "vmToolsMonitoringSettings")
    return DasVmSettings(
        restart_priority=nonempty(dig(settings, "restartPriority")),
        restart_priority_timeout=integer(dig(settings, "restartPriorityTimeout")),
        isolation_response=nonempty(dig(settings, "isolationResponse")),
        vm_tools_monitoring=None
        if tools is None
        else VmToolsMonitoring(
            enabled=boolean(dig(tools, "enabled")),
            vm_monitoring=nonempty(dig(tools, "vmMonitoring")),
            failure_interval=integer(dig(tools, "failureInterval")),
            min_up_time=integer(dig(tools, "minUpTime")),
            max_failures=integer(dig(tools, "maxFailures")),
            max_failure_window=integer(dig(tools, "maxFailureWindow")),
        ),
    )


def _drs(config: Any) -> DRSConfig:
    drs = dig(config, "drsConfig")
    rules: dict[str, DrsRule] = {}
    for rule in objects(dig(config, "rule")):
        key = integer(rule.get("key"))
        name = unique_key(rules, text(rule.get("name")) or f"rule {key}", f"key {key}")
        rules[name] = DrsRule(
            type=_RULES.get(vtype(rule) or "", "other"),
            key=key,
            enabled=boolean(rule.get("enabled")),
            mandatory=boolean(rule.get("mandatory")),
            user_created=boolean(rule.get("userCreated")),
            vms=ref_ids(rule.get("vm")),
            vm_group=nonempty(rule.get("vmGroupName")) or nonempty(rule.get("vmGroup")),
            affine_host_group=nonempty(rule.get("affineHostGroupName")),
            anti_affine_host_group=nonempty(rule.get("antiAffineHostGroupName")),
            depends_on_vm_group=nonempty(rule.get("dependsOnVmGroup")),
        )
    groups: dict[str, DrsGroup] = {}
    for group in objects(dig(config, "group")):
        group_name = text(group.get("name"))
        if group_name is None:
            continue
        is_host = vtype(group) == "ClusterHostGroup"
        groups[group_name] = DrsGroup(
            type="host" if is_host else "vm", members=ref_ids(group.get("host" if is_host else "vm"))
        )
    overrides: dict[str, DrsVmOverride] = {}
    for entry in objects(dig(config, "drsVmConfig")):
        vm = ref_id(entry.get("key"))
        if vm is not None:
            overrides[vm] = DrsVmOverride(
                enabled=boolean(entry.get("enabled")), behavior=nonempty(entry.get("behavior"))
            )
    return DRSConfig(
        enabled=boolean(dig(drs, "enabled")),
        default_vm_behavior=nonempty(dig(drs, "defaultVmBehavior")),
        vmotion_rate=integer(dig(drs, "vmotionRate")),
        enable_vm_behavior_overrides=boolean(dig(drs, "enableVmBehaviorOverrides")),
        options=options(dig(drs, "option")),
        rules=dict(sorted(rules.items())),
        groups=dict(sorted(groups.items())),
        vm_overrides=dict(sorted(overrides.items())),
    )


def _dpm(dpm: Any) -> DPMConfig:
    return DPMConfig(
        enabled=boolean(dig(dpm, "enabled")),
        default_behavior=nonempty(dig(dpm, "defaultDpmBehavior")),
        host_power_action_rate=integer(dig(dpm, "hostPowerActionRate")),
        options=options(dig(dpm, "option")),
    )
