"""DG-HA-005."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from driftguard.models import Finding, Snapshot
from driftguard.policy.base import Rule, RuleParams
from driftguard.policy.context import RuleContext


class HostNamedByIpParams(RuleParams):
    require_fqdn: bool = False
    """Also report short names (no dot): the chapter asks for fully qualified names."""


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


class HostNamedByIp(Rule):
    """Hosts known to vCenter by IP address instead of a fully qualified domain name.

    *Why*: Chapter 5, "Data Commingling" (on HA's configuration failures): "VMware ESX servers need to be added
    to VMware Virtual Center by a fully qualified domain name (FQDN); otherwise, AAM can have issues in proper
    detection of other nodes within the cluster. Each FQDN of the hosts within the cluster needs to be
    resolvable by VC and all virtualization hosts". A host added by IP also defeats certificate name checks and
    makes audit trails harder to read.

    *Non-compliant*: a host named ``10.0.0.21`` in vCenter.

    *Compliant*: ``esx21.example.com``, resolvable forwards and backwards from vCenter and every host.
    """

    id = "DG-HA-005"
    name = "host-known-by-ip"
    severity = "medium"
    tags = ("ha", "identity")
    Params = HostNamedByIpParams

    def check(self, snapshot: Snapshot, context: RuleContext, params: HostNamedByIpParams) -> Iterator[Finding]:
        for host in sorted(snapshot.hosts.values(), key=lambda h: h.name):
            if _is_ip(host.name):
                yield self.finding(snapshot, host, f"host {host.name} is known to vCenter by IP address", path="name")
            elif params.require_fqdn and "." not in host.name:
                yield self.finding(
                    snapshot, host, f"host {host.name} is known by a short name, not an FQDN", path="name"
                )
