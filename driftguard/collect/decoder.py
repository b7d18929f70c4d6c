"""The raw layer's own SOAP value decoder: lxml elements → the raw dicts of ``docs/raw-format.md``.

It produces, from the same bytes, exactly what ``to_raw`` makes of the objects pyVmomi's deserialiser builds
(tests/collect/test_decoder_equivalence.py proves it on simulator captures and generated answers), without
building those objects: pyVmomi is used only for its *type metadata* (which properties a type declares, which of
them are arrays, data objects, references, enums or scalars), read once per type and cached.

The rules are pyVmomi's (``SoapAdapter.SoapDeserializer``):

* an element's type is its ``xsi:type`` when it has one (except where the declared type is a type, method or
  property-path name), else the declared type of its slot; data-object types are widened to the newest type the
  session's API version knows (``GetCompatibleType``), so ``_type`` is what pyVmomi would say;
* a ``LocalizedMethodFault`` (and any fault in a slot other than its ``fault``) becomes its inner fault, whose
  ``msg`` is the ``localizedMessage``;
* array properties are repeated elements; ``ArrayOfX`` values (in ``anyType`` slots) hold their items as children.

Where pyVmomi would raise (a type or property it does not know, a reference of a type it does not know), this
decoder keeps the data instead: an unknown data type becomes ``{"_type": "<its name>", <child>: value, ...}`` read
generically, an unknown property is kept under its element name. Such answers are exactly those a newer vCenter or
a plugin sends, and one of them must never cost the rest of the answer (issue 9, point 7).
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from lxml import etree

from driftguard.collect._vmomi import Iso8601, VmomiSupport
from driftguard.models.times import iso

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_XSD = "http://www.w3.org/2001/XMLSchema"
_VIM = "urn:vim25"


class DecodeError(ValueError):
    """A value that the type of its slot cannot hold (a boolean ``maybe``, a number ``12x``)."""


# A "kind" says how to turn one element into raw data. Scalars take the element's text; "data" reads children
# against a property table; "array" reads children as items of ``item``; "unknown" reads children generically.
_LEAF_KINDS = frozenset({"str", "bool", "int", "float", "datetime", "binary", "typename", "method", "moref"})


Prop = tuple[str, "TypeInfo", bool, str | None]
"""A data type's property: (name, declared type, is an array, scalar kind of an element without ``xsi:type``)."""


class TypeInfo:
    """What the decoder needs to know of one pyVmomi type, computed once.

    ``kind`` is one of ``data``, ``fault`` (a fault decoded as a LocalizedMethodFault), ``lmf``, ``moref``,
    ``array``, ``unknown`` or a scalar kind; ``props`` maps element names to (property name, TypeInfo, is_array)
    for data objects; ``item`` is the item type of arrays.
    """

    __slots__ = ("cls", "defaults", "dynamic", "item", "kind", "name", "props")

    def __init__(self, cls: Any, kind: str, name: str) -> None:
        self.cls = cls
        self.kind = kind
        self.name = name
        self.dynamic = cls is type or cls is VmomiSupport.ManagedMethod or cls is VmomiSupport.PropertyPath
        self.item: TypeInfo | None = None
        self.props: dict[str, Prop] | None = None
        self.defaults: dict[str, Any] = {}
        """What pyVmomi's constructor puts in required scalar properties the answer leaves out."""


class Types:
    """The type table of one API version (thread-safe; shared by every decoder of that version)."""

    _instances: dict[str, Types] = {}
    _lock = threading.Lock()

    def __init__(self, version: str) -> None:
        self.version = version
        self._by_class: dict[Any, TypeInfo] = {}
        self._by_name: dict[tuple[str | None, str], TypeInfo | None] = {}
        self._mutex = threading.RLock()

    @classmethod
    def for_version(cls, version: str) -> Types:
        with cls._lock:
            types = cls._instances.get(version)
            if types is None:
                types = cls._instances[version] = Types(version)
            return types

    def info(self, cls: Any) -> TypeInfo:
        found = self._by_class.get(cls)
        if found is not None:
            return found
        with self._mutex:
            found = self._by_class.get(cls)
            if found is None:
                found = self._make(cls)
            return found

    def _make(self, cls: Any) -> TypeInfo:
        if isinstance(cls, type) and issubclass(cls, list):
            info = TypeInfo(cls, "array", str(getattr(cls, "_wsdlName", "ArrayOfAnyType")))
            self._by_class[cls] = info
            info.item = self.info(getattr(cls, "Item", object))
            return info
        compatible = VmomiSupport.GetCompatibleType(cls, self.version)
        if compatible is not cls:
            info = self.info(compatible)
            self._by_class[cls] = info
            return info
        info = TypeInfo(cls, _kind(cls), str(getattr(cls, "_wsdlName", getattr(cls, "__name__", "anyType"))))
        self._by_class[cls] = info
        if info.kind in ("data", "lmf", "fault"):
            for prop in cls._GetPropertyList():
                default = _default(prop)
                if default is not None:
                    info.defaults[prop.name] = default
        return info

    def props(self, info: TypeInfo) -> dict[str, Prop]:
        """The property table of a data type, resolved on first use (the type graph is large and mostly unused)."""
        if info.props is not None:
            return info.props
        with self._mutex:
            if info.props is None:
                table: dict[str, Prop] = {}
                for prop in info.cls._GetPropertyList():
                    declared = self.info(prop.type)
                    leaf = declared.item if declared.kind == "array" else declared
                    fast = leaf.kind if leaf is not None and leaf.kind in _LEAF_KINDS else None
                    table[prop.name] = (prop.name, declared, declared.kind == "array", fast)
                info.props = table
            return info.props

    def by_name(self, ns: str | None, name: str) -> TypeInfo | None:
        """The type of an ``xsi:type`` (or a reference's ``type``) value; None when pyVmomi does not know it."""
        key = (ns, name)
        if key in self._by_name:
            return self._by_name[key]
        cls = _lookup(ns, name)
        found = None if cls is None else self.info(cls)
        self._by_name[key] = found
        return found


