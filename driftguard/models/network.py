"""Network policy pieces shared by standard and distributed switches."""

from __future__ import annotations

from driftguard.models.base import Model


class SecurityPolicy(Model):
    """Layer-2 security policy. On a portgroup override, None means "inherit from the vSwitch"."""

    allow_promiscuous: bool | None = None
    mac_changes: bool | None = None
    forged_transmits: bool | None = None


class TeamingPolicy(Model):
    policy: str | None = None
    active_nics: list[str] = []
    standby_nics: list[str] = []
    notify_switches: bool | None = None
    rolling_order: bool | None = None
    failure_detection: str | None = None
    """``beacon`` or ``link`` (from ``failureCriteria.checkBeacon``)."""


class ShapingPolicy(Model):
    enabled: bool | None = None
    average_bandwidth: int | None = None
    peak_bandwidth: int | None = None
    burst_size: int | None = None


class NetworkPolicy(Model):
    """``HostNetworkPolicy``: security, teaming and traffic shaping."""

    security: SecurityPolicy = SecurityPolicy()
    teaming: TeamingPolicy | None = None
    shaping: ShapingPolicy | None = None
