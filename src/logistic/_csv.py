"""How CSV files are read: their dialect, the options of every reader, the column rules.

Every CSV reader of the library (:func:`logistic._files.read_table`, ``read_schema`` and
``iter_batches``) opens a file with :func:`open_input` (compression told by the magic
bytes, the decompressed size bounded: :mod:`logistic._read_limits`), builds its pyarrow
options with :func:`reader_options` (the delimiter detected or given, the decimal mark, the
encoding, the missing cells; the header checked against the column limit and the block
grown to hold it) and passes what it reads through the same :class:`ColumnRules` (numbers
with thousands separators, integers beyond int64, trailing columns without a name). Its
errors become one-line :class:`~logistic.errors.DataError` messages, rows and columns
named, in :mod:`logistic._read_errors`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ._read_limits import (
    block_for_lines,
    block_holding,
    check_columns,
    compression,
    first_line,
    is_block_error,
    not_utf8,
    open_input,
    read_limits,
    split_header,
)
from ._text import shown
from .errors import DataError, InvalidParameterError

__all__ = [
    "DELIMITERS",
    "NULL_VALUES",
    "ColumnRules",
    "CsvDialect",
    "as_dialect",
    "compression",
    "csv_block_size",
    "detect_delimiter",
    "open_input",
    "open_reader",
    "reader_options",
    "stream_csv",
    "whole_csv",
]

#: Cell texts read as missing in CSV files: pyarrow's defaults plus the UCI convention "?".
NULL_VALUES = [*pacsv.ConvertOptions().null_values, "?"]
#: The delimiters :func:`detect_delimiter` chooses from.
DELIMITERS = (",", ";", "\t", "|")
_DECIMALS = (".", ",")
_THOUSANDS = (",", ".", " ", "'")
_SEP_ALIASES = {"\\t": "\t", "tab": "\t"}
# Decompressed bytes read from the start of a file to detect its delimiter and check UTF-8.
_SAMPLE = 1 << 16
_COMPRESSED_SUFFIXES = (".gz", ".bz2", ".zst", ".lz4")

# Bytes of CSV text per row and column, to turn a number of rows into a block size; the
# streaming reader infers types from its first block, so the same block size means the same
# types in every pass.
_CSV_BYTES_PER_CELL = 16
# Columns assumed when every column is read (their count is known only once a block is read).
_CSV_ALL_COLUMNS = 16
_CSV_MIN_BLOCK = 1 << 16
_CSV_MAX_BLOCK = 1 << 28


@dataclass(frozen=True)
class CsvDialect:
    """How the text of CSV files is written: delimiter, decimal mark, digit groups, encoding.

    Parameters
    ----------
    sep : str or None, default=None
        The delimiter, one character (``"\\t"`` or ``"tab"`` for a tab). None detects it
        from the first 64 KiB of each file (decompressed): the one of ``,`` ``;`` tab ``|``
        that splits the header into at least two fields and at least 90% of the following
        lines into as many (quotes respected); several: a tab for ``.tsv`` files, else the
        most consistent, then the most fields; none: a tab for ``.tsv`` files, else a comma.
    decimal : {".", ","}, default="."
        The decimal mark of numbers.
    thousands : {None, ",", ".", " ", "'"}, default=None
        The separator of digit groups (``1,498.23``; ``1.498,23`` with ``decimal=","``;
        ``" "`` also matches no-break spaces). A column whose every cell is a number written
        with or without it is a number column: int64 when every value is an integer (uint64
        or float64 beyond int64), else float64. None: numbers have no separator.
    encoding : str, default="utf-8"
        The text encoding, any Python codec name (``"latin-1"``, ``"cp1252"``,
        ``"utf-16"`` ...); other than UTF-8 the text is transcoded while it is read.

    Raises
    ------
    InvalidParameterError
        A field has a value outside those listed, or ``thousands`` equals ``decimal``.
    """

    sep: str | None = None
    decimal: str = "."
    thousands: str | None = None
    encoding: str = "utf-8"

    def __post_init__(self):
        sep = _SEP_ALIASES.get(self.sep, self.sep) if isinstance(self.sep, str) else self.sep
        if sep is not None and (not isinstance(sep, str) or len(sep) != 1 or sep in '"\r\n'):
            raise InvalidParameterError(
                f"sep={self.sep!r} is not accepted; sep accepts one character (',', ';', "
                "'\\t' or 'tab', '|' ...) or None (detected from the file)."
            )
        object.__setattr__(self, "sep", sep)
        if self.decimal not in _DECIMALS:
            raise InvalidParameterError(
                f"decimal={self.decimal!r} is not accepted; decimal accepts '.' or ','."
            )
        if self.thousands is not None and self.thousands not in _THOUSANDS:
            raise InvalidParameterError(
                f"thousands={self.thousands!r} is not accepted; thousands accepts ',', '.', "
                "' ', \"'\" or None (no separator)."
            )
        if self.thousands == self.decimal:
            raise InvalidParameterError(
                f"thousands={self.thousands!r} is also the decimal mark; give decimal=',' "
                "with thousands='.', or decimal='.' with thousands=','."
            )
        try:
            codecs.lookup(self.encoding)
        except (LookupError, TypeError):
            raise InvalidParameterError(
                f"encoding={self.encoding!r} is not accepted; encoding accepts a Python codec "
                "name such as 'utf-8', 'latin-1', 'cp1252'."
            ) from None

    @property
    def is_utf8(self) -> bool:
        """Whether the text is UTF-8 (read as it is, without transcoding)."""
        return codecs.lookup(self.encoding).name in ("utf-8", "utf-8-sig")


def as_dialect(dialect) -> CsvDialect:
    """``dialect`` itself, or the default :class:`CsvDialect` for None."""
    if dialect is None:
        return CsvDialect()
    if not isinstance(dialect, CsvDialect):
        raise InvalidParameterError(
            f"dialect={dialect!r} is not accepted; dialect accepts a CsvDialect or None."
        )
    return dialect


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


# -- the start of a file ------------------------------------------------------------
def detect_delimiter(path, dialect=None) -> str:
    """The delimiter of a CSV file: the dialect's ``sep``, else detected from its start.

    See :class:`CsvDialect` for the rule: among :data:`DELIMITERS`, the one that splits the
    header into two fields or more and at least 90% of the following lines of the first
    64 KiB into as many; else a tab for ``.tsv`` files (compressed or not), else a comma.
    """
    dialect = as_dialect(dialect)
    if dialect.sep is not None:
        return dialect.sep
    name = Path(path).name.lower()
    for ext in _COMPRESSED_SUFFIXES:
        name = name.removesuffix(ext)
    fallback = "\t" if name.endswith(".tsv") else ","
    try:
        with open_input(path) as f:
            data = f.read(_SAMPLE + 1)
    except (OSError, pa.ArrowException):
        return fallback
    text = data[:_SAMPLE].decode(dialect.encoding, errors="replace").lstrip("\ufeff")
    if len(data) > _SAMPLE and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # the last line may be cut
    best = None
    for rank, sep in enumerate(sorted(DELIMITERS, key=lambda s: s != fallback)):
        try:
            rows = [r for r in csv.reader(io.StringIO(text), delimiter=sep) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        body = rows[1:]
        score = sum(len(r) == len(rows[0]) for r in body) / len(body) if body else 1.0
        key = (fallback == sep == "\t", score, len(rows[0]), -rank)  # .tsv: tab first
        if score >= 0.9 and (best is None or key > best[0]):
            best = (key, sep)
    return best[1] if best else fallback


# -- the options of every reader ----------------------------------------------------------
def reader_options(
    path: Path,
    column_types,
    *,
    use_threads=True,
    handler=None,
    block_size=None,
    include_columns=None,
    extra=None,
    dialect=None,
):
    """``(ReadOptions, ParseOptions, ConvertOptions)``: the options of every CSV reader.

    Parameters
    ----------
    path : pathlib.Path
        The file: its start gives the delimiter (:func:`detect_delimiter`) and, for UTF-8
        text, is checked to be UTF-8 (a DataError names the first bad byte, its row and
        column); its header must have at most ``max_columns`` fields
        (:class:`logistic._read_limits.ReadLimits`).
    column_types : dict of {str: pyarrow.DataType}
        Types forced instead of pyarrow's inference. A column without a name is read as
        text (see :class:`ColumnRules`).
    use_threads : bool, default=True
        False numbers the rows seen by ``handler`` (pyarrow numbers them single-threaded).
    handler : callable or None, default=None
        pyarrow's ``invalid_row_handler``.
    block_size : int or None, default=None
        Bytes per block (see :func:`csv_block_size`); None: pyarrow's default (1 MiB).
        Grown to a power of two that holds twice the header when it does not.
    include_columns : sequence of str or None, default=None
        The columns to read, in order; None or empty: every column.
    extra : dict or None, default=None
        Further :class:`pyarrow.csv.ParseOptions` arguments, overriding the delimiter.
    dialect : CsvDialect or None, default=None
        The delimiter, decimal mark and encoding (None: the default dialect).

    Notes
    -----
    The conversion is the same for every reader: the cells in :data:`NULL_VALUES` are
    missing (null) in every column, text columns included (``strings_can_be_null``).
    """
    dialect, limits = as_dialect(dialect), read_limits()
    extra = dict(extra or {})
    delimiter = extra.pop("delimiter", None) or detect_delimiter(path, dialect)
    if dialect.is_utf8 and (error := not_utf8(path, _SAMPLE, sep=delimiter)) is not None:
        raise error
    # The header: at most max_columns fields, and within the first block (pyarrow infers
    # the number of columns from that block).
    header = first_line(path, limits)
    check_columns(path, len(split_header(header, delimiter, dialect.encoding)), limits)
    block_size = block_holding(len(header), block_size)
    parse_args = {"delimiter": delimiter, **extra}
    if handler is not None:
        parse_args["invalid_row_handler"] = handler
    read = pacsv.ReadOptions(
        use_threads=use_threads, encoding="utf8" if dialect.is_utf8 else dialect.encoding
    )
    if block_size is not None:
        read.block_size = int(block_size)
    convert = pacsv.ConvertOptions(
        null_values=NULL_VALUES,
        strings_can_be_null=True,
        column_types={"": pa.string(), **dict(column_types or {})},
        decimal_point=dialect.decimal,
    )
    if include_columns:
        convert.include_columns = list(include_columns)
    return read, pacsv.ParseOptions(**parse_args), convert


def open_reader(path, column_types, stream=None, **options) -> pacsv.CSVStreamingReader:
    """pyarrow's streaming reader of ``stream`` (None: ``path`` opened here) with the
    options of :func:`reader_options`."""
    read, parse, convert = reader_options(path, column_types, **options)
    return pacsv.open_csv(
        open_input(path) if stream is None else stream,
        read_options=read,
        parse_options=parse,
        convert_options=convert,
    )


# -- the column rules ---------------------------------------------------------------------
def _is_number(t) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t)


def _patterns(dialect: CsvDialect) -> tuple[str, str]:
    """Regular expressions of an integer and of a number written in the dialect."""
    if dialect.thousands is None:
        digits = r"\d+"
    else:
        t = "[ \u00a0\u202f]" if dialect.thousands == " " else re.escape(dialect.thousands)
        digits = rf"(?:\d{{1,3}}(?:{t}\d{{3}})+|\d+)"
    d = re.escape(dialect.decimal)
    integer = rf"^\s*-?{digits}\s*$"
    number = (
        rf"^\s*[+-]?(?:{digits}(?:{d}\d*)?|{d}\d+)(?:e[+-]?\d+)?\s*$"
        r"|^\s*[+-]?(?:inf|infinity|nan)\s*$"
    )
    return integer, number


def _all_match(col, pattern) -> bool:
    return bool(pc.all(pc.match_substring_regex(col, pattern, ignore_case=True)).as_py())


def _clean(col, dialect: CsvDialect):
    """Number texts as pyarrow's cast reads them: no spaces, ``+``, separators; a point."""
    col = pc.replace_substring_regex(pc.utf8_trim_whitespace(col), r"^\+", "")
    if dialect.thousands is not None:
        sep = "[ \u00a0\u202f]" if dialect.thousands == " " else re.escape(dialect.thousands)
        col = pc.replace_substring_regex(col, sep, "")
    return pc.replace_substring(col, ",", ".") if dialect.decimal == "," else col


