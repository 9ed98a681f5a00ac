"""The limits of every data-file reader, and the scans of a file they rest on.

Every reader of data files (:mod:`logistic._csv`, :mod:`logistic._files`) opens a file with
:func:`open_input`, and the error boundary (:mod:`logistic._read_errors`) names rows and
columns with the scans here. The limits (:class:`ReadLimits`, read from the environment by
:func:`read_limits`) keep a reader from running out of memory or time on a file that is not
what it seems:

- a CSV line longer than ``max_line_bytes`` (the reader's block grows to hold the longest
  line, :func:`block_for_lines`, up to that size);
- more than ``max_columns`` columns in a header or a Parquet schema (:func:`check_columns`);
- a compressed file that decompresses to more than ``max(ratio_floor, max_ratio * size)``
  bytes (a compression bomb), counted while it is read; for Parquet, the uncompressed size
  its metadata declares (:func:`open_parquet`).

Each limit's message says the value found, the limit and the environment variable that
raises it.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import csv
import gzip
import os
import stat
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ._text import shown
from .errors import DataError, InvalidParameterError

__all__ = [
    "LIMIT_VARIABLES",
    "ReadLimits",
    "block_for_lines",
    "block_holding",
    "check_columns",
    "check_regular_file",
    "compression",
    "first_line",
    "head",
    "is_block_error",
    "not_utf8",
    "open_input",
    "open_parquet",
    "read_limits",
    "split_header",
]

_MAGIC = ((b"\x1f\x8b", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"), (b"\x04\x22\x4d\x18", "lz4"))
_CHUNK = 1 << 20
# The part of a line kept while scanning for a bad byte, to tell its column.
_LINE_HEAD = 1 << 20
_MiB = 1 << 20


#: The environment variable of each limit of :class:`ReadLimits`.
LIMIT_VARIABLES = {
    "max_line_bytes": "LOGISTIC_MAX_LINE_BYTES",
    "max_columns": "LOGISTIC_MAX_COLUMNS",
    "max_ratio": "LOGISTIC_MAX_DECOMPRESSION_RATIO",
    "ratio_floor": "LOGISTIC_DECOMPRESSION_FLOOR",
}


@dataclass(frozen=True)
class ReadLimits:
    """The limits of every data-file reader.

    Parameters
    ----------
    max_line_bytes : int, default=64 MiB
        The longest CSV line (a row, or the header) read, in bytes of decompressed text; the
        reader's block grows to twice the longest line when a line does not fit in it. At
        most 1 GiB (pyarrow's blocks are at most 2 GiB).
    max_columns : int, default=100000
        The most columns a CSV header or a Parquet schema may have.
    max_ratio : float, default=500
        A compressed CSV file may decompress to at most ``max_ratio`` times its size ...
    ratio_floor : int, default=256 MiB
        ... or to ``ratio_floor`` bytes, whichever is larger; the same bound applies to the
        uncompressed size a Parquet file's metadata declares.

    Each is read from an environment variable by :func:`read_limits`
    (:data:`LIMIT_VARIABLES`).
    """

    max_line_bytes: int = 64 * _MiB
    max_columns: int = 100_000
    max_ratio: float = 500.0
    ratio_floor: int = 256 * _MiB

    def decompressed_cap(self, packed: int) -> float:
        """The most bytes a compressed file of ``packed`` bytes may decompress to."""
        return max(float(self.ratio_floor), self.max_ratio * packed)


def read_limits() -> ReadLimits:
    """The :class:`ReadLimits` of the environment (the defaults where a variable is unset).

    Raises
    ------
    InvalidParameterError
        A variable is set to something other than a positive number (``max_line_bytes``
        at most 1 GiB).
    """
    values = {}
    for field in fields(ReadLimits):
        name = LIMIT_VARIABLES[field.name]
        text = os.environ.get(name)
        if text is None or not text.strip():
            continue
        kind = float if field.name == "max_ratio" else int
        try:
            value = kind(text.strip())
        except ValueError:
            value = None
        top = 1 << 30 if field.name == "max_line_bytes" else float("inf")
        if value is None or not 0 < value <= top:
            bound = " up to 1073741824 (1 GiB)" if field.name == "max_line_bytes" else ""
            raise InvalidParameterError(
                f"the environment variable {name}={text!r} is not accepted; it accepts a "
                f"positive {'number' if kind is float else 'integer'}{bound}."
            )
        values[field.name] = value
    return ReadLimits(**values)


def _size(n: float) -> str:
    """``"3.0 MiB"``: a number of bytes for a message."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", _MiB), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} bytes"


