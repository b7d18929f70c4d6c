"""The baseline file format (``baselines/<name>.yaml`` in the state repo), as Pydantic models.

The models check structure; :mod:`driftguard.baseline.loader` adds what needs the canonical model (paths, value
types) and maps every error to ``file:line:column``. ``schemas/baseline.schema.json`` is generated from
:class:`BaselineFile` so editors validate while typing. The format is documented in ``docs/baselines.md``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from driftguard.models import Kind, Severity
from driftguard.models.config import RuleSetting  # one definition, shared with driftguard.yaml's rules

CHECKS = ("equals", "one_of", "present", "absent", "matches", "min", "max")
"""Expectation keys that state what the value must be; exactly one, except that min and max combine."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Globs = str | list[str]


class Selector(_Strict):
    """Which objects an expectation applies to. Every given field must match (globs: ``*``, ``?``, ``[ab]``)."""

    kind: Kind = Field(description="Object kind: cluster, host, vm, dvswitch or datastore.")
    vcenter: Globs | None = Field(default=None, description="vCenter directory name(s) in the state repo (globs).")
    name: Globs | None = Field(default=None, description="Object name(s) (globs).")
    datacenter: Globs | None = Field(default=None, description="Datacenter name(s) (globs).")
    cluster: Globs | None = Field(
        default=None,
        description="Cluster name(s) (globs): hosts and VMs in a matching cluster, or the cluster itself.",
    )
    custom_attribute: dict[str, str] | None = Field(
        default=None,
        description="Reserved: custom attributes are not collected into snapshots yet; using it is an error.",
    )

    @field_validator("custom_attribute")
    @classmethod
    def _not_yet(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None:
            raise ValueError(
                "custom attributes are not collected into snapshots yet, so they cannot select objects; "
                "select by vcenter, name, datacenter or cluster"
            )
        return value


class Expectation(_Strict):
    """One expected value on a canonical-model path of every selected object."""

    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        description="Unique within the baseline; extending baselines override or remove expectations by id.",
    )
    select: Selector
    path: str = Field(
        description='Canonical path as drift items show it, e.g. ha.options["das.isolationaddress0"]; [*] for '
        "every key of a keyed collection (network.portgroups[*].vlan_id)."
    )
    equals: Any = Field(default=None, description="The value must equal this (same JSON type).")
    one_of: list[Any] | None = Field(default=None, description="The value must be one of these.")
    present: Literal[True] | None = Field(default=None, description="The value must be set (not missing, not null).")
    absent: Literal[True] | None = Field(default=None, description="The value must be missing or null.")
    matches: str | None = Field(default=None, description="The value must be a string fully matching this regex.")
    min: int | float | None = Field(default=None, description="The value must be a number >= min.")
    max: int | float | None = Field(default=None, description="The value must be a number <= max.")
    optional: bool = Field(
        default=False, description="A missing value is compliant (only a value that is there is checked)."
    )
    severity: Severity = "medium"
    reason: str = Field(min_length=1, description="Why: shown with every violation and in plan reviews.")
    source: str | None = Field(default=None, description="Where the recommendation comes from (a citation).")

    def checks(self) -> dict[str, Any]:
        """The expectation's check keys with their values, e.g. ``{"equals": "10.0.0.1"}``."""
        return dict(self._checks)

    @cached_property
    def _checks(self) -> dict[str, Any]:
        # evaluation asks for every object and path: computed once per (frozen) expectation
        return {key: getattr(self, key) for key in CHECKS if key in self.model_fields_set}


class BaselineFile(_Strict):
    """One baseline file."""

    version: Literal[1] = 1
    description: str | None = None
    extends: list[str] = Field(
        default=[],
        description="Baselines this one builds on: names of files in baselines/ (without .yaml) or shipped "
        "baselines (seed-security).",
    )
    rules: dict[str, RuleSetting] = Field(
        default={}, description="Policy rules of `driftguard check` by id: enable, disable, set typed params."
    )
    ignore: list[str] = Field(
        default=[],
        description="<kind>:<path glob> patterns that are never drift nor violations, "
        'e.g. host:advanced_options["Config.*"].',
    )
    remove: list[str] = Field(default=[], description="Ids of inherited expectations this baseline drops.")
    expectations: list[Expectation] = []

    @field_validator("extends", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value
