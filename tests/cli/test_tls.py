"""TLS to vCenter from the command line (issue 13, point 6): a private CA with ``--ca-file`` / ``DRIFTGUARD_CA_FILE``
and certificate pinning with ``--tls-fingerprint``, against the simulator's own self-signed certificate
(tests/vcsim/cert.go: a fresh one per launch, its PEM and SHA-256 in the startup line)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from click.testing import Result

from driftguard.cli import app
from tests.cli_runner import invoke
from tests.vcsim.harness import Vcsim


@pytest.fixture
def sim(vcsim_factory: Callable[..., Vcsim]) -> Vcsim:
    return vcsim_factory(tls=True, clusters=1, hosts=1, vms=1)


def snapshot(sim: Vcsim, repo: Path, *args: str, env: dict[str, str | None] | None = None) -> Result:
    return invoke(
        "snapshot", "--repo", repo, "--vcenter", sim.url, "--user", sim.username, *args, password=sim.password, env=env
    )


def colons(hex_digest: str) -> str:
    return ":".join(hex_digest[i : i + 2] for i in range(0, len(hex_digest), 2)).upper()


def test_unknown_ca_is_refused_and_the_hint_names_flags_that_exist(sim: Vcsim, tmp_path: Path) -> None:
    result = snapshot(sim, tmp_path / "state")
    assert result.exit_code == 3, result.output
    assert "could not be verified" in result.stderr and "--ca-file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "state").exists()


def test_ca_file_flag_and_environment_variable(sim: Vcsim, tmp_path: Path) -> None:
    ca = tmp_path / "vmca.pem"
    ca.write_text(sim.info["cert_pem"])
    assert snapshot(sim, tmp_path / "a", "--ca-file", str(ca)).exit_code == 0
    assert snapshot(sim, tmp_path / "b", env={"DRIFTGUARD_CA_FILE": str(ca)}).exit_code == 0


def test_the_pinned_fingerprint_connects_in_either_spelling(sim: Vcsim, tmp_path: Path) -> None:
    digest = sim.info["cert_sha256"].replace(":", "").lower()
    result = snapshot(sim, tmp_path / "a", "--tls-fingerprint", colons(digest))
    assert result.exit_code == 0, result.output
    assert snapshot(sim, tmp_path / "b", env={"DRIFTGUARD_TLS_FINGERPRINT": digest}).exit_code == 0


def test_a_wrong_fingerprint_exits_3_naming_both(sim: Vcsim, tmp_path: Path) -> None:
    digest = sim.info["cert_sha256"].replace(":", "").lower()
    wrong = ("0" if digest[0] != "0" else "1") + digest[1:]
    result = snapshot(sim, tmp_path / "state", "--tls-fingerprint", wrong)
    assert result.exit_code == 3, result.output
    (line,) = result.stderr.strip().splitlines()
    assert "does not match --tls-fingerprint" in line
    assert colons(digest) in line and colons(wrong) in line
    assert sim.password not in result.output
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--tls-fingerprint", "AB:CD"), "64 hex digits"),
        (("--tls-fingerprint", "a" * 64, "--insecure"), "cannot be combined with --insecure"),
    ],
)
def test_malformed_or_contradictory_pinning_is_a_usage_error(
    sim: Vcsim, tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    result = snapshot(sim, tmp_path / "state", *args)
    assert result.exit_code == 2, result.output
    assert words in result.stderr


def test_pinning_needs_https(vcsim: Vcsim, tmp_path: Path) -> None:
    result = snapshot(vcsim, tmp_path / "state", "--tls-fingerprint", "a" * 64)
    assert result.exit_code == 2 and "needs an https:// URL" in result.stderr


def test_every_command_that_connects_offers_both_ways() -> None:
    def walk(command: Any) -> Iterator[Any]:
        yield command
        for sub in getattr(command, "commands", {}).values():
            yield from walk(sub)

    connecting = {}
    for command in walk(typer.main.get_command(app)):
        options = {opt for param in command.params for opt in param.opts}
        if "--vcenter" in options:
            connecting[command.name] = {"--ca-file", "--tls-fingerprint", "--insecure"} <= options
    assert connecting == {"snapshot": True, "diff": True, "check": True}
