"""Category and severity of a drift item: one table, the most specific matching row wins.

A row matches when its kind is the item's kind (or ``*``), its path glob (see :mod:`driftguard.models.patterns`)
matches the item's readable path, and its ``change`` (when set) is the item's change. Specificity is the number
of literal characters of the path glob, then a named kind over ``*``, then a row with ``change`` over one
without; ties go to the earlier row. Nothing matching gives :data:`FALLBACK`.
"""

from __future__ import annotations

from dataclasses import dataclass

from driftguard.models import Change, Severity
from driftguard.models.patterns import glob_match, specificity


@dataclass(frozen=True)
class CategoryRule:
    kind: str
    path: str
    category: str
    severity: Severity
    change: Change | None = None


FALLBACK: tuple[str, Severity] = ("config", "low")

_SECURITY: tuple[str, Severity] = ("network_security", "high")

CATEGORY_RULES: tuple[CategoryRule, ...] = (
    # whole objects and identity
    CategoryRule("*", "", "inventory", "low", change="added"),
    CategoryRule("*", "", "inventory", "medium", change="removed"),
    CategoryRule("*", "name", "identity", "info", change="renamed"),
    # cluster
    CategoryRule("cluster", "ha.*", "ha", "high"),
    CategoryRule("cluster", "drs.*", "drs", "medium"),
    CategoryRule("cluster", "dpm.*", "dpm", "low"),
    CategoryRule("cluster", "evc_mode", "evc", "high"),
    CategoryRule("cluster", "hosts", "membership", "medium"),
    CategoryRule("cluster", "datastores", "storage", "low"),
    # host
    CategoryRule("host", "network*", "network", "medium"),
    CategoryRule("host", "network.portgroups*.policy.security*", *_SECURITY),
    CategoryRule("host", "network.portgroups*.effective_security*", *_SECURITY),
    CategoryRule("host", "network.vswitches*.policy.security*", *_SECURITY),
    CategoryRule("host", "services*", "services", "medium"),
    CategoryRule("host", 'services["TSM-SSH"]*', "access", "high"),
    CategoryRule("host", 'services["TSM"]*', "access", "high"),
    CategoryRule("host", "lockdown_mode", "access", "high"),
    CategoryRule("host", "syslog_target", "logging", "high"),
    CategoryRule("host", 'advanced_options["Syslog.*"]', "logging", "high"),
    CategoryRule("host", "advanced_options*", "advanced_options", "medium"),
    CategoryRule("host", "ntp_servers", "time", "medium"),
    CategoryRule("host", "ha_agent*", "ha_agent", "high"),
    CategoryRule("host", "ha_state", "ha_agent", "info"),
    CategoryRule("host", "evc*", "evc", "high"),
    CategoryRule("host", "product*", "version", "medium"),
    CategoryRule("host", "cluster*", "placement", "low"),
    CategoryRule("host", "datastores", "storage", "low"),
    # vm
    CategoryRule("vm", "cpu.*", "cpu", "medium"),
    CategoryRule("vm", "cpu.feature_mask*", "cpu_mask", "high"),
    CategoryRule("vm", "memory.*", "memory", "medium"),
    CategoryRule("vm", "devices*", "devices", "medium"),
    CategoryRule("vm", "devices*.backing.network", "network", "medium"),
    CategoryRule("vm", "networks", "network", "medium"),
    CategoryRule("vm", "host", "placement", "low"),
    CategoryRule("vm", "cluster", "placement", "low"),
    CategoryRule("vm", "datastores", "placement", "low"),
    CategoryRule("vm", "power_state", "power", "info"),
    CategoryRule("vm", "snapshots*", "snapshots", "low"),
    CategoryRule("vm", "current_snapshot", "snapshots", "low"),
    CategoryRule("vm", "ft_role", "fault_tolerance", "medium"),
    CategoryRule("vm", "hardware_version", "compatibility", "medium"),
    # distributed switches
    CategoryRule("dvswitch", "*", "network", "medium"),
    CategoryRule("dvswitch", "policy.security*", *_SECURITY),
    CategoryRule("dvswitch", "portgroups*.policy.security*", *_SECURITY),
    # datastores
    CategoryRule("datastore", "*", "storage", "low"),
)


def _rank(rule: CategoryRule) -> tuple[int, int, int]:
    return (specificity(rule.path), rule.kind != "*", rule.change is not None)


def categorize(
    kind: str, path: str, change: Change, rules: tuple[CategoryRule, ...] = CATEGORY_RULES
) -> tuple[str, Severity]:
    """(category, severity) of a drift item."""
    best: CategoryRule | None = None
    for rule in rules:
        if rule.kind not in ("*", kind) or (rule.change is not None and rule.change != change):
            continue
        if not glob_match(rule.path, path):
            continue
        if best is None or _rank(rule) > _rank(best):
            best = rule
    return (best.category, best.severity) if best else FALLBACK
