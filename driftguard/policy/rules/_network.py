"""Shared helpers of the network-isolation rules."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from driftguard.models import Host, VmkernelNic

VM_TRAFFIC = "VM traffic"


def sharing(
    host: Host, nic: VmkernelNic, service: str, vm_labels: AbstractSet[str], other_services: tuple[str, ...]
) -> list[str]:
    """What shares the vSwitch/portgroup of ``nic`` on ``host``: other services' vmknics and VM portgroups."""
    problems: list[str] = []
    extra = sorted(set(nic.services) & set(other_services))
    if extra:
        problems.append(f"the same VMkernel port also carries {', '.join(extra)}")
    if nic.portgroup is None:
        return problems
    pg = host.network.portgroups.get(nic.portgroup)
    if pg is None:
        return problems
    same_switch = {name for name, other in host.network.portgroups.items() if other.vswitch == pg.vswitch}
    vm_pgs = sorted(same_switch & vm_labels)
    if vm_pgs:
        problems.append(f"vSwitch {pg.vswitch} also carries VM networks {', '.join(repr(p) for p in vm_pgs)}")
    for device, other in sorted(host.network.vmkernel_nics.items()):
        if other is nic or other.portgroup not in same_switch:
            continue
        shared = sorted(set(other.services) & set(other_services) - {service})
        if shared:
            problems.append(f"vSwitch {pg.vswitch} also carries {', '.join(shared)} ({device})")
    return problems
