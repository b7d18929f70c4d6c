"""``driftguard import-bundle`` output: per host, what was imported, and the evidence findings.

JSON contract ``driftguard.evidence-import/v1``: ``{"schema", "commit", "hosts": [{"path", "host", "vcenter",
"host_id", "source", "files", "unknowns"}], "findings": [Finding...], "summary": {"findings", "by_severity"}}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from driftguard.models import CheckReport, HostEvidence
from driftguard.report._util import md_escape
from driftguard.report.escape import md_code, text


def _payload(evidence: Sequence[HostEvidence], paths: Sequence[str], commit: str | None) -> dict[str, Any]:
    findings = [f for e in evidence for f in e.findings]
    return {
        "schema": "driftguard.evidence-import/v1",
        "commit": commit,
        "hosts": [
            {
                "path": path,
                "host": e.host.model_dump(mode="json"),
                "vcenter": e.vcenter,
                "host_id": e.host_id,
                "source": e.source.model_dump(mode="json"),
                "files": sorted(e.ha_agent.files),
                "unknowns": e.unknowns,
            }
            for path, e in zip(paths, evidence, strict=True)
        ],
        "findings": [f.model_dump(mode="json") for f in findings],
        "summary": CheckReport.summarize(findings).model_dump(mode="json"),
    }


def evidence_json(evidence: Sequence[HostEvidence], paths: Sequence[str], commit: str | None) -> str:
    return json.dumps(_payload(evidence, paths, commit), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def evidence_markdown(evidence: Sequence[HostEvidence], paths: Sequence[str], commit: str | None) -> str:
    lines = ["## Imported host evidence", ""]
    lines += ["| host | version | build | HA agent files | stored at |", "|---|---|---|---|---|"]
    for path, e in zip(paths, evidence, strict=True):
        files = str(len(e.ha_agent.files)) if e.ha_agent.files else "none (" + "; ".join(e.unknowns.values()) + ")"
        lines.append(
            f"| {md_escape(e.host.name)} | {md_escape(e.host.version or '-')} | {md_escape(e.host.build or '-')} "
            f"| {md_escape(files)} | {md_code(path)} |"
        )
    findings = [f for e in evidence for f in e.findings]
    lines += ["", f"### Findings ({len(findings)})", ""]
    if findings:
        lines += ["| rule | severity | host | finding |", "|---|---|---|---|"]
        for f in findings:
            lines.append(f"| {md_escape(f.rule_id)} | {f.severity} | {md_escape(f.name)} | {md_escape(f.message)} |")
    else:
        lines.append("No findings.")
    if commit:
        lines += ["", f"Committed as `{commit[:10]}`."]
    return "\n".join(lines) + "\n"


def evidence_text(evidence: Sequence[HostEvidence], paths: Sequence[str], commit: str | None, console: Console) -> None:
    hosts = Table(title="imported host evidence", title_justify="left")
    for column in ("host", "version", "build", "HA agent files", "stored at"):
        hosts.add_column(column, overflow="fold")  # never cut a name short with "…"
    for path, e in zip(paths, evidence, strict=True):
        files = str(len(e.ha_agent.files)) if e.ha_agent.files else "none"
        hosts.add_row(*(text(cell) for cell in (e.host.name, e.host.version or "-", e.host.build or "-", files, path)))
    console.print(hosts)
    findings = [f for e in evidence for f in e.findings]
    if not findings:
        console.print(Text("no findings"))
        return
    table = Table(title=f"findings ({len(findings)})", title_justify="left")
    for column in ("rule", "severity", "host", "finding"):
        table.add_column(column, overflow="fold")
    for f in findings:
        table.add_row(*(text(cell) for cell in (f.rule_id, f.severity, f.name, f.message)))
    console.print(table)
