"""Text layouts never break a token: the token-safe table (report/layout.py) and the diff and check reports at any
width, from 60 to 200 columns."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text

from driftguard.report.check import check_text
from driftguard.report.diff import diff_text
from driftguard.report.layout import TABLE_MIN_WIDTH, Column, token_safe_table
from tests.faults._report_support import render_text
from tests.report import samples

WORDS = st.text(alphabet='abcdefghijklmnopqrstuvwxyz0123456789._[]"/-', min_size=1, max_size=30)
CELLS = st.lists(WORDS, min_size=1, max_size=6).map(" ".join)


def _lines(rendered: str) -> list[str]:
    """Each line's cells, table borders removed."""
    out = []
    for line in rendered.splitlines():
        for bar in "│┃":
            line = line.replace(bar, "\n")
        out += line.split("\n")
    return out


def _whole(token: str, rendered: str) -> bool:
    return any(token in line for line in _lines(rendered))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(CELLS, CELLS, CELLS), min_size=1, max_size=6), st.integers(TABLE_MIN_WIDTH, 200))
def test_the_table_breaks_no_word_or_is_not_drawn(rows: list[tuple[str, str, str]], width: int) -> None:
    columns = [Column("a"), Column("bb"), Column("ccc")]
    table = token_safe_table(columns, [[Text(c) for c in row] for row in rows], width)
    if table is None:
        return  # the caller stacks instead
    rendered = render_text(lambda console: console.print(table), width)
    assert max(len(line) for line in rendered.splitlines()) <= width
    for row in rows:
        for cell in row:
            for word in cell.split():
                assert _whole(word, rendered), (word, rendered)


def test_narrow_terminals_get_no_table() -> None:
    assert token_safe_table([Column("a")], [[Text("x")]], TABLE_MIN_WIDTH - 1) is None
    assert token_safe_table([Column("a")], [[Text("x" * 200)]], 150) is None  # a word wider than the terminal


def test_diff_and_check_break_no_path_name_or_value_at_any_width() -> None:
    report = samples.review_report()
    # the 12 VMs of the grouped memory change are named up to ten ("and 2 more")
    tokens = {item.path.split(".")[0] for item in report.items} | {item.name for item in report.items[:18]}
    tokens |= {'ha_agent.files["/etc/opt/vmware/fdm/fdm.cfg"]', 'devices["CD/DVD', "iso/rescue.iso", "DC0_C1"}
    check = samples.check_report()
    for width in range(60, 201, 7):
        rendered = render_text(lambda c: diff_text(report, c, names=samples.REVIEW_NAMES), width)
        assert max(len(line) for line in rendered.splitlines()) <= width
        # stacked below 100 columns; the table from where its longest words fit (here ~150 columns)
        assert ("┃" in rendered) == (width >= 151), width
        for token in tokens:
            assert _whole(token, rendered), (width, token, rendered)
        found = render_text(lambda c: check_text(check, c), width)
        for token in ("DG-VMOTION-001", "ha-isolation-address", "web01-cluster", "das.isolationaddress0"):
            assert _whole(token, found), (width, token, found)


def test_wide_shows_values_whole() -> None:
    items = samples.review_items(copies=0)
    long_iso = "[LocalDS_0] " + "very-long-iso-name-" * 8 + ".iso"
    items[6] = items[6].model_copy(update={"new": long_iso})
    report = samples.review_report().model_copy(update={"items": items})
    short = render_text(lambda c: diff_text(report, c), 200)
    assert long_iso not in short.replace("\n", "") and "--wide" in short
    wide = render_text(lambda c: diff_text(report, c, wide=True), 400)
    assert long_iso in wide
