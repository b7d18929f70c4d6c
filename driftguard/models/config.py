"""``driftguard.yaml``: the one configuration file at the state repo's root, as one Pydantic model.

Validated in one pass (every error at once, each at ``file:line:column``, by the loader in
:mod:`driftguard.baseline.config`); documented key by key in ``docs/configuration.md``. Secrets never live here:
passwords come from environment variables (named by ``password_env``) or the OS keyring.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from fnmatch import fnmatchcase
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from driftguard.models.snapshot import Kind

CONFIG_VERSION = 1
DEFAULT_PASSWORD_ENV = "DRIFTGUARD_PASSWORD"  # noqa: S105  # the variable's name, not a password
SSH_PASSWORD_ENV = "DRIFTGUARD_SSH_PASSWORD"  # noqa: S105  # the variable's name, not a password
SECRET_KEYS = ("password", "passwd", "secret", "token", "cookie")
"""Keys refused anywhere in the file: a secret must not be committed to the state repo."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if isinstance(key, str) and key.lower() in SECRET_KEYS:
                    raise ValueError(
                        f"{key!r} is not allowed: secrets never go in driftguard.yaml (it is committed); "
                        "name the environment variable that holds it with password_env"
                    )
        return data


_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


# -- vcenters ---------------------------------------------------------------------------------------------------


class VCenterConfig(_Strict):
    """How to reach one vCenter. The password is read from the environment variable ``password_env``."""

    name: str = Field(
        min_length=1,
        max_length=200,
        description="What --vcenter NAME selects; also how messages name this vCenter.",
    )
    url: str = Field(description="https://vc01.example.com/sdk (http:// only for the simulator).")
    user: str | None = Field(default=None, description="Login user, e.g. VSPHERE.LOCAL\\audit.")
    password_env: str = Field(
        default=DEFAULT_PASSWORD_ENV, pattern=_ENV_NAME, description="Environment variable holding the password."
    )
    password_file: str | None = Field(
        default=None,
        min_length=1,
        description="File holding the password when password_env is not set (a mounted Secret, "
        "${CREDENTIALS_DIRECTORY}/vc01 under systemd); $VARIABLES are expanded.",
    )
    keyring: StrictBool = Field(
        default=False,
        description="Read the password from the OS keyring (service driftguard, account: this name) when neither "
        "password_env nor password_file has it.",
    )
    insecure: StrictBool = Field(default=False, description="Do not verify the TLS certificate (test labs only).")
    ca_file: str | None = Field(default=None, description="PEM file of the CA(s) that signed vCenter's certificate.")
    page_size: StrictInt = Field(default=500, ge=1, le=100_000, description="Objects per PropertyCollector page.")
    parallel: StrictInt = Field(
        default=3, ge=1, le=16, description="Connections used at once to read the inventory (VMs, hosts, the rest)."
    )
    timeout: StrictFloat = Field(default=60.0, gt=0, le=3600, description="Seconds allowed for each request.")
    deadline: StrictFloat = Field(
        default=1800.0, gt=0, le=86_400, description="Seconds allowed for the whole collection (login to last page)."
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_url(value)

    @model_validator(mode="after")
    def _tls(self) -> VCenterConfig:
        if self.insecure and self.ca_file:
            raise ValueError("give insecure or ca_file, not both")
        return self


def check_url(value: str) -> str:
    """A vCenter URL that can be connected to; never echoes a user or password written into it."""
    try:
        parts = urlsplit(value if "//" in value else f"https://{value}")
        port = parts.port
    except ValueError:
        raise ValueError("not a valid URL (expected https://host[:port][/sdk])") from None
    if "@" in parts.netloc:
        raise ValueError("the URL must not contain a user or password: use user and password_env")
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme {parts.scheme!r} (https or http)")
    if not parts.hostname:
        raise ValueError("the URL names no host")
    if port == 0:
        raise ValueError("port 0 is not a port")
    return value


# -- ignore, exemptions -----------------------------------------------------------------------------------------


class IgnoreRule(_Strict):
    """A ``<kind>:<path glob>`` never reported as drift nor as a baseline violation, and why."""

    pattern: str = Field(min_length=1, description='e.g. host:advanced_options["Config.HostAgent.*"]')
    reason: str = Field(min_length=1, description="Why it is safe to ignore (shown by `baseline ignored`).")


class Exemption(_Strict):
    """One accepted finding: a rule on matching objects, with a reason and an optional expiry date."""

    rule: str = Field(min_length=1, description="Rule id, or a glob of ids (DG-ZONE-*).")
    object: str = Field(min_length=1, description="Glob on the object's name (case sensitive).")
    kind: Kind | None = Field(default=None, description="Only objects of this kind.")
    vcenter: str | None = Field(default=None, description="Only objects of this vCenter (glob on its name).")
    reason: str = Field(min_length=1, description="Why the finding is accepted (an audit trail).")
    expires: date | None = Field(default=None, description="Last day the exemption applies (YYYY-MM-DD).")

    def active(self, today: date) -> bool:
        return self.expires is None or today <= self.expires

    def matches(self, rule_id: str, kind: str, name: str, vcenter: str | None = None) -> bool:
        """Whether this exemption covers a finding of ``rule_id`` on object ``name`` (dates aside)."""
        if not fnmatchcase(rule_id, self.rule) or not fnmatchcase(name, self.object):
            return False
        if self.kind is not None and kind != self.kind:
            return False
        return self.vcenter is None or (vcenter is not None and fnmatchcase(vcenter, self.vcenter))


# -- zones ------------------------------------------------------------------------------------------------------


class Zone(_Strict):
    """Selectors of one security zone (``fnmatch`` globs, case sensitive)."""

    description: str | None = None
    vms: list[str] = Field(default=[], description="VM name globs.")
    portgroups: list[str] = Field(
        default=[], description="Network label globs: a VM with a NIC on a matching network is in the zone."
    )
    hosts: list[str] = Field(default=[], description="Host name globs: hosts dedicated to this zone.")
    datastores: list[str] = Field(default=[], description="Datastore name globs: datastores dedicated to this zone.")


class ZoneEntry(Zone):
    """A zone in ``driftguard.yaml``: the selectors, and whether unmatched VMs belong to it."""

    default: StrictBool = Field(
        default=False, description="VMs no selector matches belong to this zone (one zone at most)."
    )


class ZoneConfig(BaseModel):
    """The zones in force: which VMs (and dedicated hosts and datastores) belong to which zone.

    A VM belongs to the first zone, in file order, with a matching selector, else to ``default_zone``."""

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


# -- rules ------------------------------------------------------------------------------------------------------


class RuleSetting(_Strict):
    """A policy rule's setting: ``{enabled, params}`` (params are validated against the rule's own model)."""

    enabled: StrictBool = True
    params: dict[str, Any] = {}


# -- host files (SSH) -------------------------------------------------------------------------------------------


class SshHost(_Strict):
    """How to reach the hosts whose vCenter name matches the pattern (first matching pattern wins)."""

    address: str | None = Field(default=None, description="Address to connect to; default: the host's name.")
    port: StrictInt = Field(default=22, ge=1, le=65535)
    user: str = "root"
    key_file: str | None = Field(default=None, description="Private key file (~ is expanded).")
    password_env: str = Field(default=SSH_PASSWORD_ENV, pattern=_ENV_NAME, description="Variable with the password.")
    remote_root: str = Field(default="/", description="Where the host's filesystem starts (tests only).")


class HostFilesConfig(_Strict):
    """Reading the HA agent files of hosts over SSH (``snapshot --host-files``)."""

    parallelism: StrictInt = Field(default=8, ge=1, le=256, description="Hosts read at once.")
    timeout: StrictFloat = Field(
        default=30.0, gt=0, le=3600, description="Seconds per host: connect, login, every read."
    )
    known_hosts: str | None = Field(
        default=None, description="known_hosts file (relative: to the repo); default <repo>/known_hosts, else ~/.ssh."
    )
    redact: list[str] = Field(default=[], description="Extra regular expressions redacted from file text.")
    hosts: dict[str, SshHost] = Field(default={}, description="Host-name glob → how to reach those hosts.")

    @field_validator("redact")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"redact pattern {pattern!r} is not a valid regular expression: {exc}") from None
        return value


