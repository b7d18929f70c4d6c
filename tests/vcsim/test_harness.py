"""The simulator launcher, seen through pyVmomi: preloaded configuration, the extensions, TLS and failure modes."""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl
from pyVmomi.SoapAdapter import SoapStubAdapter

from tests.vcsim import harness
from tests.vcsim.harness import Vcsim

pytestmark = pytest.mark.vcsim

ALICE = "VSPHERE.LOCAL\\alice"
BOB = "VSPHERE.LOCAL\\bob"
PC = vmodl.query.PropertyCollector
ANY_PASSWORD = "any-password"  # the default launcher accepts any non-empty user name and password


@contextlib.contextmanager
def connect(sim: Vcsim, user: str = ALICE, password: str = ANY_PASSWORD) -> Iterator[Any]:
    kwargs: dict[str, Any] = {"host": sim.host, "port": sim.port, "user": user, "pwd": password}
    if sim.tls:
        kwargs["sslContext"] = ssl.create_default_context(cadata=sim.info["cert_pem"])
    else:
        kwargs["protocol"] = "http"
    si = SmartConnect(**kwargs)
    try:
        yield si
    finally:
        Disconnect(si)


def retrieve(si: Any, vimtype: Any, paths: list[str]) -> dict[str, dict[str, Any]]:
    """{name: {path: value}} for every object of ``vimtype``, through one ContainerView + RetrievePropertiesEx."""
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vimtype], True)
    try:
        spec = PC.FilterSpec(
            objectSet=[
                PC.ObjectSpec(
                    obj=view,
                    skip=True,
                    selectSet=[PC.TraversalSpec(name="view", type=vim.view.ContainerView, path="view", skip=False)],
                )
            ],
            propSet=[PC.PropertySpec(type=vimtype, pathSet=["name", *paths])],
        )
        result = content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
        out = {}
        while result:
            for obj in result.objects:
                props = {p.name: p.val for p in obj.propSet}
                props["_obj"] = obj.obj
                out[props["name"]] = props
            result = content.propertyCollector.ContinueRetrievePropertiesEx(result.token) if result.token else None
        return out
    finally:
        view.Destroy()


def by_name(si: Any, vimtype: Any, name: str) -> Any:
    return retrieve(si, vimtype, [])[name]["_obj"]


def newest_events(si: Any, count: int = 10, **filter_args: Any) -> list[Any]:
    return list(si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(maxCount=count, **filter_args)))


def reconfigure_cluster(si: Any, name: str, spec: Any, modify: bool = True) -> Any:
    task = by_name(si, vim.ClusterComputeResource, name).ReconfigureComputeResource_Task(spec=spec, modify=modify)
    WaitForTask(task)
    return task


def das_options(cluster: Any) -> dict[str, Any]:
    return {o.key: o.value for o in cluster.configurationEx.dasConfig.option}


# --- startup line and topology ------------------------------------------------------------------------------------


def test_startup_line_describes_the_server_and_inventory(vcsim: Vcsim) -> None:
    info = vcsim.info
    assert vcsim.url == f"http://127.0.0.1:{vcsim.port}/sdk" and vcsim.tls is False
    assert info["pid"] == vcsim.pid
    assert info["counts"] == {"datacenters": 1, "clusters": 2, "hosts": 7, "standalone_hosts": 1, "vms": 14}
    (dc,) = info["datacenters"]
    assert [c["name"] for c in dc["clusters"]] == ["DC0_C0", "DC0_C1"]
    assert [c["isolation_address"] for c in dc["clusters"]] == ["10.0.0.1", "10.1.0.1"]
    assert [h["name"] for h in dc["clusters"][0]["hosts"]] == ["DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"]
    assert dc["standalone_hosts"][0]["name"] == "DC0_H0" and dc["standalone_hosts"][0]["compute_resource"]
    vms = [vm for c in dc["clusters"] for h in c["hosts"] for vm in h["vms"]]
    assert {vm["network"] for vm in vms} == {"VM Network", "Prod-App", "DC0_DVPG0"}
    assert info["startup_ms"] < 5000


