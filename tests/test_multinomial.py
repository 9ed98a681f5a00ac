"""Multinomial (softmax) regression: scikit-learn's optimum on digits, finite differences,
the graph's chain rule, and the estimator contract for more than two classes."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.preprocessing import StandardScaler

from logistic import ConvergenceWarning, LogisticRegression, explain, gradient_check
from logistic.objective import Objective, Softmax
from logistic.sources import InMemorySource


def MultinomialObjective(source, n_classes, **kw):  # the objective of K classes
    return Objective(source, Softmax(n_classes), **kw)


def chunk_stats_multinomial(X, y, W, b):
    """The softmax kernel's sums over the rows of X (one in-memory pass)."""
    src = InMemorySource(X, np.asarray(y, dtype=X.dtype))
    return src.stats(np.asarray(W).ravel(), b, link=Softmax(W.shape[1]))


@pytest.fixture(scope="module")
def digits10():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def sk_digits(digits10):
    X, y = digits10
    return SkLogisticRegression(C=1.0, tol=1e-12, max_iter=100_000).fit(X, y)


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "agd"])
@pytest.mark.filterwarnings("ignore::logistic.ConvergenceWarning")
def test_reaches_sklearn_multinomial_optimum_on_digits(digits10, sk_digits, solver):
    X, y = digits10
    obj = MultinomialObjective(InMemorySource(X, y.astype(float)), 10, C=1.0)
    f_sk = obj.loss(obj.join(sk_digits.coef_.T.ravel(), sk_digits.intercept_))
    m = LogisticRegression(C=1.0, solver=solver, tol=1e-10, max_iter=100_000).fit(X, y)
    assert m.coef_.shape == (10, 64) and m.intercept_.shape == (10,)
    f = obj.loss(obj.join(m.coef_.T.ravel(), m.intercept_))
    assert (f - f_sk) / f_sk <= 1e-9
    np.testing.assert_allclose(m.predict_proba(X), sk_digits.predict_proba(X), atol=1e-5)
    assert abs(m.intercept_.sum()) < 1e-6  # the gauge scikit-learn's solution has too


def _problem(seed=0, n=90, d=4, K=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, K, size=n).astype(float)
    return X, y


@pytest.mark.parametrize(
    ("fit_intercept", "weighted", "C", "with_offset"),
    list(itertools.product([True, False], [False, True], [0.5, np.inf], [False, True])),
)
def test_softmax_gradient_and_hessian_match_finite_differences(
    fit_intercept, weighted, C, with_offset
):
    X, y = _problem()
    rng = np.random.default_rng(1)
    sw = rng.uniform(0.2, 2.0, size=X.shape[0]) if weighted else None
    off = rng.normal(size=(X.shape[0], 3)) if with_offset else None
    obj = MultinomialObjective(InMemorySource(X, y, sw, off), 3, C=C, fit_intercept=fit_intercept)
    p = rng.normal(size=obj.n_params)
    _, g, H = obj.grad_hess(p)
    h = 1e-6
    E = np.eye(obj.n_params)
    num_g = np.array([(obj.loss(p + h * e) - obj.loss(p - h * e)) / (2 * h) for e in E])
    np.testing.assert_allclose(g, num_g, rtol=1e-6, atol=1e-8)
    num_H = np.array([(obj.grad(p + h * e) - obj.grad(p - h * e)) / (2 * h) for e in E])
    P = np.column_stack([obj._null_matvec(e) for e in E])  # the projector, as a matrix
    np.testing.assert_allclose(H - P, num_H, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    ("layout", "dtype", "fit_intercept", "weighted", "C"),
    [
        ("dense", np.float64, True, False, 0.5),
        ("csr", np.float64, True, True, 0.5),
        ("csr", np.float32, False, True, 0.5),
        ("dense", np.float32, True, True, np.inf),
        ("csr", np.float64, False, False, np.inf),
    ],
)
def test_hessian_products_and_diagonal_equal_the_full_hessian(
    layout, dtype, fit_intercept, weighted, C
):
    """The compiled pointwise kernels' products are ``H v`` (the projector included), and
    the pass's gradient and diagonal the full pass's, on every layout and precision."""
    import scipy.sparse as sp

    X, y = _problem(n=300, d=6, K=4)
    X = X.astype(dtype)
    X[np.random.default_rng(2).random(X.shape) < 0.6] = 0.0
    if layout == "csr":
        X = sp.csr_matrix(X)
    rng = np.random.default_rng(3)
    sw = rng.uniform(0.2, 2.0, size=X.shape[0]) if weighted else None
    obj = MultinomialObjective(InMemorySource(X, y, sw), 4, C=C, fit_intercept=fit_intercept)
    p = rng.normal(size=obj.n_params)
    f, g, H = obj.grad_hess(p)
    f2, g2, diag = obj.loss_grad_hess_diag(p)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert obj.loss(p) == pytest.approx(f, rel=rtol) and f2 == pytest.approx(f, rel=rtol)
    np.testing.assert_allclose(obj.grad(p), g, rtol=rtol, atol=rtol * 1e-2)
    np.testing.assert_allclose(g2, g, rtol=rtol, atol=rtol * 1e-2)
    np.testing.assert_allclose(diag, np.diag(H), rtol=rtol, atol=1e-14)
    v = rng.normal(size=obj.n_params)
    np.testing.assert_allclose(obj.hessp(p, v), H @ v, rtol=rtol, atol=rtol * 1e-2)


