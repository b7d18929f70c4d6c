"""Host evidence in the state repo: ``evidence/<vcenter>/<host>.json``, one file per host (``docs/host-files.md``).

Evidence sits outside every vCenter directory because a snapshot commit replaces its vCenter directory wholesale;
``evidence/`` is reserved at the top level (:data:`~driftguard.store.layout.TOP_LEVEL_RESERVED`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

from driftguard.models import HostEvidence
from driftguard.models.canonical import canonical_dumps
from driftguard.store.layout import EVIDENCE_DIR, sanitize_component
from driftguard.store.repo import StateRepo

__all__ = ["EVIDENCE_DIR", "evidence_path", "write_evidence"]


def evidence_path(vcenter: str, host: str) -> str:
    """``evidence/<vcenter>/<host>.json`` with both names sanitised (they come from vCenter or a bundle)."""
    return str(PurePosixPath(EVIDENCE_DIR, sanitize_component(vcenter), sanitize_component(host) + ".json"))


def write_evidence(repo: StateRepo, evidence: Mapping[str, HostEvidence], message: str) -> str | None:
    """Commit the evidence files (repo path → evidence); None when every file already has that content.

    Only the named files change, atomically (:meth:`StateRepo.write_files`).
    """
    # by alias: the file says "schema", like every other driftguard JSON contract
    data = {
        path: canonical_dumps(item.model_dump(mode="json", by_alias=True)) for path, item in sorted(evidence.items())
    }
    return repo.write_files(EVIDENCE_DIR, data, message)
