"""The policy stage: the seed chapter's rule catalogue (one module per rule), its registry and engine.

Rules are pure: ``check(snapshot, context, params)`` reads the snapshot, the drift and event history in the
context and the zone configuration, and yields findings. Nothing here does I/O or imports another stage.
"""

from driftguard.policy.base import NoParams, Rule, RuleDoc, RuleParams, parse_doc
from driftguard.policy.context import RuleContext, SnapshotIndex
from driftguard.policy.engine import (
    ConfigIssue,
    Planned,
    PolicyError,
    RuleConfig,
    RuleConfigError,
    RuleFailedError,
    RuleSetting,
    at_or_above,
    plan,
    run,
    sort_findings,
)
from driftguard.policy.evidence import EvidenceParams, evidence_findings, evidence_rules
from driftguard.policy.registry import (
    BUILTIN,
    ENTRY_POINT_GROUP,
    RegistryError,
    all_rules,
    history_event_types,
    validate_rule,
)
from driftguard.policy.zones import ZONES_FILE, Zone, ZoneConfig, ZoneConfigError

__all__ = [
    "BUILTIN",
    "ENTRY_POINT_GROUP",
    "ZONES_FILE",
    "ConfigIssue",
    "EvidenceParams",
    "NoParams",
    "Planned",
    "PolicyError",
    "RegistryError",
    "Rule",
    "RuleConfig",
    "RuleConfigError",
    "RuleContext",
    "RuleDoc",
    "RuleFailedError",
    "RuleParams",
    "RuleSetting",
    "SnapshotIndex",
    "Zone",
    "ZoneConfig",
    "ZoneConfigError",
    "all_rules",
    "at_or_above",
    "evidence_findings",
    "evidence_rules",
    "history_event_types",
    "parse_doc",
    "plan",
    "run",
    "sort_findings",
    "validate_rule",
]