def test_newton_cg_reaches_newtons_optimum_on_sparse_one_hot():
    """Sparse one-hot columns of very different frequencies, started from the
    intercept-only model: Newton-CG lands on Newton's optimum."""
    import scipy.sparse as sp

    from logistic.solvers import solve

    rng = np.random.default_rng(4)
    n = 4000
    levels = rng.zipf(1.6, size=(n, 3)) % 60  # a few frequent levels, many rare ones
    cols = (levels + 60 * np.arange(3)).ravel()
    X = sp.csr_matrix((np.ones(3 * n), (np.repeat(np.arange(n), 3), cols)), shape=(n, 180))
    y = (levels[:, 0] % 3 + (rng.random(n) < 0.3)) % 3
    obj = MultinomialObjective(InMemorySource(X, y.astype(float)), 3, C=2.0)
    ref = solve("newton", obj, obj.start(), tol=1e-11)
    res = solve("newton-cg", obj, obj.start(), tol=1e-9)
    assert res.converged
    assert obj.loss(res.x) == pytest.approx(obj.loss(ref.x), rel=1e-12)
    # a rare level's coefficient is only as exact as |g| / (its curvature, ~ lambda):
    # compare the model's probabilities
    from scipy.special import softmax

    proba = [softmax(X @ x[:540].reshape(180, 3) + x[540:], axis=1) for x in (res.x, ref.x)]
    np.testing.assert_allclose(proba[0], proba[1], atol=1e-6)


@pytest.mark.parametrize("backend", ["compiled", "numpy"])
@pytest.mark.parametrize("bad", [3.0, -1.0, np.nan, 5e7])
def test_a_label_that_is_no_class_index_is_refused(backend, bad):
    """A source's y indexes its classes: anything else is a clear error on every backend
    and layout, never a wrong loss (or a read out of bounds in the compiled loops)."""
    import scipy.sparse as sp

    from logistic.errors import DataError
    from logistic.sources import kernel_backend

    X, y = _problem()
    y[7] = bad
    for Xv in (X, sp.csr_matrix(X)):
        src = InMemorySource(Xv, y, classes=[0, 1, 2])
        assert src.class_totals is None
        obj = MultinomialObjective(src, 3)
        p = np.zeros(obj.n_params)
        with kernel_backend(backend):
            for evaluate in (obj.loss, obj.loss_grad, obj.grad_hess):
                with pytest.raises(DataError, match=r"class indices 0 \.\. 2"):
                    evaluate(p)


def test_gradient_is_orthogonal_to_the_null_directions():
    X, y = _problem()
    obj = MultinomialObjective(InMemorySource(X, y), 3, C=np.inf)
    p = np.random.default_rng(0).normal(size=obj.n_params)
    g = obj.grad(p)
    np.testing.assert_allclose(obj._null_matvec(g), 0.0, atol=1e-14)


def test_kernel_loss_is_exact_at_huge_logits():
    X = np.array([[1.0], [1.0]])
    W = np.array([[800.0, 0.0, -800.0]])
    st = chunk_stats_multinomial(X, np.array([0, 2]), W, np.zeros(3))
    assert st.loss == pytest.approx(1600.0, rel=1e-15)  # 0 for row 0, 1600 for row 1
    assert np.all(np.isfinite(st.grad_w))


