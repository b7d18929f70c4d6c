"""The HTML report in a real browser (Debian's headless Chromium through Playwright), opened from file:// as a
reader would open it: no console error, nothing requested outside file://, the timeline's user filter, an object's
history in order, and a VM named as markup that stays text."""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runner import invoke
from tests.e2e.test_e2e import ALICE, BOB
from tests.report.html.conftest import EVIL, Estate, artifacts, keep

pytestmark = pytest.mark.vcsim


class Watched:
    """A page with everything a test must see recorded: console errors, script errors, dialogs, requests."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)
        page.on("request", lambda r: self.requests.append(r.url))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, site: Path, page: str) -> Any:
        self.page.goto((site / page).as_uri())
        self.page.wait_for_load_state("load")
        return self.page

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs
        outside = [u for u in self.requests if not u.startswith("file://")]
        assert outside == [], outside


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # anything not on disk is refused outright (and recorded by the request listener first)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://") else route.abort())
    w = Watched(context.new_page())
    try:
        yield w
    finally:
        context.close()


def diff_items(repo: Path) -> list[dict[str, Any]]:
    """Every drift item of every consecutive snapshot pair, from `driftguard log` and `driftguard diff --format json`
    (what the report must show, read through the commands people already use)."""
    log = json.loads(invoke("log", "--repo", repo, "--format", "json").stdout)
    commits = [entry["commit"] for entry in reversed(log["snapshots"])]
    items: list[dict[str, Any]] = []
    for old, new in itertools.pairwise(commits):
        result = invoke("diff", "--repo", repo, old, new, "--format", "json")
        assert result.exit_code == 0, result.output
        items += json.loads(result.stdout)["items"]
    return items


def table_rows(page: Any, selector: str) -> list[list[str]]:
    rows: list[list[str]] = page.eval_on_selector_all(
        selector, "rows => rows.map(r => Array.from(r.cells, c => c.textContent.trim()))"
    )
    return rows


def test_overview_renders_without_errors_and_nothing_leaves_file(estate: Estate, watched: Watched) -> None:
    page = watched.open(estate.site, "index.html")
    assert page.title().startswith("Overview")
    assert page.locator("h1").inner_text().startswith("Overview of")
    assert page.locator("svg.chart").count() == 2
    # the unattributed change is called out in words, not only in colour
    assert "1 change that no event or task in vCenter's history explains" in page.locator(".alert").inner_text()
    assert page.locator("#findings-h + p + .scroll table tbody tr").count() >= 1
    shot = artifacts() / "overview.png"
    page.screenshot(path=str(shot), full_page=True)
    keep(shot)
    for other in ("timeline.html", "findings.html"):
        watched.open(estate.site, other)
    watched.assert_clean()
    assert any(u.endswith("/assets/timeline.js") for u in watched.requests)  # the script did load under the CSP


def test_timeline_filter_by_user_shows_exactly_that_users_changes(estate: Estate, watched: Watched) -> None:
    items = diff_items(estate.repo)
    by_bob = [i for i in items if (i["attribution"] or {}).get("user") == BOB]
    assert len(by_bob) >= 2 and len(by_bob) < len(items)
    page = watched.open(estate.site, "timeline.html")
    assert len(table_rows(page, "#rows tr")) == len(items)
    page.select_option("#f-user", BOB)
    rows = table_rows(page, "#rows tr")
    assert len(rows) == len(by_bob)
    assert {r[8] for r in rows} == {BOB}
    assert sorted(r[4] for r in rows) == sorted(i["path"] for i in by_bob)
    assert page.locator("#count").inner_text().startswith(f"{len(by_bob)} of {len(items)} changes")
    # status filter, then everything back with Clear
    page.select_option("#f-user", "")
    page.select_option("#f-status", "unattributed")
    (row,) = table_rows(page, "#rows tr")
    assert row[4] == 'network.portgroups["Shadow-DMZ"]' and "unattributed" in row[7]
    page.click("#f-reset")
    page.wait_for_function(f"document.querySelectorAll('#rows tr').length === {len(items)}")
    # a user's link on the overview opens the timeline filtered to that user (the filter rides in the address)
    watched.open(estate.site, "index.html").get_by_role("link", name=ALICE, exact=True).click()
    page.wait_for_load_state("load")
    assert page.locator("#f-user").input_value() == ALICE
    assert {r[8] for r in table_rows(page, "#rows tr")} == {ALICE}
    watched.assert_clean()


def test_object_page_lists_its_history_in_order(estate: Estate, watched: Watched) -> None:
    page = watched.open(estate.site, "timeline.html")
    page.fill("#f-object", estate.vms[0])
    page.locator("#rows a").first.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().endswith(estate.vms[0])
    rows = table_rows(page, "#history tbody tr")
    # alice: 1 → 4 CPUs, then 4 → 2, oldest first
    assert [(r[0], r[4], r[5], r[6]) for r in rows] == [("1", "cpu.count", "1", "4"), ("2", "cpu.count", "4", "2")]
    assert rows[0][1] <= rows[1][1]
    assert all(ALICE in r[8] and "VmReconfiguredEvent" in r[8] for r in rows)
    shot = artifacts() / "object.png"
    page.screenshot(path=str(shot), full_page=True)
    keep(shot)
    watched.assert_clean()


def test_markup_in_a_vm_name_is_text_and_runs_nothing(estate: Estate, watched: Watched) -> None:
    (page_file,) = [p for p in (estate.site / "objects").iterdir() if html.escape(EVIL) in p.read_text()]
    page = watched.open(estate.site, f"objects/{page_file.name}")
    assert page.locator("h1").inner_text().endswith(EVIL)
    assert page.locator("img").count() == 0
    # its finding (the serial port: a vMotion blocker) is on its page, linked to the rule's Why
    assert page.locator("a[href$='#rule-dg-vmotion-001']").count() >= 1
    page = watched.open(estate.site, "timeline.html")
    page.fill("#f-object", "onerror")
    assert page.locator("#rows a", has_text=EVIL).count() == 2
    assert page.locator("img").count() == 0
    watched.open(estate.site, "findings.html")
    assert page.locator("img").count() == 0
    assert page.locator("#rule-dg-vmotion-001 .why").inner_text().startswith("Why:")
    watched.assert_clean()
