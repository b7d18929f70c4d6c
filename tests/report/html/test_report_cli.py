"""`driftguard report --html` in-process on a small state repo written by the store: what the site is made of
(CSP on every page, no inline script, style or handler, nothing remote), how it replaces a previous report and
refuses anything else, the range options, and that a failure leaves nothing behind."""

from __future__ import annotations

import errno
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from driftguard.models import Attribution, DiffReport, DriftItem, Endpoint
from driftguard.report import html as site_html
from driftguard.report.html import charts, pages, site
from driftguard.store import StateRepo
from tests.cli.test_cli import base_snapshot, changed
from tests.cli_runner import invoke


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    with StateRepo.open(path, create=True) as state:
        first = base_snapshot()
        # the range options bound commit times (as for `diff --each`): the commits carry the collection times
        assert state.write_snapshot(first, "first", now=datetime(2098, 6, 1, tzinfo=UTC)) is not None
        second = changed(first, "2099-01-01T00:00:00+00:00")
        assert state.write_snapshot(second, "second", now=datetime(2099, 1, 1, tzinfo=UTC)) is not None
    return path


def html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_site_is_self_contained_under_a_strict_csp(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = invoke("report", "--repo", repo, "--html", out)
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    expected = rf"wrote {re.escape(str(out))}/index\.html: 4 pages \(1 object page\), 8 files, [\d.]+ KiB"
    assert re.fullmatch(expected, line), line
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert names >= {"index.html", "timeline.html", "findings.html", "assets/style.css", "assets/timeline.js"}
    assert len([n for n in names if n.startswith("objects/")]) == 1  # only the object that changed
    for page in html_files(out):
        text = page.read_text()
        assert f'<meta http-equiv="Content-Security-Policy" content="{pages.CSP}">' in text, page
        assert re.search(r"<script(?![^>]*\bsrc=)", text) is None, page  # no inline script
        assert re.search(r"\son[a-z]+=", text) is None, page  # no inline event handler
        assert re.search(r"\sstyle=", text) is None, page  # no inline style (the CSP would block it)
        assert re.search(r'(?:src|href)="(?:https?:)?//', text) is None, page  # nothing remote
    assert "'unsafe-inline'" not in pages.CSP and "default-src 'none'" in pages.CSP


def test_a_previous_report_is_replaced_and_anything_else_refused(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert invoke("report", "--repo", repo, "--html", out).exit_code == 0
    (out / "objects" / "stale.html").write_text("from an older run")
    assert invoke("report", "--repo", repo, "--html", out).exit_code == 0
    assert not (out / "objects" / "stale.html").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []  # no work dirs left

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    result = invoke("report", "--repo", repo, "--html", mine)
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "holds no driftguard report" in result.stderr
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]

    a_file = tmp_path / "file.html"
    a_file.write_text("x")
    result = invoke("report", "--repo", repo, "--html", a_file)
    assert result.exit_code == 2 and "is not a directory" in result.stderr


def test_range_options(repo: Path, tmp_path: Path) -> None:
    only_first = invoke("report", "--repo", repo, "--html", tmp_path / "a", "--until", "2098-12-31")
    assert only_first.exit_code == 0, only_first.output
    assert "3 pages (0 object pages)" in only_first.stdout
    assert "<strong>1</strong> snapshot</li>" in (tmp_path / "a" / "index.html").read_text()
    second = invoke("report", "--repo", repo, "--html", tmp_path / "b", "--since", "2099-01-01T00:00:00Z")
    assert second.exit_code == 0 and "4 pages (1 object page)" in second.stdout
    nothing = invoke("report", "--repo", repo, "--html", tmp_path / "c", "--since", "2100-01-01")
    assert nothing.exit_code == 0 and "3 pages (0 object pages)" in nothing.stdout
    assert "No snapshot in this range to check." in (tmp_path / "c" / "findings.html").read_text()
    bad = invoke("report", "--repo", repo, "--html", tmp_path / "d", "--since", "last tuesday")
    assert bad.exit_code == 2 and "--since 'last tuesday' is neither a time" in bad.stderr
    assert not (tmp_path / "d").exists()
    other = invoke("report", "--repo", repo, "--html", tmp_path / "e", "--vcenter-name", "nope")
    assert other.exit_code == 2 and "no vCenter named 'nope'" in other.stderr


def test_a_failure_while_writing_leaves_nothing(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "site"
    assert invoke("report", "--repo", repo, "--html", out).exit_code == 0
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    def disk_full(data: site.SiteInput, work: Path) -> int:
        (work / "index.html").write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(site_html, "render", disk_full)
    result = invoke("report", "--repo", repo, "--html", out)
    assert result.exit_code == 3
    assert "cannot write the report" in result.stderr and "No space left on device" in result.stderr
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # the previous report, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "state"]


HOSTILE = "</script><!--<img src=x onerror=alert(1)>&amp;\u2028\"'"


def test_timeline_index_cannot_close_a_tag_and_reads_back_exactly() -> None:
    item = DriftItem(
        vcenter="vc",
        kind="vm",
        id="vm-1",
        name=HOSTILE,
        change="modified",
        path=f'extra_config["{HOSTILE}"]',
        old=HOSTILE,
        new={"k": HOSTILE},
        category="other",
        severity="low",
        attribution=Attribution(status="attributed", user=HOSTILE),
    )
    step = DiffReport(from_=Endpoint(ref="a" * 40), to=Endpoint(ref="b" * 40), items=[item])
    script = pages.index_script(site.changes([step]))
    body = script.removeprefix("window.DRIFTGUARD_INDEX = ").removesuffix(";\n")
    assert not set("<>&\u2028") & set(body)
    data = json.loads(body)
    row = dict(zip(data["fields"], data["rows"][0], strict=True))
    assert (row["name"], row["old"], row["user"]) == (HOSTILE, HOSTILE, HOSTILE)
    assert row["new"] == json.dumps({"k": HOSTILE}, ensure_ascii=False)


def test_object_pages_never_share_a_file_nor_leave_the_directory() -> None:
    ids = ["vm-1", "../../etc/passwd", "vm 1", "vm_1", "a/b", "a\\b", "x" * 300]
    names = [site.page_name("vm", i) for i in ids]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"objects/[A-Za-z0-9_.-]+\.html", n) and ".." not in n.split("/")[1][:2] for n in names)
    assert names[0] == "objects/vm-vm-1.html"


