"""driftguard: configuration baseline and drift detector for VMware vSphere, run GitOps style."""

__version__ = "0.1.0"
