"""``HostSystem`` (+ its ``OptionManager``) → :class:`~driftguard.models.Host` (reference §6-8)."""

from __future__ import annotations

from typing import Any

from driftguard.models import (
    Cpu,
    Evc,
    Host,
    HostNetwork,
    PhysicalNic,
    PortGroup,
    Product,
    Service,
    VmkernelNic,
    VSwitch,
)
from driftguard.normalize._policy import host_policy, host_security
from driftguard.normalize._raw import (
    Inventory,
    RawMap,
    boolean,
    dig,
    integer,
    missing,
    nonempty,
    objects,
    options,
    props,
    ref_id,
    ref_ids,
    strings,
    text,
    unknowns_for,
)

SYSLOG_OPTION = "Syslog.global.logHost"

UNKNOWN_TARGETS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "parent": ("datacenter", "cluster", "cluster_name"),
    "summary.config.product": ("product",),
    "summary.currentEVCModeKey": ("evc.current_mode",),
    "summary.maxEVCModeKey": ("evc.max_mode",),
    "summary.hardware": ("cpu",),
    "hardware.cpuPkg": ("cpu.vendor",),
    "config.network": ("network",),
    "config.virtualNicManagerInfo": ("network.vmkernel_nics.services",),
    "config.service": ("services",),
    "config.dateTimeInfo": ("ntp_servers",),
    "config.lockdownMode": ("lockdown_mode",),
    "config.adminDisabled": ("lockdown_mode",),
    "configManager.advancedOption": ("advanced_options", "syslog_target"),
    "runtime.dasHostState": ("ha_state",),
    "datastore": ("datastores",),
    # Read only to explain absent configuration (see _disconnected_unknowns), not part of the model.
    "runtime.connectionState": (),
    "runtime.inMaintenanceMode": (),
}

# Host configuration a vCenter stops returning while the host is disconnected or not responding.
_CONFIG_PATHS = (
    "config.network",
    "config.service",
    "config.dateTimeInfo",
    "config.lockdownMode",
    "configManager.advancedOption",
    "summary.config.product",
)


def normalize_hosts(inventory: Inventory) -> dict[str, Host]:
    """Every host of the inventory, by id."""
    return {host.id: host for host in (normalize_host(obj, inventory) for obj in inventory.of_type("HostSystem"))}


def normalize_host(obj: RawMap, inventory: Inventory) -> Host:
    """One raw ``HostSystem`` object as a :class:`Host`; advanced options come from its ``OptionManager``."""
    moref = str(obj.get("moref"))
    p = props(obj)
    config_network = p.get("config.network")
    unknowns = unknowns_for(obj, UNKNOWN_TARGETS)
    unknowns.update(_disconnected_unknowns(obj))

    advanced: dict[str, Any] = {}
    manager_id = ref_id(p.get("configManager.advancedOption"))
    manager = inventory.get(manager_id)
    if manager is not None:
        advanced = options(props(manager).get("setting"))
        for reason in missing(manager).values():
            unknowns.setdefault("advanced_options", reason)
            unknowns.setdefault("syslog_target", reason)
    elif manager_id is not None:
        reason = f"option manager {manager_id} was not collected"
        unknowns.setdefault("advanced_options", reason)
        unknowns.setdefault("syslog_target", reason)

    cluster = inventory.cluster_of(moref)
    syslog = advanced.get(SYSLOG_OPTION)
    return Host(
        id=moref,
        name=text(p.get("name")) or moref,
        unknowns=dict(sorted(unknowns.items())),
        datacenter=inventory.datacenter_name(moref),
        cluster=cluster,
        cluster_name=inventory.name(cluster),
        product=_product(p.get("summary.config.product")),
        evc=Evc(
            current_mode=nonempty(p.get("summary.currentEVCModeKey")),
            max_mode=nonempty(p.get("summary.maxEVCModeKey")),
        ),
        cpu=_cpu(p.get("summary.hardware"), p.get("hardware.cpuPkg")),
        advanced_options=dict(sorted(advanced.items())),
        network=_network(config_network, p.get("config.virtualNicManagerInfo")),
        services=_services(p.get("config.service")),
        lockdown_mode=_lockdown(p.get("config.lockdownMode"), p.get("config.adminDisabled")),
        ntp_servers=strings(dig(p.get("config.dateTimeInfo"), "ntpConfig.server")),
        syslog_target=syslog if isinstance(syslog, str) and syslog else None,
        ha_state=nonempty(dig(p.get("runtime.dasHostState"), "state")),
        datastores=ref_ids(p.get("datastore")),
    )


def _disconnected_unknowns(obj: RawMap) -> dict[str, str]:
    """A host that isn't connected returns no configuration: that absence is *unknown*, not "empty"."""
    p = props(obj)
    state = text(p.get("runtime.connectionState"))
    if state in (None, "connected"):
        return {}
    reason = f"HostNotConnected: host is {state}; vCenter returned no configuration"
    absent = [path for path in _CONFIG_PATHS if path not in p and path not in missing(obj)]
    return {target: reason for path in absent for target in UNKNOWN_TARGETS[path]}


def _product(about: Any) -> Product:
    return Product(
        name=nonempty(dig(about, "name")),
        version=nonempty(dig(about, "version")),
        build=nonempty(dig(about, "build")),
        api_version=nonempty(dig(about, "apiVersion")),
    )


