"""The rule registry: the built-in catalogue, listed explicitly, plus rules other packages register under the
``driftguard.rules`` entry-point group.

A third-party package declares, in its ``pyproject.toml``::

    [project.entry-points."driftguard.rules"]
    acme-net-001 = "acme_driftguard.rules:AcmeNet001"

where ``AcmeNet001`` subclasses :class:`driftguard.policy.Rule`. Entry points are loaded only when the catalogue
is asked for, never at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import entry_points

from driftguard.policy.base import RULE_ID, RULE_NAME, SECTIONS, Rule
from driftguard.policy.rules.dpm_enabled import DpmEnabled
from driftguard.policy.rules.drs_aggressive import DrsAggressive
from driftguard.policy.rules.failover_after_drift import FailoverAfterDrift
from driftguard.policy.rules.failover_commingling import FailoverCommingling
from driftguard.policy.rules.ha_agent_log_errors import HaAgentLogErrors
from driftguard.policy.rules.ha_agent_unexplained import HaAgentUnexplained
from driftguard.policy.rules.ha_capacity_unreserved import HaCapacityUnreserved
from driftguard.policy.rules.ha_isolation_address import HaIsolationAddress
from driftguard.policy.rules.ha_reservation_blocks_restart import HaReservationBlocksRestart
from driftguard.policy.rules.ha_sensitivity import HaSensitivity
from driftguard.policy.rules.host_named_by_ip import HostNamedByIp
from driftguard.policy.rules.management_network_shared import ManagementNetworkShared
from driftguard.policy.rules.migration_churn import MigrationChurn
from driftguard.policy.rules.portgroup_labels import PortgroupLabels
from driftguard.policy.rules.portgroup_security import PortgroupSecurity
from driftguard.policy.rules.private_vswitch_split import PrivateVswitchSplit
from driftguard.policy.rules.scsi_reservation_burst import ScsiReservationBurst
from driftguard.policy.rules.svmotion_blockers import SvmotionBlockers
from driftguard.policy.rules.unattributed_change import UnattributedChange
from driftguard.policy.rules.vmotion_blockers import VmotionBlockers
from driftguard.policy.rules.vmotion_network_shared import VmotionNetworkShared
from driftguard.policy.rules.vswitch_compression import VswitchCompression
from driftguard.policy.rules.zone_datastore import ZoneCommingledDatastore
from driftguard.policy.rules.zone_host import ZoneCommingledHost
from driftguard.policy.rules.zone_vswitch import ZoneCommingledVswitch

ENTRY_POINT_GROUP = "driftguard.rules"

BUILTIN: tuple[type[Rule], ...] = (
    VmotionBlockers,
    SvmotionBlockers,
    PortgroupLabels,
    VswitchCompression,
    PrivateVswitchSplit,
    VmotionNetworkShared,
    ManagementNetworkShared,
    PortgroupSecurity,
    ZoneCommingledHost,
    ZoneCommingledDatastore,
    ZoneCommingledVswitch,
    FailoverCommingling,
    HaIsolationAddress,
    HaSensitivity,
    HaCapacityUnreserved,
    HaReservationBlocksRestart,
    HostNamedByIp,
    DpmEnabled,
    DrsAggressive,
    UnattributedChange,
    HaAgentUnexplained,
    MigrationChurn,
    FailoverAfterDrift,
    ScsiReservationBurst,
    HaAgentLogErrors,
)
"""The seed chapter's catalogue, in documentation order."""


class RegistryError(ValueError):
    """A rule class is malformed or two rules claim one id."""


def validate_rule(cls: object, origin: str) -> type[Rule]:
    """Check the class attributes and docstring of a rule class; returns it typed."""
    if not (isinstance(cls, type) and issubclass(cls, Rule)):
        raise RegistryError(f"{origin}: {cls!r} is not a driftguard.policy.Rule subclass")
    for attr in ("id", "name", "severity"):
        if not isinstance(getattr(cls, attr, None), str):
            raise RegistryError(f"{origin}: rule class {cls.__name__} has no {attr}")
    if not RULE_ID.match(cls.id):
        raise RegistryError(f"{origin}: rule id {cls.id!r} must look like DG-AREA-001")
    if not RULE_NAME.match(cls.name):
        raise RegistryError(f"{origin}: rule name {cls.name!r} must be a lower-case slug")
    doc = cls.doc()
    missing = [s for s in SECTIONS if not doc.sections.get(s)]
    if not doc.title or missing:
        raise RegistryError(f"{origin}: rule {cls.id} docstring lacks {', '.join(missing) or 'a title'}")
    return cls


def history_event_types(rules: Mapping[str, Rule]) -> frozenset[str]:
    """Every event type / task id (globs) that ``rules`` read from the history, with default parameters."""
    return frozenset(t for rule in rules.values() for t in rule.history_events(rule.Params()))


def builtin_rules() -> dict[str, Rule]:
    return {cls.id: cls() for cls in BUILTIN}


def plugin_rules() -> dict[str, Rule]:
    """Rules registered by installed packages under :data:`ENTRY_POINT_GROUP`."""
    out: dict[str, Rule] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = ep.load()
        except Exception as exc:  # any failure to import a plugin is that plugin's error, reported as such
            raise RegistryError(f"entry point {ep.name} = {ep.value}: cannot load: {exc}") from exc
        cls = validate_rule(loaded, f"entry point {ep.name} = {ep.value}")
        if cls.id in out:
            raise RegistryError(f"entry point {ep.name}: rule id {cls.id} is registered twice")
        out[cls.id] = cls()
    return out


def all_rules(include_plugins: bool = True) -> dict[str, Rule]:
    """The catalogue: built-in rules first, then plugins (sorted by id). A plugin may not reuse a built-in id."""
    rules = builtin_rules()
    if include_plugins:
        for rule_id, rule in sorted(plugin_rules().items()):
            if rule_id in rules:
                raise RegistryError(f"plugin rule {rule_id} reuses the id of a built-in rule")
            rules[rule_id] = rule
    return rules
