"""Hypothesis strategies for valid random snapshots, shared by the store, diff and later test suites.

Snapshots are small (a few objects per kind) so properties that go through Git stay fast. Names mix realistic
ones with hostile ones (slashes, ``..``, ``%2f``, reserved device names, control characters, combining marks,
very long names); options dicts, devices, portgroups and ``unknowns`` are filled. Lists that the model treats as
sorted sets are sorted. ``mutations(snapshot)`` draws a changed copy for diff properties.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from driftguard.models import (
    VM,
    AdmissionControlPolicy,
    Backing,
    Cluster,
    CpuIdMask,
    DasVmSettings,
    Datastore,
    Device,
    DPMConfig,
    DRSConfig,
    DrsGroup,
    DrsRule,
    DvPortgroup,
    DvSwitch,
    HAConfig,
    Host,
    HostNetwork,
    Manifest,
    Memory,
    NetworkPolicy,
    PortGroup,
    SecurityPolicy,
    Service,
    ShapingPolicy,
    Snapshot,
    SnapshotNode,
    TeamingPolicy,
    VCenterInfo,
    Vlan,
    VmCpu,
    VmkernelNic,
    VSwitch,
)

HOSTILE_NAMES = (
    "../../etc",
    "a/b",
    "%2f",
    "%",
    "x\\y",
    ".git",
    "..",
    ".",
    "",
    " ",
    "CON",
    "nul.txt",
    "COM1",
    "tab\there",
    "nul\x00byte",
    "café",
    "cafe\u0301",
    "ü" * 60,
    "v" * 300,
    "name~with~tildes",
    "trailing dot.",
    "_standalone",
    "baselines",
    'quote"and]bracket[',
    "\u202eevil",
)

names = st.one_of(
    st.sampled_from(("web01", "db01", "esx01.example.com", "Prod", "DMZ", "CD/DVD drive 1", "Network adapter 1")),
    st.sampled_from(HOSTILE_NAMES),
    st.text(max_size=24),
    st.text(alphabet="ab/\\.%~ :\x00é", max_size=8),
)
"""Object, datacenter, cluster and dict-key names."""

keys = st.one_of(st.sampled_from(("das.isolationaddress0", "Syslog.global.logHost", "TSM-SSH", "DMZ")), names)
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
opt_bool = st.none() | st.booleans()
opt_int = st.none() | st.integers(min_value=-1, max_value=100_000)
opt_text = st.none() | st.text(max_size=12)


def sorted_lists(elements: st.SearchStrategy[str], max_size: int = 3) -> st.SearchStrategy[list[str]]:
    """Sorted, duplicate-free lists: how the model stores sets (host ids, datastores, NTP servers ...)."""
    return st.lists(elements, max_size=max_size, unique=True).map(sorted)


def ids(prefix: str) -> st.SearchStrategy[str]:
    """Managed-object ids: mostly ``<prefix>-<n>``, sometimes odd text (identity must survive any string)."""
    return st.one_of(
        st.integers(min_value=1, max_value=8).map(lambda n: f"{prefix}-{n}"),
        st.text(min_size=1, max_size=8),
    )


def unknowns(paths: tuple[str, ...]) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(
        st.sampled_from(paths), st.sampled_from(("permission", "timeout", "unsupported")), max_size=3
    )


security_policies = st.builds(
    SecurityPolicy, allow_promiscuous=opt_bool, mac_changes=opt_bool, forged_transmits=opt_bool
)
network_policies = st.builds(
    NetworkPolicy,
    security=security_policies,
    teaming=st.none()
    | st.builds(
        TeamingPolicy,
        policy=opt_text,
        active_nics=sorted_lists(st.sampled_from(("vmnic0", "vmnic1", "vmnic2"))),
        standby_nics=sorted_lists(st.sampled_from(("vmnic3", "vmnic4"))),
        notify_switches=opt_bool,
    ),
    shaping=st.none() | st.builds(ShapingPolicy, enabled=opt_bool, average_bandwidth=opt_int),
)


# Strategies are built once here, not inside the composites: building them per draw dominated generation time.
vm_ids = ids("vm")
option_dicts = st.dictionaries(keys, scalars, max_size=3)
admission_policies = st.none() | st.builds(
    AdmissionControlPolicy,
    type=st.sampled_from(("failover_level", "resources_percent")),
    failover_level=opt_int,
    cpu_failover_percent=opt_int,
)
drs_rules = st.dictionaries(
    names,
    st.builds(DrsRule, type=st.sampled_from(("affinity", "anti_affinity")), enabled=opt_bool, vms=sorted_lists(vm_ids)),
    max_size=2,
)
drs_groups = st.dictionaries(names, st.builds(DrsGroup, type=st.just("vm"), members=sorted_lists(vm_ids)), max_size=2)
vm_overrides = st.dictionaries(vm_ids, st.builds(DasVmSettings, isolation_response=opt_text), max_size=3)
cluster_unknowns = unknowns(("ha.options", "drs.rules", "ha.admission_control_policy", "evc_mode", "name"))
portgroup_dicts = st.dictionaries(
    names,
    st.builds(
        PortGroup,
        vswitch=st.sampled_from(("vSwitch0", "vSwitch1")),
        vlan_id=st.integers(0, 4095),
        policy=network_policies,
        effective_security=security_policies,
    ),
    max_size=3,
)
vswitch_dicts = st.dictionaries(
    st.sampled_from(("vSwitch0", "vSwitch1")),
    st.builds(
        VSwitch,
        mtu=st.sampled_from((1500, 9000)),
        uplinks=sorted_lists(st.sampled_from(("vmnic0", "vmnic1")), max_size=2),
        policy=network_policies,
    ),
    max_size=2,
)
vmknic_dicts = st.dictionaries(
    st.sampled_from(("vmk0", "vmk1")),
    st.builds(
        VmkernelNic,
        portgroup=st.none() | st.sampled_from(("Management Network", "DMZ")),
        ip=opt_text,
        services=sorted_lists(st.sampled_from(("management", "vmotion", "faultToleranceLogging", "vsan"))),
    ),
    max_size=2,
)
service_dicts = st.dictionaries(
    st.sampled_from(("TSM-SSH", "TSM", "ntpd")),
    st.builds(Service, running=opt_bool, policy=st.none() | st.sampled_from(("on", "off", "automatic"))),
    max_size=3,
)
ntp_lists = sorted_lists(st.sampled_from(("0.pool.ntp.org", "1.pool.ntp.org", "10.0.0.1")))
host_unknowns = unknowns(("ha_agent", "network.portgroups", "services", "advanced_options", "syslog_target"))
opt_names = st.none() | names


@st.composite
def clusters(draw: st.DrawFn, object_id: str, host_ids: list[str], datastore_ids: list[str]) -> Cluster:
    ha = HAConfig(
        enabled=draw(opt_bool),
        host_monitoring=draw(st.none() | st.sampled_from(("enabled", "disabled"))),
        admission_control_enabled=draw(opt_bool),
        admission_control_policy=draw(admission_policies),
        default_vm_settings=draw(st.none() | st.builds(DasVmSettings, restart_priority=opt_text)),
        options=draw(option_dicts),
        heartbeat_datastores=draw(sorted_lists(st.sampled_from(datastore_ids))) if datastore_ids else [],
        vm_overrides=draw(vm_overrides),
    )
    drs = DRSConfig(
        enabled=draw(opt_bool),
        vmotion_rate=draw(st.none() | st.integers(1, 5)),
        options=draw(option_dicts),
        rules=draw(drs_rules),
        groups=draw(drs_groups),
    )
    return Cluster(
        id=object_id,
        name=draw(names),
        datacenter=draw(opt_names),
        ha=ha,
        drs=drs,
        dpm=DPMConfig(enabled=draw(opt_bool)),
        evc_mode=draw(st.none() | st.sampled_from(("intel-broadwell", "intel-skylake", "amd-zen"))),
        hosts=sorted(host_ids),
        datastores=sorted(datastore_ids),
        unknowns=draw(cluster_unknowns),
    )


@st.composite
def hosts(draw: st.DrawFn, object_id: str, cluster: Cluster | None, datastore_ids: list[str]) -> Host:
    network = HostNetwork(
        vswitches=draw(vswitch_dicts), portgroups=draw(portgroup_dicts), vmkernel_nics=draw(vmknic_dicts)
    )
    return Host(
        id=object_id,
        name=draw(names),
        datacenter=draw(opt_names),
        cluster=cluster.id if cluster else None,
        cluster_name=cluster.name if cluster else None,
        advanced_options=draw(option_dicts),
        network=network,
        services=draw(service_dicts),
        lockdown_mode=draw(st.none() | st.sampled_from(("lockdownDisabled", "lockdownNormal", "lockdownStrict"))),
        ntp_servers=draw(ntp_lists),
        syslog_target=draw(opt_text),
        ha_state=draw(st.none() | st.sampled_from(("master", "connectedToMaster", "networkIsolated"))),
        datastores=sorted(datastore_ids),
        unknowns=draw(host_unknowns),
    )


devices = st.builds(
    Device,
    key=st.integers(0, 20000),
    type=st.sampled_from(("VirtualCdrom", "VirtualVmxnet3", "VirtualDisk", "VirtualSerialPort")),
    connected=opt_bool,
    start_connected=opt_bool,
    backing=st.none()
    | st.builds(
        Backing,
        type=st.sampled_from(("VirtualCdromIsoBackingInfo", "VirtualEthernetCardNetworkBackingInfo")),
        file_name=st.none() | st.sampled_from(("[ds1] iso/linux.iso", "[ds2] iso/win.iso")),
        network=st.none() | names,
    ),
    capacity_kb=opt_int,
)


feature_masks = st.dictionaries(
    st.sampled_from(("1", "0x80000001", "1/intel")),
    st.builds(CpuIdMask, level=st.integers(0, 10), ecx=st.none() | st.just("----:----:----:----:----:----:----:--0-")),
    max_size=2,
)
device_dicts = st.dictionaries(names, devices, max_size=4)
snapshot_trees = st.dictionaries(
    names, st.builds(SnapshotNode, id=st.integers(1, 99), name=names, parent=opt_names), max_size=2
)
vm_unknowns = unknowns(("devices", "cpu.feature_mask", "snapshots", "host"))


@st.composite
def vms(draw: st.DrawFn, object_id: str, cluster: Cluster | None, host_ids: list[str], datastore_ids: list[str]) -> VM:
    return VM(
        id=object_id,
        name=draw(names),
        datacenter=draw(opt_names),
        cluster=cluster.id if cluster else None,
        host=draw(st.sampled_from(host_ids)) if host_ids else None,
        datastores=draw(sorted_lists(st.sampled_from(datastore_ids))) if datastore_ids else [],
        power_state=draw(st.none() | st.sampled_from(("poweredOn", "poweredOff", "suspended"))),
        guest_id=draw(opt_text),
        cpu=VmCpu(count=draw(st.none() | st.integers(1, 64)), feature_mask=draw(feature_masks)),
        memory=Memory(size_mb=draw(st.none() | st.integers(128, 1 << 20))),
        devices=draw(device_dicts),
        networks=draw(sorted_lists(names)),
        snapshots=draw(snapshot_trees),
        unknowns=draw(vm_unknowns),
    )


@st.composite
def dvswitches(draw: st.DrawFn, object_id: str, host_ids: list[str]) -> DvSwitch:
    return DvSwitch(
        id=object_id,
        name=draw(names),
        datacenter=draw(st.none() | names),
        mtu=draw(st.none() | st.sampled_from((1500, 9000))),
        hosts=sorted(host_ids),
        policy=draw(network_policies),
        portgroups=draw(
            st.dictionaries(
                names,
                st.builds(
                    DvPortgroup,
                    key=st.sampled_from(("dvportgroup-1", "dvportgroup-2")),
                    vlan=st.none() | st.builds(Vlan, type=st.just("vlan"), vlan_id=st.integers(0, 4094)),
                    policy=network_policies,
                ),
                max_size=3,
            )
        ),
        unknowns=draw(unknowns(("portgroups", "policy"))),
    )


@st.composite
def datastores(draw: st.DrawFn, object_id: str, host_ids: list[str]) -> Datastore:
    return Datastore(
        id=object_id,
        name=draw(names),
        datacenter=draw(st.none() | names),
        type=draw(st.none() | st.sampled_from(("VMFS", "NFS", "vsan"))),
        capacity_bytes=draw(st.none() | st.integers(0, 1 << 50)),
        hosts=sorted(host_ids),
    )


def _unique_ids(prefix: str, max_size: int) -> st.SearchStrategy[list[str]]:
    return st.lists(ids(prefix), max_size=max_size, unique=True)


@st.composite
def manifests(draw: st.DrawFn) -> Manifest:
    return Manifest(
        tool_version="0.1.0",
        vcenter=VCenterInfo(
            name=draw(st.sampled_from(("vc01.example.com", "vc02")) | names),
            url="https://vc01.example.com/sdk",
            version=draw(st.none() | st.just("8.0.2")),
        ),
        started_at="2026-01-01T03:00:00+00:00",
        finished_at="2026-01-01T03:01:00+00:00",
        round_trips=draw(st.integers(0, 100)),
    )


@st.composite
def snapshots(draw: st.DrawFn, max_per_kind: int = 3) -> Snapshot:
    """A valid snapshot: objects reference each other (cluster hosts, VM placement) by id."""
    datastore_ids = draw(_unique_ids("datastore", max_per_kind))
    host_ids = draw(_unique_ids("host", max_per_kind))
    cluster_ids = draw(_unique_ids("domain-c", 2))
    membership = {h: draw(st.none() | st.sampled_from(cluster_ids)) if cluster_ids else None for h in host_ids}
    cluster_objs: dict[str, Cluster] = {}
    for cid in cluster_ids:
        members = [h for h, c in membership.items() if c == cid]
        cluster_objs[cid] = draw(clusters(cid, members, datastore_ids))
    host_objs = {
        h: draw(
            hosts(
                h,
                cluster_objs[c] if c else None,
                draw(sorted_lists(st.sampled_from(datastore_ids))) if datastore_ids else [],
            )
        )
        for h, c in membership.items()
    }
    vm_objs: dict[str, VM] = {}
    for vid in draw(_unique_ids("vm", max_per_kind)):
        clustered: bool = draw(st.booleans())
        cluster = cluster_objs[draw(st.sampled_from(cluster_ids))] if cluster_ids and clustered else None
        vm_objs[vid] = draw(vms(vid, cluster, host_ids, datastore_ids))
    dvs_objs = {d: draw(dvswitches(d, host_ids)) for d in draw(_unique_ids("dvs", 2))}
    ds_objs = {d: draw(datastores(d, host_ids)) for d in datastore_ids}
    snapshot = Snapshot(
        manifest=draw(manifests()),
        clusters=cluster_objs,
        hosts=host_objs,
        vms=vm_objs,
        dvswitches=dvs_objs,
        datastores=ds_objs,
    )
    return snapshot.with_counts()


# -- mutations -----------------------------------------------------------------------------------------------

Mutation = Callable[[st.DrawFn, Snapshot], Snapshot]


def _replace(snapshot: Snapshot, obj: Any) -> Snapshot:
    field = {"cluster": "clusters", "host": "hosts", "vm": "vms", "dvswitch": "dvswitches", "datastore": "datastores"}[
        obj.kind
    ]
    return snapshot.model_copy(update={field: {**getattr(snapshot, field), obj.id: obj}})


def _pick(draw: st.DrawFn, snapshot: Snapshot) -> Any:
    objects = list(snapshot.objects())
    return draw(st.sampled_from(objects)) if objects else None


def _rename(draw: st.DrawFn, snapshot: Snapshot) -> Snapshot:
    obj = _pick(draw, snapshot)
    return _replace(snapshot, obj.model_copy(update={"name": draw(names)})) if obj else snapshot


def _remove(draw: st.DrawFn, snapshot: Snapshot) -> Snapshot:
    obj = _pick(draw, snapshot)
    if obj is None:
        return snapshot
    field = {"cluster": "clusters", "host": "hosts", "vm": "vms", "dvswitch": "dvswitches", "datastore": "datastores"}[
        obj.kind
    ]
    remaining = {k: v for k, v in getattr(snapshot, field).items() if k != obj.id}
    return snapshot.model_copy(update={field: remaining})


def _add_vm(draw: st.DrawFn, snapshot: Snapshot) -> Snapshot:
    new_id = draw(ids("vm").filter(lambda i: i not in snapshot.vms))
    return _replace(snapshot, draw(vms(new_id, None, sorted(snapshot.hosts), sorted(snapshot.datastores))))


def _options(draw: st.DrawFn, snapshot: Snapshot) -> Snapshot:
    """Add, change or remove one advanced/HA option (dict keys, scalar type changes)."""
    candidates = [o for o in snapshot.objects() if isinstance(o, Host | Cluster)]
    if not candidates:
        return snapshot
    obj = draw(st.sampled_from(candidates))
    options = dict(obj.advanced_options if isinstance(obj, Host) else obj.ha.options)
    key = draw(st.sampled_from(sorted(options)) | keys) if options else draw(keys)
    if key in options and draw(st.booleans()):
        del options[key]
    else:
        options[key] = draw(scalars)
    if isinstance(obj, Host):
        return _replace(snapshot, obj.model_copy(update={"advanced_options": options}))
    return _replace(snapshot, obj.model_copy(update={"ha": obj.ha.model_copy(update={"options": options})}))


def _regenerate_field(draw: st.DrawFn, snapshot: Snapshot) -> Snapshot:
    """Replace one top-level field of an object by the same field of a freshly drawn object of its kind."""
    obj = _pick(draw, snapshot)
    if obj is None:
        return snapshot
    host_ids, ds_ids = sorted(snapshot.hosts), sorted(snapshot.datastores)
    fresh: dict[str, st.SearchStrategy[Any]] = {
        "cluster": clusters(obj.id, host_ids, ds_ids),
        "host": hosts(obj.id, None, ds_ids),
        "vm": vms(obj.id, None, host_ids, ds_ids),
        "dvswitch": dvswitches(obj.id, host_ids),
        "datastore": datastores(obj.id, host_ids),
    }
    other = draw(fresh[obj.kind])
    field = draw(st.sampled_from(sorted(set(type(obj).model_fields) - {"id", "kind"})))
    return _replace(snapshot, obj.model_copy(update={field: getattr(other, field)}))


def _portgroup(draw: st.DrawFn, snapshot: Snapshot) -> Snapshot:
    """Change a portgroup's VLAN or security policy, or add/remove a portgroup."""
    if not snapshot.hosts:
        return snapshot
    host = snapshot.hosts[draw(st.sampled_from(sorted(snapshot.hosts)))]
    groups = dict(host.network.portgroups)
    name = draw(st.sampled_from(sorted(groups)) | names) if groups else draw(names)
    if name in groups and draw(st.booleans()):
        group = groups[name]
        security = group.policy.security.model_copy(update={"allow_promiscuous": draw(opt_bool)})
        policy = group.policy.model_copy(update={"security": security})
        groups[name] = group.model_copy(update={"vlan_id": draw(st.integers(0, 4095)), "policy": policy})
    elif name in groups:
        del groups[name]
    else:
        groups[name] = PortGroup(vswitch="vSwitch0", vlan_id=draw(st.integers(0, 4095)))
    network = host.network.model_copy(update={"portgroups": groups})
    return _replace(snapshot, host.model_copy(update={"network": network}))


