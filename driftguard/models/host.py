"""ESXi host configuration (paths in shared/reference/vsphere-api.md §6-8)."""

from __future__ import annotations

from typing import Literal

from driftguard.models.base import ManagedObject, Model, Scalar
from driftguard.models.network import NetworkPolicy, SecurityPolicy


class Product(Model):
    """``summary.config.product``: ESXi version and build."""

    name: str | None = None
    version: str | None = None
    build: str | None = None
    api_version: str | None = None


class Evc(Model):
    current_mode: str | None = None
    max_mode: str | None = None


class Cpu(Model):
    """CPU identity, for vMotion compatibility (vendor and generation)."""

    vendor: str | None = None
    model: str | None = None
    packages: int | None = None
    cores: int | None = None


class VSwitch(Model):
    """A standard vSwitch, keyed by name."""

    mtu: int | None = None
    num_ports: int | None = None
    uplinks: list[str] = []
    """Physical NIC devices bridged to it (``vmnic0``); empty means a private (internal-only) vSwitch."""
    policy: NetworkPolicy = NetworkPolicy()


class PortGroup(Model):
    """A standard portgroup, keyed by name."""

    vswitch: str
    vlan_id: int = 0
    """0 none, 1-4094 VLAN, 4095 trunk."""
    policy: NetworkPolicy = NetworkPolicy()
    """The override (``spec.policy``); None fields inherit."""
    effective_security: SecurityPolicy = SecurityPolicy()
    """``computedPolicy.security``: what the portgroup really enforces."""


class VmkernelNic(Model):
    """A VMkernel port, keyed by device (``vmk0``)."""

    portgroup: str | None = None
    """Standard portgroup name; None when on a distributed switch."""
    dvs_portgroup: str | None = None
    """Distributed portgroup key when on a distributed switch."""
    ip: str | None = None
    subnet_mask: str | None = None
    dhcp: bool | None = None
    mtu: int | None = None
    netstack: str | None = None
    services: list[str] = []
    """nicTypes this vmknic is selected for (``management``, ``vmotion``, ``faultToleranceLogging``, ``vsan``...)."""


class PhysicalNic(Model):
    driver: str | None = None
    mac: str | None = None
    configured_speed_mb: int | None = None
    """Configured link speed; None means auto-negotiate. The negotiated speed is runtime state, not config."""


class HostNetwork(Model):
    vswitches: dict[str, VSwitch] = {}
    portgroups: dict[str, PortGroup] = {}
    vmkernel_nics: dict[str, VmkernelNic] = {}
    physical_nics: dict[str, PhysicalNic] = {}


class Service(Model):
    """A host service (``config.service.service[]``), keyed by its key (``TSM-SSH``, ``TSM``, ``ntpd``)."""

    label: str | None = None
    running: bool | None = None
    policy: str | None = None


class AgentFile(Model):
    """One HA agent configuration file (``/etc/opt/vmware/fdm/...``), keyed by absolute path."""

    sha256: str
    size: int
    mode: str | None = None
    text: str | None = None
    """Decoded text with secrets redacted; None for binary content."""
    binary: bool = False


class HAAgent(Model):
    """HA agent evidence from the host side. Filled by host-file sources (SSH, vm-support bundles)."""

    source: Literal["ssh", "bundle"] | None = None
    files: dict[str, AgentFile] = {}


class Host(ManagedObject):
    """A ``HostSystem``."""

    kind: Literal["host"] = "host"
    datacenter: str | None = None
    cluster: str | None = None
    """Cluster id; None for a standalone host."""
    cluster_name: str | None = None
    product: Product = Product()
    evc: Evc = Evc()
    cpu: Cpu = Cpu()
    advanced_options: dict[str, Scalar] = {}
    network: HostNetwork = HostNetwork()
    services: dict[str, Service] = {}
    lockdown_mode: str | None = None
    ntp_servers: list[str] = []
    syslog_target: str | None = None
    """``Syslog.global.logHost`` (comma-separated targets) as configured."""
    ha_state: str | None = None
    """``runtime.dasHostState.state`` (``master``, ``connectedToMaster`` ...)."""
    ha_agent: HAAgent = HAAgent()
    datastores: list[str] = []
    """Mounted datastore ids, sorted."""
