"""Model files are input like any other: the reader's limits (regular files, size, nesting,
numbers, duplicate keys), the schema of every block, the coefficients' range, the checksum,
and a command line that answers every bad file with one line and exit 2.

Each regression case is a failure of the reader found by fuzzing model files (issue 18):
an escape as a traceback, a hang, a silent misreading, or NaN probabilities with exit 0.
The base documents are the files the previous release wrote (tests/data/release-0.1.0), so
the cases also show that those files keep loading.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from logistic import LogisticRegression
from logistic._json_limits import MAX_BYTES, MAX_DEPTH, MAX_TEXT
from logistic.cli import run
from logistic.errors import ModelFileError
from logistic.persistence import load, save

DATA = Path(__file__).parent / "data" / "release-0.1.0"
SE = "breast_cancer_inference"  # binary, unpenalised, an inference block with separation
CV = "wine_cv_categorical"  # binary, penalised, a categorical column, class weights, CV record
MULTI = "iris_multinomial"  # version 2, three classes


def _doc(name):
    return json.loads((DATA / f"{name}.json").read_text())


def _write(tmp_path, doc_or_text, name="m.json"):
    p = tmp_path / name
    text = doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text, indent=1)
    p.write_text(text, encoding="utf-8")
    return p


def _refused(path, match):
    with pytest.raises(ModelFileError, match=match) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 600, message
    assert f"'{path}'" in message
    return message


def _set(*path, value):
    def edit(doc):
        *parents, last = path
        d = doc
        for k in parents:
            d = d[k]
        d[last] = value
        return doc

    return edit


def _placeholder(name, where, raw):
    """The text of ``name``'s document with the JSON text ``raw`` at ``where`` (a key path),
    for values Python's json cannot write (5,000 digits, 1e400, deep nesting)."""
    doc = _doc(name)
    _set(*where, value="@@RAW@@")(doc)
    return json.dumps(doc, indent=1).replace('"@@RAW@@"', raw, 1)


# -- the regression cases: each escaped or was misread before ---------------------------------
TEXT_CASES = {
    "nesting beyond the recursion limit": (
        _placeholder(CV, ["training", "notes"], "[" * 5000 + "]" * 5000),
        rf"nests deeper than {MAX_DEPTH} levels",
    ),
    "nesting below the recursion limit": (
        _placeholder(CV, ["training", "notes"], "[" * 40 + "]" * 40),
        rf"'training\.notes(\[0\])+' nests deeper than {MAX_DEPTH} levels",
    ),
    "an integer of 5,000 digits": (
        _placeholder(CV, ["training", "n_rows"], "9" * 5000),
        r"'training\.n_rows' is an integer of 5000 digits",
    ),
    "n_iter of 10^20": (
        _placeholder(CV, ["model", "n_iter"], str(10**20)),
        r"'model\.n_iter' is an integer of 21 digits",
    ),
    "a class label of 2^70": (
        _placeholder(SE, ["model", "classes", "values", 1], str(2**70)),
        r"'model\.classes\.values\[1\]' is an integer of 22 digits",
    ),
    "C of 1e400": (
        _placeholder(CV, ["model", "params", "C"], "1e400"),
        r"'model\.params\.C' overflows float64",
    ),
    "a coefficient of -1e309": (
        _placeholder(CV, ["model", "coef", 4], "-1e309"),
        r"'model\.coef\[4\]' overflows float64",
    ),
    "a score of 1e999 in a list with nulls": (
        _placeholder(CV, ["training", "cv", "mean_score", 0], "[null, 1e999]"),
        r"'training\.cv\.mean_score\[0\]\[1\]' overflows float64",
    ),
    "NaN inside the coefficients": (
        _placeholder(CV, ["model", "coef", 3], "NaN"),
        r"contains NaN at 'model\.coef\[3\]'",
    ),
    "a lone surrogate in a printed string": (
        (DATA / f"{CV}.json").read_text().replace('"target": "label"', '"target": "la\\ud800"', 1),
        r"'training\.target' holds a lone surrogate \('\\ud800'\)",
    ),
    "a lone surrogate in a key": (
        (DATA / f"{CV}.json").read_text().replace('"holdout":', '"hold\\udfffout":', 1),
        r"a key of 'training' holds a lone surrogate",
    ),
    "a duplicate key": (
        (DATA / f"{CV}.json")
        .read_text()
        .replace('"converged": true,', '"converged": false, "converged": true,', 1),
        r"'model' has the key 'converged' twice",
    ),
    "a duplicate top-level key": (
        (DATA / f"{CV}.json")
        .read_text()
        .replace('"version": 1,', '"version": 2, "version": 1,', 1),
        r"the top level has the key 'version' twice",
    ),
}