def test_topology_flags(vcsim_factory: Callable[..., Vcsim]) -> None:
    sim = vcsim_factory(datacenters=2, clusters=3, hosts=2, standalone_hosts=0, vms=1)
    assert sim.info["counts"] == {"datacenters": 2, "clusters": 6, "hosts": 12, "standalone_hosts": 0, "vms": 12}
    isolation = [c["isolation_address"] for dc in sim.info["datacenters"] for c in dc["clusters"]]
    assert len(set(isolation)) == 6
    with connect(sim) as si:
        assert len(retrieve(si, vim.HostSystem, [])) == 12
        assert len(retrieve(si, vim.VirtualMachine, [])) == 12


# --- preloaded configuration --------------------------------------------------------------------------------------


def test_preloaded_cluster_configuration(vcsim: Vcsim) -> None:
    with connect(vcsim) as si:
        clusters = retrieve(si, vim.ClusterComputeResource, ["configurationEx", "summary"])
    assert sorted(clusters) == ["DC0_C0", "DC0_C1"]
    for n, name in enumerate(sorted(clusters)):
        cfg, summary = clusters[name]["configurationEx"], clusters[name]["summary"]
        das = cfg.dasConfig
        assert das.enabled is True and das.admissionControlEnabled is True and das.hostMonitoring == "enabled"
        assert isinstance(das.admissionControlPolicy, vim.cluster.FailoverLevelAdmissionControlPolicy)
        assert das.admissionControlPolicy.failoverLevel == 1
        assert das.defaultVmSettings.isolationResponse == "powerOff"
        assert das.defaultVmSettings.restartPriority == "medium"
        assert {o.key: o.value for o in das.option} == {
            "das.isolationaddress0": f"10.{n}.0.1",
            "das.usedefaultisolationaddress": "false",
        }
        assert cfg.drsConfig.enabled is True and cfg.drsConfig.defaultVmBehavior == "fullyAutomated"
        assert cfg.drsConfig.vmotionRate == 3
        assert cfg.dpmConfigInfo.enabled is False
        assert summary.currentEVCModeKey == "intel-broadwell"


def test_preloaded_host_configuration(vcsim: Vcsim) -> None:
    paths = ["summary", "runtime.dasHostState", "config", "configManager.networkSystem", "configManager.advancedOption"]
    with connect(vcsim) as si:
        hosts = retrieve(si, vim.HostSystem, paths)
        vmotion_ips = set()
        for name, h in hosts.items():
            cfg = h["config"]
            assert h["summary"].currentEVCModeKey == "intel-broadwell"
            assert h["summary"].maxEVCModeKey == "intel-skylake"
            if name != "DC0_H0":  # cluster hosts only
                assert h["runtime.dasHostState"].state == "connectedToMaster"
            assert cfg.dateTimeInfo.ntpConfig.server == ["0.pool.ntp.org", "1.pool.ntp.org"]
            assert cfg.lockdownMode == "lockdownNormal"
            ssh = {s.key: s for s in cfg.service.service}["TSM-SSH"]
            assert ssh.running is True and ssh.policy == "on"

            net = cfg.network
            pgs = {pg.spec.name: pg for pg in net.portgroup}
            assert pgs["vMotion"].spec.vlanId == 20 and pgs["Prod-App"].spec.vlanId == 100
            assert pgs["vMotion"].key == "key-vim.host.PortGroup-vMotion"
            assert "key-vim.host.PortGroup-Prod-App" in net.vswitch[0].portgroup
            vmk1 = {v.device: v for v in net.vnic}["vmk1"]
            assert vmk1.portgroup == "vMotion"
            vmotion_ips.add(vmk1.spec.ip.ipAddress)
            netcfg = {c.nicType: c for c in cfg.virtualNicManagerInfo.netConfig}
            assert list(netcfg["vmotion"].selectedVnic) == ["vmotion.key-vim.host.VirtualNic-vmk1"]

            # networkSystem.networkInfo is the same configuration as host.config.network
            info = h["configManager.networkSystem"].networkInfo
            assert [pg.key for pg in info.portgroup] == [pg.key for pg in net.portgroup]

            options = h["configManager.advancedOption"].QueryOptions("Syslog.global.logHost")
            assert [(o.key, o.value) for o in options] == [("Syslog.global.logHost", "udp://10.0.0.5:514")]
        assert len(vmotion_ips) == len(hosts) == 7


