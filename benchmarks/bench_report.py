"""The HTML report at estate scale: prints generation time and site size measured in one run (never asserted).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_report.py [--vms 5500] [--hosts 350] [--snapshots 30] [--churn 0.01]

Builds a synthetic state repo through the store (bench_store_diff's estate: clusters with HA/DRS options, hosts
with portgroups and vmknics, VMs with devices), one snapshot a day with ``--churn`` of the VMs and hosts modified
each time, then runs ``driftguard.api.html_report`` over all of it and reports the time, the pages, the files and
the bytes of the site (index.js, the timeline's data, separately).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# the same synthetic estate as the store benchmark (run as a script: benchmarks/ is on the path)
from bench_store_diff import build, changed_copy

from driftguard import api
from driftguard.store import StateRepo


def build_repo(path: Path, vms: int, hosts: int, snapshots: int, churn: float) -> None:
    """One snapshot a day from 2026-11-01, each with ``churn`` of the VMs and hosts changed."""
    start = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    snapshot = build(hosts, vms)
    with StateRepo.open(path, create=True) as repo:
        for day in range(snapshots):
            at = start + timedelta(days=day)
            if day:
                snapshot, _ = changed_copy(snapshot, churn, seed=day)
            manifest = snapshot.manifest.model_copy(update={"started_at": at, "finished_at": at + timedelta(minutes=5)})
            snapshot = snapshot.model_copy(update={"manifest": manifest})
            repo.write_snapshot(snapshot, f"day {day}", now=at + timedelta(minutes=5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=5500)
    parser.add_argument("--hosts", type=int, default=350)
    parser.add_argument("--snapshots", type=int, default=30)
    parser.add_argument("--churn", type=float, default=0.01)
    parser.add_argument("--tmpdir", default=None)
    parser.add_argument(
        "--state", type=Path, default=None, help="keep the built state repo here and reuse it on the next run"
    )
    args = parser.parse_args()

    print(f"estate: {args.vms} VMs, {args.hosts} hosts; {args.snapshots} snapshots, {args.churn:.0%} churn each")
    with tempfile.TemporaryDirectory(dir=args.tmpdir) as tmp:
        repo_path, site = args.state or Path(tmp) / "state", Path(tmp) / "site"
        if not (repo_path / ".git").is_dir():
            t0 = time.perf_counter()
            build_repo(repo_path, args.vms, args.hosts, args.snapshots, args.churn)
            print(f"  build the state repo (store code)             {time.perf_counter() - t0:9.1f} s", flush=True)

        t0 = time.perf_counter()
        stats = api.html_report(repo_path, site)
        elapsed = time.perf_counter() - t0
        index = (site / "assets" / "index.js").stat().st_size
        print(f"  report --html                                 {elapsed:9.1f} s")
        print(f"  pages                                         {stats.pages:9d}   ({stats.objects} object pages)")
        print(f"  files                                         {stats.files:9d}")
        print(f"  site size                                     {stats.bytes / 2**20:9.1f} MiB")
        print(f"  timeline index (assets/index.js)              {index / 2**20:9.1f} MiB")
        print(f"  per snapshot pair                             {elapsed / max(1, args.snapshots - 1):9.2f} s")


if __name__ == "__main__":
    main()
