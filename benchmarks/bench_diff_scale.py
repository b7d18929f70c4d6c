"""`driftguard diff` of the same 55 changes in a 5,500- and a 45,000-VM state repo: flat in estate size?

    PYTHONPATH=. .venv/bin/python benchmarks/bench_diff_scale.py [--sizes 5500,45000] [--changes 55]

Synthetic estates (bench_store_diff's ``build``, 55 VMs a host) written by the store, then one commit that gives
``--changes`` VMs more memory; ``driftguard.api.diff`` of the pair is timed three times (the best is printed).
Figures only, never asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_store_diff import build

from driftguard.models import Snapshot
from driftguard.store import StateRepo


def changed(snapshot: Snapshot, count: int) -> Snapshot:
    vms = dict(snapshot.vms)
    for vm_id in sorted(vms)[:: max(1, len(vms) // count)][:count]:
        vm = vms[vm_id]
        vms[vm_id] = vm.model_copy(update={"memory": vm.memory.model_copy(update={"size_mb": 123456})})
    manifest = snapshot.manifest.model_copy(update={"started_at": snapshot.manifest.finished_at})
    return snapshot.model_copy(update={"vms": vms, "manifest": manifest})


def measure(vms: int, changes: int, tmpdir: str | None) -> float:
    estate = build(max(1, vms // 55), vms)
    with tempfile.TemporaryDirectory(dir=tmpdir) as tmp:
        path = Path(tmp) / "state"
        repo = StateRepo.open(path, create=True)
        started = time.perf_counter()
        repo.write_snapshot(estate, "first")
        first = time.perf_counter() - started
        repo.write_snapshot(changed(estate, changes), "changed")
        del estate
        # in a fresh process, as `driftguard diff` runs: this one holds the whole estate, and forking each git
        # child from a multi-GB process costs more than the diff itself
        runs = [float(n) for n in _fresh_diff(path).split()]
        items = runs.pop()
        print(f"  {vms:>6} VMs: first write {first:6.1f} s; diff of {items:.0f} items {min(runs):.2f} s", flush=True)
        return min(runs)


FRESH = """
import sys, time
from pathlib import Path
from driftguard import api
runs = []
for _ in range(3):
    started = time.perf_counter()
    report = api.diff(Path(sys.argv[1]))
    runs.append(time.perf_counter() - started)
print(*runs, len(report.items))
"""


def _fresh_diff(path: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run([sys.executable, "-c", FRESH, str(path)], env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="5500,45000")
    parser.add_argument("--changes", type=int, default=55)
    parser.add_argument("--tmpdir", default=None)
    args = parser.parse_args()
    results = [measure(int(size), args.changes, args.tmpdir) for size in args.sizes.split(",")]
    if len(results) > 1:
        print(f"  diff at the largest / at the smallest estate: {results[-1] / results[0]:.2f}x")


if __name__ == "__main__":
    main()
