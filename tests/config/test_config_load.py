"""driftguard.yaml: one model, one pass, every error at once with file:line:column; the documented example is
valid and every key is documented; zones classify as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from driftguard.api import config as api_config
from driftguard.models.config import DriftguardConfig
from tests.cli_runner import invoke
from tests.config._support import DOCS, docs_example


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_config, "_warned", set())


def write(repo: Path, text: str) -> Path:
    repo.mkdir(exist_ok=True)
    (repo / "driftguard.yaml").write_text(text, encoding="utf-8")
    return repo


def test_the_documented_example_is_valid(tmp_path: Path) -> None:
    repo = write(tmp_path / "state", docs_example())
    assert api_config.validate_config(repo) == []
    config = api_config.load_config(repo).config
    assert [v.name for v in config.vcenters] == ["vc01", "lab"]
    assert config.zone_config().vm_zone("app01", []) == "production"  # default: true
    assert config.exemptions[0].expires is not None and str(config.exemptions[0].expires) == "2027-03-31"
    result = invoke("config", "validate", "--repo", repo)
    assert result.exit_code == 0, result.stderr
    assert "configuration valid" in result.stderr


def _keys(model: type[BaseModel], seen: set[str]) -> set[str]:
    out: set[str] = set()
    for name, info in model.model_fields.items():
        out.add(name)
        annotation: Any = info.annotation
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            for inner in (candidate, *getattr(candidate, "__args__", ())):
                if isinstance(inner, type) and issubclass(inner, BaseModel) and inner.__name__ not in seen:
                    seen.add(inner.__name__)
                    out |= _keys(inner, seen)
    return out


def test_every_key_is_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    keys = _keys(DriftguardConfig, set())
    assert {"vcenters", "deadline", "ca_file", "remote_root", "expires", "default"} <= keys
    missing = sorted(k for k in keys if f"`{k}`" not in docs)
    assert missing == []


BAD = """\
version: 2
vcenters:
  - name: vc01
    url: https://vc01.example.com/sdk
    insecure: true
    ca_file: ca.pem
  - name: vc02
    url: "https://[::1"
    tiemout: 30
    page_size: "500"
ignore:
  - pattern: nosuchkind:cpu.count
    reason: typo in the kind
  - pattern: vm:cpu.count
zones:
  dmz: {vms: dmz-*}
  prod: {default: yes}
host_files:
  hosts:
    "esx*": {port: 70000, password: hunter2}
exemptions:
  - {rule: DG-VMOTION-001, object: web*, reason: ok, expires: 2026-02-30}
