"""Hostile names through every formatter (issue 8, points 10 and 14).

Object names, option keys and values, user names, event types, reasons, baseline names and file paths come from
vCenter or from people; to driftguard they are data. For each name of a hostile corpus (Rich markup, ANSI and
other control characters, a right-to-left override, Markdown and HTML, pipes, backticks, emoji, very long names):

- every text renderer, at 80 and 160 columns with no colour, shows the exact name (control characters as visible
  escapes such as ``\\x1b``), interprets nothing, and lets no control character through to the terminal;
- every Markdown renderer's output, rendered by a CommonMark renderer (markdown-it-py with GFM tables), contains
  no element, attribute or comment that came from a name, keeps every table row's cell count, and shows the name
  verbatim;
- SARIF still validates against the 2.1.0 schema and carries the name exactly;
- end to end against the simulator: VMs renamed to ``[/]`` and ``web[bold red]01[/] [link=http://x]y`` are
  snapshotted, diffed and checked by a real driftguard process that exits normally and prints the names.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rich.console import Console

from driftguard.report import diff_markdown, diff_text, evidence_markdown, evidence_text, log_markdown, log_text
from driftguard.report.check import check_markdown, check_text
from driftguard.report.ignored import ignored_markdown, ignored_text
from driftguard.report.plan import compliance_markdown, plan_markdown, plan_text
from driftguard.report.sarif import check_sarif
from tests.faults._report_support import (
    CORPUS,
    appears,
    raw_controls,
    render_markdown,
    render_text,
    sarif_unescape,
    shown,
    without_code_spans,
)
from tests.faults.health import assert_healthy, assert_no_traceback, head
from tests.paths import ROOT
from tests.report import samples

SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
NAMES = pytest.mark.parametrize("name", list(CORPUS.values()), ids=list(CORPUS))


def _diff(n: str) -> Any:
    return samples.diff_report(name=n, key=n, value=n, user=n, event_type=n, reason=n, baseline=n, vcenter=n)


def _check(n: str) -> Any:
    return samples.check_report(name=n, key=n, vcenter=n)


def _plan(n: str) -> Any:
    return samples.plan_report(name=n, key=n, value=n, baseline=n, reason=n)


TEXT: dict[str, Callable[[str], Callable[[Console], None]]] = {
    "diff": lambda n: lambda c: diff_text(_diff(n), c),
    "check": lambda n: lambda c: check_text(_check(n), c),
    "log": lambda n: lambda c: log_text(samples.log_entries(vcenter=n, subject=n), c),
    "plan": lambda n: lambda c: plan_text(_plan(n), c),
    "plan-errors": lambda n: lambda c: plan_text(samples.plan_errors(file=n, message=n), c),
    "evidence": lambda n: lambda c: evidence_text(*samples.evidence(name=n, path=n), "0123456789abcdef", c),
    "baseline-ignored": lambda n: lambda c: ignored_text(samples.ignore_preview(name=n, pattern=n), c),
}

MARKDOWN: dict[str, Callable[[str], str]] = {
    "diff": lambda n: diff_markdown(_diff(n)),
    "check": lambda n: check_markdown(_check(n)),
    "log": lambda n: log_markdown(samples.log_entries(vcenter=n, subject=n)),
    "plan": lambda n: plan_markdown(_plan(n)),
    "plan-errors": lambda n: plan_markdown(samples.plan_errors(file=n, message=n)),
    "evidence": lambda n: evidence_markdown(*samples.evidence(name=n, path=n), "0123456789abcdef"),
    "compliance": lambda n: compliance_markdown(samples.plan_report(name=n, key=n, value=n).newly_noncompliant),
    "baseline-ignored": lambda n: ignored_markdown(samples.ignore_preview(name=n, pattern=n)),
}

# What the formatters themselves put into Markdown; anything else came from a name.
OUR_ELEMENTS = {
    "h2", "h3", "h4", "p", "strong", "code", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "blockquote",
    "details", "summary",
}  # fmt: skip
OUR_COMMENTS = {" driftguard-plan "}


@NAMES
@pytest.mark.parametrize("renderer", list(TEXT))
@pytest.mark.parametrize("width", [80, 160])
def test_text_shows_the_name_verbatim_and_interprets_nothing(renderer: str, width: int, name: str) -> None:
    text = render_text(TEXT[renderer](name), width)
    assert appears(name, text), f"{shown(name)!r} not shown by {renderer} at {width} columns:\n{text}"
    assert raw_controls(text) == [], f"{renderer} let control characters through"
    if renderer != "diff":  # only the diff's old → new column shortens (long values, by design)
        assert "…" not in text, f"{renderer} cut a name short at {width} columns:\n{text}"
    assert_no_traceback(text)


@NAMES
@pytest.mark.parametrize("renderer", list(MARKDOWN))
def test_markdown_renders_the_name_as_text_only(renderer: str, name: str) -> None:
    markdown = MARKDOWN[renderer](name)
    html = render_markdown(markdown)
    elements = {tag for tag, _ in html.elements}
    assert elements <= OUR_ELEMENTS, f"{renderer}: elements from a name: {elements - OUR_ELEMENTS}\n{markdown}"
    attributes = [(tag, attrs) for tag, attrs in html.elements if attrs]
    assert attributes == [], f"{renderer}: attributes from a name: {attributes}"
    assert set(html.comments) <= OUR_COMMENTS, f"{renderer}: comments from a name: {html.comments}"
    assert len(set(html.rows)) <= 1 or renderer in {"plan", "evidence"}, f"{renderer}: a name broke a table"
    assert shown(name) in "".join(html.text), f"{shown(name)!r} not shown by {renderer}:\n{markdown}"
    # GitHub's extended autolinks (bare http://, www., e-mail) would still turn these into links outside code
    prose = without_code_spans(markdown)
    for live in (r"(?<!\\)://", r"(?i)www\.", r"(?<!\\)@"):
        assert not re.search(live, prose), f"{renderer}: {live!r} left for GitHub to autolink\n{markdown}"
    assert raw_controls(markdown) == [], f"{renderer} let control characters through"


@NAMES
def test_markdown_tables_keep_their_shape(name: str) -> None:
    """Plan and evidence have tables of several widths: each table's rows must match its own header."""
    for markdown in (MARKDOWN["plan"](name), MARKDOWN["evidence"](name)):
        for block in markdown.split("\n\n"):
            if block.lstrip().startswith("|"):
                html = render_markdown(block)
                assert len(set(html.rows)) == 1, f"a name broke the table:\n{block}"


