"""Rendering a large diff: N changes (half one memory change by one user on N/2 VMs, half distinct changes), as
text at 80 and 160 columns, as Markdown (capped at 65,536 characters) and as ``--stat``. Figures only, no asserts.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable

from rich.console import Console

from driftguard.models import DiffReport
from driftguard.report.changes import group_identical, logical_changes
from driftguard.report.diff import diff_markdown, diff_text
from driftguard.report.stat import diff_stat_text
from tests.report import samples


def report(changes: int) -> DiffReport:
    distinct = samples.many_changes(changes // 2).items
    same = samples.review_items(copies=changes - changes // 2)[8:]
    items = [*distinct, *same]
    return DiffReport.model_validate(
        {"from": samples.FROM, "to": samples.TO, "items": items, "summary": DiffReport.summarize(items)}
    )


def timed(label: str, run: Callable[[], str]) -> None:
    start = time.perf_counter()
    out = run()
    print(f"{label:<28} {time.perf_counter() - start:7.2f} s  {len(out.splitlines()):>7} lines  {len(out):>9} chars")


def text(diff: DiffReport, width: int, render: Callable[[DiffReport, Console], None] = diff_text) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False, _environ={})
    render(diff, console)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return str(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=5000)
    args = parser.parse_args()
    diff = report(args.changes)
    rows = group_identical(logical_changes(diff.items))
    print(f"{len(diff.items)} drift items → {len(rows)} rows after grouping")
    timed("diff --stat (80 columns)", lambda: text(diff, 80, diff_stat_text))
    timed("diff text, 80 columns", lambda: text(diff, 80))
    timed("diff text, 160 columns", lambda: text(diff, 160))
    timed("diff --format markdown", lambda: diff_markdown(diff))


if __name__ == "__main__":
    main()
