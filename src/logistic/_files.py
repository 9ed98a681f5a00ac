"""Data files, found and read: the one place where paths are expanded and files opened.

Every reader of the library (a whole table in memory, the streamed passes of the command
line, :class:`logistic.sources.StreamSource`) goes through these functions, so that they all
accept the same files, take the same format for them, and see the same missing values and
column types (the CSV options themselves are :mod:`logistic._csv`'s):

- :func:`expand_paths`: a path, a glob, a directory or a list of them -> the files, in order;
- :func:`file_format` / :func:`infer_format`: ``"parquet"`` when the file starts with
  Parquet's magic bytes ``PAR1``, else by its suffix, else ``"csv"`` for a compressed file;
  an explicit ``file_format`` overrides both;
- :func:`read_table`: a whole file as a pyarrow Table;
- :func:`read_schema` and :func:`iter_batches`: a file's columns, and record batches of
  files streamed one after the other (memory: one batch).

Formats. Parquet: ``.parquet``, ``.pq``, ``.parq``. CSV: ``.csv``, ``.tsv``, ``.txt``, each
optionally compressed (gzip, bz2, zstd, lz4: told by the file's first bytes, whatever its
name). How CSV text is written (delimiter, detected by default; decimal mark; thousands
separator; encoding) is a :class:`CsvDialect`, the same for every reader (docs/reading.md).
CSV cells listed in :data:`NULL_VALUES` (empty, ``NA``, ``NaN``, ``null``, ``?`` ...) are
missing values, in text columns too; a column without a name and without values (a
delimiter at the end of every line) is ignored.

Every mistake raises :class:`logistic.errors.DataError` (a ``ValueError``) with a one-line
message that names the file and, where it can, the column and the data row (1-based, the
header is not a row): every read is inside :func:`logistic._read_errors.boundary`, and
keeps the limits of :mod:`logistic._read_limits` (line length, column count, decompressed
size).
"""

from __future__ import annotations

import contextlib
import glob
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from ._csv import (
    NULL_VALUES,
    ColumnRules,
    CsvDialect,
    as_dialect,
    csv_block_size,
    detect_delimiter,
    stream_csv,
    whole_csv,
)
from ._read_errors import boundary, check_text, header_names
from ._read_limits import check_regular_file, compression, head, open_parquet
from ._text import names as _names
from ._text import quoted as _quoted
from .errors import DataError, InvalidParameterError

__all__ = [
    "CSV_SUFFIXES",
    "FILE_FORMATS",
    "NULL_VALUES",
    "PARQUET_SUFFIXES",
    "CsvDialect",
    "csv_block_size",
    "detect_delimiter",
    "expand_paths",
    "file_format",
    "infer_format",
    "iter_batches",
    "read_schema",
    "read_table",
]

#: The formats a data file can have.
FILE_FORMATS = ("parquet", "csv")
#: Suffixes of Parquet files.
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
#: Suffixes of CSV files, each optionally followed by one of :data:`_COMPRESSIONS`.
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_COMPRESSIONS = (".gz", ".bz2", ".zst", ".lz4")

_FILE_KINDS = (
    "CSV (.csv, .tsv, .txt, optionally compressed: .gz, .bz2, .zst, .lz4) or Parquet "
    "(.parquet, .pq, .parq)"
)
_PARQUET_MAGIC = b"PAR1"
# Read buffer per Parquet column stream: pages are read through it instead of loading a
# whole (compressed) column chunk, so memory does not grow with the row-group size.
_PARQUET_BUFFER = 1 << 16


