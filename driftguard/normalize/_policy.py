"""Network policies of standard (``HostNetworkPolicy``) and distributed (``VMwareDVSPortSetting``) switches."""

from __future__ import annotations

from typing import Any

from driftguard.models import NetworkPolicy, SecurityPolicy, ShapingPolicy, TeamingPolicy
from driftguard.normalize._raw import boolean, dig, integer, nonempty, strings


def host_security(raw: Any) -> SecurityPolicy:
    """``HostNetworkSecurityPolicy``; unset fields stay None (on a portgroup: inherit from the vSwitch)."""
    return SecurityPolicy(
        allow_promiscuous=boolean(dig(raw, "allowPromiscuous")),
        mac_changes=boolean(dig(raw, "macChanges")),
        forged_transmits=boolean(dig(raw, "forgedTransmits")),
    )


def host_policy(raw: Any) -> NetworkPolicy:
    """``HostNetworkPolicy`` of a standard vSwitch or portgroup spec."""
    teaming = dig(raw, "nicTeaming")
    shaping = dig(raw, "shapingPolicy")
    return NetworkPolicy(
        security=host_security(dig(raw, "security")),
        teaming=None
        if teaming is None
        else TeamingPolicy(
            policy=nonempty(dig(teaming, "policy")),
            active_nics=strings(dig(teaming, "nicOrder.activeNic")),
            standby_nics=strings(dig(teaming, "nicOrder.standbyNic")),
            notify_switches=boolean(dig(teaming, "notifySwitches")),
            rolling_order=boolean(dig(teaming, "rollingOrder")),
            failure_detection=_detection(boolean(dig(teaming, "failureCriteria.checkBeacon"))),
        ),
        shaping=None
        if shaping is None
        else ShapingPolicy(
            enabled=boolean(dig(shaping, "enabled")),
            average_bandwidth=integer(dig(shaping, "averageBandwidth")),
            peak_bandwidth=integer(dig(shaping, "peakBandwidth")),
            burst_size=integer(dig(shaping, "burstSize")),
        ),
    )


def dvs_policy(raw: Any) -> NetworkPolicy:
    """``VMwareDVSPortSetting`` (a switch's or portgroup's ``defaultPortConfig``).

    Every DVS setting is wrapped in an ``inherited``/``value`` policy object; we keep the value.
    ``inShapingPolicy`` is the traffic *from* the VMs, the same direction a standard vSwitch shapes, so it
    is the one mapped to ``shaping`` (the model has no field for egress shaping yet).
    """
    security = dig(raw, "securityPolicy")
    teaming = dig(raw, "uplinkTeamingPolicy")
    shaping = dig(raw, "inShapingPolicy")
    return NetworkPolicy(
        security=SecurityPolicy(
            allow_promiscuous=boolean(dig(security, "allowPromiscuous.value")),
            mac_changes=boolean(dig(security, "macChanges.value")),
            forged_transmits=boolean(dig(security, "forgedTransmits.value")),
        ),
        teaming=None
        if teaming is None
        else TeamingPolicy(
            policy=nonempty(dig(teaming, "policy.value")),
            active_nics=strings(dig(teaming, "uplinkPortOrder.activeUplinkPort")),
            standby_nics=strings(dig(teaming, "uplinkPortOrder.standbyUplinkPort")),
            notify_switches=boolean(dig(teaming, "notifySwitches.value")),
            rolling_order=boolean(dig(teaming, "rollingOrder.value")),
            failure_detection=_detection(boolean(dig(teaming, "failureCriteria.checkBeacon.value"))),
        ),
        shaping=None
        if shaping is None
        else ShapingPolicy(
            enabled=boolean(dig(shaping, "enabled.value")),
            average_bandwidth=integer(dig(shaping, "averageBandwidth.value")),
            peak_bandwidth=integer(dig(shaping, "peakBandwidth.value")),
            burst_size=integer(dig(shaping, "burstSize.value")),
        ),
    )


def _detection(check_beacon: bool | None) -> str | None:
    if check_beacon is None:
        return None
    return "beacon" if check_beacon else "link"


__all__ = ["dvs_policy", "host_policy", "host_security"]