def test_datastores_have_stable_vcenter_style_morefs(vcsim: Vcsim) -> None:
    # vcsim names a local datastore after its random temporary directory; the launcher renames it.
    (ds_info,) = vcsim.info["datacenters"][0]["datastores"]
    assert ds_info["name"] == "LocalDS_0" and ds_info["moref"].startswith("datastore-")
    with connect(vcsim) as si:
        datastores = retrieve(si, vim.Datastore, ["host", "summary.datastore", "vm"])
        dc = si.content.rootFolder.childEntity[0]
        folder_children = [d._moId for d in dc.datastoreFolder.childEntity]
    ds = datastores["LocalDS_0"]
    assert ds["_obj"]._moId == ds["summary.datastore"]._moId == ds_info["moref"]
    assert folder_children == [ds_info["moref"]]
    assert len(ds["host"]) == 7 and len(ds["vm"]) == 14


def test_advanced_options_are_per_host(vcsim: Vcsim) -> None:
    # vcsim shares the default OptionValue objects between hosts; the launcher gives each host its own.
    with connect(vcsim) as si:
        hosts = retrieve(si, vim.HostSystem, ["configManager.advancedOption"])
        first, second = (hosts[n]["configManager.advancedOption"] for n in ("DC0_C0_H0", "DC0_C0_H1"))
        first.UpdateOptions(changedValue=[vim.option.OptionValue(key="Config.HostAgent.log.level", value="verbose")])
        assert first.QueryOptions("Config.HostAgent.log.level")[0].value == "verbose"
        assert second.QueryOptions("Config.HostAgent.log.level")[0].value == "info"


def test_preloaded_vm_devices(vcsim: Vcsim) -> None:
    with connect(vcsim) as si:
        vms = retrieve(si, vim.VirtualMachine, ["config.hardware.device", "config.cpuFeatureMask", "network"])
    assert len(vms) == 14
    backings = {}
    for name, vm in vms.items():
        devices = vm["config.hardware.device"]
        (cdrom,) = [d for d in devices if isinstance(d, vim.vm.device.VirtualCdrom)]
        assert isinstance(cdrom.backing, vim.vm.device.VirtualCdrom.AtapiBackingInfo)
        assert cdrom.connectable.connected is True
        (nic,) = [d for d in devices if isinstance(d, vim.vm.device.VirtualEthernetCard)]
        backings[name] = nic.backing
        assert vm["config.cpuFeatureMask"], name
    standard = {
        b.deviceName for b in backings.values() if isinstance(b, vim.vm.device.VirtualEthernetCard.NetworkBackingInfo)
    }
    assert standard == {"VM Network", "Prod-App"}
    assert any(
        isinstance(b, vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo) for b in backings.values()
    )


# --- vcsim's own behaviour the tests rely on ----------------------------------------------------------------------


def test_reconfig_vm_event_carries_the_session_user(vcsim: Vcsim) -> None:
    with connect(vcsim, ALICE) as si:
        vm = by_name(si, vim.VirtualMachine, "DC0_C0_H0_VM0")
        WaitForTask(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(numCPUs=4)))
        (event,) = newest_events(si, 1, eventTypeId=["VmReconfiguredEvent"])
    assert isinstance(event, vim.event.VmReconfiguredEvent)
    assert event.userName == ALICE and event.vm.name == "DC0_C0_H0_VM0" and event.configSpec.numCPUs == 4


