"""Golden files for the text and Markdown reports (issue 10): byte-for-byte, not substrings.

Each case renders a deterministic report model (tests/report/samples.py) — text through a fixed Rich console at
80 and 160 columns with no colour, Markdown as is — and compares it with ``tests/fixtures/report/<case>.txt|.md``.

After an intended change of a report's layout, regenerate the files and review the diff like code::

    DRIFTGUARD_UPDATE_GOLDENS=1 PYTHONPATH=$PWD .venv/bin/python -m pytest -q tests/report/test_goldens.py
    git diff tests/fixtures/report/

Updating is refused under ``CI=true``: CI only ever compares. A golden file without a case fails too, so renamed
cases leave nothing stale behind.
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from driftguard import api
from driftguard.models import CheckReport, DiffReport
from driftguard.models.review import ObjectHistory
from driftguard.report import diff_markdown, diff_text, evidence_markdown, evidence_text, log_markdown, log_text
from driftguard.report.check import check_markdown, check_statistics_markdown, check_statistics_text, check_text
from driftguard.report.ignored import ignored_markdown, ignored_text
from driftguard.report.plan import plan_markdown, plan_text
from driftguard.report.review import history_markdown, history_text
from driftguard.report.stat import diff_stat_markdown, diff_stat_text
from tests.api.review_repo import build_review_repo
from tests.paths import FIXTURES
from tests.report import samples

GOLDENS = FIXTURES / "report"
UPDATE = os.environ.get("DRIFTGUARD_UPDATE_GOLDENS", "") not in {"", "0"}
WIDTHS = (80, 160)
HOSTILE = "web[bold red]01[/] [link=http://x]y `x` <img src=x onerror=alert(1)> a|b \x1b[31m\u202e"

TextRender = Callable[[Console], None]


REVIEW_CLUSTERS = {"domain-c1": "C1", "domain-c2": "C2", "host-1": "esx1", "host-2": "esx2"}


@functools.cache
def review_history() -> ObjectHistory:
    """web01's history in the fixed five-snapshot state repo of tests/api/review_repo.py (alice, a rename, carol's
    change and revert, a move between clusters), commit ids replaced by their position so the bytes are fixed."""
    with tempfile.TemporaryDirectory() as tmp:
        commits = build_review_repo(Path(tmp) / "state")
        history = api.history(Path(tmp) / "state", "vm", "vm-1")
    ids = {commit: f"{index:02d}" * 20 for index, commit in enumerate(commits)}
    entries = [entry.model_copy(update={"commit": ids[entry.commit]}) for entry in history.entries]
    return history.model_copy(update={"entries": entries})


TEXT: dict[str, TextRender] = {
    "diff": lambda c: diff_text(samples.diff_report(), c),
    "diff-empty": lambda c: diff_text(DiffReport.model_validate({"from": samples.FROM, "to": samples.TO}), c),
    "diff-hostile": lambda c: diff_text(samples.diff_report(name=HOSTILE, key=HOSTILE, user=HOSTILE), c),
    "diff-review": lambda c: diff_text(samples.review_report(), c, names=samples.REVIEW_NAMES),
    "diff-review-wide": lambda c: diff_text(samples.review_report(), c, names=samples.REVIEW_NAMES, wide=True),
    "diff-stat": lambda c: diff_stat_text(samples.review_report(), c),
    "history": lambda c: history_text(review_history(), c, names=REVIEW_CLUSTERS),
    "history-newest-first": lambda c: history_text(review_history(), c, newest_first=True),
    "check": lambda c: check_text(samples.check_report(), c),
    "check-statistics": lambda c: check_statistics_text(samples.many_findings(), c),
    "check-empty": lambda c: check_text(CheckReport(target=samples.TO), c),
    "check-hostile": lambda c: check_text(samples.check_report(name=HOSTILE, key=HOSTILE), c),
    "plan": lambda c: plan_text(samples.plan_report(), c),
    "plan-errors": lambda c: plan_text(samples.plan_errors(), c),
    "log": lambda c: log_text(samples.log_entries(), c),
    "evidence": lambda c: evidence_text(*samples.evidence(), "0123456789abcdef", c),
    "baseline-ignored": lambda c: ignored_text(samples.ignore_preview(), c),
}

MARKDOWN: dict[str, Callable[[], str]] = {
    "diff": lambda: diff_markdown(samples.diff_report()),
    "diff-empty": lambda: diff_markdown(DiffReport.model_validate({"from": samples.FROM, "to": samples.TO})),
    "diff-hostile": lambda: diff_markdown(samples.diff_report(name=HOSTILE, key=HOSTILE, user=HOSTILE)),
    "diff-review": lambda: diff_markdown(samples.review_report(), names=samples.REVIEW_NAMES),
    "diff-review-capped": lambda: diff_markdown(samples.many_changes(), limit=4_000),
    "diff-stat": lambda: diff_stat_markdown(samples.review_report()),
    "history": lambda: history_markdown(review_history(), names=REVIEW_CLUSTERS),
    "check": lambda: check_markdown(samples.check_report()),
    "check-statistics": lambda: check_statistics_markdown(samples.many_findings()),
    "check-capped": lambda: check_markdown(samples.many_findings(), limit=1_500),
    "check-empty": lambda: check_markdown(CheckReport(target=samples.TO)),
    "check-hostile": lambda: check_markdown(samples.check_report(name=HOSTILE, key=HOSTILE)),
    "plan": lambda: plan_markdown(samples.plan_report()),
    "plan-errors": lambda: plan_markdown(samples.plan_errors()),
    "plan-hostile": lambda: plan_markdown(samples.plan_report(name=HOSTILE, key=HOSTILE, value=HOSTILE)),
    "log": lambda: log_markdown(samples.log_entries()),
    "evidence": lambda: evidence_markdown(*samples.evidence(), "0123456789abcdef"),
    "baseline-ignored": lambda: ignored_markdown(samples.ignore_preview()),
}

CASES: list[tuple[str, str, int | None]] = [(f"{name}-{width}.txt", name, width) for name in TEXT for width in WIDTHS]
CASES += [(f"{name}.md", name, None) for name in MARKDOWN]


def fixed_console(width: int) -> Console:
    """No colour, no terminal, no environment (COLUMNS, TERM, NO_COLOR): the same bytes on every machine."""
    return Console(
        file=io.StringIO(), record=True, width=width, color_system=None, force_terminal=False, legacy_windows=False,
        _environ={},
    )  # fmt: skip


def render(name: str, width: int | None) -> str:
    if width is None:
        return MARKDOWN[name]()
    console = fixed_console(width)
    TEXT[name](console)
    return console.export_text(styles=False)


def compare(file: str, rendered: str) -> None:
    golden = GOLDENS / file
    if UPDATE:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("DRIFTGUARD_UPDATE_GOLDENS is refused under CI=true", pytrace=False)
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(rendered.encode("utf-8"))
        return
    assert golden.exists(), f"no golden file {golden}: run with DRIFTGUARD_UPDATE_GOLDENS=1 and review it"
    expected = golden.read_bytes().decode("utf-8")
    assert rendered == expected, f"{file} differs from its golden file (DRIFTGUARD_UPDATE_GOLDENS=1 to accept)"


@pytest.mark.parametrize(("file", "name", "width"), CASES, ids=[file for file, _, _ in CASES])
def test_report_matches_its_golden_file(file: str, name: str, width: int | None) -> None:
    compare(file, render(name, width))


def test_every_golden_file_has_a_case() -> None:
    known = {file for file, _, _ in CASES}
    stale = sorted(p.name for p in GOLDENS.iterdir() if p.name not in known)
    assert stale == [], f"golden files without a case (delete them): {stale}"


def test_rendering_is_deterministic() -> None:
    """The same model renders to the same bytes twice (no clock, no environment, no dict-order dependence)."""
    for file, name, width in CASES:
        assert render(name, width) == render(name, width), file
