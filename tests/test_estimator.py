"""The estimator against scikit-learn's optimum on real data, float32 end to end, and clear
errors for bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from logistic import ConvergenceWarning, DataError, InvalidParameterError, LogisticRegression
from logistic.objective import Objective
from logistic.solvers import SOLVERS
from logistic.sources import InMemorySource


def _objective(X, y, C):
    return Objective(InMemorySource(X, y.astype(np.float64)), C=C)


def _sklearn_optimum(X, y, C):
    sk = SkLogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    obj = _objective(X, y, C)
    return obj, obj.loss(np.append(sk.coef_.ravel(), sk.intercept_))


def _gap(model, obj, fstar):
    f = obj.loss(np.append(model.coef_.ravel(), model.intercept_))
    return (f - fstar) / abs(fstar)


@pytest.mark.filterwarnings("ignore::logistic.ConvergenceWarning")
@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
def test_lbfgs_reaches_sklearn_optimum(real_data, C):
    _, (X, y) = real_data
    obj, fstar = _sklearn_optimum(X, y, C)
    m = LogisticRegression(C=C, solver="lbfgs", tol=1e-10, max_iter=10_000).fit(X, y)
    assert _gap(m, obj, fstar) <= 1e-9


@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
def test_agd_reaches_sklearn_optimum(real_data, C):
    _, (X, y) = real_data
    obj, fstar = _sklearn_optimum(X, y, C)
    m = LogisticRegression(C=C, solver="agd", tol=1e-9).fit(X, y)
    assert m.converged_
    assert _gap(m, obj, fstar) <= 1e-9


@pytest.mark.parametrize(
    ("dataset", "C"),
    [
        ("breast_cancer", 0.01),
        ("breast_cancer", 1.0),
        ("digits", 0.01),
        ("digits", 1.0),
        pytest.param("digits", 100.0, marks=pytest.mark.slow),  # ~40k iterations
        pytest.param("breast_cancer", 100.0, marks=pytest.mark.slow),  # ~700k iterations
    ],
)
def test_gd_auto_reaches_sklearn_optimum(dataset, C, breast_cancer, digits):
    X, y = breast_cancer if dataset == "breast_cancer" else digits
    obj, fstar = _sklearn_optimum(X, y, C)
    m = LogisticRegression(C=C, solver="gd", learning_rate="auto", tol=1e-7, max_iter=2_000_000)
    m.fit(X, y)
    assert m.converged_
    assert _gap(m, obj, fstar) <= 1e-6
    # gradient descent with 1/L steps never increases the objective
    assert np.all(np.diff(m.loss_curve_) <= 1e-15)


def test_sgd_gets_close(breast_cancer):
    X, y = breast_cancer
    obj, fstar = _sklearn_optimum(X, y, 0.01)
    m = LogisticRegression(C=0.01, solver="sgd", random_state=0, max_iter=50, batch_size=32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m.fit(X, y)
    assert _gap(m, obj, fstar) <= 1e-3
    again = LogisticRegression(C=0.01, solver="sgd", random_state=0, max_iter=50, batch_size=32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        again.fit(X, y)
    np.testing.assert_array_equal(m.coef_, again.coef_)  # seeded shuffling


@pytest.mark.parametrize("solver", ["lbfgs", "agd", "gd"])
def test_float32_stays_float32(breast_cancer, solver):
    X, y = breast_cancer
    X32 = X.astype(np.float32)
    m = LogisticRegression(solver=solver, tol=1e-5).fit(X32, y)
    assert m.coef_.dtype == np.float32 and m.intercept_.dtype == np.float32
    assert m.decision_function(X32).dtype == np.float32
    assert m.predict_proba(X32).dtype == np.float32
    ref = LogisticRegression(solver=solver, tol=1e-5).fit(X, y)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-3, atol=1e-3)


def test_float32_source_does_not_copy_X(breast_cancer):
    X, y = breast_cancer
    X32 = np.asarray(X, dtype=np.float32)
    src = InMemorySource(X32, y.astype(np.float32))
    assert src.X is X32
    for block in src._blocks():
        assert np.shares_memory(block[0], X32)


def test_labels_of_any_type(breast_cancer):
    X, y = breast_cancer
    ref = LogisticRegression().fit(X, y)
    for labels in (y.astype(bool), np.where(y == 1, "yes", "no"), y + 10, y.astype(float)):
        m = LogisticRegression().fit(X, labels)
        np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-12)
        assert set(m.predict(X)) <= set(np.unique(labels))
    m = LogisticRegression().fit(X, np.where(y == 1, "yes", "no"))
    assert list(m.classes_) == ["no", "yes"]


def test_predictions_are_consistent(breast_cancer):
    X, y = breast_cancer
    m = LogisticRegression().fit(X, y)
    p = m.predict_proba(X)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(m.predict(X), m.classes_[(p[:, 1] > 0.5).astype(int)])
    np.testing.assert_allclose(np.exp(m.predict_log_proba(X)), p, rtol=1e-12)
    assert m.score(X, y) > 0.97
    tight = LogisticRegression(tol=1e-9).fit(X, y)
    sk = SkLogisticRegression(solver="newton-cholesky", tol=1e-12).fit(X, y)
    np.testing.assert_allclose(tight.predict_proba(X), sk.predict_proba(X), atol=1e-6)


def test_sparse_input_equals_dense(breast_cancer):
    X, y = breast_cancer
    Xs = X.copy()
    Xs[np.abs(Xs) < 0.5] = 0
    a = LogisticRegression(tol=1e-8).fit(Xs, y)
    b = LogisticRegression(tol=1e-8).fit(sp.csr_matrix(Xs), y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6, atol=1e-8)


def test_class_weight(breast_cancer):
    X, y = breast_cancer
    bal = LogisticRegression(class_weight="balanced", tol=1e-8).fit(X, y)
    w = len(y) / (2 * np.bincount(y))
    man = LogisticRegression(tol=1e-8).fit(X, y, sample_weight=w[y])
    np.testing.assert_allclose(bal.coef_, man.coef_, rtol=1e-7)
    sk = SkLogisticRegression(class_weight="balanced", tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(bal.coef_, sk.coef_, rtol=1e-4, atol=1e-5)
    d = LogisticRegression(class_weight={0: 2.0}, tol=1e-8).fit(X, y)
    man2 = LogisticRegression(tol=1e-8).fit(X, y, sample_weight=np.where(y == 0, 2.0, 1.0))
    np.testing.assert_allclose(d.coef_, man2.coef_, rtol=1e-7)


def test_warm_start_and_history(breast_cancer):
    X, y = breast_cancer
    m = LogisticRegression(tol=1e-8, warm_start=True).fit(X, y)
    first = m.n_iter_[0]
    assert len(m.loss_curve_) == first + 1
    assert len(m.history_.grad_norm) == len(m.history_.seconds) == first + 1
    m.fit(X, y)
    assert m.n_iter_[0] < first  # starts at the optimum
    records = []
    LogisticRegression(callback=records.append).fit(X, y)
    assert [r.iteration for r in records] == list(range(len(records)))


def test_long_solve_history_is_thinned_not_unbounded(breast_cancer, monkeypatch, tmp_path):
    """A solve of many iterations keeps a bounded record, evenly thinned: iterations on a
    grid (0, 16, 32, ... here), the last iteration with the final loss; it still plots."""
    from logistic.plots import plot_loss_curve
    from logistic.solvers import History

    monkeypatch.setattr(History, "DEFAULT_MAX_RECORDS", 64)
    X, y = breast_cancer
    with pytest.warns(ConvergenceWarning):
        m = LogisticRegression(solver="gd", max_iter=1000, tol=0.0).fit(X, y)
    h = m.history_
    assert m.n_iter_[0] == 1000
    assert 32 <= len(h) <= 64 and len(m.loss_curve_) == len(h)
    assert h.iteration[0] == 0 and h.iteration[-1] == 1000
    gaps = np.diff(h.iteration[:-1])
    assert np.all(gaps == gaps[0]) and 0 < h.iteration[-1] - h.iteration[-2] <= gaps[0]
    assert h.loss[-1] == pytest.approx(m.result_.fun)
    assert np.all(np.diff(h.loss) <= 1e-12)  # still the descent curve
    assert h.as_dict()["iteration"] == h.iteration
    png = plot_loss_curve(m, tmp_path / "curve.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    full = LogisticRegression(solver="gd", max_iter=1000, tol=0.0)
    monkeypatch.undo()
    with pytest.warns(ConvergenceWarning):
        full.fit(X, y)
    assert full.history_.iteration == list(range(1001))
    np.testing.assert_allclose(h.loss, np.asarray(full.history_.loss)[h.iteration], rtol=1e-12)


def test_convergence_warning_when_max_iter_runs_out(breast_cancer):
    X, y = breast_cancer
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        m = LogisticRegression(solver="gd", max_iter=3).fit(X, y)
    assert not m.converged_ and m.n_iter_[0] == 3


def test_divergence_names_the_learning_rate(breast_cancer):
    from logistic import DivergenceError

    X, y = breast_cancer
    with pytest.raises(DivergenceError, match=r"learning_rate=50.*smaller learning_rate"):
        LogisticRegression(solver="gd", learning_rate=50.0, C=np.inf).fit(X * 100, y)


# -- bad input ---------------------------------------------------------------------------
X_OK = np.random.default_rng(0).normal(size=(20, 3))
Y_OK = np.array([0, 1] * 10)


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (np.where(np.eye(20, 3) == 1, np.nan, X_OK), Y_OK, "NaN"),
        (np.where(np.eye(20, 3) == 1, np.inf, X_OK), Y_OK, "infinity"),
        (X_OK, np.ones(20), "one class"),
        (X_OK, np.linspace(0.0, 1.0, 20), "continuous"),
        (X_OK, Y_OK[:-1], "same number of rows"),
        (X_OK[:0], Y_OK[:0], "0 sample"),
        (np.array([["a", "b", "c"]] * 20), Y_OK, "numeric"),
        (X_OK, np.where(np.arange(20) == 3, np.nan, Y_OK), "NaN"),
    ],
)
def test_bad_data_raises_clear_error(X, y, match):
    with pytest.raises(DataError, match=match):
        LogisticRegression().fit(X, y)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"C": 0}, "C=0 is out of range"),
        ({"C": -1.0}, "C=-1.0"),
        ({"C": "big"}, "C='big' is not a real number"),
        ({"tol": -1e-4}, "tol"),
        ({"max_iter": -1}, "max_iter=-1"),
        ({"max_iter": 2.5}, "max_iter"),
        ({"solver": "adam"}, "solver='adam'.*'gd'.*'lbfgs'"),
        ({"learning_rate": 0.0}, "learning_rate=0.0"),
        ({"learning_rate": "fast"}, "learning_rate='fast'.*'auto'"),
        ({"l1_ratio": 2.0}, "l1_ratio=2.0"),
        ({"l1_ratio": 0.5, "solver": "sgd"}, "does not support l1_ratio=0.5"),
        ({"class_weight": "heavy"}, "class_weight='heavy'"),
        ({"class_weight": {7: 2.0}}, "class_weight has labels"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"fit_intercept": "yes"}, "fit_intercept"),
        ({"callback": 3}, "callback=3 is not callable"),
    ],
)
def test_bad_parameters_raise_clear_error(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        LogisticRegression(**params).fit(X_OK, Y_OK)


@pytest.mark.parametrize("solver", ["auto", *SOLVERS])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_zero_max_iter_returns_the_start(solver, n_classes):
    """scikit-learn's max_iter=0: no iteration, the model is the start (W = 0), with a
    ConvergenceWarning."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    y = y == 2 if n_classes == 2 else y
    with pytest.warns(ConvergenceWarning, match="failed to converge after 0 iterations"):
        m = LogisticRegression(solver=solver, max_iter=0).fit(X, y)
    assert m.n_iter_[0] == 0 and not m.converged_
    np.testing.assert_array_equal(m.coef_, 0.0)
    np.testing.assert_allclose(m.predict_proba(X), 1.0 / n_classes)  # balanced iris: b = 0