@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_unreadable_values_are_refused_naming_the_field(tmp_path, case):
    text, match = TEXT_CASES[case]
    _refused(_write(tmp_path, text), match)


DOC_CASES = {
    "n_iter beyond int32": (CV, _set("model", "n_iter", value=2**40), r"'model\.n_iter'"),
    "converged as text": (
        CV,
        _set("model", "converged", value="no"),
        r"'model\.converged' must be true or false, got str 'no'",
    ),
    "an unhashable class-weight label": (
        CV,
        _set("model", "params", "class_weight", value={"pairs": [[[1], 2.0], ["one", 1.0]]}),
        r"'model\.params\.class_weight\.pairs\[0\]\[0\]' must be",
    ),
    "a class weight of text": (
        CV,
        _set("model", "params", "class_weight", value={"pairs": [["one", "x"], ["other", 1.0]]}),
        r"'model\.params\.class_weight\.pairs\[0\]\[1\]' must be",
    ),
    "inference.C as text": (
        SE,
        _set("inference", "C", value="big"),
        r"'inference\.C' must be a number > 0 or null, got str 'big'",
    ),
    "separation.features a number": (
        SE,
        _set("inference", "separation", "features", value=5),
        r"'inference\.separation\.features' must be a list of strings",
    ),
    "separation.rows of text": (
        SE,
        _set("inference", "separation", "rows", value=["a"]),
        r"'inference\.separation\.rows\[0\]' must be",
    ),
    "cov_info a list": (
        SE,
        _set("inference", "cov_info", value=[1, 2]),
        r"'inference\.cov_info' must be an object",
    ),
    "cov_params of text": (
        SE,
        lambda d: d["inference"]["cov_params"][2].__setitem__(2, "x"),
        r"'inference\.cov_params\[2\]\[2\]' must be a finite number or null",
    ),
    "cv.Cs a number": (
        CV,
        _set("training", "cv", "Cs", value=5),
        r"'training\.cv\.Cs' must be a list of numbers",
    ),
    "cv.folds text": (CV, _set("training", "cv", "folds", value="3"), r"'training\.cv\.folds'"),
    "metrics of text": (
        CV,
        _set("training", "metrics", "accuracy", value="high"),
        r"'training\.metrics\.accuracy' must be a finite number or null",
    ),
    "training.converged as text": (
        CV,
        _set("training", "converged", value="yes"),
        r"'training\.converged' must be true or false",
    ),
    "training a list": (CV, _set("training", value=[1]), r"'training' must be an object"),
    "created a number": (CV, _set("created", value=5), r"'created' must be"),
    "library_version a list": (CV, _set("library_version", value=[]), r"'library_version'"),
    "float_format unknown": (CV, _set("float_format", value="hex"), r"'float_format'"),
    "an unknown top-level key": (CV, _set("modle", value={}), r"unknown key 'modle'"),
    "an unknown model key": (CV, _set("model", "coefs", value=[]), r"'model' has the unknown key"),
    "a long string where it is printed": (
        CV,
        _set("training", "data_file", value="a" * (MAX_TEXT + 1)),
        rf"'training\.data_file' is a string of {MAX_TEXT + 1} characters",
    ),
    "a long feature name": (
        MULTI,
        _set("model", "feature_names", 0, value="x" * (MAX_TEXT + 1)),
        r"'model\.feature_names\[0\]' is a string of",
    ),
    "a long key": (CV, _set("training", "k" * (MAX_TEXT + 1), value=1), r"a key of"),
    "a solver name of 300 characters": (
        CV,
        _set("model", "solver", value="s" * 300),
        r"'model\.solver' must be",
    ),
}


@pytest.mark.parametrize("case", sorted(DOC_CASES))
def test_blocks_are_typed_and_bounded(tmp_path, case):
    name, edit, match = DOC_CASES[case]
    doc = _doc(name)
    edit(doc)
    _refused(_write(tmp_path, doc), match)


