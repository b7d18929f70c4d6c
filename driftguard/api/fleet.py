"""Fleet runs: every vCenter of driftguard.yaml snapshotted concurrently into one state repo, then published.

Each vCenter runs the one snapshot flow (:func:`driftguard.api.snapshot`) in its own worker thread, at most
``jobs`` at a time, with its own credentials (``password_env``, ``password_file`` or the OS keyring). A vCenter that
fails (unreachable, login refused, no password) is reported and never stops the others. The snapshots collect
concurrently and commit in turn: the writer lock of the state repo is held only to commit, and the run's own
snapshots wait for each other (:mod:`driftguard.store.lock`). vCenters never share files in the state repo, so
their commits never conflict, here or when :func:`push` rebases onto what other writers pushed.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftguard import policy
from driftguard.api._common import DriftguardError, OperationalError, UsageError, opened, operational, vcenter_name
from driftguard.api.baselines import init
from driftguard.api.checks import check
from driftguard.api.config import load_config
from driftguard.api.connections import resolve_connection
from driftguard.api.filters import Selector
from driftguard.api.snapshots import SnapshotResult, snapshot
from driftguard.baseline.scaffold import Scheduled
from driftguard.models import CheckReport, Endpoint
from driftguard.models.config import DriftguardConfig, VCenterConfig
from driftguard.models.suppression import Suppressed
from driftguard.store import lock as store_lock
from driftguard.store import push as store_push

DEFAULT_JOBS = 4
"""vCenters collected at once by default: each holds one session and its inventory in memory (docs/fleet.md)."""
MAX_JOBS = 64


@dataclass(frozen=True)
class VCenterRun:
    """The outcome of one vCenter's snapshot in a fleet run."""

    name: str
    """The vCenter's name in driftguard.yaml."""
    ok: bool
    seconds: float
    commit: str | None = None
    """The new commit (None: nothing changed, or the run failed)."""
    changes: int | None = None
    """Drift items since the previous snapshot (None for the first snapshot, or when the run failed)."""
    error: str | None = None
    """One line for people when the run failed."""
    exit_code: int = 0
    """The exit code this vCenter's run alone would have had: 0, 2 (usage or input) or 3 (operational)."""
    result: SnapshotResult | None = None


@dataclass(frozen=True)
class Pushed:
    remote: str
    branch: str
    head: str
    attempts: int
    rebased: bool


@dataclass(frozen=True)
class FleetResult:
    runs: list[VCenterRun]
    """One per vCenter, in driftguard.yaml's order."""
    pushed: Pushed | None = None
    push_error: str | None = None

    @property
    def failed(self) -> list[VCenterRun]:
        return [run for run in self.runs if not run.ok]


@contextlib.contextmanager
def waiting_for_lock(seconds: float) -> Iterator[None]:
    """Within the block, a write finding the state repo locked by another process waits up to ``seconds``."""
    with store_lock.waiting(seconds):
        yield


def fleet_vcenters(config: DriftguardConfig, names: Sequence[str] = ()) -> list[VCenterConfig]:
    """The vCenters a fleet run covers: all of driftguard.yaml's, or the ``names`` given (each must be there)."""
    if not config.vcenters:
        raise UsageError("--all needs the vCenters listed in driftguard.yaml (vcenters:), and it lists none")
    if not names:
        return list(config.vcenters)
    unknown = [n for n in names if config.vcenter(n) is None]
    if unknown:
        have = ", ".join(v.name for v in config.vcenters)
        raise UsageError(f"driftguard.yaml lists no vCenter named {', '.join(map(repr, unknown))} (have: {have})")
    return [v for v in config.vcenters if v.name in names]


def _run_one(
    config: DriftguardConfig,
    entry: VCenterConfig,
    repo_path: Path,
    overrides: Mapping[str, Any],
    ignore: Sequence[str],
) -> VCenterRun:
    started = time.monotonic()
    try:
        resolved = resolve_connection(config, entry.name, overrides)
        if resolved.password is None or not resolved.password.get_secret_value():
            raise UsageError(
                f"no password: set {resolved.settings.password_env}, or password_file or keyring: true in "
                "driftguard.yaml"
            )
        result = snapshot(resolved.connection(), repo_path, ignore=ignore)
    except DriftguardError as exc:
        return VCenterRun(entry.name, False, time.monotonic() - started, error=str(exc), exit_code=exc.exit_code)
    changes = len(result.report.items) if result.report is not None else None
    return VCenterRun(entry.name, True, time.monotonic() - started, result.commit, changes, result=result)


def snapshot_all(
    config: DriftguardConfig,
    repo_path: Path,
    *,
    names: Sequence[str] = (),
    jobs: int = DEFAULT_JOBS,
    overrides: Mapping[str, Any] | None = None,
    ignore: Sequence[str] = (),
    push_to: str | None = None,
    on_done: Callable[[VCenterRun], None] | None = None,
) -> FleetResult:
    """Snapshot the vCenters of ``config`` (or those ``names``) into ``repo_path``, ``jobs`` at a time.

    ``overrides`` are the flags given (as for :func:`resolve_connection`; ``vcenter`` and ``password`` are not
    taken: each vCenter has its own). ``on_done`` is called as each vCenter finishes, from its worker thread.
    ``push_to``: a remote to publish to afterwards (:func:`push`) when any vCenter succeeded.
    """
    if not 1 <= jobs <= MAX_JOBS:
        raise UsageError(f"--jobs must be between 1 and {MAX_JOBS} (got {jobs})")
    entries = fleet_vcenters(config, names)
    flags = {k: v for k, v in (overrides or {}).items() if k not in ("vcenter", "password")}

    def work(entry: VCenterConfig) -> VCenterRun:
        run = _run_one(config, entry, repo_path, flags, ignore)
        if on_done is not None:
            on_done(run)
        return run

    with ThreadPoolExecutor(max_workers=min(jobs, len(entries)), thread_name_prefix="driftguard-fleet") as pool:
        runs = list(pool.map(work, entries))
    if push_to is None or not any(run.ok for run in runs):
        return FleetResult(runs)
    try:
        return FleetResult(runs, pushed=push(repo_path, remote=push_to))
    except OperationalError as exc:
        return FleetResult(runs, push_error=str(exc))