def _device(draw: st.DrawFn, snapshot: Snapshot) -> Snapshot:
    """Connect/disconnect, re-back, add or remove a VM device."""
    if not snapshot.vms:
        return snapshot
    vm = snapshot.vms[draw(st.sampled_from(sorted(snapshot.vms)))]
    found = dict(vm.devices)
    label = draw(st.sampled_from(sorted(found)) | names) if found else draw(names)
    if label in found and draw(st.booleans()):
        found[label] = found[label].model_copy(update={"connected": draw(opt_bool), "backing": draw(devices).backing})
    elif label in found:
        del found[label]
    else:
        found[label] = draw(devices)
    return _replace(snapshot, vm.model_copy(update={"devices": found}))


def _sets(draw: st.DrawFn, snapshot: Snapshot) -> Snapshot:
    """Change a sorted-set list (NTP servers of a host, networks of a VM)."""
    use_host: bool = draw(st.booleans())
    if snapshot.hosts and use_host:
        host = snapshot.hosts[draw(st.sampled_from(sorted(snapshot.hosts)))]
        servers = draw(sorted_lists(st.sampled_from(("0.pool.ntp.org", "1.pool.ntp.org", "10.0.0.1", "10.0.0.2"))))
        return _replace(snapshot, host.model_copy(update={"ntp_servers": servers}))
    if snapshot.vms:
        vm = snapshot.vms[draw(st.sampled_from(sorted(snapshot.vms)))]
        return _replace(snapshot, vm.model_copy(update={"networks": draw(sorted_lists(names))}))
    return snapshot


