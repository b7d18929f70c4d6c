"""Fault family "secrets" (issue 8, point 13 and "Build"): no password and no session cookie anywhere a run writes.

One realistic day against the real simulator, through real ``python -m driftguard`` processes with a distinctive
password in DRIFTGUARD_PASSWORD: snapshot, a change through pyVmomi, snapshot, diff (text, json, markdown),
diff --live, check (text, sarif), log, check --live; then the failures: a login the simulator refuses, an HTML
answer from a proxy, a deadline that expires on a dripping answer, SIGTERM mid-snapshot and the run after it, and an
internal error (exit 4) whose message holds the password, so that its crash report under XDG_STATE_HOME is scanned.

Then every place is scanned for every form of the password and for every ``vmware_soap_session`` cookie the
simulator handed out (recorded by the proxy between driftguard and the simulator): all captured output, every file
of the state repo's work tree and ``.git`` (config, refs, notes, reflogs), every git object decompressed, the
environment the repo's hooks received, and HOME / XDG_* / TMPDIR. The scanner proves it can fail: the password and a
cookie are planted in one place of each kind of a copy, and each plant must be found.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from tests.faults._proxy import Fault
from tests.faults._secrets_support import (
    CookieProxy,
    Inventory,
    distinctive_password,
    install_env_hooks,
    password_needles,
)
from tests.faults.health import assert_healthy, assert_no_traceback, git, head
from tests.vcsim import scenario
from tests.vcsim.harness import Vcsim

pytestmark = pytest.mark.vcsim

REPO_ROOT = Path(__file__).resolve().parents[2]
USER = "VSPHERE.LOCAL\\driftguard-audit"
VM = "DC0_C0_H0_VM0"
SAFETY_NET = 180.0
"""Subprocess timeout: only so that a hang fails the test instead of the suite; no assert is about time."""

# An internal error (exit 4) whose message carries the password and a URL with it: the crash report must not.
CRASH_INJECTION = """
import os
import driftguard.api
_password = os.environ["DRIFTGUARD_PASSWORD"]
def _bug(*args, **kwargs):
    raise RuntimeError(f"injected bug with {_password} and https://admin:{_password}@vc01.example.com/sdk inside")
