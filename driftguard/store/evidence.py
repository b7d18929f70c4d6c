"""Host evidence in the state repo: ``evidence/<vcenter>/<host>.json``, one file per host (``docs/host-files.md``).

Evidence sits outside every vCenter directory because a snapshot commit replaces its vCenter directory wholesale;
``evidence/`` is reserved at the top level (:data:`~driftguard.store.layout.TOP_LEVEL_RESERVED`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from driftguard.models import HostEvidence
from driftguard.models.canonical import canonical_dumps
from driftguard.store.layout import sanitize_component
from driftguard.store.repo import _NULL_SHA, _TEMP_PREFIX, DEFAULT_SIGNATURE, StateRepo, _identity_env

EVIDENCE_DIR = "evidence"


def evidence_path(vcenter: str, host: str) -> str:
    """``evidence/<vcenter>/<host>.json`` with both names sanitised (they come from vCenter or a bundle)."""
    return str(PurePosixPath(EVIDENCE_DIR, sanitize_component(vcenter), sanitize_component(host) + ".json"))


def write_evidence(repo: StateRepo, evidence: Mapping[str, HostEvidence], message: str) -> str | None:
    """Commit the evidence files (repo path → evidence); None when every file already has that content.

    Only the named files change; HEAD moves last, so a failure before it leaves HEAD and the index as they were.
    """
    # by alias: the file says "schema", like every other driftguard JSON contract
    data = {
        path: canonical_dumps(item.model_dump(mode="json", by_alias=True)) for path, item in sorted(evidence.items())
    }
    with repo.lock():
        head = repo.head()
        index_lines = []
        changed = []
        for path, content in data.items():
            sha = repo._git("hash-object", "-w", "--stdin", stdin=content)[1].strip()
            old = repo._git("rev-parse", "-q", "--verify", f"HEAD:{path}", check=False) if head else (1, "")
            if old[0] == 0 and old[1].strip() == sha:
                continue
            index_lines.append(f"100644 {sha}\t{path}\n")
            changed.append((path, content, sha))
        if not changed:
            return None
        scratch_index = Path(repo._git_dir) / f"{_TEMP_PREFIX}evidence-index"
        env = {"GIT_INDEX_FILE": str(scratch_index)}
        try:
            if head is not None:
                repo._git("read-tree", head, env=env)
            repo._git("update-index", "--add", "--index-info", stdin="".join(index_lines).encode(), env=env)
            tree = repo._git("write-tree", env=env)[1].strip()
        finally:
            scratch_index.unlink(missing_ok=True)
        stamp = f"{int(datetime.now(UTC).timestamp())} +0000"
        identity = _identity_env(DEFAULT_SIGNATURE, DEFAULT_SIGNATURE, stamp)
        parents = ["-p", head] if head is not None else []
        commit = repo._git(
            "commit-tree", "--no-gpg-sign", *parents, "-F", "-", tree, stdin=message.encode(), env=identity
        )[1].strip()
        if not repo.bare:
            root = repo.path
            for path, content, _ in changed:
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            repo._git("update-index", "--add", "--index-info", stdin="".join(index_lines).encode())
        repo._git("update-ref", "-m", "driftguard: import evidence", "HEAD", commit, head or _NULL_SHA)
        return commit
