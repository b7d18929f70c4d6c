"""``driftguard init``: the files a new state repo starts with (templates shipped in ``templates/``), for the
scheduler it runs on: GitHub Actions, Kubernetes or systemd (``--target``). driftguard has no scheduler of its own.

Every target gets the starter baseline and the pre-commit configuration (kept when they exist). The per-target files
are generated for the vCenters of driftguard.yaml (one matrix entry, CronJob or timer each), or for one example
vCenter when the file lists none.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

COMMON: dict[str, str] = {
    "baselines/site.yaml": "site.yaml",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
}
"""Path in the state repo → template file, for every target (never overwritten: they are the user's)."""

GITHUB: dict[str, str] = {
    ".github/workflows/driftguard-nightly.yml": "driftguard-nightly.yml",
    ".github/workflows/driftguard-pr.yml": "driftguard-pr.yml",
    ".github/actionlint.yaml": "actionlint.yaml",
}
SYSTEMD_DIR = "deploy/systemd"
KUBERNETES_DIR = "deploy/kubernetes"
TARGETS = ("github", "kubernetes", "systemd")

VERSION_MARK = "@DRIFTGUARD_VERSION@"
MAX_MATRIX = 256
"""GitHub Actions runs at most 256 jobs from one matrix."""
EXAMPLE_REMOTE = "git@git.example.com:infra/vsphere-state.git"
STATE_DIR = "/var/lib/driftguard/state"
HOME_DIR = "/var/lib/driftguard"


class ScaffoldError(ValueError):
    """The scaffold cannot be made for this configuration (a usage error)."""


@dataclass(frozen=True)
class Scheduled:
    """One vCenter as the schedulers see it."""

    name: str
    """Its name in driftguard.yaml (what ``--vcenter NAME`` selects)."""
    directory: str
    """Its directory in the state repo (what ``--vcenter-name`` selects)."""
    password_env: str


EXAMPLE = Scheduled("vc01", "vc01.example.com", "VC01_PASSWORD")


def _template(name: str) -> str:
    return resources.files("driftguard.baseline").joinpath("templates").joinpath(name).read_text(encoding="utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def _quoted(value: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _secret_name(name: str) -> str:
    """A GitHub secret / Kubernetes key name for a vCenter: letters, digits and ``_``, upper case."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name).upper() + "_PASSWORD"


def slug(name: str) -> str:
    """A DNS-1123 label of at most 40 characters for a vCenter name (CronJob names allow 52 with the prefix)."""
    text = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "vcenter"
    if text != name or len(text) > 40:
        digest = hashlib.sha256(name.encode()).hexdigest()[:6]
        text = f"{text[:33].rstrip('-')}-{digest}"
    return text


def _matrix(vcenters: list[Scheduled]) -> str:
    if len(vcenters) > MAX_MATRIX:
        raise ScaffoldError(
            f"driftguard.yaml lists {len(vcenters)} vCenters; one GitHub Actions matrix runs at most {MAX_MATRIX} jobs"
        )
    lines = []
    for vc in vcenters:
        lines += [
            f"          - vcenter: {_quoted(vc.name)}",
            f"            directory: {_quoted(vc.directory)}",
            f"            password_env: {vc.password_env}",
            f"            password_secret: {_secret_name(vc.name)}",
        ]
    return "\n".join(lines)


def _github(version: str, vcenters: list[Scheduled]) -> dict[str, str]:
    values = {"DRIFTGUARD_VERSION": version, "MATRIX": _matrix(vcenters)}
    return {target: _fill(_template(template), values) for target, template in GITHUB.items()}


def _kubernetes(version: str, vcenters: list[Scheduled], remote: str | None) -> dict[str, str]:
    files: dict[str, str] = {}
    for vc in vcenters:
        name = slug(vc.name)
        values = {
            "DRIFTGUARD_VERSION": version,
            "NAME": vc.name.replace("\\", "\\\\").replace('"', '\\"'),
            "SLUG": name,
            "SECRET_KEY": name,
            "PASSWORD_ENV": vc.password_env,
            "REMOTE": (remote or EXAMPLE_REMOTE).replace('"', '\\"'),
        }
        path = f"{KUBERNETES_DIR}/cronjob-{name}.yaml"
        if path in files:
            raise ScaffoldError(f"two vCenters map to the Kubernetes name {name!r}: rename one in driftguard.yaml")
        files[path] = _fill(_template("cronjob.yaml"), values)
    return files


def _systemd(version: str, executable: str) -> dict[str, str]:
    values = {
        "DRIFTGUARD_VERSION": version,
        "DRIFTGUARD_BIN": executable,
        "STATE_DIR": STATE_DIR,
        "HOME_DIR": HOME_DIR,
    }
    return {
        f"{SYSTEMD_DIR}/{unit}": _fill(_template(unit), values) for unit in ("driftguard@.service", "driftguard@.timer")
    }


def common(version: str) -> dict[str, str]:
    """The files every target starts with: the starter baseline and the pre-commit configuration."""
    return {target: _fill(_template(template), {"DRIFTGUARD_VERSION": version}) for target, template in COMMON.items()}


def scaffold(
    version: str,
    target: str = "github",
    vcenters: list[Scheduled] | None = None,
    *,
    remote: str | None = None,
    executable: str = "/opt/driftguard/bin/driftguard",
) -> dict[str, str]:
    """Path in the state repo → file text of ``target``'s files, with this driftguard's version pinned.

    ``vcenters``: the configured vCenters (default: one example); ``remote``: the state repo's SSH URL for the
    CronJobs; ``executable``: the driftguard the systemd service runs."""
    chosen = vcenters or [EXAMPLE]
    if target == "github":
        return _github(version, chosen)
    if target == "kubernetes":
        return _kubernetes(version, chosen, remote)
    if target == "systemd":
        return _systemd(version, executable)
    raise ScaffoldError(f"unknown target {target!r} (choose from {', '.join(TARGETS)})")
