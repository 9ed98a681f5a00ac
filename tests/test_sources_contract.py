"""The one contract every executor meets: the same passes give the same sums, for every link.

Each source kind (rows in memory, dense or CSR, one block or many on threads; Parquet files
streamed in batches; chunks on a Dask LocalCluster of worker processes) holds the same real
rows (scikit-learn's wine data, 178 x 13, with integer frequency weights), and every pass
that :class:`logistic.sources.Source` derives from ``aggregate`` is checked against one
in-memory block, for the binomial and the softmax link; then a fit through each source
reaches the in-memory fit's coefficients.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

from logistic import LogisticRegression
from logistic.objective import Binomial, Objective, Softmax
from logistic.solvers import by_capability
from logistic.sources import CAPABILITIES, InMemorySource, StreamSource

KINDS = ["memory", "memory-csr", "memory-threads", "stream", "dask"]
LINKS = {"binomial": Binomial(), "softmax": Softmax(3)}
pytestmark = pytest.mark.filterwarnings("ignore::logistic.errors.ConvergenceWarning")


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    s = np.random.default_rng(5).integers(0, 4, size=y.shape[0]).astype(np.float64)
    s[:3] = 1.0  # no class without weight
    return X, y, s


def _labels(y, link):
    """Class indices of the link: class 0 against the rest for the binomial one."""
    return (y == 0).astype(np.float64) if link.n_out == 1 else y.astype(np.float64)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _source(kind, X, y, s, tmp_path, request):
    if kind == "memory":
        return InMemorySource(X, y, s)
    if kind == "memory-csr":
        Xs = X.copy()
        Xs[np.abs(Xs) < 0.5] = 0.0
        return InMemorySource(sp.csr_matrix(Xs), y, s, block_rows=50)
    if kind == "memory-threads":
        return InMemorySource(X, y, s, block_rows=40, n_threads=2)
    if kind == "stream":
        cols = {f"f{j}": X[:, j] for j in range(X.shape[1])}
        table = pa.table({**cols, "y": y.astype(np.int64), "w": s})
        pq.write_table(table, tmp_path / "rows.parquet", row_group_size=64)
        return StreamSource(tmp_path / "rows.parquet", "y", weight="w", batch_size=50)
    da = pytest.importorskip("dask.array")
    from logistic.sources import DaskSource

    client = request.getfixturevalue("dask_client")
    return DaskSource(
        da.from_array(X, chunks=(60, -1)),
        da.from_array(y, chunks=60),
        da.from_array(s, chunks=60),
        client=client,
    )


def _dense(X):
    return X.toarray() if sp.issparse(X) else X


@pytest.fixture(params=[(k, n) for k in KINDS for n in LINKS], ids=lambda p: f"{p[0]}-{p[1]}")
def case(request, wine, tmp_path):
    kind, link_name = request.param
    if kind == "dask":
        request.applymarker(pytest.mark.dask)
    link = LINKS[link_name]
    X, y, s = wine
    y = _labels(y, link)
    src = _source(kind, X, y, s, tmp_path, request)
    # the reference: the same rows (the CSR kind zeroes small entries) in one block
    Xr = _dense(src.X) if isinstance(src, InMemorySource) else X
    ref = InMemorySource(np.ascontiguousarray(Xr), y, s, block_rows=10_000, n_threads=1)
    return kind, link, src, ref


def _params(link, n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=0.3, size=n * link.n_out), rng.normal(scale=0.3, size=link.n_out)


def test_shape_weight_and_capabilities(case):
    _, _, src, ref = case
    assert (src.n_samples, src.n_features) == (ref.n_samples, ref.n_features)
    assert src.weight_sum == pytest.approx(ref.weight_sum, rel=1e-14)
    assert src.capabilities <= CAPABILITIES
    assert src.map_reduce(_rows) == ref.n_samples


def _rows(X, y, s, o):
    return X.shape[0]


@pytest.mark.parametrize("need_hess", [False, True, "diag"])
def test_stats_equal_one_block(case, need_hess):
    _, link, src, ref = case
    w, b = _params(link, src.n_features)
    got = src.stats(w, b, link=link, need_hess=need_hess)
    want = ref.stats(w, b, link=link, need_hess=need_hess)
    assert got.n_rows == want.n_rows
    assert got.weight_sum == pytest.approx(want.weight_sum, rel=1e-13)
    assert got.loss == pytest.approx(want.loss, rel=1e-12)
    np.testing.assert_allclose(got.grad_w, want.grad_w, rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(got.grad_b, want.grad_b, rtol=1e-10, atol=1e-11)
    if need_hess:
        np.testing.assert_allclose(got.hess, want.hess, rtol=1e-10, atol=1e-11)


def test_hessp_and_line_search_equal_one_block(case):
    _, link, src, ref = case
    n = src.n_features
    w, b = _params(link, n)
    v_w, v_b = _params(link, n, seed=1)
    H = ref.stats(w, b, link=link, need_hess=True).hess
    Hv = H @ np.concatenate([v_w, v_b])
    for _ in range(2):  # the second product may reuse the curvatures a chunk kept
        hw, hb = src.hessp(w, b, v_w, v_b, link=link)
        np.testing.assert_allclose(hw, Hv[: n * link.n_out], rtol=1e-10, atol=1e-11)
        np.testing.assert_allclose(hb, Hv[n * link.n_out :], rtol=1e-10, atol=1e-11)
    phi, phi_ref = src.along(w, b, v_w, v_b, link=link), ref.along(w, b, v_w, v_b, link=link)
    for t in (0.0, 0.5, 2.0):
        np.testing.assert_allclose(phi(t), phi_ref(t), rtol=1e-10, atol=1e-11)


def test_gram_passes_equal_one_block(case):
    _, _, src, ref = case
    np.testing.assert_allclose(src.gram(), ref.gram(), rtol=1e-12, atol=1e-12)
    v = np.linspace(-1.0, 1.0, src.n_features)
    for a, b in zip(src.gram_matvec(v, 0.3), ref.gram_matvec(v, 0.3), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_a_minibatch_epoch_visits_every_row_once(case):
    _, link, src, ref = case
    w, b = _params(link, src.n_features)
    batches = list(src.minibatches(32, np.random.default_rng(0)))
    assert sum(batch.n_samples for batch in batches) == src.n_samples
    total = sum(batch.stats(w, b, link=link, need_grad=False).loss for batch in batches)
    assert total == pytest.approx(ref.stats(w, b, link=link, need_grad=False).loss, rel=1e-12)


def test_row_samples_read_every_step_th_row(case, wine):
    _, link, src, ref = case
    if "row_sampling" not in src.capabilities:
        pytest.skip("no row sampling on this source")
    w, b = _params(link, src.n_features)
    sub = src.every(3).stats(w, b, link=link, need_grad=False, need_hess=True)
    want = ref.every(3).stats(w, b, link=link, need_grad=False, need_hess=True)
    assert sub.n_rows == want.n_rows == len(range(0, src.n_samples, 3))
    np.testing.assert_allclose(sub.hess, want.hess, rtol=1e-10, atol=1e-11)
    full, sample = src.stats_and_sample(w, b, 3, link=link)
    np.testing.assert_allclose(sample.hess, want.hess, rtol=1e-10, atol=1e-11)
    assert full.loss == pytest.approx(ref.stats(w, b, link=link).loss, rel=1e-12)


@pytest.mark.parametrize("solver", by_capability(stochastic=False, curvature=True))
def test_a_fit_through_the_source_reaches_the_in_memory_optimum(case, solver):
    _, link, src, ref = case
    classes = np.arange(link.n_classes)
    got = LogisticRegression(solver=solver, tol=1e-9).fit_source(src, classes=classes)
    want = LogisticRegression(solver=solver, tol=1e-9).fit_source(ref, classes=classes)
    obj = Objective(ref, link)
    f_got = obj.loss(obj.link.params(got.coef_, got.intercept_, True))
    f_want = obj.loss(obj.link.params(want.coef_, want.intercept_, True))
    assert abs(f_got - f_want) <= 1e-12 * abs(f_want)
    np.testing.assert_allclose(got.coef_, want.coef_, rtol=1e-6, atol=1e-7)


def test_class_totals_start_a_fit_at_the_intercept_only_optimum(case):
    """Every source's class totals are the weighted class counts; the intercept-only
    model's ``b`` from them zeroes the gradient in ``b`` at ``W = 0``, and is where a
    softmax fit starts (a binomial one starts at 0, ``Link.share_start``)."""
    _, link, src, ref = case
    if isinstance(src, InMemorySource):
        assert src.class_totals is None  # the labels are unknown without classes_
        classes = np.arange(max(2, link.n_out))
        src = InMemorySource(src.X, src.y, src.sample_weight, classes=classes)
    want = np.bincount(ref.y.astype(np.intp), weights=ref.sample_weight)
    np.testing.assert_allclose(src.class_totals, want, rtol=1e-14)
    obj = Objective(src, link, C=1.0)
    p = np.zeros(obj.n_params)
    p[obj.n_coef :] = link.null_intercepts(src.class_totals)
    np.testing.assert_allclose(obj.grad(p)[obj.n_coef :], 0.0, atol=1e-12)
    np.testing.assert_array_equal(obj.start(), p if link.share_start else 0.0)


def test_no_intercept_only_start_with_offsets_or_an_empty_class(wine):
    X, y, s = wine
    link = LINKS["softmax"]
    with_offset = InMemorySource(X, y.astype(float), s, np.zeros((len(y), 3)), classes=[0, 1, 2])
    assert with_offset.class_totals is None
    assert not Objective(with_offset, link).start().any()
    s0 = np.where(y == 2, 0.0, s)  # class 2 has no weight: its logit would be -inf
    empty = InMemorySource(X, y.astype(float), s0, classes=[0, 1, 2])
    assert link.null_intercepts(empty.class_totals) is None
    assert not Objective(empty, link).start().any()


@pytest.mark.dask
def test_offsets_per_row_and_class_for_the_softmax(wine, tmp_path, request):
    """A multinomial model takes one offset per row and class, in memory and on Dask alike;
    a stream's single offset column is refused for it, naming what is accepted."""
    X, y, s = wine
    off = np.random.default_rng(2).normal(scale=0.5, size=(y.shape[0], 3))
    mem = LogisticRegression(tol=1e-10).fit(X, y, sample_weight=s, offset=off)
    cols = {f"f{j}": X[:, j] for j in range(X.shape[1])}
    table = pa.table({**cols, "y": y.astype(np.int64), "o": off[:, 0]})
    pq.write_table(table, tmp_path / "rows.parquet")
    from logistic.errors import DataError

    with pytest.raises(DataError, match="one offset per class"):
        StreamSource(tmp_path / "rows.parquet", "y", offset="o")
    da = pytest.importorskip("dask.array")
    from logistic.sources import DaskSource

    client = request.getfixturevalue("dask_client")
    parts = [da.from_array(a, chunks=60) for a in (y, s)]
    src = DaskSource(
        da.from_array(X, chunks=(60, -1)),
        *parts,
        da.from_array(off, chunks=(60, -1)),
        client=client,
    )
    got = LogisticRegression(tol=1e-10).fit_source(src)
    np.testing.assert_allclose(got.coef_, mem.coef_, rtol=1e-7, atol=1e-8)
    with pytest.raises(DataError, match="needs"):
        DaskSource(da.from_array(X, chunks=(60, -1)), *parts, off[:, 0], client=client)
