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
from logistic._kernel import chunk_stats
from logistic._links import Softmax
from logistic.objective import Objective
from logistic.solvers import SOLVERS, resolve_auto, solve
from logistic.sources import InMemorySource, Source


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


class _Plain(Source):
    """A source with only the contract's minimum: shape, weight, aggregate, minibatches (no
    capabilities); every pass is derived from ``aggregate`` by the base class."""

    def __init__(self, inner, check=None):
        self._inner, self._check = inner, check
        self.n_samples, self.n_features = inner.n_samples, inner.n_features
        self.dtype, self.weight_sum = inner.dtype, inner.weight_sum

    def aggregate(self, task):
        if self._check is not None:
            self._check(task)
        return self._inner.aggregate(task)

    def minibatches(self, batch_size, rng):
        return self._inner.minibatches(batch_size, rng)


def test_hessp_derived_for_a_source_with_only_the_contract():
    X, y = _problem()
    obj = Objective(_Plain(InMemorySource(X, y)), C=1.0)
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
        Hv = one.hess @ np.append(v, 0.5)  # the Hessian-vector product, never the Hessian
        ref_w, ref_b = Hv[:-1], Hv[-1]
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


def test_failed_newton_iteration_spends_budget_not_count():
    # scikit-learn's hand-over: the iteration that failed costs one of max_iter but is not
    # one of the steps n_iter counts, so with room to spare n_iter is L-BFGS's own count
    # and with max_iter = that - 1, L-BFGS gets max_iter - 1 and stops there
    X, y = _problem(n=50, d=2)
    X[:, 1] = 0.0
    obj = Objective(InMemorySource(X, y), C=np.inf, fit_intercept=False)
    alone = solve("lbfgs", obj, np.zeros(2), tol=1e-8, max_iter=200)
    with pytest.warns(ConvergenceWarning, match="lbfgs"):
        res = solve("newton", obj, np.zeros(2), tol=1e-8, max_iter=200)
    assert res.n_iter == alone.n_iter
    budget = alone.n_iter - 1
    with pytest.warns(ConvergenceWarning, match="lbfgs"):
        short = solve("newton", obj, np.zeros(2), tol=1e-8, max_iter=budget)
    assert not short.converged and short.n_iter == budget - 1


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
        # every 15th row: a strided view of X, no copy; the objective keeps a C-ordered
        # copy of the sample it reads many times (1/15 of X), not of a 1/5 one
        sub = obj.source.every(15)
        assert np.shares_memory(sub.X, X)
        kept = obj._every(15)
        assert kept.X.flags.c_contiguous and not np.shares_memory(kept.X, X)
        np.testing.assert_array_equal(kept.X, X[::15])
        np.testing.assert_array_equal(kept.sample_weight, sw[::15])
        assert np.shares_memory(obj._every(5).X, X)
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


# -- the exact line search and the float32 Gram products ------------------------------


@pytest.mark.parametrize(("fit_intercept", "weighted", "C"), CASES)
def test_along_gives_the_derivatives_of_f_along_a_direction(fit_intercept, weighted, C):
    """``Objective.along``: ``phi'(t)`` and ``phi''(t)`` of ``phi(t) = f(p + t d)``
    against ``g . d``, ``d^T H d`` and central differences, with weights and offsets."""
    X, y = _problem(n=300, d=20)
    rng = np.random.default_rng(5)
    sw = rng.uniform(0.2, 3.0, size=X.shape[0]) if weighted else None
    off = rng.normal(scale=0.5, size=X.shape[0])
    obj = Objective(InMemorySource(X, y, sw, off), C=C, fit_intercept=fit_intercept)
    p = rng.normal(scale=0.3, size=obj.n_params)
    d = rng.normal(scale=0.3, size=obj.n_params)
    phi = obj.along(p, d)
    _, g, H = obj.grad_hess(p)
    d1, d2 = phi(0.0)
    assert d1 == pytest.approx(g @ d, rel=1e-10)
    assert d2 == pytest.approx(d @ H @ d, rel=1e-10)
    for t in (0.5, 2.0):
        e = 1e-5
        fd1 = (obj.loss(p + (t + e) * d) - obj.loss(p + (t - e) * d)) / (2 * e)
        fd2 = (obj.grad(p + (t + e) * d) @ d - obj.grad(p + (t - e) * d) @ d) / (2 * e)
        d1, d2 = phi(t)
        assert d1 == pytest.approx(fd1, rel=1e-6, abs=1e-9)
        assert d2 == pytest.approx(fd2, rel=1e-6)


