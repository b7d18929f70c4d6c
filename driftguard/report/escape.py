"""Escaping of user-controlled strings for each output format.

Names of objects, option keys and values, user names, event types, messages, baseline names and file paths come
from vCenter or from people. To the formatters they are data: nothing in them may style the terminal, move the
cursor, hide text, or become Markdown, HTML or a SARIF link.

- :func:`visible`: control characters (C0, DEL, C1) and invisible formatting characters (bidi overrides and
  isolates, zero-width spaces, line separators) become escapes such as ``\\x1b`` and ``\\u202e``; everything else,
  emoji included, is kept. Backslashes are kept as they are (JSON output has the exact bytes).
- :func:`text`: a :class:`rich.text.Text` of the visible string; Rich never parses markup or ``:emoji:`` codes in a
  ``Text``, so ``[red]x[/red]`` shows as typed.
- :func:`md`: inline Markdown text, safe in a GitHub table cell, a heading, a list item or a quote.
- :func:`md_code`: the same as a code span (names, paths, values): immune to GitHub's emoji, mention and issue
  reference filters, which skip code.
- :func:`sarif`: SARIF ``message.text`` (plain text where ``[text](target)`` is an embedded link).
"""

from __future__ import annotations

import re
import unicodedata

from rich.text import Text

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_JOINERS = {"\u200c", "\u200d"}  # part of emoji sequences and of several scripts: not a disguise
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _hidden(ch: str) -> bool:
    if ch in _JOINERS or 0xE0020 <= ord(ch) <= 0xE007F:  # tag characters: subdivision flags such as England's
        return False
    return unicodedata.category(ch) in _INVISIBLE


def visible(value: object) -> str:
    """The string with every control or invisible formatting character shown as an escape."""
    string = value if isinstance(value, str) else str(value)
    if string.isprintable() and string.isascii():
        return string  # the common case, without a per-character walk
    return "".join(_escape(ch) if _hidden(ch) else ch for ch in string)


def text(value: object, style: str = "") -> Text:
    """A Rich ``Text`` that shows ``value`` exactly (see :func:`visible`): no markup, no emoji codes."""
    return Text(visible(value), style=style)


def lines(*values: object) -> Text:
    """One ``Text`` with each value (see :func:`visible`) on its own line: the line breaks are ours."""
    return Text("\n").join(text(value) for value in values)


# CommonMark lets any ASCII punctuation be backslash-escaped. These are the characters that can start or end an
# inline construct: code, emphasis, links and images, raw HTML and autolinks, entities, GFM strikethrough, GFM table
# cells, GitHub math ("$"), and the "@" of an e-mail autolink. Line breaks in user text are shown as "\n", so
# block syntax matters only at its very start (after a "> " or "- " of ours): a heading, quote, list or rule.
_MD_SPECIAL = frozenset("\\`*_[]<&|~@$")
# GitHub's extended autolinks need no angle brackets: "http://x", "www.x". Escaping the ":" or "." breaks them.
_AUTOLINK = re.compile(r"(?i)(?<=[a-z]):(?=//)|(?<=www)\.")
_BLOCK_START = re.compile(r"^(?:>|#{1,6}(?=\s|$)|[-+](?=\s|$)|-+$|\d{1,9}(?=[.)](?:\s|$)))")


def md(value: object) -> str:
    """Inline Markdown that renders as exactly the visible string: no element, link, entity or table break."""
    shown = visible(value)
    escaped = "".join(
        "\\" + ch if ch in _MD_SPECIAL and not _inert_underscore(shown, i) else ch for i, ch in enumerate(shown)
    )
    escaped = _AUTOLINK.sub(lambda match: "\\" + match.group(0), escaped)
    if escaped.startswith(" "):  # leading spaces could indent a code block or hide a block marker: a reference
        return "&#32;" + escaped[1:]
    return _BLOCK_START.sub(_escape_block_start, escaped, count=1)


def _inert_underscore(text: str, index: int) -> bool:
    """An ``_`` between two letters or digits (``DC0_C0``) can neither open nor close emphasis: left as it is."""
    return text[index] == "_" and 0 < index < len(text) - 1 and text[index - 1].isalnum() and text[index + 1].isalnum()


def _escape_block_start(match: re.Match[str]) -> str:
    start = match.group(0)
    return start + "\\" if start[0].isdigit() else "\\" + start


def md_code(value: object, *, table: bool = True) -> str:
    """A Markdown code span showing exactly the visible string (backslash escapes do not work in code spans).

    The fence is one backtick longer than the longest run in the text; a space pads text that starts or ends with
    a backtick or a space (CommonMark strips one space on each side). In a GFM table (``table=True``) every ``|``
    is written ``\\|``: table cells are split before code spans are parsed, and the renderer removes that one
    backslash again, also inside code.
    """
    content = visible(value)
    if not content:
        return '""'
    if table:
        content = content.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * (longest + 1)
    if content.strip(" ") and (content[0] in "` " or content[-1] in "` "):
        content = f" {content} "
    return f"{fence}{content}{fence}"


def sarif(value: object) -> str:
    """SARIF plain-text message (§3.11.6): literal ``[`` and ``]`` escaped, and a backslash escaped where it
    would otherwise be read as an escape, so no embedded link can come from a name."""
    pieces: list[str] = []
    following = ""
    for ch in reversed(visible(value)):
        if ch in "[]":
            piece = "\\" + ch
        elif ch == "\\" and following and following in "[]\\":
            piece = "\\\\"
        else:
            piece = ch
        pieces.append(piece)
        following = piece[0]
    return "".join(reversed(pieces))
