"""The facade: chains the pipeline stages (collect → normalize → store / diff → attribute) for the CLI and for any
scheduler. Stages never import each other; this module is the only place that knows their order.

Every operational failure (vCenter unreachable, login refused, certificate rejected, connection lost, state repo
locked or corrupt) surfaces as :class:`OperationalError` with a one-line message for people; nothing is written or
committed half-way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError

from driftguard import __version__, baseline, policy
from driftguard.attribute import attribute
from driftguard.baseline import plan as baseline_plan
from driftguard.baseline import scaffold as baseline_scaffold
from driftguard.baseline.evaluate import as_finding, sort_items, violations
from driftguard.baseline.loader import SHIPPED_PREFIX, name_of
from driftguard.baseline.pin import pin as pin_baseline
from driftguard.collect import CollectError, Session, collect_history, collect_inventory, connect, hostfiles
from driftguard.diff import IgnorePatternError, check_pattern, diff_snapshots, load_ignore_file
from driftguard.models import (
    DiffReport,
    DriftItem,
    Endpoint,
    Event,
    History,
    HostEvidence,
    LogEntry,
    Snapshot,
    Summary,
    Task,
)
from driftguard.models.canonical import canonical_bytes
from driftguard.models.findings import CheckReport, Finding
from driftguard.models.plan import BaselineIssue, IgnorePreview, PlanReport, PlanSummary
from driftguard.models.snapshot import KINDS
from driftguard.normalize.events import normalize_history
from driftguard.normalize.evidence import EvidenceParams, normalize_bundle
from driftguard.normalize.hostfiles import apply_host_files
from driftguard.normalize.snapshot import normalize_snapshot
from driftguard.store import StateRepo, StoreError, UnknownRevisionError, manifest_path, object_path
from driftguard.store.evidence import evidence_path, write_evidence

Progress = Callable[[str, int, int | None], None]
"""``progress(stage, done, total)``: called while collecting, for a progress bar."""

IGNORE_FILE = ".driftguardignore"
"""Extra ignore patterns, one per line, at the state repo's root (beside ``.git``)."""

HISTORY_FILE = "history.json"
"""Per-commit file (beside ``manifest.json``) holding the events and tasks that explain that commit's drift, so
attribution of stored snapshots works offline and outlives vCenter's event retention."""


class DriftguardError(Exception):
    """Base of the errors the CLI maps to exit codes; ``str(error)`` is the message for people."""

    exit_code = 3


class OperationalError(DriftguardError):
    """vCenter unreachable, login failed, certificate refused, connection lost, repo locked or corrupt (exit 3)."""


