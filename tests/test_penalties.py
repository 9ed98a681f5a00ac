"""L1 and elastic net against scikit-learn's saga, and offsets."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from logistic import InvalidParameterError, LogisticRegression
from logistic.objective import Objective
from logistic.sources import InMemorySource


def _F(X, y, C, r, model):
    obj = Objective(InMemorySource(X, y.astype(np.float64)), C=C, l1_ratio=r)
    p = np.append(model.coef_.ravel(), model.intercept_)
    return obj.loss(p) + obj.penalty_l1(p)


@pytest.fixture(scope="module")
def saga_fits(breast_cancer, digits):
    out = {}
    for name, (X, y) in (("breast_cancer", breast_cancer), ("digits", digits)):
        for C, r in ((0.1, 1.0), (1.0, 0.5)):
            sk = SkLogisticRegression(C=C, l1_ratio=r, solver="saga", tol=1e-10, max_iter=100_000)
            out[name, C, r] = sk.fit(X, y)
    return out


@pytest.mark.parametrize("dataset", ["breast_cancer", "digits"])
@pytest.mark.parametrize(("C", "r"), [(0.1, 1.0), (1.0, 0.5)])
@pytest.mark.parametrize("solver", ["cd", "agd"])
def test_l1_and_elastic_net_reach_saga_optimum(
    saga_fits, breast_cancer, digits, dataset, C, r, solver
):
    X, y = breast_cancer if dataset == "breast_cancer" else digits
    sk = saga_fits[dataset, C, r]
    m = LogisticRegression(C=C, l1_ratio=r, solver=solver, tol=1e-9, max_iter=100_000).fit(X, y)
    assert m.converged_
    f_sk = _F(X, y, C, r, sk)
    assert (_F(X, y, C, r, m) - f_sk) / f_sk <= 1e-8
    np.testing.assert_array_equal(m.coef_ == 0, sk.coef_ == 0)
    assert np.sum(m.coef_ == 0) > 0  # the lasso does select


def test_auto_uses_cd_with_l1(breast_cancer):
    X, y = breast_cancer
    m = LogisticRegression(C=0.1, l1_ratio=1.0).fit(X, y)
    assert m.solver_ == "cd"
    assert np.sum(m.coef_ == 0) > 10


def test_ista_gets_the_same_zeros(breast_cancer):
    X, y = breast_cancer
    a = LogisticRegression(C=0.1, l1_ratio=1.0, solver="gd", tol=1e-7).fit(X, y)
    b = LogisticRegression(C=0.1, l1_ratio=1.0, solver="cd", tol=1e-10).fit(X, y)
    np.testing.assert_array_equal(a.coef_ == 0, b.coef_ == 0)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-4)


def test_cd_without_l1_is_newton_quality(breast_cancer):
    X, y = breast_cancer
    a = LogisticRegression(solver="cd", tol=1e-10).fit(X, y)
    b = LogisticRegression(solver="lbfgs", tol=1e-10).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6, atol=1e-7)
    assert a.n_iter_[0] < 15


def test_l1_needs_a_solver_that_supports_it(breast_cancer):
    X, y = breast_cancer
    with pytest.raises(InvalidParameterError, match=r"does not support l1_ratio=0.5.*'cd'"):
        LogisticRegression(l1_ratio=0.5, solver="lbfgs").fit(X, y)


def test_objective_optimality_is_zero_only_at_the_optimum(breast_cancer):
    X, y = breast_cancer
    m = LogisticRegression(C=0.1, l1_ratio=1.0, tol=1e-10).fit(X, y)
    assert m.converged_
    obj = Objective(InMemorySource(X, y.astype(float)), C=0.1, l1_ratio=1.0)
    p = np.append(m.coef_.ravel(), m.intercept_)
    assert obj.optimality(p, obj.grad(p)) <= 1e-10
    q = p.copy()
    q[np.flatnonzero(m.coef_.ravel() == 0)[0]] = 1e-3  # leave the optimum along a zero
    assert obj.optimality(q, obj.grad(q)) > 1e-4


# -- offsets -----------------------------------------------------------------------------
def test_constant_offset_moves_only_the_intercept(breast_cancer):
    X, y = breast_cancer
    a = LogisticRegression(tol=1e-10).fit(X, y)
    b = LogisticRegression(tol=1e-10).fit(X, y, offset=np.full(X.shape[0], 0.75))
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-6, atol=1e-8)
    assert b.intercept_[0] == pytest.approx(a.intercept_[0] - 0.75, abs=1e-7)
    off = np.full(X.shape[0], 0.75)
    np.testing.assert_allclose(b.predict_proba(X, offset=off), a.predict_proba(X), atol=1e-8)


def test_offset_gradient_matches_finite_differences(breast_cancer):
    X, y = breast_cancer
    off = np.random.default_rng(0).normal(size=X.shape[0])
    obj = Objective(InMemorySource(X, y.astype(float), None, off), C=1.0)
    p = np.random.default_rng(1).normal(scale=0.1, size=obj.n_params)
    g = obj.grad(p)
    h = 1e-6
    num = np.array(
        [(obj.loss(p + h * e) - obj.loss(p - h * e)) / (2 * h) for e in np.eye(obj.n_params)]
    )
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-9)


def test_bad_offset(breast_cancer):
    from logistic import DataError

    X, y = breast_cancer
    with pytest.raises(DataError, match="offset has shape"):
        LogisticRegression().fit(X, y, offset=np.zeros(3))
    with pytest.raises(DataError, match="offset contains NaN"):
        LogisticRegression().fit(X, y, offset=np.full(X.shape[0], np.nan))


def test_l1_tie_between_identical_columns_is_exactly_zero():
    # two identical constant columns: the second's gradient sits exactly on the threshold
    # once the first carries the weight; it stays 0 exactly, dense and CSR alike (the sums'
    # order differs), as scikit-learn's test_logreg_l1 asks
    import scipy.sparse as sp
    from sklearn.datasets import make_classification

    rng = np.random.RandomState(0)
    X, y = make_classification(n_samples=100, n_features=20, random_state=0)
    X = np.concatenate((X, rng.normal(size=(100, 3)), np.ones((100, 2))), axis=1)
    kw = dict(l1_ratio=1.0, C=1.0, fit_intercept=False, tol=1e-10, solver="cd")
    dense = LogisticRegression(**kw).fit(X, y)
    sparse = LogisticRegression(**kw).fit(sp.csr_matrix(X), y)
    assert dense.coef_[0, -2] != 0.0 and dense.coef_[0, -1] == 0.0 == sparse.coef_[0, -1]
    np.testing.assert_allclose(dense.coef_, sparse.coef_, rtol=1e-12)
