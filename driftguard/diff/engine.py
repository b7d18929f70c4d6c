"""Snapshot → snapshot drift (history drift).

Objects are matched by (kind, id). An object whose canonical bytes are unchanged (:func:`same_content`, the
equivalent of equal ``content_hash``) is skipped before DeepDiff runs, so DeepDiff's cost is proportional to
the changed objects, not to the estate. Within a changed object:

- a new name is one ``renamed`` item at path ``name``;
- DeepDiff compares the JSON form of everything else except ``unknowns``;
- a dict key added or removed is an ``added``/``removed`` item at that key's path, the value in ``new``/``old``;
- a list (our lists are sorted sets: hosts, datastores, NTP servers, networks ...) that changed is one
  ``modified`` item for the whole list, never an index path;
- any other change, including a type change (``None`` → a policy object, ``1`` → ``"1"``), is ``modified``.

Paths read like ``network.portgroups["DMZ"].vlan_id``: attributes dotted, dict keys as JSON strings in
brackets. A path equal to, or under, a path in either side's ``unknowns`` is never reported: a value that
could not be read is neither a change nor compliant.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from deepdiff import DeepDiff
from pydantic import BaseModel

from driftguard.diff.categories import categorize
from driftguard.diff.ignore import IgnoreTable
from driftguard.models import KIND_ORDER, KINDS, NOT_DIFFED, Change, DriftItem, Kind, Snapshot, SnapshotObject
from driftguard.models.paths import Key, render, under_any

_MISSING = object()


def diff_snapshots(old: Snapshot, new: Snapshot, *, ignore: Sequence[str] = ()) -> list[DriftItem]:
    """Drift items from ``old`` to ``new``, sorted by kind (:data:`KINDS` order), name, id and path.

    ``ignore`` holds extra ``<kind>:<path>`` patterns on top of the default ignore table
    (:mod:`driftguard.diff.ignore`).
    """
    table = IgnoreTable(ignore)
    vcenter = new.manifest.vcenter.name
    items: list[DriftItem] = []
    for kind in KINDS:
        before, after = old.collection(kind), new.collection(kind)
        for object_id in before.keys() | after.keys():
            items.extend(_object_drift(vcenter, kind, before.get(object_id), after.get(object_id)))
    kept = [item for item in items if not table.ignored(item.kind, item.path)]
    kept.sort(key=lambda item: (KIND_ORDER.get(item.kind, len(KINDS)), item.name, item.id, item.path, item.change))
    return kept


def only_objects(snapshot: Snapshot, keys: Collection[tuple[Kind, str]]) -> Snapshot:
    """``snapshot`` with just the (kind, id) objects of ``keys``, and every cluster (as the store's ``load(only=)``
    reads them): what :func:`diff_snapshots` needs when ``keys`` holds every object that differs."""
    fields = {"host": "hosts", "vm": "vms", "dvswitch": "dvswitches", "datastore": "datastores"}
    wanted: dict[str, set[str]] = {field: set() for field in fields.values()}
    for kind, oid in keys:
        if kind in fields:
            wanted[fields[kind]].add(oid)
    update = {}
    for field, ids in wanted.items():
        objects = getattr(snapshot, field)  # a packed mapping parses only the objects asked for
        update[field] = {oid: objects[oid] for oid in objects if oid in ids}
    return snapshot.model_copy(update=update)


def _item(vcenter: str, kind: Kind, obj: SnapshotObject, change: Change, path: str, *, old: Any, new: Any) -> DriftItem:
    category, severity = categorize(kind, path, change)
    return DriftItem(
        vcenter=vcenter,
        kind=kind,
        id=obj.id,
        name=obj.name,
        change=change,
        path=path,
        old=old,
        new=new,
        category=category,
        severity=severity,
    )


def _object_drift(
    vcenter: str, kind: Kind, old: SnapshotObject | None, new: SnapshotObject | None
) -> Iterator[DriftItem]:
    if old is None and new is not None:
        yield _item(vcenter, kind, new, "added", "", old=None, new=new.model_dump(mode="json"))
        return
    if new is None and old is not None:
        yield _item(vcenter, kind, old, "removed", "", old=old.model_dump(mode="json"), new=None)
        return
    if old is None or new is None or same_content(old, new):
        return
    unknowns = [*old.unknowns, *new.unknowns]
    if old.name != new.name and not under_any("name", unknowns):
        yield _item(vcenter, kind, new, "renamed", "name", old=old.name, new=new.name)
    for change, path, before, after in _changes(old, new):
        if not under_any(path, unknowns):
            yield _item(vcenter, kind, new, change, path, old=before, new=after)


def same_content(old: BaseModel, new: BaseModel) -> bool:
    """``content_hash(old) == content_hash(new)``, computed cheaply (the hash-first skip of unchanged objects).

    canonical_bytes indents, which forces json's pure-Python encoder (~4x slower than the C one). Two cheaper
    checks decide exactly the same: equal pydantic JSON of the same class means equal values, hence equal
    canonical bytes (it can only differ for equal content when dict keys were inserted in another order); and
    compact sorted-key JSON of the same data is equal exactly when the indented canonical form is, since the
    indentation is a function of the structure. A property test checks the equivalence.
    """
    if type(old) is not type(new):
        return False
    if old.model_dump_json() == new.model_dump_json():
        return True
    return _compact(old) == _compact(new)


def _compact(model: BaseModel) -> str:
    return json.dumps(
        model.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )


def _changes(old: BaseModel, new: BaseModel) -> Iterator[tuple[Change, str, Any, Any]]:
    """(change, readable path, old JSON value, new JSON value) for everything but name and unknowns."""
    before = old.model_dump(mode="json", exclude=set(NOT_DIFFED))
    after = new.model_dump(mode="json", exclude=set(NOT_DIFFED))
    # threshold_to_diff_deeper=0: always report dict keys, never a whole dict as changed because few keys match.
    small_before, small_after = pruned(before, after)
    for side, small in ((before, small_before), (after, small_after)):
        if "id" in side:  # equal on both sides, so DeepDiff reports nothing for it; it names the object compared
            small["id"] = side["id"]
    result = DeepDiff(small_before, small_after, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
    seen: set[str] = set()
    for report, levels in result.items():
        for level in levels:
            elements: list[Any] = level.path(output_format="list")
            index = next((i for i, element in enumerate(elements) if isinstance(element, int)), None)
            change: Change = "modified"
            if index is not None:
                elements = elements[:index]  # a changed list is one item for the whole list
            elif report == "dictionary_item_added":
                change = "added"
            elif report == "dictionary_item_removed":
                change = "removed"
            path = render_path(elements, (old, new))
            if path in seen:
                continue
            seen.add(path)
            yield change, path, _value(before, elements), _value(after, elements)


def pruned(before: Any, after: Any) -> tuple[Any, Any]:
    """Both JSON values without the dict entries that are strictly equal (same types all the way down) on both
    sides, recursively; lists stay whole. DeepDiff reports nothing for such entries, and with
    ``threshold_to_diff_deeper=0`` their absence changes nothing else it reports, but walking them costs it
    ~10x more than this (a host's hundreds of options and portgroups for one changed option)."""
    if type(before) is not dict or type(after) is not dict:
        return before, after
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for key, value in before.items():
        if key not in after:
            old[key] = value
        elif not strictly_equal(value, after[key]):
            old[key], new[key] = pruned(value, after[key])
    for key, value in after.items():
        if key not in before:
            new[key] = value
    return old, new


def strictly_equal(a: Any, b: Any) -> bool:
    """Equal JSON values of the same types at every level (``1``, ``1.0`` and ``True`` all differ; NaN too)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return bool(a.keys() == b.keys() and all(strictly_equal(value, b[key]) for key, value in a.items()))
    if type(a) is list:
        return len(a) == len(b) and all(map(strictly_equal, a, b))
    return bool(a == b)


def _value(data: Any, elements: Iterable[Any]) -> Any:
    for element in elements:
        if isinstance(data, dict) and element in data:
            data = data[element]
        else:
            return None
    return data


def _child(node: Any, element: Any) -> Any:
    if isinstance(node, BaseModel):
        return getattr(node, element, _MISSING) if element in type(node).model_fields else _MISSING
    if isinstance(node, dict):
        return node.get(element, _MISSING)
    return _MISSING


def render_path(elements: Iterable[Any], roots: Iterable[Any]) -> str:
    """A readable path for DeepDiff path elements, walking the models to tell attributes from dict keys."""
    segments: list[str | Key] = []
    nodes = list(roots)
    for element in elements:
        ref = next((node for node in nodes if isinstance(node, BaseModel | dict)), None)
        if isinstance(ref, BaseModel) and isinstance(element, str) and element in type(ref).model_fields:
            segments.append(element)
        else:
            segments.append(Key(element))
        nodes = [_child(node, element) for node in nodes]
    return render(segments)
