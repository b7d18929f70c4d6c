"""Baselines: approved configuration as YAML in the state repo's ``baselines/`` (docs/baselines.md).

Loading with ``file:line:column`` errors (:mod:`.loader`), canonical-model paths (:mod:`.paths`), selection and
compliance drift, approval of history drift (:mod:`.evaluate`), ``pin`` (:mod:`.pin`), the pull-request plan
(:mod:`.plan`) and the state-repo scaffold of ``driftguard init`` (:mod:`.scaffold`). Nothing here does git I/O:
the api hands in file contents; ruamel.yaml is used only here (and for the policy stage's zone file).
"""

from driftguard.baseline.evaluate import approve, compliance, observe, satisfies, selected, target
from driftguard.baseline.format import BaselineFile, Expectation, Selector
from driftguard.baseline.loader import (
    BASELINE_DIR,
    BaselineError,
    BaselineSet,
    Parsed,
    Position,
    Resolved,
    is_baseline_path,
    load,
    parse_file,
    shipped_sources,
)

__all__ = [
    "BASELINE_DIR",
    "BaselineError",
    "BaselineFile",
    "BaselineSet",
    "Expectation",
    "Parsed",
    "Position",
    "Resolved",
    "Selector",
    "approve",
    "compliance",
    "is_baseline_path",
    "load",
    "observe",
    "parse_file",
    "satisfies",
    "selected",
    "shipped_sources",
    "target",
]
