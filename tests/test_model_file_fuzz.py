"""Mutation fuzzing of model files: whatever a file holds, ``load`` returns a model or raises
one line of :class:`~logistic.errors.ModelFileError`, and ``summary``, ``predict`` and
``evaluate`` exit 0 or 2 (one line on stderr), never with a traceback, never with NaN
probabilities.

The mutations start from real files (the previous release's, tests/data/release-0.1.0, and
the same models saved now, with their checksum): a field replaced by a value of another type
or an extreme one, removed, or added; or the text itself cut, a character changed, or a
snippet inserted (deep nesting, a 5,000-digit integer, 1e400, NaN, a lone surrogate, a
duplicate key). Hypothesis draws them from a fixed seed (``derandomize``), a few dozen in the
suite; ``make fuzz`` runs thousands (``LOGISTIC_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import contextlib
import copy
import csv
import functools
import io
import json
import math
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from logistic.cli import run
from logistic.errors import ModelFileError
from logistic.persistence import load, to_document

DATA = Path(__file__).parent / "data" / "release-0.1.0"
#: The base files, each with rows of its data and its target column.
BASES = {
    "breast_cancer_inference": "target",
    "wine_cv_categorical": "label",
    "iris_multinomial": "species",
}
TARGETS = {**BASES, "spector_formula": "GRADE"}
EXAMPLES = int(os.environ.get("LOGISTIC_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXAMPLES or 12,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


FORMULA = "GRADE ~ GPA + center(TUCE) + I(TUCE**2) + C(tutor)"


@functools.cache
def _spector():
    import numpy as np
    import statsmodels.api as sm

    df = sm.datasets.spector.load_pandas().data
    df["tutor"] = np.where(df.PSI > 0, "yes", "no")
    return df


@functools.cache
def _bases() -> dict:
    """``{name: document}``: each release file as written, and as saved now (a checksum);
    a formula's model on statsmodels' spector data (its preprocessing is a formula state)."""
    import logistic

    out = {}
    for name in BASES:
        doc = json.loads((DATA / f"{name}.json").read_text())
        out[name] = doc
        m = load(DATA / f"{name}.json")
        out[f"{name}+checksum"] = to_document(
            m.estimator, preprocessor=m.preprocessor, training=m.training, inference=m.inference
        )
    result = logistic.from_formula(FORMULA, _spector())
    out["spector_formula"] = to_document(
        result.estimator, preprocessor=result.preprocessor, training=result.record
    )
    return out


def _rows(name, where: Path) -> str:
    """The rows CSV of a base (the formula's data written once into ``where``)."""
    if name != "spector_formula":
        return str(DATA / f"{name}.rows.csv")
    path = where / "spector.csv"
    if not path.exists():
        _spector().to_csv(path, index=False)
    return str(path)


def _paths(doc) -> list[tuple]:
    """Every key path of ``doc`` (list items: the first three of a list)."""
    out, stack = [], [((), doc)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, dict):
            children = list(v.items())
        elif isinstance(v, list):
            children = list(enumerate(v[:3]))
        else:
            continue
        for k, x in children:
            out.append((*path, k))
            stack.append(((*path, k), x))
    return sorted(out, key=repr)


EXTREME = st.sampled_from(
    [
        None,
        True,
        0,
        -1,
        2**31,
        2**63 - 1,
        -(2**63),
        1.7e308,
        -1.7e308,
        5e-324,
        1e300,
        "",
        "x" * 200,
        "inf",
        "NaN",
        "no",
        [],
        [1, 2],
        [[[]]],
        {},
        {"pairs": [[[1], 2.0]]},
        {"separated": "yes"},
    ]
)
VALUES = st.one_of(
    EXTREME,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.lists(st.one_of(st.integers(-5, 5), st.floats(-10, 10), st.text(max_size=3)), max_size=4),
    st.dictionaries(st.text(max_size=6), st.integers(-3, 3), max_size=3),
)


@st.composite
def mutated_documents(draw):
    name = draw(st.sampled_from(sorted(_bases())))
    doc = copy.deepcopy(_bases()[name])
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        key = path[-1]
        op = draw(st.sampled_from(["set", "set", "delete", "add", "wrap"]))
        # Copies: the sampled values are shared between examples (and could be put inside
        # themselves).
        if op == "set":
            parent[key] = copy.deepcopy(draw(VALUES))
        elif op == "delete":
            del parent[key]
        elif op == "add" and isinstance(parent, dict):
            new_key = draw(st.sampled_from(["x", "coef", "schema", "n_iter"]))
            parent[new_key] = copy.deepcopy(draw(VALUES))
        elif op == "wrap":
            parent[key] = [parent[key]]
    return name.split("+")[0], doc


SNIPPETS = [
    "[" * 3000,
    "[" * 30 + "]" * 30 + ",",
    "9" * 5000,
    "1e400",
    "-1e999",
    "NaN",
    "Infinity",
    '"\\ud800"',
    '"x": 1, ',
    '"model": {}, ',
    "}",
    "\x00",
    "0." + "1" * 400,
]


@st.composite
def mutated_texts(draw):
    name = draw(st.sampled_from(sorted(_bases())))
    text = json.dumps(_bases()[name], indent=1, ensure_ascii=False)
    op = draw(st.sampled_from(["cut", "char", "insert", "insert", "duplicate"]))
    i = draw(st.integers(0, len(text) - 1))
    if op == "cut":
        text = text[:i]
    elif op == "char":
        text = (
            text[:i] + draw(st.sampled_from(list('{}[]",:0123456789eE-+. ntfa\\'))) + text[i + 1 :]
        )
    elif op == "insert":
        text = text[:i] + draw(st.sampled_from(SNIPPETS)) + text[i:]
    else:
        key = draw(st.sampled_from(['"coef": ', '"converged": ', '"version": ', '"values": ']))
        j = text.find(key)
        if j >= 0:
            text = text[:j] + key + "0, " + text[j:]
    return name.split("+")[0], text


def _one_line(message) -> None:
    message = str(message)
    assert message and "\n" not in message and len(message) < 1000, message


def _run(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(argv)  # anything but a clean exit propagates and fails the test
    return code, out.getvalue(), err.getvalue()


def _check_file(path: Path, name: str) -> None:
    """``load`` and the commands that read a model file, on the file at ``path``."""
    try:
        model = load(path)
    except ModelFileError as exc:
        _one_line(exc)
        loaded = False
    else:
        loaded = True
    event("loaded" if loaded else "refused")  # counted by --hypothesis-show-statistics
    rows = _rows(name, path.parent)
    out_csv = path.with_suffix(".csv")
    commands = [["summary", str(path)]]
    if loaded:  # a refused file is refused by every command alike (they call load)
        commands += [
            ["summary", str(path), "--json"],
            ["predict", str(path), rows, "-o", str(out_csv)],
            ["evaluate", str(path), rows, "--target", TARGETS[name], "--json", "--no-plots"],
        ]
    for argv in commands:
        code, _, stderr = _run(argv)
        assert code in (0, 2), (argv, code, stderr)
        if code == 2:
            lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
            assert len(lines) == 1, stderr
        else:
            assert loaded, (argv, "exit 0 on a file load refuses")
        if argv[0] == "predict" and code == 0:
            _finite_probabilities(out_csv)
    if loaded and model.preprocessor is not None:
        from logistic.tables import read_table

        try:
            table = read_table(rows, column_types=model.preprocessor.csv_column_types())
            proba = model.predict_proba(table)
        except (ValueError, TypeError) as exc:  # a UserInputError: one line
            _one_line(exc)
        else:
            assert all(math.isfinite(p) for p in proba.ravel())


def _finite_probabilities(path: Path) -> None:
    """Every probability column of a predict output (``probability``, ``p_<class>``) holds
    finite numbers in [0, 1]."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows
    for name in rows[0]:
        if name == "probability" or name.startswith("p_"):
            values = [float(r[name]) for r in rows]
            assert all(0.0 <= v <= 1.0 for v in values), (name, values[:5])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(case=mutated_documents())
def test_mutated_model_files(workdir, case):
    name, doc = case
    path = workdir / "m.json"
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    _check_file(path, name)


@FUZZ
@given(case=mutated_texts())
def test_mutated_model_file_texts(workdir, case):
    name, text = case
    path = workdir / "t.json"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    _check_file(path, name)


@settings(FUZZ, max_examples=EXAMPLES or 40)
@given(data=st.binary(max_size=64), at=st.integers(0, 2000))
def test_model_files_with_bytes_spliced_in(workdir, data, at):
    raw = (DATA / "wine_cv_categorical.json").read_bytes()
    path = workdir / "b.json"
    path.write_bytes(raw[:at] + data + raw[at:])
    try:
        load(path)
    except ModelFileError as exc:
        _one_line(exc)
        event("refused")
    else:
        event("loaded")
