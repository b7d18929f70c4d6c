"""Precedence flag > DRIFTGUARD_* > driftguard.yaml > default (pydantic-settings), choosing the vCenter, passwords
that never show, and the exemptions accessor."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from driftguard import api
from driftguard.api import config as api_config
from driftguard.models.config import DriftguardConfig, Exemption, VCenterConfig

FILE = DriftguardConfig(
    vcenters=[
        VCenterConfig(
            name="vc01", url="https://vc01.example.com/sdk", user="audit", page_size=200, password_env="VC01_PASSWORD"
        ),
        VCenterConfig(name="lab", url="http://127.0.0.1:8989/sdk", user="admin", insecure=True),
    ]
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VCENTER", "USER", "PASSWORD", "INSECURE", "CA_FILE", "PAGE_SIZE", "TIMEOUT", "DEADLINE"):
        monkeypatch.delenv(f"DRIFTGUARD_{name}", raising=False)
    monkeypatch.delenv("VC01_PASSWORD", raising=False)


def test_flag_beats_env_beats_file_beats_default(monkeypatch: pytest.MonkeyPatch) -> None:
    resolved = api.resolve_connection(FILE, "vc01", {})
    assert resolved.settings.page_size == 200 and resolved.sources["page_size"] == "file"
    assert resolved.settings.timeout == 60.0 and resolved.sources["timeout"] == "default"
    monkeypatch.setenv("DRIFTGUARD_PAGE_SIZE", "300")
    monkeypatch.setenv("DRIFTGUARD_TIMEOUT", "5")
    resolved = api.resolve_connection(FILE, "vc01", {"page_size": None})  # None: the flag was not given
    assert (resolved.settings.page_size, resolved.sources["page_size"]) == (300, "env")
    assert (resolved.settings.timeout, resolved.sources["timeout"]) == (5.0, "env")
    resolved = api.resolve_connection(FILE, "vc01", {"page_size": 400})
    assert (resolved.settings.page_size, resolved.sources["page_size"]) == (400, "flag")
    assert resolved.settings.url == "https://vc01.example.com/sdk" and resolved.sources["url"] == "file"


def test_which_vcenter(monkeypatch: pytest.MonkeyPatch) -> None:
    assert api.resolve_connection(FILE, "http://127.0.0.1:8989/sdk").settings.name == "lab"  # by URL
    with pytest.raises(api.UsageError, match=r"lists 2 vCenters \(vc01, lab\): choose one with --vcenter NAME"):
        api.resolve_connection(FILE)
    monkeypatch.setenv("DRIFTGUARD_VCENTER", "lab")
    assert api.resolve_connection(FILE).settings.insecure is True
    adhoc = api.resolve_connection(FILE, "https://vc09.example.com/sdk", {"user": "x"})
    assert adhoc.settings.url == "https://vc09.example.com/sdk" and adhoc.sources["url"] == "flag"
    single = DriftguardConfig(vcenters=[FILE.vcenters[0]])
    monkeypatch.delenv("DRIFTGUARD_VCENTER")
    assert api.resolve_connection(single).settings.name == "vc01"
    with pytest.raises(api.UsageError, match="no vCenter: give --vcenter URL"):
        api.resolve_connection(DriftguardConfig())


def test_passwords_come_from_the_named_variable_and_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    resolved = api.resolve_connection(FILE, "vc01")
    with pytest.raises(api.UsageError, match="no password: set VC01_PASSWORD or run interactively"):
        resolved.connection()
    monkeypatch.setenv("VC01_PASSWORD", "s3cret-vc01")
    conn = api.resolve_connection(FILE, "vc01").connection()
    assert conn.password.get_secret_value() == "s3cret-vc01"
    assert conn.page_size == 200 and conn.user == "audit"
    assert "s3cret-vc01" not in repr(conn) and "s3cret-vc01" not in repr(api.resolve_connection(FILE, "vc01"))
    monkeypatch.setenv("DRIFTGUARD_PASSWORD", "s3cret-lab")
    assert api.resolve_connection(FILE, "lab").connection().password.get_secret_value() == "s3cret-lab"
    flagged = api.resolve_connection(FILE, "lab", {"password": "typed-in"})
    assert flagged.connection().password.get_secret_value() == "typed-in"


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("DRIFTGUARD_PAGE_SIZE", "abc", "DRIFTGUARD_PAGE_SIZE: Input should be a valid integer"),
        ("DRIFTGUARD_PAGE_SIZE", "0", "page_size: Input should be greater than or equal to 1"),
        ("DRIFTGUARD_INSECURE", "maybe", "DRIFTGUARD_INSECURE: Input should be a valid boolean"),
    ],
)
def test_bad_environment_values_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, message: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(api.UsageError, match=message) as info:
        api.resolve_connection(FILE, "vc01")
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    "url", ["https://root:hunter2/x#y@vc01.example.com/sdk", "http://[::1", "https://127.0.0.1:99999", ":abc"]
)
def test_bad_urls_are_usage_errors_that_never_echo_a_password(url: str) -> None:
    with pytest.raises(api.UsageError) as info:
        api.resolve_connection(DriftguardConfig(), url, {"user": "u"})
    assert "hunter2" not in str(info.value)
    assert "\n" not in str(info.value)


def test_show_never_prints_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "driftguard.yaml").write_text(
        "vcenters:\n  - name: vc01\n    url: https://vc01.example.com/sdk\n    user: audit\n"
    )
    monkeypatch.setenv("DRIFTGUARD_PASSWORD", "do-not-print-me")
    monkeypatch.setenv("DRIFTGUARD_PAGE_SIZE", "250")
    for as_json in (False, True):
        text = api_config.show_config(tmp_path, as_json=as_json)
        assert "do-not-print-me" not in text
        assert "(set in DRIFTGUARD_PASSWORD)" in text and "250" in text


def test_exemptions_in_force() -> None:
    config = DriftguardConfig(
        exemptions=[
            Exemption(
                rule="DG-ZONE-*", object="dmz-*", kind="vm", reason="accepted (CHG-1)", expires=date(2026, 12, 31)
            ),
            Exemption(rule="DG-VMOTION-001", object="build-*", reason="ISO builds", vcenter="vc0?"),
        ]
    )
    assert len(api.exemptions(config, today=date(2026, 12, 31))) == 2
    active = api.exemptions(config, today=date(2027, 1, 1))
    assert [e.rule for e in active] == ["DG-VMOTION-001"]
    assert len(api.exemptions(config, today=date(2027, 1, 1), include_expired=True)) == 2
    zone, vmotion = config.exemptions
    assert zone.matches("DG-ZONE-002", "vm", "dmz-web01") and not zone.matches("DG-ZONE-002", "host", "dmz-web01")
    assert vmotion.matches("DG-VMOTION-001", "vm", "build-7", "vc01")
    assert not vmotion.matches("DG-VMOTION-001", "vm", "build-7", "vc10") and not vmotion.matches(
        "DG-VMOTION-001", "vm", "build-7"
    )


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTGUARD_INSECURE", "")
    monkeypatch.setenv("DRIFTGUARD_PAGE_SIZE", "")
    resolved = api.resolve_connection(FILE, "vc01")
    assert resolved.settings.page_size == 200 and resolved.settings.insecure is False