# -- opening a file -----------------------------------------------------------------------
def check_regular_file(path) -> None:
    """Refuse a path that is not a regular file (a FIFO would block, a device never end)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise DataError(f"cannot read data file '{path}': {exc.strerror or exc}.") from None
    if stat.S_ISDIR(mode):
        raise DataError(
            f"data file '{path}' is a directory; expected a CSV or Parquet file (a directory "
            "of files is read with --stream or --scheduler)."
        )
    if not stat.S_ISREG(mode):
        raise DataError(
            f"data file '{path}' is not a regular file (a FIFO, socket or device); "
            "expected a CSV or Parquet file: copy the data to a file first."
        )


def head(path, n: int = 4) -> bytes:
    """The first ``n`` bytes of a regular file; ``b""`` for anything else (never opened: a
    FIFO would block) or a file that cannot be read."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return b""
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def compression(path) -> str | None:
    """The compression of a file told by its first bytes (``"gzip"``, ``"bz2"``, ``"zstd"``,
    ``"lz4"``) whatever its name, or None: not compressed, or not readable."""
    head_ = head(path)
    if head_[:3] == b"BZh" and head_[3:4].isdigit():
        return "bz2"
    return next((kind for magic, kind in _MAGIC if head_.startswith(magic)), None)


class _Decompressed:
    """A decompressed input stream that counts its bytes and refuses to give more than the
    limits allow (:meth:`ReadLimits.decompressed_cap`), a file object for pyarrow."""

    def __init__(self, path, kind: str, limits: ReadLimits):
        self.path, self.kind, self.limits = path, kind, limits
        self.packed = os.stat(path).st_size
        self.cap = limits.decompressed_cap(self.packed)
        self.count = 0
        # gzip and bz2 by the standard library, which tells a truncated or corrupt stream
        # (EOFError, BadGzipFile) where pyarrow's decoder may end it quietly
        opener = {"gzip": gzip.open, "bz2": bz2.open}.get(kind)
        self._f = opener(path, "rb") if opener else pa.input_stream(str(path), compression=kind)

    def read(self, n=-1) -> bytes:
        if n is None or n < 0:
            return b"".join(iter(lambda: self.read(_CHUNK), b""))
        data = self._f.read(min(int(n), int(self.cap - self.count) + 1))
        self.count += len(data)
        if self.count > self.cap:
            env = LIMIT_VARIABLES["max_ratio"]
            raise DataError(
                f"data file '{self.path}' ({self.kind}, {_size(self.packed)}) decompresses to "
                f"more than {_size(self.cap)}, over {self.limits.max_ratio:g} times its size: "
                "a compression bomb, or text too repetitive to read safely; decompress it "
                f"yourself if it is what you meant, or raise {env} (now "
                f"{self.limits.max_ratio:g})."
            )
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.count

    @property
    def closed(self) -> bool:
        return self._f.closed

    def close(self) -> None:
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_input(path, limits: ReadLimits | None = None):
    """The file as an input stream for pyarrow, decompressed as :func:`compression` tells
    (then counted against ``limits``, default :func:`read_limits`)."""
    kind = compression(path)
    if kind is None:
        return pa.input_stream(str(path))
    return _Decompressed(path, kind, limits or read_limits())


def _chunks(path, limit=None):
    """The decompressed bytes of ``path`` in chunks (the first ``limit`` bytes; None:
    all)."""
    read = 0
    with open_input(path) as f:
        while limit is None or read < limit:
            chunk = f.read(_CHUNK if limit is None else min(_CHUNK, limit - read))
            if not chunk:
                return
            read += len(chunk)
            yield chunk