# -- the file ---------------------------------------------------------------------------------------------------


class DriftguardConfig(_Strict):
    """The whole of ``driftguard.yaml``; every section is optional."""

    version: Literal[1] = 1
    vcenters: list[VCenterConfig] = Field(default=[], description="The vCenters this state repo snapshots.")
    ignore: list[IgnoreRule] = Field(default=[], description="Paths never reported, each with its reason.")
    zones: dict[str, ZoneEntry] = Field(default={}, description="Security zones by name, in match order.")
    extends: list[str] = Field(default=[], description="Baselines (repo or shipped) whose rule settings apply.")
    rules: dict[str, RuleSetting] = Field(default={}, description="Policy rule settings by rule id.")
    host_files: HostFilesConfig = Field(default=HostFilesConfig(), description="SSH settings of --host-files.")
    exemptions: list[Exemption] = Field(default=[], description="Accepted findings, each with reason and expiry.")

    @field_validator("extends", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("vcenters")
    @classmethod
    def _unique_names(cls, value: list[VCenterConfig]) -> list[VCenterConfig]:
        seen: set[str] = set()
        for vcenter in value:
            if vcenter.name in seen:
                raise ValueError(f"two vCenters are named {vcenter.name!r}")
            seen.add(vcenter.name)
        return value

    @field_validator("zones")
    @classmethod
    def _one_default(cls, value: dict[str, ZoneEntry]) -> dict[str, ZoneEntry]:
        defaults = [name for name, zone in value.items() if zone.default]
        if len(defaults) > 1:
            raise ValueError(f"only one zone may be the default (got {', '.join(defaults)})")
        return value

    def zone_config(self) -> ZoneConfig:
        """The zones as the policy stage reads them."""
        zones = {name: Zone(**zone.model_dump(exclude={"default"})) for name, zone in self.zones.items()}
        default = next((name for name, zone in self.zones.items() if zone.default), None)
        return ZoneConfig(zones=zones, default_zone=default)

    def ignore_patterns(self) -> list[str]:
        return [rule.pattern for rule in self.ignore]

    def vcenter(self, name: str) -> VCenterConfig | None:
        return next((v for v in self.vcenters if v.name == name), None)


class LegacyZonesFile(ZoneConfig):
    """``zones.yaml`` (deprecated): ``version``, ``zones``, ``default_zone``."""
