"""DG-HA-002."""

from __future__ import annotations

from collections.abc import Iterator

from driftguard.models import Cluster, Finding, Snapshot
from driftguard.policy.base import Rule, RuleParams
from driftguard.policy.context import RuleContext
from driftguard.policy.rules._options import ha_clusters, number, option


class HaSensitivityParams(RuleParams):
    min_failure_detection_ms: int = 15000
    """``das.failuredetectiontime`` (and the chapter's ``das.failuredetecttime``): the default; lower is more
    sensitive. The chapter suggests raising it when network maintenance can take longer than ~20 s."""
    min_heartbeat_interval_ms: int = 1000
    """``das.failuredetectioninterval``: the default heartbeat interval."""
    min_vm_failure_interval_s: int = 30
    """VM monitoring: ``vmToolsMonitoringSettings.failureInterval`` / ``das.failureInterval``."""
    min_vm_min_uptime_s: int = 120
    """VM monitoring: ``minUpTime`` / ``das.minuptime``."""


class HaSensitivity(Rule):
    """HA failure detection set more sensitive than the defaults, so transient network faults trigger failover.

    *Why*: Chapter 5, "Service Console vswif" and Table 5.1: a heartbeat loss "could affect this heartbeat and
    prematurely kick off a reboot of the VMs on new nodes ... if VMware HA is configured to be too sensitive";
    "it is possible that these values can also be modified to increase the sensitivity of your cluster. Given
    that, then it is possible that failures will be more prevalent". The defaults are ``das.failuredetecttime``
    15000 ms, ``das.failuredetectioninterval`` 1000 ms, ``das.failureInterval`` 30 s and ``das.minuptime``
    120 s. (``das.failuredetectiontime`` is the key vSphere ≤ 4.1 actually used; both are read.)

    *Non-compliant*: ``das.failuredetectiontime = 5000``, or VM monitoring on with a failure interval of 10 s.

    *Compliant*: values at or above the defaults (raised where maintenance windows need it).
    """

    id = "DG-HA-002"
    name = "ha-failure-detection-sensitive"
    severity = "medium"
    tags = ("ha", "isolation", "availability")
    Params = HaSensitivityParams

    def check(self, snapshot: Snapshot, context: RuleContext, params: HaSensitivityParams) -> Iterator[Finding]:
        for cluster in ha_clusters(snapshot.clusters):
            for path, text, value, minimum in _values(cluster, params):
                if value < minimum:
                    yield self.finding(
                        snapshot,
                        cluster,
                        f"cluster {cluster.name}: {text} is {value:g}, below {minimum:g}: HA fails over too eagerly",
                        path=path,
                        evidence={"value": value, "minimum": minimum},
                    )


def _values(cluster: Cluster, params: HaSensitivityParams) -> Iterator[tuple[str, str, float, float]]:
    for key, minimum in (
        ("das.failuredetectiontime", params.min_failure_detection_ms),
        ("das.failuredetecttime", params.min_failure_detection_ms),
        ("das.failuredetectioninterval", params.min_heartbeat_interval_ms),
    ):
        found = option(cluster, key)
        if found is not None and (value := number(found[1])) is not None:
            yield f'ha.options["{found[0]}"]', found[0], value, minimum
    if cluster.ha.vm_monitoring in (None, "vmMonitoringDisabled"):
        return
    tools = cluster.ha.default_vm_settings.vm_tools_monitoring if cluster.ha.default_vm_settings else None
    for key, field, minimum in (
        ("das.failureInterval", "failure_interval", params.min_vm_failure_interval_s),
        ("das.minuptime", "min_up_time", params.min_vm_min_uptime_s),
    ):
        found = option(cluster, key)
        if found is not None and (value := number(found[1])) is not None:
            yield f'ha.options["{found[0]}"]', found[0], value, minimum
        elif tools is not None and (setting := getattr(tools, field)) is not None:
            yield f"ha.default_vm_settings.vm_tools_monitoring.{field}", f"VM monitoring {field}", setting, minimum