# --- extension: cluster reconfiguration ---------------------------------------------------------------------------


def test_cluster_das_option_change_is_applied_and_attributed(vcsim: Vcsim) -> None:
    spec = vim.cluster.ConfigSpecEx(
        dasConfig=vim.cluster.DasConfigInfo(
            option=[vim.option.OptionValue(key="das.isolationaddress0", value="10.0.0.2")]
        )
    )
    with connect(vcsim, ALICE) as si:
        task = reconfigure_cluster(si, "DC0_C0", spec)
        cluster = by_name(si, vim.ClusterComputeResource, "DC0_C0")
        assert das_options(cluster) == {"das.isolationaddress0": "10.0.0.2", "das.usedefaultisolationaddress": "false"}
        assert cluster.configurationEx.dasConfig.enabled is True  # modify=True keeps what the spec leaves unset
        (event,) = newest_events(si, 1, eventTypeId=["ClusterReconfiguredEvent"])
        info = task.info
    assert isinstance(event, vim.event.ClusterReconfiguredEvent)
    assert event.userName == ALICE
    assert event.computeResource.name == "DC0_C0" and event.datacenter.name == "DC0"
    assert event.configChanges.modified.splitlines()[0] == (
        'configurationEx.dasConfig.option("das.isolationaddress0").value: "10.0.0.1" -> "10.0.0.2"; '
    )
    assert not event.configChanges.added and not event.configChanges.deleted
    assert event.fullFormattedMessage.startswith("Reconfigured cluster DC0_C0 in datacenter DC0.")
    assert info.state == "success" and info.descriptionId == "ClusterComputeResource.reconfigureEx"
    assert info.reason.userName == ALICE and info.entityName == "DC0_C0"
    assert info.eventChainId == event.chainId == event.key


def change_lines(text: str | None) -> list[str]:
    return [line.rstrip("; ") for line in (text or "").splitlines() if line.strip()]


def test_cluster_reconfigure_merges_options_and_reports_each_change(vcsim: Vcsim) -> None:
    spec = vim.cluster.ConfigSpecEx(
        dasConfig=vim.cluster.DasConfigInfo(
            enabled=False,
            option=[
                vim.option.OptionValue(key="das.isolationaddress1", value="10.9.9.9"),
                vim.option.OptionValue(key="das.usedefaultisolationaddress", value=""),  # empty value removes
            ],
        ),
        drsConfig=vim.cluster.DrsConfigInfo(vmotionRate=5),
    )
    with connect(vcsim, BOB) as si:
        reconfigure_cluster(si, "DC0_C1", spec)
        cluster = by_name(si, vim.ClusterComputeResource, "DC0_C1")
        cfg = cluster.configurationEx
        options = das_options(cluster)
        events = newest_events(si, 2)
    assert options == {"das.isolationaddress0": "10.1.0.1", "das.isolationaddress1": "10.9.9.9"}
    assert cfg.dasConfig.enabled is False and cfg.dasConfig.admissionControlEnabled is True
    assert cfg.drsConfig.vmotionRate == 5 and cfg.drsConfig.defaultVmBehavior == "fullyAutomated"
    reconfigured, disabled = sorted(events, key=lambda e: e.key)
    assert isinstance(disabled, vim.event.DasDisabledEvent) and disabled.userName == BOB
    assert disabled.chainId == reconfigured.chainId == reconfigured.key
    changes = reconfigured.configChanges
    assert change_lines(changes.modified) == [
        "configurationEx.dasConfig.enabled: true -> false",
        "configurationEx.drsConfig.vmotionRate: 3 -> 5",
    ]
    assert change_lines(changes.added) == [
        'configurationEx.dasConfig.option("das.isolationaddress1"): (key = "das.isolationaddress1", value = "10.9.9.9")'
    ]
    assert change_lines(changes.deleted) == [
        'configurationEx.dasConfig.option("das.usedefaultisolationaddress"): '
        '(key = "das.usedefaultisolationaddress", value = "false")'
    ]