# -- finding files ------------------------------------------------------------------------
def expand_paths(paths, *, file_format=None) -> list[Path]:
    """The data files named by ``paths``, in the order in which they are read.

    Parameters
    ----------
    paths : str, os.PathLike or iterable of them
        Each item is a file; a glob (a string with ``*``, ``?`` or ``[``; ``**`` recurses)
        whose matches are sorted and each expanded as a path; or a directory, meaning every
        Parquet or CSV file directly in it (told by the suffix), sorted by name. Items are
        expanded in the given order; a file named twice is read twice.
    file_format : {"parquet", "csv"} or None, default=None
        The format of every file; None infers each file's (see :func:`file_format`), and
        the files must then all have one format.

    Returns
    -------
    list of pathlib.Path
        At least one file.

    Raises
    ------
    DataError
        A file does not exist, a glob matches nothing, a directory holds no data file, a
        file's format cannot be told, or the files mix Parquet and CSV.
    InvalidParameterError
        ``paths`` is not a path or an iterable of paths, or ``file_format`` is not
        accepted.
    """
    if isinstance(paths, str | os.PathLike):
        items: Iterable = [paths]
    else:
        try:
            items = list(paths)
        except TypeError:
            raise InvalidParameterError(
                f"paths={paths!r} is not accepted; paths accepts a file, a glob, a directory "
                "or a list of them."
            ) from None
    files: list[Path] = []
    for item in items:
        try:
            text = os.fspath(item)
        except TypeError:
            raise InvalidParameterError(
                f"paths has the item {item!r}; paths accepts a file, a glob, a directory or a "
                "list of them (str or os.PathLike)."
            ) from None
        if any(ch in text for ch in "*?["):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise DataError(f"the glob '{text}' matches no file; expected {_FILE_KINDS}.")
            for match in matches:
                files.extend(_expand_one(Path(match)))
        else:
            files.extend(_expand_one(Path(text)))
    if not files:
        raise DataError(
            "paths names no file; it accepts a file, a glob, a directory or a list of them."
        )
    infer_format(files, file_format)
    return files


def _expand_one(path: Path) -> list[Path]:
    """A path that is not a glob: itself, or the data files of a directory."""
    if path.is_dir():
        inside = sorted(p for p in path.iterdir() if p.is_file() and _by_suffix(p) is not None)
        if not inside:
            raise DataError(
                f"the directory '{path}' holds no Parquet or CSV file; expected {_FILE_KINDS}."
            )
        return inside
    if not path.exists():
        raise DataError(
            f"data file '{path}' not found (the path does not exist); expected {_FILE_KINDS}."
        )
    check_regular_file(path)
    return [path]


def file_format(path) -> str:
    """The format of a data file: ``"parquet"`` or ``"csv"``.

    A file that starts with Parquet's magic bytes ``PAR1`` is Parquet whatever its name;
    otherwise (or when it cannot be opened) the suffix tells: ``.parquet``, ``.pq``,
    ``.parq`` are Parquet; ``.csv``, ``.tsv``, ``.txt``, optionally ``.gz``, ``.bz2``,
    ``.zst`` or ``.lz4`` compressed, are CSV; else a compressed file (gzip, bz2, zstd or
    lz4 by its first bytes, e.g. gzip's ``1f 8b``) is CSV.

    Raises
    ------
    DataError
        The file is not Parquet, not compressed, and its suffix is none of these.
    """
    path = Path(path)
    if _starts_with_magic(path):
        return "parquet"
    kind = _by_suffix(path) or ("csv" if compression(path) else None)
    if kind is None:
        raise DataError(
            f"cannot tell the format of '{path}': it is not Parquet (no 'PAR1' header) and its "
            f"suffix is not one of {_FILE_KINDS}; rename it, or pass file_format='parquet' "
            "or 'csv'."
        )
    return kind


# For the functions whose ``file_format`` parameter hides the function.
_detect = file_format


def _starts_with_magic(path: Path) -> bool:
    """Whether the file begins with Parquet's magic bytes (False when it cannot be read)."""
    return head(path) == _PARQUET_MAGIC


def _by_suffix(path: Path) -> str | None:
    """The format told by the suffix alone, or None for a suffix of neither format."""
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    for ext in _COMPRESSIONS:
        name = name.removesuffix(ext)
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    return None