def test_step_length_finds_the_minimiser_along_the_direction():
    from logistic.solvers._line_search import exact_step as _step_length

    # a quadratic: one Newton step from t = 1
    assert _step_length(lambda t: (3.0 * (t - 2.5), 3.0), -7.5) == pytest.approx(2.5)

    # logistic-like: phi(t) = log(1 + exp(-t)) + 0.01 t^2 / 2, minimiser near t = 3.7
    def logistic(t):
        a = 1 / (1 + np.exp(-t))
        return a - 1 + 0.01 * t, a * (1 - a) + 0.01

    slope = logistic(0.0)[0]
    exact = _step_length(logistic, slope, rtol=1e-10, max_trials=60)
    assert logistic(exact)[0] == pytest.approx(0.0, abs=1e-9)
    assert 3.0 < exact < 4.5
    # the default: one evaluation and one Newton step, towards the minimiser, not past it
    t = _step_length(logistic, slope)
    assert 1.0 < t < exact
    # a few verified trials: within the tolerance on phi'
    t = _step_length(logistic, slope, max_trials=10)
    assert abs(logistic(t)[0]) <= 0.1 * abs(slope)
    # no minimiser (a separating direction, no penalty): a long step, finite
    t = _step_length(lambda t: (-np.exp(-t), np.exp(-t)), -1.0)
    assert 1.0 < t < np.inf
    # derivatives that overflow beyond t = 1: the step stays in the finite region
    t = _step_length(lambda t: ((t - 0.5), 1.0) if t < 1.0 else (np.nan, np.nan), -0.5)
    assert t == pytest.approx(0.5)


def test_line_search_reaches_the_same_optimum_in_fewer_iterations(real_data):
    """Real data: Newton with the exact line search and float32 Gram products meets the
    float64 backtracking Newton's optimum, and takes no more iterations."""
    name, (X, y) = real_data
    obj = Objective(InMemorySource(X, y.astype(np.float64)), C=1.0)
    fast = solve("newton", obj, np.zeros(obj.n_params), tol=1e-10)
    plain = solve("newton", obj, np.zeros(obj.n_params), tol=1e-10, line_search=False)
    assert fast.converged and plain.converged
    assert fast.n_iter <= plain.n_iter, name
    np.testing.assert_allclose(fast.x, plain.x, rtol=1e-7, atol=1e-9)


def _recording(obj):
    calls = []
    inner = obj.grad_hess

    def grad_hess(p, gram_scale=None):
        calls.append(gram_scale is not None)
        return inner(p, gram_scale)

    obj.grad_hess = grad_hess
    return calls


