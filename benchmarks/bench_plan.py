"""Plan and compliance on a synthetic estate: N clusters with M hosts each, the seed-security baseline plus a site
baseline whose das.isolationaddress0 moves (the pull request of docs/baselines.md). Figures only, no asserts."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from driftguard import baseline
from driftguard.baseline import plan
from driftguard.models import Snapshot
from driftguard.models.plan import PlanReport
from driftguard.report.plan import plan_markdown

FIXTURE = (
    Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "normalize" / "snapshot" / "vcsim-default.json"
)
SITE = """\
extends: seed-security
expectations:
  - {id: isolation, select: {kind: cluster}, path: 'ha.options["das.isolationaddress0"]', equals: %s, reason: r}
"""


def estate(clusters: int, hosts: int) -> Snapshot:
    data = json.loads(FIXTURE.read_text())["expected"]
    cluster = next(iter(data["clusters"].values()))
    host = next(iter(data["hosts"].values()))
    data["clusters"], data["hosts"], data["vms"] = {}, {}, {}
    for c in range(clusters):
        cid = f"domain-c{c}"
        data["clusters"][cid] = {**cluster, "id": cid, "name": f"cl{c:04}", "hosts": []}
        for h in range(hosts):
            hid = f"host-{c}-{h}"
            data["hosts"][hid] = {**host, "id": hid, "name": f"esx{c:04}-{h}", "cluster": cid}
    return Snapshot.model_validate(data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=500)
    parser.add_argument("--hosts", type=int, default=8)
    args = parser.parse_args()
    snap = estate(args.clusters, args.hosts)
    base = baseline.load({"baselines/site.yaml": SITE % "10.0.0.1"})
    head = baseline.load({"baselines/site.yaml": SITE % "10.0.0.2"})
    t0 = time.perf_counter()
    items = baseline.compliance(snap, head)
    t1 = time.perf_counter()
    planned = plan.planned(base, head, [snap])
    new, gone, _, _ = plan.compliance_delta(base, head, [snap])
    t2 = time.perf_counter()
    report = PlanReport.model_validate(
        {"base": {"ref": "b" * 40}, "head": {"ref": "worktree"}, "expectations": planned,
         "newly_noncompliant": new, "resolved": gone}
    )  # fmt: skip
    text = plan_markdown(report)
    t3 = time.perf_counter()
    objects = args.clusters * (1 + args.hosts)
    print(f"{args.clusters} clusters, {args.clusters * args.hosts} hosts ({objects} objects), seed-security + site")
    print(f"compliance: {len(items)} violations in {t1 - t0:.2f} s")
    print(f"plan (changed expectations + compliance before/after): {t2 - t1:.2f} s; {len(new)} newly non-compliant")
    print(f"markdown: {len(text):,} characters in {t3 - t2:.2f} s (limit 65,536)")


if __name__ == "__main__":
    main()
