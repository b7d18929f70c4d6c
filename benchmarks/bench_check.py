"""`driftguard check` at estate scale against the simulator: prints figures measured in one run (never asserted).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_check.py [--clusters 20] [--hosts 25] [--vms 4]

Starts the simulator launcher with that topology (default 500 cluster hosts, 2000 VMs), snapshots it into a fresh
state repo through the CLI, writes a zone file that splits every cluster into two zones, then times the whole
catalogue (`driftguard check`, load + rules + formatting) and each rule on its own on the loaded snapshot.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from driftguard import api
from driftguard.cli import app
from driftguard.policy import RuleContext, all_rules, parse_zones, plan, run
from driftguard.store import StateRepo
from tests.vcsim.harness import start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--hosts", type=int, default=25)
    parser.add_argument("--vms", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("DRIFTGUARD_PASSWORD", "any")  # the simulator accepts any password
    with tempfile.TemporaryDirectory() as tmp, start(clusters=args.clusters, hosts=args.hosts, vms=args.vms) as sim:
        repo = Path(tmp) / "state"
        runner = CliRunner()
        t0 = time.perf_counter()
        result = runner.invoke(app, ["snapshot", "--vcenter", sim.url, "--user", "bench", "--repo", str(repo)])
        assert result.exit_code == 0, result.output
        print(f"snapshot: {time.perf_counter() - t0:.1f} s ({sim.info['counts']})")
        (repo / "zones.yaml").write_text("zones:\n  dmz:\n    vms: ['*_VM0']\n  production:\n    vms: ['*_VM[1-9]*']\n")

        t0 = time.perf_counter()
        report = api.check(repo)
        total = time.perf_counter() - t0
        print(
            f"check (load + 23 rules): {total:.2f} s, {report.summary.findings} findings {report.summary.by_severity}"
        )
        t0 = time.perf_counter()
        result = runner.invoke(app, ["check", "--repo", str(repo), "--format", "sarif"])
        print(f"check --format sarif via the CLI: {time.perf_counter() - t0:.2f} s, {len(result.stdout) / 1e6:.1f} MB")

        t0 = time.perf_counter()
        snapshot = StateRepo.open(repo).load()
        load = time.perf_counter() - t0
        zones = parse_zones((repo / "zones.yaml").read_text())
        print(f"load alone: {load:.2f} s; rules alone: {total - load:.2f} s (approx.)")
        timings = []
        for planned in plan(all_rules()):
            context = RuleContext.build(snapshot, zones=zones)
            t0 = time.perf_counter()
            findings = run(snapshot, context, [planned])
            timings.append((time.perf_counter() - t0, planned.rule.id, len(findings)))
        for seconds, rule_id, n in sorted(timings, reverse=True):
            print(f"  {rule_id:15} {seconds * 1000:8.1f} ms  {n:6} findings")


if __name__ == "__main__":
    main()