def test_float32_gram_used_on_well_conditioned_and_dropped_on_ill_conditioned_data():
    """Float32 Gram products while the equilibrated Hessian's kappa <= 1e5; on nearly
    collinear columns with a weak penalty (kappa ~ 1e7) Newton drops them after the first
    Hessian, recomputes that one in float64, and converges to the float64 optimum."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 40))
    y = (rng.random(3000) < 1 / (1 + np.exp(-0.3 * X[:, :20].sum(axis=1)))).astype(float)
    obj = Objective(InMemorySource(X, y), C=1.0)
    calls = _recording(obj)
    res = solve("newton", obj, np.zeros(41), tol=1e-10)
    assert res.converged and all(calls) and len(calls) >= 3
    ref = solve(
        "newton", Objective(InMemorySource(X, y), C=1.0), np.zeros(41), tol=1e-12, line_search=False
    )
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-8, atol=1e-10)

    X[:, 20:] = X[:, :20] + 1e-4 * rng.normal(size=(3000, 20))
    obj = Objective(InMemorySource(X, y), C=1e4)
    calls = _recording(obj)
    res = solve("newton", obj, np.zeros(41), tol=1e-9)
    assert res.converged, res.message
    assert calls[0] and not any(calls[1:])
    assert res.n_iter <= 8


def test_kappa_estimate_of_the_equilibrated_hessian():
    from logistic.solvers.newton import _Factor

    rng = np.random.default_rng(1)
    A = rng.normal(size=(500, 12))
    A[:, 3] = A[:, 2] + 1e-3 * A[:, 3]
    D = np.logspace(-8, 8, 12)
    H = (A * D).T @ (A * D)
    f = _Factor(H)
    d = f.scales()
    G = H / np.outer(d, d)
    true = np.linalg.cond(G, 1)
    assert true / 3 <= f.kappa(d) <= true * 3
    np.testing.assert_allclose(f.solve(np.ones(12)), np.linalg.solve(H, np.ones(12)), rtol=1e-6)


def test_sources_without_line_search_or_float32_gram_keep_plain_newton():
    """A source without cached chunks or float32 Gram products (stream): plain Newton, the
    same optimum; the softmax link has a line search but no float32 Gram products."""
    X, y = _problem(n=2000, d=20)

    def no_gram_scale(task):
        assert getattr(task, "gram_scale", None) is None

    obj = Objective(_Plain(InMemorySource(X, y), no_gram_scale), C=1.0)
    assert obj.along(np.zeros(21), np.ones(21)) is None
    assert "float32_gram" not in obj.capabilities
    res = solve("newton", obj, np.zeros(21), tol=1e-10)
    ref = solve("newton", Objective(InMemorySource(X, y), C=1.0), np.zeros(21), tol=1e-10)
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-8, atol=1e-10)
    y3 = ((X[:, 0] > 0) + (X[:, 1] > 0.5)).astype(float)
    mobj = Objective(InMemorySource(X, y3), Softmax(3))
    assert mobj.along(np.zeros(mobj.n_params), np.ones(mobj.n_params)) is not None
    assert "float32_gram" not in mobj.capabilities


def test_newton_when_the_hessian_sample_would_exceed_the_rows():
    """Wide enough that the auto Hessian sample (250 n rows) exceeds the data while the
    exact Hessian is expensive (m n^2 >= 2e8): exact Hessians, no division by zero."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2000, 320))
    y = (rng.random(2000) < 1 / (1 + np.exp(-X[:, :10].sum(axis=1)))).astype(float)
    obj = Objective(InMemorySource(X, y), C=1.0)
    res = solve("newton", obj, np.zeros(321), tol=1e-9)
    assert res.converged
    ref = solve("lbfgs", Objective(InMemorySource(X, y), C=1.0), np.zeros(321), tol=1e-10)
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-6, atol=1e-8)