def _decide(col, dialect: CsvDialect):
    """The type of a number column from its text: int64 when every value is an integer
    (uint64 beyond int64 when none is negative, else float64); else float64."""
    col = col.drop_null()
    integer, _ = _patterns(dialect)
    if _all_match(col, integer):
        clean = _clean(col, dialect)
        for t in (pa.int64(), pa.uint64()):
            with contextlib.suppress(pa.ArrowInvalid):
                pc.cast(clean, t)
                return t
    return pa.float64()


class ColumnRules:
    """The column rules of one CSV file, decided once on a sample and applied to every
    table or batch read from it, so that every reader gives the same types and values.

    Parameters
    ----------
    path : pathlib.Path
        The file (named in the messages).
    dialect : CsvDialect or None
    column_types : dict of {str: pyarrow.DataType} or None
        The types the caller forces; :attr:`types` are those given to pyarrow (with
        ``thousands``, forced number columns as text, converted here).

    Notes
    -----
    :meth:`sample` sees the whole table, or a stream's first batch (its other batches keep
    those types). Binary columns are text that is not UTF-8 (refused). Converted from text:
    with ``thousands``, every number column and every text column of numbers; always, a
    float column holding integers beyond int64. :meth:`apply` converts (a cell that is not
    a number is a DataError naming its row) and drops unnamed columns without values.
    """

    def __init__(self, path, dialect=None, column_types=None):
        self.path, self.dialect = path, as_dialect(dialect)
        self.forced = dict(column_types or {})
        groups = self.dialect.thousands is not None
        self.types = {
            n: pa.string() if groups and _is_number(t) else t for n, t in self.forced.items()
        }
        self.plan: dict = {}

    def sample(self, data, *, stream=False) -> list[str]:
        """Decide on ``data`` which columns are converted; return those to read again as
        text (:meth:`text_types`): of a stream, every converted column that is not text
        in ``data``; of a whole table, those whose type only their text tells."""
        for field in data.schema:
            if pa.types.is_binary(field.type) and field.name not in self.forced:
                sep = detect_delimiter(self.path, self.dialect)
                raise not_utf8(self.path, sep=sep) or DataError(
                    f"data file '{self.path}': column '{shown(field.name)}' is not valid "
                    f"{self.dialect.encoding} text; give its encoding, e.g. encoding='latin-1'."
                )
        groups, (_, number) = self.dialect.thousands is not None, _patterns(self.dialect)
        for i, field in enumerate(data.schema):
            name, t, col = field.name, field.type, data.column(i)
            if name == "" or data.schema.get_field_index(name) != i:
                continue  # unnamed (dropped or refused) or duplicated (refused)
            if name in self.forced:
                if groups and _is_number(self.forced[name]):
                    self.plan[name] = self.forced[name]
            elif pa.types.is_floating(t) and _largest(col) >= 2.0**63:
                self.plan[name] = None
            elif groups and _is_number(t):
                self.plan[name] = t
            elif groups and pa.types.is_string(t) and col.null_count < len(col):
                if _all_match(col, number):
                    self.plan[name] = None
        return [
            n
            for n, t in self.plan.items()
            if (stream or t is None) and not pa.types.is_string(data.schema.field(n).type)
        ]

    def text_types(self, names) -> dict:
        """:attr:`types` with the columns ``names`` read as text."""
        return {**self.types, **{n: pa.string() for n in names}}

    def decide(self, data) -> None:
        """Give each converted column without a type the one its text in ``data`` says."""
        self.plan = {n: t or _decide(data.column(n), self.dialect) for n, t in self.plan.items()}

    def apply(self, data, offset: int = 0):
        """``data`` (a table or a batch; ``offset`` data rows before it) converted."""
        integer, number = _patterns(self.dialect)
        for name, target in self.plan.items():
            i = data.schema.get_field_index(name)
            if i < 0 or not pa.types.is_string(data.schema.field(i).type):
                continue
            col = data.column(i)
            pattern = integer if pa.types.is_integer(target) else number
            ok = pc.match_substring_regex(col, pattern, ignore_case=True)
            bad = np.flatnonzero(~np.asarray(ok.fill_null(True), dtype=bool))
            with contextlib.suppress(pa.ArrowInvalid):
                if not bad.size:
                    data = data.set_column(i, name, pc.cast(_clean(col, self.dialect), target))
                    continue
            values = col.to_pylist()
            row = int(bad[0]) if bad.size else self._first_failing(values, target)
            d = self.dialect
            groups = "" if d.thousands is None else f" with '{d.thousands}' between groups"
            raise DataError(
                f"data file '{self.path}': column '{name}' holds numbers ({target}) but data "
                f"row {offset + row + 1} has '{values[row]}'; its cells accept numbers written "
                f"with '{d.decimal}' as decimal mark{groups}, or empty/NA for a missing value."
            )
        for i in reversed(range(data.num_columns)):
            if data.schema.field(i).name == "":
                col = data.column(i)
                if col.null_count < len(col):
                    row = int(np.flatnonzero(np.asarray(pc.is_valid(col)))[0])
                    raise DataError(
                        f"data file '{self.path}': column #{i + 1} has no name but data row "
                        f"{offset + row + 1} has '{shown(col[row].as_py())}'; name it in the header "
                        "(only an unnamed column without values, e.g. from a delimiter at "
                        "the end of every line, is ignored)."
                    )
                data = data.remove_column(i)
        return data

    def _first_failing(self, values, target) -> int:
        for row, v in enumerate(values):
            with contextlib.suppress(pa.ArrowInvalid):
                pc.cast(_clean(pa.array([v if v is not None else "0"]), self.dialect), target)
                continue
            return row
        return 0


