"""How CSV files are parsed: the options every reader uses, and what their errors mean.

Every CSV reader of the library (:func:`logistic._files.read_table`, ``read_schema`` and
``iter_batches``) builds its pyarrow options with :func:`reader_options`, so that a cell is
missing, a column typed and a delimiter chosen in one way only, and turns pyarrow's errors
into one-line :class:`~logistic.errors.DataError` messages with :func:`csv_error`, which
finds the data row that pyarrow does not name.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ._text import one_line
from .errors import DataError

__all__ = ["NULL_VALUES", "csv_block_size", "csv_error", "header_names", "reader_options"]

#: Cell texts read as missing in CSV files: pyarrow's defaults plus the UCI convention "?".
NULL_VALUES = [*pacsv.ConvertOptions().null_values, "?"]

# Bytes of CSV text per row and column, to turn a number of rows into a block size; the
# streaming reader infers types from its first block, so the same block size means the same
# types in every pass.
_CSV_BYTES_PER_CELL = 16
# Columns assumed when every column is read (their count is known only once a block is read).
_CSV_ALL_COLUMNS = 16
_CSV_MIN_BLOCK = 1 << 16
_CSV_MAX_BLOCK = 1 << 28


def csv_block_size(batch_size: int, n_columns: int | None = None) -> int:
    """Bytes of CSV text per block read for about ``batch_size`` rows of ``n_columns``.

    ``batch_size * n_columns * 16`` bytes (16 bytes per cell; ``n_columns`` None or 0: all
    columns, taken as 16), clamped to 64 KiB .. 256 MiB. pyarrow's streaming CSV reader
    yields one record batch per block and infers the column types from the first block, so
    every reader that uses this rule sees the same batches and types.
    """
    n = n_columns or _CSV_ALL_COLUMNS
    cells = int(batch_size) * max(1, int(n)) * _CSV_BYTES_PER_CELL
    return int(min(max(cells, _CSV_MIN_BLOCK), _CSV_MAX_BLOCK))


def reader_options(
    path: Path,
    column_types,
    *,
    use_threads=True,
    handler=None,
    block_size=None,
    include_columns=None,
    extra=None,
):
    """``(ReadOptions, ParseOptions, ConvertOptions)``: the options of every CSV reader.

    Parameters
    ----------
    path : pathlib.Path
        Its suffix chooses the delimiter: a tab for ``.tsv`` (compressed or not), else a
        comma.
    column_types : dict of {str: pyarrow.DataType}
        Types forced instead of pyarrow's inference.
    use_threads : bool, default=True
        False numbers the rows seen by ``handler`` (pyarrow numbers them single-threaded
        only).
    handler : callable or None, default=None
        pyarrow's ``invalid_row_handler``.
    block_size : int or None, default=None
        Bytes per block (see :func:`csv_block_size`); None keeps pyarrow's default.
    include_columns : sequence of str or None, default=None
        The columns to read, in order; None or empty: every column.
    extra : dict or None, default=None
        Further :class:`pyarrow.csv.ParseOptions` arguments, overriding the delimiter.

    Notes
    -----
    The conversion is the same for every reader: the cells in :data:`NULL_VALUES` are
    missing (null) in every column, text columns included (``strings_can_be_null``).
    """
    name = path.name.lower()
    for ext in (".gz", ".bz2", ".zst", ".lz4"):
        name = name.removesuffix(ext)
    parse_args = {"delimiter": "\t" if name.endswith(".tsv") else ","}
    parse_args.update(extra or {})
    if handler is not None:
        parse_args["invalid_row_handler"] = handler
    read = pacsv.ReadOptions(use_threads=use_threads)
    if block_size is not None:
        read.block_size = int(block_size)
    convert = pacsv.ConvertOptions(
        null_values=NULL_VALUES,
        strings_can_be_null=True,
        column_types=dict(column_types or {}),
    )
    if include_columns:
        convert.include_columns = list(include_columns)
    return read, pacsv.ParseOptions(**parse_args), convert


def csv_error(path: Path, exc, column_types, *, extra=None, in_file=False) -> DataError:
    """The DataError for a pyarrow error met reading the CSV file ``path``."""
    msg = one_line(exc)
    if isinstance(exc, pa.ArrowInvalid):
        if msg == "Empty CSV file":
            return DataError(f"data file '{path}' is empty; expected a header row and data rows.")
        if "CSV parse error" in msg:
            return DataError(_ragged_message(path, msg, extra))
        match = re.search(r"In CSV column #(\d+): .*?error to (\S+): invalid value '(.*)'", msg)
        # With forced types (or in a streamed read, whose types are fixed by the first
        # block) a cell that does not convert is a typo in the data: find its row.
        if match and (column_types or in_file):
            index, to_type, value = int(match.group(1)), match.group(2), match.group(3)
            return DataError(
                _conversion_message(path, index, to_type, value, extra, in_file=in_file)
            )
    return DataError(f"cannot read CSV file '{path}': {msg}.")


def header_names(path: Path, extra) -> list[str] | None:
    """The column names of a CSV file, or None when it cannot be read."""
    # Ragged rows are skipped: the header is wanted even from a file with a bad row.
    read, parse, convert = reader_options(path, {}, handler=lambda row: "skip", extra=extra)
    with contextlib.suppress(pa.ArrowException, OSError, UnicodeDecodeError):
        return pacsv.open_csv(
            path, read_options=read, parse_options=parse, convert_options=convert
        ).schema.names
    return None


def _ragged_message(path: Path, msg: str, extra=None) -> str:
    """pyarrow's parse error names the row's text but not its number: read again
    single-threaded with a handler that sees the row number (slow, but only on error),
    streaming and with every column as text, so that neither memory nor a type stops the
    search before the bad row."""
    found = []

    def handler(row):
        if not found:
            found.append(row)
        return "skip"

    types = {n: pa.string() for n in header_names(path, extra) or []}
    read, parse, convert = reader_options(
        path, types, use_threads=False, handler=handler, extra=extra
    )
    with contextlib.suppress(pa.ArrowException, OSError, UnicodeDecodeError):
        for _ in pacsv.open_csv(
            path, read_options=read, parse_options=parse, convert_options=convert
        ):
            if found:
                break
    if found and found[0].number is not None:
        row = found[0]
        text = row.text if len(row.text) <= 60 else row.text[:57] + "..."
        # pyarrow numbers records from 1 with the header as record 1.
        return (
            f"data file '{path}': data row {row.number - 1} (line {row.number} counting the "
            f"header) has {row.actual_columns} fields but the header has "
            f"{row.expected_columns}: '{text}'; every row must have one field per column."
        )
    return f"cannot parse CSV file '{path}': {msg}; every row must have one field per column."


def _conversion_message(
    path: Path, col_index: int, to_type: str, value: str, extra=None, *, in_file=False
) -> str:
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
    names = header_names(path, extra)
    if names is not None and 0 <= col_index < len(names):
        name = names[col_index]
        read, parse, convert = reader_options(
            path,
            {name: pa.string()},
            block_size=_CSV_MAX_BLOCK // 16,
            include_columns=[name],
            extra=extra,
        )
        with contextlib.suppress(pa.ArrowException, OSError, UnicodeDecodeError):
            start = 0
            for batch in pacsv.open_csv(
                path, read_options=read, parse_options=parse, convert_options=convert
            ):
                col = batch.column(0)
                rows = np.flatnonzero(np.asarray(pc.equal(col, value).fill_null(False)))
                if rows.size:
                    return (
                        f"{where}column '{name}' holds {holds} but data row "
                        f"{start + rows[0] + 1} has '{value}'; {accepts}."
                    )
                start += batch.num_rows
    return (
        f"data file '{path}': column #{col_index + 1} has the value '{value}', not "
        f"{'a number' if numeric else 'a ' + to_type}."
    )
