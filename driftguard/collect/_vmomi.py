"""pyVmomi, imported once and typed as ``Any``.

pyVmomi ships ``py.typed`` but its classes are generated at run time, so its stubs are partial and its
calls untyped. Every module of :mod:`driftguard.collect` takes pyVmomi from here, which keeps ``Any`` at
this boundary instead of scattering ``type: ignore`` comments.
"""

from typing import Any

from pyVmomi import Iso8601 as _iso8601
from pyVmomi import SoapAdapter as _soap_adapter
from pyVmomi import VmomiSupport as _vmomi_support
from pyVmomi import vim as _vim
from pyVmomi import vmodl as _vmodl

vim: Any = _vim
vmodl: Any = _vmodl
VmomiSupport: Any = _vmomi_support
SoapAdapter: Any = _soap_adapter
Iso8601: Any = _iso8601
SoapStubAdapter: Any = _soap_adapter.SoapStubAdapter

__all__ = ["Iso8601", "SoapAdapter", "SoapStubAdapter", "VmomiSupport", "vim", "vmodl"]
