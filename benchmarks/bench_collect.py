"""Collection against the simulator: round trips grow with pages, not objects. Prints figures and ratios
measured in one run (never asserted anywhere).

    .venv/bin/python benchmarks/bench_collect.py [--clusters 10] [--hosts 20] [--vms 4]

Starts the launcher twice — a small estate and one ``--clusters x --hosts`` times larger — collects each at two
page sizes, and prints objects, round trips and seconds per run, then the ratios: objects grew N times, round trips
grew M times at the same page size.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from driftguard.collect import collect_inventory, connect
from tests.vcsim import harness


def measure(flags: dict[str, int], page_size: int) -> tuple[int, int, float]:
    with harness.start(**flags) as sim:
        started = time.perf_counter()
        with connect(sim.url, "bench", "bench") as session:
            raw = collect_inventory(session, page_size=page_size)
            trips = session.round_trips
        seconds = time.perf_counter() - started
    objects = sum(len(v) for v in raw["objects"].values())
    return objects, trips, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--vms", type=int, default=4)
    args = parser.parse_args()
    harness.build()
    small = {"clusters": 1, "hosts": 2, "vms": args.vms}
    large = {"clusters": args.clusters, "hosts": args.hosts, "vms": args.vms}
    print(f"{'estate':>8} {'page':>6} {'objects':>8} {'round trips':>12} {'seconds':>8}")
    results: dict[tuple[str, int], tuple[int, int, float]] = {}
    for label, flags in (("small", small), ("large", large)):
        for page in (100, 1000):
            results[(label, page)] = measure(flags, page)
            objects, trips, seconds = results[(label, page)]
            print(f"{label:>8} {page:>6} {objects:>8} {trips:>12} {seconds:>8.2f}")
    for page in (100, 1000):
        (o1, t1, s1), (o2, t2, s2) = results[("small", page)], results[("large", page)]
        print(
            f"page {page}: objects x{o2 / o1:.1f}, round trips x{t2 / t1:.1f}, "
            f"time x{s2 / s1:.1f} ({s2 / o2 * 1000:.2f} ms per object at scale)"
        )


if __name__ == "__main__":
    main()
