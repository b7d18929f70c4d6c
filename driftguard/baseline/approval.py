"""The baselines in force at one revision, and what they say of history drift (approved or not)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from driftguard.baseline.evaluate import approve
from driftguard.baseline.loader import BaselineSet
from driftguard.models import DriftItem, Snapshot


@dataclass(frozen=True)
class InForce:
    """The baselines committed at one revision, with the commit that last changed each file (None: shipped)."""

    baselines: BaselineSet = field(default_factory=BaselineSet)
    commits: Mapping[str, str | None] = field(default_factory=dict)

    def approve(self, items: list[DriftItem], snapshot: Snapshot) -> list[DriftItem]:
        """``items`` marked approved or unapproved; ``snapshot`` is the newer side."""
        # A state repo without baselines approves nothing and disapproves nothing: `approved` stays unset, so
        # commit messages and reports do not call every change "unapproved" before anyone wrote a baseline.
        if not self.baselines.baselines:
            return items
        return approve(items, snapshot, self.baselines, self.commits)