def _cpu(hardware: Any, packages: Any) -> Cpu:
    vendors = sorted({v.lower() for v in (nonempty(pkg.get("vendor")) for pkg in objects(packages)) if v})
    return Cpu(
        vendor=",".join(vendors) or None,
        model=nonempty(dig(hardware, "cpuModel")),
        packages=integer(dig(hardware, "numCpuPkgs")),
        cores=integer(dig(hardware, "numCpuCores")),
    )


def _lockdown(mode: Any, admin_disabled: Any) -> str | None:
    if nonempty(mode):
        return str(mode)
    disabled = boolean(admin_disabled)  # before vSphere 6.0 lockdown was this one flag
    if disabled is None:
        return None
    return "lockdownNormal" if disabled else "lockdownDisabled"


def _services(info: Any) -> dict[str, Service]:
    result: dict[str, Service] = {}
    for service in objects(dig(info, "service")):
        key = text(service.get("key"))
        if key is not None:
            result[key] = Service(
                label=nonempty(service.get("label")),
                running=boolean(service.get("running")),
                policy=nonempty(service.get("policy")),
            )
    return dict(sorted(result.items()))


def _network(network: Any, nic_manager: Any) -> HostNetwork:
    pnic_devices = {
        key: device
        for key, device in ((text(n.get("key")), text(n.get("device"))) for n in objects(dig(network, "pnic")))
        if key and device
    }
    vswitches: dict[str, VSwitch] = {}
    for switch in objects(dig(network, "vswitch")):
        name = text(switch.get("name"))
        if name is None:
            continue
        uplinks = strings(dig(switch, "spec.bridge.nicDevice")) or [
            pnic_devices.get(key, key.removeprefix("key-vim.host.PhysicalNic-")) for key in strings(switch.get("pnic"))
        ]
        vswitches[name] = VSwitch(
            mtu=integer(switch.get("mtu")) or integer(dig(switch, "spec.mtu")),
            num_ports=integer(dig(switch, "spec.numPorts")) or integer(switch.get("numPorts")),
            uplinks=sorted(uplinks),
            policy=host_policy(dig(switch, "spec.policy")),
        )

    portgroups: dict[str, PortGroup] = {}
    for group in objects(dig(network, "portgroup")):
        spec = group.get("spec")
        name = text(dig(spec, "name"))
        if name is None:
            continue
        portgroups[name] = PortGroup(
            vswitch=text(dig(spec, "vswitchName")) or "",
            vlan_id=integer(dig(spec, "vlanId")) or 0,
            policy=host_policy(dig(spec, "policy")),
            effective_security=host_security(dig(group, "computedPolicy.security")),
        )

    services = _vnic_services(nic_manager, network)
    vmknics: dict[str, VmkernelNic] = {}
    for vnic in objects(dig(network, "vnic")):
        device = text(vnic.get("device"))
        if device is None:
            continue
        spec = vnic.get("spec")
        vmknics[device] = VmkernelNic(
            portgroup=nonempty(vnic.get("portgroup")),
            dvs_portgroup=nonempty(dig(spec, "distributedVirtualPort.portgroupKey")),
            ip=nonempty(dig(spec, "ip.ipAddress")),
            subnet_mask=nonempty(dig(spec, "ip.subnetMask")),
            dhcp=boolean(dig(spec, "ip.dhcp")),
            mtu=integer(dig(spec, "mtu")),
            netstack=nonempty(dig(spec, "netStackInstanceKey")),
            services=sorted(services.get(device, set())),
        )

    pnics: dict[str, PhysicalNic] = {}
    for nic in objects(dig(network, "pnic")):
        device = text(nic.get("device"))
        if device is not None:
            pnics[device] = PhysicalNic(
                driver=nonempty(nic.get("driver")),
                mac=nonempty(nic.get("mac")),
                configured_speed_mb=integer(dig(nic, "spec.linkSpeed.speedMb")),
            )
    return HostNetwork(
        vswitches=dict(sorted(vswitches.items())),
        portgroups=dict(sorted(portgroups.items())),
        vmkernel_nics=dict(sorted(vmknics.items())),
        physical_nics=dict(sorted(pnics.items())),
    )


def _vnic_services(nic_manager: Any, network: Any) -> dict[str, set[str]]:
    """vmknic device → nicTypes it is selected for.

    ``selectedVnic`` entries read ``"<nicType>.key-vim.host.VirtualNic-vmk1"``: the part after the nicType
    is the vnic's key, which we resolve to its device through the candidates or ``config.network.vnic``.
    """
    devices: dict[str, str] = {}
    for vnic in objects(dig(network, "vnic")):
        key, device = text(vnic.get("key")), text(vnic.get("device"))
        if key and device:
            devices[key] = device
    result: dict[str, set[str]] = {}
    for config in objects(dig(nic_manager, "netConfig")):
        nic_type = text(config.get("nicType"))
        if nic_type is None:
            continue
        for candidate in objects(config.get("candidateVnic")):
            key, device = text(candidate.get("key")), text(candidate.get("device"))
            if key and device:
                devices.setdefault(key, device)
        for selected in strings(config.get("selectedVnic")):
            key = selected.removeprefix(f"{nic_type}.")
            # real candidates carry the nicType-prefixed key; config.network.vnic keys are unprefixed
            device = devices.get(selected) or devices.get(key) or key.rpartition("VirtualNic-")[2] or key
            result.setdefault(device, set()).add(nic_type)
    return result
