"""Conversion of pyVmomi values into the raw layer's plain data (see ``docs/raw-format.md``).

This is the only place that knows pyVmomi's value classes. A faster SOAP decoder can replace pyVmomi
later by producing the same dicts from the same bytes.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from driftguard.collect._vmomi import VmomiSupport
from driftguard.models.times import iso


def to_raw(value: Any) -> Any:
    """Convert one pyVmomi value (data object, reference, array, scalar) into JSON-compatible data.

    * data object → ``{"_type": "<vSphere type name>", "<property>": value, ...}``, unset and empty-array
      properties left out;
    * managed-object reference → ``{"_type": "ManagedObjectReference", "type": ..., "value": ...}``;
    * ``datetime`` → ISO 8601 in UTC (``+00:00``); binary → ``{"_type": "binary", "base64": ...}``;
    * enums, URIs, property paths → ``str``; pyVmomi's ``long``/``short``/``byte`` → ``int``;
      ``double`` → ``float``; type and method names → their vSphere names.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, VmomiSupport.ManagedObject):
        return moref_raw(value)
    if isinstance(value, VmomiSupport.DataObject):
        return _data_object(value)
    if isinstance(value, list):
        return [to_raw(item) for item in value]
    if isinstance(value, bytes):
        return {"_type": "binary", "base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, str):
        return str(value)  # Enum, URI and PropertyPath are str subclasses
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, type):
        # vmodl.TypeName values (e.g. a PropertySpec's type) arrive as classes
        return str(getattr(value, "_wsdlName", value.__name__))
    if isinstance(value, VmomiSupport.ManagedMethod):
        # vmodl.MethodName values (TaskInfo.name); methods this pyVmomi doesn't know have only ``name``
        info = getattr(value, "info", None)
        return str(info.wsdlName if info is not None else value.name)
    # Nothing else is in the vmodl type system; keep a readable trace instead of failing a whole run.
    return {"_type": "unconverted", "python_type": type(value).__name__, "text": str(value)}


def moref_raw(ref: Any) -> dict[str, str]:
    """The raw form of a managed-object reference."""
    return {"_type": "ManagedObjectReference", "type": str(ref._wsdlName), "value": str(ref._moId)}


def fault_text(fault: Any) -> str:
    """``"<FaultType>: <message>"`` for a vmodl fault (``NoPermission`` names the missing privilege).

    Only the fault's type and the server's message are used: never anything echoed from the request.
    """
    name = str(getattr(fault, "_wsdlName", type(fault).__name__))
    message = str(getattr(fault, "msg", None) or "")
    privilege = getattr(fault, "privilegeId", None)
    if not message and privilege:
        message = f"requires privilege {privilege}"
    return f"{name}: {message}" if message else name


def _data_object(obj: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"_type": str(obj._wsdlName)}
    for prop in obj._GetPropertyList():
        value = getattr(obj, prop.name, None)
        if value is None or (isinstance(value, list) and not value):
            continue
        result[prop.name] = to_raw(value)
    return result
