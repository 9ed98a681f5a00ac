"""The multinomial fast paths: the softmax Hessian's blocks against a row-by-row Kronecker
reference, the CG-pairs preconditioner of ``newton-cg`` against the quasi-Newton identity it
rests on, its fits against scikit-learn's optimum on real multiclass data, and the
``auto`` rules for more than two classes."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_iris, load_wine
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.preprocessing import StandardScaler

from logistic import LogisticRegression
from logistic._kernel._softmax import _hessian, probabilities
from logistic.objective import Objective, Softmax
from logistic.solvers import resolve_auto, solve
from logistic.solvers.newton_cg import _cg, _Pairs
from logistic.sources import InMemorySource


def _reference_hessian(X, A, s):
    """``sum_i s_i x1_i x1_i^T (x) (diag(a_i) - a_i a_i^T)``, one row at a time."""
    X = X.toarray() if sp.issparse(X) else X
    X1 = np.hstack([X, np.ones((X.shape[0], 1))])
    s = np.ones(X.shape[0]) if s is None else s
    return sum(
        si * np.kron(np.outer(x, x), np.diag(a) - np.outer(a, a))
        for x, a, si in zip(X1, A, s, strict=True)
    )


@pytest.mark.parametrize("K", [3, 5])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_softmax_hessian_blocks_equal_the_kronecker_sum(K, weighted, sparse):
    rng = np.random.default_rng(K)
    X = rng.normal(size=(40, 4)) * (rng.random((40, 4)) < 0.6)
    # the class of the largest probabilities (whose blocks are derived) is not the last
    A = probabilities(X @ rng.normal(size=(4, K)) + np.arange(K)[::-1])[0]
    s = rng.random(40) * 2 if weighted else None
    H = _hessian(sp.csr_matrix(X) if sparse else X, A, s)
    np.testing.assert_allclose(H, _reference_hessian(X, A, s), rtol=1e-12, atol=1e-12)
    assert np.array_equal(H, H.T)


def test_cg_pairs_reproduce_the_matrix_on_their_span():
    """BFGS updates from ``H``-conjugate pairs satisfy every pair's secant equation:
    ``B^-1 (H s_i) = s_i`` for each kept pair (the hereditary property on a quadratic)."""
    rng = np.random.default_rng(0)
    Q = rng.normal(size=(30, 30))
    H = Q @ Q.T + np.diag(np.logspace(-2, 2, 30))
    pairs = _Pairs(6)
    _cg(lambda v: H @ v, rng.normal(size=30), 0.0, 12, pairs=pairs)
    assert len(pairs.s) == 6 and pairs.stride == 2  # 12 directions, every other kept
    apply = pairs.preconditioner()
    for s_i in pairs.s:
        np.testing.assert_allclose(apply(H @ s_i), s_i, rtol=1e-6, atol=1e-9)


def _standardised(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("loader", [load_wine, load_iris])
@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
def test_newton_cg_with_cg_pairs_reaches_sklearns_optimum(loader, C):
    X, y = _standardised(loader)
    K = len(np.unique(y))
    sk = SkLogisticRegression(C=C, tol=1e-12, max_iter=100_000).fit(X, y)
    obj = Objective(InMemorySource(X, y.astype(float)), Softmax(K), C=C)
    f_sk = obj.loss(obj.join(sk.coef_.T.ravel(), sk.intercept_))
    for pairs in (0, 20):
        r = solve("newton-cg", obj, obj.start(), tol=1e-10, max_iter=500, pairs=pairs)
        assert r.converged
        assert (r.fun - f_sk) / f_sk <= 1e-9
        coef, intercept = obj.coef_intercept(r.x)
        # C = 100 on wine is nearly separable: the optimum is flat along some directions,
        # where both solvers' stopping tests leave the coefficients ~1e-6 apart (relative)
        atol = (1e-6 if C <= 1 else 1e-5) * max(1.0, np.abs(sk.coef_).max())
        np.testing.assert_allclose(coef, sk.coef_, atol=atol)
        np.testing.assert_allclose(intercept, sk.intercept_, atol=atol)


def test_newton_with_the_block_hessian_matches_sklearn_on_wine():
    X, y = _standardised(load_wine)
    sk = SkLogisticRegression(C=1.0, tol=1e-12, max_iter=100_000).fit(X, y)
    m = LogisticRegression(C=1.0, solver="newton", tol=1e-10).fit(X, y)
    np.testing.assert_allclose(m.coef_, sk.coef_, atol=1e-6)
    np.testing.assert_allclose(m.intercept_, sk.intercept_, atol=1e-6)


@pytest.mark.parametrize(
    "shape, sparse, expected",
    [
        ((150, 4, 3), False, "newton"),  # iris: the Hessian costs about a pass
        ((1797, 64, 10), False, "lbfgs"),  # digits: one Hessian ~70 passes' flops
        ((100_000, 50, 5), False, "lbfgs"),  # the exact Hessian over every row
        ((200_000, 50, 5), False, "newton"),  # a Hessian from a third of the rows
        ((5_000, 1_000, 5), False, "lbfgs"),  # wide
        ((11_901, 526, 6), True, "newton-cg"),  # police
        ((1_000, 30, 4), True, "newton"),  # 124 parameters
    ],
)
def test_auto_for_more_than_two_classes(shape, sparse, expected):
    m, n, K = shape
    assert resolve_auto(m, n, sparse=sparse, l1_ratio=0.0, n_classes=K) == expected
    assert resolve_auto(m, n, sparse=sparse, l1_ratio=0.5, n_classes=K) == "cd"
