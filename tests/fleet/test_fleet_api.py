"""The fleet facade without a vCenter: which vCenters a run covers, and the bounds of --jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftguard import api
from driftguard.models.config import DriftguardConfig

CONFIG = DriftguardConfig.model_validate(
    {"vcenters": [{"name": n, "url": f"https://{n}.example.com/sdk"} for n in ("vc01", "vc02", "vc03")]}
)


def test_a_run_covers_all_vcenters_or_those_named() -> None:
    assert [v.name for v in api.fleet_vcenters(CONFIG)] == ["vc01", "vc02", "vc03"]
    assert [v.name for v in api.fleet_vcenters(CONFIG, ["vc03", "vc01"])] == ["vc01", "vc03"]
    with pytest.raises(api.UsageError, match=r"no vCenter named 'vc09' \(have: vc01, vc02, vc03\)"):
        api.fleet_vcenters(CONFIG, ["vc09"])
    with pytest.raises(api.UsageError, match="lists none"):
        api.fleet_vcenters(DriftguardConfig())


@pytest.mark.parametrize("jobs", [0, 65])
def test_jobs_out_of_bounds_is_a_usage_error(jobs: int, tmp_path: Path) -> None:
    with pytest.raises(api.UsageError, match="--jobs must be between 1 and 64"):
        api.snapshot_all(CONFIG, tmp_path, jobs=jobs)
