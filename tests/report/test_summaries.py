"""Summary lines of the reports: suppressions and exemptions, ``--stat`` and ``--statistics`` counts, the Markdown
size cap shared by plan, diff and check, and agent-file diffs in Markdown that no text can break out of."""

from __future__ import annotations

from typing import Any

from driftguard.models import CheckReport, DiffReport
from driftguard.models.base import Model
from driftguard.report.check import check_markdown, check_statistics_markdown, check_text, statistics
from driftguard.report.diff import diff_markdown, diff_text, fenced
from driftguard.report.stat import diff_stat_text, sections
from tests.faults._report_support import render_markdown, render_text
from tests.report import samples


class _Rule(Model):
    pattern: str
    source: str
    items: int


class _Suppressed(Model):
    items: int = 0
    rules: list[_Rule] = []


class _Exemption(Model):
    expires: str | None = None


class _Exempted(Model):
    finding: Any
    exemption: _Exemption


class _DiffWithSuppressed(DiffReport):
    """The ``suppressed`` field as review-query adds it to DiffReport and CheckReport (/work/signals/fields.md)."""

    suppressed: _Suppressed = _Suppressed()


class _CheckWithExtras(CheckReport):
    suppressed: _Suppressed = _Suppressed()
    exempted: list[_Exempted] = []
    expired_exemptions: list[_Exempted] = []


MEMORY = _Rule(pattern="vm:memory.*", source="driftguard.yaml", items=12)
HIDDEN = _Suppressed(items=15, rules=[MEMORY, _Rule(pattern="*:*", source="--ignore", items=3)])


def test_hidden_changes_are_counted_by_rule_in_text_and_markdown() -> None:
    report = _DiffWithSuppressed.model_validate(
        {**samples.review_report().model_dump(by_alias=True), "suppressed": HIDDEN}
    )
    line = "15 changes hidden by ignore rules: vm:memory.* 12 (driftguard.yaml), *:* 3 (--ignore)"
    assert line in render_text(lambda c: diff_text(report, c), 160)
    assert line in render_text(lambda c: diff_stat_text(report, c), 160)
    assert r"15 changes hidden by ignore rules: vm:memory.\* 12 (driftguard.yaml), \*:\* 3 (--ignore)" in (
        diff_markdown(report)
    )
    empty = _DiffWithSuppressed.model_validate(
        {"from": samples.FROM, "to": samples.TO, "suppressed": {"items": 1, "rules": []}}
    )
    assert "1 change hidden by ignore rules" in render_text(lambda c: diff_text(empty, c), 80)
    assert "hidden" not in render_text(lambda c: diff_text(samples.review_report(), c), 160)  # nothing hidden


def test_exempted_and_expired_findings_are_said_in_check() -> None:
    found = samples.findings()
    report = _CheckWithExtras(
        target=samples.TO,
        findings=found[1:],
        summary=CheckReport.summarize(found[1:]),
        suppressed=_Suppressed(items=2, rules=[_Rule(pattern="DG-HIST-001", source="driftguard.yaml", items=2)]),
        exempted=[_Exempted(finding=found[0], exemption=_Exemption())],
        expired_exemptions=[_Exempted(finding=found[1], exemption=_Exemption(expires="2026-11-01"))],
    )
    shown = render_text(lambda c: check_text(report, c), 160)
    assert "2 findings hidden by ignore rules: DG-HIST-001 2 (driftguard.yaml)" in shown
    assert "1 finding exempted; 1 exemption expired: DG-HA-003 on web01-cluster (expired 2026-11-01)" in shown
    assert "1 finding exempted" in check_markdown(report)


def test_stat_sections_add_up_to_the_items() -> None:
    report = samples.review_report()
    for title, rows in sections(report):
        assert sum(n for _, n in rows) == len(report.items), title
    kinds = dict(sections(report)[0][1])
    assert kinds == {"vm (13 VMs)": 16, "host (1 host)": 4}
    users = dict(sections(report)[2][1])
    assert users["VSPHERE.LOCAL\\zoe"] == 12 and users["(unattributed)"] == 3


def test_statistics_rank_rules_by_findings_and_add_up() -> None:
    report = samples.many_findings(40)
    stats = statistics(report)
    assert [rule for rule, *_ in stats] == ["DG-VMOTION-001", "DG-HA-003", "DG-HIST-001"]
    assert sum(n for *_, n in stats) == 40
    assert "| 14 | `DG-VMOTION-001` | high | vmotion-blockers |" in check_statistics_markdown(report)


def test_markdown_of_diff_and_check_stays_under_the_limit_and_says_where_the_rest_is() -> None:
    big = samples.many_changes(3000)
    markdown = diff_markdown(big)
    assert len(markdown) <= 65_536
    assert "Truncated to fit the 65,536-character comment limit" in markdown and "--format json" in markdown
    assert markdown.count("| ~ |") >= 50  # as many rows as fit, not none
    findings = samples.many_findings(3000)
    capped = check_markdown(findings)
    assert len(capped) <= 65_536 and "--format json" in capped
    assert len(check_markdown(findings, limit=10**7)) > 65_536  # the cap, not the sample, keeps it short
    tiny = check_markdown(findings, limit=300)
    assert len(tiny) <= 300 and "Cut at the 300-character comment limit" in tiny


def test_agent_file_text_in_markdown_cannot_leave_its_code_block() -> None:
    hostile = "ok\n```\n</pre><img src=x onerror=alert(1)>\n````\n\x1b[31mred \u202e\n# heading\n"
    items = [
        item.model_copy(update={"new": hostile}) if item.path.endswith(".text") else item
        for item in samples.review_items(copies=0)[:3]
    ]
    report = DiffReport.model_validate({"from": samples.FROM, "to": samples.TO, "items": items})
    markdown = diff_markdown(report)
    html = render_markdown(markdown)
    assert {tag for tag, _ in html.elements} <= {
        "h3",
        "p",
        "strong",
        "code",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "pre",
    }
    assert "+</pre><img src=x onerror=alert(1)>" in "".join(html.text)
    assert "\\x1b[31mred \\u202e" in markdown and "\x1b" not in markdown
    assert fenced(["a ```` b"])[0] == "`````diff"


def test_a_diff_report_without_items_renders_in_every_form() -> None:
    empty = DiffReport.model_validate({"from": samples.FROM, "to": samples.TO})
    assert "no drift" in render_text(lambda c: diff_stat_text(empty, c), 80)
    assert sections(empty)[0] == ("kind", [])
