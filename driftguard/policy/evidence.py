"""The evidence rules (``DG-EVIDENCE-*``) on imported vm-support bundles, through the ordinary engine.

``import-bundle`` normalises each host bundle into :class:`~driftguard.models.HostEvidence` and
:class:`~driftguard.models.BundleLogs`, then calls :func:`evidence_findings`: the rules tagged ``evidence`` run
with the rule configuration (parameters, ``enabled``) like any other rule, and their findings go into the
evidence file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from driftguard.models import BundleLogs, EvidenceParams, Finding, Manifest, Snapshot, VCenterInfo
from driftguard.policy.base import Rule
from driftguard.policy.context import RuleContext
from driftguard.policy.engine import RuleConfig, plan, run
from driftguard.policy.registry import all_rules

EVIDENCE_TAG = "evidence"

__all__ = ["EVIDENCE_TAG", "EvidenceParams", "evidence_findings", "evidence_rules"]


def evidence_rules(catalogue: Mapping[str, Rule] | None = None) -> dict[str, Rule]:
    """The rules that read bundle logs (tagged ``evidence``), in catalogue order."""
    rules = all_rules() if catalogue is None else catalogue
    return {rule_id: rule for rule_id, rule in rules.items() if EVIDENCE_TAG in rule.tags}


def evidence_findings(
    bundles: Sequence[BundleLogs],
    config: RuleConfig | None = None,
    *,
    catalogue: Mapping[str, Rule] | None = None,
) -> list[Finding]:
    """Every finding of the evidence rules on ``bundles``, ordered as ``check`` orders findings.

    ``config`` is a rule configuration (``{"DG-EVIDENCE-001": {"params": {"threshold": 5}}}``, e.g.
    :meth:`EvidenceParams.rule_config`); raises :class:`~driftguard.policy.RuleConfigError` when it is invalid.
    """
    rules = evidence_rules(catalogue)
    planned = plan(rules, {k: v for k, v in (config or {}).items() if k in rules})
    vcenters = sorted({b.vcenter for b in bundles}) or ["_bundles"]
    snapshot = _no_inventory(vcenters[0])
    return run(snapshot, RuleContext.build(snapshot, bundles=bundles), planned)


def _no_inventory(vcenter: str) -> Snapshot:
    # The evidence rules read only the bundles; the engine's contract still hands every rule a snapshot.
    info = VCenterInfo(name=vcenter, url="")
    return Snapshot(manifest=Manifest(tool_version="", vcenter=info))
