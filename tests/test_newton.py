"""The second-order solvers and the fast kernel paths they rely on.

Newton reaches scikit-learn's optimum; the Hessian and Hessian-vector products match finite
differences; float32 stays float32 with no copy of X; C/F order, CSR and threaded blocks
agree with the plain dense path. No timing here: speed is measured in ``benchmarks/``.
"""

from __future__ import annotations

import itertools
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from logistic import ConvergenceWarning, LogisticRegression
from logistic.kernel import chunk_hessp, chunk_stats
from logistic.objective import Objective
from logistic.solvers import SOLVERS, resolve_auto, solve
from logistic.sources import InMemorySource


def _problem(seed=0, n=120, d=6, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    w = rng.normal(size=d)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w) - 0.3))).astype(dtype)
    return X, y


def _sk_objective(obj, X, y, C):
    sk = SkLogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    sk.fit(X, y)
    return obj.loss(obj.join(sk.coef_.ravel(), sk.intercept_[0]))


@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
@pytest.mark.parametrize("solver", ["newton", "newton-cg"])
def test_newton_reaches_sklearn_optimum(real_data, C, solver):
    _, (X, y) = real_data
    obj = Objective(InMemorySource(X, y.astype(np.float64)), C=C)
    res = solve(solver, obj, np.zeros(obj.n_params), tol=1e-10)
    assert res.converged, res.message
    assert res.grad_norm <= 1e-10
    f_sk = _sk_objective(obj, X, y, C)
    assert (res.fun - f_sk) / abs(f_sk) <= 1e-9
    # history: entry 0 is the start, one entry per iteration
    assert len(res.history) == res.n_iter + 1
    assert res.history.grad_norm[-1] == pytest.approx(res.grad_norm)


def test_estimator_auto_uses_newton_and_matches_sklearn(breast_cancer):
    X, y = breast_cancer
    m = LogisticRegression(tol=1e-10).fit(X, y)
    assert m.solver_ == "newton"
    sk = SkLogisticRegression(solver="newton-cholesky", tol=1e-12).fit(X, y)
    np.testing.assert_allclose(m.coef_, sk.coef_, rtol=1e-6, atol=1e-7)


CASES = list(itertools.product([True, False], [False, True], [0.1, 1.0, np.inf]))


@pytest.mark.parametrize(("fit_intercept", "weighted", "C"), CASES)
def test_hessian_and_hessp_match_finite_differences(fit_intercept, weighted, C):
    X, y = _problem()
    sw = np.random.default_rng(1).uniform(0.2, 3.0, size=X.shape[0]) if weighted else None
    obj = Objective(InMemorySource(X, y, sw), C=C, fit_intercept=fit_intercept)
    p = np.random.default_rng(2).normal(scale=0.5, size=obj.n_params)
    H = obj.grad_hess(p)[2]
    h = 1e-6
    fd = np.empty_like(H)
    for j in range(obj.n_params):
        e = np.zeros_like(p)
        e[j] = h
        fd[:, j] = (obj.grad(p + e) - obj.grad(p - e)) / (2 * h)
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(H, H.T)
    v = np.random.default_rng(3).normal(size=obj.n_params)
    np.testing.assert_allclose(obj.hessp(p, v), H @ v, rtol=1e-12, atol=1e-13)


def test_hessp_fallback_for_sources_without_it():
    X, y = _problem()

    class Plain:  # a source exposing only the documented minimum
        def __init__(self, inner):
            self._inner = inner
            self.n_samples, self.n_features = inner.n_samples, inner.n_features
            self.dtype, self.weight_sum = inner.dtype, inner.weight_sum

        def stats(self, w, b=0.0, **kw):
            return self._inner.stats(w, b, **kw)

    obj = Objective(Plain(InMemorySource(X, y)), C=1.0)
    p = np.random.default_rng(0).normal(size=obj.n_params)
    v = np.random.default_rng(1).normal(size=obj.n_params)
    H = obj.grad_hess(p)[2]
    np.testing.assert_allclose(obj.hessp(p, v), H @ v, rtol=1e-6, atol=1e-8)


