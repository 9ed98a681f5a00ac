"""How the messages about data name things: lists of columns, values and rows.

One place, so that every message of the file readers and the table preprocessing shows a
list the same way: at most a few items, then how many more.
"""

from __future__ import annotations

#: Rows shown in a message before "...".
SHOW_ROWS = 5


def one_line(exc) -> str:
    """An exception's text on one line, without a final full stop."""
    return " ".join(str(exc).split()).rstrip(".")


def shown(text, limit: int = 60) -> str:
    """``text`` as a message shows it: one line, control and undecodable characters
    escaped, at most ``limit`` characters (then ``...``)."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text[: 4 * limit + 4]).decode("utf-8", errors="backslashreplace")
    text = str(text)
    escaped = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: limit + 1])
    if len(text) > limit or len(escaped) > limit:
        return escaped[: max(limit - 3, 1)] + "..."
    return escaped


def names(items, limit=20) -> str:
    """``a, b, c, ... (n more)``: the first ``limit`` names, unquoted (each shortened)."""
    items = [shown(n, 100) for n in items]
    text = ", ".join(items[:limit])
    return text + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")


def quoted(items, limit=10) -> str:
    """``'a', 'b', ... (n more)``: the first ``limit`` names, quoted (each shortened)."""
    items = [f"'{shown(n, 100)}'" for n in items]
    text = ", ".join(items[:limit])
    return text + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")


def reprs(values, limit=10) -> str:
    """The ``repr`` of the first ``limit`` values, then how many more."""
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f", ... ({len(values) - limit} more)" if len(values) > limit else "")


def plural(n, word) -> str:
    """``"1 row"``, ``"2 rows"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def rows(indices, limit=SHOW_ROWS) -> str:
    """0-based row indices as 1-based data rows: ``"5, 18, 251, ..."``."""
    shown = ", ".join(str(int(r) + 1) for r in indices[:limit])
    return shown + (", ..." if len(indices) > limit else "")