class UsageError(DriftguardError):
    """The request itself is wrong: unknown revision, nothing to compare (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Connection:
    """How to reach one vCenter. The password is a SecretStr so it never shows in a repr, log or traceback."""

    url: str
    user: str
    password: SecretStr
    insecure: bool = False
    page_size: int = 500
    timeout: float = 60.0

    @property
    def host(self) -> str:
        return urlsplit(self.url if "//" in self.url else f"https://{self.url}").hostname or self.url


@dataclass(frozen=True)
class SnapshotResult:
    snapshot: Snapshot
    report: DiffReport | None
    """Drift against the previous snapshot of this vCenter; None for the first one."""
    commit: str | None
    """The new commit, or None when nothing changed (the verification time is recorded instead)."""
    message: str


def vcenter_name(url: str) -> str:
    """Directory name of a vCenter in the state repo: its host name, plus the port when it is not 443/80."""
    parts = urlsplit(url if "//" in url else f"https://{url}")
    host = (parts.hostname or url).lower()
    default_port = 80 if parts.scheme == "http" else 443
    return host if parts.port in (None, default_port) else f"{host}_{parts.port}"


@contextlib.contextmanager
def _operational() -> Iterator[None]:
    """Translate the stages' typed errors into one error type with the stage's human message."""
    try:
        yield
    except (CollectError, StoreError) as exc:
        if isinstance(exc, UnknownRevisionError):
            raise UsageError(str(exc)) from exc
        raise OperationalError(str(exc)) from exc


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def collect_snapshot(conn: Connection, *, progress: Progress | None = None) -> Snapshot:
    """Read one vCenter now and return its canonical snapshot (raises when the collection is not complete)."""
    with _operational(), _connect(conn) as session:
        return _collect(session, conn, progress)


def _connect(conn: Connection) -> Session:
    return connect(conn.url, conn.user, conn.password.get_secret_value(), insecure=conn.insecure, timeout=conn.timeout)


def _collect(si: Session, conn: Connection, progress: Progress | None) -> Snapshot:
    raw = collect_inventory(si, page_size=conn.page_size, on_progress=progress)
    snapshot = normalize_snapshot(raw)
    name = vcenter_name(conn.url)
    if snapshot.manifest.vcenter.name != name:
        vcenter = snapshot.manifest.vcenter.model_copy(update={"name": name})
        snapshot = snapshot.model_copy(update={"manifest": snapshot.manifest.model_copy(update={"vcenter": vcenter})})
    snapshot = snapshot.with_counts()
    if not snapshot.manifest.complete:
        raise OperationalError(
            f"collection from {conn.host} was not complete ({snapshot.manifest.incomplete_reason}); nothing committed"
        )
    return snapshot


def _window(repo: StateRepo, old_commit: str | None, old: Snapshot | None, new: Snapshot) -> tuple[datetime, datetime]:
    """(T0, T1] for attribution: from the last time the old state was verified unchanged to the new collection."""
    end = _parse_time(new.manifest.finished_at) or _now()
    begin = None
    if old is not None:
        begin = _parse_time(old.manifest.started_at)
        if old_commit is not None:
            verified = repo.last_verified(old_commit, old.manifest.vcenter.name)
            # A later run that saw the same state proves nothing changed before it: the window starts there.
            if verified is not None and (begin is None or verified > begin):
                begin = verified
    return (begin or end, end)


def _report(
    items: list[DriftItem], old_ref: str, old: Snapshot, new_ref: str, new: Snapshot | None = None
) -> DiffReport:
    return DiffReport.model_validate(
        {
            "from": Endpoint(ref=old_ref, collected_at=old.manifest.finished_at),
            "to": Endpoint(ref=new_ref, collected_at=new.manifest.finished_at if new else None),
            "items": items,
            "summary": DiffReport.summarize(items),
        }
    )


def _relevant_history(history: History, items: Sequence[DriftItem]) -> History:
    """What a later offline ``diff`` or ``check`` needs of the window's history: the events and tasks some item
    names as a candidate, and those of the types the policy rules read (migrations, host failures, HA restarts
    ...), which explain no drift but are findings in themselves."""
    event_keys: set[str] = set()
    task_keys: set[str] = set()
    for item in items:
        for cand in item.attribution.candidates if item.attribution else []:
            (task_keys if cand.source == "task" else event_keys).add(str(cand.event_key))
    wanted = policy.history_event_types(policy.all_rules())

    def read_by_rules(kind: str) -> bool:
        return any(fnmatchcase(kind, pattern) for pattern in wanted)

    return history.model_copy(
        update={
            "events": [e for e in history.events if str(e.key) in event_keys or read_by_rules(e.type)],
            "tasks": [t for t in history.tasks if t.key in task_keys or read_by_rules(t.description_id)],
        }
    )


def commit_message(report: DiffReport | None, snapshot: Snapshot) -> str:
    """First line summarises the drift, e.g. "3 changes on 2 objects: 2 attributed (alice, bob), 1 unattributed"."""
    vc = snapshot.manifest.vcenter.name
    if report is None:
        counts = ", ".join(f"{n} {kind}s" for kind, n in snapshot.manifest.counts.items() if n)
        return f"{vc}: first snapshot ({counts})"
    s = report.summary
    users = sorted({i.attribution.user for i in report.items if i.attribution and i.attribution.user})
    who = f" ({', '.join(_short_user(u) for u in users)})" if users else ""
    parts = [f"{s.attributed} attributed{who}"]
    if s.unattributed:
        parts.append(f"{s.unattributed} unattributed")
    if s.unknown:
        parts.append(f"{s.unknown} unknown")
    approval = f"; {s.approved} approved, {s.unapproved} unapproved" if s.approved or s.unapproved else ""
    plural = "s" if s.items != 1 else ""
    objects = f"{s.objects} object{'s' if s.objects != 1 else ''}"
    return f"{vc}: {s.items} change{plural} on {objects}: {', '.join(parts)}{approval}"


def _short_user(user: str) -> str:
    return user.rsplit("\\", 1)[-1]


def snapshot(
    conn: Connection,
    repo_path: Path,
    *,
    ignore: Sequence[str] = (),
    progress: Progress | None = None,
    host_files: HostFiles | None = None,
) -> SnapshotResult:
    """Collect one vCenter, diff against its previous snapshot, attribute the drift and commit it.

    ``host_files`` adds the HA evidence pass: agent files over SSH and each cluster's HA runtime info.
    Any failure before the commit leaves the state repo exactly as it was.
    """
    try:
        return _snapshot(conn, repo_path, ignore=ignore, progress=progress, host_files=host_files)
    except OperationalError as exc:
        raise OperationalError(f"{exc}; state repo unchanged, nothing committed") from exc


def _snapshot(
    conn: Connection,
    repo_path: Path,
    *,
    ignore: Sequence[str],
    progress: Progress | None,
    host_files: HostFiles | None = None,
) -> SnapshotResult:
    patterns = ignore_patterns(repo_path, ignore)  # a bad pattern fails before anything is collected
    ssh_config = _ssh_config(repo_path, host_files) if host_files is not None else None
    with _operational():
        repo = _open_existing(repo_path)
        with repo.lock() if repo else contextlib.nullcontext():
            name = vcenter_name(conn.url)
            previous_commit = repo.latest_commit(name) if repo else None
            previous = repo.load(previous_commit, name) if repo and previous_commit else None
            # the baselines in force (committed at HEAD): an invalid one fails before anything is collected
            in_force = _baselines_at(repo, "HEAD") if repo is not None and previous_commit else None
            with _connect(conn) as si:
                current = _collect(si, conn, progress)
                if host_files is not None and ssh_config is not None:
                    current = _with_host_files(si, current, host_files, ssh_config, repo_path, progress)
                if previous is not None:
                    previous, current = align_host_evidence(previous, current)
                report = None
                history = History()
                if repo is not None and previous is not None and previous_commit is not None:
                    extra_ignores = in_force.baselines.ignore if in_force else []
                    items = diff_snapshots(previous, current, ignore=[*extra_ignores, *patterns])
                    window = _window(repo, previous_commit, previous, current)
                    history = History(begin=window[0], end=window[1])
                    if items:
                        history = normalize_history(collect_history(si, begin=window[0], end=window[1]))
                        items = attribute(items, history, old=previous, new=current, window=window)
                    if in_force is not None:
                        items = in_force.approve(items, current)
                    report = _report(items, previous_commit, previous, "snapshot", current)
            # Only now, with a complete collection in hand, may a missing state repo be created.
            repo = repo or StateRepo.open(repo_path, create=True)
            message = commit_message(report, current)
            extra = {}
            if report is not None:
                extra[HISTORY_FILE] = canonical_bytes(_relevant_history(history, report.items))
            summary = report.summary.model_dump() if report else None
            commit = repo.write_snapshot(current, message, summary=summary, extra_files=extra)
            if report is not None and commit is not None:
                to = Endpoint(ref=commit, collected_at=current.manifest.finished_at)
                report = report.model_copy(update={"to": to})
            return SnapshotResult(snapshot=current, report=report, commit=commit, message=message)


def _open_existing(path: Path) -> StateRepo | None:
    """The state repo at ``path``; None when there is nothing there yet (it is created after collecting).

    An existing directory that is not a git repository is an error rather than something to `git init` over.
    """
    try:
        return StateRepo.open(path)
    except StoreError:
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise
        return None


def ignore_patterns(repo_path: Path, extra: Sequence[str] = ()) -> list[str]:
    """The user's ignore patterns: ``.driftguardignore`` in the state repo, then ``--ignore`` options.

    A bad pattern is a usage error naming ``file:line`` (or the option)."""
    patterns: list[str] = []
    path = repo_path / IGNORE_FILE
    if path.is_file():
        try:
            patterns += load_ignore_file(path.read_text(encoding="utf-8"))
        except IgnorePatternError as exc:
            line, _, message = str(exc).partition(": ")
            raise UsageError(f"{path}:{line.removeprefix('line ')}: {message}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: cannot read ({exc})") from None
    for pattern in extra:
        try:
            patterns.append(check_pattern(pattern))
        except IgnorePatternError as exc:
            raise UsageError(f"--ignore: {exc}") from None
    return patterns


def _single_vcenter(repo: StateRepo, vcenter: str | None, rev: str = "HEAD") -> str:
    names = repo.vcenters(rev)
    if vcenter:
        if vcenter not in names:
            raise UsageError(f"no vCenter named {vcenter!r} in the state repo (have: {', '.join(names) or 'none'})")
        return vcenter
    if len(names) == 1:
        return names[0]
    if not names:
        raise UsageError("the state repo has no snapshot yet: run `driftguard snapshot` first")
    raise UsageError(f"the state repo holds several vCenters ({', '.join(names)}): pick one with --vcenter")


def diff(
    repo_path: Path,
    old_rev: str | None = None,
    new_rev: str | None = None,
    *,
    vcenter: str | None = None,
    ignore: Sequence[str] = (),
) -> DiffReport:
    """History drift between two stored snapshots (default: the previous and the latest), attributed from the
    events stored with the commits in between."""
    with _operational():
        repo = StateRepo.open(repo_path)
        name = _single_vcenter(repo, vcenter)
        refs = repo.history(name, limit=2)
        if new_rev is None and old_rev is None and len(refs) < 2:
            raise UsageError(f"only {len(refs)} snapshot of {name} so far: nothing to compare yet")
        new_commit = repo.resolve(new_rev) if new_rev else refs[0].commit
        old_commit = repo.resolve(old_rev) if old_rev else repo.previous_commit(new_commit, name)
        if old_commit is None:
            raise UsageError(f"{new_commit[:10]} is the first snapshot of {name}: nothing before it to compare")
        old, new = align_host_evidence(repo.load(old_commit, name), repo.load(new_commit, name))
        in_force = _baselines_at(repo, new_commit)
        items = diff_snapshots(old, new, ignore=[*in_force.baselines.ignore, *ignore_patterns(repo_path, ignore)])
        if items:
            history = _stored_history(repo, name, old_commit, new_commit)
            window = _window(repo, old_commit, old, new)
            items = attribute(items, history, old=old, new=new, window=window)
        return _report(in_force.approve(items, new), old_commit, old, new_commit, new)


def _stored_history(repo: StateRepo, vcenter: str, old_commit: str, new_commit: str) -> History:
    """Union of the histories committed with every snapshot in (old, new].

    Each snapshot commit after the first carries the events that explain its drift; a commit without one (made
    by hand, or by another tool) makes the merged history incomplete, so its changes read *unknown*, not
    *unattributed*.
    """
    events: dict[int, Event] = {}
    tasks: dict[str, Task] = {}
    complete = tasks_complete = True
    begins: list[datetime] = []
    ends: list[datetime] = []
    notes: list[str] = []
    for commit in repo.commits_between(old_commit, new_commit, vcenter):
        data = repo.read_file(commit, f"{vcenter}/{HISTORY_FILE}")
        if data is None:
            complete = False
            notes.append(f"commit {commit[:10]} stores no event history")
            continue
        part = History.model_validate_json(data)
        complete = complete and part.complete
        tasks_complete = tasks_complete and part.tasks_complete
        begins += [part.begin] if part.begin else []
        ends += [part.end] if part.end else []
        notes += part.notes
        events.update({e.key: e for e in part.events})
        tasks.update({t.key: t for t in part.tasks})
    return History(
        begin=min(begins) if begins else None,
        end=max(ends) if ends else None,
        events=sorted(events.values(), key=lambda e: (e.created, e.key)),
        tasks=sorted(tasks.values(), key=lambda t: t.key),
        complete=complete,
        tasks_complete=tasks_complete,
        notes=notes,
    )


def diff_live(
    conn: Connection,
    repo_path: Path,
    old_rev: str | None = None,
    *,
    ignore: Sequence[str] = (),
    progress: Progress | None = None,
) -> DiffReport:
    """Drift between a stored snapshot (default: the latest) and vCenter right now, attributed live."""
    patterns = ignore_patterns(repo_path, ignore)
    with _operational():
        repo = StateRepo.open(repo_path)
        name = vcenter_name(conn.url)
        old_commit = repo.resolve(old_rev) if old_rev else repo.latest_commit(name)
        if old_commit is None:
            raise UsageError(f"no snapshot of {name} in {repo_path} yet: run `driftguard snapshot` first")
        old = repo.load(old_commit, name)
        in_force = _baselines_at(repo, "HEAD")
        with _connect(conn) as si:
            live = _collect(si, conn, progress)
            old, live = align_host_evidence(old, live)
            items = diff_snapshots(old, live, ignore=[*in_force.baselines.ignore, *patterns])
            if items:
                window = _window(repo, old_commit, old, live)
                history = normalize_history(collect_history(si, begin=window[0], end=window[1]))
                items = attribute(items, history, old=old, new=live, window=window)
        return _report(in_force.approve(items, live), old_commit, old, "live", live)


def log(repo_path: Path, *, vcenter: str | None = None, limit: int = 50) -> list[LogEntry]:
    """Snapshot commits, newest first, with their drift summaries."""
    with _operational():
        repo = StateRepo.open(repo_path)
        entries = []
        for ref in repo.history(vcenter, limit=limit):
            parsed = Summary.model_validate(ref.summary) if isinstance(ref.summary, dict) else None
            entries.append(
                LogEntry(
                    commit=ref.commit,
                    vcenter=ref.vcenter,
                    committed_at=ref.committed_at.isoformat(),
                    collected_at=ref.collected_at,
                    subject=ref.subject,
                    summary=parsed,
                )
            )
        return entries


# --- HA evidence: agent files over SSH, vm-support bundles (docs/host-files.md) ------------------------------------

NOT_COLLECTED = "HA agent files were not collected in this snapshot (no --host-files)"


@dataclass(frozen=True)
class HostFiles:
    """The HA evidence pass of ``snapshot``: which hosts, how, and how strict."""

    mode: str = "ssh"
    hosts: tuple[str, ...] = ()
    """Globs on host names; empty means every host."""
    config: Path | None = None
    """The TOML settings file; default ``<repo>/driftguard.toml`` when it exists."""
    strict: bool = False
    """Fail the snapshot (nothing committed) when any selected host cannot be read."""
    parallelism: int | None = None
    timeout: float | None = None


def _ssh_config(repo_path: Path, options: HostFiles) -> hostfiles.SshConfig:
    if options.mode != "ssh":
        raise UsageError(f"unknown host-file source {options.mode!r} (supported: ssh)")
    path = options.config
    if path is None and (repo_path / "driftguard.toml").exists():
        path = repo_path / "driftguard.toml"
    try:
        config = hostfiles.load_config(path, base=repo_path)
    except hostfiles.ConfigError as exc:
        raise UsageError(str(exc)) from exc
    return config.with_overrides(parallelism=options.parallelism, timeout=options.timeout)


def _with_host_files(
    si: Session,
    snapshot: Snapshot,
    options: HostFiles,
    config: hostfiles.SshConfig,
    repo_path: Path,
    progress: Progress | None,
) -> Snapshot:
    chosen = set(hostfiles.select_hosts(sorted({h.name for h in snapshot.hosts.values()}), options.hosts))
    # by id: host names need not be unique (two vCenter hosts added by the same IP through different datacenters)
    targets = {host.id: config.target(host.name) for host in snapshot.hosts.values() if host.name in chosen}
    raw = hostfiles.collect_host_files(
        targets,
        known_hosts=config.known_hosts_file(repo_path),
        parallelism=config.parallelism,
        timeout=config.timeout,
        on_progress=progress,
    )
    clusters = {host.cluster for host in snapshot.hosts.values() if host.id in targets and host.cluster}
    raw["cluster_runtime"] = hostfiles.collect_das_runtime(si, clusters)
    failed = {snapshot.hosts[i].name: read["error"] for i, read in raw["hosts"].items() if read["error"]}
    if options.strict and failed:
        detail = "; ".join(f"{reason}" for _, reason in sorted(failed.items()))
        raise OperationalError(f"{len(failed)} host(s) could not be read (--host-files-strict): {detail}")
    return apply_host_files(snapshot, raw, config.redact)


def align_host_evidence(old: Snapshot, new: Snapshot) -> tuple[Snapshot, Snapshot]:
    """Make a run without host files comparable with one that had them.

    A host whose agent files were collected on one side only (``ha_agent.source`` unset on the other, and not
    already unknown) gets ``unknowns["ha_agent"]`` on the uncollected side, and a cluster's HA runtime likewise:
    switching ``--host-files`` on or off is not drift, and certainly not an edit made outside vCenter.
    """

    def mark(snapshot: Snapshot, other: Snapshot) -> Snapshot:
        hosts = dict(snapshot.hosts)
        for host_id, host in snapshot.hosts.items():
            peer = other.hosts.get(host_id)
            collected_there = peer is not None and peer.ha_agent.source is not None
            if collected_there and host.ha_agent.source is None and "ha_agent" not in host.unknowns:
                unknowns = dict(sorted({**host.unknowns, "ha_agent": NOT_COLLECTED}.items()))
                hosts[host_id] = host.model_copy(update={"unknowns": unknowns})
        clusters = dict(snapshot.clusters)
        for cluster_id, cluster in snapshot.clusters.items():
            peer_cluster = other.clusters.get(cluster_id)
            if peer_cluster is None or "ha_runtime" in cluster.unknowns or cluster.ha_runtime is not None:
                continue
            if peer_cluster.ha_runtime is not None or "ha_runtime" in peer_cluster.unknowns:
                unknowns = dict(sorted({**cluster.unknowns, "ha_runtime": NOT_COLLECTED}.items()))
                clusters[cluster_id] = cluster.model_copy(update={"unknowns": unknowns})
        if hosts == snapshot.hosts and clusters == snapshot.clusters:
            return snapshot
        return snapshot.model_copy(update={"hosts": hosts, "clusters": clusters}).with_counts()

    return mark(old, new), mark(new, old)


def trust_hosts(
    hosts: Sequence[str],
    repo_path: Path | None,
    *,
    config: Path | None = None,
    replace: bool = False,
    timeout: float = 10.0,
) -> tuple[Path, list[hostfiles.TrustResult]]:
    """Record the SSH host keys of ``hosts`` (names as in vCenter, mapped through the config) in the known_hosts
    file driftguard verifies against. Returns that file and what was recorded."""
    options = HostFiles(config=config)
    ssh_config = _ssh_config(repo_path or Path.cwd(), options)
    known = ssh_config.known_hosts
    if known is None:
        # recording keys for the state repo: its own file, so CI and colleagues verify against the same keys
        known = (repo_path / "known_hosts") if repo_path is not None else Path("~/.ssh/known_hosts").expanduser()
    try:
        return known, hostfiles.trust_hosts(
            [ssh_config.target(h) for h in hosts], known, replace=replace, timeout=timeout
        )
    except hostfiles.HostKeyError as exc:
        raise OperationalError(str(exc)) from exc
    except CollectError as exc:
        raise OperationalError(str(exc)) from exc


@dataclass(frozen=True)
class ImportResult:
    evidence: list[HostEvidence]
    paths: list[str]
    commit: str | None
    message: str


def import_bundles(
    bundles: Sequence[Path],
    repo_path: Path,
    *,
    params: EvidenceParams | None = None,
    config: Path | None = None,
) -> ImportResult:
    """Read vm-support bundles, commit each host's evidence to ``evidence/<vcenter>/<host>.json`` and return the
    findings. A host whose name matches a host in a stored snapshot is filed under that vCenter and moref."""
    params = params or EvidenceParams()
    ssh_config = _ssh_config(repo_path, HostFiles(config=config))
    raws = []
    with _operational():
        for path in bundles:
            try:
                raws.extend(hostfiles.read_bundle(path))
            except hostfiles.BundleError as exc:
                raise UsageError(str(exc)) from exc
        repo = _open_existing(repo_path) or StateRepo.open(repo_path, create=True)
        known = _known_host_names(repo)
        evidence: dict[str, HostEvidence] = {}
        for raw in raws:
            probe = normalize_bundle(
                raw, patterns=ssh_config.redact, params=params, vcenter="_bundles", host_id=None, location=None
            )
            vcenter, host_id = known.get(_short(probe.host.name), ("_bundles", probe.host.name))
            location = evidence_path(vcenter, probe.host.name)
            item = normalize_bundle(
                raw, patterns=ssh_config.redact, params=params, vcenter=vcenter, host_id=host_id, location=location
            )
            evidence[location] = item
        findings = [f for e in evidence.values() for f in e.findings]
        hosts = ", ".join(sorted(e.host.name for e in evidence.values()))
        severities = sorted({f.severity for f in findings})
        message = f"evidence: {hosts} from {len(bundles)} bundle(s): {len(findings)} finding(s)" + (
            f" ({', '.join(severities)})" if severities else ""
        )
        commit = write_evidence(repo, evidence, message)
        return ImportResult(evidence=list(evidence.values()), paths=list(evidence), commit=commit, message=message)


def _short(name: str) -> str:
    return name.lower().split(".", 1)[0]


def _known_host_names(repo: StateRepo) -> dict[str, tuple[str, str]]:
    """Short host name → (vCenter, moref) from the latest snapshot of every vCenter in the repo."""
    if repo.head() is None:
        return {}
    found: dict[str, tuple[str, str]] = {}
    for name in repo.vcenters():
        for host in repo.load("HEAD", name).hosts.values():
            found.setdefault(_short(host.name), (name, host.id))
    return found


__all__ = [
    "Connection",
    "DriftguardError",
    "EvidenceParams",
    "HostFiles",
    "ImportResult",
    "OperationalError",
    "SnapshotResult",
    "UsageError",
    "__version__",
    "align_host_evidence",
    "collect_snapshot",
    "commit_message",
    "diff",
    "diff_live",
    "import_bundles",
    "log",
    "snapshot",
    "trust_hosts",
    "vcenter_name",
]


# --- policy: `driftguard check` and the rule catalogue (docs/rules.md) -------------------------------------------


@contextlib.contextmanager
def _policy_errors() -> Iterator[None]:
    """Rule selection, rule configuration and the zone file are the user's input (exit 2); a crashing rule or a
    broken plugin is operational (exit 3)."""
    try:
        yield
    except (policy.RuleConfigError, policy.ZoneConfigError) as exc:
        raise UsageError(str(exc)) from exc
    except (policy.RuleFailedError, policy.RegistryError) as exc:
        raise OperationalError(str(exc)) from exc


def rule_catalogue() -> list[policy.Rule]:
    """Every rule: the built-in catalogue, then rules installed under the ``driftguard.rules`` entry points."""
    with _policy_errors():
        return list(policy.all_rules().values())


def load_zones(repo_path: Path, zones: Path | None = None) -> policy.ZoneConfig:
    """The zone file: ``zones`` when given, else ``<repo>/zones.yaml`` when it exists, else no zones."""
    path = zones if zones is not None else repo_path / policy.ZONES_FILE
    if zones is None and not path.is_file():
        return policy.ZoneConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read zone file {path}: {exc.strerror or exc}") from exc
    with _policy_errors():
        return policy.parse_zones(text, str(path))


def check(
    repo_path: Path,
    rev: str | None = None,
    *,
    live: bool = False,
    conn: Connection | None = None,
    vcenter: str | None = None,
    rules: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    config: policy.RuleConfig | None = None,
    zones: Path | None = None,
    progress: Progress | None = None,
    baselines: Sequence[str] | None = None,
    use_baselines: bool = True,
) -> CheckReport:
    """Run the rule catalogue on a stored snapshot (default: the latest) or on vCenter right now (``live``).

    The rules also see the drift since the previous snapshot, attributed, and the events of that window: the
    stored history of the commit, or for ``live`` the history read from vCenter since the latest snapshot.
    ``rules``/``skip`` select rule ids or names; ``config`` is a :data:`driftguard.policy.RuleConfig`
    (what baselines set). Each finding's ``location`` is the object's file in the state repo.

    Baselines run with the rules (docs/baselines.md): those of the working tree (of ``rev`` when given), all of
    them or the ``baselines`` named. Their ``rules:`` settings configure the catalogue (``config`` overrides
    them); their violations are findings with ``source: baseline`` and, in the diff shape, ``compliance``.
    """
    zone_config = load_zones(repo_path, zones)
    in_force = load_baselines(repo_path, rev, names=baselines) if use_baselines else baseline.BaselineSet()
    planned = _planned_rules(in_force, config, select=rules, skip=skip)
    if live:
        if conn is None:
            raise UsageError("a live check needs a vCenter connection")
        ref = "live"
        target, drift, history = _live_target(conn, repo_path, progress)
    else:
        ref, target, drift, history = _stored_target(repo_path, rev, vcenter)
    context = policy.RuleContext.build(target, drift=drift, history=history, zones=zone_config)
    with _policy_errors():
        findings = policy.run(target, context, planned)
    broken = violations(target, in_force)
    findings += [as_finding(resolved, item) for resolved, item in broken]
    findings = [_located(target, f) for f in policy.sort_findings(findings)]
    return CheckReport(
        target=Endpoint(ref=ref, collected_at=target.manifest.finished_at),
        findings=findings,
        summary=CheckReport.summarize(findings),
        compliance=sort_items(item for _, item in broken),
    )


def _stored_target(
    repo_path: Path, rev: str | None, vcenter: str | None
) -> tuple[str, Snapshot, list[DriftItem], History | None]:
    with _operational():
        repo = StateRepo.open(repo_path)
        name = _single_vcenter(repo, vcenter, rev or "HEAD")
        commit = repo.latest_commit(name, repo.resolve(rev) if rev else "HEAD")
        if commit is None:
            raise UsageError(f"no snapshot of {name} at {rev or 'HEAD'}")
        snapshot = repo.load(commit, name)
        previous = repo.previous_commit(commit, name)
        history = _stored_history(repo, name, previous, commit) if previous else None
    drift = diff(repo_path, previous, commit, vcenter=name).items if previous else []
    return commit, snapshot, drift, history


def _live_target(
    conn: Connection, repo_path: Path, progress: Progress | None
) -> tuple[Snapshot, list[DriftItem], History | None]:
    with _operational():
        repo = _open_existing(repo_path)
        name = vcenter_name(conn.url)
        old_commit = repo.latest_commit(name) if repo else None
        old = repo.load(old_commit, name) if repo and old_commit else None
        with _connect(conn) as si:
            live = _collect(si, conn, progress)
            if repo is None or old is None:
                return live, [], None
            window = _window(repo, old_commit, old, live)
            history = normalize_history(collect_history(si, begin=window[0], end=window[1]))
        items = diff_snapshots(old, live, ignore=ignore_patterns(repo_path))
        if items:
            items = attribute(items, history, old=old, new=live, window=window)
        return live, items, history


def _located(snapshot: Snapshot, finding: Finding) -> Finding:
    obj = snapshot.get(finding.kind, finding.id) if finding.kind in KINDS else None
    path = object_path(snapshot, obj) if obj is not None else manifest_path(snapshot.manifest.vcenter.name)
    return finding.model_copy(update={"location": str(path)})


__all__ += ["check", "load_zones", "rule_catalogue"]


# --- baselines: approved configuration in the state repo (docs/baselines.md) -------------------------------------


class InvalidBaselineError(UsageError):
    """Baselines that do not validate (exit 2); ``issues`` name ``file:line:column`` each."""

    def __init__(self, issues: Sequence[BaselineIssue]) -> None:
        self.issues = list(issues)
        more = f" (and {len(self.issues) - 1} more: driftguard validate)" if len(self.issues) > 1 else ""
        super().__init__(f"invalid baseline: {self.issues[0]}{more}" if self.issues else "invalid baseline")


def _decode(files: dict[str, bytes]) -> dict[str, str]:
    out: dict[str, str] = {}
    for path, data in files.items():
        try:
            out[path] = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidBaselineError([BaselineIssue(file=path, message=f"not UTF-8 text: {exc.reason}")]) from None
    return out


def _worktree_baselines(repo_path: Path) -> dict[str, str]:
    directory = repo_path / baseline.BASELINE_DIR
    if not directory.is_dir():
        return {}
    files = {f"{baseline.BASELINE_DIR}/{p.name}": p.read_bytes() for p in sorted(directory.glob("*.yaml"))}
    return _decode(files)


def _committed_baselines(repo: StateRepo, rev: str) -> dict[str, str]:
    files = repo.read_dir(rev, baseline.BASELINE_DIR)
    return _decode({path: data for path, data in files.items() if baseline.is_baseline_path(path)})


def _load(files: dict[str, str], names: Sequence[str] | None = None) -> baseline.BaselineSet:
    try:
        return baseline.load(files, names=names)
    except baseline.BaselineError as exc:
        raise InvalidBaselineError(exc.issues) from None


def load_baselines(
    repo_path: Path, rev: str | None = None, *, names: Sequence[str] | None = None
) -> baseline.BaselineSet:
    """The baselines of the state repo's working tree, or as committed at ``rev``; all of them, or ``names``
    (``all`` means all). Invalid ones raise :class:`InvalidBaselineError`."""
    wanted = None if not names or "all" in names else list(names)
    if rev is None:
        return _load(_worktree_baselines(repo_path), wanted)
    with _operational():
        repo = StateRepo.open(repo_path)
        return _load(_committed_baselines(repo, repo.resolve(rev)), wanted)


@dataclass(frozen=True)
class InForce:
    """The baselines committed at one revision, with the commit that last changed each file."""

    baselines: baseline.BaselineSet
    commits: dict[str, str | None]

    def approve(self, items: list[DriftItem], snapshot: Snapshot) -> list[DriftItem]:
        # A state repo without baselines approves nothing and disapproves nothing: `approved` stays unset, so
        # commit messages and reports do not call every change "unapproved" before anyone wrote a baseline.
        if not self.baselines.baselines:
            return items
        return baseline.approve(items, snapshot, self.baselines, self.commits)


def _baselines_at(repo: StateRepo, rev: str) -> InForce:
    """The baselines in force at ``rev`` (the tree of that commit) and the commits that approved them."""
    if rev == "HEAD" and repo.head() is None:
        return InForce(baseline.BaselineSet(), {})
    commit = repo.resolve(rev)
    loaded = _load(_committed_baselines(repo, commit))
    commits = {
        name: (None if parsed.shipped else repo.last_change(commit, parsed.file))
        for name, parsed in loaded.baselines.items()
    }
    return InForce(loaded, commits)


def _planned_rules(
    in_force: baseline.BaselineSet,
    config: policy.RuleConfig | None,
    *,
    select: Sequence[str] | None = None,
    skip: Sequence[str] = (),
) -> list[policy.Planned]:
    """The rules to run with the baselines' settings under ``config``; a bad setting in a baseline is reported at
    its ``file:line:column``."""
    merged: dict[str, Any] = {**in_force.rules, **dict(config or {})}
    try:
        return policy.plan(policy.all_rules(), merged, select=select, skip=skip)
    except policy.RuleConfigError as exc:
        located = [i for i in exc.issues if i.rule_id in in_force.rules and (config is None or i.rule_id not in config)]
        if not located:
            raise UsageError(str(exc)) from exc
        issues = []
        for issue in located:
            pos = in_force.locate_rule(issue.rule_id, [str(p) for p in issue.loc])
            where = ".".join(str(p) for p in issue.loc)
            message = f"rules.{issue.rule_id}{'.' + where if where else ''}: {issue.message}"
            issues.append(BaselineIssue(file=pos.file, line=pos.line, column=pos.column, message=message))
        raise InvalidBaselineError(issues) from exc
    except (policy.RuleFailedError, policy.RegistryError) as exc:
        raise OperationalError(str(exc)) from exc


def validate(paths: Sequence[Path]) -> list[BaselineIssue]:
    """Validate baseline files (``driftguard validate``, the pre-commit hook): structure, paths and value types,
    ``extends:`` against the files beside each one and the shipped baselines, and rule settings against the rule
    catalogue. Returns every issue (empty: valid)."""
    issues: list[BaselineIssue] = []
    by_dir: dict[Path, list[Path]] = {}
    for path in paths:
        by_dir.setdefault(path.parent, []).append(path)
    for directory, chosen in by_dir.items():
        files: dict[str, str] = {}
        try:
            for sibling in sorted(directory.glob("*.yaml")):
                files[str(sibling)] = sibling.read_text(encoding="utf-8")
            for path in chosen:
                files[str(path)] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(BaselineIssue(file=str(getattr(exc, "filename", None) or directory), message=str(exc)))
            continue
        names = [name_of(str(p)) for p in chosen]
        try:
            loaded = baseline.load(files, names=names)
        except baseline.BaselineError as exc:
            issues += exc.issues
            continue
        try:
            _planned_rules(loaded, None)
        except InvalidBaselineError as exc:
            issues += exc.issues
        except UsageError as exc:
            issues.append(BaselineIssue(file=str(directory), message=str(exc)))
    return issues


def _snapshots_at(repo: StateRepo, commit: str) -> list[tuple[str, Snapshot]]:
    """(snapshot commit, snapshot) of every vCenter's latest snapshot at ``commit``."""
    out = []
    for name in repo.vcenters(commit):
        state = repo.latest_commit(name, commit)
        if state is not None:
            out.append((state, repo.load(state, name)))
    return out


