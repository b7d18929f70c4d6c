"""Errors of the state repo. Each message is one line meant for a person (the CLI prints it as is)."""

from __future__ import annotations


class StoreError(Exception):
    """The state repo cannot be opened, read or written (exit code 3 in the CLI)."""


class RepoLockedError(StoreError):
    """Another driftguard process holds the writer lock of the state repo."""


class UnknownRevisionError(StoreError):
    """A revision (sha, branch, tag, ``HEAD~3`` ...) that the state repo does not have."""


class CorruptRepoError(StoreError):
    """Git reports a damaged object database (confirmed by ``git fsck``): ``state repo <path> is corrupt (...)``."""


class DiskFullError(StoreError):
    """The file system of the state repo is full: ``no space left on <path> ...``; nothing was written half-way."""


class LocalEditsError(StoreError):
    """Uncommitted local edits to files a write would replace; refused unless the write is forced."""