def _largest(col) -> float:
    """The largest finite magnitude of a float column (0 when it has none)."""
    return pc.max(pc.abs(pc.filter(col, pc.is_finite(col)))).as_py() or 0.0


# -- reading a file, whole or in blocks ----------------------------------------------
def whole_csv(path, types, dialect, **options) -> pa.Table:
    """The file read whole; read again in blocks that hold its longest line when a line
    does not fit in pyarrow's."""
    block = None
    while True:
        read, parse, convert = reader_options(
            path, types, dialect=dialect, block_size=block, **options
        )
        try:
            with open_input(path) as f:
                return pacsv.read_csv(
                    f, read_options=read, parse_options=parse, convert_options=convert
                )
        except pa.ArrowInvalid as exc:
            grown = block_for_lines(path, read.block_size) if is_block_error(exc) else 0
            if grown <= read.block_size:
                raise
            block = grown


def stream_csv(path: Path, column_types, **options):
    """The schema, then the record batches of one CSV file (one per block), its column
    rules decided on the first block; the options are :func:`reader_options`'s."""
    rules = ColumnRules(path, options["dialect"], column_types)
    blocks = _csv_blocks(path, rules.types, options)
    with contextlib.ExitStack() as opened:
        opened.callback(lambda: blocks.close())
        schema, first = next(blocks), next(blocks, None)
        redo = rules.sample(first if first is not None else schema.empty_table(), stream=True)
        if redo:  # the same blocks again, those columns as text
            blocks.close()
            blocks = _csv_blocks(path, rules.text_types(redo), options)
            schema, first = next(blocks), next(blocks, None)
        sample = first if first is not None else schema.empty_table()
        rules.decide(sample)
        yield rules.apply(sample.slice(0, 0)).schema
        rows = 0
        while first is not None:
            yield rules.apply(first, rows)
            rows += first.num_rows
            first = next(blocks, None)


def _csv_blocks(path: Path, types, options):
    """pyarrow's schema of one CSV file, then its record batches with rows (one per
    block). When a line does not fit in a block, the file is read again from its start in
    blocks that hold its longest line (:func:`logistic._read_limits.block_for_lines`),
    with the types of the first reading and without the rows already given: every pass
    over the file gives the same batches."""
    block, schema, given = options.get("block_size"), None, 0
    while True:
        try:
            with contextlib.ExitStack() as opened:
                stream = opened.enter_context(open_input(path))
                reader = opened.enter_context(
                    open_reader(path, types, stream, **{**options, "block_size": block})
                )
                if schema is None:
                    schema = reader.schema
                    yield schema
                skip = given
                for batch in reader:
                    if skip:
                        batch, skip = (
                            batch.slice(min(skip, batch.num_rows)),
                            max(skip - batch.num_rows, 0),
                        )
                    if batch.num_rows:
                        given += batch.num_rows
                        yield batch
                return
        except pa.ArrowInvalid as exc:
            grown = block_for_lines(path, block) if is_block_error(exc) else 0
            if grown <= (block or 1 << 20):
                raise
            block = grown
            if schema is not None:  # the same types, whatever the larger first block says
                types = {field.name: field.type for field in schema}
