"""Properties of driftguard.report.escape: for any string, the escaped form renders as exactly the visible string.

Rendering is done by a CommonMark renderer (markdown-it-py, with GFM tables and strikethrough), and each property
is checked in the contexts the formatters use: a table cell, a paragraph, a list item and a block quote.
"""

from __future__ import annotations

import io
import json
import unicodedata
from html.parser import HTMLParser

from hypothesis import example, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from rich.console import Console

from driftguard.report.escape import lines, md, md_code, sarif, text, visible

MARKDOWN = MarkdownIt("commonmark").enable("table").enable("strikethrough")
SPECIALS = st.text(alphabet=st.sampled_from("\\`*_[]()<>&|~!:@#$=+-.{}\"' \t\naxw1/;"), max_size=30)
ANY = st.text(max_size=40)


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.data: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.data.append(data)


def _render(markdown: str) -> _Cells:
    parsed = _Cells()
    parsed.feed(MARKDOWN.render(markdown))
    parsed.close()
    return parsed


def _contexts(inline: str) -> dict[str, str]:
    return {
        "table": f"| a | b |\n|---|---|\n| x | {inline} |\n",
        "paragraph": f"before {inline} after\n",
        "list": f"- {inline}\n",
        "quote": f"> {inline}\n",
    }


STRUCTURE = {
    "table": ["table", "thead", "tr", "th", "th", "tbody", "tr", "td", "td"],
    "paragraph": ["p"],
    "list": ["ul", "li"],
    "quote": ["blockquote", "p"],
}


@given(st.one_of(SPECIALS, ANY))
@example("[click](http://x) <img src=x onerror=alert(1)> &amp; `a` | b")
@example("# h")
@example("1. x")
@example("\\|")
def test_md_renders_as_the_visible_text_in_every_context(value: str) -> None:
    want = visible(value)
    if not want.strip():
        return  # nothing to show: an empty cell, paragraph or quote
    for context, markdown in _contexts(md(value)).items():
        rendered = _render(markdown)
        extra = rendered.tags[len(STRUCTURE[context]) :] if rendered.tags[: len(STRUCTURE[context])] else rendered.tags
        assert rendered.tags[: len(STRUCTURE[context])] == STRUCTURE[context], (context, rendered.tags)
        assert extra == [], (context, rendered.tags)
        shown = "".join(rendered.data)
        assert want.strip() in shown, (context, markdown, shown)


@given(st.one_of(SPECIALS, ANY))
@example("``` x ``")
@example(" `")
@example("a\\|b")
def test_md_code_is_one_code_span_showing_the_visible_text(value: str) -> None:
    want = visible(value)
    for context, markdown in _contexts(md_code(value, table=False)).items():
        if context == "table":
            markdown = _contexts(md_code(value))["table"]
        rendered = _render(markdown)
        structure = STRUCTURE[context]
        assert rendered.tags[: len(structure)] == structure, (context, rendered.tags)
        if not want:
            continue
        assert rendered.tags[len(structure) :] == ["code"], (context, markdown, rendered.tags)
        shown = "".join(rendered.data)
        assert want in shown or (want.strip(" ") == "" and len(shown) > 0), (context, markdown, shown)


def _sarif_unescape(value: str) -> str:
    out, chars = [], iter(value)
    for ch in chars:
        following = next(chars, "") if ch == "\\" else None
        out.append(ch if following is None else following if following and following in "[]\\" else ch + following)
    return "".join(out)


@given(st.one_of(SPECIALS, ANY))
@example("\\[x](1)\\")
def test_sarif_text_round_trips_and_has_no_bare_brackets(value: str) -> None:
    escaped = sarif(value)
    assert _sarif_unescape(escaped) == visible(value)
    i = 0
    while i < len(escaped):  # every [ or ] is escaped: no embedded link can start or end
        if escaped[i] == "\\":
            i += 2
            continue
        assert escaped[i] not in "[]", escaped
        i += 1
    json.dumps(escaped)


@given(ANY)
def test_rich_text_shows_the_visible_string_and_nothing_else(value: str) -> None:
    console = Console(record=True, width=400, color_system=None, force_terminal=False, _environ={}, file=io.StringIO())
    console.print(text(value), lines(value, value), soft_wrap=True)
    out = console.export_text(styles=False)
    want = visible(value)
    assert out.count(want) >= 3 or not want.strip()
    hidden = {"Cc", "Cf", "Zl", "Zp", "Cs"}
    kept = {"\u200c", "\u200d"} | {chr(c) for c in range(0xE0020, 0xE0080)}
    assert all(ch == "\n" or unicodedata.category(ch) not in hidden or ch in kept for ch in out), repr(out)


def test_visible_keeps_emoji_and_joiners_and_escapes_disguises() -> None:
    assert visible("👨\u200d👩\u200d👧 🇫🇮") == "👨\u200d👩\u200d👧 🇫🇮"
    assert visible("a\x1b[31mb\u202ec\u200bd\x9b\n\t") == "a\\x1b[31mb\\u202ec\\u200bd\\x9b\\n\\t"
    assert visible("C:\\temp [red]") == "C:\\temp [red]"
