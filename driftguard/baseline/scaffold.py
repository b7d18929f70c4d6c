"""``driftguard init``: the files a new state repo starts with (templates shipped in ``templates/``)."""

from __future__ import annotations

from importlib import resources

SCAFFOLD: dict[str, str] = {
    "baselines/site.yaml": "site.yaml",
    ".github/workflows/driftguard-nightly.yml": "driftguard-nightly.yml",
    ".github/workflows/driftguard-pr.yml": "driftguard-pr.yml",
    ".github/actionlint.yaml": "actionlint.yaml",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
}
"""Path in the state repo → template file."""

VERSION_MARK = "@DRIFTGUARD_VERSION@"


def scaffold(version: str) -> dict[str, str]:
    """Path in the state repo → file text, with this driftguard's version pinned in the workflows and hooks."""
    root = resources.files("driftguard.baseline").joinpath("templates")
    return {
        target: root.joinpath(template).read_text(encoding="utf-8").replace(VERSION_MARK, version)
        for target, template in SCAFFOLD.items()
    }