def test_graph_chain_rule_equals_fused_kernel(digits10):
    X, y = digits10
    m = LogisticRegression(C=0.1, tol=1e-6).fit(X[:300], y[:300])
    t = explain(m, X[5], y[5])
    np.testing.assert_allclose(t.dL_dz_chain, t.dL_dz, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(t.a.sum(), 1.0, rtol=1e-15)
    np.testing.assert_allclose(t.dL_dw, np.outer(X[5], t.dL_dz))  # dL/dW = x (a - y)^T
    batch = explain(m, X[:300], y[:300])
    W = m.coef_.T
    st = chunk_stats_multinomial(X[:300], y[:300], W, m.intercept_)
    np.testing.assert_allclose(batch.dJ_dw.ravel(), st.grad_w / 300, rtol=1e-10, atol=1e-14)
    assert "a_k - y_k" in str(t)


def test_graph_gradient_check_on_real_multinomial_data(digits10):
    X, y = digits10
    m = LogisticRegression(C=1.0, tol=1e-8).fit(X, y)
    chk = gradient_check(m, X, y)
    assert chk.analytic.shape == (65 * 10,)  # [W.ravel(); b], the links' layout
    assert chk.ok, chk.max_rel_error
    Xi, yi = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[yi]
    with pytest.warns(ConvergenceWarning):
        far = LogisticRegression(max_iter=2).fit(Xi, names)  # far from the optimum
    assert gradient_check(far, Xi, names).max_rel_error < 1e-7


def test_graph_softmax_rows_and_feature_rows():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    m = LogisticRegression(tol=1e-8).fit(X, names)
    x = X[60].copy()
    x[1] = 0.0  # a feature with x = 0 feeds nothing
    t = explain(m, x, names[60], feature_names=["sl", "sw", "pl", "pw"])
    assert t.link == "softmax" and t.n_out == 3 and t.label == "versicolor"
    np.testing.assert_array_equal(t.y, [0.0, 1.0, 0.0])  # one-hot
    rows = t.rows()
    assert len(rows) == 7 * 3 + 2  # 7 quantities per class, L and dz/db once
    q = {r[0]: r for r in rows}
    assert q["dL/dz[versicolor] (fused)"][2] == f"{t.dL_dz[1]:.6g}"
    assert q["da/dz[virginica,virginica]"][2] == f"{t.da_dz[2, 2]:.6g}"
    assert q["L"][2] == f"{t.L:.6g}"
    np.testing.assert_allclose(t.da_dz, np.diag(t.a) - np.outer(t.a, t.a), rtol=1e-15)
    np.testing.assert_allclose(t.dL_da, np.where(t.y > 0, -1 / t.a, 0.0), rtol=1e-15)
    table = t.feature_rows()
    assert table.hidden == 1 and "1 feature with x = 0" in table.note
    assert table.header == (
        "feature",
        "x = dz/dw",
        "W x [setosa]",
        "W x [versicolor]",
        "W x [virginica]",
        "dL/dW [setosa]",
        "dL/dW [versicolor]",
        "dL/dW [virginica]",
    )
    assert [r[0] for r in table.rows] == ["sl", "pl", "pw"]
    pl = table.rows[1]
    assert pl[3] == f"{m.coef_[1, 2] * x[2]:.6g}" and pl[7] == f"{t.dL_dw[2, 2]:.6g}"
    assert len(t.feature_rows(all_features=True).rows) == 4
    assert t.feature_rows(contributions=False).header[2:] == table.header[5:]
    d = t.as_dict()
    assert d["dL_dw"]["pl"] == pytest.approx(list(t.dL_dw[2]), rel=1e-15)
    assert d["classes"] == ["setosa", "versicolor", "virginica"] and d["y"] == [0.0, 1.0, 0.0]
    batch = explain(m, X[:40], names[:40])
    assert batch.dJ_dw.shape == (4, 3) and batch.dJ_db.shape == (3,)
    assert [r[0] for r in batch.rows()][2:5] == [
        "dJ/db[setosa]",
        "dJ/db[versicolor]",
        "dJ/db[virginica]",
    ]
    assert batch.feature_rows().header == (
        "feature",
        "dJ/dW [setosa]",
        "dJ/dW [versicolor]",
        "dJ/dW [virginica]",
    )
    with pytest.raises(ValueError, match="not one of the model's classes"):
        explain(m, X[0], "rose")


def test_graph_softmax_saturation_where_the_true_class_underflows():
    # a_y = e^-800 is 0 in float64: dL/da_y = -1/a_y = -inf, and the literal chain is nan.
    t = explain((np.array([[800.0, 0.0, 0.0]]), np.zeros(3)), np.array([1.0]), 2)
    assert t.saturated and np.all(np.isnan(t.dL_dz_chain))
    np.testing.assert_array_equal(t.dL_dz, [1.0, 0.0, -1.0])  # a - y: exact
    assert t.L == pytest.approx(800.0, rel=1e-15) and np.isinf(t.L_literal)
    assert "a - y = [1, 0, -1]" in t.note and "literal chain product is [nan, nan, nan]" in t.note
    # At a gap of 40 the softmax, unlike the sigmoid, never forms 1 - a, so its literal chain
    # stays exact although a rounds to 1; only the Jacobian's diagonal entry cancels.
    t = explain((np.array([[40.0, 0.0, -40.0]]), np.zeros(3)), np.array([1.0]), 2)
    assert t.saturated and t.da_dz[0, 0] == 0.0
    assert t.da_dz_stable[0, 0] == pytest.approx(np.exp(-40.0), rel=1e-12)
    np.testing.assert_allclose(t.dL_dz_chain, t.dL_dz, rtol=1e-15)


def test_estimator_contract_for_many_classes():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    m = LogisticRegression(tol=1e-8).fit(X, names)
    assert list(m.classes_) == ["setosa", "versicolor", "virginica"]
    P = m.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_array_equal(m.predict(X), m.classes_[P.argmax(axis=1)])
    np.testing.assert_allclose(np.exp(m.predict_log_proba(X)), P, rtol=1e-12)
    assert m.decision_function(X).shape == (150, 3)
    assert m.score(X, names) > 0.95
    bal = LogisticRegression(class_weight="balanced", tol=1e-8).fit(X[:120], y[:120])
    w = 120 / (3 * np.bincount(y[:120]))
    man = LogisticRegression(tol=1e-8).fit(X[:120], y[:120], sample_weight=w[y[:120]])
    np.testing.assert_allclose(bal.coef_, man.coef_, rtol=1e-7)


def test_multinomial_lasso_matches_saga():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    C, r = 0.5, 1.0
    sk = SkLogisticRegression(C=C, l1_ratio=r, solver="saga", tol=1e-12, max_iter=200_000).fit(X, y)
    m = LogisticRegression(C=C, l1_ratio=r, solver="cd", tol=1e-10).fit(X, y)
    obj = MultinomialObjective(InMemorySource(X, y.astype(float)), 3, C=C, l1_ratio=r)

    def F(coef, intercept):
        p = obj.join(coef.T.ravel(), intercept)
        return obj.loss(p) + obj.penalty_l1(p)

    f_sk = F(sk.coef_, sk.intercept_)
    assert (F(m.coef_, m.intercept_) - f_sk) / f_sk <= 1e-8
    np.testing.assert_array_equal(m.coef_ == 0, sk.coef_ == 0)


def test_warm_start_and_offsets_for_many_classes():
    X, y = load_iris(return_X_y=True)
    m = LogisticRegression(warm_start=True, tol=1e-8).fit(X, y)
    first = m.n_iter_[0]
    m.fit(X, y)
    assert m.n_iter_[0] < first
    off = np.zeros((150, 3))
    off[:, 1] = 0.5
    a = LogisticRegression(tol=1e-9).fit(X, y, offset=off)
    np.testing.assert_allclose(a.predict_proba(X, offset=off), m.predict_proba(X), atol=1e-6)
    from logistic import DataError

    with pytest.raises(DataError, match=r"offset has shape \(150,\).*\(150, 3\)"):
        LogisticRegression().fit(X, y, offset=np.zeros(150))


@pytest.mark.parametrize("solver", ["lbfgs", "newton", "newton-cg", "cd", "gd"])
@pytest.mark.parametrize("C", [1.0, np.inf])
def test_null_directions_sum_to_zero(solver, C):
    # softmax is invariant to one constant added to every class's logit: the intercepts
    # (and, unpenalised, each feature's row) come out summing to 0 over the classes,
    # exactly, whatever rounding the solver's path left along those directions; converged
    # or not (iris's setosa is separable, so C=inf has no finite optimum)
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = LogisticRegression(C=C, solver=solver, tol=1e-8, max_iter=50).fit(X, y)
    assert abs(m.intercept_.sum()) < 1e-13
    if np.isinf(C):
        np.testing.assert_allclose(m.coef_.sum(axis=0), 0.0, atol=1e-13)