def _lookup(ns: str | None, name: str) -> Any:
    """pyVmomi's ``LookupWsdlType(ns, name, allowManagedObjectReference=True)``, None instead of KeyError."""
    candidates = [(ns, name)]
    if name.endswith("ManagedObjectReference"):
        candidates.append((ns, name[: -len("Reference")]))
        candidates.append((_VIM, name[: -len("Reference")]))
    for cand_ns, cand_name in candidates:
        try:
            return VmomiSupport.GetWsdlType(cand_ns, cand_name)
        except KeyError:
            continue
    try:
        return VmomiSupport.GuessWsdlType(name)
    except KeyError:
        return None


def _default(prop: Any) -> Any:
    """The value ``DataObject.__init__`` gives a property (None: unset), as ``to_raw`` converts it."""
    declared = prop.type
    if issubclass(declared, list) or prop.flags & VmomiSupport.F_OPTIONAL:
        return None
    if declared is bool:
        return False
    if issubclass(declared, VmomiSupport.Enum):
        return None
    if issubclass(declared, str):
        return ""
    if issubclass(declared, int):
        return 0
    if issubclass(declared, float):
        return 0.0
    return None


def _kind(cls: Any) -> str:
    support = VmomiSupport
    special = {bool: "bool", type: "typename", support.ManagedMethod: "method", object: "any"}
    if cls in special:
        return special[cls]
    if not isinstance(cls, type):
        return "any"
    if issubclass(cls, support.ManagedObject):
        return "moref"
    if issubclass(cls, support.DataObject):
        if cls is support.GetVmodlType("vmodl.LocalizedMethodFault"):
            return "lmf"
        return "fault" if issubclass(cls, Exception) else "data"
    # str covers enums, URIs and property paths; bytes is pyVmomi's binary
    for base, kind in ((bytes, "binary"), (str, "str"), (int, "int"), (float, "float"), (datetime, "datetime")):
        if issubclass(cls, base):
            return kind
    return "any"


def local(tag: str) -> str:
    """``{urn:vim25}name`` → ``name``."""
    return tag[tag.rfind("}") + 1 :] if tag[:1] == "{" else tag


