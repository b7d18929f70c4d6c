"""Raw property sets (``docs/raw-format.md``) → canonical models. Pure functions, one module per kind.

Public API::

    normalize_snapshot(raw_inventory) -> Snapshot
    Inventory(raw_inventory)                      # index: objects by moref, parent walks
    normalize_clusters(inventory) -> dict[str, Cluster]        # and normalize_cluster(obj, inventory)
    normalize_hosts(inventory) -> dict[str, Host]              # and normalize_host(obj, inventory)
    normalize_vms(inventory) -> dict[str, VM]                  # and normalize_vm(obj, inventory)
    normalize_dvswitches(inventory) -> dict[str, DvSwitch]     # switches with their portgroups
    normalize_datastores(inventory) -> dict[str, Datastore]

A property the collection lists in ``missing`` becomes an entry of the object's ``unknowns`` (canonical
path → reason), never a silently empty value.
"""

from driftguard.normalize._raw import Inventory
from driftguard.normalize.cluster import normalize_cluster, normalize_clusters
from driftguard.normalize.datastore import normalize_datastore, normalize_datastores
from driftguard.normalize.dvs import normalize_dvswitch, normalize_dvswitches
from driftguard.normalize.host import normalize_host, normalize_hosts
from driftguard.normalize.snapshot import normalize_snapshot, vcenter_info
from driftguard.normalize.vm import is_64bit, normalize_vm, normalize_vms

__all__ = [
    "Inventory",
    "is_64bit",
    "normalize_cluster",
    "normalize_clusters",
    "normalize_datastore",
    "normalize_datastores",
    "normalize_dvswitch",
    "normalize_dvswitches",
    "normalize_host",
    "normalize_hosts",
    "normalize_snapshot",
    "normalize_vm",
    "normalize_vms",
    "vcenter_info",
]