WORKTREE = "worktree"


def plan(repo_path: Path, base: str = "HEAD", head: str = WORKTREE) -> PlanReport:
    """What the baselines of ``head`` (a revision, or the working tree) change against those of ``base``:
    validation, the changes, per changed expectation the selected objects (observed → target, grouped), and the
    compliance drift that appears or disappears — evaluated on the latest snapshots at ``base``."""
    with _operational():
        repo = StateRepo.open(repo_path)
        base_commit = repo.resolve(base)
        base_files = _committed_baselines(repo, base_commit)
        head_ref = WORKTREE if head == WORKTREE else repo.resolve(head)
        head_files = _worktree_baselines(repo_path) if head == WORKTREE else _committed_baselines(repo, head_ref)
        snapshots = _snapshots_at(repo, base_commit)
    base_end, head_end = Endpoint(ref=base_commit), Endpoint(ref=head_ref)
    ends = [Endpoint(ref=c, collected_at=s.manifest.finished_at) for c, s in snapshots]
    try:
        head_set = _load(head_files)
        _planned_rules(head_set, None)
    except InvalidBaselineError as exc:
        summary = PlanSummary(valid=False)
        return PlanReport(base=base_end, head=head_end, snapshots=ends, errors=exc.issues, summary=summary)
    try:
        base_set = _load(base_files)
    except InvalidBaselineError:
        base_set = baseline.BaselineSet()  # an invalid base cannot be compared with: everything reads as new
    observed = [s for _, s in snapshots]
    changes = baseline_plan.changes(base_set, head_set)
    planned = baseline_plan.planned(base_set, head_set, observed)
    new, gone, before, after = baseline_plan.compliance_delta(base_set, head_set, observed)
    changed_files = {p for p in base_files.keys() | head_files.keys() if base_files.get(p) != head_files.get(p)}
    summary = PlanSummary(
        valid=True,
        files_changed=len(changed_files),
        changes=len(changes),
        noncompliant_before=before,
        noncompliant_after=after,
        newly_noncompliant=len(new),
        resolved=len(gone),
    )
    return PlanReport(
        base=base_end,
        head=head_end,
        snapshots=ends,
        changes=changes,
        expectations=planned,
        newly_noncompliant=new,
        resolved=gone,
        summary=summary,
    )