def infer_format(files, file_format=None) -> str:
    """The one format of ``files``: ``file_format`` itself when given, else inferred.

    Parameters
    ----------
    files : iterable of str or os.PathLike
    file_format : {"parquet", "csv"} or None, default=None

    Raises
    ------
    DataError
        There are no files, a file's format cannot be told (see :func:`file_format`), or
        the files mix Parquet and CSV.
    InvalidParameterError
        ``file_format`` is not accepted.
    """
    if file_format is not None:
        if file_format not in FILE_FORMATS:
            raise InvalidParameterError(
                f"file_format={file_format!r} is not accepted; file_format accepts 'parquet', "
                "'csv' or None (inferred from each file)."
            )
        return file_format
    first: dict[str, Path] = {}
    for f in map(Path, files):
        first.setdefault(_detect(f), f)
    if not first:
        raise DataError("no data files; expected at least one Parquet or CSV file.")
    if len(first) > 1:
        raise DataError(
            f"the files mix Parquet ('{first['parquet']}') and CSV ('{first['csv']}'); "
            "stream one format at a time."
        )
    return next(iter(first))


# -- reading a whole table ----------------------------------------------------------------
def read_table(path, *, column_types=None, file_format=None, dialect=None) -> pa.Table:
    """Read a CSV or Parquet file into a pyarrow Table.

    The format is taken from the file's content (Parquet files start with ``PAR1``), so a
    misnamed file still reads; any other file is read as CSV (decompressed when its first
    bytes say so), as ``dialect`` says: by default the delimiter detected from the start
    of the file. CSV cells listed in :data:`NULL_VALUES` (empty, ``NA``, ``NaN``, ``null``,
    ``?`` ...) are missing values.

    Parameters
    ----------
    path : str or os.PathLike
    column_types : dict of {str: pyarrow.DataType}, optional
        Types forced on CSV columns instead of pyarrow's inference (e.g. ``pa.string()``
        for a categorical column whose values look like numbers). Ignored for Parquet;
        columns not in the file are ignored.
    file_format : {"parquet", "csv"} or None, default=None
        The file's format whatever its content and name; None: Parquet by its magic
        bytes, else CSV.
    dialect : CsvDialect or None, default=None
        How CSV text is written (delimiter, decimal mark, thousands separator, encoding);
        None: :class:`CsvDialect` ``()``.

    Returns
    -------
    pyarrow.Table
        At least one column and one data row.

    Raises
    ------
    DataError
        The file does not exist, is not a regular file, is empty, has a header but no rows,
        has a ragged row (the message names its row), has duplicate column names, is not
        valid UTF-8 (or not in the dialect's encoding; the row and column named), has an
        unnamed column with values, is a truncated or corrupt compressed file, passes a limit
        of :class:`logistic._read_limits.ReadLimits` (line length, columns, decompressed
        size), or cannot be parsed.
    InvalidParameterError
        ``file_format`` or ``dialect`` is not accepted, or a limit's environment variable.
    """
    path = Path(path)
    fixed = None if file_format is None else infer_format((), file_format)
    dialect = as_dialect(dialect)
    if not path.exists():
        glob_hint = (
            " (a glob such as '*.parquet' is read with --stream or --scheduler)"
            if any(ch in str(path) for ch in "*?[")
            else ""
        )
        raise DataError(f"data file '{path}' not found{glob_hint}; expected {_FILE_KINDS}.")
    check_regular_file(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise DataError(f"cannot read data file '{path}': {exc.strerror or exc}.") from exc
    if size == 0:
        raise DataError(f"data file '{path}' is empty; expected a header row and data rows.")
    if fixed == "parquet" or (fixed is None and magic == _PARQUET_MAGIC):
        with boundary(path, "Parquet"):
            table = open_parquet(path).read()
            check_text(path, table)
    else:
        table = _read_csv(path, column_types or {}, dialect)
    if table.num_columns == 0:
        raise DataError(f"data file '{path}' has no columns; expected a header row.")
    if table.num_rows == 0:
        raise DataError(
            f"data file '{path}' has a header ({_names(table.column_names)}) but no data rows."
        )
    names = table.column_names
    dupes = sorted(n for n, k in Counter(names).items() if k > 1)
    if dupes:
        raise DataError(
            f"data file '{path}' has duplicate column names {_names(dupes)}; "
            "column names must be unique."
        )
    return table


def _read_csv(path: Path, column_types, dialect) -> pa.Table:
    """A whole CSV file as a Table, its column rules decided over all its rows."""
    rules = ColumnRules(path, dialect, column_types)
    with boundary(path, column_types=column_types, dialect=dialect):
        table = whole_csv(path, rules.types, dialect)
        redo = rules.sample(table)
        if redo:  # integers beyond int64, which pyarrow reads as float64: the text decides
            text = whole_csv(path, rules.text_types(redo), dialect, include_columns=redo)
            for n in redo:
                table = table.set_column(table.schema.get_field_index(n), n, text.column(n))
        rules.decide(table)
    return rules.apply(table)


# -- reading in batches -------------------------------------------------------------------
def read_schema(
    path, *, file_format=None, column_types=None, csv_options=None, batch_size=None, dialect=None
) -> pa.Schema:
    """The column names and types of a Parquet or CSV file, reading only its start.

    Parameters
    ----------
    path : str or os.PathLike
    file_format : {"parquet", "csv"} or None, default=None
        None infers it (see :func:`file_format`).
    column_types, csv_options, dialect
        As for :func:`iter_batches` (CSV only).
    batch_size : int or None, default=None
        For CSV, infer the types from the block :func:`iter_batches` reads first for this
        many rows of every column (:func:`csv_block_size`); None: pyarrow's default block.

    Returns
    -------
    pyarrow.Schema
        CSV types are those the CSV readers of this module infer (or are forced to), the
        column rules of the dialect applied: those of the batches of :func:`iter_batches`.

    Raises
    ------
    DataError
        The file does not exist, its format cannot be told, or it cannot be read.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(
            f"data file '{path}' not found (the path does not exist); expected {_FILE_KINDS}."
        )
    check_regular_file(path)
    kind = infer_format([path], file_format)
    if kind == "parquet":
        with boundary(path, "Parquet"):
            return open_parquet(path).schema_arrow
    block = None if batch_size is None else csv_block_size(batch_size)
    dialect = as_dialect(dialect)
    with boundary(
        path, column_types=column_types, extra=csv_options, in_file=True, dialect=dialect
    ):
        batches = stream_csv(
            path, column_types, block_size=block, extra=csv_options, dialect=dialect
        )
        with contextlib.closing(batches):
            return next(batches)


def iter_batches(
    files,
    columns=None,
    batch_size: int = 65536,
    *,
    column_types=None,
    file_format=None,
    with_path=False,
    csv_options=None,
    dialect=None,
) -> Iterator:
    """Record batches of ``columns`` from the files, one file after the other, in order.

    Parquet is read through a small buffer (``batch_size`` rows per batch at most; pyarrow
    still decodes one row group's column chunks at a time); CSV with pyarrow's streaming
    reader in blocks of :func:`csv_block_size` bytes (one batch per block, about
    ``batch_size`` rows), parsed and converted with exactly the options and column rules of
    :func:`read_table` (the dialect; :data:`NULL_VALUES` missing in every column, text
    columns included), the types inferred from the first block: a later cell that does
    not fit its column's type is a DataError naming its row. Compressed files are streamed
    too. Batches without rows are skipped. Memory: one batch.

    What :class:`logistic.sources.StreamSource` needs, and passes: the files of
    ``expand_paths(paths, file_format=file_format)`` and their one format
    (:func:`infer_format`); the columns it reads (features, target, weight, offset), or
    None with a ``transform`` and no feature list; its ``batch_size`` (the block size rule
    of :func:`csv_block_size` is its own: 16 bytes per cell, 16 columns when all are read,
    64 KiB .. 256 MiB); ``column_types`` forcing its feature columns to its float dtype
    (``pa.float32()`` / ``pa.float64()``) and weight and offset to ``pa.float64()``, for
    CSV; its ``csv_options``; and ``with_path=True``, so that its messages name the file of
    a bad batch. Its schema comes from ``read_schema(files[0], file_format=...,
    csv_options=..., batch_size=batch_size)``, whose CSV types are inferred from the same
    first block. Missing cells arrive as nulls (its check of ``null_count`` then refuses
    them, ``?`` and ``NA`` included).

    Parameters
    ----------
    files : iterable of str or os.PathLike
        Typically the output of :func:`expand_paths`.
    columns : sequence of str or None, default=None
        The columns to read, in this order for CSV; None (or empty) reads every column.
    batch_size : int, default=65536
        Rows per batch (for CSV, the block size in bytes is derived from it).
    column_types : dict of {str: pyarrow.DataType}, optional
        Types forced on CSV columns instead of pyarrow's inference (a cell that does not
        convert is a DataError naming its column and row). Ignored for Parquet; columns not
        read are ignored.
    file_format : {"parquet", "csv"} or None, default=None
        The format of every file; None infers each file's (see :func:`file_format`).
    with_path : bool, default=False
        Yield ``(path, batch)`` pairs (``path`` a :class:`pathlib.Path`) instead of batches.
    csv_options : dict, optional
        Extra keyword arguments for :class:`pyarrow.csv.ParseOptions` (``delimiter``,
        ``quote_char`` ...), overriding those of ``dialect``.
    dialect : CsvDialect or None, default=None
        How CSV text is written (see :func:`read_table`).

    Yields
    ------
    pyarrow.RecordBatch, or (pathlib.Path, pyarrow.RecordBatch) with ``with_path``

    Raises
    ------
    DataError
        A file cannot be read or parsed, lacks a column of ``columns``, has a cell that
        does not convert to its column's type, or passes a limit (as :func:`read_table`;
        the message names the file, and where it can the column and data row).
    """
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int | np.integer)
        or batch_size < 1
    ):
        raise InvalidParameterError(
            f"batch_size={batch_size!r} is not accepted; batch_size accepts an int >= 1."
        )
    columns = list(columns) if columns else None
    fixed = None if file_format is None else infer_format((), file_format)
    dialect = as_dialect(dialect)
    for path in map(Path, files):
        check_regular_file(path)
        kind = fixed or _detect(path)
        if kind == "parquet":
            batches = _parquet_batches(path, columns, int(batch_size))
        else:
            batches = _csv_batches(
                path, columns, int(batch_size), column_types, csv_options, dialect
            )
        for batch in batches:
            if batch.num_rows:
                yield (path, batch) if with_path else batch


def _parquet_batches(path: Path, columns, batch_size) -> Iterator[pa.RecordBatch]:
    """The record batches of one Parquet file (its columns checked first, its text
    checked to be UTF-8)."""
    with boundary(path, "Parquet"):
        pf = open_parquet(path, buffer_size=_PARQUET_BUFFER, pre_buffer=False)
        if columns is not None:
            _check_has_columns(path, pf.schema_arrow.names, columns)
        rows = 0
        for batch in pf.iter_batches(batch_size=batch_size, columns=columns):
            check_text(path, batch, rows)
            rows += batch.num_rows
            yield batch


def _csv_batches(path: Path, columns, batch_size, column_types, csv_options, dialect):
    """The record batches of one CSV file, one per block."""
    try:
        with boundary(
            path, column_types=column_types, extra=csv_options, in_file=True, dialect=dialect
        ):
            batches = stream_csv(
                path,
                column_types,
                block_size=csv_block_size(batch_size, len(columns) if columns else None),
                include_columns=columns,
                extra=csv_options,
                dialect=dialect,
            )
            next(batches)  # the schema
            yield from batches
    except DataError as exc:
        cause = exc.__cause__
        if isinstance(cause, pa.ArrowKeyError) and "in include_columns does not exist" in str(
            cause
        ):
            names = header_names(path, csv_options, dialect)
            if names is not None:
                _check_has_columns(path, names, columns)
        raise


def _check_has_columns(path: Path, names, columns) -> None:
    """Refuse a file that lacks a column to be read, naming the file and its columns."""
    missing = [c for c in columns if c not in names]
    if missing:
        what = "column" if len(missing) == 1 else "columns"
        raise DataError(
            f"data file '{path}' lacks {what} {_quoted(missing)}; its columns are {_names(names)} "
            "(every file must hold every column read)."
        )
