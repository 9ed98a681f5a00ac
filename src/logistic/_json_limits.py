"""Reading a JSON document from a path that may be anything: the limits that keep a bad
file from hanging, exhausting memory or escaping as a traceback, and the digest of values.

The reader takes regular files only (a FIFO would block, ``/dev/zero`` never ends) of at
most :data:`MAX_BYTES`; the parser refuses what Python's :mod:`json` would accept but the
library cannot use, each as one line naming the field (``'model.coef[3]'``):

- nesting deeper than :data:`MAX_DEPTH` (containers within containers);
- integers outside int64 (a 5,000-digit one is not even converted), numbers that overflow
  float64 (``1e400`` would become infinity), NaN and Infinity;
- a key given twice in one object (Python's json keeps the last silently);
- strings and keys longer than :data:`MAX_TEXT` characters.

Integers and constants that cannot be read are parsed as :class:`Unreadable` markers, and
:func:`check_tree` refuses them (and infinite floats) with their path, so the message names
the field instead of a position. Floats are parsed by :mod:`json` itself: a hook for each
would make reading a covariance block about twice as slow.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat

from .errors import ModelFileError

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_TEXT",
    "Unreadable",
    "check_tree",
    "parse_document",
    "path_text",
    "read_regular_file",
    "sha256_of",
]

#: The largest file read. The largest block a fit writes is the covariance of the most
#: parameters standard errors are computed for (5,000: 25e6 numbers of at most 34 bytes
#: each as ``save`` indents them, under 1 GiB); nothing larger is a model file.
MAX_BYTES = 1 << 30
#: The deepest nesting of containers; model files nest 5 levels (``training.cv.mean_score``).
MAX_DEPTH = 20
#: The longest string or key: a path, a feature name or a category, printed by ``summary``.
MAX_TEXT = 65_536
_INT64_DIGITS = 19
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_regular_file(path, *, limit: int = MAX_BYTES, what: str = "model file") -> bytes:
    """The bytes of ``path``, a regular file (or a link to one) of at most ``limit`` bytes.

    The file is opened without blocking (a FIFO opens at once) and its type and size are
    checked on the open descriptor before anything is read, so a FIFO, a device or a
    directory is refused at once and a file that grows while read stops at ``limit``.

    Raises
    ------
    ModelFileError
        Missing, unreadable, not a regular file, or larger than ``limit``.
    """
    where = f"{what} '{path}'"
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ModelFileError(f"{where} not found.") from None
    except IsADirectoryError:
        raise ModelFileError(f"{where} is a directory, not a {what}.") from None
    except OSError as exc:
        raise ModelFileError(f"cannot read {where}: {exc.strerror or exc}.") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = next((name for test, name in _KINDS if test(st.st_mode)), "a special file")
            if kind == "a directory":
                raise ModelFileError(f"{where} is a directory, not a {what}.")
            raise ModelFileError(
                f"{where} is not a regular file ({kind}); a {what} is a regular file."
            )
        if st.st_size > limit:
            raise ModelFileError(
                f"{where} is {st.st_size} bytes; {what}s are at most {limit} bytes."
            )
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as f:
        try:
            raw = f.read(limit + 1)
        except OSError as exc:
            raise ModelFileError(f"cannot read {where}: {exc.strerror or exc}.") from None
    if len(raw) > limit:
        raise ModelFileError(f"{where} grew past {limit} bytes while read; {what}s are smaller.")
    return raw


# -- parsing --------------------------------------------------------------------------------
class Unreadable:
    """A value the parser did not read (an integer beyond int64, 1e400, NaN ...): what it
    was, refused with its path by :func:`check_tree`."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def message(self, where: str) -> str:
        """One line: the field ``where`` and what a model file holds instead."""
        return f"{where} {self.text}"

    def __repr__(self) -> str:
        return f"<unreadable: {self.text}>"


class _Constant(Unreadable):
    """NaN, Infinity or -Infinity."""

    __slots__ = ()

    def message(self, where: str) -> str:
        return (
            f"contains {self.text} at {where}; model files hold only finite numbers (the "
            "file was edited or corrupted)."
        )


class _Duplicated(dict):
    """An object with a key given twice (the first such key in ``duplicate``)."""

    duplicate = None


def _int(s: str):
    """``parse_int``: int64 integers only (also spares ``int()`` a 5,000-digit string)."""
    digits = len(s) - (s[0] == "-")
    if digits <= _INT64_DIGITS:
        v = int(s)
        if _INT64_MIN <= v <= _INT64_MAX:
            return v
    return Unreadable(
        f"is an integer of {digits} digits, beyond int64; model files hold integers from "
        "-2^63 to 2^63 - 1."
    )


def _object(pairs):
    """``object_pairs_hook``: a dict, marked when a key appears twice."""
    d = dict(pairs)
    if len(d) == len(pairs):
        return d
    seen = set()
    for k, _ in pairs:
        if k in seen:
            break
        seen.add(k)
    out = _Duplicated(d)
    out.duplicate = k
    return out


