"""Attribution: who changed a drifted setting, and when, from vCenter's own event and task history.

Imports only :mod:`driftguard.models` (an import-linter contract).
"""

from driftguard.attribute.match import attribute, coverage_gap
from driftguard.attribute.properties import item_properties
from driftguard.attribute.sources import Source
from driftguard.attribute.table import TABLE, Rule, lookup

__all__ = ["TABLE", "Rule", "Source", "attribute", "coverage_gap", "item_properties", "lookup"]
