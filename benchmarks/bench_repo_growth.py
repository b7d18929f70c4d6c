"""State-repo growth over a simulated year: nightly snapshots written by driftguard's own store, 1 % churn a day.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_repo_growth.py [--vms 5500] [--days 365] [--churn 0.01]

A synthetic estate (benchmarks/bench_store_diff.py's ``build``) is written once, then every "night" ``--churn`` of
its VMs get a changed memory size (a different sample each day, so changes accumulate) and the snapshot is written
again with ``StateRepo.write_snapshot`` into a normal (non-bare) state repo. Printed: the write time over the
year, the repo's size on disk and ``git count-objects`` before and after ``git gc``, and the cost of ``log``
and ``diff`` (the last night, and the whole year) at the end. Figures only, never asserted.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_store_diff import build

from driftguard import api
from driftguard.models import Snapshot
from driftguard.store import StateRepo

START = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)


def night(snapshot: Snapshot, day: int, churn: float) -> Snapshot:
    """The estate on ``day``: ``churn`` of the VMs (a fresh sample) with 1 MB more memory, collected that night."""
    rng = random.Random(day)  # noqa: S311  # reproducible synthetic data, not security
    vms = dict(snapshot.vms)
    for vm_id in rng.sample(sorted(vms), max(1, int(len(vms) * churn))):
        vm = vms[vm_id]
        memory = vm.memory.model_copy(update={"size_mb": (vm.memory.size_mb or 0) + 1})
        vms[vm_id] = vm.model_copy(update={"memory": memory})
    when = START + timedelta(days=day)
    manifest = snapshot.manifest.model_copy(update={"started_at": when, "finished_at": when + timedelta(minutes=5)})
    return snapshot.model_copy(update={"vms": vms, "manifest": manifest})


def disk_usage(path: Path) -> float:
    """MB on disk (``du``: what the file system really holds, 4 KiB blocks and all)."""
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0]) / 1024


def count_objects(repo: Path) -> str:
    out = subprocess.run(["git", "-C", str(repo), "count-objects", "-v"], capture_output=True, text=True, check=True)
    figures = dict(line.split(": ") for line in out.stdout.splitlines())
    return f"{figures['count']} loose ({int(figures['size']) / 1024:.0f} MB), {figures['in-pack']} packed in " + (
        f"{figures['packs']} packs ({int(figures['size-pack']) / 1024:.0f} MB)"
    )


def timed(label: str, func: object) -> float:
    started = time.perf_counter()
    func()  # type: ignore[operator]
    seconds = time.perf_counter() - started
    print(f"  {label:<52} {seconds:8.2f} s", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vms", type=int, default=5500)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--churn", type=float, default=0.01)
    parser.add_argument("--tmpdir", default=None)
    args = parser.parse_args()
    hosts = max(1, args.vms // 55)
    print(f"simulated year: {args.vms} VMs on {hosts} hosts, {args.days} nightly snapshots, {args.churn:.0%} churn")
    estate = build(hosts, args.vms)
    with tempfile.TemporaryDirectory(dir=args.tmpdir) as tmp:
        path = Path(tmp) / "state"
        repo = StateRepo.open(path, create=True)
        writes: list[float] = []
        snapshot = night(estate, 0, 0.0)
        for day in range(args.days + 1):
            if day:
                snapshot = night(snapshot, day, args.churn)
            started = time.perf_counter()
            repo.write_snapshot(snapshot, f"night {day}")
            writes.append(time.perf_counter() - started)
            if day == 1 or day % 30 == 0 or day == args.days:
                print(f"  day {day:3}: {disk_usage(path / '.git'):7.1f} MB .git; {count_objects(path)}", flush=True)
        nightly = sorted(writes[1:]) or [0.0]
        print(
            f"  writes: first {writes[0]:.1f} s; nightly median {nightly[len(nightly) // 2]:.2f} s, "
            f"max {nightly[-1]:.2f} s"
        )
        print(f"  work tree (the estate's files): {disk_usage(path) - disk_usage(path / '.git'):.1f} MB")
        timed("driftguard log (50 entries)", lambda: api.log(path))
        timed("driftguard diff (last night)", lambda: api.diff(path))
        timed("driftguard diff (the whole year: first..last)", lambda: api.diff(path, "HEAD~" + str(args.days)))
        timed("git gc", lambda: subprocess.run(["git", "-C", str(path), "gc", "-q"], check=True))
        print(f"  after git gc: {disk_usage(path / '.git'):7.1f} MB .git; {count_objects(path)}")
        timed("driftguard log (50 entries), after gc", lambda: api.log(path))
        timed("driftguard diff (last night), after gc", lambda: api.diff(path))


if __name__ == "__main__":
    main()