@NAMES
def test_sarif_validates_and_keeps_the_name(name: str) -> None:
    report = _check(name)
    log = json.loads(check_sarif(report, []))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    (run,) = log["runs"]
    first = run["results"][0]
    (location,) = first["locations"]
    # the logical location is the moref (a rename keeps the alert); the name is data and stays exact
    assert location["logicalLocations"][0]["name"] == report.findings[0].id
    assert first["properties"]["object"]["name"] == name
    text = first["message"]["text"]
    assert raw_controls(text) == [], "SARIF message text carries raw control characters"
    assert shown(name) in sarif_unescape(text)
    assert "markdown" not in first["message"]  # plain text only: nothing for a viewer to render from a name


# -- end to end against the simulator ------------------------------------------------------------------------

# XML 1.0 (SOAP) cannot carry C0 controls such as ESC; a C1 CSI and a right-to-left override it can.
HOSTILE_VMS = ("[/]", "web[bold red]01[/] [link=http://x]y", "rtl\u202eevil \x9b31m")
AUDITOR = "VSPHERE.LOCAL\\driftguard-audit"


def _driftguard(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DRIFTGUARD_PASSWORD": "any", "COLUMNS": "160"}
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "driftguard", *map(str, args)], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.mark.vcsim
def test_renamed_vms_are_snapshotted_diffed_and_checked_verbatim(vcsim: Any, tmp_path: Path) -> None:
    from pyVim.task import WaitForTask
    from pyVmomi import vim

    from tests.vcsim import scenario

    repo = tmp_path / "state"
    first = _driftguard("snapshot", "--vcenter", vcsim.url, "--user", AUDITOR, "--repo", repo)
    assert first.returncode == 0, first.stderr
    with scenario.session(vcsim.url, AUDITOR) as si:
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        try:
            vms = sorted(view.view, key=lambda vm: vm.name)
            for vm, new in zip(vms, HOSTILE_VMS, strict=False):
                WaitForTask(vm.Rename_Task(newName=new))  # as an administrator's tool renames a VM
        finally:
            view.Destroy()
    head_before = head(repo)

    second = _driftguard("snapshot", "--vcenter", vcsim.url, "--user", AUDITOR, "--repo", repo)
    assert second.returncode == 0, second.stderr
    assert head(repo) != head_before  # the renames were committed as one complete snapshot

    diff = _driftguard("diff", "--repo", repo)
    check = _driftguard("check", "--repo", repo)  # every simulator VM has a vMotion blocker: a finding each
    for run in (second, diff, check):
        assert run.returncode == 0, run.stderr
        for name in HOSTILE_VMS:
            assert appears(name, run.stdout), f"{shown(name)!r} not in:\n{run.stdout}"
        assert raw_controls(run.stdout + run.stderr) == [], "a name's control characters reached the terminal"
        assert_no_traceback(run.stdout, run.stderr)
    for command in ("diff", "check"):
        markdown = _driftguard(command, "--repo", repo, "--format", "markdown")
        assert markdown.returncode == 0, markdown.stderr
        html = render_markdown(markdown.stdout)
        assert {tag for tag, _ in html.elements} <= OUR_ELEMENTS
        for name in HOSTILE_VMS:
            assert shown(name) in "".join(html.text)
    assert_healthy(repo, head_before)


@NAMES
def test_baseline_issues_stay_one_line_each(name: str) -> None:
    """``driftguard validate`` prints ``file:line:column: message`` per line for editors and CI annotations."""
    from driftguard.models.plan import BaselineIssue
    from driftguard.report.plan import issues_text

    issues = [BaselineIssue(file=name, line=3, column=5, message=f"unknown key {name!r}")] * 2
    out = issues_text(issues)
    assert out.count("\n") == 2 and raw_controls(out) == []
    assert shown(name) in out


@NAMES
def test_sarif_descriptor_of_a_baseline_rule_is_plain_text(name: str) -> None:
    report = _check(name)
    baseline = report.findings[0].model_copy(
        update={"rule_id": "baseline:site", "rule_name": name, "source": "baseline"}
    )
    log = json.loads(check_sarif(report.model_copy(update={"findings": [baseline]}), []))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    (descriptor,) = log["runs"][0]["tool"]["driver"]["rules"]
    assert descriptor["name"] == name
    # descriptions are not messages (SARIF §3.11.6 embedded links are for messages): the name as shown, verbatim
    for field in ("shortDescription", "fullDescription", "help"):
        assert raw_controls(descriptor[field]["text"]) == []
    assert shown(name) in descriptor["fullDescription"]["text"] and shown(name) in descriptor["help"]["text"]
