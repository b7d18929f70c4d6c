"""Shared helpers of the zone rules."""

from __future__ import annotations

from collections.abc import Iterable

from driftguard.models import VM
from driftguard.policy.base import join_names


def by_zone(vms: Iterable[VM], zone_of: dict[str, str | None]) -> dict[str, list[str]]:
    """Zone → sorted VM names, for VMs that have a zone."""
    out: dict[str, list[str]] = {}
    for vm in vms:
        zone = zone_of.get(vm.id)
        if zone is not None:
            out.setdefault(zone, []).append(vm.name)
    return {z: sorted(names) for z, names in sorted(out.items())}


def describe(zones: dict[str, list[str]], dedicated: str | None = None) -> str:
    """``dedicated to dmz, production (app01, app02)``: the dedication first, then each zone's VMs."""
    parts = [f"dedicated to {dedicated}"] if dedicated is not None else []
    parts += [f"{zone} ({join_names(names, 3)})" for zone, names in zones.items()]
    return " and ".join(parts) if len(parts) <= 2 else ", ".join(parts[:-1]) + " and " + parts[-1]
