"""The kernel's fast paths agree with its plain NumPy path.

The compiled fused row loop (numba, when installed) and SciPy's compiled CSR kernels
called directly must give the sums the NumPy/BLAS formulation gives, for float32 and
float64, with sample weights and offsets, at extreme logits too.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from logistic._kernel import _compiled, _linalg, chunk_stats, line_sums
from logistic._kernel._compiled import FUSED_MIN_SIZE, compiled_ok
from logistic.sources import InMemorySource, kernel_backend


def _data(m, n, dtype, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(m, n)) * scale).astype(dtype)
    y = (rng.random(m) < 0.4).astype(dtype)
    sw = rng.uniform(0.2, 2.0, size=m).astype(dtype)
    off = rng.normal(scale=0.3, size=m).astype(dtype)
    w = rng.normal(size=n) / np.sqrt(n)
    return X, y, sw, off, w


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_fused_rows_equal_numpy_path(dtype, weighted):
    pytest.importorskip("numba")
    X, y, sw, off, w = _data(FUSED_MIN_SIZE // 20 + 7, 20, dtype)
    s = sw if weighted else None
    assert compiled_ok(X, y, s, off)
    fast = chunk_stats(X, y, w, 0.3, s, off)
    fast_loss = chunk_stats(X, y, w, 0.3, s, off, need_grad=False)
    with kernel_backend("numpy"):
        assert not compiled_ok(X, y, s, off)
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
    m = FUSED_MIN_SIZE
    X = np.zeros((m, 1))
    X[0::4, 0], X[1::4, 0], X[2::4, 0], X[3::4, 0] = 800.0, -800.0, 800.0, -800.0
    y = np.zeros(m)
    y[0::4] = 1.0  # z = 800, y = 1: loss ~ 0
    y[3::4] = 1.0  # z = -800, y = 1: loss 800
    assert compiled_ok(X, y, None, None)
    st = chunk_stats(X, y, np.ones(1))
    assert np.isfinite(st.loss) and np.all(np.isfinite(st.grad_w))
    assert st.loss == pytest.approx(800.0 * m / 2, rel=1e-12)  # rows 2 and 3 of every 4


def _compiled_row_terms(t, pos, s):
    """``_compiled._row_terms`` over arrays (its vectorised use in the row loops)."""
    numba = pytest.importorskip("numba")
    assert _compiled.get_fused() is not None
    row_terms = _compiled._row_terms

    @numba.njit(fastmath={"reassoc", "contract"}, error_model="numpy")
    def terms(t, pos, s, out):
        for k in range(t.shape[0]):
            out[0, k], out[1, k], out[2, k] = row_terms(t[k], pos[k], s[k])

    out = np.empty((3, t.size))
    terms(t, pos, s, out)
    return out


def test_compiled_pointwise_step_matches_libm_everywhere():
    """The branch-free exp/log1p of the compiled loops against NumPy's libm and SciPy's
    expit: 1e-15 relative over the normal range, the subnormal tail of exp(-|t|) to
    1e-13, exact limits at +-inf, NaN kept (no silent loss of a non-finite logit)."""
    from scipy.special import expit

    rng = np.random.default_rng(3)
    t = np.concatenate(
        [
            rng.normal(size=50_000) * 30,
            rng.uniform(-745, 745, 50_000),
            rng.normal(size=10_000) * 1e-6,
            [0.0, -0.0, 1e-300, -1e-300, 36.0, -36.0, 700.0, 708.1, -708.1, 745.0, 746.0],
            [1e5, -1e5, np.inf, -np.inf, np.nan],
        ]
    )
    pos = rng.random(t.size) < 0.5
    s = rng.uniform(0.5, 2.0, t.size)
    loss, r, h = _compiled_row_terms(t, pos, s)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(-np.abs(t))
        ref_loss = s * (np.maximum(t, 0.0) + np.log1p(e))
        sig = expit(t)
        ref_r = s * np.where(pos, -sig, sig)
        ref_h = s * expit(t) * expit(-t)
    finite = np.isfinite(t)
    normal = finite & (np.abs(t) < 708.0)
    for got, ref in ((loss, ref_loss), (r, ref_r), (h, ref_h)):
        nz = normal & (ref != 0)
        assert np.max(np.abs(got[nz] - ref[nz]) / np.abs(ref[nz])) < 1e-15 * 4
        tail = finite & ~normal & (ref != 0) & (np.abs(ref) > 1e-300)
        assert np.all(np.abs(got[tail] - ref[tail]) <= 1e-13 * np.abs(ref[tail]) + 1e-320)
    assert loss[t == np.inf] == np.inf and loss[t == -np.inf] == 0.0
    assert np.all(np.abs(r[np.isinf(t)]) == np.where(t[np.isinf(t)] > 0, 1.0, 0.0) * s[np.isinf(t)])
    assert np.all(h[np.isinf(t)] == 0.0)
    nan = np.isnan(t)
    assert np.isnan(loss[nan]).all() and np.isnan(r[nan]).all() and np.isnan(h[nan]).all()


@pytest.mark.parametrize("need_hess", [False, True])
def test_compiled_loops_propagate_a_nan_logit(need_hess):
    """A NaN anywhere in X reaches the loss and the gradient (the chunked loops' padding
    and vectorised pointwise step do not hide it)."""
    pytest.importorskip("numba")
    X, y, _, _, w = _data(FUSED_MIN_SIZE // 8 + 13, 8, np.float64)
    X[len(X) - 3, 5] = np.nan
    assert compiled_ok(X, y, None, None)
    st = chunk_stats(X, y, w, 0.1, need_hess=need_hess)
    assert np.isnan(st.loss) and np.isnan(st.grad_w).any() and np.isnan(st.grad_b)


def test_fortran_order_takes_the_numpy_path_and_agrees():
    X, y, sw, off, w = _data(40_000, 10, np.float64)
    F = np.asfortranarray(X)
    assert not compiled_ok(F, y, sw, off)
    a = InMemorySource(X, y, sw, off).stats(w, 0.1)
    b = InMemorySource(F, y, sw, off).stats(w, 0.1)
    assert a.loss == pytest.approx(b.loss, rel=1e-12)
    np.testing.assert_allclose(a.grad_w, b.grad_w, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_csr_direct_kernels_equal_scipy_operators(dtype):
    X, y, sw, off, w = _data(5_000, 40, dtype)
    X[np.abs(X) < 1.0] = 0
    S = sp.csr_matrix(X)
    assert _linalg.csr_ready(S)
    v = np.random.default_rng(1).normal(size=40).astype(dtype)
    np.testing.assert_allclose(
        _linalg.matvec(S, v), S @ v, rtol=1e-6 if dtype == np.float32 else 1e-13
    )
    r = np.random.default_rng(2).normal(size=5_000).astype(dtype)
    out = np.zeros(40)
    _linalg.rmatvec_add(S, r, out)
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
    grad = src.stats(w, 0.3)  # another code path (NumPy on small blocks): to rounding
    np.testing.assert_allclose(diag.loss, grad.loss, rtol=rtol)
    np.testing.assert_allclose(diag.grad_w, grad.grad_w, rtol=rtol, atol=rtol * 1e-3)
    np.testing.assert_allclose(diag.grad_b, grad.grad_b, rtol=rtol)


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


# -- the compiled Hessian pass, float32 Gram products, the line-search sums -------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("need_hess", [True, "diag"])
def test_fused_hessian_pass_equals_numpy_path(dtype, weighted, need_hess):
    """The compiled Hessian pass (every block size) against the NumPy/BLAS formulation:
    loss, gradient and the full Hessian or its diagonal, with weights and offsets."""
    pytest.importorskip("numba")
    X, y, sw, off, w = _data(3001, 17, dtype)
    s = sw if weighted else None
    assert _compiled.get_fused_hess() is not None
    fast = chunk_stats(X, y, w, -0.4, s, off, need_hess=need_hess)
    with kernel_backend("numpy"):
        ref = chunk_stats(X, y, w, -0.4, s, off, need_hess=need_hess)
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    assert fast.loss == pytest.approx(ref.loss, rel=rtol)
    assert fast.grad_b == pytest.approx(ref.grad_b, rel=rtol, abs=rtol)
    np.testing.assert_allclose(fast.grad_w, ref.grad_w, rtol=rtol, atol=rtol * 10)
    np.testing.assert_allclose(fast.hess, ref.hess, rtol=rtol, atol=rtol * 10)
    if need_hess is True:
        np.testing.assert_array_equal(fast.hess, fast.hess.T)


def test_fused_hessian_pass_at_extreme_logits():
    """|z| = 800: no NaN, the saturated rows' curvature is 0, the loss is that of the others."""
    pytest.importorskip("numba")
    X = np.array([[800.0], [-800.0], [800.0], [0.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    st = chunk_stats(X, y, np.ones(1), 0.0, need_hess=True)
    assert np.all(np.isfinite(st.hess)) and np.isfinite(st.loss)
    assert st.loss == pytest.approx(800.0 + np.log(2.0))
    assert st.hess[0, 0] == 0.0 and st.hess[1, 1] == pytest.approx(4 * 0.25 / 4)
    np.testing.assert_allclose(st.grad_w, [800.0])


@pytest.mark.parametrize("numpy_path", [False, True])
def test_float32_gram_is_the_hessian_to_float32_rounding(numpy_path):
    """``gram_scale``: the Gram part from scaled float32 products, multiplied back: within
    ~1e-6 of the float64 Hessian after equilibration, whatever the columns' magnitudes
    (1e-20 to 1e20: unscaled float32 products would underflow or overflow there)."""
    X, y, sw, off, w = _data(4000, 12, np.float64)
    mags = np.logspace(-20, 20, 12)
    X = X * mags
    w = w / mags
    exact = chunk_stats(X, y, w, 0.1, sw, off, need_hess=True)
    d = np.sqrt(np.diag(exact.hess))
    scales = np.sqrt(np.einsum("ij,ij->j", X, X))
    for c in (scales, d[:-1]):
        with kernel_backend("numpy" if numpy_path else "compiled"):
            got = chunk_stats(X, y, w, 0.1, sw, off, need_hess=True, gram_scale=c)
        assert got.loss == pytest.approx(exact.loss, rel=1e-12)
        np.testing.assert_allclose(got.grad_w, exact.grad_w, rtol=1e-10)
        err = np.abs(got.hess - exact.hess) / np.outer(d, d)
        assert err.max() < 1e-5
        assert err.max() > 0.0  # float32 products, not float64 ones
        np.testing.assert_array_equal(got.hess, got.hess.T)


def test_gram_scale_is_ignored_for_csr_and_in_memory_source_passes_it():
    X, y, sw, off, w = _data(3000, 10, np.float64)
    X[np.abs(X) < 1.0] = 0.0
    Xc = sp.csr_matrix(X)
    c = np.full(10, 3.0)
    exact = chunk_stats(Xc, y, w, 0.2, need_hess=True)
    got = chunk_stats(Xc, y, w, 0.2, need_hess=True, gram_scale=c)
    np.testing.assert_array_equal(got.hess, exact.hess)
    src = InMemorySource(X, y, sw, off, block_rows=700)
    assert "float32_gram" in src.capabilities
    assert "float32_gram" not in InMemorySource(Xc, y).capabilities
    f32 = InMemorySource(X.astype(np.float32), y.astype(np.float32))
    assert "float32_gram" not in f32.capabilities
    a = src.stats(w, 0.2, need_hess=True)
    b = src.stats(w, 0.2, need_hess=True, gram_scale=src.column_scales())
    d = np.sqrt(np.diag(a.hess))
    assert 0.0 < (np.abs(a.hess - b.hess) / np.outer(d, d)).max() < 1e-5


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("compiled", [True, False])
def test_line_sums_are_the_derivatives_along_a_direction(dtype, weighted, compiled):
    """``line_sums``: the first and second derivatives of ``t -> sum s L(y, z + t u)``
    against central differences of the loss sum (the kernel's own ``chunk_stats``)."""
    X, y, sw, off, w = _data(2000, 6, np.float64)
    s = sw if weighted else None
    dw = np.random.default_rng(7).normal(size=6)
    z = (X @ w + 0.3 + off).astype(dtype)
    u = (X @ dw - 0.2).astype(dtype)
    yd = y.astype(dtype)

    def loss(t):
        return chunk_stats(X, y, w + t * dw, 0.3 - 0.2 * t, s, off, need_grad=False).loss

    for t in (0.0, 0.7, 3.0):
        with kernel_backend("compiled" if compiled else "numpy"):
            d1, d2 = line_sums(z, u, yd, None if s is None else s.astype(dtype), t)
        e = 1e-4
        fd1 = (loss(t + e) - loss(t - e)) / (2 * e)
        fd2 = (loss(t + e) - 2 * loss(t) + loss(t - e)) / e**2
        rtol = 1e-6 if dtype == np.float64 else 1e-4
        assert d1 == pytest.approx(fd1, rel=rtol, abs=1e-6 * abs(fd2))
        assert d2 == pytest.approx(fd2, rel=max(rtol, 1e-4))
