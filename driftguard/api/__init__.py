"""The facade: chains the pipeline stages (collect → normalize → store / diff → attribute) for the CLI and for any
scheduler. Stages never import each other; this package is the only place that knows their order.

Every operational failure (vCenter unreachable, login refused, certificate rejected, connection lost, state repo
locked or corrupt) surfaces as :class:`OperationalError` with a one-line message for people; nothing is written or
committed half-way.

One module per command family, a DAG: :mod:`._common` (errors, connection, collection) ← :mod:`.ignore`,
:mod:`.evidence` ← :mod:`.baselines` ← :mod:`.snapshots` ← :mod:`.diffs` ← :mod:`.checks`.
"""

from driftguard import __version__
from driftguard.api._common import Connection, DriftguardError, OperationalError, UsageError, vcenter_name
from driftguard.api.baselines import (
    InForce,
    InvalidBaselineError,
    Pinned,
    baseline_sources,
    ignored,
    init,
    load_baselines,
    pin,
    pinned,
    plan,
    shipped_baselines,
    validate,
)
from driftguard.api.checks import (
    check,
    fails_on,
    find_rule,
    load_zones,
    rule_catalogue,
    rule_defaults,
    rule_schemas,
)
from driftguard.api.diffs import diff, diff_live, log
from driftguard.api.evidence import (
    NOT_COLLECTED,
    HostFiles,
    ImportResult,
    align_host_evidence,
    import_bundles,
    trust_hosts,
)
from driftguard.api.snapshots import SnapshotResult, collect_snapshot, commit_message, snapshot
from driftguard.normalize.evidence import EvidenceParams

__all__ = [
    "NOT_COLLECTED",
    "Connection",
    "DriftguardError",
    "EvidenceParams",
    "HostFiles",
    "ImportResult",
    "InForce",
    "InvalidBaselineError",
    "OperationalError",
    "Pinned",
    "SnapshotResult",
    "UsageError",
    "__version__",
    "align_host_evidence",
    "baseline_sources",
    "check",
    "collect_snapshot",
    "commit_message",
    "diff",
    "diff_live",
    "fails_on",
    "find_rule",
    "ignored",
    "import_bundles",
    "init",
    "load_baselines",
    "load_zones",
    "log",
    "pin",
    "pinned",
    "plan",
    "rule_catalogue",
    "rule_defaults",
    "rule_schemas",
    "shipped_baselines",
    "snapshot",
    "trust_hosts",
    "validate",
    "vcenter_name",
]
