"""Build and run driftguard's vCenter simulator (the Go launcher in this directory).

Standard library only, and nothing from driftguard: pytest fixtures (``tests/vcsim/fixtures.py``), the demo script
and ``make vcsim`` all use it.

    from tests.vcsim.harness import build, start

    build()                                   # no-op when the binary matches the Go sources
    with start(clusters=3, tls=True) as sim:  # keyword flags become launcher flags (-clusters 3 -tls)
        print(sim.url, sim.info["counts"])

See ``tests/vcsim/README.md`` for the flags and the preloaded configuration.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Any

VCSIM_DIR = Path(__file__).resolve().parent
REPO_ROOT = VCSIM_DIR.parent.parent
BIN_DIR = VCSIM_DIR / "bin"
BINARY = BIN_DIR / "driftguard-vcsim"
DIGEST_FILE = BIN_DIR / "driftguard-vcsim.sha256"
"""sha256 of the Go sources the binary was built from, written beside it."""

DEFAULT_GOPATH = "/usr/share/gocode"
"""Where Debian's golang-github-vmware-govmomi-dev puts govmomi (GOPATH layout). Override with VCSIM_GOPATH."""

GOVMOMI_SIMULATOR = "src/github.com/vmware/govmomi/simulator"
INSTALL_HINT = "run `make deps` (or `sudo apt-get install golang-go golang-github-vmware-govmomi-dev`)"

EXIT_STOP_AFTER_REQUESTS = 3
"""The launcher's exit status after ``-stop-after-requests`` made it die."""


class VcsimError(RuntimeError):
    """The simulator could not be built or started."""


class BuildError(VcsimError):
    """The launcher cannot be built on this machine (missing toolchain or govmomi, or a compile error)."""


def go_sources() -> list[Path]:
    return sorted(VCSIM_DIR.glob("*.go"))