"""


def test_every_error_at_once_with_positions(tmp_path: Path) -> None:
    repo = write(tmp_path / "state", BAD)
    result = invoke("config", "validate", "--repo", repo)
    assert result.exit_code == 2
    file = repo / "driftguard.yaml"
    lines = [line.removeprefix(f"{file}:") for line in result.stderr.splitlines()]
    assert lines == [
        "1:10: version: expected 1, got 2",
        "3:5: vcenters[0]: give insecure or ca_file, not both",
        "8:10: vcenters[1].url: not a valid URL (expected https://host[:port][/sdk])",
        "9:5: vcenters[1].tiemout: unknown field",
        "10:16: vcenters[1].page_size: Input should be a valid integer",
        "12:14: ignore pattern 'nosuchkind:cpu.count': unknown kind 'nosuchkind' (one of cluster, host, vm, "
        "dvswitch, datastore or *)",
        "14:5: ignore[1].reason: missing required field 'reason'",
        "16:14: zones.dmz.vms: Input should be a valid list",
        "17:19: zones.prod.default: Input should be a valid boolean",
        "20:13: host_files.hosts.esx*: 'password' is not allowed: secrets never go in driftguard.yaml (it is "
        "committed); name the environment variable that holds it with password_env",
        "22:63: exemptions[0].expires: Input should be a valid date or datetime, day value is outside expected range",
    ]
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr


def test_rules_and_extends_are_checked_against_the_catalogue(tmp_path: Path) -> None:
    repo = write(
        tmp_path / "state",
        "extends: [seed-security, nope]\n"
        "rules:\n"
        "  DG-NOPE-001: {enabled: false}\n"
        "  DG-HIST-003:\n"
        "    params: {max_migrations: lots}\n",
    )
    issues = [str(i).removeprefix(f"{repo / 'driftguard.yaml'}:") for i in api_config.validate_config(repo)]
    assert any(i.startswith("3:3: rules.DG-NOPE-001: ") for i in issues), issues
    assert any(i.startswith("5:30: rules.DG-HIST-003.params.max_migrations: ") for i in issues), issues
    assert any(i.startswith("1:26: extends unknown baseline 'nope'") for i in issues), issues


def test_an_invalid_file_stops_other_commands_with_exit_2(tmp_path: Path) -> None:
    from tests.faults._config_support import state_repo

    repo = state_repo(tmp_path / "state")
    write(repo, "zones: {dmz: {vm: [x]}}\n")
    result = invoke("check", "--repo", repo)
    assert result.exit_code == 2
    assert f"{repo / 'driftguard.yaml'}:1:15: zones.dmz.vm: unknown field" in result.stderr


def test_an_empty_file_is_all_defaults(tmp_path: Path) -> None:
    repo = write(tmp_path / "state", "# nothing yet\n")
    assert api_config.load_config(repo).config == DriftguardConfig()


def test_zones_classify_in_file_order_with_a_default(tmp_path: Path) -> None:
    repo = write(
        tmp_path / "state",
        "zones:\n  dmz:\n    vms: ['dmz-*']\n    hosts: [esx-dmz*]\n  production:\n    portgroups: [Prod-*]\n"
        "    default: true\n",
    )
    zones = api_config.zones(repo)
    assert zones.vm_zone("dmz-web01", ["Prod-App"]) == "dmz"  # first zone in file order wins
    assert zones.vm_zone("app01", ["Prod-App"]) == "production"
    assert zones.vm_zone("other", []) == "production"  # the default
    assert zones.host_zone("esx-dmz01") == "dmz" and zones.host_zone("esx01") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zones:\n  dmz:\n    vms: [a]\n    folders: [x]\n", "zones.yaml:4:5: zones.dmz.folders: unknown field"),
        ("zones:\n  dmz:\n    vms: a-string\n", "zones.yaml:3:10: zones.dmz.vms: Input should be a valid list"),
        ("zones: {dmz: {}}\ndefault_zone: prod\n", "zones.yaml:1:1: (top level): default_zone 'prod' is not one of"),
        ("zones: [\n", "zones.yaml:2:1: not valid YAML"),
    ],
)
def test_legacy_zone_file_errors_name_line_and_column(tmp_path: Path, text: str, expected: str) -> None:
    repo = tmp_path / "state"
    repo.mkdir()
    (repo / "zones.yaml").write_text(text)
    with pytest.raises(api_config.InvalidConfigError) as info:
        api_config.zones(repo)
    assert str(info.value.issues[0]).removeprefix(f"{repo}/").startswith(expected), info.value.issues


CDROM = {"key": 3000, "type": "VirtualCdrom", "connected": True, "backing": {"type": "VirtualCdromAtapiBackingInfo"}}
VMOTION_BLOCKED = {
    "clusters": {"c1": {"name": "C1"}},
    "hosts": {"host-1": {"name": "esx01", "cluster": "c1"}},
    "vms": {"vm-1": {"name": "web01", "host": "host-1", "devices": {"CD/DVD drive 1": CDROM}}},
}


def _rule_ids(repo: Path) -> set[str]:
    import json

    result = invoke("check", "--repo", repo, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {f["rule_id"] for f in json.loads(result.stdout)["findings"]}


def test_rules_section_configures_check(tmp_path: Path) -> None:
    from driftguard.store import StateRepo
    from tests.rule_cases import build_snapshot

    repo = tmp_path / "state"
    StateRepo.open(repo, create=True).write_snapshot(build_snapshot(VMOTION_BLOCKED), "first")
    assert "DG-VMOTION-001" in _rule_ids(repo)
    write(repo, "rules:\n  DG-VMOTION-001: {enabled: false}\n")
    assert "DG-VMOTION-001" not in _rule_ids(repo)
    write(repo, "rules:\n  DG-HIST-003:\n    params: {max_migrations: lots}\n")
    result = invoke("check", "--repo", repo)
    assert result.exit_code == 2
    assert f"{repo / 'driftguard.yaml'}:3:30: rules.DG-HIST-003.params.max_migrations: " in result.stderr
