"""The files driftguard.yaml replaces, built in today's formats: they keep working (with one deprecation line),
and ``driftguard config migrate`` writes a driftguard.yaml with the same effect, comments kept as reasons, and
removes or renames nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftguard.api import config as api_config
from driftguard.collect.hostfiles import from_settings
from tests.cli_runner import invoke
from tests.faults._config_support import state_repo

ZONES = """\
version: 1
zones:
  # internet-facing web tier
  dmz:
    description: Internet-facing
    vms: ['dmz-*']        # VM name globs
    hosts: ["esx-dmz-*"]
  production:
    portgroups: ['Prod-*']
default_zone: production
"""
IGNORE = """\
# CPU sizing is managed by the capacity team
# (reviewed quarterly)
vm:cpu.count

host:advanced_options["Config.HostAgent.log.level"]
vm:devices["Network adapter #1"].connected
"""
TOML = """\
[ssh]
parallelism = 4
timeout = 10
known_hosts = "known_hosts"

[ssh.hosts."esx01*"]
address = "127.0.0.1"
port = 2222
user = "audit"
key_file = "/keys/esx01"
remote_root = "/srv/esx01"
"""


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_config, "_warned", set())


@pytest.fixture
def old_repo(tmp_path: Path) -> Path:
    repo = state_repo(tmp_path / "state")
    (repo / "zones.yaml").write_text(ZONES)
    (repo / ".driftguardignore").write_text(IGNORE)
    (repo / "driftguard.toml").write_text(TOML)
    return repo


def effective(repo: Path) -> tuple[object, list[str], object]:
    config = api_config.load_config(repo).config
    return config.zone_config(), config.ignore_patterns(), from_settings(config.host_files, base=repo)


def test_old_files_still_work_with_one_deprecation_line_each(old_repo: Path) -> None:
    result = invoke("check", "--repo", old_repo)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("driftguard: warning:")]
    assert warnings == [
        "driftguard: warning: zones.yaml is deprecated; run `driftguard config migrate`",
        "driftguard: warning: .driftguardignore is deprecated; run `driftguard config migrate`",
        "driftguard: warning: driftguard.toml is deprecated; run `driftguard config migrate`",
    ]
    zones, ignore, ssh = effective(old_repo)
    assert zones.vm_zone("nobody", []) == "production"  # type: ignore[attr-defined]
    assert ignore == [
        "vm:cpu.count",
        'host:advanced_options["Config.HostAgent.log.level"]',
        'vm:devices["Network adapter #1"].connected',
    ]
    target = ssh.target("esx01.example")  # type: ignore[attr-defined]
    assert (target.address, target.port, target.user, target.remote_root) == ("127.0.0.1", 2222, "audit", "/srv/esx01")


def test_migrate_writes_the_same_configuration_and_keeps_the_old_files(old_repo: Path) -> None:
    before = effective(old_repo)
    result = invoke("config", "migrate", "--repo", old_repo)
    assert result.exit_code == 0, result.stderr
    assert (
        f"wrote {old_repo / 'driftguard.yaml'} (zones from zones.yaml, ignore from .driftguardignore, "
        "host_files from driftguard.toml)" in result.stderr
    )
    assert "kept .driftguardignore, driftguard.toml, zones.yaml: nothing was removed or renamed" in result.stderr
    for name in ("zones.yaml", ".driftguardignore", "driftguard.toml"):
        assert (old_repo / name).is_file(), name
    text = (old_repo / "driftguard.yaml").read_text()
    assert "# internet-facing web tier" in text and "# VM name globs" in text  # zones.yaml's comments kept
    assert api_config.validate_config(old_repo) == []
    loaded = api_config.load_config(old_repo)
    assert loaded.from_legacy == {} and set(loaded.ignored_legacy.values()) == {"zones", "ignore", "host_files"}
    assert effective(old_repo) == before
    reasons = {rule.pattern: rule.reason for rule in loaded.config.ignore}
    assert reasons["vm:cpu.count"] == "CPU sizing is managed by the capacity team (reviewed quarterly)"
    assert reasons['host:advanced_options["Config.HostAgent.log.level"]'].startswith("no reason was written")
    assert loaded.config.zones["production"].default is True


def test_after_migration_the_old_files_are_said_to_be_ignored(old_repo: Path) -> None:
    assert invoke("config", "migrate", "--repo", old_repo).exit_code == 0
    api_config._warned.clear()
    result = invoke("check", "--repo", old_repo)
    assert "driftguard: warning: zones.yaml is ignored: driftguard.yaml sets zones (delete zones.yaml)" in (
        result.stderr
    )


def test_dry_run_prints_and_writes_nothing(old_repo: Path) -> None:
    result = invoke("config", "migrate", "--repo", old_repo, "--dry-run")
    assert result.exit_code == 0
    assert not (old_repo / "driftguard.yaml").exists()
    assert result.stdout.startswith("version: 1\n") and "host_files:" in result.stdout
    assert "would write" in result.stderr


def test_an_existing_driftguard_yaml_is_kept_as_written(old_repo: Path) -> None:
    mine = "# our vCenters\nvcenters:\n  - name: vc01  # production\n    url: https://vc01.example.com/sdk\n"
    (old_repo / "driftguard.yaml").write_text(mine)
    assert invoke("config", "migrate", "--repo", old_repo).exit_code == 0
    text = (old_repo / "driftguard.yaml").read_text()
    assert "# our vCenters" in text and "- name: vc01  # production" in text and "zones:" in text
    assert [v.name for v in api_config.load_config(old_repo).config.vcenters] == ["vc01"]


def test_an_invalid_old_file_migrates_nothing(old_repo: Path) -> None:
    (old_repo / ".driftguardignore").write_text("vm:cpu.count\nnosuchkind:x\n")
    result = invoke("config", "migrate", "--repo", old_repo)
    assert result.exit_code == 2
    assert f"{old_repo / '.driftguardignore'}:2:1: ignore pattern 'nosuchkind:x'" in result.stderr
    assert not (old_repo / "driftguard.yaml").exists()


def test_nothing_to_migrate(tmp_path: Path) -> None:
    repo = state_repo(tmp_path / "state")
    result = invoke("config", "migrate", "--repo", repo)
    assert result.exit_code == 0 and "nothing to migrate" in result.stderr
    assert not (repo / "driftguard.yaml").exists()


def test_an_invalid_driftguard_yaml_is_left_untouched(old_repo: Path) -> None:
    mine = "vcenters:\n  - name: vc01\n    url: https://vc01.example.com/sdk\n    page_size: many\n"
    (old_repo / "driftguard.yaml").write_text(mine)
    result = invoke("config", "migrate", "--repo", old_repo)
    assert result.exit_code == 2
    assert f"{old_repo / 'driftguard.yaml'}:4:16: vcenters[0].page_size: " in result.stderr
    assert (old_repo / "driftguard.yaml").read_text() == mine
    assert sorted(p.name for p in old_repo.iterdir() if p.name.startswith(".driftguard-")) == []  # no temp litter


def test_show_on_the_command_line(old_repo: Path) -> None:
    result = invoke("config", "show", "--repo", old_repo, "--format", "json")
    assert result.exit_code == 0, result.stderr
    import json

    shown = json.loads(result.stdout)
    assert shown["files"]["zones.yaml"] == "supplies zones (deprecated)"
    assert shown["host_files"]["parallelism"] == 4 and shown["zones"]["production"]["default"] is True
