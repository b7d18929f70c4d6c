"""vCenter simulator for driftguard tests: Go launcher, Python harness, pytest fixtures (see README.md)."""
