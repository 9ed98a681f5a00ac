"""Data files in, design matrices out: CSV and Parquet tables, the target, and preprocessing.

A table is read with pyarrow (:func:`read_table`), the target column split off and checked
(:func:`read_target`: two to 50 distinct values of any type: binary or multinomial), and the feature columns turned
into a float64 design matrix by a :class:`TablePreprocessor`:

- numeric columns are standardised, ``(x - mean) / scale`` with the population standard
  deviation as ``scale`` (a constant column gets ``scale = 1``);
- string, categorical (dictionary) and boolean columns are one-hot encoded against the sorted
  vocabulary seen in training; a category not seen in training encodes as all zeros and is
  counted in the :class:`TransformReport`, so that a caller can warn;
- missing values (empty, ``NA``, ``?`` ... in CSV; null or NaN in Parquet) are an error naming
  the columns and the first rows (1-based data rows, the header is not a row), unless
  ``impute="mean"`` or ``"most-frequent"`` asks to fill them with values learned in training.

The preprocessor serialises to a plain JSON dict (:meth:`TablePreprocessor.to_dict`), which
:mod:`logistic.persistence` stores in the model file.

Every mistake in the data raises :class:`logistic.errors.DataError` (a ``ValueError``) whose
one-line message names the file, column or row and says what is accepted.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .errors import DataError, InvalidParameterError

__all__ = [
    "IMPUTE_CHOICES",
    "MAX_CLASSES",
    "NULL_VALUES",
    "ColumnSpec",
    "TablePreprocessor",
    "TransformReport",
    "array_sha256",
    "atomic_write",
    "atomic_write_bytes",
    "breast_cancer_table",
    "check_class_count",
    "check_output_path",
    "expand_paths",
    "file_sha256",
    "iter_batches",
    "read_schema",
    "read_table",
    "read_target",
    "select_features",
    "write_csv",
]

#: Accepted values of ``impute``.
IMPUTE_CHOICES = ("mean", "most-frequent")

#: Cell texts read as missing in CSV files: pyarrow's defaults plus the UCI convention "?".
NULL_VALUES = [*pacsv.ConvertOptions().null_values, "?"]

_FILE_KINDS = "CSV (.csv, .tsv, optionally .gz/.bz2 compressed) or Parquet (.parquet)"
_PARQUET_MAGIC = b"PAR1"
# A number as text: what float() accepts, without the words (inf, nan) that a categorical
# column may legitimately hold.
_NUMBER_RE = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"
_SHOW_ROWS = 5


# -- reading ------------------------------------------------------------------------------
def read_table(path, *, column_types=None) -> pa.Table:
    """Read a CSV or Parquet file into a pyarrow Table.

    The format is taken from the file's content (Parquet files start with ``PAR1``), so a
    misnamed file still reads; ``.tsv`` files are tab-separated. CSV cells listed in
    :data:`NULL_VALUES` (empty, ``NA``, ``NaN``, ``null``, ``?`` ...) are missing values.

    Parameters
    ----------
    path : str or os.PathLike
    column_types : dict of {str: pyarrow.DataType}, optional
        Types forced on CSV columns instead of pyarrow's inference (e.g. ``pa.string()``
        for a categorical column whose values look like numbers). Ignored for Parquet;
        columns not in the file are ignored.

    Returns
    -------
    pyarrow.Table
        At least one column and one data row.

    Raises
    ------
    DataError
        The file does not exist, is empty, has a header but no rows, has a ragged row (the
        message names its row), or cannot be parsed.
    """
    path = Path(path)
    if not path.exists():
        glob_hint = (
            " (a glob such as '*.parquet' is read with --stream or --scheduler)"
            if any(ch in str(path) for ch in "*?[")
            else ""
        )
        raise DataError(f"data file '{path}' not found{glob_hint}; expected {_FILE_KINDS}.")
    if path.is_dir():
        raise DataError(f"data file '{path}' is a directory; expected {_FILE_KINDS}.")
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise DataError(f"cannot read data file '{path}': {exc.strerror or exc}.") from exc
    if size == 0:
        raise DataError(f"data file '{path}' is empty; expected a header row and data rows.")
    if magic == _PARQUET_MAGIC:
        table = _read_parquet(path)
    else:
        table = _read_csv(path, column_types or {})
    if table.num_columns == 0:
        raise DataError(f"data file '{path}' has no columns; expected a header row.")
    if table.num_rows == 0:
        raise DataError(
            f"data file '{path}' has a header ({_names(table.column_names)}) but no data rows."
        )
    names = table.column_names
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(
            f"data file '{path}' has duplicate column names {_names(dupes)}; "
            "column names must be unique."
        )
    return table


def _read_parquet(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"cannot read Parquet file '{path}': {_one_line(exc)}.") from exc


def _csv_options(path: Path, column_types, *, use_threads=True, handler=None):
    name = path.name.lower()
    for ext in (".gz", ".bz2", ".zst", ".lz4"):
        name = name.removesuffix(ext)
    delimiter = "\t" if name.endswith(".tsv") else ","
    read = pacsv.ReadOptions(use_threads=use_threads)
    parse = pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=handler)
    convert = pacsv.ConvertOptions(
        null_values=NULL_VALUES,
        strings_can_be_null=True,
        column_types=dict(column_types),
    )
    return read, parse, convert


def _read_csv(path: Path, column_types) -> pa.Table:
    read, parse, convert = _csv_options(path, column_types)
    try:
        return pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as exc:
        msg = _one_line(exc)
        if msg == "Empty CSV file":
            raise DataError(
                f"data file '{path}' is empty; expected a header row and data rows."
            ) from exc
        if "CSV parse error" in msg:
            raise DataError(_ragged_message(path, column_types, msg)) from exc
        match = re.search(r"In CSV column #(\d+): .*invalid value '(.*)'", msg)
        if match and column_types:
            raise DataError(_conversion_message(path, int(match.group(1)), match.group(2))) from exc
        raise DataError(f"cannot read CSV file '{path}': {msg}.") from exc
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read CSV file '{path}': {_one_line(exc)}.") from exc


def _ragged_message(path: Path, column_types, msg: str) -> str:
    """pyarrow's parse error names the row's text but not its number: read again
    single-threaded with a handler that sees the row number (slow, but only on error)."""
    found = []

    def handler(row):
        if not found:
            found.append(row)
        return "skip"

    read, parse, convert = _csv_options(path, column_types, use_threads=False, handler=handler)
    with contextlib.suppress(pa.ArrowException, OSError):
        pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)
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


def _conversion_message(path: Path, col_index: int, value: str) -> str:
    """Find the row of a value that failed a forced conversion (pyarrow does not say)."""
    read, parse, convert = _csv_options(path, {})
    with contextlib.suppress(pa.ArrowException, OSError, IndexError):
        table = pacsv.read_csv(
            path, read_options=read, parse_options=parse, convert_options=convert
        )
        name = table.column_names[col_index]
        col = table.column(col_index).cast(pa.string())
        rows = np.flatnonzero(np.asarray(pc.equal(col, value).fill_null(False)))
        if rows.size:
            return (
                f"column '{name}' holds numbers but data row {rows[0] + 1} has '{value}'; "
                "numeric columns accept numbers, or empty/NA for a missing value."
            )
    return f"data file '{path}': column #{col_index + 1} has the value '{value}', not a number."


def _one_line(exc) -> str:
    return " ".join(str(exc).split()).rstrip(".")


def _names(names, limit=20) -> str:
    names = [str(n) for n in names]
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _quoted(names, limit=10) -> str:
    names = [f"'{n}'" for n in names]
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


# -- streaming ------------------------------------------------------------------------------
_STREAM_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".parq": "parquet", ".csv": "csv"}
# As logistic.sources.stream: bytes of CSV text per row and column, to turn a number of rows
# into a block size. The same block size means the same type inference in both passes.
_CSV_BYTES_PER_CELL = 16


def expand_paths(pattern) -> list[Path]:
    """The files of a path or a glob (``*``, ``?``, ``[``), sorted; in the order in which
    :class:`logistic.sources.StreamSource` reads them.

    Raises
    ------
    DataError
        Nothing matches, a match is a directory, or the files are neither all Parquet nor
        all CSV (told by their suffix: .parquet/.pq/.parq or .csv).
    """
    import glob

    text = os.fspath(pattern)
    if any(ch in text for ch in "*?["):
        files = [Path(m) for m in sorted(glob.glob(text, recursive=True))]
        if not files:
            raise DataError(f"the glob '{text}' matches no file; expected {_FILE_KINDS}.")
    else:
        files = [Path(text)]
        if not files[0].exists():
            raise DataError(f"data file '{text}' not found; expected {_FILE_KINDS}.")
    for f in files:
        if f.is_dir():
            raise DataError(f"data file '{f}' is a directory; expected {_FILE_KINDS}.")
    kinds = {_stream_format(f) for f in files}
    if len(kinds) > 1:
        raise DataError(
            f"'{text}' matches both Parquet and CSV files; stream one format at a time."
        )
    return files


def _stream_format(path: Path) -> str:
    kind = _STREAM_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"cannot stream '{path}': streaming tells the format by the suffix and accepts "
            ".parquet (.pq, .parq) or .csv files."
        )
    return kind


def read_schema(path) -> pa.Schema:
    """The column names and types of a Parquet or CSV file, reading only its start."""
    path = Path(path)
    try:
        if _stream_format(path) == "parquet":
            return pq.read_schema(path)
        return pacsv.open_csv(path).schema
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"cannot read '{path}': {_one_line(exc)}.") from exc


def iter_batches(files, columns, batch_size=65536) -> Iterator[pa.RecordBatch]:
    """Record batches of ``columns`` from the files, in order, ``batch_size`` rows at most.

    Read as :class:`logistic.sources.StreamSource` reads them (Parquet through a small
    buffer, CSV with pyarrow's streaming reader and the same block size), so that both see
    the same column types. Memory: one batch.
    """
    columns = list(columns)
    for path in map(Path, files):
        try:
            if _stream_format(path) == "parquet":
                pf = pq.ParquetFile(path, buffer_size=1 << 16, pre_buffer=False)
                batches = pf.iter_batches(batch_size=batch_size, columns=columns)
            else:
                block = batch_size * max(1, len(columns)) * _CSV_BYTES_PER_CELL
                batches = pacsv.open_csv(
                    path,
                    read_options=pacsv.ReadOptions(
                        block_size=int(min(max(block, 1 << 16), 1 << 28))
                    ),
                    # Missing cells as read_table sees them ("?", "NA", empty ...), so that
                    # this pass refuses them as the in-memory path does.
                    convert_options=pacsv.ConvertOptions(
                        include_columns=columns,
                        null_values=NULL_VALUES,
                        strings_can_be_null=True,
                    ),
                )
            for batch in batches:
                if batch.num_rows:
                    yield batch
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"cannot read '{path}': {_one_line(exc)}.") from exc


# -- target and feature columns ----------------------------------------------------------
def select_features(table: pa.Table, *, target=None, features=None) -> list[str]:
    """The feature columns: ``features`` in the given order, or every column but ``target``.

    Raises
    ------
    DataError
        ``target`` or a name in ``features`` is not a column (the message lists the
        available columns), ``target`` is among ``features``, or nothing is left.
    """
    available = table.column_names
    if target is not None and target not in available:
        raise DataError(f"target column '{target}' not found; available: {_names(available)}.")
    if features is None:
        chosen = [c for c in available if c != target]
    else:
        chosen = [str(f) for f in features]
        missing = [f for f in chosen if f not in available]
        if missing:
            what = "column" if len(missing) == 1 else "columns"
            raise DataError(
                f"feature {what} {_quoted(missing)} not found; available: {_names(available)}."
            )
        dupes = sorted({f for f in chosen if chosen.count(f) > 1})
        if dupes:
            raise DataError(f"features list {_quoted(dupes)} more than once; name each once.")
        if target is not None and target in chosen:
            raise DataError(
                f"column '{target}' is the target and cannot also be a feature; "
                "remove it from the features."
            )
    if not chosen:
        raise DataError(f"no feature columns: the table has only the target column '{target}'.")
    return chosen


#: Most distinct target values accepted: more looks like a continuous target.
MAX_CLASSES = 50


def read_target(table: pa.Table, target: str, *, classes=None) -> np.ndarray:
    """The target column as a 1-d array of labels: two (binary) to 50 (multinomial) values.

    Strings are stripped of surrounding white space; integers, floats, booleans and strings
    keep their type (so the model's classes are e.g. ``[0, 1]``, ``[False, True]`` or
    ``["<=50K", ">50K"]``).

    Parameters
    ----------
    table : pyarrow.Table
    target : str
        Column name.
    classes : sequence, optional
        When given (evaluating a fitted model), every value must be one of these; the
        column may hold only some of them.

    Returns
    -------
    ndarray of shape (n_rows,)
        int64, float64, bool, or object (str) values.

    Raises
    ------
    DataError
        The column is missing or has missing values; it has one distinct value, or more
        than :data:`MAX_CLASSES` (the message gives the count: such a column looks like a
        continuous quantity, not a class); or, with ``classes``, it holds a value not among
        them.
    """
    if target not in table.column_names:
        raise DataError(
            f"target column '{target}' not found; available: {_names(table.column_names)}."
        )
    col = _decode(table.column(target))
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        col = pc.utf8_trim_whitespace(col)
    missing = _missing_mask(col)
    if missing.any():
        rows = np.flatnonzero(missing)
        raise DataError(
            f"target column '{target}' has {_plural(rows.size, 'missing value')} "
            f"(data rows {_rows(rows)}); every row needs a label (drop those rows)."
        )
    t = col.type
    if pa.types.is_boolean(t):
        y = np.asarray(col.to_numpy(zero_copy_only=False), dtype=bool)
    elif pa.types.is_integer(t):
        y = np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.int64)
    elif pa.types.is_floating(t) or pa.types.is_decimal(t):
        y = np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        y = np.array(col.to_pylist(), dtype=object)
    else:
        raise DataError(
            f"target column '{target}' has type {t}; the target accepts integers, floats, "
            f"booleans or strings with 2 to {MAX_CLASSES} distinct values."
        )
    values, counts = np.unique(y, return_counts=True)
    if classes is not None:
        known = list(classes)
        unknown = [v for v in values.tolist() if v not in known]
        if unknown:
            raise DataError(
                f"target column '{target}' has value(s) {_reprs(unknown)} that the model "
                f"does not know; its classes are {_reprs(known)}."
            )
        return y
    check_class_count(target, values.tolist(), counts.tolist())
    return y


def check_class_count(target, values, counts=None) -> None:
    """Refuse a target with one distinct value or more than :data:`MAX_CLASSES`.

    Parameters
    ----------
    target : str
        Column name, for the message.
    values : list
        The distinct values, sorted.
    counts : list of int, optional
        Rows per value, shown in the message.

    Raises
    ------
    DataError
        One value (nothing to learn) or more than ``MAX_CLASSES`` values (the message gives
        the count: a continuous quantity, not a class).
    """
    k = len(values)
    if 2 <= k <= MAX_CLASSES:
        return
    shown = values[:10] if counts is None else list(zip(values[:10], counts[:10], strict=False))
    if counts is None:
        found = ", ".join(repr(v) for v in shown)
    else:
        found = ", ".join(f"{v!r} ({_plural(c, 'row')})" for v, c in shown)
    more = f", ... ({k - 10} more)" if k > 10 else ""
    if k == 1:
        raise DataError(
            f"target column '{target}' has one distinct value: {found}; a classifier needs "
            "at least two (e.g. 0/1, yes/no, '>50K'/'<=50K')."
        )
    raise DataError(
        f"target column '{target}' has {k} distinct values ({found}{more}), which looks like "
        f"a continuous quantity, not a class; the target accepts 2 (binary) to {MAX_CLASSES} "
        "(multinomial) distinct values (bin the column first, or choose another target)."
    )


def _plural(n, word) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _reprs(values, limit=10) -> str:
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f", ... ({len(values) - limit} more)" if len(values) > limit else "")


def _rows(rows, limit=_SHOW_ROWS) -> str:
    shown = ", ".join(str(int(r) + 1) for r in rows[:limit])
    return shown + (", ..." if len(rows) > limit else "")


def _decode(col):
    """A plain (non-dictionary, single-chunk-compatible) column."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    if pa.types.is_large_string(col.type) or pa.types.is_string_view(col.type):
        col = col.cast(pa.string())
    return col


def _missing_mask(col) -> np.ndarray:
    """True where a value is null, or NaN in a floating column."""
    mask = np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_floating(col.type):
        mask |= np.asarray(pc.is_nan(col).fill_null(False).to_numpy(zero_copy_only=False))
    return mask


# -- preprocessing ------------------------------------------------------------------------
@dataclass
class ColumnSpec:
    """What was learned about one input column.

    ``kind`` is ``"numeric"`` (``mean``, ``scale``), ``"categorical"`` or ``"boolean"``
    (``categories``, sorted). ``fill`` is the value that replaces a missing entry (a number
    for numeric columns, a category otherwise), or None when missing values are an error.
    ``reference`` is the category without an output column (reference coding: its rows are
    all zeros in the column's block), or None for full one-hot coding.
    """

    name: str
    kind: str
    mean: float = 0.0
    scale: float = 1.0
    categories: list[str] = field(default_factory=list)
    fill: float | str | None = None
    reference: str | None = None

    @property
    def width(self) -> int:
        """Number of output columns."""
        if self.kind == "numeric":
            return 1
        return len(self.categories) - (self.reference is not None)

    @property
    def encoded(self) -> list[str]:
        """The categories that have an output column, in order."""
        return [c for c in self.categories if c != self.reference]

    def output_names(self) -> list[str]:
        if self.kind == "numeric":
            return [self.name]
        return [f"{self.name}={c}" for c in self.encoded]

    def to_dict(self) -> dict:
        d = {"name": self.name, "kind": self.kind}
        if self.kind == "numeric":
            d.update(mean=self.mean, scale=self.scale)
        else:
            d["categories"] = list(self.categories)
            if self.reference is not None:
                d["reference"] = self.reference
        d["fill"] = self.fill
        return d


@dataclass
class TransformReport:
    """What :meth:`TablePreprocessor.transform` met on the way.

    Attributes
    ----------
    n_rows : int
    unseen : dict of {str: dict of {str: int}}
        Per categorical column, categories not seen in training and how many rows had each
        (those rows encode as all zeros in that column's block).
    imputed : dict of {str: int}
        Per column, how many missing values were filled.
    """

    n_rows: int = 0
    unseen: dict[str, dict[str, int]] = field(default_factory=dict)
    imputed: dict[str, int] = field(default_factory=dict)

    @property
    def n_unseen(self) -> int:
        """Total number of cells holding an unseen category."""
        return sum(sum(d.values()) for d in self.unseen.values())

    def unseen_message(self) -> str:
        """One line for a warning, or "" when every category was known."""
        if not self.unseen:
            return ""
        parts = []
        for col, cats in self.unseen.items():
            top = sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))
            shown = ", ".join(f"'{k}' x{v}" for k, v in top[:3])
            more = f", ... ({len(top) - 3} more)" if len(top) > 3 else ""
            parts.append(f"{col}: {shown}{more}")
        return (
            f"{self.n_unseen} value(s) in categories not seen in training were encoded as all "
            f"zeros ({'; '.join(parts)})."
        )


