"""The kernel's fast paths agree with its plain NumPy path.

The compiled fused row loop (numba, when installed) and SciPy's compiled CSR kernels
called directly must give the sums the NumPy/BLAS formulation gives, for float32 and
float64, with sample weights and offsets, at extreme logits too.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from logistic import kernel
from logistic.kernel import _FUSED_MIN_SIZE, chunk_stats
from logistic.sources import InMemorySource


def _data(m, n, dtype, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(m, n)) * scale).astype(dtype)
    y = (rng.random(m) < 0.4).astype(dtype)
    sw = rng.uniform(0.2, 2.0, size=m).astype(dtype)
    off = rng.normal(scale=0.3, size=m).astype(dtype)
    w = rng.normal(size=n) / np.sqrt(n)
    return X, y, sw, off, w


def _numpy_path(monkeypatch):
    monkeypatch.setattr(kernel, "_fused", False)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_fused_rows_equal_numpy_path(monkeypatch, dtype, weighted):
    pytest.importorskip("numba")
    X, y, sw, off, w = _data(_FUSED_MIN_SIZE // 20 + 7, 20, dtype)
    s = sw if weighted else None
    assert kernel._fused_ok(X, y, s, off)
    fast = chunk_stats(X, y, w, 0.3, s, off)
    fast_loss = chunk_stats(X, y, w, 0.3, s, off, need_grad=False)
    _numpy_path(monkeypatch)
    assert not kernel._fused_ok(X, y, s, off)
    ref = chunk_stats(X, y, w, 0.3, s, off)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert fast.loss == pytest.approx(ref.loss, rel=rtol)
    assert fast_loss.loss == pytest.approx(ref.loss, rel=rtol)
    assert fast.weight_sum == pytest.approx(ref.weight_sum, rel=1e-12)
    assert fast.n_rows == ref.n_rows
    np.testing.assert_allclose(fast.grad_w, ref.grad_w, rtol=rtol, atol=rtol * 100)
    assert fast.grad_b == pytest.approx(ref.grad_b, rel=rtol, abs=rtol * 100)


def test_fused_rows_are_stable_at_extreme_logits():
    pytest.importorskip("numba")
    m = _FUSED_MIN_SIZE
    X = np.zeros((m, 1))
    X[0::4, 0], X[1::4, 0], X[2::4, 0], X[3::4, 0] = 800.0, -800.0, 800.0, -800.0
    y = np.zeros(m)
    y[0::4] = 1.0  # z = 800, y = 1: loss ~ 0
    y[3::4] = 1.0  # z = -800, y = 1: loss 800
    assert kernel._fused_ok(X, y, None, None)
    st = chunk_stats(X, y, np.ones(1))
    assert np.isfinite(st.loss) and np.all(np.isfinite(st.grad_w))
    assert st.loss == pytest.approx(800.0 * m / 2, rel=1e-12)  # rows 2 and 3 of every 4


def test_fortran_order_takes_the_numpy_path_and_agrees():
    X, y, sw, off, w = _data(40_000, 10, np.float64)
    F = np.asfortranarray(X)
    assert not kernel._fused_ok(F, y, sw, off)
    a = InMemorySource(X, y, sw, off).stats(w, 0.1)
    b = InMemorySource(F, y, sw, off).stats(w, 0.1)
    assert a.loss == pytest.approx(b.loss, rel=1e-12)
    np.testing.assert_allclose(a.grad_w, b.grad_w, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_csr_direct_kernels_equal_scipy_operators(dtype):
    X, y, sw, off, w = _data(5_000, 40, dtype)
    X[np.abs(X) < 1.0] = 0
    S = sp.csr_matrix(X)
    assert kernel._csr_ready(S)
    v = np.random.default_rng(1).normal(size=40).astype(dtype)
    np.testing.assert_allclose(
        kernel._matvec(S, v), S @ v, rtol=1e-6 if dtype == np.float32 else 1e-13
    )
    r = np.random.default_rng(2).normal(size=5_000).astype(dtype)
    out = np.zeros(40)
    kernel._rmatvec_add(S, r, out)
    np.testing.assert_allclose(
        out, (S.T @ r).astype(np.float64), rtol=1e-5 if dtype == np.float32 else 1e-12
    )
    # blocks of a CSR source are views of X's arrays (no copy per pass), and agree with dense
    src = InMemorySource(S, y, sw, off, block_rows=700)
    blk = src._rows(slice(700, 1400))
    assert np.shares_memory(blk.data, S.data) and np.shares_memory(blk.indices, S.indices)
    got = src.stats(w, -0.2, need_hess=True)
    ref = chunk_stats(X, y, w, -0.2, sw, off, need_hess=True)
    rtol = 1e-11 if dtype == np.float64 else 1e-4
    assert got.loss == pytest.approx(ref.loss, rel=rtol)
    np.testing.assert_allclose(got.grad_w, ref.grad_w, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(got.hess, ref.hess, rtol=rtol, atol=rtol)


def test_hessp_curvature_cache_follows_the_point():
    X, y, sw, off, w = _data(20_000, 8, np.float64)
    src = InMemorySource(X, y, sw, off, block_rows=3000)
    v = np.arange(8.0)
    a = src.hessp(w, 0.1, v, 1.0)
    b = src.hessp(w, 0.1, v, 1.0)  # from the cached curvatures
    np.testing.assert_allclose(a[0], b[0], rtol=1e-13)
    w2 = w + 0.5
    c = src.hessp(w2, 0.1, v, 1.0)  # a new point: recomputed
    H2 = src.stats(w2, 0.1, need_hess=True).hess
    np.testing.assert_allclose(c[0], (H2 @ np.append(v, 1.0))[:-1], rtol=1e-11)


@pytest.mark.parametrize("layout", ["C", "F", "float32", "csr"])
def test_hessian_diagonal_is_the_diagonal_of_the_hessian(layout):
    """``need_hess="diag"`` (Newton-CG's preconditioner) against ``diag`` of the full
    Hessian, with weights and offsets, in every storage the kernel takes, over several
    blocks of an in-memory source; the loss and gradient of the pass are unchanged."""
    X, y, sw, off, w = _data(5000, 9, np.float32 if layout == "float32" else np.float64)
    if layout == "F":
        X = np.asfortranarray(X)
    if layout == "csr":
        X[np.random.default_rng(1).random(X.shape) < 0.7] = 0.0
        X = sp.csr_matrix(X)
    src = InMemorySource(X, y, sw, off, block_rows=700)
    full = src.stats(w, 0.3, need_hess=True)
    diag = src.stats(w, 0.3, need_hess="diag")
    rtol = 1e-12 if X.dtype == np.float64 else 1e-5
    assert diag.hess.shape == (10,)
    np.testing.assert_allclose(diag.hess, np.diag(full.hess), rtol=rtol)
    grad = src.stats(w, 0.3)
    assert diag.loss == grad.loss
    np.testing.assert_array_equal(diag.grad_w, grad.grad_w)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_objective_hessian_diagonal_and_preconditioned_newton_cg(fit_intercept):
    """The objective's diagonal includes the penalty (not on the intercept); Newton-CG
    with the Jacobi preconditioner lands on Newton's optimum."""
    from logistic.objective import Objective
    from logistic.solvers import solve

    X, y, sw, _, _ = _data(3000, 12, np.float64, scale=3.0)
    X[:, 0] *= 50.0  # badly scaled columns: what the preconditioner is for
    obj = Objective(InMemorySource(X, y, sw), C=0.5, fit_intercept=fit_intercept)
    p = np.linspace(-0.01, 0.01, obj.n_params)
    f, g, d = obj.loss_grad_hess_diag(p)
    f2, g2, H = obj.grad_hess(p)
    assert f == pytest.approx(f2, rel=1e-14)
    np.testing.assert_allclose(g, g2, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d, np.diag(H), rtol=1e-12)
    ref = solve("newton", obj, np.zeros(obj.n_params), tol=1e-11)
    res = solve("newton-cg", obj, np.zeros(obj.n_params), tol=1e-9)
    assert res.converged
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-7, atol=1e-9)
