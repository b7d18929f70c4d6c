"""``driftguard snapshot --all``: every vCenter of driftguard.yaml at once, a summary table, one exit code."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from driftguard import api
from driftguard.cli import crash
from driftguard.cli.exits import EXIT_OK, EXIT_OPERATIONAL, EXIT_PARTIAL
from driftguard.cli.render import Format, render
from driftguard.report.escape import md, text

_say_lock = threading.Lock()


def _result(run: api.VCenterRun) -> str:
    if not run.ok:
        return "failed"
    return "committed" if run.commit else "unchanged"


def _announce(run: api.VCenterRun) -> None:
    """One line on stderr as each vCenter finishes (from its worker thread)."""
    with _say_lock:
        if run.ok:
            what = f"committed {run.commit[:10]}" if run.commit else "no change, nothing committed"
            crash.say(f"{run.name}: {what} ({run.seconds:.1f} s)")
        else:
            crash.say(f"error: {run.name}: {run.error}")


def exit_code(result: api.FleetResult) -> int:
    """0 all succeeded; 5 some failed (the others committed); when all failed, their common code (2 or 3) or 3;
    3 when the push failed."""
    failed = result.failed
    if failed and len(failed) == len(result.runs):
        codes = {run.exit_code for run in failed}
        return codes.pop() if len(codes) == 1 else EXIT_OPERATIONAL
    if failed:
        return EXIT_PARTIAL
    return EXIT_OPERATIONAL if result.push_error else EXIT_OK


def _changes(run: api.VCenterRun) -> str:
    if not run.ok:
        return ""
    return "first snapshot" if run.changes is None else str(run.changes)


def _table(result: api.FleetResult, out: Console) -> None:
    table = Table(title=None, show_edge=False)
    for column in ("vCenter", "result", "commit", "changes", "time"):
        table.add_column(column, justify="right" if column in ("changes", "time") else "left")
    for run in result.runs:
        table.add_row(
            text(run.name),
            text(_result(run), "red" if not run.ok else ""),
            (run.commit or "")[:10],
            _changes(run),
            f"{run.seconds:.1f} s",
        )
    out.print(table)
    out.print(text(_footer(result)))


def _footer(result: api.FleetResult) -> str:
    ok = len(result.runs) - len(result.failed)
    line = f"{ok} of {len(result.runs)} vCenters snapshotted"
    if result.pushed is not None:
        line += f"; pushed to {result.pushed.remote}/{result.pushed.branch} in {result.pushed.attempts} attempt(s)"
    return line


def _markdown(result: api.FleetResult) -> str:
    rows = ["| vCenter | result | commit | changes | time |", "|---|---|---|---:|---:|"]
    for run in result.runs:
        commit = f"`{run.commit[:10]}`" if run.commit else ""
        rows.append(f"| {md(run.name)} | {_result(run)} | {commit} | {_changes(run)} | {run.seconds:.1f} s |")
    failures = [f"- **{md(run.name)}**: {md(run.error)}" for run in result.failed]
    return "\n".join([*rows, "", md(_footer(result)), *(["", *failures] if failures else [])]) + "\n"


def _json(result: api.FleetResult) -> str:
    doc: dict[str, Any] = {
        "schema": "driftguard.fleet/v1",
        "vcenters": [
            {
                "name": run.name,
                "result": _result(run),
                "commit": run.commit,
                "changes": run.changes,
                "seconds": round(run.seconds, 3),
                "error": run.error,
                "exit_code": run.exit_code,
            }
            for run in result.runs
        ],
        "push": (
            {
                "remote": result.pushed.remote,
                "branch": result.pushed.branch,
                "head": result.pushed.head,
                "attempts": result.pushed.attempts,
                "rebased": result.pushed.rebased,
            }
            if result.pushed is not None
            else None
        ),
        "push_error": result.push_error,
        "exit_code": exit_code(result),
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def snapshot_all(
    repo: Path,
    *,
    jobs: int,
    overrides: dict[str, Any],
    ignore: list[str],
    push_to: str | None,
    fmt: Format,
) -> int:
    """Run the fleet, print the summary in ``fmt`` and return the exit code."""
    config = api.load_config(repo if repo.is_dir() else None, quiet=True).config
    result = api.snapshot_all(
        config, repo, jobs=jobs, overrides=overrides, ignore=ignore, push_to=push_to, on_done=_announce
    )
    if result.push_error:
        crash.say(f"error: {result.push_error}")
    render(fmt, text=lambda out: _table(result, out), json=lambda: _json(result), markdown=lambda: _markdown(result))
    return exit_code(result)