@pytest.mark.parametrize(
    ("sw", "match"),
    [
        (-np.ones(20), "negative"),
        (np.zeros(20), "zero for every row"),
        (np.ones(19), "length 20"),
        (np.where(np.arange(20) == 2, np.nan, 1.0), "NaN"),
    ],
)
def test_bad_sample_weight(sw, match):
    with pytest.raises(DataError, match=match):
        LogisticRegression().fit(X_OK, Y_OK, sample_weight=sw)


def test_wrong_width_at_predict():
    m = LogisticRegression().fit(X_OK, Y_OK)
    with pytest.raises(DataError, match=r"X has 2 features.*expecting 3"):
        m.predict(X_OK[:, :2])


def test_errors_are_value_errors():
    assert issubclass(DataError, ValueError) and issubclass(InvalidParameterError, ValueError)


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_nan_and_inf_in_large_x_are_caught_when_the_check_is_deferred(solver, monkeypatch):
    """Large C-ordered X skips the upfront NaN/inf pass: the first gradient pass (the
    compiled loop multiplies every entry) must still reveal it, wherever it is, and the
    error is scikit-learn's. A clean X never runs the check on the deferred path."""
    import logistic._validation as est_mod

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 60))  # 1.2e6 elements: deferred
    y = (rng.random(20_000) < 0.4).astype(float)
    for bad in (np.nan, np.inf, -np.inf):
        for row in (0, 12_345, 19_999):  # first block, middle, the short last block
            Xb = X.copy()
            Xb[row, 7] = bad
            with pytest.raises(DataError, match="Input X contains"):
                LogisticRegression(solver=solver, max_iter=3).fit(Xb, y)
    calls = []
    real = est_mod.check_finite_X
    monkeypatch.setattr(est_mod, "check_finite_X", lambda X: calls.append(1) or real(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        LogisticRegression(solver=solver, max_iter=3).fit(X, y)
    # lbfgs starts with a plain gradient pass: no separate check; the others start with
    # the Hessian (newton on data this narrow), its diagonal, a Lipschitz bound, a batch
    assert len(calls) == (0 if solver == "lbfgs" else 1)


def test_inf_in_a_saturated_row_is_caught_with_a_warm_start():
    """With a warm start the row's logit is +-inf, a - y is exactly 0, and a zero-skipping
    product would miss it; the compiled loop's 0 * inf is NaN."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20_000, 60))
    y = (X[:, 3] + 0.5 * rng.standard_normal(20_000) > 0).astype(float)
    m = LogisticRegression(warm_start=True).fit(X, y)
    Xb = X.copy()
    row = int(np.argmax(X[:, 3] * np.sign(m.coef_[0, 3])))
    Xb[row, 3] = np.inf * np.sign(m.coef_[0, 3])  # pushes the row further to its label
    with pytest.raises(DataError, match="Input X contains infinity"):
        m.fit(Xb, y)


def test_sparsify_and_densify_keep_every_prediction(tmp_path):
    """scikit-learn's sparsify/densify: coef_ stored as CSR predicts, warm-starts and saves
    as the dense one."""
    from sklearn.datasets import load_iris

    from logistic import load, save

    X, y = load_iris(return_X_y=True)
    m = LogisticRegression(C=0.05, l1_ratio=1.0).fit(X, y)
    dense = m.decision_function(X)
    assert m.sparsify() is m and sp.issparse(m.coef_)
    np.testing.assert_allclose(m.decision_function(X), dense)
    np.testing.assert_allclose(m.decision_function(sp.coo_matrix(X)), dense)
    save(m, tmp_path / "m.json")
    np.testing.assert_allclose(load(tmp_path / "m.json").predict_proba(X), m.predict_proba(X))
    m.set_params(warm_start=True).fit(X, y)  # from the sparse coefficients
    assert not sp.issparse(m.coef_)
    assert m.sparsify().densify() is m and isinstance(m.coef_, np.ndarray)
    np.testing.assert_allclose(m.decision_function(X), dense, atol=1e-6)


def test_a_dense_enough_csr_is_fitted_as_the_dense_array(digits):
    """digits (about half non-zero) as CSR: the same fit, the dense solver choice."""
    import scipy.sparse as sp

    from logistic._validation import DENSIFY_SHARE, densify_if_dense

    X, y = digits
    X = np.where(np.abs(X) < 0.5, 0.0, X)  # about 40% zeros in the standardised pixels
    csr = sp.csr_matrix(X)
    assert csr.nnz >= DENSIFY_SHARE * X.size
    assert isinstance(densify_if_dense(csr), np.ndarray)
    sparse_fit = LogisticRegression(C=1.0, tol=1e-10).fit(csr, y)
    dense_fit = LogisticRegression(C=1.0, tol=1e-10).fit(X, y)
    assert sparse_fit.solver_ == dense_fit.solver_
    np.testing.assert_allclose(sparse_fit.coef_, dense_fit.coef_, rtol=1e-8, atol=1e-10)
    thin = sp.csr_matrix(np.where(np.abs(X) < 1.5, 0.0, X))
    assert sp.issparse(densify_if_dense(thin))  # few non-zeros: kept sparse