def test_summary_of_a_lone_surrogate_is_one_line(tmp_path):
    # In-process output would take the surrogate; a real stdout cannot encode it.
    import subprocess
    import sys

    text, _ = TEXT_CASES["a lone surrogate in a printed string"]
    path = _write(tmp_path, text)
    code = "import sys; from logistic.cli import run; sys.exit(run(sys.argv[1:]))"
    proc = subprocess.run(
        [sys.executable, "-c", code, "summary", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr


@pytest.mark.parametrize(
    "case", ["inference.C as text", "separation.features a number", "cov_info a list"]
)
def test_summary_of_a_bad_inference_block_is_one_line(tmp_path, capsys, case):
    name, edit, _ = DOC_CASES[case]
    doc = _doc(name)
    edit(doc)
    path = _write(tmp_path, doc)
    assert run(["summary", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "'inference." in err


def test_summary_of_a_bad_cv_record_is_one_line(tmp_path, capsys):
    doc = _set("training", "cv", "Cs", value=5)(_doc(CV))
    assert run(["summary", str(_write(tmp_path, doc))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "'training.cv.Cs'" in err and err.count("\n") == 1


def test_summary_shows_a_long_record_list_shortened(tmp_path, capsys):
    # A record can list as many columns as the data had: the table shows a few, --json all.
    features = [f"column_{j}" for j in range(5000)]
    doc = _set("training", "features", value=features)(_doc(CV))
    path = _write(tmp_path, doc)
    assert run(["summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert "column_0" in out and "column_4999" not in out and "4980 more" in out
    assert run(["summary", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["training"]["features"] == features


# -- the coefficients must give finite logits ---------------------------------------------------
@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            lambda d: d["model"]["coef"].__setitem__(0, 1.7e308),
            r"'model\.coef' sums to \|coef\| \+ \|intercept\| = 1\.7e\+308; accepted: at most 1\.8e\+302",
        ),
        (_set("model", "intercept", value=-1.7e308), r"'model\.coef' sums to"),
        (
            lambda d: d["model"]["coef"].__setitem__(2, 1e303),
            r"sums to \|coef\| \+ \|intercept\| = 1e\+303",
        ),
    ],
)
def test_coefficients_that_overflow_the_logits_are_refused(tmp_path, capsys, edit, match):
    doc = _doc(CV)
    edit(doc)
    path = _write(tmp_path, doc)
    _refused(path, match)
    out = tmp_path / "p.csv"
    assert run(["predict", str(path), str(DATA / f"{CV}.rows.csv"), "-o", str(out)]) == 2
    assert not out.exists()
    assert capsys.readouterr().err.count("\n") == 1


def test_multinomial_coefficients_are_bounded_per_class(tmp_path):
    doc = _doc(MULTI)
    doc["model"]["coef"][2][1] = -1e305
    _refused(_write(tmp_path, doc), r"'model\.coef\[2\]' sums to")


def test_coefficients_whose_per_unit_values_overflow_are_refused(tmp_path):
    # Finite per standard deviation, infinite per unit of an input of tiny spread: summary
    # would print them.
    doc = _doc(CV)
    doc["preprocessing"]["columns"][0]["scale"] = 1e-300
    doc["model"]["coef"][0] = 1e10
    _refused(_write(tmp_path, doc), r"per unit of 'f0'")


def test_an_unparsable_formula_is_one_line(tmp_path):
    # The fuzzer's find: formulaic's SyntaxError escaped from an edited formula.
    import statsmodels.api as sm

    import logistic

    df = sm.datasets.spector.load_pandas().data
    result = logistic.from_formula("GRADE ~ GPA + C(PSI)", df)
    doc = json.loads(result.save(tmp_path / "f.json").read_text())
    doc["preprocessing"]["formula"] = "GRADE ~ GPA + C({PSI)"
    _refused(
        _write(tmp_path, doc), r"'preprocessing\.formula': formula 'GRADE ~ GPA \+ C\(\{PSI\)'"
    )


def test_large_but_usable_coefficients_still_load(tmp_path):
    doc = _doc(CV)
    doc["model"]["coef"][0] = 1e200
    m = load(_write(tmp_path, doc))
    assert m.estimator.coef_[0, 0] == 1e200


# -- the file itself ------------------------------------------------------------------------------
def _load_within(path, seconds=10.0):
    """``load(path)``'s exception in a thread that may not outlive ``seconds``."""
    result = {}

    def target():
        try:
            load(path)
        except BaseException as exc:  # the test inspects it
            result["exc"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    return t.is_alive(), result.get("exc")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "m.json"
    os.mkfifo(fifo)
    alive, exc = _load_within(fifo)
    if alive:  # unblock the reader before failing
        with open(fifo, "w") as f:
            f.write("{}")
    assert not alive, "load blocked on a FIFO"
    assert isinstance(exc, ModelFileError) and "not a regular file (a FIFO)" in str(exc)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_link_to_a_device_is_refused_before_reading(tmp_path):
    link = tmp_path / "m.json"
    link.symlink_to("/dev/zero")
    alive, exc = _load_within(link)
    assert not alive
    assert isinstance(exc, ModelFileError) and "a character device" in str(exc)


def test_a_directory_is_refused(tmp_path):
    _refused(tmp_path, "is a directory")


def test_a_file_over_the_size_cap_is_refused_before_reading(tmp_path):
    path = tmp_path / "m.json"
    with open(path, "wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: no disk space, and nothing may read it
    _refused(path, rf"is {MAX_BYTES + 1} bytes; model files are at most {MAX_BYTES}")


def test_the_size_cap_holds_the_largest_file_save_writes():
    # The largest block a fit writes is the covariance of the most parameters standard
    # errors are computed for; each number takes at most 34 bytes as save indents it.
    from logistic.training._inference import _MAX_SE_PARAMS

    assert _MAX_SE_PARAMS**2 * 34 < MAX_BYTES


def test_a_symlink_to_a_model_file_loads(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(DATA / f"{CV}.json")
    assert load(link).classes_.tolist() == ["one", "other"]


# -- the checksum --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    from logistic.training import fit_table

    result = fit_table(None, C=1.0)  # scikit-learn's breast-cancer table
    path = tmp_path_factory.mktemp("saved") / "m.json"
    save(result.estimator, path, preprocessor=result.preprocessor, training=result.record)
    return path, json.loads(path.read_text())


def test_save_writes_a_checksum_that_load_verifies(saved, tmp_path):
    path, doc = saved
    digests = doc["checksum"]["sha256"]
    assert sorted(digests) == ["model.classes", "model.coef", "model.intercept", "preprocessing"]
    assert all(len(v) == 64 and int(v, 16) >= 0 for v in digests.values())
    load(path)
    # The digests are of the values, not of the bytes: the same document written compactly
    # (or re-indented by an editor) loads.
    compact = tmp_path / "compact.json"
    compact.write_text(json.dumps(doc, separators=(",", ":")))
    load(compact)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (
            lambda d: d["model"]["coef"].__setitem__(
                0, float(np.nextafter(d["model"]["coef"][0], np.inf))
            ),
            "model.coef",
        ),
        (
            lambda d: d["model"].__setitem__("intercept", d["model"]["intercept"] + 1),
            "model.intercept",
        ),
        (_set("model", "classes", "values", value=[0, 2]), "model.classes"),
        (
            lambda d: d["preprocessing"]["columns"][0].__setitem__("mean", 0.0),
            "preprocessing",
        ),
    ],
)
def test_an_edited_file_is_detected(saved, tmp_path, edit, field):
    _, doc = saved
    doc = copy.deepcopy(doc)
    edit(doc)
    _refused(_write(tmp_path, doc), rf"'{field}' differs from the checksum save wrote")


def test_a_file_without_a_checksum_still_loads(saved, tmp_path):
    _, doc = saved
    doc = copy.deepcopy(doc)
    doc.pop("checksum")
    load(_write(tmp_path, doc))
    for name in (SE, CV, MULTI):  # written before the checksum existed
        assert "checksum" not in _doc(name)
        load(DATA / f"{name}.json")


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ({"sha256": {"model.coef": "xyz"}}, r"'checksum\.sha256\.model\.coef' must be 64"),
        ({"md5": {}}, r"'checksum' must be an object with 'sha256'"),
        ({"sha256": {"model.params": "0" * 64}}, r"'checksum\.sha256' has the unknown key"),
    ],
)
def test_a_malformed_checksum_is_refused(saved, tmp_path, value, match):
    _, doc = saved
    doc = copy.deepcopy(doc)
    doc["checksum"] = value
    _refused(_write(tmp_path, doc), match)


# -- save refuses what load would refuse --------------------------------------------------------
def test_save_refuses_a_record_that_load_would_refuse(breast_cancer, tmp_path):
    X, y = breast_cancer
    est = LogisticRegression().fit(X, y)
    with pytest.raises(ModelFileError, match=r"'training\.note' is a string of"):
        save(est, tmp_path / "m.json", training={"solver": "x", "note": "a" * (MAX_TEXT + 1)})
    assert not (tmp_path / "m.json").exists()
    with pytest.raises(ModelFileError, match="lone surrogate"):
        save(est, tmp_path / "m.json", training={"solver": "x", "note": "a\ud800"})
    est.coef_ = est.coef_.copy()
    est.coef_[0, 0] = 1.7e308
    with pytest.raises(ModelFileError, match=r"'model\.coef' sums to"):
        save(est, tmp_path / "m.json")
