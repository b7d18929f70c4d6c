"""Rule case files (``tests/fixtures/rules/<ID>.yaml``): loading and expanding fragments into snapshots.

A case file::

    rule: DG-VMOTION-001
    base:                      # optional fragment deep-merged under every case's snapshot
      hosts: {h1: {cluster: c1}}
    cases:
      - name: connected-host-cdrom
        snapshot:              # objects keyed by id; ``id`` and ``name`` default to the key
          vms: {web01: {host: h1, devices: {...}}}
        params: {...}          # the rule's parameters (validated against its Params model)
        zones: {...}           # a zones.yaml document
        drift: [...]           # DriftItem fragments (vcenter/category/severity have defaults)
        history: {...}         # a History document
        bundles: [...]         # BundleLogs fragments (vm-support bundle log lines; vcenter and host_id default)
        expect:                # [] for a passing case
          - {id: web01, path: null, severity: medium, message: [cannot vMotion, CD-ROM]}

``null`` in a case removes a key the base set. Cluster ``hosts`` default to the hosts whose ``cluster`` is the
cluster; a VM's ``cluster`` defaults to its host's.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from driftguard.models import BundleLogs, DriftItem, Finding, History, Snapshot
from driftguard.policy import RuleContext, ZoneConfig
from tests.paths import FIXTURES

CASES_DIR = FIXTURES / "rules"
VCENTER = "vc.example"
KIND_KEYS = ("clusters", "hosts", "vms", "dvswitches", "datastores")


@dataclass
class Case:
    rule: str
    name: str
    snapshot: dict[str, Any]
    expect: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)
    zones: dict[str, Any] | None = None
    drift: list[dict[str, Any]] = field(default_factory=list)
    history: dict[str, Any] | None = None
    bundles: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passing(self) -> bool:
        return not self.expect


def load_file(path: Path) -> tuple[str, list[Case]]:
    # Through JSON, so YAML aliases (``*host``) become independent copies a case can change one of.
    data = json.loads(json.dumps(YAML(typ="safe").load(path.read_text(encoding="utf-8"))))
    rule = data["rule"]
    base = data.get("base") or {}
    cases = []
    for raw in data["cases"]:
        unknown = set(raw) - {"name", "snapshot", "expect", "params", "zones", "drift", "history", "bundles", "base"}
        assert not unknown, f"{path.name}: case {raw.get('name')}: unknown keys {unknown}"
        fragment = raw.get("snapshot") or {}
        snapshot = deep_merge(base, fragment) if raw.get("base", True) else fragment
        cases.append(
            Case(
                rule=rule,
                name=raw["name"],
                snapshot=snapshot,
                expect=raw.get("expect") or [],
                params=raw.get("params") or {},
                zones=raw.get("zones"),
                drift=raw.get("drift") or [],
                history=raw.get("history"),
                bundles=raw.get("bundles") or [],
            )
        )
    return rule, cases


def load_all() -> dict[str, list[Case]]:
    out: dict[str, list[Case]] = {}
    for path in sorted(CASES_DIR.glob("*.yaml")):
        rule, cases = load_file(path)
        assert path.stem == rule, f"{path.name} declares rule {rule}"
        out[rule] = cases
    return out


def deep_merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = copy.deepcopy(base)
        for key, value in over.items():
            if value is None and key in base:
                del merged[key]  # null in a case removes what the base set
            else:
                merged[key] = deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(over)


def build_snapshot(fragment: dict[str, Any]) -> Snapshot:
    data: dict[str, Any] = {kind: copy.deepcopy(fragment.get(kind) or {}) for kind in KIND_KEYS}
    for kind in KIND_KEYS:
        for key, obj in data[kind].items():
            obj.setdefault("id", key)
            obj.setdefault("name", key)
    for key, cluster in data["clusters"].items():
        cluster.setdefault("hosts", sorted(h for h, host in data["hosts"].items() if host.get("cluster") == key))
    for vm in data["vms"].values():
        host = data["hosts"].get(vm.get("host") or "")
        if host is not None and "cluster" not in vm:
            vm["cluster"] = host.get("cluster")
    manifest = {
        "tool_version": "test",
        "vcenter": {"name": VCENTER, "url": f"https://{VCENTER}/sdk"},
        "started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:01:00+00:00",
    }
    return Snapshot.model_validate({"manifest": manifest, **data}).with_counts()


def build_context(case: Case, snapshot: Snapshot) -> RuleContext:
    drift = []
    for raw in case.drift:
        item = {"vcenter": VCENTER, "category": "other", "severity": "medium", "change": "modified", **raw}
        item.setdefault("name", item["id"])
        drift.append(DriftItem.model_validate(item))
    history = History.model_validate(case.history) if case.history is not None else None
    zones = ZoneConfig.model_validate(case.zones) if case.zones is not None else None
    bundles = [BundleLogs.model_validate({"vcenter": VCENTER, "host_id": raw["name"], **raw}) for raw in case.bundles]
    return RuleContext.build(snapshot, drift=drift, history=history, zones=zones, bundles=bundles)


def matches(expected: dict[str, Any], finding: Finding) -> bool:
    if "id" in expected and finding.id != expected["id"]:
        return False
    if "kind" in expected and finding.kind != expected["kind"]:
        return False
    if "path" in expected and finding.path != expected["path"]:
        return False
    if "severity" in expected and finding.severity != expected["severity"]:
        return False
    wanted = expected.get("message", [])
    wanted = [wanted] if isinstance(wanted, str) else wanted
    return all(text in finding.message for text in wanted)
