"""One text rule for identifiers (model names, labels, case ids, tags, paths, variant ids) on
their way to a terminal, XML, Markdown, HTML or a file name.

First line: a suite's identifiers may not hold control characters (C0, DEL, C1) or the
bidirectional overrides that reorder what a reader sees; `identifier_problem` says why, and
the suite schema refuses them with FILE:LINE. Second line, for identifiers that arrive another
way (a hand-edited report, a case file): every writer shows them through `visible` (controls as
`\\xNN` escapes), `md_code` (a Markdown code span that cannot close early or break the table)
or `xml_text` (characters XML 1.0 allows).
"""

from __future__ import annotations

import unicodedata

BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _hidden(ch: str) -> bool:
    return ch in BIDI or unicodedata.category(ch) == "Cc" or "\ud800" <= ch <= "\udfff"


def identifier_problem(text: str) -> str | None:
    """Why `text` cannot be an identifier, or None."""
    for ch in text:
        if _hidden(ch):
            name = "a NUL character" if ch == "\0" else f"the control character U+{ord(ch):04X}"
            return f"'{visible(text)[:80]}' holds {name}: identifiers are printable text"
    return None


def check_identifier(text: str) -> str:
    """A pydantic validator: the identifier, or ValueError naming the character."""
    problem = identifier_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def _escaped(text: object, keep: str = "") -> str:
    """The text with every hidden character but those in `keep` shown as an escape."""
    s = str(text)
    if not any(_hidden(ch) and ch not in keep for ch in s):
        return s
    return "".join(ch.encode("unicode_escape", "backslashreplace").decode() if _hidden(ch) and ch not in keep
                   else ch for ch in s)


def visible(text: object) -> str:
    """The text with every control, bidi override and lone surrogate shown as an escape."""
    return _escaped(text)


def terminal_safe(text: str) -> str:
    """`visible`, but line breaks stay: what a terminal may be sent of a text we did not write."""
    return _escaped(text, "\n")


def md_code(text: object) -> str:
    """An identifier as a Markdown code span inside a table cell: backticks and pipes cannot end
    the span or the cell, line breaks cannot start a heading."""
    s = visible(text).replace("`", "'").replace("|", "\\|")
    return f"`{s}`"


def md_line(text: object) -> str:
    """A line of Markdown prose holding identifiers: no markup, no HTML, one line."""
    return (visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("`", "'").replace("|", "\\|"))


def xml_text(text: object) -> str:
    """Text XML 1.0 can hold (its parser rejects control characters even when escaped)."""
    return _escaped(text, "\t\n\r")