def push(repo_path: Path, *, remote: str = "origin", attempts: int = store_push.PUSH_ATTEMPTS) -> Pushed:
    """Push the state repo's branch and verification notes to ``remote``, rebasing onto what other writers pushed
    meanwhile and trying again (bounded); an :class:`OperationalError` when it cannot (the commits stay local)."""
    with opened(repo_path) as repo, operational():
        done = store_push.push(repo, remote=remote, attempts=attempts)
    return Pushed(done.remote, done.branch, done.head, done.attempts, done.rebased)


def check_all(
    repo_path: Path,
    rev: str | None = None,
    *,
    rules: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    zones: Path | None = None,
    baselines: Sequence[str] | None = None,
    use_baselines: bool = True,
    select: Selector | None = None,
) -> CheckReport:
    """:func:`check` on the latest snapshot of every vCenter of the state repo at ``rev`` (default HEAD), as one
    report: the findings of all of them (each names its vCenter), the target the commit checked."""
    with opened(repo_path) as repo:
        commit = repo.resolve(rev or "HEAD") if repo.head() is not None else None
        names = repo.vcenters(commit) if commit is not None else []
    if commit is None or not names:
        raise UsageError("the state repo has no snapshot yet: run `driftguard snapshot` first")
    reports = [
        check(
            repo_path,
            rev,
            vcenter=name,
            rules=rules,
            skip=skip,
            zones=zones,
            baselines=baselines,
            use_baselines=use_baselines,
            select=select,
        )
        for name in names
    ]
    findings = policy.sort_findings([f for r in reports for f in r.findings])
    times = [r.target.collected_at for r in reports if r.target.collected_at is not None]
    return CheckReport(
        target=Endpoint(ref=commit, collected_at=max(times) if times else None),
        findings=findings,
        summary=CheckReport.summarize(findings),
        compliance=[item for r in reports for item in r.compliance],
        exempted=[e for r in reports for e in r.exempted],
        expired_exemptions=[e for r in reports for e in r.expired_exemptions],
        suppressed=Suppressed(
            items=sum(r.suppressed.items for r in reports),
            rules=sorted((rule for r in reports for rule in r.suppressed.rules), key=lambda rule: -rule.items),
        ),
    )


@dataclass(frozen=True)
class Initialized:
    """What ``driftguard init --target`` wrote, and what the person does next."""

    written: list[str]
    commit_command: str
    """The exact git command that commits the files written."""
    next_steps: list[str]


NEXT_STEPS = {
    "github": [
        "add one repository secret per vCenter, named as password_secret in .github/workflows/driftguard-nightly.yml",
        "register a self-hosted runner labelled 'driftguard' that can reach vCenter",
        "push: the nightly workflow runs at 02:15 UTC (or start it by hand: workflow_dispatch)",
    ],
    "kubernetes": [
        "build the image from driftguard's packaging/Containerfile (docs/fleet.md) and push it to your registry",
        "kubectl create secret generic driftguard-vcenters --from-literal=<key>=<password> (one key per CronJob)",
        "kubectl create secret generic driftguard-ssh --from-file=id_ed25519=<deploy key> "
        "--from-file=known_hosts=<ssh-keyscan output of the git server>",
        "kubectl apply -f deploy/kubernetes/",
    ],
    "systemd": [
        "install driftguard in /opt/driftguard (docs/fleet.md), and clone the state repo to /var/lib/driftguard/state",
        "put each vCenter's password in /etc/driftguard/credentials/<name> (mode 0600, owner root)",
        "copy deploy/systemd/driftguard@.service and driftguard@.timer to /etc/systemd/system/",
        "systemctl enable --now driftguard@<name>.timer for each vCenter of driftguard.yaml",
    ],
}


def _executable() -> str:
    """The driftguard beside this Python (a venv's bin/), else the documented /opt/driftguard/bin/driftguard."""
    beside = Path(sys.executable).parent / "driftguard"
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else "/opt/driftguard/bin/driftguard"


def init_target(
    directory: Path, target: str = "github", *, force: bool = False, remote: str | None = None
) -> Initialized:
    """Scaffold ``directory`` for ``target`` (github, kubernetes, systemd) from the vCenters of its driftguard.yaml;
    the files are written, not committed: :attr:`Initialized.commit_command` commits them."""
    config = load_config(directory if directory.is_dir() else None, quiet=True).config
    scheduled = [Scheduled(v.name, vcenter_name(v.url), v.password_env) for v in config.vcenters]
    written = init(directory, force=force, target=target, vcenters=scheduled, remote=remote, executable=_executable())
    quoted = " ".join(shlex.quote(path) for path in written)
    command = (
        f"git -C {shlex.quote(str(directory))} add -- {quoted} && "
        f"git -C {shlex.quote(str(directory))} commit -m {shlex.quote(f'driftguard init --target {target}')}"
    )
    return Initialized(written=written, commit_command=command, next_steps=NEXT_STEPS[target])
