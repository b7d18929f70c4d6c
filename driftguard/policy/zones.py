"""Security zones: which VMs (and which dedicated hosts and datastores) belong to which zone.

Zones are configured in the ``zones`` section of ``driftguard.yaml`` (docs/configuration.md); the models live in
:mod:`driftguard.models.config` and the file is read by the configuration loader (``driftguard.api.config``),
which also still reads the deprecated ``zones.yaml``. A VM belongs to the first zone, in file order, with a
matching selector. Globs are ``fnmatch`` patterns, case sensitive. Folders and custom attributes are not collected
into snapshots yet, so they cannot select zones yet.
"""

from __future__ import annotations

from driftguard.models.config import Zone, ZoneConfig

ZONES_FILE = "zones.yaml"
"""The deprecated zone file at the state repo's root (read for one more release)."""


class ZoneConfigError(ValueError):
    """The zone configuration is not valid; the message names ``file:line:column``."""


__all__ = ["ZONES_FILE", "Zone", "ZoneConfig", "ZoneConfigError"]