def test_cluster_reconfigure_rejects_invalid_values_and_changes_nothing(vcsim: Vcsim) -> None:
    spec = vim.cluster.ConfigSpecEx(
        dasConfig=vim.cluster.DasConfigInfo(enabled=False), drsConfig=vim.cluster.DrsConfigInfo(vmotionRate=9)
    )
    with connect(vcsim) as si:
        before = newest_events(si, 1)[0].key
        with pytest.raises(vmodl.fault.InvalidArgument) as raised:
            reconfigure_cluster(si, "DC0_C0", spec)
        assert raised.value.invalidProperty == "drsConfig.vmotionRate"
        cfg = by_name(si, vim.ClusterComputeResource, "DC0_C0").configurationEx
        assert cfg.dasConfig.enabled is True and cfg.drsConfig.vmotionRate == 3
        assert newest_events(si, 1)[0].key == before


def test_cluster_reconfigure_keeps_vcsims_rule_handling(vcsim: Vcsim) -> None:
    with connect(vcsim) as si:
        vms = retrieve(si, vim.VirtualMachine, ["runtime.host"])
        pair = [vms[n]["_obj"] for n in ("DC0_C0_H0_VM0", "DC0_C0_H1_VM0")]
        rule = vim.cluster.AntiAffinityRuleSpec(name="keep-apart", enabled=True, vm=pair)
        spec = vim.cluster.ConfigSpecEx(rulesSpec=[vim.cluster.RuleSpec(operation="add", info=rule)])
        reconfigure_cluster(si, "DC0_C0", spec)
        cfg = by_name(si, vim.ClusterComputeResource, "DC0_C0").configurationEx
        (event,) = newest_events(si, 1, eventTypeId=["ClusterReconfiguredEvent"])
    (added,) = cfg.rule
    assert added.name == "keep-apart" and cfg.dasConfig.enabled is True
    assert change_lines(event.configChanges.added)[0].startswith(f"configurationEx.rule({added.key}): ")


def test_cluster_reconfigure_replaces_with_modify_false(vcsim: Vcsim) -> None:
    spec = vim.cluster.ConfigSpecEx(drsConfig=vim.cluster.DrsConfigInfo(enabled=True, vmotionRate=2))
    with connect(vcsim) as si:
        reconfigure_cluster(si, "DC0_C0", spec, modify=False)
        cfg = by_name(si, vim.ClusterComputeResource, "DC0_C0").configurationEx
    assert cfg.drsConfig.vmotionRate == 2 and not cfg.drsConfig.defaultVmBehavior
    assert not cfg.dasConfig.enabled and not cfg.dasConfig.option  # not in the spec: reset


# --- extension: host networking -----------------------------------------------------------------------------------


def portgroups(host: Any) -> dict[str, Any]:
    return {pg.spec.name: pg for pg in host.config.network.portgroup}