class TablePreprocessor:
    """Turns the feature columns of a pyarrow Table into a float64 design matrix.

    Numeric columns (integers, floats, decimals) become ``(x - mean) / scale``
    (``scale`` the population standard deviation, 1 for a constant column); string,
    dictionary and boolean columns become one 0/1 column per category, categories sorted.
    Statistics are computed on the non-missing training values.

    Parameters
    ----------
    impute : {None, "mean", "most-frequent"}, default=None
        None: a missing value is a :class:`DataError` naming the columns and rows.
        ``"mean"``: numeric columns are filled with their training mean, categorical ones
        with their most frequent category. ``"most-frequent"``: every column is filled with
        its most frequent training value (ties: the smallest).
    standardize : bool, default=True
        Standardise numeric columns; when False they pass through unchanged
        (``mean = 0``, ``scale = 1``).
    categorical : sequence of str, optional
        Columns to one-hot encode even if they hold numbers (codes, zip codes...).
    drop_first : bool, default=False
        Reference coding: the first (sorted) category of every categorical or boolean
        column gets no output column, so that the encoded columns and an intercept are not
        collinear. Needed for an unpenalised fit with standard errors; a penalised fit keeps
        every category (the penalty treats them symmetrically).

    Attributes
    ----------
    columns_ : list of ColumnSpec
        One per input column, in input order.
    feature_names_out : list of str
        Output column names: the column name for numeric ones, ``"name=category"`` for
        one-hot ones.
    n_features_out : int
    last_report_ : TransformReport
        The report of the most recent :meth:`transform`.
    """

    def __init__(self, *, impute=None, standardize=True, categorical=None, drop_first=False):
        if impute is not None and impute not in IMPUTE_CHOICES:
            raise InvalidParameterError(
                f"impute={impute!r} is not accepted; impute accepts None, 'mean' or "
                "'most-frequent'."
            )
        self.impute = impute
        self.standardize = bool(standardize)
        self.categorical = list(categorical or [])
        self.drop_first = bool(drop_first)
        self.columns_: list[ColumnSpec] | None = None
        self.last_report_ = TransformReport()

    # -- fitting ----------------------------------------------------------------------
    def fit(self, table: pa.Table, columns: Sequence[str] | None = None) -> TablePreprocessor:
        """Learn the column statistics.

        Parameters
        ----------
        table : pyarrow.Table of n_rows rows
        columns : sequence of str, optional
            The feature columns, in order; default every column of ``table``.

        Raises
        ------
        DataError
            A column is missing, of an unsupported type, entirely missing, holds text in a
            mostly numeric column, or has missing values while ``impute`` is None.
        """
        columns = list(table.column_names if columns is None else columns)
        self._check_columns(table, columns)
        return self._set_columns(
            (name, *self._fit_column(name, _decode(table.column(name)))) for name in columns
        )

    def _fit_column(self, name, col):
        kind = self._kind(name, col)
        miss = np.flatnonzero(_missing_mask(col))
        if miss.size == len(col):
            raise DataError(
                f"column '{name}' has no values (every row is missing); drop it from the features."
            )
        if kind == "numeric":
            x = _float_values(name, col)
            observed = x[~np.isnan(x)]
            if not np.all(np.isfinite(observed)):
                row = np.flatnonzero(np.isinf(x))[0]
                raise DataError(
                    f"column '{name}' has an infinite value at data row {row + 1}; numeric "
                    "columns accept finite numbers."
                )
            mean, scale = 0.0, 1.0
            if self.standardize:
                mean = float(np.mean(observed))
                std = float(np.std(observed))
                # A constant column carries no information; scale 1 keeps it finite (it
                # becomes all zeros) instead of dividing by 0.
                scale = std if std > 0.0 and np.isfinite(std) else 1.0
            fill = None
            if self.impute == "mean":
                fill = float(np.mean(observed))
            elif self.impute == "most-frequent":
                vals, counts = np.unique(observed, return_counts=True)
                fill = float(vals[np.argmax(counts)])
            return ColumnSpec(name, "numeric", mean=mean, scale=scale, fill=fill), miss
        counts = pc.value_counts(_category_array(col, kind).drop_null()).to_pylist()
        counts.sort(key=lambda d: d["values"])  # the sorted vocabulary
        categories = [str(d["values"]) for d in counts]
        fill = None
        if self.impute is not None:
            # Most frequent category; ties go to the first in sorted order.
            fill = categories[int(np.argmax([d["counts"] for d in counts]))]
        return self._categorical_spec(name, kind, categories, fill), miss

    def _categorical_spec(self, name, kind, categories, fill) -> ColumnSpec:
        reference = categories[0] if self.drop_first else None
        return ColumnSpec(name, kind, categories=categories, fill=fill, reference=reference)

    def fit_batches(self, batches, columns: Sequence[str] | None = None) -> TablePreprocessor:
        """Learn the column statistics in one pass over record batches (out of core).

        The result equals :meth:`fit` on the concatenated batches up to rounding: means and
        scales combine the batches' ``(count, mean, M2)`` with Chan, Golub and LeVeque's
        parallel update (1979; ``M2`` the sum of squared deviations from the batch mean, so
        no catastrophic cancellation as with running sums of squares), categories are the
        union of the batches' vocabularies with their counts added. Memory: one batch plus
        the vocabularies (and, for ``impute="most-frequent"``, each numeric column's
        distinct values with their counts).

        Parameters
        ----------
        batches : iterable of pyarrow.RecordBatch or pyarrow.Table
            Every batch holds every column of ``columns``; data rows are numbered across
            batches in order, for the messages.
        columns : sequence of str, optional
            The feature columns, in order; default every column of the first batch.

        Raises
        ------
        DataError
            As :meth:`fit`; also when a column changes kind between batches (numbers in one
            file, text in another), or there are no rows.
        """
        acc: dict[str, _ColumnAccumulator] | None = None
        start = 0
        for batch in batches:
            if acc is None:
                columns = list(batch.column_names if columns is None else columns)
                self._check_columns(batch, columns)
                acc = {}
                for name in columns:
                    col = _decode(batch.column(name))
                    acc[name] = _ColumnAccumulator(
                        name,
                        self._kind(name, col, check=False),
                        impute_counts=self.impute == "most-frequent",
                    )
            else:
                self._check_present(batch, columns, f"data rows {start + 1}..")
            for name in columns:
                acc[name].add(_decode(batch.column(name)), start)
            start += batch.num_rows
        if acc is None or start == 0:
            raise DataError("no data rows to learn the preprocessing from.")
        return self._set_columns((name, *acc[name].finish(self)) for name in columns)

    def _set_columns(self, fitted):
        """Keep the ``(name, spec, missing rows)`` of every column; missing values without
        ``impute`` are an error naming them."""
        specs, missing = [], {}
        for name, spec, miss in fitted:
            specs.append(spec)
            if miss.size:
                missing[name] = miss
        if missing and self.impute is None:
            raise DataError(_missing_message(missing, fit=True))
        self.columns_ = specs
        return self

    def _check_columns(self, table, columns):
        if not columns:
            raise DataError("no feature columns to fit; give at least one column.")
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        if dupes:
            raise DataError(f"columns {_quoted(dupes)} are listed more than once; name each once.")
        self._check_present(table, columns, "training data")
        unknown_cat = [c for c in self.categorical if c not in columns]
        if unknown_cat:
            raise DataError(
                f"categorical column(s) {_quoted(unknown_cat)} are not among the features "
                f"{_names(columns)}."
            )

    def _kind(self, name, col, check=True) -> str:
        t = col.type
        if name in self.categorical:
            if pa.types.is_boolean(t):
                return "boolean"
            return "categorical"
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            return "numeric"
        if pa.types.is_boolean(t):
            return "boolean"
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            if check:
                _check_not_numeric_typo(name, col)
            return "categorical"
        if pa.types.is_null(t):
            raise DataError(
                f"column '{name}' has no values (every row is missing); drop it from the features."
            )
        raise DataError(
            f"column '{name}' has type {t}, which is not supported; feature columns accept "
            "numbers, strings or booleans (choose columns with --features)."
        )

    # -- transforming -----------------------------------------------------------------
    def _check_fitted(self):
        if self.columns_ is None:
            from .errors import NotFittedError

            raise NotFittedError(
                "this TablePreprocessor is not fitted yet; call fit(table) or from_dict(d)."
            )

    @property
    def feature_names_out(self) -> list[str]:
        self._check_fitted()
        return [n for spec in self.columns_ for n in spec.output_names()]

    @property
    def n_features_out(self) -> int:
        self._check_fitted()
        return sum(spec.width for spec in self.columns_)

    @property
    def input_columns(self) -> list[str]:
        """The input column names, in order."""
        self._check_fitted()
        return [spec.name for spec in self.columns_]

    def csv_column_types(self) -> dict:
        """Types to force when reading a CSV for :meth:`transform`: categorical columns
        as strings, so that codes such as ``"007"`` are not read as numbers."""
        self._check_fitted()
        return {s.name: pa.string() for s in self.columns_ if s.kind == "categorical"}

    def transform(self, table: pa.Table) -> np.ndarray:
        """The design matrix of ``table``; the report goes to :attr:`last_report_`.

        Parameters
        ----------
        table : pyarrow.Table of n_rows rows
            Must hold every input column (by name, in any order; other columns are
            ignored).

        Returns
        -------
        ndarray of shape (n_rows, n_features_out), float64

        Raises
        ------
        DataError
            A column is missing, a numeric column holds text (the message names the row),
            or there are missing values and ``impute`` is None.
        """
        X, report = self.transform_with_report(table)
        self.last_report_ = report
        return X

    def transform_with_report(self, table: pa.Table) -> tuple[np.ndarray, TransformReport]:
        """Like :meth:`transform`, returning ``(X, report)`` and leaving ``self`` unchanged."""
        self._check_fitted()
        self._check_present(table, self.input_columns, "the data")
        n = table.num_rows
        X = np.zeros((n, self.n_features_out), dtype=np.float64)
        report = TransformReport(n_rows=n)
        missing = {}
        offset = 0
        for spec in self.columns_:
            col = _decode(table.column(spec.name))
            miss = _missing_mask(col)
            if miss.any():
                if spec.fill is None:
                    missing[spec.name] = np.flatnonzero(miss)
                else:
                    report.imputed[spec.name] = int(miss.sum())
            if spec.kind == "numeric":
                x = _float_values(spec.name, col)
                if miss.any() and spec.fill is not None:
                    x = np.where(miss, spec.fill, x)
                if np.isinf(x).any():
                    row = np.flatnonzero(np.isinf(x))[0]
                    raise DataError(
                        f"column '{spec.name}' has an infinite value at data row {row + 1}; "
                        "numeric columns accept finite numbers."
                    )
                X[:, offset] = (x - spec.mean) / spec.scale
            else:
                self._one_hot(spec, col, miss, X[:, offset : offset + spec.width], report)
            offset += spec.width
        if missing:
            raise DataError(_missing_message(missing, fit=False))
        return X, report

    def _one_hot(self, spec, col, miss, out, report):
        # Vectorised in Arrow: look every value up in the sorted vocabulary at once.
        arr = _category_array(col, spec.kind)
        if miss.any() and spec.fill is not None:
            arr = pc.if_else(pa.array(miss), pa.scalar(spec.fill, pa.string()), arr)
        index = pc.index_in(arr, value_set=pa.array(spec.categories, type=pa.string()))
        idx = np.asarray(index.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.intp)
        known = idx >= 0
        if spec.reference is None:
            out[np.flatnonzero(known), idx[known]] = 1.0
        else:
            # Reference coding: the reference category's rows stay all zeros, the
            # categories after it shift one column to the left.
            ref = spec.categories.index(spec.reference)
            hot = known & (idx != ref)
            col = idx[hot] - (idx[hot] > ref)
            out[np.flatnonzero(hot), col] = 1.0
        unseen = ~known & ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        if unseen.any():
            counts = pc.value_counts(arr.filter(pa.array(unseen)))
            report.unseen[spec.name] = {
                str(v["values"]): int(v["counts"]) for v in counts.to_pylist()
            }

    def transform_batch(self, batch) -> np.ndarray:
        """The design matrix of one record batch (or table), shape (n_rows, n_features_out).

        A pure function of the batch (the report is discarded, ``self`` is not changed), as
        :class:`logistic.sources.StreamSource` requires of its ``transform``; picklable, so
        Dask workers can run it on their partitions.
        """
        X, _ = self.transform_with_report(batch)
        return X

    def fit_transform(self, table, columns=None) -> np.ndarray:
        """``fit(table, columns).transform(table)``; shape (n_rows, n_features_out)."""
        return self.fit(table, columns).transform(table)

    @staticmethod
    def _check_present(table, columns, where):
        available = table.column_names
        missing = [c for c in columns if c not in available]
        if missing:
            what = "column" if len(missing) == 1 else "columns"
            raise DataError(
                f"{where} lacks {what} {_quoted(missing)} that the model uses; "
                f"available: {_names(available)}."
            )

    # -- serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain JSON-ready dict; floats are written so that they read back exactly."""
        self._check_fitted()
        d = {
            "impute": self.impute,
            "standardize": self.standardize,
            "columns": [spec.to_dict() for spec in self.columns_],
        }
        if self.drop_first:
            d["drop_first"] = True
        return d

    @classmethod
    def from_dict(cls, d) -> TablePreprocessor:
        """Rebuild from :meth:`to_dict`'s output, checking every field.

        Raises
        ------
        DataError
            A field is missing, of the wrong type, not finite, or inconsistent; the message
            names the field.
        """
        if not isinstance(d, dict):
            raise DataError(f"preprocessing must be an object, got {type(d).__name__}.")
        impute = d.get("impute")
        if impute is not None and impute not in IMPUTE_CHOICES:
            raise DataError(f"preprocessing.impute={impute!r} is not one of {IMPUTE_CHOICES}.")
        standardize = d.get("standardize", True)
        if not isinstance(standardize, bool):
            raise DataError("preprocessing.standardize must be true or false.")
        drop_first = d.get("drop_first", False)
        if not isinstance(drop_first, bool):
            raise DataError("preprocessing.drop_first must be true or false.")
        cols = d.get("columns")
        if not isinstance(cols, list) or not cols:
            raise DataError("preprocessing.columns must be a non-empty list.")
        specs, seen = [], set()
        for i, c in enumerate(cols):
            where = f"preprocessing.columns[{i}]"
            if not isinstance(c, dict):
                raise DataError(f"{where} must be an object.")
            name, kind = c.get("name"), c.get("kind")
            if not isinstance(name, str) or not name:
                raise DataError(f"{where}.name must be a non-empty string.")
            if name in seen:
                raise DataError(f"{where}.name '{name}' appears twice.")
            seen.add(name)
            fill = c.get("fill")
            if kind == "numeric":
                mean, scale = c.get("mean"), c.get("scale")
                for key, v in (("mean", mean), ("scale", scale)):
                    if not _is_finite_number(v):
                        raise DataError(f"{where}.{key} must be a finite number, got {v!r}.")
                if scale <= 0:
                    raise DataError(f"{where}.scale must be > 0, got {scale!r}.")
                if fill is not None and not _is_finite_number(fill):
                    raise DataError(f"{where}.fill must be a finite number or null, got {fill!r}.")
                specs.append(
                    ColumnSpec(
                        name,
                        kind,
                        mean=float(mean),
                        scale=float(scale),
                        fill=None if fill is None else float(fill),
                    )
                )
            elif kind in ("categorical", "boolean"):
                cats = c.get("categories")
                if (
                    not isinstance(cats, list)
                    or not cats
                    or not all(isinstance(v, str) for v in cats)
                ):
                    raise DataError(f"{where}.categories must be a non-empty list of strings.")
                if cats != sorted(set(cats)):
                    raise DataError(f"{where}.categories must be sorted and unique.")
                if fill is not None and fill not in cats:
                    raise DataError(f"{where}.fill {fill!r} is not one of its categories.")
                reference = c.get("reference")
                if drop_first and reference != cats[0]:
                    raise DataError(
                        f"{where}.reference must be its first category {cats[0]!r} "
                        f"(preprocessing.drop_first is true), got {reference!r}."
                    )
                if not drop_first and reference is not None:
                    raise DataError(
                        f"{where}.reference is set but preprocessing.drop_first is false."
                    )
                specs.append(
                    ColumnSpec(name, kind, categories=list(cats), fill=fill, reference=reference)
                )
            else:
                raise DataError(
                    f"{where}.kind={kind!r} is not one of 'numeric', 'categorical', 'boolean'."
                )
            if impute is None and fill is not None:
                raise DataError(f"{where}.fill is set but preprocessing.impute is null.")
            if impute is not None and fill is None:
                raise DataError(f"{where}.fill is null but preprocessing.impute is {impute!r}.")
        self = cls(impute=impute, standardize=standardize, drop_first=drop_first)
        self.categorical = [s.name for s in specs if s.kind != "numeric"]
        self.columns_ = specs
        return self

    def __repr__(self) -> str:
        state = "unfitted" if self.columns_ is None else f"{len(self.columns_)} columns"
        return f"TablePreprocessor(impute={self.impute!r}, {state})"


