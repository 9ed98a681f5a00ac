"""The error boundary of every data-file reader: what the reader libraries raise, as one
line that names the file, the data row and the column.

Every reader (:func:`logistic._files.read_table`, ``read_schema``, ``iter_batches``, the
Dask reader of :mod:`logistic.training`) reads inside :func:`boundary`, which turns
pyarrow's, pandas', zlib's, gzip's and the codecs' errors into a
:class:`~logistic.errors.DataError` of one line: :func:`csv_error` for CSV files (a ragged
row, a cell that does not convert, a byte that is not UTF-8: their data row and column,
found by reading the file again, only on error), :func:`read_error` for every file (a
truncated or corrupt compressed file, memory, an unreadable path), :func:`check_text` for
Parquet text that is not UTF-8. Rows and columns are 1-based; the header is not a row.
The limits the readers keep are :mod:`logistic._read_limits`'.
"""

from __future__ import annotations

import contextlib
import re
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._csv import CsvDialect, as_dialect, detect_delimiter, open_reader
from ._read_limits import block_for_lines, compression, first_line, not_utf8
from ._text import one_line, shown
from .errors import DataError

__all__ = ["READ_ERRORS", "boundary", "check_text", "csv_error", "header_names", "read_error"]

#: What the reader libraries raise on a file they cannot read (a DataError passes through).
READ_ERRORS = (pa.ArrowException, OSError, UnicodeError, EOFError, zlib.error, MemoryError)
# Blocks of a search for the row of a cell that does not convert.
_SEARCH_BLOCK = 1 << 24


@contextlib.contextmanager
def boundary(path, kind: str = "CSV", *, also=(), **csv):
    """Read ``path`` (a ``kind`` file: ``"CSV"`` or ``"Parquet"``) inside the boundary: the
    errors of :data:`READ_ERRORS` (and of ``also``) leave it as one DataError, from
    :func:`csv_error` (given its keyword arguments ``csv``) for CSV, else
    :func:`read_error`."""
    try:
        yield
    except DataError:
        raise
    except (*READ_ERRORS, *also) as exc:
        if kind == "CSV":
            raise csv_error(path, exc, csv.pop("column_types", None), **csv) from exc
        raise read_error(path, exc, kind) from exc


def read_error(path, exc, kind: str = "CSV", *, encoding: str = "utf-8") -> DataError:
    """The one-line DataError for ``exc``, met reading the ``kind`` file ``path``, when no
    more precise message (a row, a column) applies; a DataError is returned as it is."""
    if isinstance(exc, DataError):
        return exc
    if isinstance(exc, UnicodeDecodeError):
        return DataError(
            f"data file '{path}' is not valid {encoding} ({exc.reason}, byte "
            f"0x{exc.object[exc.start]:02x}); give its encoding, e.g. encoding='latin-1'."
        )
    if isinstance(exc, UnicodeError):
        return DataError(f"data file '{path}' is not valid {encoding} text: {shown(exc, 120)}.")
    msg = shown(one_line(exc), 200)
    if isinstance(exc, MemoryError | pa.ArrowMemoryError):
        return DataError(
            f"data file '{path}' does not fit in memory ({msg or 'out of memory'}); stream it "
            "(--stream, StreamSource) or read fewer columns."
        )
    packed = compression(path)
    if packed is not None and (
        isinstance(exc, EOFError | zlib.error)
        or (isinstance(exc, OSError) and not isinstance(exc, pa.ArrowException) and not exc.errno)
        or re.search(r"gzip|zlib|bz2|lz4|zstd|compress|inflate|end of stream|truncat", msg, re.I)
    ):
        return DataError(
            f"data file '{path}' is not a valid {packed} file ({msg}); it may be truncated "
            "or corrupt: compress it again."
        )
    if isinstance(exc, OSError) and not isinstance(exc, pa.ArrowException) and exc.strerror:
        return DataError(f"cannot read data file '{path}': {exc.strerror}.")
    return DataError(f"cannot read {kind} file '{path}': {msg}.")


