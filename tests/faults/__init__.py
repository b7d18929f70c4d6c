"""Fault-injection suite (issue 8): each family of faults against the real components, one module per family.

Every test ends with :func:`tests.faults.health.assert_healthy` on the state repo it attacked.
"""
