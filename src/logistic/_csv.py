"""How CSV files are read: their dialect, the options of every reader, the column rules.

Every CSV reader of the library (:func:`logistic._files.read_table`, ``read_schema`` and
``iter_batches``) opens a file with :func:`open_input` (compression told by the magic
bytes), builds its pyarrow options with :func:`reader_options` (the delimiter detected or
given, the decimal mark, the encoding, the missing cells), passes what it reads through
the same :class:`ColumnRules` (numbers with thousands separators, integers beyond int64,
trailing columns without a name), and turns pyarrow's errors into
one-line :class:`~logistic.errors.DataError` messages with :func:`csv_error`, which finds
the data row that pyarrow does not name.
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

from ._text import one_line
from .errors import DataError, InvalidParameterError

__all__ = [
    "DELIMITERS",
    "NULL_VALUES",
    "ColumnRules",
    "CsvDialect",
    "as_dialect",
    "compression",
    "csv_block_size",
    "csv_error",
    "detect_delimiter",
    "header_names",
    "open_input",
    "open_reader",
    "reader_options",
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
_MAGIC = ((b"\x1f\x8b", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"), (b"\x04\x22\x4d\x18", "lz4"))
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


# -- opening a file, its start ------------------------------------------------------------
def compression(path) -> str | None:
    """The compression of a file told by its first bytes (``"gzip"``, ``"bz2"``, ``"zstd"``,
    ``"lz4"``) whatever its name, or None: not compressed, or not readable."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return None
    if head[:3] == b"BZh" and head[3:4].isdigit():
        return "bz2"
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


def open_input(path) -> pa.NativeFile:
    """The file as a pyarrow input stream, decompressed as :func:`compression` tells."""
    return pa.input_stream(str(path), compression=compression(path))


def _not_utf8(path, limit=None) -> DataError | None:
    """The DataError for the first byte that is not UTF-8 (in the first ``limit`` bytes
    decompressed; None: the whole file), or None when there is none."""
    tail, lines, read = b"", 0, 0
    with contextlib.suppress(OSError, pa.ArrowException), open_input(path) as f:
        while True:
            chunk = f.read(1 << 20 if limit is None else min(1 << 20, limit - read))
            read += len(chunk)
            buf = tail + chunk
            try:
                _, used = codecs.utf_8_decode(buf, "strict", not chunk)
            except UnicodeDecodeError as exc:
                line = lines + buf.count(b"\n", 0, exc.start) + 1
                bom = read == len(chunk) and buf[:2] in (b"\xff\xfe", b"\xfe\xff")
                enc = "utf-16" if bom else "latin-1"
                return DataError(
                    f"data file '{path}' is not valid UTF-8 (byte 0x{buf[exc.start]:02x} on "
                    f"line {line}); give its encoding, e.g. encoding='{enc}'."
                )
            lines += buf.count(b"\n", 0, used)
            tail = buf[used:]
            if not chunk or (limit is not None and read >= limit):
                return None


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
        text, is checked to be UTF-8 (a DataError names the first bad byte and its line).
    column_types : dict of {str: pyarrow.DataType}
        Types forced instead of pyarrow's inference. A column without a name is read as
        text (see :class:`ColumnRules`).
    use_threads : bool, default=True
        False numbers the rows seen by ``handler`` (pyarrow numbers them single-threaded).
    handler : callable or None, default=None
        pyarrow's ``invalid_row_handler``.
    block_size : int or None, default=None
        Bytes per block (see :func:`csv_block_size`); None keeps pyarrow's default.
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
    dialect = as_dialect(dialect)
    if dialect.is_utf8 and (error := _not_utf8(path, _SAMPLE)) is not None:
        raise error
    extra = dict(extra or {})
    delimiter = extra.pop("delimiter", None) or detect_delimiter(path, dialect)
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
                raise _not_utf8(self.path) or DataError(
                    f"data file '{self.path}': column '{field.name}' is not valid "
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
                        f"{offset + row + 1} has '{col[row].as_py()}'; name it in the header "
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


# -- the messages -------------------------------------------------------------------------
def csv_error(
    path: Path, exc, column_types, *, extra=None, in_file=False, dialect=None
) -> DataError:
    """The DataError for a pyarrow error met reading the CSV file ``path``."""
    msg, dialect = one_line(exc), as_dialect(dialect)
    options = {"extra": extra, "dialect": dialect}
    if isinstance(exc, UnicodeDecodeError):
        return DataError(
            f"data file '{path}' is not valid {dialect.encoding} ({exc.reason}, byte "
            f"0x{exc.object[exc.start]:02x}); give its encoding, e.g. encoding='latin-1'."
        )
    if "invalid UTF8" in msg and dialect.is_utf8:
        return _not_utf8(path) or DataError(f"data file '{path}' is not valid UTF-8: {msg}.")
    if isinstance(exc, pa.ArrowInvalid):
        if msg.startswith("Empty CSV file"):
            return DataError(f"data file '{path}' is empty; expected a header row and data rows.")
        if "CSV parse error" in msg:
            return DataError(_ragged_message(path, msg, options))
        match = re.search(r"In CSV column #(\d+): .*?error to (\S+): invalid value '(.*)'", msg)
        # With forced types (or in a streamed read, whose types are fixed by the first
        # block) a cell that does not convert is a typo in the data: find its row.
        if match and (column_types or in_file):
            index, to_type, value = int(match.group(1)), match.group(2), match.group(3)
            return DataError(_conversion_message(path, index, to_type, value, options, in_file))
    return DataError(f"cannot read CSV file '{path}': {msg}.")


def header_names(path: Path, extra, dialect=None) -> list[str] | None:
    """The column names of a CSV file, or None when it cannot be read."""
    # Ragged rows are skipped: the header is wanted even from a file with a bad row.
    with contextlib.suppress(pa.ArrowException, OSError, UnicodeError, DataError):
        reader = open_reader(path, {}, handler=lambda row: "skip", extra=extra, dialect=dialect)
        with contextlib.closing(reader):
            return reader.schema.names
    return None


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

    types = {n: pa.string() for n in header_names(path, **options) or []}
    with contextlib.suppress(pa.ArrowException, OSError, UnicodeError):
        reader = open_reader(path, types, use_threads=False, handler=handler, **options)
        with contextlib.closing(reader):
            for _ in reader:
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
        types, block = {name: pa.string()}, _CSV_MAX_BLOCK // 16
        with contextlib.suppress(pa.ArrowException, OSError, UnicodeError):
            reader = open_reader(path, types, block_size=block, include_columns=[name], **options)
            with contextlib.closing(reader):
                start = 0
                for batch in reader:
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