def test_lbfgs_hand_over_continues_a_thinned_history(breast_cancer, monkeypatch):
    """Newton's hand-over to L-BFGS records L-BFGS's iterations into the same History as
    they happen (and calls the callback for each): with a small record cap and an odd
    hand-over iteration the thinned record is still an even grid ending at the last
    iteration (replaying an already thinned L-BFGS record once lost all of it)."""
    from logistic.solvers import History
    from logistic.solvers._base import Tracker
    from logistic.solvers._line_search import HandOver

    monkeypatch.setattr(History, "DEFAULT_MAX_RECORDS", 16)
    X, y = breast_cancer
    obj = Objective(InMemorySource(X, y.astype(float)), C=1e4)  # raw features: slow L-BFGS
    x = np.zeros(obj.n_params)
    f = obj.loss(x)
    seen = []
    tracker = Tracker(lambda r: seen.append(r.iteration))
    for i in range(8):  # as if Newton had taken iterations 1..7
        tracker.record(i, f, 1.0)
    res = HandOver(obj, "newton", tracker, tol=0.0, max_iter=307, callback=None)(
        x, 7, "test", warn=False
    )
    it = res.history.iteration
    assert res.n_iter == 7 + (it[-1] - 7) and it[-1] > 200
    assert 8 <= len(it) <= 16 and it[0] == 0
    gaps = np.diff(it[:-1])
    assert np.all(gaps == gaps[0]) and 0 < it[-1] - it[-2] <= gaps[0]
    assert seen == list(range(it[-1] + 1))  # every iteration reached the callback once
    assert res.history.loss[-1] == pytest.approx(res.fun)


def test_sample_objective_is_the_same_penalty_over_the_sampled_rows():
    """The warm start's objective over every 7th row keeps the full data's lambda: its
    minimiser is scikit-learn's on those rows with C scaled by m / m_sample."""
    X, y = _problem(n=7000, d=8)
    obj = Objective(InMemorySource(X, y), C=0.5)
    sub = obj.sample_objective(7)
    assert sub.n_samples == len(X[::7]) and sub.l2 == pytest.approx(obj.l2)
    res = solve("newton", sub, np.zeros(sub.n_params), tol=1e-11)
    C_rows = 0.5 * len(X) / len(X[::7])
    sk = SkLogisticRegression(C=C_rows, solver="newton-cholesky", tol=1e-12, max_iter=100)
    sk.fit(X[::7], y[::7])
    np.testing.assert_allclose(res.x, np.append(sk.coef_.ravel(), sk.intercept_), rtol=1e-6)


def test_anderson_steps_solve_a_linear_fixed_point_like_gmres():
    """With a fixed preconditioner ``P`` the steps ``-P^-1 g`` on a quadratic are a linear
    iteration; Anderson's combination of its iterates ends at the exact minimiser after
    ``n + 1`` steps (as GMRES would), where the plain iteration is still far off."""
    from logistic.solvers._anderson import MEMORY, anderson

    rng = np.random.default_rng(0)
    n = MEMORY - 2
    A = rng.normal(size=(n, n))
    H = A @ A.T + n * np.eye(n)
    P = H + 0.5 * np.diag(np.diag(H))  # a poor estimate of H: contraction ~ 1/3
    x_star = rng.normal(size=n)
    plain, acc, memory = np.zeros(n), np.zeros(n), []
    for _ in range(n + 1):
        plain = plain - np.linalg.solve(P, H @ (plain - x_star))
        g = H @ (acc - x_star)
        acc = acc + anderson(memory, acc.copy(), g, -np.linalg.solve(P, g))
    assert np.linalg.norm(acc - x_star) <= 1e-9 * np.linalg.norm(x_star)
    assert np.linalg.norm(plain - x_star) >= 1e-4 * np.linalg.norm(x_star)


class _RowSampling(_Plain):
    """Rows that can be sampled (``every``) but are not held here (no ``"columns"``)."""

    capabilities = frozenset({"row_sampling"})

    def every(self, step):
        return _RowSampling(self._inner.every(step))


