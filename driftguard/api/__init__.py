"""The facade: chains the pipeline stages (collect → normalize → store / diff → attribute) for the CLI and for any
scheduler. Stages never import each other; this package is the only place that knows their order.

Every operational failure (vCenter unreachable, login refused, certificate rejected, connection lost, state repo
locked or corrupt) surfaces as :class:`OperationalError` with a one-line message for people; nothing is written or
committed half-way.

One module per command family, a DAG without private imports between them: :mod:`._common` (errors, connection,
collection, opening the state repo) ← :mod:`.ignore`, :mod:`.evidence` ← :mod:`.baselines` ← :mod:`.drift` (the one
drift pipeline and the loader of the snapshots it compares) ← :mod:`.snapshots`, :mod:`.diffs`, :mod:`.checks`,
:mod:`.plans`; incident review: :mod:`.filters` (the one Selector, suppressions, exemptions) ← :mod:`.history`
(``diff --each``, one object's history) ← :mod:`.diffs`, :mod:`.checks`, :mod:`.show`. Every public function
reads "open → load → stage calls → result model"; the domain logic lives in the stages.
"""

from driftguard import __version__
from driftguard.api._common import (
    Connection,
    DriftguardError,
    OperationalError,
    UsageError,
    check_vcenter_url,
    vcenter_name,
)
from driftguard.api.baselines import (
    InvalidBaselineError,
    baseline_sources,
    init,
    load_baselines,
    shipped_baselines,
    validate,
)
from driftguard.api.checks import (
    check,
    fails_on,
    find_rule,
    load_zones,
    repository_uri,
    rule_catalogue,
    rule_defaults,
    rule_schemas,
)
from driftguard.api.config import InvalidConfigError, exemptions, load_config, show_config, validate_config
from driftguard.api.connections import ResolvedVCenter, Settings, resolve_connection
from driftguard.api.diffs import diff, diff_each, diff_live, log, names_at, object_names
from driftguard.api.evidence import HostFiles, ImportResult, import_bundles, trust_hosts
from driftguard.api.filters import Selector
from driftguard.api.fleet import (
    DEFAULT_JOBS,
    FleetResult,
    Initialized,
    Pushed,
    VCenterRun,
    check_all,
    fleet_vcenters,
    init_target,
    push,
    snapshot_all,
    waiting_for_lock,
)
from driftguard.api.history import each, history
from driftguard.api.migrate import Migration, migrate_config
from driftguard.api.plans import Pinned, ignored, pin, pinned, plan
from driftguard.api.report import html_report
from driftguard.api.show import show
from driftguard.api.snapshots import SnapshotResult, collect_snapshot, snapshot
from driftguard.baseline.approval import InForce
from driftguard.diff.align import NOT_COLLECTED, align_host_evidence
from driftguard.models import EvidenceParams
from driftguard.report.commit import commit_message

__all__ = [
    "DEFAULT_JOBS",
    "NOT_COLLECTED",
    "Connection",
    "DriftguardError",
    "EvidenceParams",
    "FleetResult",
    "HostFiles",
    "ImportResult",
    "InForce",
    "Initialized",
    "InvalidBaselineError",
    "InvalidConfigError",
    "Migration",
    "OperationalError",
    "Pinned",
    "Pushed",
    "ResolvedVCenter",
    "Selector",
    "Settings",
    "SnapshotResult",
    "UsageError",
    "VCenterRun",
    "__version__",
    "align_host_evidence",
    "baseline_sources",
    "check",
    "check_all",
    "check_vcenter_url",
    "collect_snapshot",
    "commit_message",
    "diff",
    "diff_each",
    "diff_live",
    "each",
    "exemptions",
    "fails_on",
    "find_rule",
    "fleet_vcenters",
    "history",
    "html_report",
    "ignored",
    "import_bundles",
    "init",
    "init_target",
    "load_baselines",
    "load_config",
    "load_zones",
    "log",
    "migrate_config",
    "names_at",
    "object_names",
    "pin",
    "pinned",
    "plan",
    "push",
    "repository_uri",
    "resolve_connection",
    "rule_catalogue",
    "rule_defaults",
    "rule_schemas",
    "shipped_baselines",
    "show",
    "show_config",
    "snapshot",
    "snapshot_all",
    "trust_hosts",
    "validate",
    "validate_config",
    "vcenter_name",
    "waiting_for_lock",
]