driftguard.api.log = _bug
"""


@dataclass
class Day:
    """The stage of one run of the module: where everything goes, and everything captured so far."""

    root: Path
    password: str
    proxy: CookieProxy
    sim: Vcsim
    ssh_password: str = field(default_factory=distinctive_password)
    outputs: list[tuple[str, str, str]] = field(default_factory=list)
    """(step, stdout, stderr) of every process run."""

    @property
    def repo(self) -> Path:
        return self.root / "state"

    @property
    def hook_env(self) -> Path:
        return self.root / "hook-env"

    @property
    def homes(self) -> dict[str, Path]:
        return {
            name: self.root / name.lower()
            for name in ("HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "TMPDIR")
        }

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "DRIFTGUARD_PASSWORD": self.password,
            "DRIFTGUARD_SSH_PASSWORD": self.ssh_password,  # not used by these runs, but in their environment
            "COLUMNS": "200",
            "NO_COLOR": "1",
            "TERM": "dumb",
        }
        for name, path in self.homes.items():
            path.mkdir(parents=True, exist_ok=True)
            env[name] = str(path)
        return env

    def start(self, step: str, args: list[str]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, *args], env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def run(
        self, step: str, args: list[str], extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {**self.env(), **(extra_env or {})}
        result = subprocess.run(
            [sys.executable, *args], env=env, capture_output=True, text=True, timeout=SAFETY_NET, check=False
        )
        self.outputs.append((step, result.stdout, result.stderr))
        assert_no_traceback(result.stdout, result.stderr)
        return result

    def cli(self, step: str, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
        live = ["--vcenter", url or self.proxy.url, "--user", USER, "--insecure"] if url or _needs_vcenter(args) else []
        return self.run(step, ["-m", "driftguard", *args, "--repo", str(self.repo), *live])


def _needs_vcenter(args: tuple[str, ...]) -> bool:
    return args[0] == "snapshot" or "--live" in args


@pytest.fixture(scope="module")
def day(vcsim_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    from tests.vcsim.harness import start

    sim = start(vcsim_binary)
    try:
        with CookieProxy(sim.url) as proxy:
            yield Day(tmp_path_factory.mktemp("secrets"), distinctive_password(), proxy, sim)
    finally:
        sim.stop()


def test_a_day_of_driftguard_leaks_no_secret(day: Day, vcsim_factory: Callable[..., Vcsim], tmp_path: Path) -> None:
    started = time.monotonic()
    day.repo.mkdir()
    git(day.repo, "init", "-q")
    install_env_hooks(day.repo, day.hook_env)

    ok_steps(day)
    failing_steps(day, vcsim_factory)

    inventory = collect(day)
    needles = needles_of(day)
    leaks = inventory.scan(needles)
    assert not leaks, "\n".join(map(str, leaks))
    kinds = inventory.kinds()
    assert set(kinds) == {"output", "work tree", "git dir", "git objects", "hook env", "home"}, kinds
    print(  # the figures of the closing note (pytest -s shows them)
        f"\nsecrets scan: {len(inventory.places)} places {kinds}, {inventory.total_bytes} bytes, "
        f"{len(needles)} needles ({len(day.proxy.cookies)} session cookies), {len(leaks)} leaks, "
        f"{time.monotonic() - started:.1f} s"
    )

    self_check(day, tmp_path)


def ok_steps(day: Day) -> None:
    first = day.cli("snapshot 1", "snapshot")
    assert first.returncode == 0, first.stderr
    scenario.set_vm_cpus(day.sim.url, "VSPHERE.LOCAL\\alice", VM, 4)
    second = day.cli("snapshot 2", "snapshot")
    assert second.returncode == 0, second.stderr
    assert "1 attributed (alice)" in second.stderr, second.stderr
    for fmt in ("text", "json", "markdown"):
        shown = day.cli(f"diff {fmt}", "diff", "--format", fmt)
        assert shown.returncode == 0 and VM in shown.stdout, shown
    scenario.set_vm_memory(day.sim.url, "VSPHERE.LOCAL\\bob", VM, 8192)
    live = day.cli("diff --live", "diff", "--live", "--format", "json")
    assert live.returncode == 0 and "VSPHERE.LOCAL\\\\bob" in live.stdout, live
    for fmt in ("text", "sarif"):
        checked = day.cli(f"check {fmt}", "check", "--format", fmt)
        assert checked.returncode == 0, checked.stderr
    logged = day.cli("log", "log")
    assert logged.returncode == 0 and logged.stdout.strip(), logged
    checked = day.cli("check --live", "check", "--live", "--format", "json")
    assert checked.returncode == 0, checked.stderr
    assert day.proxy.cookies, "the proxy saw no vmware_soap_session cookie: the cookie scan would prove nothing"
    hooked = {path.name.split(".")[0] for path in day.hook_env.iterdir()}
    assert "reference-transaction" in hooked, hooked  # driftguard's ref updates ran the hook: its env is scanned


def failing_steps(day: Day, vcsim_factory: Callable[..., Vcsim]) -> None:
    # A login the simulator refuses: it accepts only another password for this user.
    strict = vcsim_factory(username=USER, password="the-other-password")
    before = head(day.repo)
    refused = day.cli("wrong password", "snapshot", url=strict.url)
    assert refused.returncode == 3, refused.stderr
    assert_healthy(day.repo, before, allow_new_snapshot=False)

    # HTML in place of the inventory reply.
    day.proxy.reset(Fault("html", method="RetrievePropertiesEx", occurrence=1))
    garbage = day.cli("html answer", "snapshot")
    assert garbage.returncode == 3, garbage.stderr
    assert_healthy(day.repo, before, allow_new_snapshot=False)

    # A deadline expiring while the inventory reply drips in.
    day.proxy.reset(Fault("drip", method="RetrievePropertiesEx", occurrence=1, drip_interval=1.0))
    late = day.cli("deadline", "snapshot", "--deadline", "3")
    assert late.returncode == 3 and "exceeded the deadline" in late.stderr, late.stderr
    assert_healthy(day.repo, before, allow_new_snapshot=False)

    # SIGTERM while the host-options reply drips in (the session is open, the inventory read).
    day.proxy.reset(Fault("drip", method="RetrievePropertiesEx", occurrence=2, drip_interval=1.0))
    killed = sigterm_mid_snapshot(day)
    assert killed.returncode == 143, killed
    assert_no_traceback(killed.stdout, killed.stderr)
    assert_healthy(day.repo, before, allow_new_snapshot=False)
    day.proxy.reset()
    after_kill = day.cli("after the kill", "snapshot")  # no stale lock: the next run succeeds unaided
    assert after_kill.returncode == 0, after_kill.stderr

    # An internal error whose message holds the password: one line, a report under XDG_STATE_HOME (scanned below).
    inject = day.root / "inject"
    inject.mkdir(exist_ok=True)
    (inject / "sitecustomize.py").write_text(CRASH_INJECTION)
    crashed = day.run(
        "internal error",
        ["-m", "driftguard", "log", "--repo", str(day.repo)],
        {"PYTHONPATH": f"{inject}{os.pathsep}{REPO_ROOT}"},
    )
    assert crashed.returncode == 4 and "full report written to" in crashed.stderr, crashed.stderr
    reports = list(day.homes["XDG_STATE_HOME"].rglob("*"))
    assert any(path.is_file() for path in reports), reports  # the report exists, so the scan reads it


def sigterm_mid_snapshot(day: Day) -> subprocess.CompletedProcess[str]:
    args = [
        "-m",
        "driftguard",
        "snapshot",
        "--repo",
        str(day.repo),
        "--vcenter",
        day.proxy.url,
        "--user",
        USER,
        "--insecure",
    ]
    process = day.start("sigterm", args)
    try:
        deadline = time.monotonic() + SAFETY_NET
        while not any(kind == "drip" for _, _, kind in day.proxy.log):
            assert process.poll() is None and time.monotonic() < deadline, "the snapshot never reached the drip"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=SAFETY_NET)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    day.outputs.append(("sigterm", stdout, stderr))
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


# -- the scan ---------------------------------------------------------------------------------------------------


def needles_of(day: Day) -> dict[str, bytes]:
    needles = password_needles(day.password)
    needles.update({f"ssh {name}": value for name, value in password_needles(day.ssh_password).items()})
    needles.update({f"session cookie {i}": cookie.encode() for i, cookie in enumerate(sorted(day.proxy.cookies))})
    return needles


def collect(day: Day, *, repo: Path | None = None, root: Path | None = None) -> Inventory:
    """Every place of ``day`` (or of a copy of it under ``root``)."""
    base = root or day.root
    inventory = Inventory()
    for step, stdout, stderr in day.outputs:
        inventory.add("output", f"{step}: stdout", stdout)
        inventory.add("output", f"{step}: stderr", stderr)
    inventory.add_repo(repo or day.repo)
    inventory.add_files("hook env", base / day.hook_env.name)
    for path in day.homes.values():
        inventory.add_files("home", base / path.name)
    return inventory


def self_check(day: Day, tmp_path: Path) -> None:
    """Plant each secret in one place of each kind of a copy of the day; the scanner must find every plant."""
    copy = tmp_path / "planted"
    shutil.copytree(day.root, copy, symlinks=True)
    repo = copy / day.repo.name
    cookie = sorted(day.proxy.cookies)[0]
    password = day.password
    (repo / "notes.txt").write_text(f"login {password}\n")  # work tree
    git(repo, "config", "driftguard.leak", quote_plus(password))  # .git/config, URL-encoded
    git(repo, "update-ref", "-m", f"moved by {password.rsplit(':', 1)[-1]}", "refs/heads/leak", "HEAD")  # reflog
    blob = subprocess.run(
        ["git", "-C", str(repo), "hash-object", "-w", "--stdin"],
        input=f"cookie {cookie}\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()  # a loose object: zlib hides it from a plain grep of .git
    git(repo, "notes", "--ref=refs/notes/leak", "add", "-m", f"pw {password}", blob)  # a notes ref
    (copy / day.hook_env.name / "planted.env").write_text(f"DRIFTGUARD_PASSWORD={password}\0")  # hook env
    report = copy / "xdg_state_home" / "driftguard" / "crash-report.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(f"url: https://u:{password}@vc/sdk\n")  # where an internal-error report would go
    outputs = list(day.outputs)
    day.outputs.append(("planted", "", f"Cookie: vmware_soap_session={cookie}"))  # captured output
    try:
        leaks = collect(day, repo=repo, root=copy).scan(needles_of(day))
    finally:
        day.outputs[:] = outputs
    found = {(leak.needle, leak.place.kind, leak.place.name) for leak in leaks}
    expected = [
        ("password", "work tree", "/notes.txt"),
        ("password, form-encoded", "git dir", "/.git/config"),
        ("password, tail after the last ':'", "git dir", "/.git/logs/refs/heads/leak"),
        ("session cookie 0", "git objects", "every object, decompressed"),
        ("password", "git objects", "every object, decompressed"),
        ("password", "hook env", "/planted.env"),
        ("password", "home", "/driftguard/crash-report.txt"),
        ("session cookie 0", "output", "planted: stderr"),
    ]
    missing = [
        plant
        for plant in expected
        if not any(n == plant[0] and k == plant[1] and name.endswith(plant[2]) for n, k, name in found)
    ]
    assert not missing, f"the scanner missed planted secrets: {missing}\nfound: {sorted(found)}"
