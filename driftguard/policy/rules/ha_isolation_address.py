"""DG-HA-001."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import Finding, Snapshot
from driftguard.policy.base import NoParams, Rule
from driftguard.policy.context import RuleContext
from driftguard.policy.rules._options import ha_clusters, isolation_addresses, option, truthy


class HaIsolationAddress(Rule):
    """HA clusters that do not use the default gateway for isolation detection and name no isolation address.

    *Why*: Chapter 5, "Service Console vswif" and Table 5.1: with ``das.usedefaultisolationaddress`` false "only
    das.isolationaddress will be used to determine isolation"; with none set, a host cut off from the management
    network has nothing to ping, so every heartbeat loss looks like isolation — triggering the isolation response
    ("shut down the running VMs on the now isolated host and boot the VMs on other hosts") from a switch fault,
    "MAC Address spoofing within the physical network, ARP cache poisoning attacks", or a deliberate DoS.

    *Non-compliant*: ``das.usedefaultisolationaddress = false`` and no ``das.isolationaddress0``…``9``.

    *Compliant*: at least one ``das.isolationaddressN`` that is reachable over the management network, or the
    default gateway left in use.
    """

    id = "DG-HA-001"
    name = "ha-isolation-address"
    severity = "high"
    tags = ("ha", "isolation")

    def check(self, snapshot: Snapshot, context: RuleContext, params: NoParams) -> Iterator[Finding]:
        for cluster in ha_clusters(snapshot.clusters):
            found = option(cluster, "das.usedefaultisolationaddress")
            if found is None or truthy(found[1]) or isolation_addresses(cluster):
                continue
            yield self.finding(
                snapshot,
                cluster,
                f"cluster {cluster.name}: HA ignores the default gateway ({found[0]} = {found[1]}) "
                "and has no das.isolationaddress",
                path=f'ha.options["{found[0]}"]',
                evidence={found[0]: found[1]},
            )
