"""Publishing the state repo: ``git push`` with fetch-rebase-retry, for many writers sharing one remote.

Several runs (one per vCenter: a CI matrix, one CronJob per vCenter, a fleet run per site) push into one branch of
one remote. Each run's commits touch only its own ``<vcenter>/`` directory, so when a push is rejected because
another run pushed first, rebasing onto the remote branch cannot conflict; the push is then tried again. The
attempts are bounded (:data:`PUSH_ATTEMPTS`, with randomised exponential backoff so racing runs spread out; the
policy is :mod:`tenacity`'s). The verification notes (:data:`~driftguard.store.notes.NOTES_REF`) travel in the same
atomic push: they follow rebased commits (``notes.rewriteRef``) and are merged with the remote's notes (each run's
notes sit on its own vCenter's commits, so keeping ours on a clash loses nothing of another vCenter).

Everything runs under the writer lock of the state repo: no snapshot of this clone commits while it rebases.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from driftguard.store.errors import StoreError
from driftguard.store.gitrun import first_line
from driftguard.store.notes import NOTES_REF
from driftguard.store.repo import StateRepo
from driftguard.store.trailers import DEFAULT_SIGNATURE

PUSH_ATTEMPTS = 8
"""Pushes tried before giving up: enough for a few dozen writers racing into one branch."""
BACKOFF_MAX = 8.0
"""Longest pause (seconds) between two attempts; the pauses are random, doubling from about a quarter second."""
REMOTE_NOTES = "refs/driftguard/remote-notes"
"""Where the remote's verification notes are fetched to before they are merged into ours."""


class PushRejectedError(StoreError):
    """The remote refused the push: another writer moved the branch first (retried after a rebase)."""


class PushConflictError(StoreError):
    """The remote branch changed the same files as ours: two runs snapshotted one vCenter from different clones."""


@dataclass(frozen=True)
class PushResult:
    remote: str
    branch: str
    head: str
    """The commit now at the tip of the remote branch (ours, possibly rebased)."""
    attempts: int
    rebased: bool
    """Whether our commits were rebased onto commits another writer pushed meanwhile."""


def _identity() -> dict[str, str]:
    """The committer of rebased commits: git's own configuration or variables, else driftguard's default."""
    env: dict[str, str] = {}
    if "GIT_COMMITTER_NAME" not in os.environ:
        env["GIT_COMMITTER_NAME"] = DEFAULT_SIGNATURE.name
    if "GIT_COMMITTER_EMAIL" not in os.environ:
        env["GIT_COMMITTER_EMAIL"] = DEFAULT_SIGNATURE.email
    return env