def pin(
    repo_path: Path,
    select: dict[str, Any],
    paths: Sequence[str] = ("*",),
    *,
    rev: str | None = None,
    name: str = "pinned",
) -> str:
    """YAML text of a baseline that expects what the selected objects have in the latest snapshots (at ``rev``)."""
    try:
        selector = baseline.Selector.model_validate(select)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"--select: {problems}") from None
    with _operational():
        repo = StateRepo.open(repo_path)
        commit = repo.resolve(rev or "HEAD")
        snapshots = _snapshots_at(repo, commit)
    if not snapshots:
        raise UsageError(f"no snapshot at {rev or 'HEAD'} to pin from")
    try:
        return pin_baseline([s for _, s in snapshots], selector, paths, name=name, source=commit[:10])
    except baseline.BaselineError as exc:
        raise InvalidBaselineError(exc.issues) from None


def ignored(repo_path: Path, rev: str | None = None) -> IgnorePreview:
    """What the baselines' ignore rules hide: compliance drift of the latest snapshots and history drift of their
    last change (``driftguard baseline ignored``)."""
    in_force = load_baselines(repo_path, rev)
    patterns = in_force.ignore
    hidden_compliance: list[DriftItem] = []
    hidden_history: list[DriftItem] = []
    with _operational():
        repo = StateRepo.open(repo_path)
        commit = repo.resolve(rev or "HEAD")
        for state, snap in _snapshots_at(repo, commit):
            unfiltered = baseline.BaselineSet(
                baselines=in_force.baselines, selected=in_force.selected, expectations=in_force.expectations
            )
            hidden_compliance += [
                i for i in baseline.compliance(snap, unfiltered) if baseline.ignored(patterns, i.kind, i.path)
            ]
            previous = repo.previous_commit(state, snap.manifest.vcenter.name)
            if previous is not None:
                old, new = align_host_evidence(repo.load(previous, snap.manifest.vcenter.name), snap)
                items = diff_snapshots(old, new, ignore=ignore_patterns(repo_path))
                hidden_history += [i for i in items if baseline.ignored(patterns, i.kind, i.path)]
    return IgnorePreview(patterns=patterns, compliance=hidden_compliance, history=hidden_history)


