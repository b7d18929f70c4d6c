"""Reading HA advanced options, whose keys vary in case across versions and documents."""

from __future__ import annotations

import re

from driftguard.models import Cluster, Scalar


def option(cluster: Cluster, key: str) -> tuple[str, Scalar] | None:
    """(actual key, value) of a ``das.*`` option, matching the key case-insensitively."""
    wanted = key.lower()
    for actual, value in cluster.ha.options.items():
        if actual.lower() == wanted:
            return actual, value
    return None


def number(value: Scalar) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value.strip())
    except ValueError:
        return None


def truthy(value: Scalar) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def isolation_addresses(cluster: Cluster) -> dict[str, Scalar]:
    return {k: v for k, v in cluster.ha.options.items() if re.fullmatch(r"das\.isolationaddress\d*", k.lower()) and v}


def ha_clusters(clusters: dict[str, Cluster]) -> list[Cluster]:
    return sorted((c for c in clusters.values() if c.ha.enabled is True), key=lambda c: c.name)
