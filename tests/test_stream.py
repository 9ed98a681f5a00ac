"""Streaming Parquet / CSV source: the same optimum as in memory, bounded memory, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from logistic import LogisticRegression
from logistic.errors import DataError, InvalidParameterError
from logistic.solvers import by_capability
from logistic.sources.memory import InMemorySource
from logistic.sources.stream import StreamSource

# every registered full-batch solver that uses curvature (first-order ones need thousands of
# passes to these tolerances)
FULL_BATCH = by_capability(stochastic=False, curvature=True)
# Fits are run to max|grad| <= 1e-10, at the edge of float64 resolution for these data, so
# L-BFGS sometimes stops a little short of it with a ConvergenceWarning; the tests assert on
# the coefficients instead, which is what matters here.
TOL = 1e-10
pytestmark = pytest.mark.filterwarnings("ignore::logistic.errors.ConvergenceWarning")


# L-BFGS's line search sees only f, which stops decreasing in float64 near max|grad| ~
# 1e-10 here: two arithmetics of the same passes (the compiled row loop on blocks of >=
# 2^14 elements, NumPy on small batches; other summation orders) stop it at points up to
# ~1e-7 apart. Newton's steps use the gradient: ~1e-13.
LBFGS_REL = 2e-7


def rel(a, b):
    """Relative error ``||a - b|| / ||b||`` of parameter vectors."""
    a, b = np.ravel(a), np.ravel(b)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def params(est):
    return np.append(est.coef_.ravel(), est.intercept_)


def _table(X, y, **extra):
    cols = {f"x{j}": X[:, j] for j in range(X.shape[1])}
    return pa.table({**cols, "label": y, **extra})


@pytest.fixture(scope="module")
def cancer_files(tmp_path_factory, breast_cancer):
    """Breast cancer (standardised) as Parquet (several row groups) and CSV, labels as text."""
    X, y = breast_cancer
    labels = np.where(y == 1, "benign", "malignant")
    rng = np.random.default_rng(0)
    weights = rng.integers(0, 4, size=y.shape[0]).astype(np.float64)
    offsets = 0.3 * rng.standard_normal(y.shape[0])
    d = tmp_path_factory.mktemp("cancer")
    table = _table(X, labels, w=weights, off=offsets)
    pq.write_table(table, d / "cancer.parquet", row_group_size=100)
    pacsv.write_csv(table, d / "cancer.csv")
    for i, start in enumerate(range(0, X.shape[0], 200)):
        pq.write_table(table.slice(start, 200), d / f"part-{i}.parquet")
    return {"dir": d, "X": X, "labels": labels, "w": weights, "off": offsets}


def _fit_stream(src, **params):
    est = LogisticRegression(**{"tol": TOL, **params})
    return est.fit_source(src)


@pytest.mark.parametrize("solver", FULL_BATCH)
@pytest.mark.parametrize("name", ["cancer.parquet", "cancer.csv"])
def test_stream_fit_equals_in_memory(cancer_files, name, solver):
    d = cancer_files
    src = StreamSource(
        d["dir"] / name, "label", features=[f"x{j}" for j in range(30)], batch_size=64
    )
    assert (src.n_samples, src.n_features, src.dtype) == (569, 30, np.float64)
    assert src.classes_.tolist() == ["benign", "malignant"]
    est = _fit_stream(src, solver=solver)
    ref = LogisticRegression(tol=TOL, solver=solver).fit(d["X"], d["labels"])
    assert est.classes_.tolist() == ref.classes_.tolist()
    assert rel(params(est), params(ref)) < (LBFGS_REL if solver == "lbfgs" else 1e-8)
    # one pass per evaluation, plus the initial scan
    assert src.n_passes == 1 + est.result_.n_evaluations


@pytest.mark.parametrize("solver", FULL_BATCH)
def test_digits_from_several_csv_files(tmp_path, digits, solver):
    """1797 x 64 (digits, even vs odd), cut into three CSV files read as one stream."""
    X, y = digits
    table = _table(X, y)
    for i, start in enumerate(range(0, X.shape[0], 700)):
        pacsv.write_csv(table.slice(start, 700), tmp_path / f"digits-{i}.csv")
    src = StreamSource(str(tmp_path / "digits-*.csv"), "label", batch_size=256)
    assert (src.n_samples, src.n_features, len(src.files)) == (1797, 64, 3)
    est = _fit_stream(src, solver=solver, C=0.1)
    ref = LogisticRegression(tol=TOL, solver=solver, C=0.1).fit(X, y)
    assert rel(params(est), params(ref)) < (LBFGS_REL if solver == "lbfgs" else 1e-8)


def test_weights_offsets_and_class_weight(cancer_files):
    d = cancer_files
    feats = [f"x{j}" for j in range(30)]
    src = StreamSource(
        d["dir"] / "cancer.parquet",
        "label",
        features=feats,
        weight="w",
        offset="off",
        class_weight="balanced",
        batch_size=50,
    )
    est = _fit_stream(src, C=0.5)
    # the in-memory reference: the same rows, weights and offsets, and scikit-learn's own
    # "balanced" class weights, which count each class by its sample weight
    from sklearn.utils.class_weight import compute_class_weight

    y01 = (d["labels"] == "malignant").astype(np.float64)
    cw = compute_class_weight("balanced", classes=np.array([0.0, 1.0]), y=y01, sample_weight=d["w"])
    s = d["w"] * cw[y01.astype(int)]
    ref_src = InMemorySource(d["X"], y01, s, d["off"])
    ref = LogisticRegression(tol=TOL, C=0.5).fit_source(ref_src, classes=src.classes_)
    assert src.weight_sum == pytest.approx(ref_src.weight_sum, rel=1e-12)
    assert rel(params(est), params(ref)) < 1e-8
    # without offsets, weights alone must match the public fit with sample_weight
    src2 = StreamSource(d["dir"] / "cancer.csv", "label", features=feats, weight="w")
    est2 = _fit_stream(src2, C=0.1)
    ref2 = LogisticRegression(tol=TOL, C=0.1).fit(d["X"], d["labels"], sample_weight=d["w"])
    assert rel(params(est2), params(ref2)) < 1e-8


def test_glob_of_files_and_batch_size_do_not_change_the_fit(cancer_files):
    d = cancer_files
    feats = [f"x{j}" for j in range(30)]
    one = StreamSource(d["dir"] / "cancer.parquet", "label", features=feats, batch_size=1000)
    many = StreamSource(str(d["dir"] / "part-*.parquet"), "label", features=feats, batch_size=7)
    assert len(many.files) == 3 and many.n_samples == one.n_samples
    w = np.linspace(-1, 1, 30)
    a, b = one.stats(w, 0.2, need_hess=True), many.stats(w, 0.2, need_hess=True)
    assert a.loss == pytest.approx(b.loss, rel=1e-12)
    np.testing.assert_allclose(a.grad_w, b.grad_w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.hess, b.hess, rtol=1e-10, atol=1e-12)


def test_prefetch_thread_changes_nothing_and_stops_early(cancer_files):
    d = cancer_files
    path = d["dir"] / "cancer.parquet"
    plain = StreamSource(path, "label", weight="w", offset="off", prefetch=0, batch_size=40)
    ahead = StreamSource(path, "label", weight="w", offset="off", prefetch=3, batch_size=40)
    w = np.linspace(-1, 1, 30)
    a, b = plain.stats(w, 0.1, need_hess=True), ahead.stats(w, 0.1, need_hess=True)
    assert a.loss == b.loss
    np.testing.assert_array_equal(a.grad_w, b.grad_w)
    np.testing.assert_array_equal(a.hess, b.hess)
    for i, _ in enumerate(ahead.chunks()):  # leaving early stops the reader thread
        if i == 2:
            break
    assert not [t for t in threading.enumerate() if t.name == "logistic-stream-prefetch"]


def test_gram_and_gram_matvec_equal_in_memory(cancer_files):
    d = cancer_files
    feats = [f"x{j}" for j in range(30)]
    src = StreamSource(d["dir"] / "cancer.parquet", "label", features=feats, weight="w")
    y01 = (d["labels"] == "malignant").astype(np.float64)
    mem = InMemorySource(d["X"], y01, d["w"])
    np.testing.assert_allclose(src.gram(), mem.gram(), rtol=1e-11, atol=1e-9)
    v = np.cos(np.arange(30.0))
    gw, gb = src.gram_matvec(v, 0.5)
    mw, mb = mem.gram_matvec(v, 0.5)
    np.testing.assert_allclose(gw, mw, rtol=1e-11, atol=1e-9)
    assert gb == pytest.approx(mb, rel=1e-11)


def test_float32_columns_stay_float32(tmp_path, breast_cancer):
    X, y = breast_cancer
    X32 = X.astype(np.float32)
    pq.write_table(_table(X32, y), tmp_path / "f32.parquet", row_group_size=128)
    src = StreamSource(tmp_path / "f32.parquet", "label")
    assert src.dtype == np.float32
    X_b, y_b, _, _ = next(src.chunks())
    assert X_b.dtype == np.float32 and y_b.dtype == np.float32
    est = _fit_stream(src, tol=1e-5)
    ref = LogisticRegression(tol=1e-5).fit(X32, y)
    assert est.coef_.dtype == np.float32
    assert rel(est.coef_, ref.coef_) < 1e-3


def test_positive_label_and_integer_target(tmp_path, breast_cancer):
    X, y = breast_cancer
    pq.write_table(_table(X, y), tmp_path / "int.parquet")
    default = StreamSource(tmp_path / "int.parquet", "label")
    assert default.classes_.tolist() == [0, 1]
    flipped = StreamSource(tmp_path / "int.parquet", "label", positive_label=0)
    assert flipped.classes_.tolist() == [1, 0]
    a = _fit_stream(default)
    b = _fit_stream(flipped)
    assert rel(-params(b), params(a)) < 1e-8  # the same model with the sign of z flipped
    assert np.array_equal(a.predict(X), b.predict(X))


def test_transform_callable(cancer_files, breast_cancer):
    """A fitted preprocessor plugged in as ``transform(record_batch) -> ndarray``."""
    d = cancer_files
    feats = [f"x{j}" for j in range(30)]

    def transform(batch):
        Z = np.column_stack([batch.column(c).to_numpy() for c in feats[:10]])
        return np.column_stack([Z, Z[:, :3] ** 2])

    src = StreamSource(
        d["dir"] / "cancer.parquet", "label", features=feats[:10], transform=transform
    )
    assert src.n_features == 13 and src.feature_names is None
    X = d["X"][:, :10]
    ref = LogisticRegression(tol=TOL).fit(np.column_stack([X, X[:, :3] ** 2]), d["labels"])
    assert rel(params(_fit_stream(src)), params(ref)) < 1e-8


def test_minibatches_local_shuffle(cancer_files):
    d = cancer_files
    src = StreamSource(
        d["dir"] / "cancer.parquet", "label", weight="w", batch_size=50, shuffle_buffer=2
    )
    n = src.n_samples

    def epoch(seed):
        return [
            (b.X.copy(), b.sample_weight.copy())
            for b in src.minibatches(32, np.random.default_rng(seed))
        ]

    e1, e2, e3 = epoch(1), epoch(1), epoch(2)
    assert sum(X.shape[0] for X, _ in e1) == n
    assert all(X.shape[0] == 32 for X, _ in e1[:-1])
    # every row exactly once: compare the sorted first feature with the file's
    firsts = np.sort(np.concatenate([X[:, 0] for X, _ in e1]))
    np.testing.assert_array_equal(firsts, np.sort(d["X"][:, 0]))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(e1, e2, strict=True))  # seeded
    assert not np.array_equal(e1[0][0], e3[0][0])
    # local: the first mini-batch only holds rows of the first buffer (2 batches of 50)
    first_rows = set(np.round(d["X"][:100, 0], 12))
    assert set(np.round(e1[0][0][:, 0], 12)) <= first_rows


def test_sgd_runs_on_a_stream(cancer_files):
    d = cancer_files
    feats = [f"x{j}" for j in range(30)]
    src = StreamSource(d["dir"] / "cancer.parquet", "label", features=feats, batch_size=100)
    est = LogisticRegression(solver="sgd", tol=1e-3, max_iter=20, random_state=0)
    est.fit_source(src)
    ref = LogisticRegression(tol=TOL).fit(d["X"], d["labels"])
    assert est.score(d["X"], d["labels"]) >= ref.score(d["X"], d["labels"]) - 0.03


# -- errors -------------------------------------------------------------------------------
def test_errors_name_the_problem(tmp_path, cancer_files):
    d = cancer_files
    path = d["dir"] / "cancer.parquet"
    with pytest.raises(DataError, match="target='nope' is not a column"):
        StreamSource(path, "nope")
    with pytest.raises(DataError, match=r"features \['zz'\] are not columns"):
        StreamSource(path, "label", features=["zz"])
    with pytest.raises(DataError, match="does not exist"):
        StreamSource(tmp_path / "missing.parquet", "label")
    with pytest.raises(DataError, match="matches no file"):
        StreamSource(str(tmp_path / "*.parquet"), "label")
    with pytest.raises(DataError, match="suffix"):
        (tmp_path / "data.bin").write_bytes(b"")
        StreamSource(tmp_path / "data.bin", "label")
    with pytest.raises(InvalidParameterError, match="batch_size"):
        StreamSource(path, "label", batch_size=0)
    with pytest.raises(DataError, match="positive_label='spam'"):
        StreamSource(path, "label", positive_label="spam")

    many = pa.table({"a": np.arange(1500.0), "label": np.arange(1500.0) / 7})
    pq.write_table(many, tmp_path / "many.parquet")
    with pytest.raises(DataError, match="more than 1000 distinct values"):
        StreamSource(tmp_path / "many.parquet", "label")
    three = pa.table({"a": [1.0, 2.0, 3.0, 4.0], "label": [0, 1, 2, 1]})
    pq.write_table(three, tmp_path / "three.parquet")
    with pytest.raises(InvalidParameterError, match="positive_label=2 applies to a binary"):
        StreamSource(tmp_path / "three.parquet", "label", positive_label=2)
    one = pa.table({"a": [1.0, 2.0], "label": [1, 1]})
    pq.write_table(one, tmp_path / "one.parquet")
    with pytest.raises(DataError, match="one class"):
        StreamSource(tmp_path / "one.parquet", "label")
    nulls = pa.table({"a": [1.0, None, 3.0], "label": [0, 1, 1]})
    pq.write_table(nulls, tmp_path / "nulls.parquet")
    with pytest.raises(DataError, match="missing values"):
        StreamSource(tmp_path / "nulls.parquet", "label")
    text = pa.table({"a": [1.0, 2.0], "city": ["x", "y"], "label": [0, 1]})
    pq.write_table(text, tmp_path / "text.parquet")
    with pytest.raises(DataError, match="must be numeric"):
        StreamSource(tmp_path / "text.parquet", "label")
    inf = pa.table({"a": [1.0, np.inf], "label": [0, 1]})
    pq.write_table(inf, tmp_path / "inf.parquet")
    with pytest.raises(DataError, match="NaN or infinity"):
        StreamSource(tmp_path / "inf.parquet", "label")
    neg = pa.table({"a": [1.0, 2.0], "w": [1.0, -1.0], "label": [0, 1]})
    pq.write_table(neg, tmp_path / "neg.parquet")
    with pytest.raises(DataError, match="weight column 'w'"):
        StreamSource(tmp_path / "neg.parquet", "label", weight="w")


# -- memory -------------------------------------------------------------------------------
_PEAK_SCRIPT = textwrap.dedent(
    """
    import json, sys, tracemalloc
    import numpy as np
    import pyarrow as pa
    from logistic.sources.stream import StreamSource

    path, batch = sys.argv[1], int(sys.argv[2])
    tracemalloc.start()
    src = StreamSource(path, "y", batch_size=batch)
    st = src.stats(np.full(src.n_features, 0.01), 0.0, need_grad=True)
    print(json.dumps({
        "tracemalloc_peak": tracemalloc.get_traced_memory()[1],
        "arrow_peak": pa.default_memory_pool().max_memory(),
        "n_rows": st.n_rows,
        "dtype": str(src.dtype),
    }))
    """
)


def test_memory_is_bounded_by_the_batch_not_the_file(tmp_path):
    """~100 MB of float32 streamed with a peak of a few MB (numpy via tracemalloc + Arrow pool).

    The peak is measured in a fresh interpreter because Arrow's ``max_memory`` cannot be
    reset. Parquet decodes page by page through the buffered column streams, so the peak is
    about ``n_columns * (page + read buffer) + a few batches``, whatever the file size.
    """
    n_rows, n_cols, step = 1_048_576, 25, 65_536
    path = tmp_path / "big.parquet"
    rng = np.random.default_rng(42)
    w_true = rng.standard_normal(n_cols).astype(np.float32) / 10
    schema = pa.schema([(f"x{j}", pa.float32()) for j in range(n_cols)] + [("y", pa.int8())])
    with pq.ParquetWriter(path, schema, compression="none", use_dictionary=False) as writer:
        for _ in range(0, n_rows, step):
            Xk = rng.standard_normal((step, n_cols), dtype=np.float32)
            yk = (rng.random(step) < 1 / (1 + np.exp(-(Xk @ w_true)))).astype(np.int8)
            writer.write_table(pa.table({**{f"x{j}": Xk[:, j] for j in range(n_cols)}, "y": yk}))
    file_bytes = os.path.getsize(path)
    assert file_bytes > 100e6
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, str(path), "4096"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    peaks = json.loads(out.stdout.strip().splitlines()[-1])
    assert peaks["n_rows"] == n_rows and peaks["dtype"] == "float32"
    total = peaks["tracemalloc_peak"] + peaks["arrow_peak"]
    assert total < file_bytes / 10, peaks


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_multinomial_stream_equals_in_memory(tmp_path, solver):
    """Iris (3 classes, string labels) streamed from Parquet in small batches."""
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    pq.write_table(_table(X, names), tmp_path / "iris.parquet", row_group_size=40)
    src = StreamSource(tmp_path / "iris.parquet", "label", batch_size=32, class_weight="balanced")
    assert src.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    est = _fit_stream(src, solver=solver, C=0.5)
    ref = LogisticRegression(tol=TOL, solver=solver, C=0.5, class_weight="balanced").fit(X, names)
    assert est.coef_.shape == (3, 4)
    assert rel(params(est), params(ref)) < 1e-8