def test_float32_keeps_dtype_makes_no_copy_and_reaches_float64_optimum():
    X64, y64 = _problem(n=50_000, d=20)
    X32, y32 = X64.astype(np.float32), y64.astype(np.float32)
    # blocks far smaller than X, as they are on real sizes (2 MiB of X per block)
    src = InMemorySource(X32, y32, block_rows=4096)
    assert src.X is X32
    obj = Objective(src, C=1.0)
    # warm up first: the compiled row loop (numba) allocates while it loads its float32
    # version, which only gradient passes over blocks of >= 2^18 elements take
    warm = InMemorySource(X32[:20_000], y32[:20_000])
    warm.stats(np.zeros(20), 0.0)
    solve("newton", Objective(warm, C=1.0), np.zeros(21), tol=1e-3)
    tracemalloc.start()
    res = solve("newton", obj, np.zeros(obj.n_params), tol=1e-5)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # a float64 copy of X would be 8 MB; blocks, Hessians and vectors stay far below
    assert peak < 0.25 * X64.nbytes, peak
    obj64 = Objective(InMemorySource(X64, y64), C=1.0)
    ref = solve("newton", obj64, np.zeros(obj64.n_params), tol=1e-12)
    f32_at_64 = obj64.loss(res.x)
    assert (f32_at_64 - ref.fun) / abs(ref.fun) <= 1e-6
    m = LogisticRegression(solver="newton", tol=1e-5).fit(X32, y32)
    assert m.coef_.dtype == np.float32


