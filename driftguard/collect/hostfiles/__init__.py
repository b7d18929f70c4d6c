"""Host-side sources of HA evidence (the only package that imports paramiko).

* :func:`collect_host_files` — the HA agent's files (``/etc/opt/vmware/aam``, ``/etc/opt/vmware/fdm``) and decoded
  ``prettyPrint.sh`` output from each host over SSH, host keys verified against one known_hosts file;
  :func:`trust_hosts` records keys explicitly.
* :func:`collect_das_runtime` — ``RetrieveDasAdvancedRuntimeInfo`` per cluster over the vSphere API.
* :func:`read_bundle` — the same files, host identity and pre-filtered log lines from a vm-support bundle.

All return the raw layer (``RawHostFiles`` / ``RawBundle`` in :mod:`driftguard.models.raw`); ``normalize`` turns
them into models. Settings: :mod:`driftguard.collect.hostfiles.config` (``docs/host-files.md``).
"""

from driftguard.collect.hostfiles.bundle import BundleError, read_bundle
from driftguard.collect.hostfiles.config import (
    DEFAULT_REDACT,
    SshConfig,
    SshTarget,
    from_settings,
    select_hosts,
)
from driftguard.collect.hostfiles.das import collect_das_runtime
from driftguard.collect.hostfiles.ssh import (
    AGENT_DIRS,
    HostKeyError,
    SshError,
    TrustResult,
    collect_host_files,
    read_host,
    trust_hosts,
)

__all__ = [
    "AGENT_DIRS",
    "DEFAULT_REDACT",
    "BundleError",
    "HostKeyError",
    "SshConfig",
    "SshError",
    "SshTarget",
    "TrustResult",
    "collect_das_runtime",
    "collect_host_files",
    "from_settings",
    "read_bundle",
    "read_host",
    "select_hosts",
    "trust_hosts",
]
