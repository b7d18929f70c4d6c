"""Store and diff at estate scale: prints figures and ratios measured in one run (never asserted anywhere).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_store_diff.py [--hosts 2000] [--vms 20000] [--changed 0.01]

Builds a synthetic snapshot (clusters of 16 hosts with HA/DRS options, hosts with portgroups, vmknics and
advanced options, VMs with devices), then times: writing and committing it to a fresh state repo, a run that
changed nothing, a run with ``--changed`` of the VMs and hosts modified, loading it back, and the diff with
hash-first skipping against DeepDiff of every object pair.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from deepdiff import DeepDiff

from driftguard.diff import diff_snapshots
from driftguard.models import (
    VM,
    Backing,
    Cluster,
    Datastore,
    Device,
    DRSConfig,
    DvPortgroup,
    DvSwitch,
    HAConfig,
    Host,
    HostNetwork,
    Manifest,
    Memory,
    NetworkPolicy,
    PhysicalNic,
    PortGroup,
    Product,
    SecurityPolicy,
    Service,
    Snapshot,
    TeamingPolicy,
    VCenterInfo,
    Vlan,
    VmCpu,
    VmkernelNic,
    VSwitch,
)
from driftguard.models.canonical import canonical_bytes
from driftguard.store import StateRepo

T = TypeVar("T")


def timed(label: str, results: dict[str, float], func: Callable[[], T]) -> T:
    start = time.perf_counter()
    value = func()
    results[label] = time.perf_counter() - start
    print(f"  {label:<46} {results[label]:9.2f} s", flush=True)
    return value


def build(hosts: int, vms: int, seed: int = 7) -> Snapshot:
    rng = random.Random(seed)  # noqa: S311  # reproducible synthetic data, not security
    datastores = {
        f"datastore-{i}": Datastore(id=f"datastore-{i}", name=f"ds{i:03}", datacenter="DC1", type="VMFS")
        for i in range(max(1, hosts // 10))
    }
    ds_ids = sorted(datastores)
    cluster_count = max(1, hosts // 16)
    clusters: dict[str, Cluster] = {}
    host_objs: dict[str, Host] = {}
    for c in range(cluster_count):
        cid = f"domain-c{c}"
        members = [f"host-{h}" for h in range(c, hosts, cluster_count)]
        clusters[cid] = Cluster(
            id=cid,
            name=f"cluster-{c:03}",
            datacenter="DC1",
            ha=HAConfig(
                enabled=True,
                host_monitoring="enabled",
                options={f"das.isolationaddress{i}": f"10.{c % 250}.0.{i}" for i in range(3)}
                | {"das.usedefaultisolationaddress": False},
                heartbeat_datastores=sorted(rng.sample(ds_ids, min(2, len(ds_ids)))),
            ),
            drs=DRSConfig(enabled=True, vmotion_rate=3, options={"MinGoodness": 0}),
            evc_mode="intel-broadwell",
            hosts=sorted(members),
            datastores=ds_ids[:20],
        )
    security = SecurityPolicy(allow_promiscuous=False, mac_changes=False, forged_transmits=False)
    for h in range(hosts):
        cid = f"domain-c{h % cluster_count}"
        portgroups = {
            f"VLAN{v}": PortGroup(vswitch="vSwitch1", vlan_id=v, effective_security=security) for v in range(100, 108)
        }
        host_objs[f"host-{h}"] = Host(
            id=f"host-{h}",
            name=f"esx{h:04}.example.com",
            datacenter="DC1",
            cluster=cid,
            cluster_name=clusters[cid].name,
            product=Product(name="VMware ESXi", version="8.0.2", build="22380479"),
            advanced_options={f"Opt.Key{i}": i for i in range(30)} | {"Syslog.global.logHost": "udp://10.0.0.5:514"},
            network=HostNetwork(
                vswitches={
                    "vSwitch0": VSwitch(mtu=1500, uplinks=["vmnic0", "vmnic1"]),
                    "vSwitch1": VSwitch(
                        mtu=9000,
                        uplinks=["vmnic2", "vmnic3"],
                        policy=NetworkPolicy(security=security, teaming=TeamingPolicy(active_nics=["vmnic2"])),
                    ),
                },
                portgroups=portgroups | {"Management Network": PortGroup(vswitch="vSwitch0")},
                vmkernel_nics={
                    f"vmk{i}": VmkernelNic(portgroup="Management Network", ip=f"10.1.{h % 250}.{i}", services=[s])
                    for i, s in enumerate(("management", "vmotion", "vsan"))
                },
                physical_nics={
                    f"vmnic{i}": PhysicalNic(driver="ixgben", mac=f"00:50:56:00:{h % 256:02x}:{i:02x}")
                    for i in range(4)
                },
            ),
            services={
                k: Service(running=k == "ntpd", policy="off") for k in ("TSM-SSH", "TSM", "ntpd", "sfcbd-watchdog")
            },
            lockdown_mode="lockdownDisabled",
            ntp_servers=["0.pool.ntp.org", "1.pool.ntp.org"],
            syslog_target="udp://10.0.0.5:514",
            ha_state="connectedToMaster",
            datastores=ds_ids[:20],
        )
    host_ids = sorted(host_objs)
    vm_objs: dict[str, VM] = {}
    for v in range(vms):
        host = host_objs[host_ids[v % len(host_ids)]]
        ds = rng.choice(ds_ids)
        devices = {
            f"Hard disk {d}": Device(
                key=2000 + d,
                type="VirtualDisk",
                capacity_kb=41943040,
                backing=Backing(
                    type="VirtualDiskFlatVer2BackingInfo",
                    file_name=f"[{ds}] vm{v}/vm{v}_{d}.vmdk",
                    disk_mode="persistent",
                ),
            )
            for d in range(2)
        } | {
            "CD/DVD drive 1": Device(
                key=3002,
                type="VirtualCdrom",
                connected=False,
                backing=Backing(type="VirtualCdromRemotePassthroughBackingInfo"),
            ),
            "Network adapter 1": Device(
                key=4000,
                type="VirtualVmxnet3",
                connected=True,
                backing=Backing(type="VirtualEthernetCardNetworkBackingInfo", network=f"VLAN{100 + v % 8}"),
            ),
            "SCSI controller 0": Device(key=1000, type="ParaVirtualSCSIController", shared_bus="noSharing"),
        }
        vm_objs[f"vm-{v}"] = VM(
            id=f"vm-{v}",
            name=f"app{v:05}",
            datacenter="DC1",
            cluster=host.cluster,
            host=host.id,
            datastores=[ds],
            power_state="poweredOn",
            guest_id="ubuntu64Guest",
            is_64bit=True,
            hardware_version="vmx-19",
            cpu=VmCpu(count=rng.choice((1, 2, 4)), cores_per_socket=1),
            memory=Memory(size_mb=rng.choice((2048, 4096, 8192))),
            devices=devices,
            networks=[f"VLAN{100 + v % 8}"],
        )
    dvswitches = {
        f"dvs-{i}": DvSwitch(
            id=f"dvs-{i}",
            name=f"dvs{i}",
            datacenter="DC1",
            hosts=host_ids[i::10],
            portgroups={
                f"dvpg{p}": DvPortgroup(key=f"dvportgroup-{i}-{p}", vlan=Vlan(type="vlan", vlan_id=p))
                for p in range(20)
            },
        )
        for i in range(10)
    }
    manifest = Manifest(
        tool_version="bench",
        vcenter=VCenterInfo(name="vc-bench.example.com", url="https://vc-bench.example.com/sdk"),
        started_at="2026-01-01T03:00:00+00:00",
        finished_at="2026-01-01T03:05:00+00:00",
    )
    return Snapshot(
        manifest=manifest, clusters=clusters, hosts=host_objs, vms=vm_objs, dvswitches=dvswitches, datastores=datastores
    ).with_counts()


def changed_copy(snapshot: Snapshot, fraction: float, seed: int = 11) -> tuple[Snapshot, int]:
    """The same estate with ``fraction`` of the VMs and hosts modified (memory, a device, an option, a rename)."""
    rng = random.Random(seed)  # noqa: S311  # reproducible synthetic data, not security
    vms = dict(snapshot.vms)
    hosts = dict(snapshot.hosts)
    vm_ids = rng.sample(sorted(vms), max(1, int(len(vms) * fraction)))
    host_ids = rng.sample(sorted(hosts), max(1, int(len(hosts) * fraction)))
    for i, vid in enumerate(vm_ids):
        vm = vms[vid]
        update: dict[str, Any] = {"memory": vm.memory.model_copy(update={"size_mb": (vm.memory.size_mb or 0) * 2})}
        if i % 3 == 0:
            cd = vm.devices["CD/DVD drive 1"].model_copy(update={"connected": True})
            update["devices"] = {**vm.devices, "CD/DVD drive 1": cd}
        if i % 10 == 0:
            update["name"] = vm.name + "-renamed"
        vms[vid] = vm.model_copy(update=update)
    for hid in host_ids:
        host = hosts[hid]
        hosts[hid] = host.model_copy(update={"advanced_options": {**host.advanced_options, "Opt.Key3": 99}})
    later = datetime(2026, 1, 2, 3, 0, tzinfo=UTC)  # a datetime: model_copy does not validate
    manifest = snapshot.manifest.model_copy(update={"started_at": later})
    return snapshot.model_copy(update={"vms": vms, "hosts": hosts, "manifest": manifest}), len(vm_ids) + len(host_ids)


def full_deepdiff(old: Snapshot, new: Snapshot) -> int:
    """DeepDiff of every object pair, no hash-first skipping: the baseline the diff avoids."""
    found = 0
    for kind in ("cluster", "host", "vm", "dvswitch", "datastore"):
        before, after = old.collection(kind), new.collection(kind)  # type: ignore[arg-type]
        for oid in before.keys() & after.keys():
            result = DeepDiff(before[oid].model_dump(mode="json"), after[oid].model_dump(mode="json"), view="tree")
            found += bool(result)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--vms", type=int, default=20000)
    parser.add_argument("--changed", type=float, default=0.01, help="fraction of hosts and VMs modified")
    parser.add_argument("--tmpdir", default=None, help="where the throwaway state repo goes (default: system temp)")
    args = parser.parse_args()

    results: dict[str, float] = {}
    print(f"synthetic estate: {args.hosts} hosts, {args.vms} VMs, {args.changed:.1%} changed")
    snapshot = timed("build models", results, lambda: build(args.hosts, args.vms))
    objects = sum(1 for _ in snapshot.objects())
    changed, n_changed = changed_copy(snapshot, args.changed)
    size = timed(
        "canonical bytes of every object", results, lambda: sum(len(canonical_bytes(o)) for o in snapshot.objects())
    )
    print(f"  {objects} objects, {size / 1e6:.1f} MB canonical JSON, {n_changed} objects changed")

    with tempfile.TemporaryDirectory(dir=args.tmpdir) as tmp, StateRepo.open(Path(tmp) / "state", create=True) as repo:
        timed("write + commit (fresh repo, worktree)", results, lambda: repo.write_snapshot(snapshot, "first"))
        same = snapshot.model_copy(update={"manifest": changed.manifest})
        timed("write, nothing changed (note only)", results, lambda: repo.write_snapshot(same, "same"))
        timed(f"write + commit, {n_changed} objects changed", results, lambda: repo.write_snapshot(changed, "changed"))
        loaded = timed("load HEAD (all objects from git)", results, lambda: repo.load())
        timed(
            "object_hashes HEAD (tree entries only)",
            results,
            lambda: repo.object_hashes("HEAD", "vc-bench.example.com"),
        )
        assert loaded == changed  # correctness of the run, not a timing assert

    items = timed("diff_snapshots (hash-first)", results, lambda: diff_snapshots(snapshot, changed))
    found = timed("DeepDiff of every object pair", results, lambda: full_deepdiff(snapshot, changed))
    print(f"  diff items: {len(items)}; objects DeepDiff found changed: {found}")

    print("ratios and per-object figures (this run):")
    print(f"  load per object                 {results['load HEAD (all objects from git)'] / objects * 1e6:9.1f} µs")
    print(
        f"  first write per object          {results['write + commit (fresh repo, worktree)'] / objects * 1e6:9.1f} µs"
    )
    ratio = results["DeepDiff of every object pair"] / results["diff_snapshots (hash-first)"]
    print(f"  full DeepDiff / hash-first diff {ratio:9.1f} x")
    unchanged = results["write, nothing changed (note only)"] / results["write + commit (fresh repo, worktree)"]
    print(f"  no-change run / first write     {unchanged:9.2f}")


if __name__ == "__main__":
    main()