MUTATIONS: tuple[Mutation, ...] = (
    _rename,
    _remove,
    _add_vm,
    _options,
    _regenerate_field,
    _portgroup,
    _device,
    _sets,
)


@st.composite
def mutations(draw: st.DrawFn, snapshot: Snapshot, max_steps: int = 5) -> Snapshot:
    """A copy of ``snapshot`` with one to ``max_steps`` random edits (possibly cancelling out)."""
    for _ in range(draw(st.integers(1, max_steps))):
        snapshot = draw(st.sampled_from(MUTATIONS))(draw, snapshot)
    return snapshot.with_counts()


@st.composite
def snapshot_pairs(draw: st.DrawFn) -> tuple[Snapshot, Snapshot]:
    """(old, new): mostly a snapshot and an edited copy, sometimes two unrelated snapshots."""
    old = draw(snapshots())
    if draw(st.integers(0, 4)) == 0:
        return old, draw(snapshots())
    return old, draw(mutations(old))


# -- a fixed, realistic example --------------------------------------------------------------------------------


def example_snapshot(vcenter: str = "vc01.example.com", started_at: str = "2026-01-01T03:00:00+00:00") -> Snapshot:
    """A small, realistic snapshot for example-based tests: one HA/DRS cluster with two hosts, three VMs (two of
    them named ``web01``), a distributed switch and a datastore."""
    dmz = PortGroup(
        vswitch="vSwitch1",
        vlan_id=20,
        policy=NetworkPolicy(security=SecurityPolicy(allow_promiscuous=False)),
        effective_security=SecurityPolicy(allow_promiscuous=False, mac_changes=False, forged_transmits=False),
    )
    network = HostNetwork(
        vswitches={
            "vSwitch0": VSwitch(mtu=1500, uplinks=["vmnic0"]),
            "vSwitch1": VSwitch(mtu=9000, uplinks=["vmnic1"]),
        },
        portgroups={"DMZ": dmz, "Management Network": PortGroup(vswitch="vSwitch0")},
        vmkernel_nics={"vmk0": VmkernelNic(portgroup="Management Network", ip="10.0.0.11", services=["management"])},
    )
    cluster = Cluster(
        id="domain-c7",
        name="Prod",
        datacenter="DC1",
        ha=HAConfig(
            enabled=True,
            host_monitoring="enabled",
            options={"das.isolationaddress0": "10.0.0.1", "das.usedefaultisolationaddress": False},
            heartbeat_datastores=["datastore-11"],
        ),
        drs=DRSConfig(enabled=True, vmotion_rate=3),
        evc_mode="intel-broadwell",
        hosts=["host-21", "host-22"],
        datastores=["datastore-11"],
    )

    def host(object_id: str, name: str, ip: str) -> Host:
        nics = {"vmk0": network.vmkernel_nics["vmk0"].model_copy(update={"ip": ip})}
        return Host(
            id=object_id,
            name=name,
            datacenter="DC1",
            cluster="domain-c7",
            cluster_name="Prod",
            advanced_options={"Syslog.global.logHost": "udp://10.0.0.5:514", "UserVars.SuppressShellWarning": 0},
            network=network.model_copy(update={"vmkernel_nics": nics}),
            services={"TSM-SSH": Service(label="SSH", running=False, policy="off"), "ntpd": Service(running=True)},
            lockdown_mode="lockdownDisabled",
            ntp_servers=["0.pool.ntp.org", "1.pool.ntp.org"],
            syslog_target="udp://10.0.0.5:514",
            ha_state="connectedToMaster",
            datastores=["datastore-11"],
        )

    cdrom = Device(
        key=3002,
        type="VirtualCdrom",
        connected=False,
        start_connected=False,
        backing=Backing(type="VirtualCdromIsoBackingInfo", file_name="[ds1] iso/linux.iso", datastore="datastore-11"),
    )
    nic = Device(
        key=4000,
        type="VirtualVmxnet3",
        connected=True,
        backing=Backing(type="VirtualEthernetCardNetworkBackingInfo", network="DMZ"),
    )

    def vm(object_id: str, name: str, host_id: str) -> VM:
        return VM(
            id=object_id,
            name=name,
            datacenter="DC1",
            cluster="domain-c7",
            host=host_id,
            datastores=["datastore-11"],
            power_state="poweredOn",
            guest_id="ubuntu64Guest",
            is_64bit=True,
            hardware_version="vmx-19",
            cpu=VmCpu(count=2, cores_per_socket=1),
            memory=Memory(size_mb=4096),
            devices={"CD/DVD drive 1": cdrom, "Network adapter 1": nic},
            networks=["DMZ"],
        )

    snapshot = Snapshot(
        manifest=Manifest(
            tool_version="0.1.0",
            vcenter=VCenterInfo(name=vcenter, url=f"https://{vcenter}/sdk", version="8.0.2"),
            started_at=started_at,
            finished_at=started_at.replace("03:00:00", "03:01:00"),
            round_trips=12,
        ),
        clusters={"domain-c7": cluster},
        hosts={
            "host-21": host("host-21", "esx01.example.com", "10.0.0.11"),
            "host-22": host("host-22", "esx02.example.com", "10.0.0.12"),
        },
        vms={
            "vm-31": vm("vm-31", "web01", "host-21"),
            "vm-32": vm("vm-32", "web01", "host-22"),
            "vm-33": vm("vm-33", "db01", "host-22"),
        },
        dvswitches={
            "dvs-41": DvSwitch(
                id="dvs-41",
                name="dvs-prod",
                datacenter="DC1",
                hosts=["host-21", "host-22"],
                portgroups={"dvDMZ": DvPortgroup(key="dvportgroup-42", vlan=Vlan(type="vlan", vlan_id=20))},
            )
        },
        datastores={
            "datastore-11": Datastore(
                id="datastore-11", name="ds1", datacenter="DC1", type="VMFS", hosts=["host-21", "host-22"]
            )
        },
    )
    return snapshot.with_counts()