# -- lines and the header -----------------------------------------------------------------
def first_line(path, limits: ReadLimits | None = None) -> bytes:
    """The first line of the file that is not empty (pyarrow skips empty lines), without
    its line end; ``b""`` for a file without one.

    Raises
    ------
    DataError
        The line is longer than ``limits.max_line_bytes``.
    """
    limits = limits or read_limits()
    parts, length, number = [], 0, 1
    for chunk in _chunks(path):
        if not parts:  # the empty lines before the header
            stripped = chunk.lstrip(b"\r\n")
            number += chunk.count(b"\n", 0, len(chunk) - len(stripped))
            chunk = stripped
        end = chunk.find(b"\n")
        if end >= 0:
            parts.append(chunk[:end])
            return b"".join(parts).rstrip(b"\r")
        if chunk:
            parts.append(chunk)
            length += len(chunk)
        if length > limits.max_line_bytes:
            raise _line_too_long(path, number, length, limits, header=True)
    return b"".join(parts).rstrip(b"\r")


def _line_too_long(path, line, length, limits, *, header=False) -> DataError:
    header = header or line == 1
    where = f"the header (line {line})" if header else f"data row {line - 1} (line {line})"
    env = LIMIT_VARIABLES["max_line_bytes"]
    return DataError(
        f"data file '{path}': {where} is longer than {_size(limits.max_line_bytes)}, the "
        "longest line read (a cell this long is rarely data: a quote left open, a binary "
        f"file); fix the file, or raise {env} (now {limits.max_line_bytes})."
    )


_LONGEST: dict = {}


def _longest_line(path, limits: ReadLimits) -> tuple[int, int]:
    """``(length, line)``: the longest line of the file (1-based), or the first longer than
    the limit; remembered for the file as it is (its size and modification time)."""
    st = os.stat(path)
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns, limits.max_line_bytes)
    if key in _LONGEST:
        return _LONGEST[key]
    best, best_line, current, lines = 0, 1, 0, 0
    for chunk in _chunks(path):
        ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
        if ends.size:
            lengths = np.diff(ends, prepend=-1)
            lengths[0] += current
            k = int(np.argmax(lengths))
            if lengths[k] > best:
                best, best_line = int(lengths[k]), lines + k + 1
            current = len(chunk) - int(ends[-1]) - 1
            lines += int(ends.size)
        else:
            current += len(chunk)
        if current > best:
            best, best_line = current, lines + 1
        if best > limits.max_line_bytes:
            break
    if len(_LONGEST) > 64:
        _LONGEST.clear()
    _LONGEST[key] = (best, best_line)
    return best, best_line


def is_block_error(exc) -> bool:
    """Whether pyarrow failed because a line does not fit in its block."""
    msg = str(exc)
    return isinstance(exc, pa.ArrowInvalid) and (
        "straddling object" in msg or "Empty CSV file or block" in msg
    )


def block_for_lines(path, block: int | None, limits: ReadLimits | None = None) -> int:
    """A block size (bytes) that holds every line of the file: at least ``block``
    (None: pyarrow's default, 1 MiB), and twice the longest line.

    Raises
    ------
    DataError
        A line is longer than ``limits.max_line_bytes`` (the message names its row).
    """
    limits = limits or read_limits()
    longest, line = _longest_line(path, limits)
    if longest > limits.max_line_bytes:
        raise _line_too_long(path, line, longest, limits)
    return block_holding(longest, block)


def block_holding(length: int, block: int | None = None) -> int:
    """``block`` (None: pyarrow's default, 1 MiB) when it holds twice a line of ``length``
    bytes, else the smallest power of two that does (below pyarrow's 2 GiB)."""
    block, size = int(block or _MiB), 2 * int(length) + 2
    if block >= size:
        return block
    return int(min(1 << int(np.ceil(np.log2(size))), (1 << 31) - 1))