def init(directory: Path, *, force: bool = False) -> list[str]:
    """Scaffold a state repo in ``directory`` (``git init`` when it is not one yet): a starter baseline extending
    seed-security, the nightly and pull-request workflows, and a pre-commit configuration. Existing files are
    kept unless ``force``; returns the paths written."""
    files = baseline_scaffold.scaffold(__version__)
    existing = [path for path in files if (directory / path).exists()]
    if existing and not force:
        raise UsageError(f"{directory}: {', '.join(existing)} already exist (--force overwrites)")
    with _operational():
        StateRepo.open(directory, create=True).close()
    for path, text in files.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return list(files)


def baseline_sources(repo_path: Path | None = None) -> dict[str, str]:
    """Name → display path of every baseline available: the state repo's working tree, then the shipped ones."""
    out = {name: f"{SHIPPED_PREFIX}{name}.yaml" for name in baseline.shipped_sources()}
    if repo_path is not None:
        for path in _worktree_baselines(repo_path):
            out[name_of(path)] = path
    return dict(sorted(out.items()))


def shipped_baselines() -> dict[str, str]:
    """Name → YAML text of the baselines shipped with driftguard (``seed-security``)."""
    return baseline.shipped_sources()


__all__ += [
    "InForce",
    "InvalidBaselineError",
    "baseline_sources",
    "ignored",
    "init",
    "load_baselines",
    "pin",
    "plan",
    "shipped_baselines",
    "validate",
]