def csv_error(
    path: Path, exc, column_types, *, extra=None, in_file=False, dialect=None
) -> DataError:
    """The DataError for an error met reading the CSV file ``path``: a ragged row, a cell
    that does not convert or a byte that is not UTF-8 with its data row and column, a line
    beyond the limit, else :func:`logistic._read_errors.read_error`'s message."""
    msg, dialect = one_line(exc), as_dialect(dialect)
    options = {"extra": extra, "dialect": dialect}
    try:
        if dialect.is_utf8 and (isinstance(exc, UnicodeError) or "invalid UTF8" in msg):
            sep = (extra or {}).get("delimiter") or detect_delimiter(path, dialect)
            if (found := not_utf8(path, sep=sep)) is not None:
                return found
        if isinstance(exc, UnicodeError | DataError):
            return read_error(path, exc, encoding=dialect.encoding)
        if "invalid UTF8" in msg:
            return DataError(f"data file '{path}' is not valid UTF-8: {shown(msg, 200)}.")
        if isinstance(exc, pa.ArrowInvalid):
            if "Empty CSV file" in msg:
                header = first_line(path).strip()  # a header without a line end
                what = (
                    f"has a header ({shown(header, 100)}) but no data rows"
                    if header
                    else ("is empty")
                )
                return DataError(f"data file '{path}' {what}; expected a header row and data rows.")
            if "straddling object" in msg:
                block_for_lines(path, None)  # a line beyond the limit names its row
            if "CSV parse error" in msg:
                return DataError(_ragged_message(path, msg, options))
            match = re.search(r"In CSV column #(\d+): .*?error to (\S+): invalid value '(.*)'", msg)
            # With forced types (or in a streamed read, whose types are fixed by the first
            # block) a cell that does not convert is a typo in the data: find its row.
            if match and (column_types or in_file):
                index, to_type, value = int(match.group(1)), match.group(2), match.group(3)
                return DataError(_conversion_message(path, index, to_type, value, options, in_file))
    except DataError as found:  # a limit met while looking for the row
        return found
    except READ_ERRORS as found:  # the file cannot be read again: that is what to say
        return read_error(path, found, encoding=dialect.encoding)
    return read_error(path, exc)


def header_names(path: Path, extra, dialect=None) -> list[str] | None:
    """The column names of a CSV file, or None when it cannot be read."""
    # Ragged rows are skipped: the header is wanted even from a file with a bad row.
    with contextlib.suppress(*_SEARCH_ERRORS):
        reader = open_reader(path, {}, handler=lambda row: "skip", extra=extra, dialect=dialect)
        with contextlib.closing(reader):
            return reader.schema.names
    return None


# What the searches for a bad row let pass: they look again at a file already refused.
_SEARCH_ERRORS = READ_ERRORS


def _searching(path: Path, options) -> dict:
    """The options of a search for a bad row: blocks that hold every line, and for UTF-8
    text the bytes read as Latin-1, so that a row that is not UTF-8 still reaches the
    handler (its delimiters and quotes are the same bytes)."""
    dialect = options["dialect"]
    if dialect.is_utf8:
        dialect = CsvDialect(dialect.sep, dialect.decimal, dialect.thousands, "latin-1")
    return {**options, "dialect": dialect, "block_size": block_for_lines(path, None)}


def _ragged_message(path: Path, msg: str, options) -> str:
    """pyarrow's parse error names the row's text but not its number: read again
    single-threaded with a handler that sees the row number (slow, but only on error),
    streaming and with every column as text, so that neither memory nor a type stops the
    search before the bad row."""
    found = []

    def handler(row):
        if not found:
            found.append(row)
        return "skip"

    search = _searching(path, options)
    names = header_names(path, search["extra"], search["dialect"]) or []
    with contextlib.suppress(*_SEARCH_ERRORS):
        reader = open_reader(
            path, dict.fromkeys(names, pa.string()), use_threads=False, handler=handler, **search
        )
        with contextlib.closing(reader):
            for _ in reader:
                if found:
                    break
    if found and found[0].number is not None:
        row = found[0]
        text = row.text
        if options["dialect"].is_utf8:  # read as Latin-1 above: the bytes themselves
            text = text.encode("latin-1").decode("utf-8", errors="backslashreplace")
        # pyarrow numbers records from 1 with the header as record 1.
        return (
            f"data file '{path}': data row {row.number - 1} (line {row.number} counting the "
            f"header) has {row.actual_columns} fields but the header has "
            f"{row.expected_columns}: '{shown(text)}'; every row must have one field per "
            "column."
        )
    return (
        f"cannot parse CSV file '{path}': {shown(msg, 200)}; every row must have one field "
        "per column."
    )