class Decoder:
    """Decodes elements of one SOAP answer (the namespace prefixes of ``xsi:type`` values are the document's)."""

    def __init__(self, version: str) -> None:
        self.types = Types.for_version(version)
        self.unknown_types: set[str] = set()
        """``xsi:type`` names pyVmomi does not know, seen while decoding (kept as raw data)."""
        self._object_content = self.types.info(VmomiSupport.GetVmodlType("vmodl.query.PropertyCollector.ObjectContent"))

    def value(self, elem: Any, declared: TypeInfo, *, as_fault: bool = False) -> Any:
        """The raw value of ``elem`` in a slot of type ``declared`` (``as_fault``: the ``fault`` of an LMF)."""
        info = declared
        xsi = elem.get(XSI_TYPE)
        if xsi is not None and not declared.dynamic:
            dynamic = self._xsi(elem, xsi)
            if dynamic is None:
                return self._unknown(elem, xsi.rpartition(":")[2], declared)
            if not (dynamic.kind == "array" and declared.kind == "array"):
                info = dynamic
        elif declared.kind == "array" and declared.item is not None:
            info = declared.item  # a repeated property element: one item
        kind = info.kind
        if kind == "fault" and not as_fault:
            info = self.types.info(VmomiSupport.GetVmodlType("vmodl.LocalizedMethodFault"))
            kind = "lmf"
        if kind in ("data", "fault"):
            return self._data(elem, info)
        if kind == "lmf":
            return self._localized_fault(elem, info)
        if kind == "moref":
            return _moref(elem)
        if kind == "array":
            return self._array(elem, info)
        return _scalar(elem.text or "", kind)

    def _xsi(self, elem: Any, xsi: str) -> TypeInfo | None:
        prefix, _, name = xsi.rpartition(":")
        if not prefix:
            ns: str | None = _VIM  # vSphere answers are in the vim25 default namespace
        elif prefix == "xsd":
            ns = _XSD
        else:
            ns = elem.nsmap.get(prefix)
        found = self.types.by_name(ns, name)
        if found is None:
            self.unknown_types.add(name)
        return found

    def _data(self, elem: Any, info: TypeInfo) -> dict[str, Any]:
        result: dict[str, Any] = {"_type": info.name}
        if info.defaults:
            result.update(info.defaults)
        props = info.props if info.props is not None else self.types.props(info)
        is_lmf = info.kind == "lmf"
        for child in elem:
            tag = child.tag
            if tag.__class__ is not str:
                continue  # a comment or processing instruction
            name = tag[tag.rfind("}") + 1 :]
            entry = props.get(name)
            if entry is None:
                prop, is_array = name, False
                value = self._generic(child)
            else:
                prop, declared, is_array, fast = entry
                if fast is not None and child.get(XSI_TYPE) is None:
                    if fast == "str":
                        value = child.text or ""
                    elif fast == "moref":
                        value = _moref(child)
                    else:
                        value = _scalar(child.text or "", fast)
                else:
                    value = self.value(child, declared, as_fault=is_lmf and name == "fault")
            if is_array and value.__class__ is not list:
                items = result.get(prop)
                if items is None:
                    result[prop] = [value]
                else:
                    items.append(value)
            elif value is None or value == []:
                result.pop(prop, None)  # unset and empty are left out, as to_raw does
            else:
                result[prop] = value
        return result

    def _localized_fault(self, elem: Any, info: TypeInfo) -> Any:
        decoded = self._data(elem, info)
        inner = decoded.get("fault")
        if not isinstance(inner, dict):
            return decoded
        inner.pop("msg", None)
        message = decoded.get("localizedMessage")
        if message is not None:
            inner["msg"] = message
        return inner

    def _array(self, elem: Any, info: TypeInfo) -> list[Any]:
        item = info.item
        assert item is not None
        return [self.value(child, item) for child in elem if isinstance(child.tag, str)]

    def _unknown(self, elem: Any, name: str, declared: TypeInfo | None = None) -> Any:
        """A value of a type pyVmomi does not know. In a slot declared as a data type (an event, a task's result) it
        is read as that type, whose subclass it must be, so the properties the slot's type declares keep their
        types; the others are read generically. ``_type`` is the type the answer named."""
        if name.startswith("ArrayOf"):
            return [self._generic(child) for child in elem if isinstance(child.tag, str)]
        if declared is not None and declared.kind == "data":
            result = self._data(elem, declared)
            result["_type"] = name
            return result
        result = {"_type": name}
        result.update(self._children(elem))
        return result

    def _generic(self, elem: Any) -> Any:
        """An element of a type pyVmomi does not know: references, data objects and text kept as they are."""
        xsi = elem.get(XSI_TYPE)
        if xsi is not None:
            dynamic = self._xsi(elem, xsi)
            if dynamic is not None:
                return self.value(elem, dynamic)
            return self._unknown(elem, xsi.rpartition(":")[2], None)
        if len(elem) == 0:
            if elem.get("type") is not None:
                return _moref(elem)
            return elem.text or ""
        return self._children(elem)

    def _children(self, elem: Any) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for child in elem:
            if not isinstance(child.tag, str):
                continue
            name = local(child.tag)
            value = self._generic(child)
            if name in result:
                previous = result[name]
                result[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                result[name] = value
        return result

    def object_content(self, elem: Any) -> dict[str, Any]:
        """One ``ObjectContent`` as raw data (``obj``, ``propSet``, ``missingSet``)."""
        return self._data(elem, self._object_content)

    def typed(self, elem: Any, cls: Any) -> Any:
        """``elem`` decoded as a value of the pyVmomi type ``cls`` (an event, a ``TaskInfo`` ...)."""
        return self.value(elem, self.types.info(cls))


def _moref(elem: Any) -> dict[str, str]:
    kind = elem.get("type") or ""
    return {"_type": "ManagedObjectReference", "type": kind.rpartition(":")[2], "value": elem.text or ""}


def _scalar(text: str, kind: str) -> Any:
    convert = _CONVERTERS.get(kind)
    if convert is None:
        return text
    try:
        return convert(text)
    except (ValueError, TypeError, binascii.Error) as error:
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise DecodeError(f"{shown!r} is not a valid {kind}") from error


def _boolean(text: str) -> bool:
    if text == "0" or text.lower() == "false":
        return False
    if text == "1" or text.lower() == "true":
        return True
    raise ValueError(text)


def _time(text: str) -> str:
    parsed = Iso8601.ParseISO8601(text)
    if not parsed:
        raise ValueError(text)
    return iso(parsed)


def _binary(text: str) -> dict[str, str]:
    return {"_type": "binary", "base64": base64.b64encode(base64.b64decode(text)).decode("ascii")}


def _typename(text: str) -> str | None:
    return text.rpartition(":")[2] or None


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "bool": _boolean,
    "int": int,
    "float": float,
    "datetime": _time,
    "binary": _binary,
    "typename": _typename,
    "method": lambda text: text.rpartition(":")[2],
}


__all__ = ["XSI_TYPE", "DecodeError", "Decoder", "TypeInfo", "Types", "etree", "local"]
