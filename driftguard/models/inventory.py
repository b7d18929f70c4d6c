"""Distributed switches and datastores."""

from __future__ import annotations

from typing import Literal

from driftguard.models.base import ManagedObject, Model
from driftguard.models.network import NetworkPolicy


class Vlan(Model):
    type: Literal["none", "vlan", "trunk", "pvlan"]
    vlan_id: int | None = None
    ranges: list[str] = []
    """Trunk ranges as ``start-end``."""


class DvPortgroup(Model):
    """A distributed portgroup, keyed by name within its switch."""

    key: str
    vlan: Vlan | None = None
    policy: NetworkPolicy = NetworkPolicy()
    num_ports: int | None = None
    binding: str | None = None
    uplink: bool = False


class DvSwitch(ManagedObject):
    """A ``VmwareDistributedVirtualSwitch`` with its portgroups."""

    kind: Literal["dvswitch"] = "dvswitch"
    datacenter: str | None = None
    uuid: str | None = None
    version: str | None = None
    mtu: int | None = None
    uplink_names: list[str] = []
    hosts: list[str] = []
    """Member host ids, sorted."""
    policy: NetworkPolicy = NetworkPolicy()
    portgroups: dict[str, DvPortgroup] = {}


class Datastore(ManagedObject):
    """A ``Datastore``."""

    kind: Literal["datastore"] = "datastore"
    datacenter: str | None = None
    type: str | None = None
    url: str | None = None
    capacity_bytes: int | None = None
    multiple_host_access: bool | None = None
    hosts: list[str] = []
    """Host ids that mount it, sorted."""
