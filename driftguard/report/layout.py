"""Terminal layouts that never break a token: a table whose columns are at least as wide as their longest word,
or, on a narrow terminal (or when the words do not fit), one stacked block per row.

Rich wraps cell text at spaces and folds a word only when it is wider than its column. :func:`token_safe_table`
chooses every column's width itself — at least the longest word of the column, the rest shared in proportion to
what each column would like — and returns None when even that does not fit, so the caller stacks instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

TABLE_MIN_WIDTH = 100
"""Below this many columns the reports are stacked, one block per change."""
TABLE_MAX_ROWS = 1000
"""More rows than this are stacked at any width: a table that long is not read row by row (and Rich takes
seconds to draw it)."""
COMFORTABLE = 24
"""Columns get up to this width before any column gets more."""
_PADDING = 2  # a cell's left and right padding
_BORDER = 1  # one vertical line per column, and one more


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    no_wrap: bool = False


def longest_word(cell: Text) -> int:
    return max((cell_len(word) for word in cell.plain.split()), default=0)


def longest_line(cell: Text) -> int:
    return max((cell_len(line) for line in cell.plain.splitlines()), default=0)


def _widths(columns: Sequence[Column], rows: Sequence[Sequence[Text]], width: int) -> list[int] | None:
    available = width - len(columns) * (_PADDING + _BORDER) - _BORDER
    cells = [[Text(c.header), *(row[i] for row in rows)] for i, c in enumerate(columns)]
    wants = [max(longest_line(cell) for cell in column) for column in cells]
    mins = [
        want if columns[i].no_wrap else max(longest_word(cell) for cell in column) for i, (want, column) in
        enumerate(zip(wants, cells, strict=True))
    ]  # fmt: skip
    if sum(mins) > available:
        return None
    if sum(wants) <= available:
        return wants
    # first every column up to a comfortable width (a short cell such as "UNKNOWN [1]" stays on one line),
    # then what is left in proportion to what each column would still like
    comfortable = [max(low, min(want, COMFORTABLE)) for low, want in zip(mins, wants, strict=True)]
    floor = comfortable if sum(comfortable) <= available else mins
    return _share(floor, comfortable if floor is mins else wants, available)


def _share(floor: list[int], wants: list[int], available: int) -> list[int]:
    """``floor`` plus the spare columns shared in proportion to ``want - floor``; never more than ``wants``."""
    spare = available - sum(floor)
    hunger = [want - low for want, low in zip(wants, floor, strict=True)]
    total = sum(hunger)
    if total <= spare:
        return list(wants)
    widths = [low + spare * h // total for low, h in zip(floor, hunger, strict=True)]
    # the rounding remainder, one column at a time, to the hungriest first
    for i in sorted(range(len(widths)), key=lambda i: widths[i] - wants[i])[: available - sum(widths)]:
        widths[i] += 1
    return widths


def token_safe_table(columns: Sequence[Column], rows: Sequence[Sequence[Text]], width: int) -> Table | None:
    """A table of ``rows`` in ``width`` terminal columns in which no word is broken, or None if there is none."""
    if width < TABLE_MIN_WIDTH or len(rows) > TABLE_MAX_ROWS:
        return None
    widths = _widths(columns, rows, width)
    if widths is None:
        return None
    table = Table(expand=False)
    for column, w in zip(columns, widths, strict=True):
        table.add_column(column.header, width=w, no_wrap=column.no_wrap, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


class Blocks:
    """Lines of the block layout, printed at once: each added cell wrapped at spaces to the console's width
    less its indent, every line indented and without trailing spaces (continuation lines stay under their
    first line). One print of pre-wrapped lines keeps thousands of blocks fast."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.lines: list[Text] = []

    def add(self, cell: Text, indent: int = 0) -> None:
        pad = Text(" " * indent)
        width = max(self.console.width - indent, 20)
        if "\n" not in cell.plain and cell_len(cell.plain) <= width:
            self.lines.append(pad + cell)  # the common case: one line that fits
            return
        for line in cell.wrap(self.console, width):
            line.rstrip()
            self.lines.append(pad + line)

    def print(self) -> None:
        if self.lines:
            self.console.print(Text("\n").join(self.lines), no_wrap=True, overflow="ignore", crop=False)
        self.lines = []