def test_fortran_order_and_sparse_csr_agree_with_c_order():
    X, y = _problem(n=3000, d=8)
    X[np.abs(X) < 0.7] = 0.0
    ref = solve("newton", Objective(InMemorySource(X, y), C=1.0), np.zeros(9), tol=1e-11)
    for Xv in (np.asfortranarray(X), sp.csr_matrix(X)):
        obj = Objective(InMemorySource(Xv, y, block_rows=500), C=1.0)
        for solver in ("newton", "newton-cg"):
            got = solve(solver, obj, np.zeros(9), tol=1e-11)
            np.testing.assert_allclose(got.x, ref.x, rtol=1e-8, atol=1e-10)
        st = obj.source.stats(ref.x[:-1], ref.x[-1], need_hess=True)
        st0 = chunk_stats(X, y, ref.x[:-1], ref.x[-1], need_hess=True)
        np.testing.assert_allclose(st.hess, st0.hess, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_threaded_blocks_equal_one_block(dtype):
    X, y = _problem(n=60_000, d=10, dtype=dtype)
    sw = np.random.default_rng(4).uniform(0.5, 2.0, size=X.shape[0]).astype(dtype)
    w = np.random.default_rng(5).normal(size=10)
    one = chunk_stats(X, y, w, 0.2, sw, need_hess=True)
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    for n_threads, block_rows in ((1, 997), (2, 997), (2, 20_000), (3, 4096)):
        src = InMemorySource(X, y, sw, block_rows=block_rows, n_threads=n_threads)
        got = src.stats(w, 0.2, need_hess=True)
        assert got.n_rows == one.n_rows
        assert got.weight_sum == pytest.approx(one.weight_sum, rel=1e-12)
        assert got.loss == pytest.approx(one.loss, rel=rtol)
        np.testing.assert_allclose(got.grad_w, one.grad_w, rtol=rtol, atol=rtol * 10)
        np.testing.assert_allclose(got.hess, one.hess, rtol=rtol, atol=rtol * 10)
        v = np.random.default_rng(6).normal(size=10)
        hw, hb = src.hessp(w, 0.2, v, 0.5)
        ref_w, ref_b = chunk_hessp(X, y, w, 0.2, v, 0.5, sw)
        np.testing.assert_allclose(hw, ref_w, rtol=rtol * 10, atol=rtol * 10)
        assert hb == pytest.approx(ref_b, rel=rtol * 10)
    # the same blocks and threads give bit-identical results every time
    src = InMemorySource(X, y, sw, block_rows=997, n_threads=2)
    a, b = src.stats(w, 0.2), src.stats(w, 0.2)
    assert a.loss == b.loss
    np.testing.assert_array_equal(a.grad_w, b.grad_w)


def test_fused_pointwise_is_stable_at_extreme_logits():
    for dtype in (np.float64, np.float32):
        X = np.array([[800.0], [-800.0], [800.0], [-800.0], [0.0]], dtype=dtype)
        y = np.array([1, 0, 0, 1, 1], dtype=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            st = chunk_stats(X, y, np.ones(1), need_hess=True)
        # two rows with loss ~0 and two with loss 800, and log(2) for z = 0
        assert st.loss == pytest.approx(1600 + np.log(2), rel=1e-6)
        assert st.grad_w[0] == pytest.approx(800 + 800, rel=1e-6)
        assert np.all(np.isfinite(st.hess))


def test_singular_hessian_falls_back_to_lbfgs_with_a_warning():
    # an all-zero column without penalty: the Hessian is exactly singular
    X, y = _problem(n=50, d=2)
    X[:, 1] = 0.0
    obj = Objective(InMemorySource(X, y), C=np.inf, fit_intercept=False)
    with pytest.warns(ConvergenceWarning, match="lbfgs"):
        res = solve("newton", obj, np.zeros(2), tol=1e-8, max_iter=200)
    assert res.converged
    assert np.all(np.isfinite(res.x))
    assert res.history.loss[-1] == pytest.approx(res.fun)


def test_resolve_auto_is_a_pure_choice():
    assert resolve_auto(1000, 100, sparse=False, l1_ratio=0.0) == "newton"
    assert resolve_auto(1000, 100, sparse=True, l1_ratio=0.0) == "newton"
    assert resolve_auto(1000, 100_000, sparse=True, l1_ratio=0.0) == "newton-cg"
    assert resolve_auto(1000, 100_000, sparse=False, l1_ratio=0.0) == "lbfgs"
    assert resolve_auto(1_000_000, 100, sparse=False, l1_ratio=0.0) == "newton"
    assert resolve_auto(200_000, 1000, sparse=False, l1_ratio=0.0) == "lbfgs"
    # l1 penalties go to a registered solver that supports them
    l1 = resolve_auto(1000, 10, sparse=False, l1_ratio=0.5)
    assert SOLVERS[l1].supports_l1 or l1 == "lbfgs"


def test_subsampled_hessian_reaches_the_same_optimum():
    X, y = _problem(n=30_000, d=12)
    sw = np.random.default_rng(7).uniform(0.5, 2.0, size=X.shape[0])
    for fit_intercept in (True, False):
        exact = Objective(InMemorySource(X, y, sw), C=1.0, fit_intercept=fit_intercept)
        ref = solve("newton", exact, np.zeros(exact.n_params), tol=1e-12, hessian_rows=None)
        obj = Objective(InMemorySource(X, y, sw), C=1.0, fit_intercept=fit_intercept)
        # every 15th row: a strided view of X, no copy
        sub = obj.source.every(15)
        assert np.shares_memory(sub.X, X)
        H_est = obj.subsampled_hessian(ref.x, 15)
        H = exact.grad_hess(ref.x)[2]
        assert np.linalg.norm(H_est - H) <= 0.2 * np.linalg.norm(H)
        res = solve("newton", obj, np.zeros(obj.n_params), tol=1e-11, hessian_rows=2000)
        assert res.converged, res.message
        np.testing.assert_allclose(res.x, ref.x, rtol=1e-7, atol=1e-9)


def test_well_conditioned_tall_data_go_to_lbfgs_with_the_same_optimum():
    """Gaussian features (kappa ~ 1): the Hessians would cost more than L-BFGS's extra
    steps, so Newton hands over (no warning) after judging kappa on a row sample; badly
    scaled columns (kappa ~ 1e4) keep Newton. Both reach the exact Newton optimum."""
    import warnings

    from logistic.objective import Objective
    from logistic.solvers import solve
    from logistic.sources import InMemorySource

    rng = np.random.default_rng(5)
    X = rng.standard_normal((20_000, 80))
    y = (rng.random(20_000) < 1 / (1 + np.exp(-X[:, :5].sum(axis=1)))).astype(float)
    for scale, handed in ((1.0, True), (100.0, False)):
        Xs = X.copy()
        Xs[:, 0] *= scale
        obj = Objective(InMemorySource(Xs, y), C=1.0)
        ref = solve("newton", obj, np.zeros(obj.n_params), tol=1e-10, well_conditioned=None)
        assert "handed over" not in ref.message
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a planned hand-over does not warn
            res = solve("newton", obj, np.zeros(obj.n_params), tol=1e-9)
        assert ("handed over (well-conditioned" in res.message) is handed, res.message
        assert res.converged
        np.testing.assert_allclose(res.x, ref.x, rtol=1e-6, atol=1e-8)
