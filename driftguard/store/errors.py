"""Errors of the state repo. Each message is one line meant for a person (the CLI prints it as is)."""

from __future__ import annotations


class StoreError(Exception):
    """The state repo cannot be opened, read or written (exit code 3 in the CLI)."""


class RepoLockedError(StoreError):
    """Another driftguard process holds the writer lock of the state repo."""


class UnknownRevisionError(StoreError):
    """A revision (sha, branch, tag, ``HEAD~3`` ...) that the state repo does not have."""
