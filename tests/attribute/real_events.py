"""Real vCenter event payloads (``tests/fixtures/real-events``) → the raw form collect produces → :class:`Event`.

The payloads are govmomi's JSON encoding of the event as vCenter sent it: PascalCase fields, morefs as
``{"Type", "Value"}``, and every unset field written out. The raw form (``docs/raw-format.md``) is pyVmomi's
view of the same SOAP answer: camelCase fields, ``_type`` on data objects, morefs with ``_type``
``ManagedObjectReference``, unset fields absent. The conversion is mechanical (govmomi derives each JSON name
from the WSDL name by upper-casing its first letter; the XML it decodes omits zero values, ``omitempty``), so the
test still proves that the real shape is read by ``driftguard.normalize.events``, the collector's own code.
"""

from __future__ import annotations

import io
import json
from typing import Any

from driftguard.models import Event
from driftguard.normalize.events import normalize_event
from tests import paths

REAL_EVENTS = paths.FIXTURES / "real-events"


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _is_unset(value: Any) -> bool:
    # govmomi's XML encoder omits these (omitempty); pyVmomi then leaves the property unset
    return value is None or value == "" or value == [] or (value is False) or (type(value) is int and value == 0)


def to_raw(value: Any) -> Any:
    """One govmomi-JSON value in collect's raw form."""
    if isinstance(value, list):
        return [to_raw(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Type", "Value"}:
        return {"_type": "ManagedObjectReference", "type": value["Type"], "value": value["Value"]}
    return {_camel(k): to_raw(v) for k, v in value.items() if not _is_unset(v)}


def load_raw(fixture: str, vsphere_type: str, **replace: str) -> dict[str, Any]:
    """The raw event of ``<fixture>.json``; ``replace`` fills the publisher's ``REPLACE-ME`` placeholders in order:
    ``{"vm": "vm-42"}`` replaces the first quoted one with ``"vm-42"``; a bare one (a number) with its value."""
    text = (REAL_EVENTS / f"{fixture}.json").read_text(encoding="utf-8")
    for value in replace.values():
        quoted = '"REPLACE-ME"'
        text = text.replace(quoted, json.dumps(value), 1) if quoted in text else text.replace("REPLACE-ME", value, 1)
    if "REPLACE-ME" in text:
        raise ValueError(f"{fixture}: REPLACE-ME left unfilled")
    raw = to_raw(json.loads(text))
    raw["_type"] = vsphere_type
    return raw


def load(fixture: str, vsphere_type: str, **replace: str) -> Event:
    return normalize_event(load_raw(fixture, vsphere_type, **replace))


def decode_vm_property(name: str, vmodl_type: Any) -> dict[str, Any]:
    """A real vCenter 8.0.2 answer for one VM property (``config`` or ``runtime``), decoded by pyVmomi's own
    deserialiser and turned into the raw form by the collector's ``to_raw``."""
    from pyVmomi import SoapAdapter, VmomiSupport

    from driftguard.collect.raw import to_raw as collect_to_raw

    body = (REAL_EVENTS / f"pyvmomi-vcenter-8.0.2-vm-19-{name}.xml").read_bytes()
    stub = SoapAdapter.SoapStubAdapter(host="localhost", version=VmomiSupport.newestVersions.Get("vim"))
    value = SoapAdapter.SoapResponseDeserializer(stub).Deserialize(io.BytesIO(body), vmodl_type)
    raw: dict[str, Any] = collect_to_raw(value)
    return raw


def real_vm_object(**runtime_update: Any) -> dict[str, Any]:
    """The raw inventory object of the real ``vm-19``: its ``config`` and the ``runtime.*`` properties collect reads."""
    from pyVmomi import vim

    config = decode_vm_property("config", vim.vm.ConfigInfo)
    runtime = {**decode_vm_property("runtime", vim.vm.RuntimeInfo), **runtime_update}
    props: dict[str, Any] = {"name": config.get("name"), "config": config}
    for field in ("powerState", "connectionState", "featureMask", "featureRequirement", "offlineFeatureRequirement"):
        if field in runtime:
            props[f"runtime.{field}"] = runtime[field]
    return {"moref": "vm-19", "props": props, "missing": {}}
