"""Every analytic gradient and Hessian against central finite differences, and the
equivalences the mean-form objective promises."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from logistic import LogisticRegression
from logistic._kernel import chunk_stats
from logistic.objective import Objective
from logistic.sources import InMemorySource


def _problem(seed=0, n=80, d=5, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    w = rng.normal(size=d)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w)))).astype(dtype)
    return X, y


def _central_diff(fun, p, h=1e-6):
    g = np.empty_like(p)
    for j in range(p.size):
        e = np.zeros_like(p)
        e[j] = h
        g[j] = (fun(p + e) - fun(p - e)) / (2 * h)
    return g


CASES = list(itertools.product([True, False], [False, True], [0.1, 1.0, np.inf]))


@pytest.mark.parametrize(("fit_intercept", "weighted", "C"), CASES)
def test_gradient_matches_finite_differences(fit_intercept, weighted, C):
    X, y = _problem()
    sw = np.random.default_rng(1).uniform(0.1, 3.0, size=X.shape[0]) if weighted else None
    obj = Objective(InMemorySource(X, y, sw), C=C, fit_intercept=fit_intercept)
    p = np.random.default_rng(2).normal(size=obj.n_params)
    f, g = obj.loss_grad(p)
    assert f == pytest.approx(obj.loss(p), rel=1e-15)
    num = _central_diff(obj.loss, p)
    np.testing.assert_allclose(g, num, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(("fit_intercept", "weighted", "C"), CASES)
def test_hessian_matches_finite_differences_of_gradient(fit_intercept, weighted, C):
    X, y = _problem(seed=3)
    sw = np.random.default_rng(4).uniform(0.1, 3.0, size=X.shape[0]) if weighted else None
    obj = Objective(InMemorySource(X, y, sw), C=C, fit_intercept=fit_intercept)
    p = np.random.default_rng(5).normal(size=obj.n_params)
    _, g, H = obj.grad_hess(p)
    np.testing.assert_allclose(g, obj.grad(p), rtol=1e-14)
    num = np.column_stack([_central_diff(lambda q, j=j: obj.grad(q)[j], p) for j in range(p.size)])
    np.testing.assert_allclose(H, num.T, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-15)


def test_penalty_is_sklearns_C_mapping():
    X, y = _problem()
    C = 0.7
    obj = Objective(InMemorySource(X, y), C=C)
    p = np.random.default_rng(0).normal(size=obj.n_params)
    w = p[:-1]
    data_term = Objective(InMemorySource(X, y), C=np.inf).loss(p)
    # f = data + ||w||^2 / (2 C S) with S = n
    assert obj.loss(p) == pytest.approx(data_term + w @ w / (2 * C * X.shape[0]), rel=1e-14)


def test_blocks_add_up_to_one_chunk():
    X, y = _problem(n=1000)
    w = np.random.default_rng(0).normal(size=X.shape[1])
    whole = chunk_stats(X, y, w, 0.3, need_hess=True)
    blocked = InMemorySource(X, y, block_rows=64).stats(w, 0.3, need_hess=True)
    assert blocked.n_rows == whole.n_rows
    assert blocked.loss == pytest.approx(whole.loss, rel=1e-13)
    np.testing.assert_allclose(blocked.grad_w, whole.grad_w, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(blocked.hess, whole.hess, rtol=1e-12)


def test_sparse_and_fortran_order_equal_dense():
    X, y = _problem(n=300, d=7)
    X[np.abs(X) < 0.8] = 0.0
    w = np.random.default_rng(0).normal(size=7)
    ref = chunk_stats(X, y, w, -0.2, need_hess=True)
    for Xv in (sp.csr_matrix(X), np.asfortranarray(X)):
        got = InMemorySource(Xv, y).stats(w, -0.2, need_hess=True)
        assert got.loss == pytest.approx(ref.loss, rel=1e-13)
        np.testing.assert_allclose(got.grad_w, ref.grad_w, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(got.hess, ref.hess, rtol=1e-12, atol=1e-13)


def test_lipschitz_bound_dominates_the_hessian_everywhere():
    X, y = _problem(n=200, d=6)
    obj = Objective(InMemorySource(X, y), C=1.0)
    L = obj.lipschitz_bound()
    for seed in range(5):
        p = np.random.default_rng(seed).normal(scale=0.1, size=obj.n_params)
        H = obj.grad_hess(p)[2]
        assert np.linalg.eigvalsh(H)[-1] <= L * (1 + 1e-12)
    # without a penalty, at p = 0 every a(1-a) = 1/4 and the bound is attained
    free = Objective(InMemorySource(X, y), C=np.inf)
    H0 = free.grad_hess(np.zeros(free.n_params))[2]
    assert np.linalg.eigvalsh(H0)[-1] == pytest.approx(free.lipschitz_bound(), rel=1e-12)


@pytest.mark.filterwarnings("ignore::logistic.ConvergenceWarning")
def test_integer_weights_equal_repeated_rows(breast_cancer):
    X, y = breast_cancer
    counts = np.random.default_rng(0).integers(0, 4, size=X.shape[0])
    rep = np.repeat(np.arange(X.shape[0]), counts)
    a = LogisticRegression(tol=1e-10).fit(X, y, sample_weight=counts)
    b = LogisticRegression(tol=1e-10).fit(X[rep], y[rep])
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-7, atol=1e-9)


@pytest.mark.filterwarnings("ignore::logistic.ConvergenceWarning")
def test_intercept_equals_unpenalised_constant_column(breast_cancer):
    X, y = breast_cancer
    a = LogisticRegression(C=0.5, tol=1e-10).fit(X, y)
    X1 = np.column_stack([X, np.ones(X.shape[0])])
    # An unpenalised constant column: penalise nothing but the column's own weight is free.
    # With C = inf there is no penalty at all, so compare on the unpenalised problem too.
    src = InMemorySource(X1, y.astype(float))
    obj = Objective(src, C=0.5, fit_intercept=False)
    # remove the penalty on the last column by hand: solve with our lbfgs on a wrapper
    from logistic.solvers import solve

    class Unpenalised:  # the objective protocol L-BFGS needs, nothing more
        n_params = obj.n_params
        n_evaluations = 0
        capabilities = frozenset()
        l1 = 0.0

        def loss_grad(self, p):
            f, g = obj.loss_grad(p)
            f -= 0.5 * obj.l2 * p[-1] ** 2
            g = g.copy()
            g[-1] -= obj.l2 * p[-1]
            return f, g

    res = solve("lbfgs", Unpenalised(), np.zeros(obj.n_params), tol=1e-10)
    np.testing.assert_allclose(res.x[:-1], a.coef_.ravel(), rtol=1e-6, atol=1e-7)
    assert res.x[-1] == pytest.approx(a.intercept_[0], rel=1e-6)