def test_chart_labels_are_escaped_and_days_without_changes_are_gaps() -> None:
    svg = charts.stacked_bars(
        "t",
        "<b>title</b>",
        {"2026-11-01": site.Counter({"<b>u</b>": 2}), "2026-11-04": site.Counter({"<b>u</b>": 1})},
        [charts.Series("<b>u</b>", "<b>u</b>", "#000", hatched=True)],
        markers={"2026-11-02": 1},
    )
    assert "<b>" not in svg and "&lt;b&gt;title&lt;/b&gt;" in svg
    assert svg.count("<rect ") == 1 + 2 * 2  # the hatch's own rect, then colour + hatch for each of two bars
    assert "2026-11-02 · 1 snapshot</title>" in svg
    assert charts.calendar(["2026-11-04", "2026-11-01"]) == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]


def test_why_is_the_rules_own_paragraph() -> None:
    doc = "Title body.\n\n*Why*: because\n  the chapter says so.\n\n*Non-compliant*: x"
    assert site.why(doc) == "because the chapter says so."
    assert site.why("no why here") == "no why here"


def test_changes_hidden_by_ignore_rules_are_counted_on_the_overview(repo: Path, tmp_path: Path) -> None:
    (repo / "driftguard.yaml").write_text('ignore:\n  - pattern: "vm:cpu.*"\n    reason: sized by the app team\n')
    result = invoke("report", "--repo", repo, "--html", tmp_path / "site")
    assert result.exit_code == 0, result.output
    assert "3 pages (0 object pages)" in result.stdout  # the only change was the CPU count
    overview = (tmp_path / "site" / "index.html").read_text()
    assert "1 change hidden by ignore rules: <code>vm:cpu.*</code> (driftguard.yaml) 1." in overview


def test_code_spans_of_the_rule_docs_become_code_and_nothing_else_markup() -> None:
    assert site.code_spans("set ``das.x`` or `y`, not <b>") == [
        ("set ", False),
        ("das.x", True),
        (" or ", False),
        ("y", True),
        (", not <b>", False),
    ]