def parse_document(raw: bytes, where: str):
    """The JSON value of ``raw`` (UTF-8), checked by :func:`check_tree`.

    ``where`` names the file in the messages (``"model file 'm.json'"``).

    Raises
    ------
    ModelFileError
        Not UTF-8, empty, not JSON (truncated is said so), nested too deep, or a value the
        limits refuse.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelFileError(f"{where} is not a JSON model file (not UTF-8 text).") from None
    if not text.strip():
        raise ModelFileError(f"{where} is empty.")
    try:
        doc = json.loads(
            text,
            object_pairs_hook=_object,
            parse_int=_int,
            parse_constant=_Constant,
        )
    except RecursionError:
        raise ModelFileError(
            f"{where} nests deeper than {MAX_DEPTH} levels, more than a model file does."
        ) from None
    except json.JSONDecodeError as exc:
        body = text.strip()
        if exc.pos >= len(text.rstrip()) or (body.startswith("{") and not body.endswith("}")):
            raise ModelFileError(
                f"{where} is truncated (the JSON stops at line {exc.lineno} before it is "
                "complete); re-save the model."
            ) from None
        raise ModelFileError(
            f"{where} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
        ) from None
    try:
        check_tree(doc)
    except ModelFileError as exc:
        raise ModelFileError(f"{where}: {exc}") from None
    return doc


def path_text(parts) -> str:
    """``"model.coef[3]"`` for the keys and indices ``("model", "coef", 3)``."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _where(link) -> str:
    """The quoted path of a ``(parent, key)`` link, "the top level" for the root."""
    parts = []
    while link:
        link, key = link
        parts.append(key)
    return f"'{path_text(reversed(parts))}'" if parts else "the top level"


_PLAIN = frozenset({int, float, bool, type(None)})
_NUMBERS = frozenset({int, float, bool})


def check_tree(doc) -> None:
    """Refuse what the parser marked, infinite numbers (an overflow such as ``1e400``),
    nesting deeper than :data:`MAX_DEPTH` and strings or keys longer than :data:`MAX_TEXT`,
    naming the path of the first one found.

    Iterative (no recursion however deep the document) and linear in its size; a list of
    plain numbers is checked in one pass over its types and one sum (finite only when every
    term is).
    """
    stack = [(doc, (), 1)]
    while stack:
        value, link, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ModelFileError(
                f"{_where(link)} nests deeper than {MAX_DEPTH} levels, more than a model file does."
            )
        if isinstance(value, dict):
            items = value.items()
            if isinstance(value, _Duplicated):
                raise ModelFileError(
                    f"{_where(link)} has the key {_short(value.duplicate)} twice; a model file "
                    "gives each key once."
                )
        else:
            types = set(map(type, value))
            if types <= _NUMBERS:
                total = sum(value)
                if total - total == 0:
                    continue
            elif types <= _PLAIN and float not in types:
                continue
            items = enumerate(value)
        for key, v in items:
            if type(key) is str and not key.isascii():
                _check_unicode(key, f"a key of {_where(link)}")
            if type(key) is str and len(key) > MAX_TEXT:
                raise ModelFileError(
                    f"{_where(link)} has a key of {len(key)} characters; model files hold "
                    f"keys of at most {MAX_TEXT}."
                )
            t = type(v)
            if t is float:
                if v - v != 0.0:  # inf - inf is NaN
                    raise ModelFileError(
                        f"{_where((link, key))} overflows float64 (a number beyond 1.8e308 "
                        "is written, read as infinity); model files hold finite numbers."
                    )
                continue
            if t in _PLAIN:
                continue
            if t is str:
                if len(v) > MAX_TEXT:
                    raise ModelFileError(
                        f"{_where((link, key))} is a string of {len(v)} characters; model "
                        f"files hold strings of at most {MAX_TEXT}."
                    )
                if not v.isascii():
                    _check_unicode(v, _where((link, key)))
            elif isinstance(v, Unreadable):
                raise ModelFileError(v.message(_where((link, key))))
            elif isinstance(v, dict | list):
                stack.append((v, (link, key), depth + 1))


def _check_unicode(v: str, where: str) -> None:
    """Refuse a string with a lone surrogate (JSON's ``"\\ud800"``): no encoding writes it,
    so printing it would fail."""
    try:
        v.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ModelFileError(
            f"{where} holds a lone surrogate ({v[exc.start]!r}), which no text encoding can "
            "write; model files hold Unicode text."
        ) from None


def _short(v, limit: int = 60) -> str:
    """``repr(v)``, cut to ``limit`` characters for a message."""
    text = repr(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def sha256_of(value) -> str:
    """The SHA-256 (hex) of ``value``'s canonical JSON: keys sorted, no spaces, ASCII, and
    numbers as Python writes them (``repr``, which reads back to the same double), so equal
    values give equal digests however the file was indented."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("ascii")).hexdigest()
