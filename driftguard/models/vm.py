"""Virtual machine configuration that matters for placement, vMotion and security (reference §4-5)."""

from __future__ import annotations

from typing import Literal

from driftguard.models.base import ManagedObject, Model


class CpuIdMask(Model):
    """One ``config.cpuFeatureMask[]`` entry (``HostCpuIdInfo``); keyed by ``"<level>"`` or ``"<level>/<vendor>"``.

    Register strings are ``xxxx:xxxx:...`` with bit 31 leftmost.
    """

    level: int
    vendor: str | None = None
    eax: str | None = None
    ebx: str | None = None
    ecx: str | None = None
    edx: str | None = None


class Cpu(Model):
    count: int | None = None
    cores_per_socket: int | None = None
    reservation_mhz: int | None = None
    limit_mhz: int | None = None
    """-1 means unlimited."""
    shares_level: str | None = None
    shares: int | None = None
    feature_mask: dict[str, CpuIdMask] = {}
    affinity: list[int] = []
    min_required_evc_mode: str | None = None
    feature_requirements: list[str] = []
    """``runtime.featureRequirement``: what the VM needs of a host while powered on, as ``key=value``
    (``cpuid.lm=Bool:Min:1``), sorted."""
    offline_feature_requirements: list[str] = []
    """``runtime.offlineFeatureRequirement``: what it needs to power on, the same way (``cpuid.lm=Num:Match:1``); a
    real vCenter reports both lists, with values that differ for the same key."""
    runtime_feature_mask: dict[str, str] = {}
    """``runtime.featureMask``: the EVC masks applied to the VM as a result of its configuration (per-VM EVC,
    ``ApplyEvcModeVM_Task``, 6.7+), feature key → value (``cpuid.LM`` → ``Val:1``); empty when none apply."""


class Memory(Model):
    size_mb: int | None = None
    reservation_mb: int | None = None
    limit_mb: int | None = None
    shares_level: str | None = None
    shares: int | None = None


class Backing(Model):
    """A device backing, reduced to what decides vMotion/Storage vMotion compatibility."""

    type: str
    """vSphere backing type name (``VirtualCdromAtapiBackingInfo``, ``VirtualDiskFlatVer2BackingInfo``...)."""
    device_name: str | None = None
    file_name: str | None = None
    datastore: str | None = None
    """Datastore id."""
    disk_mode: str | None = None
    thin: bool | None = None
    compatibility_mode: str | None = None
    """RDM ``physicalMode``/``virtualMode``."""
    lun_uuid: str | None = None
    sharing: str | None = None
    network: str | None = None
    """Network label for NIC backings: standard portgroup name, or distributed portgroup name."""
    switch_uuid: str | None = None
    portgroup_key: str | None = None
    service_uri: str | None = None
    """URI backing of serial ports (network serial port)."""


class Device(Model):
    """A virtual device, keyed by its label (``CD/DVD drive 1``) without the blanks vCenter may leave around it
    (``"Keyboard "``); ``key`` is the device key, which also tells apart two devices of the same label."""

    key: int
    type: str
    """vSphere device type name (``VirtualCdrom``, ``VirtualVmxnet3``, ``VirtualSerialPort``...)."""
    controller_key: int | None = None
    unit_number: int | None = None
    connected: bool | None = None
    start_connected: bool | None = None
    backing: Backing | None = None
    capacity_kb: int | None = None
    """Disks only."""
    shared_bus: str | None = None
    """SCSI controllers only (``noSharing``, ``virtualSharing``, ``physicalSharing``)."""
    mac_address: str | None = None
    mac_type: str | None = None


class SnapshotNode(Model):
    """A snapshot, keyed by name (``name (id N)`` when names repeat)."""

    id: int
    name: str
    description: str | None = None
    created: str | None = None
    """ISO 8601 time of creation."""
    state: str | None = None
    parent: str | None = None
    """Key of the parent snapshot in ``VM.snapshots``."""


class VM(ManagedObject):
    """A ``VirtualMachine``."""

    kind: Literal["vm"] = "vm"
    datacenter: str | None = None
    cluster: str | None = None
    """Cluster id."""
    host: str | None = None
    """Host id."""
    datastores: list[str] = []
    """Datastore ids, sorted."""
    template: bool = False
    power_state: str | None = None
    guest_id: str | None = None
    guest_full_name: str | None = None
    is_64bit: bool | None = None
    hardware_version: str | None = None
    instance_uuid: str | None = None
    cpu: Cpu = Cpu()
    memory: Memory = Memory()
    devices: dict[str, Device] = {}
    networks: list[str] = []
    """Network labels of the VM's NICs, sorted."""
    snapshots: dict[str, SnapshotNode] = {}
    current_snapshot: str | None = None
    ft_role: int | None = None
    """Fault Tolerance role (1 primary, 2+ secondary); None when FT is off."""
