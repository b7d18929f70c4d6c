"""Security zones: which VMs (and which dedicated hosts and datastores) belong to which zone.

The zone file lives in the state repo (``zones.yaml`` at its root) and is reviewed like any other change::

    version: 1
    zones:
      dmz:
        description: Internet-facing
        vms: ["dmz-*", "web??"]        # VM name globs
        portgroups: ["DMZ*"]           # a VM with a NIC on a matching network label is in the zone
        hosts: ["esx-dmz-*"]           # hosts dedicated to the zone
        datastores: ["ds-dmz-*"]       # datastores (LUNs) dedicated to the zone
      production:
        portgroups: ["Prod-*"]
    default_zone: null                 # zone of VMs no selector matches (null: not zoned, never reported)

A VM belongs to the first zone, in file order, with a matching selector. Globs are ``fnmatch`` patterns, case
sensitive. Folders and custom attributes are not collected into snapshots yet, so they cannot select zones yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

ZONES_FILE = "zones.yaml"


class Zone(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str | None = None
    vms: list[str] = []
    """VM name globs."""
    portgroups: list[str] = []
    """Network label globs (standard or distributed portgroup names)."""
    hosts: list[str] = []
    """Host name globs: hosts dedicated to this zone."""
    datastores: list[str] = []
    """Datastore name globs: datastores dedicated to this zone."""


class ZoneConfig(BaseModel):
    """The parsed zone file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    zones: dict[str, Zone] = {}
    default_zone: str | None = None

    @model_validator(mode="after")
    def _default_is_a_zone(self) -> ZoneConfig:
        if self.default_zone is not None and self.default_zone not in self.zones:
            raise ValueError(f"default_zone {self.default_zone!r} is not one of the zones ({', '.join(self.zones)})")
        return self

    def vm_zone(self, name: str, networks: Iterable[str]) -> str | None:
        """The zone of a VM by its name and network labels (first match in file order), else the default."""
        labels = list(networks)
        for zone_name, zone in self.zones.items():
            if _any(name, zone.vms) or any(_any(label, zone.portgroups) for label in labels):
                return zone_name
        return self.default_zone

    def portgroup_zone(self, name: str) -> str | None:
        """The zone a network label belongs to by the ``portgroups`` selectors, or None."""
        return next((z for z, zone in self.zones.items() if _any(name, zone.portgroups)), None)

    def host_zone(self, name: str) -> str | None:
        """The zone a host is dedicated to, or None."""
        return next((z for z, zone in self.zones.items() if _any(name, zone.hosts)), None)

    def datastore_zone(self, name: str) -> str | None:
        """The zone a datastore is dedicated to, or None."""
        return next((z for z, zone in self.zones.items() if _any(name, zone.datastores)), None)


def _any(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(name, p) for p in patterns)


class ZoneConfigError(ValueError):
    """The zone file is not valid; the message names the file and line."""


def parse_zones(text: str, source: str = ZONES_FILE) -> ZoneConfig:
    """Parse and validate a zone file; errors name ``source:line``."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    try:
        data = yaml.load(text)
    except YAMLError as exc:
        raise ZoneConfigError(f"{source}: not valid YAML: {exc}") from exc
    if data is None:
        return ZoneConfig()
    try:
        return ZoneConfig.model_validate(_plain(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        line = _line_of(data, first["loc"])
        where = f"{source}:{line}" if line else source
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ZoneConfigError(f"{where}: {loc}: {first['msg']}") from exc


def _plain(data: Any) -> Any:
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def _line_of(data: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest node of ``loc`` that exists in the ruamel round-trip tree."""
    line: int | None = None
    node = data
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, dict) and part in node:
                line = lc.key(part)[0] + 1 if lc is not None else line
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                line = lc.item(part)[0] + 1 if lc is not None else line
                node = node[part]
            else:
                break
        except (KeyError, TypeError, AttributeError):
            break
    if line is None and getattr(data, "lc", None) is not None:
        line = int(data.lc.line) + 1
    return line