class _Pusher:
    def __init__(self, repo: StateRepo, remote: str, branch: str | None) -> None:
        self.repo = repo
        self.git = repo.git
        self.remote = remote
        self.branch = branch or self._current_branch()
        self.rebased = False

    def _current_branch(self) -> str:
        status, out = self.git.run("symbolic-ref", "-q", "--short", "HEAD", check=False)
        if status != 0 or not out.strip():
            raise StoreError(f"state repo {self.repo.path} is on a detached HEAD: check out a branch to push")
        return out.strip()

    def _has_notes(self) -> bool:
        return self.git.run("rev-parse", "-q", "--verify", NOTES_REF, check=False)[0] == 0

    def attempt(self) -> str:
        """One push; raises :class:`PushRejectedError` after rebasing onto what the remote has, to try again."""
        refspecs = [f"HEAD:refs/heads/{self.branch}"]
        if self._has_notes():
            refspecs.append(f"{NOTES_REF}:{NOTES_REF}")
        result = self.git.runner(
            ["push", "--porcelain", "--atomic", self.remote, *refspecs], cwd=self.repo.path, env=_identity()
        )
        out = result.stdout.decode("utf-8", "replace")
        refused = [line for line in out.splitlines() if line.startswith("!")]
        if result.status == 0:
            return self.git.run("rev-parse", "HEAD")[1].strip()
        if not refused:
            reason = first_line(result.stderr) or f"exit {result.status}"
            raise StoreError(f"cannot push state repo {self.repo.path} to {self.remote}: {reason}")
        self._catch_up()
        raise PushRejectedError(
            f"push of state repo {self.repo.path} to {self.remote} {self.branch} was refused: "
            + "; ".join(line.split("\t")[-1] for line in refused)
        )

    def _catch_up(self) -> None:
        """Fetch the remote branch and notes, rebase our commits onto the branch and merge the notes."""
        fetched = self.git.runner(
            ["fetch", "-q", self.remote, f"+refs/heads/{self.branch}:refs/driftguard/remote-branch"],
            cwd=self.repo.path,
        )
        if fetched.status != 0:
            reason = first_line(fetched.stderr) or f"exit {fetched.status}"
            raise StoreError(f"cannot fetch {self.branch} from {self.remote} to rebase onto it: {reason}")
        self._rebase("refs/driftguard/remote-branch")
        notes = self.git.runner(["fetch", "-q", self.remote, f"+{NOTES_REF}:{REMOTE_NOTES}"], cwd=self.repo.path)
        if notes.status == 0:
            if self._has_notes():
                self.git.run("notes", f"--ref={NOTES_REF}", "merge", "-q", "-s", "ours", REMOTE_NOTES, env=_identity())
            else:
                self.git.run("update-ref", NOTES_REF, REMOTE_NOTES)

    def _directories(self, base: str | None, tip: str) -> set[str]:
        """The top-level directories (one per vCenter) with changes between ``base`` (None: all of ``tip``) and
        ``tip``."""
        if base is None:
            paths = self.git.run("ls-tree", "-r", "--name-only", "-z", tip)[1]
        else:
            paths = self.git.run("diff", "--name-only", "--no-renames", "-z", base, tip)[1]
        return {path.split("/", 1)[0] for path in paths.split("\0") if "/" in path}

    def _refuse_shared_directories(self, onto: str) -> None:
        """Rebasing is safe only when the remote's new commits and ours changed different vCenters: two snapshots
        of one vCenter would merge file by file into an object stored twice."""
        status, out = self.git.run("merge-base", "HEAD", onto, check=False)
        base = out.strip() if status == 0 and out.strip() else None
        shared = sorted(self._directories(base, onto) & self._directories(base, "HEAD"))
        if shared:
            raise PushConflictError(
                f"cannot rebase state repo {self.repo.path} onto {self.remote}/{self.branch}: both changed "
                f"{', '.join(d + '/' for d in shared)} (did two runs snapshot the same vCenter? the local commits "
                "are kept; nothing pushed)"
            )

    def _rebase(self, onto: str) -> None:
        if self.git.run("merge-base", "--is-ancestor", onto, "HEAD", check=False)[0] == 0:
            return  # nothing new there (the refusal was a lock race on the remote): just try again
        self._refuse_shared_directories(onto)
        ours = self.git.run("rev-list", f"{onto}..HEAD")[1].split()
        args = [
            "-c",
            "notes.rewrite.rebase=true",
            "-c",
            f"notes.rewriteRef={NOTES_REF}",
            "-c",
            "rebase.autoStash=false",
            "rebase",
            "-q",
            "--committer-date-is-author-date",
            onto,
        ]
        result = self.git.runner(args, cwd=self.repo.path, env=_identity())
        if result.status != 0:
            self.git.runner(["rebase", "--abort"], cwd=self.repo.path)
            detail = first_line(result.stdout) or first_line(result.stderr) or f"exit {result.status}"
            raise PushConflictError(
                f"cannot rebase state repo {self.repo.path} onto {self.remote}/{self.branch}: {detail} "
                "(did two runs snapshot the same vCenter? the local commits are kept; nothing pushed)"
            )
        self.rebased = True
        if ours and self._has_notes():
            # rebase copied each note to the rewritten commit; the originals are gone from the branch
            self.git.run("notes", f"--ref={NOTES_REF}", "remove", "--ignore-missing", *ours, env=_identity())


def push(
    repo: StateRepo, *, remote: str = "origin", branch: str | None = None, attempts: int = PUSH_ATTEMPTS
) -> PushResult:
    """Push the current branch (and the verification notes) to ``remote``, rebasing onto what other writers pushed
    meanwhile and trying again, up to ``attempts`` times. Raises :class:`StoreError` with one line when the push
    cannot be made (the local commits stay)."""
    # imported here: every driftguard command loads this module, few push (startup stays short)
    from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

    with repo.lock():
        pusher = _Pusher(repo, remote, branch)
        retrying = Retrying(
            stop=stop_after_attempt(max(1, attempts)),
            wait=wait_random_exponential(multiplier=0.25, max=BACKOFF_MAX),
            retry=retry_if_exception_type(PushRejectedError),
            reraise=True,
        )
        try:
            head = retrying(pusher.attempt)
        except PushRejectedError as exc:
            raise StoreError(f"{exc} after {attempts} attempts; the snapshot stays committed locally") from None
        finally:
            pusher.git.run("update-ref", "-d", "refs/driftguard/remote-branch", check=False)
            pusher.git.run("update-ref", "-d", REMOTE_NOTES, check=False)
        made = retrying.statistics.get("attempt_number", 1)
    return PushResult(remote=remote, branch=pusher.branch, head=head, attempts=made, rebased=pusher.rebased)
