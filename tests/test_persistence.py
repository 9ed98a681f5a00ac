"""Model files: exact round trips, the record they keep, atomic writes, and strict loading."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pyarrow.csv as pacsv
import pytest

import logistic
from logistic import LogisticRegression
from logistic.errors import ModelFileError
from logistic.persistence import SCHEMA, VERSION, LoadedModel, load, save, training_record
from logistic.tables import TablePreprocessor, read_table, read_target
from test_tables import FEATURES, fair_table


@pytest.fixture(scope="module")
def fair_fit(tmp_path_factory):
    """A model on the real mixed-column fair data, fitted from a CSV file."""
    path = tmp_path_factory.mktemp("fair") / "fair.csv"
    pacsv.write_csv(fair_table(), path)
    table = read_table(path)
    pre = TablePreprocessor(impute="mean").fit(table, columns=FEATURES)
    X = pre.transform(table)
    y = read_target(table, "affair")
    est = LogisticRegression(C=0.5).fit(X, y)
    return path, table, pre, X, y, est


def bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.int64 if a.dtype == np.float64 else np.int32)


def test_round_trip_is_bit_exact_with_preprocessing(fair_fit, tmp_path):
    path, table, pre, X, _, est = fair_fit
    out = save(
        est,
        tmp_path / "m.json",
        preprocessor=pre,
        training=training_record(est, X=X, data_path=path, target="affair"),
    )
    m = load(out)
    assert isinstance(m, LoadedModel)
    np.testing.assert_array_equal(bits(m.estimator.coef_), bits(est.coef_))
    np.testing.assert_array_equal(bits(m.estimator.intercept_), bits(est.intercept_))
    # The same probabilities, bit for bit, from the table (through the stored preprocessing)
    # and from the matrix.
    np.testing.assert_array_equal(bits(m.predict_proba(table)), bits(est.predict_proba(X)))
    np.testing.assert_array_equal(bits(m.predict_proba(X)), bits(est.predict_proba(X)))
    np.testing.assert_array_equal(bits(m.decision_function(table)), bits(est.decision_function(X)))
    np.testing.assert_array_equal(m.predict(table), est.predict(X))
    assert m.classes_.tolist() == ["no", "yes"]
    assert m.feature_names == pre.feature_names_out
    assert m.target == "affair"


def test_file_contents_and_training_record(fair_fit, tmp_path):
    path, _, pre, X, _, est = fair_fit
    save(
        est,
        tmp_path / "m.json",
        preprocessor=pre,
        training=training_record(est, X=X, data_path=path, seconds=1.5, target="affair"),
    )
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["schema"] == SCHEMA == "logistic.model"
    assert doc["version"] == 1 and VERSION == 2  # binary files stay version 1
    assert doc["library_version"] == logistic.__version__
    assert doc["float_format"] == "repr"
    assert doc["model"]["classes"] == {"dtype": "str", "values": ["no", "yes"]}
    assert doc["model"]["coef"] == est.coef_.ravel().tolist()  # repr round trip: exact
    assert doc["model"]["intercept"] == float(est.intercept_[0])
    rec = doc["training"]
    assert rec["solver"] == est.solver_ and rec["C"] == 0.5
    assert rec["n_iter"] == int(est.n_iter_[0]) and rec["converged"] is True
    assert rec["final_loss"] == est.history_.loss[-1]
    assert rec["grad_norm"] == est.history_.grad_norm[-1] <= est.tol
    assert (rec["n_rows"], rec["n_columns"]) == X.shape
    assert rec["seconds"] == 1.5
    assert rec["data_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc["preprocessing"] == pre.to_dict()
    assert "callback" not in doc["model"]["params"]


@pytest.mark.parametrize(
    ("labels", "dtype"),
    [
        ([0, 1], np.int64),
        ([False, True], np.bool_),
        ([-1.0, 1.0], np.float64),
        (["<=50K", ">50K"], object),
    ],
)
def test_classes_keep_their_type(breast_cancer, tmp_path, labels, dtype):
    X, y = breast_cancer
    yy = np.array(labels, dtype=dtype)[y]
    est = LogisticRegression().fit(X, yy)
    m = load(save(est, tmp_path / "m.json"))
    assert m.classes_.dtype == np.asarray(labels, dtype=dtype).dtype
    assert m.classes_.tolist() == labels
    assert [type(v) for v in m.classes_.tolist()] == [type(v) for v in labels]
    np.testing.assert_array_equal(m.predict(X), est.predict(X))
    np.testing.assert_array_equal(bits(m.predict_proba(X)), bits(est.predict_proba(X)))


def test_float32_model_round_trip(breast_cancer, tmp_path):
    X, y = breast_cancer
    X32 = X.astype(np.float32)
    est = LogisticRegression(solver="gd", max_iter=50, tol=0.0)
    with pytest.warns(logistic.ConvergenceWarning):
        est.fit(X32, y)
    m = load(save(est, tmp_path / "m.json"))
    assert m.estimator.coef_.dtype == np.float32
    np.testing.assert_array_equal(bits(m.estimator.coef_), bits(est.coef_))
    np.testing.assert_array_equal(bits(m.predict_proba(X32)), bits(est.predict_proba(X32)))


def test_extreme_coefficients_survive_exactly(breast_cancer, tmp_path):
    X, y = breast_cancer
    est = LogisticRegression().fit(X[:, :8], y)
    rng = np.random.default_rng(0)
    coef = np.array(
        [
            5e-324,
            -2.2250738585072014e-308,
            1.7976931348623157e308 / 1e10,
            0.1,
            1 / 3,
            -0.0,
            *rng.standard_normal(2),
        ]
    )
    est.coef_ = coef.reshape(1, -1)
    est.intercept_ = np.array([np.nextafter(1.0, 2.0)])
    m = load(save(est, tmp_path / "m.json"))
    np.testing.assert_array_equal(bits(m.estimator.coef_), bits(est.coef_))
    np.testing.assert_array_equal(bits(m.estimator.intercept_), bits(est.intercept_))


def test_params_round_trip(breast_cancer, tmp_path):
    X, y = breast_cancer
    est = LogisticRegression(C=np.inf, class_weight={0: 2.0, 1: 0.5}, tol=1e-6, random_state=3).fit(
        X, y
    )
    m = load(save(est, tmp_path / "m.json"))
    p = m.estimator.get_params()
    assert p["C"] == np.inf and p["class_weight"] == {0: 2.0, 1: 0.5}
    assert p["tol"] == 1e-6 and p["random_state"] == 3


def test_save_refuses_what_it_cannot_store(breast_cancer, tmp_path):
    X, y = breast_cancer
    with pytest.raises(ModelFileError, match="unfitted"):
        save(LogisticRegression(), tmp_path / "m.json")
    est = LogisticRegression().fit(X, y)
    est.coef_ = est.coef_.copy()
    est.coef_[0, 3] = np.nan
    with pytest.raises(ModelFileError, match="non-finite"):
        save(est, tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()
    pre = TablePreprocessor().fit(fair_table(missing=False), columns=FEATURES)
    with pytest.raises(ModelFileError, match="the preprocessor makes"):
        save(LogisticRegression().fit(X, y), tmp_path / "m.json", preprocessor=pre)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(breast_cancer, tmp_path, monkeypatch):
    X, y = breast_cancer
    est = LogisticRegression().fit(X, y)
    target = tmp_path / "m.json"
    save(est, target)
    before = target.read_bytes()

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="No space left"):
        save(LogisticRegression(C=0.1).fit(X, y), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


# -- loading refuses bad files ------------------------------------------------------------
@pytest.fixture
def good_doc(tmp_path):
    pre_table = fair_table(missing=False)
    pre = TablePreprocessor().fit(pre_table, columns=FEATURES)
    Xf = pre.transform(pre_table)
    est = LogisticRegression().fit(Xf, read_target(pre_table, "affair"))
    path = save(est, tmp_path / "good.json", preprocessor=pre)
    return path, json.loads(path.read_text())


def _write(tmp_path, doc_or_text):
    p = tmp_path / "bad.json"
    p.write_text(doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text))
    return p


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "is empty"),
        ("hello", "not valid JSON"),
        ("[1, 2]", "top level is a JSON list"),
        ("\x00\xff", "not valid JSON|not UTF-8"),
    ],
)
def test_not_a_model_file(tmp_path, text, match):
    with pytest.raises(ModelFileError, match=match):
        load(_write(tmp_path, text))


def test_missing_and_truncated(good_doc, tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        load(tmp_path / "nope.json")
    text = good_doc[0].read_text()
    for cut in (len(text) // 3, len(text) // 2, len(text) - 3):
        with pytest.raises(ModelFileError, match="truncated"):
            load(_write(tmp_path, text[:cut]))


def _set(path, value):
    def edit(d):
        *parents, last = path
        for k in parents:
            d = d[k]
        d[last] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (_set(["schema"], "sklearn.model"), "schema is 'sklearn.model'"),
        (_set(["version"], 3), "version 3 was written by a newer logistic"),
        (_set(["version"], "1"), "'version' must be int"),
        (lambda d: d["model"]["coef"].pop(), r"'model.coef' has \d+ values but"),
        (_set(["model", "n_features"], 3), "'model.coef' has"),
        (_set(["model", "coef", 2], "0.5"), r"'model.coef\[2\]' must be a finite number"),
        (_set(["model", "intercept"], None), "'model.intercept' must be a finite number"),
        (
            _set(["model", "classes", "values"], ["maybe", "no", "yes"]),
            "version 1 files hold binary models only",
        ),
        (_set(["model", "classes", "values"], ["no", "no"]), "distinct labels"),
        (
            _set(["model", "classes", "values"], [f"{i:04d}" for i in range(1001)]),
            "must be 2 to 1000 str labels",
        ),
        (_set(["model", "classes", "values"], ["yes", "no"]), "sorted order"),
        (_set(["model", "classes", "dtype"], "complex"), "'model.classes.dtype'"),
        (_set(["model", "dtype"], "float16"), "'model.dtype'"),
        (_set(["model", "params", "penalty"], "l1"), "unknown parameter"),
        (_set(["model", "params", "C"], -1.0), "'model.params' are not valid"),
        (_set(["model", "estimator"], "pickle"), "'model.estimator'"),
        (_set(["model", "feature_names", 0], 7), "'model.feature_names' must be"),
        (lambda d: d["preprocessing"]["columns"].pop(), "the preprocessing makes"),
        (_set(["preprocessing", "columns", 1, "scale"], -1.0), r"columns\[1\].scale must be > 0"),
        (lambda d: d.pop("model"), "'model' is missing"),
    ],
)
def test_tampered_files_are_refused(good_doc, tmp_path, edit, match):
    _, doc = good_doc
    edit(doc)
    with pytest.raises(ModelFileError, match=match) as info:
        load(_write(tmp_path, doc))
    assert "bad.json" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(good_doc, tmp_path, constant):
    path, _ = good_doc
    text = path.read_text()
    doc = json.loads(text)
    first = json.dumps(doc["model"]["coef"][0])
    tampered = text.replace(f"\n      {first},", f"\n      {constant},", 1)
    assert tampered != text
    with pytest.raises(ModelFileError, match=f"contains {constant}"):
        load(_write(tmp_path, tampered))


def test_no_pickle_anywhere(good_doc):
    raw = good_doc[0].read_bytes()
    assert raw.startswith(b"{") and json.loads(raw)
    assert b"pickle" not in raw and b"__reduce__" not in raw


# -- multinomial models (version 2) and stored inference ------------------------------------
@pytest.fixture(scope="module")
def multinomial_fit():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    return X, labels, LogisticRegression(C=2.0).fit(X, labels)


def test_multinomial_round_trip_is_bit_exact_and_version_2(multinomial_fit, tmp_path):
    X, _, est = multinomial_fit
    path = save(est, tmp_path / "m.json")
    doc = json.loads(path.read_text())
    assert doc["version"] == 2
    assert np.array(doc["model"]["coef"]).shape == (3, 4) and len(doc["model"]["intercept"]) == 3
    m = load(path)
    np.testing.assert_array_equal(bits(m.estimator.coef_), bits(est.coef_))
    np.testing.assert_array_equal(bits(m.estimator.intercept_), bits(est.intercept_))
    np.testing.assert_array_equal(bits(m.predict_proba(X)), bits(est.predict_proba(X)))
    assert m.classes_.tolist() == ["setosa", "versicolor", "virginica"]


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (_set(["version"], 1), "version 1 files hold binary models only"),
        (lambda d: d["model"]["coef"].pop(), "must be 3 rows"),
        (_set(["model", "coef", 1], [0.0]), "must be 3 rows"),
        (_set(["model", "coef", 1, 2], "x"), r"'model.coef\[1\]\[2\]' must be a finite"),
        (_set(["model", "intercept"], 0.5), "'model.intercept' must be a list of 3"),
        (_set(["model", "classes", "values"], ["a", "b"]), "must be 2 rows|'model.coef' has"),
    ],
)
def test_tampered_multinomial_files_are_refused(multinomial_fit, tmp_path, edit, match):
    doc = json.loads(save(multinomial_fit[2], tmp_path / "m.json").read_text())
    edit(doc)
    with pytest.raises(ModelFileError, match=match):
        load(_write(tmp_path, doc))


@pytest.fixture(scope="module")
def unpenalised_fit():
    table = fair_table(missing=False)
    pre = TablePreprocessor(drop_first=True).fit(table, columns=FEATURES)
    X = pre.transform(table)
    y = read_target(table, "affair")
    est = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y)
    from logistic.inference import inference

    res = inference(
        X,
        (y == "yes").astype(float),
        est.coef_.ravel(),
        est.intercept_[0],
        feature_names=pre.feature_names_out,
        dep_var="affair",
    )
    return pre, est, res


def test_inference_round_trip(unpenalised_fit, tmp_path):
    pre, est, res = unpenalised_fit
    path = save(est, tmp_path / "m.json", preprocessor=pre, inference=res)
    m = load(path)
    assert m.inference["params"]["intercept"]["std_err"] == float(res.bse[-1])
    assert list(m.inference["params"]) == [*pre.feature_names_out, "intercept"]
    assert m.inference["cov_type"] == "nonrobust" and m.inference["penalized"] is False
    # A version-1 file without an inference block still loads, with inference None.
    doc = json.loads(path.read_text())
    assert doc["version"] == 1
    doc.pop("inference")
    assert load(_write(tmp_path, doc)).inference is None


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (_set(["inference", "cov_type"], "HC9"), "'inference.cov_type' is 'HC9'"),
        (_set(["inference", "params", "intercept", "coef"], 1.5), "does not belong to this"),
        (_set(["inference", "params", "intercept", "std_err"], -1.0), "must be >= 0"),
        (_set(["inference", "params", "intercept", "p_value"], 2.0), r"must be in \[0, 1\]"),
        (lambda d: d["inference"]["params"].pop("intercept"), "do not match the model"),
        (_set(["inference", "llf"], "x"), "'inference.llf' must be a finite number"),
        (_set(["inference", "alpha"], 0.0), "'inference.alpha' must be a number in"),
        (_set(["inference", "cov_params"], [[1.0]]), "'inference.cov_params' must be null"),
        (_set(["inference"], []), "'inference' must be an object"),
    ],
)
def test_tampered_inference_is_refused(unpenalised_fit, tmp_path, edit, match):
    pre, est, res = unpenalised_fit
    doc = json.loads(save(est, tmp_path / "m.json", preprocessor=pre, inference=res).read_text())
    edit(doc)
    with pytest.raises(ModelFileError, match=match):
        load(_write(tmp_path, doc))


def test_non_finite_inference_numbers_are_stored_as_null(unpenalised_fit, tmp_path):
    pre, est, res = unpenalised_fit
    d = res.as_dict()
    d["llr_pvalue"] = float("nan")
    m = load(save(est, tmp_path / "m.json", preprocessor=pre, inference=d))
    assert m.inference["llr_pvalue"] is None


def test_reference_coding_round_trip(unpenalised_fit, tmp_path):
    pre, est, _ = unpenalised_fit
    m = load(save(est, tmp_path / "m.json", preprocessor=pre))
    assert m.preprocessor.drop_first and m.preprocessor.to_dict() == pre.to_dict()
    table = fair_table(missing=False)
    np.testing.assert_array_equal(m.preprocessor.transform(table), pre.transform(table))


def test_inference_numbers_are_public():
    from logistic import persistence

    assert not hasattr(persistence, "_INFERENCE_NUMBERS")  # the public name only
    assert {"alpha", "nobs", "llf", "llnull", "aic", "bic"} <= set(persistence.INFERENCE_NUMBERS)
    assert {"save", "load", "to_document", "INFERENCE_NUMBERS"} <= set(persistence.__all__)