def test_add_portgroup_on_two_hosts_updates_config_network(vcsim: Vcsim) -> None:
    spec = vim.host.PortGroup.Specification(
        name="DMZ",
        vlanId=300,
        vswitchName="vSwitch0",
        policy=vim.host.NetworkPolicy(security=vim.host.NetworkPolicy.SecurityPolicy(allowPromiscuous=True)),
    )
    with connect(vcsim) as si:
        before = newest_events(si, 1)[0].key
        hosts = [by_name(si, vim.HostSystem, n) for n in ("DC0_C0_H0", "DC0_C1_H2")]
        for host in hosts:
            host.configManager.networkSystem.AddPortGroup(portgrp=spec)  # no DuplicateName on the second host
        for host in hosts:
            pg = portgroups(host)["DMZ"]
            assert pg.key == "key-vim.host.PortGroup-DMZ" and pg.vswitch == "key-vim.host.VirtualSwitch-vSwitch0"
            assert pg.spec.vlanId == 300
            assert pg.computedPolicy.security.allowPromiscuous is True  # the override
            assert pg.computedPolicy.security.forgedTransmits is True  # inherited from vSwitch0
            assert "key-vim.host.PortGroup-DMZ" in host.config.network.vswitch[0].portgroup
            assert "DMZ" in [p.spec.name for p in host.configManager.networkSystem.networkInfo.portgroup]
        (net,) = [n for n in si.content.rootFolder.childEntity[0].network if n.name == "DMZ"]
        assert sorted(h.name for h in net.host) == ["DC0_C0_H0", "DC0_C1_H2"]
        assert all(net in host.network for host in hosts)
        with pytest.raises(vim.fault.AlreadyExists):
            hosts[0].configManager.networkSystem.AddPortGroup(portgrp=spec)
        assert newest_events(si, 1)[0].key == before  # vCenter posts no event for these


def test_update_and_remove_portgroup(vcsim: Vcsim) -> None:
    with connect(vcsim) as si:
        host = by_name(si, vim.HostSystem, "DC0_C0_H1")
        ns = host.configManager.networkSystem
        spec = portgroups(host)["Prod-App"].spec
        spec.vlanId = 101
        ns.UpdatePortGroup(pgName="Prod-App", portgrp=spec)
        assert portgroups(host)["Prod-App"].spec.vlanId == 101
        with pytest.raises(vim.fault.ResourceInUse):
            ns.RemovePortGroup(pgName="vMotion")  # vmk1 lives there
        with pytest.raises(vim.fault.NotFound):
            ns.RemovePortGroup(pgName="no-such-portgroup")
        policy = vim.host.NetworkPolicy()
        ns.AddPortGroup(
            portgrp=vim.host.PortGroup.Specification(name="Temp", vlanId=7, vswitchName="vSwitch0", policy=policy)
        )
        ns.UpdatePortGroup(
            pgName="Temp",
            portgrp=vim.host.PortGroup.Specification(name="Temp2", vlanId=8, vswitchName="vSwitch0", policy=policy),
        )
        assert portgroups(host)["Temp2"].key == "key-vim.host.PortGroup-Temp2" and "Temp" not in portgroups(host)
        ns.RemovePortGroup(pgName="Temp2")
        assert "Temp2" not in portgroups(host)
        assert "key-vim.host.PortGroup-Temp2" not in host.config.network.vswitch[0].portgroup
        assert "Temp2" not in [n.name for n in si.content.rootFolder.childEntity[0].network]  # entity unused: gone


# --- extension: events ----------------------------------------------------------------------------------------------


def test_query_events_returns_the_newest_first(vcsim: Vcsim) -> None:
    with connect(vcsim) as si:
        everything = newest_events(si, 1000)
        keys = [e.key for e in newest_events(si)]  # default maxCount: 10
    assert len(everything) > 20
    assert keys == sorted((e.key for e in everything), reverse=True)[:10]


def test_event_collector_reads_the_whole_history_in_order(vcsim: Vcsim) -> None:
    with connect(vcsim, ALICE) as si:
        vm = by_name(si, vim.VirtualMachine, "DC0_C0_H0_VM1")
        WaitForTask(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(memoryMB=64)))
        em = si.content.eventManager
        all_keys = sorted(e.key for e in newest_events(si, 1000))
        collector = em.CreateCollectorForEvents(vim.event.EventFilterSpec())
        try:
            assert [e.key for e in collector.latestPage] == all_keys[::-1][:10]
            read = []
            while batch := collector.ReadNextEvents(7):
                read.extend(e.key for e in batch)
            assert read == all_keys  # oldest to newest, far more than one page
            collector.ResetCollector()
            assert [e.key for e in collector.ReadPreviousEvents(3)] == all_keys[::-1][10:13]
        finally:
            collector.DestroyCollector()

        only_alice = em.CreateCollectorForEvents(
            vim.event.EventFilterSpec(userName=vim.event.EventFilterSpec.ByUsername(userList=[ALICE]))
        )
        try:
            events = only_alice.ReadNextEvents(1000)
        finally:
            only_alice.DestroyCollector()
    assert {e.userName for e in events} == {ALICE}
    assert {type(e).__name__ for e in events} >= {"vim.event.UserLoginSessionEvent", "vim.event.VmReconfiguredEvent"}


