"""Capture raw inventories from the vCenter simulator as golden-file inputs for the normalisers.

    .venv/bin/python scripts/capture_raw.py                 # writes tests/fixtures/normalize/*/vcsim-*.json
    .venv/bin/python scripts/capture_raw.py --raw-out raw.json --vms 5   # also keep the whole raw inventory
    UPDATE_GOLDEN=1 .venv/bin/pytest tests/normalize/test_normalize_golden.py      # then fill in "expected" ...
    git diff tests/fixtures/normalize                                    # ... and review every line

Starts the simulator through ``tests/vcsim/harness.py``, collects with ``driftguard.collect`` and writes, per
kind, the kind's objects plus the context its normaliser reads (parents up to the root, a host's option
manager, a VM's host and networks, a switch's portgroups). Context objects keep only what is read from them.
Existing ``expected`` values are kept, so a re-capture shows up as a diff of the raw input only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from driftguard.collect import collect_inventory, connect  # noqa: E402  (after the sys.path fix-up)
from tests.vcsim.harness import start  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "normalize"

KIND_TYPES: dict[str, tuple[str, ...]] = {
    "cluster": ("ClusterComputeResource",),
    "host": ("HostSystem",),
    "vm": ("VirtualMachine",),
    "dvswitch": ("VmwareDistributedVirtualSwitch", "DistributedVirtualSwitch"),
    "datastore": ("Datastore",),
}
CONTEXT_PROPS = ("name", "parent", "key")
"""What normalisers read from an object that is only context (walking parents, naming a portgroup)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=FIXTURES, help="golden case directory (default: %(default)s)")
    parser.add_argument("--case", default="vcsim-default", help="case file name (default: %(default)s)")
    parser.add_argument("--raw-out", type=Path, help="also write the whole raw inventory here")
    parser.add_argument("--clusters", type=int, default=1)
    parser.add_argument("--hosts", type=int, default=1, help="hosts per cluster")
    parser.add_argument("--standalone-hosts", type=int, default=1)
    parser.add_argument("--vms", type=int, default=1, help="VMs per host")
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument(
        "--per-kind",
        type=int,
        default=2,
        help="objects per kind case, in moref order (default %(default)s: a standalone and a clustered host)",
    )
    args = parser.parse_args(argv)

    with (
        start(clusters=args.clusters, hosts=args.hosts, standalone_hosts=args.standalone_hosts, vms=args.vms) as sim,
        connect(sim.url, sim.username, sim.password) as session,
    ):
        raw: Any = collect_inventory(session, page_size=args.page_size)

    if args.raw_out:
        _write(args.raw_out, raw)
    for kind, types in KIND_TYPES.items():
        subset = subset_for(raw["objects"], types, limit=args.per_kind)
        _write_case(args.out / kind / f"{args.case}.json", {"objects": subset})
    _write_case(args.out / "snapshot" / f"{args.case}.json", raw)
    print(f"captured {sum(len(v) for v in raw['objects'].values())} objects in {raw['round_trips']} round trips")
    print("now run: UPDATE_GOLDEN=1 .venv/bin/pytest tests/normalize/test_normalize_golden.py, and review the diff")
    return 0


def subset_for(
    objects: Mapping[str, list[dict[str, Any]]], types: Iterable[str], *, limit: int
) -> dict[str, list[dict[str, Any]]]:
    """The first ``limit`` objects of ``types`` plus the context their normaliser reads, context trimmed."""
    by_moref = {obj["moref"]: (kind, obj) for kind, items in objects.items() for obj in items}
    targets = {obj["moref"] for kind in types for obj in objects.get(kind, [])[:limit]}
    whole: set[str] = set(targets)
    context: set[str] = set()

    def add_with_parents(moref: str | None) -> None:
        while moref and moref in by_moref and moref not in context:
            context.add(moref)
            moref = _ref(by_moref[moref][1]["props"].get("parent"))

    for moref in targets:
        kind, obj = by_moref[moref]
        props = obj["props"]
        add_with_parents(_ref(props.get("parent")))
        if kind == "HostSystem":
            whole.add(_ref(props.get("configManager.advancedOption")) or "")
        if kind == "VirtualMachine":
            add_with_parents(_ref(props.get("runtime.host")))
            for device in props.get("config", {}).get("hardware", {}).get("device", []):
                backing = device.get("backing") or {}
                add_with_parents(_ref(backing.get("network")))
                add_with_parents((backing.get("port") or {}).get("portgroupKey"))
        if kind in KIND_TYPES["dvswitch"]:
            for group in objects.get("DistributedVirtualPortgroup", []):
                if _ref(group["props"].get("config", {}).get("distributedVirtualSwitch")) == moref:
                    whole.add(group["moref"])
                    add_with_parents(_ref(group["props"].get("parent")))

    return _trimmed(objects, whole, context)


def _trimmed(
    objects: Mapping[str, list[dict[str, Any]]], whole: set[str], context: set[str]
) -> dict[str, list[dict[str, Any]]]:
    """The objects in ``whole`` as they are, those in ``context`` cut down to the properties normalisers read."""
    result: dict[str, list[dict[str, Any]]] = {}
    for kind, items in objects.items():
        kept = []
        for obj in items:
            if obj["moref"] in whole:
                kept.append(obj)
            elif obj["moref"] in context:
                props = {k: v for k, v in obj["props"].items() if k in CONTEXT_PROPS}
                kept.append({"moref": obj["moref"], "props": props, "missing": {}})
        if kept:
            result[kind] = kept
    return result


def _ref(value: Any) -> str | None:
    return value.get("value") if isinstance(value, dict) else None


def _write_case(path: Path, raw: Any) -> None:
    expected = None
    if path.exists():
        expected = json.loads(path.read_text(encoding="utf-8")).get("expected")
    _write(path, {"raw": raw, "expected": expected})
    print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