def _conversion_message(path: Path, col_index, to_type, value, options, in_file) -> str:
    """The message for a cell that did not convert to its column's type, with its data row
    (pyarrow does not say): the file is read again in blocks with that column as text."""
    where = f"data file '{path}': " if in_file else ""
    numeric = to_type.startswith(("int", "uint", "float", "double", "halffloat", "decimal"))
    holds = "numbers" if numeric else f"{to_type} values"
    accepts = (
        "numeric columns accept numbers, or empty/NA for a missing value"
        if numeric
        else "a column must hold one kind of value in every row"
    )
    if to_type == "int64" and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        holds = "integers (int64, as typed from its first rows)"
        accepts = (
            "it is beyond int64: a streamed read types integers beyond int64 (uint64 or "
            "float64) only when its first block holds one; force the column's type "
            "(column_types, e.g. pa.float64() or pa.string()) or read the file whole"
        )
    names = header_names(path, **options)
    if names is not None and 0 <= col_index < len(names):
        name = names[col_index]
        block = max(_SEARCH_BLOCK, block_for_lines(path, None))
        with contextlib.suppress(*_SEARCH_ERRORS):
            reader = open_reader(
                path, {name: pa.string()}, block_size=block, include_columns=[name], **options
            )
            with contextlib.closing(reader):
                start = 0
                for batch in reader:
                    col = batch.column(0)
                    rows = np.flatnonzero(np.asarray(pc.equal(col, value).fill_null(False)))
                    if rows.size:
                        return (
                            f"{where}column '{shown(name)}' holds {holds} but data row "
                            f"{start + rows[0] + 1} has '{shown(value)}'; {accepts}."
                        )
                    start += batch.num_rows
    return (
        f"data file '{path}': column #{col_index + 1} has the value '{shown(value)}', not "
        f"{'a number' if numeric else 'a ' + to_type}."
    )


def check_text(path, data, offset: int = 0) -> None:
    """Refuse a Parquet table or batch whose text columns hold bytes that are not UTF-8,
    naming the column and the data row (``offset`` rows before ``data``)."""
    for i, field in enumerate(data.schema):
        if _holds_text(field.type):
            try:
                data.column(i).validate(full=True)
            except pa.ArrowInvalid as exc:
                row = _bad_row(data.column(i), str(exc))
                at = "" if row is None else f" in data row {offset + row + 1}"
                raise DataError(
                    f"data file '{path}': column '{shown(field.name)}' has text that is not "
                    f"valid UTF-8{at}; Parquet text columns must be UTF-8 (write the column "
                    "as binary, or re-encode it)."
                ) from None


def _holds_text(t) -> bool:
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return True
    if pa.types.is_dictionary(t):
        return _holds_text(t.value_type)
    return any(_holds_text(t.field(k).type) for k in range(t.num_fields))


def _bad_row(col, msg: str) -> int | None:
    """The 0-based row of the value named by pyarrow's validation message, when it is a
    plain or dictionary-encoded text column."""
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    match = re.search(r"(?:In chunk (\d+): )?.*string index (\d+)", msg)
    if match is None:
        return None
    k, index = int(match.group(1) or 0), int(match.group(2))
    before = sum(len(c) for c in chunks[:k])
    chunk = chunks[k] if k < len(chunks) else None
    if chunk is not None and pa.types.is_dictionary(chunk.type):
        rows = np.flatnonzero(np.asarray(chunk.indices.to_numpy(zero_copy_only=False)) == index)
        return before + int(rows[0]) if rows.size else None
    return before + index if chunk is not None and _holds_text(chunk.type) else None