def test_event_filters_time_chain_and_entity(vcsim: Vcsim) -> None:
    with connect(vcsim) as si:
        everything = sorted(newest_events(si, 1000), key=lambda e: e.key)
        middle = everything[len(everything) // 2]
        older = newest_events(si, 1000, time=vim.event.EventFilterSpec.ByTime(endTime=middle.createdTime))
        assert older and all(e.createdTime <= middle.createdTime for e in older)
        chain = newest_events(si, 1000, eventChainId=middle.chainId)
        assert {e.chainId for e in chain} == {middle.chainId}
        host = by_name(si, vim.HostSystem, "DC0_C0_H0")
        cluster = by_name(si, vim.ClusterComputeResource, "DC0_C0")
        on_cluster = newest_events(
            si, 1000, entity=vim.event.EventFilterSpec.ByEntity(entity=cluster, recursion="children")
        )
        assert on_cluster and all(e.host is not None and e.computeResource.name == "DC0_C0" for e in on_cluster)
        on_host = newest_events(si, 1000, entity=vim.event.EventFilterSpec.ByEntity(entity=host, recursion="self"))
        assert on_host and all(e.host.name == "DC0_C0_H0" for e in on_host)


# --- extension: PropertyCollector paging --------------------------------------------------------------------------


def test_retrieve_properties_pages_by_max_objects(vcsim: Vcsim) -> None:
    with connect(vcsim) as si:
        content = si.RetrieveContent()
        pc = content.propertyCollector
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        spec = PC.FilterSpec(
            objectSet=[
                PC.ObjectSpec(
                    obj=view,
                    skip=True,
                    selectSet=[PC.TraversalSpec(name="view", type=vim.view.ContainerView, path="view", skip=False)],
                )
            ],
            propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])],
        )
        whole = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions())
        assert len(whole.objects) == 14 and not whole.token  # no maxObjects: everything at once

        result = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=4))
        pages = [len(result.objects)]
        names = [o.propSet[0].val for o in result.objects]
        while result.token:
            result = pc.ContinueRetrievePropertiesEx(result.token)
            pages.append(len(result.objects))
            names += [o.propSet[0].val for o in result.objects]
        assert pages == [4, 4, 4, 2]
        assert names == [o.propSet[0].val for o in whole.objects]

        first = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=5))
        pc.CancelRetrievePropertiesEx(first.token)
        with pytest.raises(vmodl.fault.InvalidArgument):
            pc.ContinueRetrievePropertiesEx(first.token)
        # A private collector pages the same way.
        private = pc.CreatePropertyCollector()
        try:
            assert private.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=13)).token
        finally:
            private.DestroyPropertyCollector()
        view.Destroy()


# --- TLS, credentials and failure modes ---------------------------------------------------------------------------


def test_tls_serves_https_with_a_fresh_self_signed_certificate(vcsim_factory: Callable[..., Vcsim]) -> None:
    sim = vcsim_factory(tls=True)
    assert sim.url == f"https://127.0.0.1:{sim.port}/sdk" and sim.tls is True
    # No trust store knows the certificate ...
    conn = http.client.HTTPSConnection(sim.host, sim.port, context=ssl.create_default_context(), timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        conn.request("GET", "/sdk/vimServiceVersions.xml")
    conn.close()
    # ... but pinning it works, and it is the one the startup line describes.
    der = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate((sim.host, sim.port)))
    assert der == ssl.PEM_cert_to_DER_cert(sim.info["cert_pem"])
    with connect(sim) as si:
        assert si.content.about.apiType == "VirtualCenter"
    other = vcsim_factory(tls=True)
    assert other.info["cert_sha256"] != sim.info["cert_sha256"]  # a new certificate per launch


