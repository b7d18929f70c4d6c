"""What a report leaves out on purpose, said in the report: the drift items ignore rules hid (issue 11: a
suppression is never silent)."""

from __future__ import annotations

from driftguard.models.base import Model


class SuppressedBy(Model):
    """One ignore rule and how many items it hid (the last matching rule decides, as in ``.gitignore``)."""

    pattern: str
    source: str
    """Where the rule comes from: ``driftguard.yaml``, ``.driftguardignore``, ``--ignore`` or ``baseline <name>``."""
    items: int


class Suppressed(Model):
    """The drift items that ignore rules (not the built-in defaults) hid from a report, and which rules."""

    items: int = 0
    rules: list[SuppressedBy] = []
    """Only the rules that hid something, most items first."""
