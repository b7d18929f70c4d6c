"""Helpers for tests/faults/test_report_hostile_names.py: the hostile-names corpus, a fixed Rich console, a
reader of Rich tables that undoes line folding, and a CommonMark renderer with an HTML inspector.

The expected on-screen form of a name (:func:`shown`) is written out here independently of driftguard's own
escaping, so the tests check the behaviour, not the implementation against itself.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from rich.console import Console

CORPUS: dict[str, str] = {
    "close-tag": "[/]",
    "rich-style": "[red]x[/red]",
    "rich-link": "[link=http://x]y[/link]",
    "bracket-word": "[prod] web02",
    "mixed-markup": "web[bold red]01[/] [link=http://x]y",
    "backslashes": "C:\\new\\[red]\\",
    "escaped-bracket": "\\[bold]not bold\\[/bold]",
    "ansi": "\x1b[31mred\x1b[0m \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
    "c0-c1": "bell\x07 bs\x08 tab\t nl\n cr\r del\x7f csi\x9b",
    "rtl-override": "admin\u202egnp.exe",
    "zero-width": "web\u200b01\u2066x\u2069",
    "very-long": "vm-" + "very-long-name-" * 25 + "end",
    "emoji": "rocket 🚀 family 👨\u200d👩\u200d👧 flag 🇫🇮",
    "rich-emoji-code": ":warning: :smile:",
    "backticks": "`tick` ``double`` ```triple",
    "html-img": "<img src=x onerror=alert(1)>",
    "md-link": "[click](http://evil.example/x) ![i](http://evil.example/i.png)",
    "md-autolink": "<http://evil.example> www.evil.example http://evil.example/a alice@evil.example",
    "md-emphasis": "**bold** _em_ ~~strike~~ *x*",
    "md-pipes": "a|b || c \\| d",
    "html-entities": "&amp; &lt;script&gt;alert(1)&lt;/script&gt; &#60;b&#62;",
    "html-comment": "<!-- hidden --> x",
    "code-fence": "```\n<script>alert(1)</script>\n```",
    "math-and-refs": "$x^2$ #123 @alice",
    "heading-and-list": "# heading\n- item\n> quote",
}

_KEEP_FORMAT = {"\u200c", "\u200d"}  # joiners: part of emoji and of scripts, not a disguise
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def shown(name: str) -> str:
    """How a name must appear on screen: itself, with control and invisible formatting characters as escapes."""
    out = []
    for ch in name:
        category = unicodedata.category(ch)
        if ch in _NAMED:
            out.append(_NAMED[ch])
        elif category == "Cc":
            out.append(f"\\x{ord(ch):02x}")
        elif category in {"Cf", "Zl", "Zp", "Cs"} and ch not in _KEEP_FORMAT and not 0xE0020 <= ord(ch) <= 0xE007F:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return "".join(out)


def console(width: int) -> Console:
    """A console that writes nowhere, records, has no colour and ignores the environment (COLUMNS, TERM...)."""
    return Console(
        file=io.StringIO(),
        record=True,
        width=width,
        color_system=None,
        force_terminal=False,
        legacy_windows=False,
        _environ={},
    )


def render_text(render: Callable[[Console], None], width: int) -> str:
    out = console(width)
    render(out)
    return out.export_text(styles=False)


_BARS = ("│", "┃")


def streams(text: str) -> list[str]:
    """The text of each Rich table column (cells of consecutive lines joined) plus the text outside tables,
    whitespace removed: a name folded over several lines of a cell reads as one string again."""
    columns: dict[int, list[str]] = {}
    plain: list[str] = []
    for line in text.splitlines():
        for bar in _BARS[1:]:
            line = line.replace(bar, _BARS[0])
        if _BARS[0] in line:
            for index, cell in enumerate(line.split(_BARS[0])):
                columns.setdefault(index, []).append(cell)
        else:
            plain.append(line)
    return [squash("".join(cells)) for cells in columns.values()] + [squash("".join(plain))]


def squash(text: str) -> str:
    return "".join(text.split())


def appears(name: str, text: str) -> bool:
    want = squash(shown(name))
    return any(want in stream for stream in streams(text))


def raw_controls(text: str) -> list[str]:
    """Control and invisible formatting characters in rendered output (a newline ends a line: allowed)."""
    return sorted(
        {
            repr(ch)
            for ch in text
            if ch != "\n"
            and unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp", "Cs"}
            and ch not in _KEEP_FORMAT
            and not 0xE0020 <= ord(ch) <= 0xE007F
        }
    )


MARKDOWN = MarkdownIt("commonmark").enable("table").enable("strikethrough")


class Html(HTMLParser):
    """What a Markdown renderer made: elements with their attributes, comments, the visible text, and the
    number of cells of every table row."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []
        self.text: list[str] = []
        self.rows: list[int] = []
        self._cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))
        if tag == "tr":
            self._cells = 0
        elif tag in {"td", "th"}:
            self._cells += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self.rows.append(self._cells)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def render_markdown(markdown: str) -> Html:
    parsed = Html()
    parsed.feed(MARKDOWN.render(markdown))
    parsed.close()
    return parsed


def sarif_unescape(text: str) -> str:
    """SARIF 2.1.0 §3.11.6: in plain-text messages ``\\[``, ``\\]`` and ``\\\\`` stand for the literal character."""
    out = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            following = next(chars, "")
            out.append(following if following and following in "[]\\" else ch + following)
        else:
            out.append(ch)
    return "".join(out)


_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def without_code_spans(markdown: str) -> str:
    """The Markdown source with its code spans cut out: what GitHub's autolinker and filters still see."""
    return _CODE_SPAN.sub("", markdown)
