"""`driftguard history` of one VM in a year of nightly snapshots: prints figures measured in one run (never asserted).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_history.py [--days 365] [--vms 5500] [--churn 0.01]

Builds a state repo with the store's own code: ``--days`` nightly snapshots of ``--vms`` VMs in 20 clusters, each
night ``--churn`` of the VMs changed (CPU count or memory), one VM also changed every 30th night and renamed once.
Then times ``api.history`` of that VM (git's path-limited log of its file, its blobs, the one drift pipeline per
commit that touched it) against ``git log -p`` on the same file, and prints the ratio. Building the repo takes a
few minutes at the default size (``make bench`` only).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from driftguard import api
from driftguard.models import VM, Cluster, Manifest, Memory, Snapshot, VCenterInfo, VmCpu
from driftguard.store import StateRepo, object_path

VCENTER = "vc-bench.example"
START = datetime(2025, 12, 1, 2, 0, tzinfo=UTC)
TARGET = "vm-42"


def base_snapshot(vms: int) -> Snapshot:
    clusters = {f"domain-c{c}": Cluster(id=f"domain-c{c}", name=f"cluster-{c:02d}") for c in range(20)}
    machines = {
        f"vm-{i}": VM(
            id=f"vm-{i}",
            name=f"app{i:05d}",
            cluster=f"domain-c{i % 20}",
            host=f"host-{i % 400}",
            cpu=VmCpu(count=2),
            memory=Memory(size_mb=4096),
        )
        for i in range(vms)
    }
    manifest = Manifest(tool_version="bench", vcenter=VCenterInfo(name=VCENTER, url=f"https://{VCENTER}/sdk"))
    return Snapshot(manifest=manifest, clusters=clusters, vms=machines).with_counts()


def changed(vm: VM, rng: random.Random) -> VM:
    if rng.random() < 0.5:
        return vm.model_copy(update={"cpu": vm.cpu.model_copy(update={"count": rng.choice([1, 2, 4, 8, 16])})})
    return vm.model_copy(update={"memory": vm.memory.model_copy(update={"size_mb": rng.choice([2048, 4096, 8192])})})


def build(path: Path, days: int, vms: int, churn: float) -> tuple[int, float]:
    rng = random.Random(11)  # noqa: S311 - reproducible synthetic data, not security
    snapshot = base_snapshot(vms)
    target_changes = 0
    t0 = time.perf_counter()
    with StateRepo.open(path, create=True) as repo:
        for day in range(days):
            at = START + timedelta(days=day)
            machines = dict(snapshot.vms)
            for key in rng.sample(sorted(machines), max(1, int(vms * churn))):
                machines[key] = changed(machines[key], rng)
            if day and day % 30 == 0:
                machines[TARGET] = changed(machines[TARGET], rng)
                target_changes += 1
            if day == days // 2:
                machines[TARGET] = machines[TARGET].model_copy(update={"name": "app00042-renamed"})
            manifest = snapshot.manifest.model_copy(update={"started_at": at, "finished_at": at})
            snapshot = snapshot.model_copy(update={"vms": machines, "manifest": manifest})
            repo.write_snapshot(snapshot, f"nightly {day}", now=at + timedelta(minutes=5))
            if day % 50 == 0:
                print(f"  built {day + 1}/{days} snapshots ({time.perf_counter() - t0:.0f} s)", flush=True)
    return target_changes, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--vms", type=int, default=5500)
    parser.add_argument("--churn", type=float, default=0.01)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "state"
        forced, seconds = build(repo, args.days, args.vms, args.churn)
        print(f"built {args.days} snapshots of {args.vms} VMs, {args.churn:.0%} daily churn: {seconds:.0f} s")

        t0 = time.perf_counter()
        history = api.history(repo, "vm", TARGET)
        ours = time.perf_counter() - t0
        entries = len(history.entries)
        print(f"history of {TARGET}: {ours:.3f} s, {entries} changes (>= {forced} forced), names {history.names}")

        with StateRepo.open(repo) as state:
            path = str(object_path(state.load(), state.load().vms[TARGET]))
        t0 = time.perf_counter()
        out = subprocess.run(["git", "-C", str(repo), "log", "-p", "--", path], capture_output=True, check=True)
        plain = time.perf_counter() - t0
        print(f"git log -p -- {path}: {plain:.3f} s ({len(out.stdout) // 1024} KiB; no renames, no users)")
        print(f"ratio history / git log -p: {ours / plain:.1f}x")


if __name__ == "__main__":
    main()