def test_sample_start_reaches_the_same_optimum_in_fewer_full_passes():
    """Tall data with a sampled Hessian (every 20th row): the warm start from the sample
    and the Anderson steps reach the exact-Hessian optimum with fewer passes over all the
    rows; a source without held rows (no ``"columns"``) starts from 0, the same optimum."""
    X, y = _problem(n=40_000, d=20)
    ref = solve(
        "newton", Objective(InMemorySource(X, y)), np.zeros(21), tol=1e-12, hessian_rows=None
    )
    passes = {}
    for start in (True, False):
        obj = Objective(InMemorySource(X, y))
        res = solve("newton", obj, np.zeros(21), tol=1e-10, hessian_rows=2000, sample_start=start)
        assert res.converged, res.message
        np.testing.assert_allclose(res.x, ref.x, rtol=1e-7, atol=1e-9)
        passes[start] = obj.n_evaluations
    assert passes[True] < passes[False]
    # a caller's start at the optimum is kept (one pass), not replaced by the sample's
    near = Objective(InMemorySource(X, y))
    res = solve("newton", near, ref.x, tol=1e-9, hessian_rows=2000)
    assert res.converged and near.n_evaluations == 1
    plain = Objective(_RowSampling(InMemorySource(X, y)))
    assert "sampled_hessian" in plain.capabilities and plain.sample_objective(20) is None
    res = solve("newton", plain, np.zeros(21), tol=1e-10, hessian_rows=2000)
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-7, atol=1e-9)
    sk = SkLogisticRegression(solver="newton-cholesky", tol=1e-10, max_iter=100).fit(X, y)
    np.testing.assert_allclose(res.x[:-1], sk.coef_.ravel(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("zero_every", [20, 80])
def test_sample_rows_that_all_weigh_zero_give_the_weighted_optimum(zero_every):
    """Weights of 0 on exactly the rows the Hessian samples (every 20th) or on its inner
    level's (every 80th): no division by a zero weight (once a ZeroDivisionError or a NaN
    Hessian); the same optimum as scikit-learn's with the same weights."""
    X, y = _problem(n=40_000, d=20)
    sw = np.ones(len(y))
    sw[::zero_every] = 0.0
    obj = Objective(InMemorySource(X, y, sample_weight=sw))
    res = solve("newton", obj, np.zeros(21), tol=1e-10, hessian_rows=2000)
    assert res.converged, res.message
    sk = SkLogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=100)
    sk.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(res.x[:-1], sk.coef_.ravel(), rtol=1e-6, atol=1e-8)


def test_a_sample_that_misleads_is_dropped_for_the_plain_start():
    """Every 20th row positive and shifted: the Hessian's sample (every 20th row) holds only
    positives, its minimiser predicts 1 everywhere, worse than all logits 0. Newton then
    starts from 0 as without the sample: the same optimum in as many full passes (up to
    the one pass that found it out), not three times as many."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40_000, 20))
    y = np.zeros(40_000)
    y[::20] = 1.0
    X[::20] += 0.3
    passes, xs = {}, {}
    for start in (True, False):
        obj = Objective(InMemorySource(X, y))
        res = solve("newton", obj, np.zeros(21), tol=1e-10, hessian_rows=2000, sample_start=start)
        assert res.converged, res.message
        passes[start], xs[start] = obj.n_evaluations, res.x
    np.testing.assert_allclose(xs[True], xs[False], rtol=1e-7, atol=1e-9)
    assert passes[True] <= passes[False] + 1, passes


def test_known_loss_is_the_loss_at_zero_logits_or_unknown():
    from logistic._links import link_for

    X, y = _problem(n=500, d=4)
    w = np.random.default_rng(1).random(500)
    obj = Objective(InMemorySource(X, y, sample_weight=w))
    zero = np.zeros(obj.n_params)
    assert obj.known_loss(zero) == pytest.approx(obj.loss(zero), rel=1e-14)
    y3 = np.arange(500) % 3
    soft = Objective(InMemorySource(X, y3.astype(float)), link_for(3))
    zero3 = np.zeros(soft.n_params)
    assert soft.known_loss(zero3) == pytest.approx(soft.loss(zero3), rel=1e-14)
    assert obj.known_loss(zero + 0.1) == np.inf
    shifted = Objective(InMemorySource(X, y, offset=np.full(500, 0.5)))
    assert shifted.known_loss(zero) == np.inf