def source_digest() -> str:
    """sha256 over the names and contents of ``tests/vcsim/*.go``: the cache key of the built binary."""
    h = hashlib.sha256()
    for path in go_sources():
        h.update(path.name.encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def _gopath() -> str:
    return os.environ.get("VCSIM_GOPATH", DEFAULT_GOPATH)


def _find_govmomi(gopath: str) -> Path | None:
    for entry in gopath.split(os.pathsep):
        if entry and (Path(entry) / GOVMOMI_SIMULATOR).is_dir():
            return Path(entry) / GOVMOMI_SIMULATOR
    return None


def build(force: bool = False) -> Path:
    """Build ``tests/vcsim/bin/driftguard-vcsim`` unless it exists and was built from the current Go sources.

    Raises BuildError, whose message says how to install what is missing.
    """
    digest = source_digest()
    if not force and _is_current(digest):
        return BINARY
    go = shutil.which("go")
    if go is None:
        raise BuildError(f"the Go toolchain (`go`) is not on PATH: {INSTALL_HINT}")
    gopath = _gopath()
    if _find_govmomi(gopath) is None:
        raise BuildError(f"govmomi's simulator package is not in GOPATH {gopath} ({GOVMOMI_SIMULATOR}): {INSTALL_HINT}")

    BIN_DIR.mkdir(parents=True, exist_ok=True)
    # One build at a time (parallel test workers, make and pytest together); whoever waits re-checks the cache.
    with (BIN_DIR / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and _is_current(digest):
            return BINARY
        env = dict(os.environ)
        env.update(
            GO111MODULE="off",  # Debian packages Go libraries in GOPATH layout, without modules
            GOPATH=gopath,
            GOFLAGS="",
            CGO_ENABLED="0",  # a static binary; no C compiler needed
        )
        env.setdefault("GOCACHE", str(REPO_ROOT / ".cache" / "go-build"))
        tmp = BIN_DIR / f".driftguard-vcsim.{os.getpid()}.tmp"
        try:
            result = subprocess.run(
                [go, "build", "-o", str(tmp), "."],
                cwd=VCSIM_DIR,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise BuildError(f"`go build` of the simulator failed:\n{result.stderr.strip()}")
            tmp.replace(BINARY)
        finally:
            tmp.unlink(missing_ok=True)
        DIGEST_FILE.write_text(digest + "\n")
    return BINARY


def _is_current(digest: str) -> bool:
    try:
        return os.access(BINARY, os.X_OK) and DIGEST_FILE.read_text().strip() == digest
    except OSError:
        return False


def _flag_args(flags: dict[str, Any]) -> list[str]:
    """``stop_after_requests=5`` -> ``-stop-after-requests=5``; ``tls=True`` -> ``-tls``; ``None`` is left out."""
    args = []
    for name, value in flags.items():
        flag = "-" + name.replace("_", "-")
        if value is None:
            continue
        if value is True:
            args.append(flag)
        elif value is False:
            args.append(flag + "=false")
        else:
            args.append(f"{flag}={value}")
    return args


class Vcsim:
    """A running launcher. Use as a context manager, or call stop()/kill() yourself.

    Attributes: ``url`` (``http[s]://127.0.0.1:PORT/sdk``), ``host``, ``port``, ``tls``, ``username``,
    ``password``, ``pid`` and ``info`` (the parsed startup JSON line: inventory, counts, certificate ...).
    """

    def __init__(self, process: subprocess.Popen[bytes], info: dict[str, Any], workdir: Path, stderr: IO[bytes]):
        self.process = process
        self.info = info
        self.url: str = info["url"]
        self.host: str = info["host"]
        self.port: int = info["port"]
        self.tls: bool = info["tls"]
        self.username: str = info["username"]
        self.password: str = info["password"]
        self.pid: int = process.pid
        self._workdir = workdir
        self._stderr = stderr
        self._log: str | None = None

    def __repr__(self) -> str:
        return f"<Vcsim {self.url} pid={self.pid} returncode={self.process.returncode}>"

    def __enter__(self) -> Vcsim:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def returncode(self) -> int | None:
        return self.process.poll()

    def stderr(self) -> str:
        """Everything the launcher logged so far (kept after stop() and kill())."""
        if self._log is not None:
            return self._log
        with contextlib.suppress(OSError):
            self._stderr.flush()
            return Path(self._stderr.name).read_text(errors="replace")
        return ""

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the process to exit (e.g. after ``stop_after_requests``) and return its status."""
        return self.process.wait(timeout)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait (the launcher exits 0), SIGKILL after ``timeout``. Safe to call more than once."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._cleanup()
        return self.process.returncode

    def kill(self) -> int:
        """Abrupt stop (SIGKILL): no clean shutdown, connections reset."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._cleanup()
        return self.process.returncode

    def _cleanup(self) -> None:
        if self._log is None:
            self._log = self.stderr()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        with contextlib.suppress(OSError):
            self._stderr.close()
        shutil.rmtree(self._workdir, ignore_errors=True)


def start(binary: Path | None = None, *, timeout: float = 60.0, **flags: Any) -> Vcsim:
    """Start the launcher (building it first when ``binary`` is not given) and wait for its startup line.

    Keyword flags map to launcher flags: datacenters, clusters, hosts, standalone_hosts, vms, tls, listen,
    stop_after_requests, username, password, trace. Raises VcsimError with the launcher's stderr when it does not
    come up within ``timeout`` seconds.
    """
    binary = binary or build()
    workdir = Path(tempfile.mkdtemp(prefix="driftguard-vcsim-"))
    # A file, not a pipe: nobody has to drain it while the simulator runs (-trace writes a lot).
    stderr = (workdir / "stderr.log").open("w+b")  # closed by Vcsim._cleanup
    env = dict(os.environ)
    # vcsim's datastores are temporary directories; keep them in workdir so they go even after kill().
    env["TMPDIR"] = str(workdir)
    try:
        process = subprocess.Popen(
            # -exit-on-stdin-eof: if this Python process dies, the pipe closes and the simulator exits too.
            [str(binary), "-exit-on-stdin-eof", *_flag_args(flags)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
        )
    except OSError as exc:
        stderr.close()
        shutil.rmtree(workdir, ignore_errors=True)
        raise VcsimError(f"cannot run {binary}: {exc}") from exc

    line = _first_line(process, timeout)
    sim: Vcsim | None = None
    try:
        if line is None:
            raise VcsimError(_startup_failure(process, timeout, stderr))
        try:
            info = json.loads(line)
        except ValueError as exc:
            raise VcsimError(f"unexpected startup line from the simulator: {line[:200]!r}") from exc
        sim = Vcsim(process, info, workdir, stderr)
        return sim
    finally:
        if sim is None:
            if process.poll() is None:
                process.kill()
                process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()
            stderr.close()
            shutil.rmtree(workdir, ignore_errors=True)


def _first_line(process: subprocess.Popen[bytes], timeout: float) -> bytes | None:
    """The first stdout line, or None if the process exits or ``timeout`` passes first."""
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[bytes] = queue.Queue()
    reader = threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True)
    reader.start()
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        return None
    return line if line.endswith(b"\n") else None


def _startup_failure(process: subprocess.Popen[bytes], timeout: float, stderr: IO[bytes]) -> str:
    status = process.poll()
    if status is None:
        process.kill()
        process.wait()
        what = f"did not print its startup line within {timeout:.0f}s"
    else:
        what = f"exited with status {status} before printing its startup line"
    stderr.flush()
    log = Path(stderr.name).read_text(errors="replace").strip()
    return f"the vCenter simulator {what}; its stderr:\n{log or '(empty)'}"
