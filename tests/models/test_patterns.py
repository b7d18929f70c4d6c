"""The glob dialects and the one ignore-pattern check (driftguard.models.patterns, docs/patterns.md)."""

from __future__ import annotations

import pytest

from driftguard import baseline
from driftguard.diff import IgnoreTable, load_ignore_file
from driftguard.models.patterns import (
    IgnorePatternError,
    check_ignore_pattern,
    glob_match,
    ignore_pattern_problem,
    ignored,
    name_match,
)


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("ha.options*", 'ha.options["das.isolationaddress0"]', True),
        ('services["TSM"]*', 'services["TSM"].running', True),
        ('services["TSM"]*', 'services["TSM-SSH"].running', False),
        ("esx.audit.lockdownmode.*", "esx.audit.lockdownmode.exceptions.changed", True),
        ("VmReconfiguredEvent", "VmReconfiguredEventEx", False),
        ("d*", "dvswitch", True),
        ("web??", "web01", False),  # no ? in identifier globs
        ("x[ab]", "xa", False),  # no classes either: brackets are literal
        ("x[ab]", "x[ab]", True),
    ],
)
def test_identifier_globs(pattern: str, text: str, expected: bool) -> None:
    assert glob_match(pattern, text) is expected


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [("web*", "web01", True), ("web*", "Web01", False), ("web??", "web01", True), ("esx0[12]", "esx03", False)],
)
def test_name_globs(pattern: str, name: str, expected: bool) -> None:
    assert name_match(pattern, name) is expected


def test_last_matching_ignore_pattern_decides() -> None:
    patterns = ["*:ha.*", "!cluster:ha.enabled"]
    assert ignored(patterns, "host", "ha.x")
    assert not ignored(patterns, "cluster", "ha.enabled")
    assert ignored([*patterns, "cluster:*"], "cluster", "ha.enabled")
    assert ignored(["vm:"], "vm", "") and not ignored(["vm:"], "vm", "cpu")


@pytest.mark.parametrize("bad", ["vmx:cpu", "no-colon", "  !vms:x  "])
def test_every_ignore_source_gives_the_same_message(bad: str) -> None:
    """.driftguardignore, --ignore and a baseline's ignore: share one check (they had two copies)."""
    problem = ignore_pattern_problem(bad)
    assert problem is not None
    with pytest.raises(IgnorePatternError) as from_check:
        check_ignore_pattern(bad)
    assert str(from_check.value) == problem
    with pytest.raises(IgnorePatternError) as from_file:
        load_ignore_file(f"# comment\n{bad}\n")
    assert str(from_file.value) == f"line 2: {problem}"
    with pytest.raises(IgnorePatternError):
        IgnoreTable([bad])
    with pytest.raises(baseline.BaselineError) as from_baseline:
        baseline.load({"baselines/b.yaml": f"ignore: [{bad.strip()!r}]\n"}, shipped={})
    assert any(issue.message == problem for issue in from_baseline.value.issues)


def test_diff_and_baseline_ignore_alike() -> None:
    patterns = ["*:ha.*", "!cluster:ha.enabled"]
    table = IgnoreTable(patterns, defaults=())
    for kind, path in [("host", "ha.x"), ("cluster", "ha.enabled"), ("vm", "cpu")]:
        assert table.ignored(kind, path) is ignored(patterns, kind, path)