class _ColumnAccumulator:
    """One column's statistics over a stream of batches (see ``fit_batches``)."""

    def __init__(self, name, kind, impute_counts=False):
        self.name = name
        self.kind = kind
        self.impute_counts = impute_counts  # count numeric values (impute="most-frequent")
        self.n = 0  # observed (non-missing) values
        self.mean = 0.0
        self.m2 = 0.0  # sum of squared deviations from the mean
        self.counts: dict = {}  # category (or, for most-frequent, number) -> rows
        self.missing: list[np.ndarray] = []
        self.n_missing = 0
        self.rows = 0
        # For the typo check of a text column: values that are numbers, and the text ones.
        self.n_numeric = 0
        self.texts: dict[str, int] = {}  # distinct text -> first data row (at most 3 kept)

    def add(self, col, start) -> None:
        """Add one batch's column; ``start`` is the batch's first data row (0-based)."""
        t = col.type
        numeric_type = (
            pa.types.is_integer(t)
            or pa.types.is_floating(t)
            or pa.types.is_decimal(t)
            or pa.types.is_null(t)
        )
        text_type = pa.types.is_string(t) or pa.types.is_large_string(t)
        if self.kind == "numeric" and not numeric_type:
            raise DataError(
                f"column '{self.name}' holds numbers in earlier rows but has type {t} from data "
                f"row {start + 1} on; a column must hold one kind of value in every file."
            )
        miss = _missing_mask(col)
        self.rows += len(col)
        if miss.any():
            self.n_missing += int(miss.sum())
            if sum(m.size for m in self.missing) < _SHOW_ROWS + 1:
                self.missing.append(np.flatnonzero(miss) + start)
        if self.kind == "numeric":
            x = _float_values(self.name, col)
            obs = x[~miss]
            if not np.all(np.isfinite(obs)):
                row = int(np.flatnonzero(np.isinf(x))[0]) + start
                raise DataError(
                    f"column '{self.name}' has an infinite value at data row {row + 1}; numeric "
                    "columns accept finite numbers."
                )
            if obs.size:
                # Chan, Golub & LeVeque (1979): combine (n, mean, M2) of two parts exactly.
                nb = obs.size
                mb = float(np.mean(obs))
                m2b = float(np.sum((obs - mb) ** 2))
                n = self.n + nb
                delta = mb - self.mean
                self.mean += delta * nb / n
                self.m2 += m2b + delta * delta * self.n * nb / n
                self.n = n
                if self.impute_counts:
                    vals, cnt = np.unique(obs, return_counts=True)
                    for v, c in zip(vals.tolist(), cnt.tolist(), strict=True):
                        self.counts[v] = self.counts.get(v, 0) + c
            return
        if text_type and self.kind == "categorical":
            nonnull = col.drop_null()
            is_num = np.asarray(
                pc.match_substring_regex(nonnull, _NUMBER_RE).to_numpy(zero_copy_only=False),
                dtype=bool,
            )
            self.n_numeric += int(is_num.sum())
            if (~is_num).any() and len(self.texts) < 3:
                full = np.asarray(
                    pc.match_substring_regex(col, _NUMBER_RE)
                    .fill_null(True)
                    .to_numpy(zero_copy_only=False),
                    dtype=bool,
                )
                for r in np.flatnonzero(~full):
                    self.texts.setdefault(col[int(r)].as_py(), int(r) + start)
                    if len(self.texts) >= 3:
                        break
        arr = _category_array(col, self.kind).drop_null()
        for d in pc.value_counts(arr).to_pylist():
            key = str(d["values"])
            self.counts[key] = self.counts.get(key, 0) + int(d["counts"])

    def finish(self, pre) -> tuple[ColumnSpec, np.ndarray]:
        """The column's spec and its first missing rows (0-based)."""
        miss = np.concatenate(self.missing) if self.missing else np.zeros(0, dtype=np.intp)
        if self.n_missing == self.rows:
            raise DataError(
                f"column '{self.name}' has no values (every row is missing); drop it from the "
                "features."
            )
        if self.kind == "numeric":
            mean, scale = 0.0, 1.0
            if pre.standardize:
                mean = self.mean
                std = math.sqrt(self.m2 / self.n)
                scale = std if std > 0.0 and math.isfinite(std) else 1.0
            fill = None
            if pre.impute == "mean":
                fill = self.mean
            elif pre.impute == "most-frequent":
                # Ties go to the smallest value, as np.unique's order gives in fit().
                top = max(self.counts.values())
                fill = float(min(v for v, c in self.counts.items() if c == top))
            return ColumnSpec(self.name, "numeric", mean=mean, scale=scale, fill=fill), miss
        n_text = sum(self.counts.values()) - self.n_numeric
        if (
            self.texts
            and len(self.texts) <= 2
            and n_text <= max(2, (self.rows - self.n_missing) // 20)
            and self.n_numeric >= (self.rows - self.n_missing) / 2
        ):
            value, row = next(iter(self.texts.items()))
            raise DataError(
                f"column '{self.name}' holds numbers but data row {row + 1} has '{value}'"
                + (f" ({n_text} rows in all)" if n_text > 1 else "")
                + "; numeric columns accept numbers, or empty/NA for a missing value "
                "(to treat the column as categories, list it with --categorical)."
            )
        categories = sorted(self.counts)
        fill = None
        if pre.impute is not None:
            top = max(self.counts.values())
            fill = next(c for c in categories if self.counts[c] == top)
        return pre._categorical_spec(self.name, self.kind, categories, fill), miss


def _is_finite_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _float_values(name, col) -> np.ndarray:
    """A numeric column as float64 with NaN for missing; text that is not a number is a
    DataError naming the row (a numeric column read as text at prediction time)."""
    t = col.type
    if pa.types.is_null(t):
        return np.full(len(col), np.nan)
    if (
        pa.types.is_boolean(t)
        or pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or (pa.types.is_decimal(t))
    ):
        return np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    if pa.types.is_string(t):
        ok = pc.match_substring_regex(col, _NUMBER_RE).fill_null(True)
        bad = np.flatnonzero(~np.asarray(ok.to_numpy(zero_copy_only=False), dtype=bool))
        if bad.size:
            value = col[int(bad[0])].as_py()
            raise DataError(
                f"column '{name}' holds numbers but data row {bad[0] + 1} has '{value}'"
                + (f" ({bad.size} rows in all)" if bad.size > 1 else "")
                + "; numeric columns accept numbers, or empty/NA for a missing value."
            )
        return np.asarray(
            pc.utf8_trim_whitespace(col).cast(pa.float64()).to_numpy(zero_copy_only=False),
            dtype=np.float64,
        )
    raise DataError(
        f"column '{name}' has type {t} but the model expects numbers; numeric columns accept "
        "integers or floats."
    )


def _category_array(col, kind) -> pa.Array:
    """Category labels as a stripped string array (null for missing); booleans become
    'false'/'true', and text in a boolean column is compared in lower case."""
    t = col.type
    if pa.types.is_boolean(t):
        return pc.if_else(col, "true", "false")
    if pa.types.is_null(t):
        return pa.nulls(len(col), pa.string())
    if not pa.types.is_string(t):
        col = col.cast(pa.string())
    col = pc.utf8_trim_whitespace(col)
    if kind == "boolean":
        col = pc.utf8_lower(col)
    return col


def _check_not_numeric_typo(name, col):
    """A text column whose values are nearly all numbers has a typo, not categories."""
    nonnull = col.drop_null()
    n = len(nonnull)
    if n == 0:
        return
    is_num = np.asarray(
        pc.match_substring_regex(nonnull, _NUMBER_RE).to_numpy(zero_copy_only=False), dtype=bool
    )
    n_text = int((~is_num).sum())
    if n_text == 0:
        return
    n_distinct_text = len(set(nonnull.filter(pa.array(~is_num)).to_pylist()))
    # A couple of stray words among numbers is a typo; many words are categories.
    if n_distinct_text <= 2 and n_text <= max(2, n // 20) and is_num.sum() >= n / 2:
        full = np.asarray(
            pc.match_substring_regex(col, _NUMBER_RE)
            .fill_null(True)
            .to_numpy(zero_copy_only=False),
            dtype=bool,
        )
        row = int(np.flatnonzero(~full)[0])
        raise DataError(
            f"column '{name}' holds numbers but data row {row + 1} has '{col[row].as_py()}'"
            + (f" ({n_text} rows in all)" if n_text > 1 else "")
            + "; numeric columns accept numbers, or empty/NA for a missing value "
            "(to treat the column as categories, list it with --categorical)."
        )


def _missing_message(missing: dict, *, fit: bool) -> str:
    parts = [
        f"'{name}' ({_plural(rows.size, 'row')}: {_rows(rows)})"
        for name, rows in list(missing.items())[:6]
    ]
    more = f", ... ({len(missing) - 6} more columns)" if len(missing) > 6 else ""
    fix = (
        "fill them with --impute mean or --impute most-frequent (impute= in Python), "
        "or remove those rows"
        if fit
        else "this model was trained without imputation, so fill or remove those rows"
    )
    return f"missing values in column(s) {', '.join(parts)}{more} (data rows, 1-based); {fix}."


# -- built-in data ------------------------------------------------------------------------
def breast_cancer_table(target="target") -> pa.Table:
    """scikit-learn's Wisconsin breast-cancer data as a Table: 30 float columns and the
    0/1 ``target`` (1 = benign), 569 rows."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    cols = {str(n): pa.array(data.data[:, j]) for j, n in enumerate(data.feature_names)}
    cols[target] = pa.array(data.target.astype(np.int64))
    return pa.table(cols)


# -- hashing ------------------------------------------------------------------------------
def file_sha256(path) -> str:
    """SHA-256 hex digest of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def array_sha256(*arrays) -> str:
    """SHA-256 of arrays' dtypes, shapes and C-ordered bytes (object arrays via str)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        if a.dtype == object:
            a = np.array([str(v) for v in a.ravel()]).reshape(a.shape)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


# -- atomic output ------------------------------------------------------------------------
def check_output_path(path, what="output") -> Path:
    """Check, before any work, that ``path`` can be written; returns it as a Path.

    The nearest existing ancestor directory must accept a new file (tested by creating and
    removing a temporary file there, which also catches read-only file systems); missing
    parent directories are created later by :func:`atomic_write`.

    Raises
    ------
    InvalidParameterError
        ``path`` is a directory, a parent is a file, or the directory is not writable.
    """
    path = Path(path)
    if path.is_dir():
        raise InvalidParameterError(
            f"cannot write {what} '{path}': it is a directory; give a file path."
        )
    parent = path.parent
    while not parent.exists():
        if parent.parent == parent:
            break
        parent = parent.parent
    if not parent.is_dir():
        raise InvalidParameterError(f"cannot write {what} '{path}': '{parent}' is not a directory.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".logistic-check-", dir=parent)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise InvalidParameterError(
            f"cannot write {what} '{path}': directory '{parent}' is not writable "
            f"({exc.strerror or exc})."
        ) from exc
    return path


@contextlib.contextmanager
def atomic_write(path) -> Iterator:
    """Open a binary file that appears at ``path`` only once completely written.

    Writes go to a temporary file in the same directory (created with its parents if
    needed), which is flushed, ``fsync``-ed and renamed over ``path`` with
    :func:`os.replace` (atomic on POSIX and Windows). On any exception, including
    KeyboardInterrupt, the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file 0600; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        with contextlib.suppress(AttributeError, OSError):
            os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # Persist the rename itself (POSIX); not possible on every platform.
    with contextlib.suppress(OSError, AttributeError):
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    with atomic_write(path) as fh:
        fh.write(data)


def write_csv(table: pa.Table, path) -> None:
    """Write a Table as CSV (header row, comma-separated) atomically."""
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink)
    atomic_write_bytes(path, sink.getvalue().to_pybytes())
