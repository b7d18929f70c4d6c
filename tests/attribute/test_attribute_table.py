"""The event table: it covers every path of the canonical models, and its rules are consistent."""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from driftguard.attribute import TABLE, item_properties, lookup
from driftguard.models import (
    KIND_MODELS,
    KINDS,
    NOT_DIFFED,
    VM,
    Backing,
    Cluster,
    Device,
    DRSConfig,
    DrsRule,
    ManagedObject,
)
from driftguard.models.paths import Key, render
from driftguard.models.patterns import glob_any

MODELS: dict[str, type[ManagedObject]] = dict(KIND_MODELS)
NOT_DRIFT = {"id", "kind", *NOT_DIFFED}
"""Identity and bookkeeping fields the diff never reports as a modification (``name`` is a rename)."""


def _unwrap(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def paths_of(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every path the diff can report for a model: leaves, dict entries and what is inside them."""
    for name, info in model.model_fields.items():
        if not prefix and name in NOT_DRIFT:
            continue
        path = f"{prefix}.{name}" if prefix else name
        annotation = _unwrap(info.annotation)
        yield path
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from paths_of(annotation, path)
        elif get_origin(annotation) is dict:
            value = _unwrap(get_args(annotation)[1])
            entry = f'{path}["some key"]'
            yield entry
            if isinstance(value, type) and issubclass(value, BaseModel):
                yield from paths_of(value, entry)


ALL_PATHS = [(kind, path) for kind, model in MODELS.items() for path in paths_of(model)]


def test_models_cover_every_kind() -> None:
    assert set(MODELS) == set(KINDS)


@pytest.mark.parametrize(("kind", "path"), ALL_PATHS, ids=[f"{k}:{p}" for k, p in ALL_PATHS])
def test_every_model_path_has_a_rule(kind: str, path: str) -> None:
    rule = lookup(kind, path, "modified")
    assert rule is not None, f"add {kind} {path!r} to driftguard/attribute/table.py"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("change", ["added", "removed", "renamed"])
def test_whole_object_rules(kind: str, change: Literal["added", "removed", "renamed"]) -> None:
    rule = lookup(kind, "name" if change == "renamed" else "", change)
    assert rule is not None and rule.change == change
    assert rule.sources and rule.exact


@pytest.mark.parametrize("rule", TABLE, ids=[f"{r.kind}:{r.path or r.change}" for r in TABLE])
def test_rule_is_consistent(rule: Any) -> None:
    wildcards = [s for s in rule.pattern if isinstance(s, Key) and s.value is None]
    assert len(wildcards) <= 1
    assert render(rule.pattern) == rule.path, "patterns are written in canonical form"
    for template in rule.properties:
        if "{" in template:
            placeholder = template.split("{", 1)[1].split("}", 1)[0]
            assert placeholder in ("nics", "disks") or wildcards, f"{template} needs a [*] in the pattern"
    events = frozenset().union(*(s.events for s in rule.sources))
    tasks = frozenset().union(*(s.tasks for s in rule.sources))
    named = rule.exact.union(*(types_ for _, types_ in rule.exact_by_value))
    for type_ in named:
        assert glob_any(events, type_) or glob_any(tasks, type_), f"{type_} is exact but not a source"


def test_rules_are_unique() -> None:
    keys = [(r.kind, r.path, r.change) for r in TABLE]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    ("kind", "path", "change", "rule_path"),
    [
        ("vm", "cpu.count", "modified", "cpu.count"),
        ("vm", 'devices["CD/DVD drive 1"].backing.file_name', "modified", "devices[*]"),
        ("vm", 'devices["CD/DVD drive 1"]', "added", "devices[*]"),
        ("vm", 'cpu.feature_mask["-2147483647/intel"].edx', "modified", "cpu.feature_mask"),
        ("vm", 'snapshots["before upgrade"]', "removed", "snapshots"),
        ("host", 'services["TSM-SSH"].running', "modified", 'services["TSM-SSH"].running'),
        ("host", 'services["TSM-SSH"].policy', "modified", 'services["TSM-SSH"]'),
        ("host", 'services["ntpd"].running', "modified", "services[*]"),
        ("host", 'network.portgroups["DMZ"].policy.security.allow_promiscuous', "modified", "network.portgroups[*]"),
        ("cluster", 'ha.options["das.isolationaddress0"]', "added", "ha.options[*]"),
        (
            "cluster",
            "ha.default_vm_settings.vm_tools_monitoring.max_failures",
            "modified",
            "ha.default_vm_settings.vm_tools_monitoring.max_failures",
        ),
        ("cluster", 'ha.vm_overrides["vm-42"].restart_priority', "modified", "ha.vm_overrides[*]"),
        ("cluster", 'drs.rules["keep-apart"].enabled', "modified", "drs.rules[*]"),
        ("cluster", "ha.enabled", "modified", "ha.enabled"),
        ("vm", "name", "modified", ""),
        ("vm", "name", "renamed", ""),
    ],
)
def test_lookup_takes_the_most_specific_rule(kind: str, path: str, change: Any, rule_path: str) -> None:
    rule = lookup(kind, path, change)
    assert rule is not None and rule.path == rule_path


def test_lookup_unknown() -> None:
    assert lookup("vm", "no_such_field", "modified") is None
    assert lookup("folder", "anything", "modified") is None
    with pytest.raises(ValueError):
        lookup("vm", 'devices["unclosed', "modified")


def test_real_and_simulator_ids_are_both_known() -> None:
    ids = {type_ for rule in TABLE for source in rule.sources for type_ in source.tasks}
    for real, simulated in [
        ("VirtualMachine.reconfigure", "VirtualMachine.reconfigVm"),
        ("ClusterComputeResource.reconfigureEx", "ClusterComputeResource.reconfigureCluster"),
        ("VirtualMachine.relocate", "VirtualMachine.relocateVm"),
    ]:
        assert {real, simulated} <= ids
    assert {"Drm.ExecuteVMotionLRO", "cluster.EVCManager.configureEvc", "option.OptionManager.updateValues"} <= ids


# --- property resolution ----------------------------------------------------------------------------------------

VM_WITH_DEVICES = VM(
    id="vm-42",
    name="web01",
    devices={
        "CD/DVD drive 1": Device(key=3002, type="VirtualCdrom"),
        "Network adapter 1": Device(key=4000, type="VirtualVmxnet3", backing=Backing(type="x", network="VM Network")),
        "Network adapter 2": Device(
            key=4001, type="VirtualE1000", backing=Backing(type="y", portgroup_key="dvportgroup-13")
        ),
    },
)


@pytest.mark.parametrize(
    ("kind", "path", "objects", "expected"),
    [
        ("vm", 'devices["CD/DVD drive 1"].connected', (VM_WITH_DEVICES, None), ["config.hardware.device[3002]"]),
        # relabelled between snapshots: both keys count
        (
            "vm",
            'devices["CD/DVD drive 1"]',
            (
                VM_WITH_DEVICES,
                VM(id="vm-42", name="web01", devices={"CD/DVD drive 1": Device(key=3003, type="VirtualCdrom")}),
            ),
            ["config.hardware.device[3002]", "config.hardware.device[3003]"],
        ),
        ("vm", 'devices["Floppy drive 1"]', (VM_WITH_DEVICES, VM_WITH_DEVICES), ["config.hardware.device"]),
        (
            "vm",
            "networks",
            (None, VM_WITH_DEVICES),
            ["network", "config.hardware.device[4000]", "config.hardware.device[4001]"],
        ),
        ("vm", "cpu.count", (None, None), ["config.hardware.numCPU"]),
        (
            "cluster",
            'ha.options["das.isolationaddress0"]',
            (None, None),
            ['configurationEx.dasConfig.option["das.isolationaddress0"]'],
        ),
        (
            "cluster",
            'drs.rules["keep-apart"].enabled',
            (
                None,
                Cluster(id="c", name="c", drs=DRSConfig(rules={"keep-apart": DrsRule(type="anti_affinity", key=3)})),
            ),
            ["configurationEx.rule[3]"],
        ),
        ("host", 'network.portgroups["DMZ"].vlan_id', (None, None), ['config.network.portgroup["DMZ"]']),
    ],
)
def test_item_properties(kind: str, path: str, objects: Any, expected: list[str]) -> None:
    rule = lookup(kind, path, "modified")
    assert rule is not None
    assert item_properties(rule, path, objects) == expected