def test_username_and_password_flags_restrict_login(vcsim_factory: Callable[..., Vcsim]) -> None:
    sim = vcsim_factory(username="administrator@vsphere.local", password="correct-horse")
    assert sim.info["any_login"] is False and sim.username == "administrator@vsphere.local"
    # Not SmartConnect: on a failed login it leaves its socket open (a ResourceWarning, an error under
    # filterwarnings=error). A stub of our own can drop its connections.
    stub = SoapStubAdapter(host=sim.host, port=-sim.port, version="vim.version.version11")  # port < 0: http
    try:
        content = vim.ServiceInstance("ServiceInstance", stub).RetrieveContent()
        with pytest.raises(vim.fault.InvalidLogin):
            content.sessionManager.Login(sim.username, "wrong")
    finally:
        stub.DropConnections()
    with connect(sim, sim.username, sim.password) as si:
        assert si.content.sessionManager.currentSession.userName == sim.username


def test_stop_after_requests_kills_the_server_mid_session(vcsim_factory: Callable[..., Vcsim]) -> None:
    sim = vcsim_factory(stop_after_requests=5)
    si = SmartConnect(host=sim.host, port=sim.port, user="u", pwd="p", protocol="http")  # several requests
    answered = 0
    try:
        with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
            for _ in range(10):
                si.content.rootFolder.childEntity  # one RetrievePropertiesEx each  # noqa: B018
                answered += 1
    finally:
        si._stub.DropConnections()  # the session is dead; close the socket instead of leaking it
    assert 0 < answered < 5  # the 5th request was answered in full, the next one was not
    assert sim.wait(timeout=10) == harness.EXIT_STOP_AFTER_REQUESTS
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((sim.host, sim.port), timeout=5)
    assert "stop-after-requests" in sim.stderr()


def test_sigterm_exits_cleanly(vcsim_factory: Callable[..., Vcsim]) -> None:
    sim = vcsim_factory()
    with connect(sim):
        pass
    workdir = sim._workdir
    assert any(workdir.glob("govcsim-*"))  # vcsim's datastore directories live in the per-launch TMPDIR
    assert sim.stop() == 0
    assert "shutting down" in sim.stderr()
    assert not workdir.exists()


def test_kill_is_abrupt_and_cleans_up(vcsim_factory: Callable[..., Vcsim]) -> None:
    sim = vcsim_factory()
    assert sim.kill() == -9
    assert not Path(sim._workdir).exists()
    assert sim.stop() == -9  # idempotent


def test_startup_failure_surfaces_stderr(vcsim_binary: Path) -> None:
    with pytest.raises(harness.VcsimError, match="-datacenters must be at least 1"):
        harness.start(vcsim_binary, datacenters=0)


def test_build_is_cached_by_source_digest(vcsim_binary: Path) -> None:
    mtime = vcsim_binary.stat().st_mtime_ns
    assert harness.build() == vcsim_binary
    assert vcsim_binary.stat().st_mtime_ns == mtime
    assert harness.DIGEST_FILE.read_text().strip() == harness.source_digest()


def test_parent_death_stops_the_simulator(vcsim_binary: Path) -> None:
    # A Python process starts a simulator and dies without cleaning up: the simulator must not outlive it.
    script = (
        "import os, sys; sys.path.insert(0, sys.argv[1]); from tests.vcsim import harness; "
        "sim = harness.start(harness.Path(sys.argv[2])); print(sim.pid, sim._workdir, flush=True); os._exit(0)"
    )
    repo = Path(harness.__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", script, str(repo), str(vcsim_binary)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    pid_text, workdir = out.stdout.split()
    pid = int(pid_text)
    try:
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid)
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False
