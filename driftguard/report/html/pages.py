"""Renders the pages of the HTML report with Jinja2 (autoescape on) into a directory."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from driftguard import __version__
from driftguard.models import SEVERITIES, Finding
from driftguard.models.times import display
from driftguard.report.html import charts
from driftguard.report.html.site import (
    STATUSES,
    Change,
    ObjectPage,
    SiteInput,
    changes,
    code_spans,
    objects,
    per_day,
    pretty,
    value_text,
)
from driftguard.report.html.site import why as why_text

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
)
"""No inline script or style, nothing remote: the pages load only their own files next to them."""
PAGE_SIZE = 100
"""Rows per page of the timeline (the browser renders one page at a time)."""
INDEX_VALUE_LIMIT = 160
"""Characters of an old/new value kept in the timeline's index (object pages show more)."""
STATIC = ("style.css", "timeline.js")

STATUS_SERIES = (
    charts.Series("attributed", "attributed", "#3b7dd8"),
    charts.Series("unattributed", "unattributed", "#d9480f", hatched=True),
    charts.Series("unknown", "unknown", "#868e96", hatched=True),
)
USER_COLOURS = ("#1c7ed6", "#2f9e44", "#9c36b5", "#e67700", "#0c8599", "#5c940d", "#c2255c", "#364fc7")
OTHER_USERS = "other users"


@dataclass
class RuleSection:
    id: str
    name: str
    severity: str
    title: str
    why: str
    anchor: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def by_severity(self) -> Counter[str]:
        return Counter(f.severity for f in self.findings)


def anchor(rule_id: str) -> str:
    return "rule-" + re.sub(r"[^a-z0-9-]", "-", rule_id.lower())


def _short(ref: str) -> str:
    return ref[:10]


def _when(moment: datetime | None) -> str:
    return display(moment)


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("driftguard.report.html", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        when=_when,
        short=_short,
        value=lambda v, limit=INDEX_VALUE_LIMIT: value_text(v, limit),
        anchor=anchor,
        pretty=pretty,
        code_spans=code_spans,
    )
    return env


def rule_sections(site: SiteInput, findings: Sequence[Finding]) -> list[RuleSection]:
    """One section per rule (or baseline) with findings, most severe first."""
    docs = {r.id: r for r in site.rules}
    sections: dict[str, RuleSection] = {}
    for f in findings:
        if f.rule_id not in sections:
            doc = docs.get(f.rule_id)
            sections[f.rule_id] = RuleSection(
                id=f.rule_id,
                name=f.rule_name,
                severity=doc.severity if doc else f.severity,
                title=doc.title if doc else f.rule_name,
                why=why_text(doc.description) if doc else "",
                anchor=anchor(f.rule_id),
            )
        sections[f.rule_id].findings.append(f)
    return sorted(sections.values(), key=lambda s: (-SEVERITIES.index(s.severity), s.id))


def user_series(rows: Sequence[Change]) -> tuple[list[charts.Series], dict[str, Counter[str]], list[tuple[str, int]]]:
    """The chart's series by user: the eight busiest by name, then the rest together, then changes no user
    explains (hatched); the counts per day under those keys; every user's total."""
    totals = Counter(row.user for row in rows)
    named = [u for u, _ in totals.most_common() if u][: len(USER_COLOURS)]
    series = [charts.Series(u, u, USER_COLOURS[i]) for i, u in enumerate(named)]
    if len([u for u in totals if u]) > len(named):
        series.append(charts.Series(OTHER_USERS, OTHER_USERS, "#adb5bd"))
    if totals.get(""):
        series.append(charts.Series("", "no user", "#495057", hatched=True))
    keep = {*named, ""}
    days: dict[str, Counter[str]] = {}
    for day, counter in per_day(rows, "user").items():
        days[day] = Counter()
        for user, n in counter.items():
            days[day][user if user in keep else OTHER_USERS] += n
    return series, days, sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))


