"""The one place that starts git: a small injectable runner, a scrubbed environment, and error messages.

Every git child of the store goes through a :class:`GitRunner`. The default, :class:`SubprocessGit`, starts plain
``git`` processes; tests pass a runner that wraps it to inject a failure at one chosen command, instead of
patching private methods of :class:`~driftguard.store.StateRepo`.

Children never see a secret: ``DRIFTGUARD_PASSWORD`` and every ``DRIFTGUARD_*`` variable whose name contains
``PASSWORD``, ``SECRET`` or ``TOKEN`` are dropped from their environment, so hooks of the state repo
(``reference-transaction``, ``post-commit`` ...) cannot read them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

SECRET_MARKERS = ("PASSWORD", "SECRET", "TOKEN")
_REPO_LOCATION_VARS = frozenset(
    {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"}
)
"""Inherited variables that would point git at another repository (e.g. when driftguard runs from a hook)."""

NO_SPACE_MARKERS = ("No space left on device", "Disk quota exceeded", "Out of diskspace")
CORRUPTION_MARKERS = (
    "corrupt",
    "header too long",
    "bad object",
    "invalid object",
    "unable to read",
    "inflate",
    "unable to unpack",
    "does not point to a valid object",
    "is empty",
    "bad tree",
    "bad blob",
    "unknown object type",
    "garbage at end",
    "missing blob",
    "missing tree",
    "failed to read object",
    "not a valid object",
    "could not read",
    "unable to stream",
    "loose object",
    "packfile",
    "unable to parse",
    "fatal: bad",
)
"""Phrases in git's stderr that mean a damaged object database; ``git fsck`` then confirms or rejects it."""


INHERITED_FDS: set[int] = set()
"""File descriptors every git child inherits: the writer lock's, so that a git step still running after its
driftguard was killed keeps the lock until it ends (:mod:`driftguard.store.lock`)."""


def is_secret_name(name: str) -> bool:
    """Whether an environment variable may hold a secret that no child process may see."""
    upper = name.upper()
    return upper == "DRIFTGUARD_PASSWORD" or (
        upper.startswith("DRIFTGUARD_") and any(marker in upper for marker in SECRET_MARKERS)
    )


def child_env(extra: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a git child: ``base`` (default: ours) without secrets or repo locations, plus ``extra``."""
    env = {
        name: value
        for name, value in (os.environ if base is None else base).items()
        if not is_secret_name(name) and name not in _REPO_LOCATION_VARS
    }
    env.update(extra or {})
    # a git child must never wait for a person: no editor, no terminal prompt
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    return env


@dataclass(frozen=True)
class GitResult:
    status: int
    stdout: bytes
    stderr: bytes


class GitRunner(Protocol):
    """Runs ``git ARGS`` in ``cwd`` and returns its exit status and output; raises only ``OSError``."""

    def __call__(
        self, args: Sequence[str], *, cwd: Path, stdin: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> GitResult: ...


class SubprocessGit:
    """The real runner: one ``git`` process per call, with the scrubbed environment of :func:`child_env`.

    The child gets its own process group, so a Ctrl-C on the terminal reaches driftguard (which rolls back)
    and not a git step half-way; and when driftguard is interrupted while a step runs, it waits for that step to
    end rather than killing it, so git never leaves its own ``*.lock`` files behind.
    """

    def __call__(
        self, args: Sequence[str], *, cwd: Path, stdin: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> GitResult:
        process = subprocess.Popen(
            ["git", *args],
            cwd=cwd,
            env=child_env(env),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            process_group=0,
            pass_fds=tuple(sorted(INHERITED_FDS)),
        )
        try:
            out, err = process.communicate(stdin)
        except BaseException:
            _finish(process)
            raise
        return GitResult(process.returncode, out, err)


def _finish(process: subprocess.Popen[bytes]) -> None:
    """Let an interrupted git step end by itself (it is short); a second interruption does not stop the wait."""
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    while True:
        try:
            process.wait()
            return
        except BaseException:  # noqa: S112 - the step must finish, or git leaves its lock files
            continue


def first_line(text: str | bytes | None) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def says_no_space(text: str) -> bool:
    return any(marker in text for marker in NO_SPACE_MARKERS)


def says_write_failed(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in ("couldn't write", "unable to write", "unable to create", "write error"))


def says_corrupt(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in CORRUPTION_MARKERS)