def check_columns(path, count: int, limits: ReadLimits | None = None) -> None:
    """Refuse a file with more than ``limits.max_columns`` columns, giving the count."""
    limits = limits or read_limits()
    if count > limits.max_columns:
        env = LIMIT_VARIABLES["max_columns"]
        raise DataError(
            f"data file '{path}' has {count} columns; at most {limits.max_columns} are read: "
            f"keep the columns you need in a smaller file, or raise {env} (now "
            f"{limits.max_columns})."
        )


def split_header(line: bytes, sep: str, encoding: str = "utf-8") -> list[str]:
    """The fields of a header line (quotes respected; bytes that do not decode replaced)."""
    text = line.decode(encoding, errors="replace").lstrip("\ufeff")
    with contextlib.suppress(csv.Error):
        return next(csv.reader([text], delimiter=sep), [])
    return text.split(sep)


# -- text that is not UTF-8 ---------------------------------------------------------------
def not_utf8(path, limit=None, *, sep=None) -> DataError | None:
    """The DataError for the first byte that is not UTF-8 (in the first ``limit`` bytes
    decompressed; None: the whole file), naming its line, data row and (given the
    delimiter ``sep``) column, or None when there is none."""
    tail, lines, read, head = b"", 0, 0, b""
    with contextlib.suppress(OSError, pa.ArrowException):
        chunks = _chunks(path, limit)
        while True:
            chunk = next(chunks, b"")
            read += len(chunk)
            if not chunk and limit is not None and read >= limit:
                return None  # a character cut at the limit is no error
            buf = tail + chunk
            try:
                _, used = codecs.utf_8_decode(buf, "strict", not chunk)
            except UnicodeDecodeError as exc:
                before = buf.count(b"\n", 0, exc.start)
                start = buf.rfind(b"\n", 0, exc.start) + 1
                prefix = (head if before == 0 else b"") + buf[start : exc.start]
                bom = read == len(chunk) and buf[:2] in (b"\xff\xfe", b"\xfe\xff")
                return _utf8_error(path, lines + before + 1, buf[exc.start], prefix, sep, bom)
            done = buf[:used]
            newline = done.rfind(b"\n")
            head = (done[newline + 1 :] if newline >= 0 else head + done)[:_LINE_HEAD]
            lines += done.count(b"\n")
            tail = buf[used:]
            if not chunk:
                return None
    return None


def _utf8_error(path, line, byte, prefix, sep, bom) -> DataError:
    where = "the header" if line == 1 else f"data row {line - 1}"
    if sep is not None and len(prefix) < _LINE_HEAD:
        column = len(split_header(prefix, sep))
        name = None
        if line > 1:
            with contextlib.suppress(DataError, OSError, pa.ArrowException):
                names = split_header(first_line(path), sep)
                name = names[column - 1] if column <= len(names) else None
        where += f", column '{shown(name)}'" if name else f", column #{column}"
    enc = "utf-16" if bom else "latin-1"
    return DataError(
        f"data file '{path}' ({where}) is not valid UTF-8 (byte 0x{byte:02x} on line {line}); "
        f"give its encoding, e.g. encoding='{enc}'."
    )


def open_parquet(path, limits: ReadLimits | None = None, **options) -> pq.ParquetFile:
    """The Parquet file, its column count and declared uncompressed size checked against
    ``limits`` before anything is decoded."""
    limits = limits or read_limits()
    pf = pq.ParquetFile(path, **options)
    meta = pf.metadata
    check_columns(path, meta.num_columns, limits)
    declared = sum(meta.row_group(g).total_byte_size for g in range(meta.num_row_groups))
    packed = os.stat(path).st_size
    if declared > limits.decompressed_cap(packed):
        env = LIMIT_VARIABLES["max_ratio"]
        raise DataError(
            f"data file '{path}' ({_size(packed)}) declares {_size(declared)} of uncompressed "
            f"data, over {limits.max_ratio:g} times its size: a compression bomb, or data too "
            f"repetitive to read safely; raise {env} (now {limits.max_ratio:g}) if it is what "
            "you meant."
        )
    return pf