def hidden_by_rules(site: SiteInput) -> list[tuple[str, str, int]]:
    """(pattern, source, items) of every ignore rule that hid changes in the range, most items first."""
    counts: Counter[tuple[str, str]] = Counter()
    for step in site.steps:
        for rule in step.suppressed.rules:
            counts[(rule.pattern, rule.source)] += rule.items
    return [(pattern, source, n) for (pattern, source), n in counts.most_common()]


def index_script(rows: Sequence[Change]) -> str:
    """The timeline's data as a script that sets one global; ``<``, ``>`` and ``&`` are ``\\u`` escapes, so the
    text cannot close a tag or start markup wherever it ends up."""
    fields = ["seen", "kind", "id", "name", "path", "change", "status", "user", "old", "new", "page", "commit"]
    data = [
        [
            _when(r.seen),
            r.item.kind,
            r.item.id,
            r.item.name,
            r.item.path,
            r.item.change,
            r.status,
            r.user,
            value_text(r.item.old, INDEX_VALUE_LIMIT),
            value_text(r.item.new, INDEX_VALUE_LIMIT),
            r.page,
            _short(r.commit),
        ]
        for r in reversed(rows)
    ]
    text = json.dumps({"fields": fields, "rows": data, "pageSize": PAGE_SIZE}, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"window.DRIFTGUARD_INDEX = {text};\n"


def render(site: SiteInput, out: Path) -> int:
    """Write every page and asset of ``site`` into the (empty) directory ``out``; returns the number of pages."""
    env = environment()
    rows = changes(site.steps)
    findings = list(site.check.findings) if site.check else []
    pages = objects(rows, findings)
    sections = rule_sections(site, findings)
    totals = Counter(r.status for r in rows)
    u_series, u_days, users = user_series(rows)
    snaps = Counter((s.collected_at or s.committed_at).strftime("%Y-%m-%d") for s in site.snapshots)
    common: dict[str, Any] = {
        "site": site,
        "csp": Markup(CSP),  # noqa: S704 - our constant, no data: kept readable in the page source
        "version": __version__,
        "range_text": " – ".join(x or "…" for x in (site.since, site.until)) if (site.since or site.until) else "",
        "statuses": STATUSES,
        "findings": findings,
        "finding_rules": sections,
        "pages": pages,
        "rows": rows,
    }
    (out / "assets").mkdir()
    (out / "objects").mkdir()
    for name in STATIC:
        (out / "assets" / name).write_bytes(
            resources.files("driftguard.report.html").joinpath("static", name).read_bytes()
        )
    (out / "assets" / "index.js").write_text(index_script(rows), encoding="utf-8")

    def write(path: str, template: str, **context: Any) -> None:
        html = env.get_template(template).render(**common, **context)
        (out / path).write_text(html, encoding="utf-8")

    write(
        "index.html",
        "overview.html",
        root="",
        current="overview",
        totals={s: totals.get(s, 0) for s in STATUSES},
        status_series=STATUS_SERIES,
        status_chart=charts.stacked_bars(
            "by-status", "Changes per day by attribution", per_day(rows, "status"), STATUS_SERIES, snaps
        ),
        user_series=u_series,
        user_chart=charts.stacked_bars("by-user", "Changes per day by user", u_days, u_series),
        users=users,
        severities=list(reversed(SEVERITIES)),
        hidden=hidden_by_rules(site),
        exempted=len(site.check.exempted) if site.check else 0,
    )
    newest = list(reversed(rows))
    write(
        "timeline.html",
        "timeline.html",
        root="",
        current="timeline",
        kinds=sorted({r.item.kind for r in rows}),
        user_names=sorted({r.user for r in rows if r.user}),
        first_rows=newest[:PAGE_SIZE],
        page_size=PAGE_SIZE,
        pages_total=max(1, -(-len(rows) // PAGE_SIZE)),
    )
    write("findings.html", "findings.html", root="", current="findings")
    for obj in pages.values():
        write(obj.page, "object.html", root="../", current="object", obj=obj)
    return 3 + len(pages)


__all__ = ["CSP", "PAGE_SIZE", "ObjectPage", "render"]
