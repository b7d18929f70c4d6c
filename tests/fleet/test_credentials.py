"""Each vCenter's password from its own source: the variable ``password_env``, then ``password_file`` (or
``DRIFTGUARD_PASSWORD_FILE``, as systemd credentials hand it over), then the OS keyring; every failure is a usage
error naming the vCenter and never the password."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked

from driftguard import api
from driftguard.models.config import DriftguardConfig


class LockedKeyring(KeyringBackend):
    """A keyring whose store is locked (as a headless session's Secret Service is)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the collection is locked")


class EmptyKeyring(LockedKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        return None


@pytest.fixture
def use_keyring() -> Iterator[Callable[[KeyringBackend], None]]:
    previous = keyring.get_keyring()
    try:
        yield keyring.set_keyring
    finally:
        keyring.set_keyring(previous)


def config(**entry: object) -> DriftguardConfig:
    return DriftguardConfig.model_validate({"vcenters": [{"name": "vc01", "url": "https://vc01.example.com", **entry}]})


@pytest.fixture(autouse=True)
def _no_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DRIFTGUARD_PASSWORD", "DRIFTGUARD_PASSWORD_FILE", "VC01_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def password(cfg: DriftguardConfig) -> str | None:
    secret = api.resolve_connection(cfg, "vc01").password
    return secret.get_secret_value() if secret is not None else None


def test_the_variable_comes_before_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pw").write_text("from-file\nignored second line\n")
    cfg = config(password_env="VC01_PASSWORD", password_file=str(tmp_path / "pw"))
    assert password(cfg) == "from-file"
    monkeypatch.setenv("VC01_PASSWORD", "from-variable")
    assert password(cfg) == "from-variable"


def test_the_file_may_come_from_the_environment_as_systemd_credentials_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "vcenter-password").write_text("credential")
    monkeypatch.setenv("DRIFTGUARD_PASSWORD_FILE", str(tmp_path / "vcenter-password"))
    assert password(config()) == "credential"
    resolved = api.resolve_connection(config(), "vc01")
    assert resolved.sources["password_file"] == "env"


def test_a_missing_or_empty_file_is_a_usage_error_naming_the_vcenter(tmp_path: Path) -> None:
    with pytest.raises(api.UsageError, match=r"password_file of 'vc01' \(.*nope\): No such file or directory"):
        password(config(password_file=str(tmp_path / "nope")))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(api.UsageError, match="is empty"):
        password(config(password_file=str(tmp_path / "empty")))


def test_the_keyring_is_read_only_when_asked_for(use_keyring: Callable[[KeyringBackend], None]) -> None:
    use_keyring(LockedKeyring())
    assert password(config()) is None  # keyring: false - never touched
    with pytest.raises(api.UsageError, match="keyring for 'vc01': no usable OS keyring"):
        password(config(keyring=True))
    use_keyring(EmptyKeyring())
    with pytest.raises(api.UsageError, match=r"no password stored \(keyring set driftguard vc01\)"):
        password(config(keyring=True))


def test_a_password_key_in_the_file_is_refused() -> None:
    with pytest.raises(ValueError, match=r"secrets never go in driftguard\.yaml"):
        config(password="hunter2")
