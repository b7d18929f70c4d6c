"""Changes made through the real vSphere API, as named users, for the end-to-end tests and `make demo`.

Each function logs in as the given user (the simulator accepts any non-empty password and stamps the session
user on the events it posts: reference gotcha G5) and performs one change the way an administrator's tool would.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

PASSWORD = "any-password-the-simulator-accepts"


@contextlib.contextmanager
def session(url: str, user: str) -> Iterator[Any]:
    """A pyVmomi ServiceInstance logged in as ``user`` on the simulator at ``url`` (http or self-signed https)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    kwargs: dict[str, Any] = {"host": parts.hostname, "port": parts.port, "user": user, "pwd": PASSWORD}
    if parts.scheme == "http":
        kwargs["protocol"] = "http"
    else:
        kwargs["disableSslCertValidation"] = True
    si = SmartConnect(**kwargs)
    try:
        yield si
    finally:
        Disconnect(si)


def _by_name(si: Any, vimtype: Any, name: str) -> Any:
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vimtype], True)
    try:
        spec = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[
                vmodl.query.PropertyCollector.ObjectSpec(
                    obj=view,
                    skip=True,
                    selectSet=[
                        vmodl.query.PropertyCollector.TraversalSpec(
                            name="view", path="view", skip=False, type=vim.view.ContainerView
                        )
                    ],
                )
            ],
            propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vimtype, pathSet=["name"])],
        )
        for oc in content.propertyCollector.RetrieveContents([spec]):
            if oc.propSet[0].val == name:
                return oc.obj
    finally:
        view.Destroy()
    raise LookupError(f"no {vimtype.__name__} named {name!r}")


def names(si: Any, vimtype: Any) -> list[str]:
    """Sorted names of every object of a type."""
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vimtype], True)
    try:
        return sorted(obj.name for obj in view.view)
    finally:
        view.Destroy()


def _wait(task: Any) -> Any:
    from pyVim.task import WaitForTask

    WaitForTask(task)
    return task.info.result


def set_vm_cpus(url: str, user: str, vm_name: str, count: int) -> None:
    with session(url, user) as si:
        vm = _by_name(si, vim.VirtualMachine, vm_name)
        _wait(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(numCPUs=count)))


def set_vm_memory(url: str, user: str, vm_name: str, memory_mb: int) -> None:
    with session(url, user) as si:
        vm = _by_name(si, vim.VirtualMachine, vm_name)
        _wait(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(memoryMB=memory_mb)))


def connect_cdrom_iso(url: str, user: str, vm_name: str, iso: str) -> None:
    """Point the VM's first CD-ROM at an ISO image on a datastore (one ReconfigVM_Task, device edit)."""
    with session(url, user) as si:
        vm = _by_name(si, vim.VirtualMachine, vm_name)
        cdrom = next(d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualCdrom))
        cdrom.backing = vim.vm.device.VirtualCdrom.IsoBackingInfo(fileName=iso)
        cdrom.connectable = vim.vm.device.VirtualDevice.ConnectInfo(
            connected=True, startConnected=True, allowGuestControl=True
        )
        change = vim.vm.device.VirtualDeviceSpec(operation="edit", device=cdrom)
        _wait(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[change])))


def set_das_option(url: str, user: str, cluster_name: str, key: str, value: str) -> None:
    """Change one HA advanced option through ReconfigureComputeResource_Task (modify=True merges options)."""
    with session(url, user) as si:
        cluster = _by_name(si, vim.ClusterComputeResource, cluster_name)
        spec = vim.cluster.ConfigSpecEx(
            dasConfig=vim.cluster.DasConfigInfo(option=[vim.option.OptionValue(key=key, value=value)])
        )
        _wait(cluster.ReconfigureComputeResource_Task(spec=spec, modify=True))


def add_portgroup(url: str, user: str, host_name: str, name: str, vlan: int, vswitch: str = "vSwitch0") -> None:
    """Add a standard portgroup on one host (HostNetworkSystem.AddPortGroup: vCenter posts no event for it)."""
    with session(url, user) as si:
        host = _by_name(si, vim.HostSystem, host_name)
        spec = vim.host.PortGroup.Specification(
            name=name, vlanId=vlan, vswitchName=vswitch, policy=vim.host.NetworkPolicy()
        )
        host.configManager.networkSystem.AddPortGroup(portgrp=spec)


def post_migrations(url: str, user: str, vm_name: str, count: int) -> None:
    """Post ``count`` DRS migration events for a VM (EventManager.PostEvent): vCenter posts them when DRS moves
    a VM, the simulator does not. (vcsim 0.24.2's message template for plain VmMigratedEvent panics the server.)"""
    with session(url, user) as si:
        content = si.RetrieveContent()
        vm = _by_name(si, vim.VirtualMachine, vm_name)
        host = vm.runtime.host
        for _ in range(count):
            event = vim.event.DrsVmMigratedEvent(
                key=0,
                chainId=0,
                createdTime=datetime.now(UTC),
                userName=user,
                vm=vim.event.VmEventArgument(vm=vm, name=vm_name),
                host=vim.event.HostEventArgument(host=host, name=host.name),
                sourceHost=vim.event.HostEventArgument(host=host, name=host.name),
                fullFormattedMessage=f"Migration of {vm_name} completed",
            )
            content.eventManager.PostEvent(eventToPost=event)


def rename_vm(url: str, user: str, vm_name: str, new_name: str) -> None:
    """Rename a VM (ManagedEntity.Rename_Task): the moref stays, the name and the state-repo file change."""
    with session(url, user) as si:
        _wait(_by_name(si, vim.VirtualMachine, vm_name).Rename_Task(newName=new_name))


def move_vm(url: str, user: str, vm_name: str, host_name: str) -> None:
    """Move a VM to another host and its cluster's root resource pool (RelocateVM_Task), e.g. between clusters."""
    with session(url, user) as si:
        vm = _by_name(si, vim.VirtualMachine, vm_name)
        host = _by_name(si, vim.HostSystem, host_name)
        spec = vim.vm.RelocateSpec(host=host, pool=host.parent.resourcePool)
        _wait(vm.RelocateVM_Task(spec=spec))
