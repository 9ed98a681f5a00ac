"""Dask source on a LocalCluster of two worker processes: in-memory optimum, survives a kill."""

from __future__ import annotations

import os

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")

import logistic.dask as ldask  # noqa: E402
from logistic import LogisticRegression  # noqa: E402
from logistic.errors import DataError, InvalidParameterError  # noqa: E402
from logistic.solvers import by_capability  # noqa: E402
from logistic.sources import Source  # noqa: E402
from logistic.sources.dask import DaskSource  # noqa: E402

# every registered full-batch solver that uses curvature (first-order ones need thousands of
# passes to these tolerances)
FULL_BATCH = by_capability(stochastic=False, curvature=True)
TOL = 1e-10
pytestmark = [
    pytest.mark.dask,
    # Fits run to max|grad| <= 1e-10, at the edge of float64 resolution for these data:
    # L-BFGS may stop just short with a ConvergenceWarning; the tests assert on coefficients.
    pytest.mark.filterwarnings("ignore::logistic.errors.ConvergenceWarning"),
]


def rel(a, b):
    a, b = np.ravel(a), np.ravel(b)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def params(est):
    return np.append(est.coef_.ravel(), est.intercept_)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=50,
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def cancer(breast_cancer):
    X, y = breast_cancer
    w = np.random.default_rng(3).integers(0, 4, size=y.shape[0]).astype(np.float64)
    return X, y, w


def _dask(X, y, w=None, chunks=100):
    # ``* 1.0`` makes the chunks the output of a graph, recomputable after a worker loss
    dX = da.from_array(X, chunks=(chunks, X.shape[1])) * 1.0
    dy = da.from_array(y, chunks=chunks)
    dw = None if w is None else da.from_array(w, chunks=chunks)
    return dX, dy, dw


@pytest.mark.parametrize("solver", FULL_BATCH)
def test_dask_fit_equals_in_memory(client, cancer, solver):
    X, y, _ = cancer
    dX, dy, _ = _dask(X, y)
    est = ldask.fit(LogisticRegression(tol=TOL, solver=solver), dX, dy, client=client)
    ref = LogisticRegression(tol=TOL, solver=solver).fit(X, y)
    # L-BFGS: see test_stream.LBFGS_REL (another arithmetic of the passes stops it ~1e-7 away)
    assert rel(params(est), params(ref)) < (2e-7 if solver == "lbfgs" else 1e-8)
    assert est.classes_.tolist() == [0, 1] and est.n_features_in_ == 30
    assert est.coef_.dtype == np.float64


def test_weights_and_class_weight(client, cancer):
    X, y, w = cancer
    dX, dy, dw = _dask(X, y, w, chunks=77)
    est = ldask.fit(LogisticRegression(tol=TOL, C=0.1), dX, dy, dw, client=client)
    ref = LogisticRegression(tol=TOL, C=0.1).fit(X, y, sample_weight=w)
    assert rel(params(est), params(ref)) < 1e-8
    est = ldask.fit(LogisticRegression(tol=TOL, C=0.1, class_weight="balanced"), dX, dy, dw)
    ref = LogisticRegression(tol=TOL, C=0.1, class_weight="balanced").fit(X, y, sample_weight=w)
    assert rel(params(est), params(ref)) < 1e-8


def test_offsets_match_the_in_memory_source(client, cancer):
    from logistic.sources.memory import InMemorySource

    X, y, _ = cancer
    off = 0.5 * np.sin(np.arange(y.shape[0]))
    dX, dy, _ = _dask(X, y)
    src = DaskSource(dX, dy, offset=da.from_array(off, chunks=100), client=client)
    mem = InMemorySource(X, y.astype(np.float64), None, off)
    w = np.linspace(-0.5, 0.5, 30)
    a, b = src.stats(w, 0.1, need_hess=True), mem.stats(w, 0.1, need_hess=True)
    assert a.loss == pytest.approx(b.loss, rel=1e-12)
    np.testing.assert_allclose(a.grad_w, b.grad_w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.hess, b.hess, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(src.gram(), mem.gram(), rtol=1e-11, atol=1e-9)
    gw, gb = src.gram_matvec(w, 0.3)
    mw, mb = mem.gram_matvec(w, 0.3)
    np.testing.assert_allclose(gw, mw, rtol=1e-11, atol=1e-9)
    assert gb == pytest.approx(mb, rel=1e-11)
    est = LogisticRegression(tol=TOL).fit_source(src)
    ref = LogisticRegression(tol=TOL).fit_source(mem, classes=np.array([0, 1]))
    assert rel(params(est), params(ref)) < 1e-8


def test_every_is_the_same_global_rows_as_in_memory(client, cancer):
    """Chunks of 77 rows against a step of 5: each chunk starts its stride where the global
    grid 0, 5, 10, ... enters it, so the sample is the in-memory one, and Newton's
    row-sampled Hessian on the cluster reads only those rows and lands on the same optimum."""
    from logistic.sources.memory import InMemorySource

    X, y, w = cancer
    dX, dy, dw = _dask(X, y, w, chunks=77)
    src = DaskSource(dX, dy, dw, client=client)
    mem = InMemorySource(X, y.astype(np.float64), w)
    sub, ref = src.every(5), mem.every(5)
    assert sub.n_samples == ref.n_samples == len(range(0, y.shape[0], 5))
    v = np.linspace(-0.2, 0.2, 30)
    a, b = sub.stats(v, 0.1, need_hess=True), ref.stats(v, 0.1, need_hess=True)
    assert a.n_rows == b.n_rows and a.weight_sum == b.weight_sum
    np.testing.assert_allclose(a.hess, b.hess, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.grad_w, b.grad_w, rtol=1e-12, atol=1e-12)
    from logistic.objective import Objective
    from logistic.solvers import solve

    obj = Objective(src, C=1.0)
    assert "sampled_hessian" in obj.capabilities
    res = solve("newton", obj, np.zeros(obj.n_params), tol=TOL, hessian_rows=100)
    full = LogisticRegression(tol=TOL, solver="newton").fit(X, y, sample_weight=w)
    assert res.converged
    assert rel(res.x, params(full)) < 1e-8


def test_grouped_and_tree_passes_add_in_the_same_order(client, cancer, monkeypatch):
    """One task per worker (small results) and one task per chunk with the tree on the
    workers (large results) give bit-identical sums: the same tree over the chunk order."""
    import logistic.sources.dask as sd

    X, y, w = cancer
    dX, dy, dw = _dask(X, y, w, chunks=50)
    src = DaskSource(dX, dy, dw, client=client, split_every=3)
    v = np.linspace(-0.3, 0.3, 30)
    grouped = src.stats(v, 0.2, need_hess=True)
    assert src._groups is not None and len(src._groups) == len(client.nthreads())
    monkeypatch.setattr(sd, "_GATHER_BYTES", 0)
    tree = src.stats(v, 0.2, need_hess=True)
    assert grouped.loss == tree.loss and grouped.grad_b == tree.grad_b
    np.testing.assert_array_equal(grouped.grad_w, tree.grad_w)
    np.testing.assert_array_equal(grouped.hess, tree.hess)


# dask turns the text labels into pyarrow strings and warns when it makes them an object
# array again in to_dask_array; that conversion is exactly what we want here.
@pytest.mark.filterwarnings("ignore:Dask currently has limited support for converting pandas")
def test_dataframe_float32_and_lazy_predict(client, cancer):
    X, y, _ = cancer
    cols = [f"f{j}" for j in range(X.shape[1])]
    pdf = pd.DataFrame(X.astype(np.float32), columns=cols)
    ddf = dd.from_pandas(pdf, npartitions=3)
    labels = dd.from_pandas(pd.Series(np.where(y == 1, "yes", "no"), dtype=object), npartitions=3)
    est = ldask.DaskLogisticRegression(tol=1e-5).fit(ddf, labels)
    ref = LogisticRegression(tol=1e-5).fit(pdf, np.where(y == 1, "yes", "no"))
    assert est.coef_.dtype == np.float32
    assert est.classes_.tolist() == ["no", "yes"]
    assert est.feature_names_in_.tolist() == cols
    assert rel(params(est), params(ref)) < 1e-3
    z = est.decision_function(ddf)
    assert isinstance(z, da.Array)
    np.testing.assert_allclose(z.compute(), ref.decision_function(pdf), rtol=1e-3, atol=1e-3)
    agree = np.mean(est.predict(ddf).compute() == ref.predict(pdf))
    assert agree > 0.99
    proba = est.predict_proba(ddf).compute()
    assert proba.shape == (X.shape[0], 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_errors(client, cancer):
    X, y, _ = cancer
    dX, _, _ = _dask(X, y)
    continuous = da.from_array(np.arange(X.shape[0]) / 7.0, chunks=100)
    dX_wide, _, _ = _dask(np.tile(X, (3, 1)), np.tile(y, 3))
    with pytest.raises(DataError, match="distinct"):
        ldask.fit(
            LogisticRegression(),
            dX_wide,
            da.from_array(np.arange(3 * X.shape[0]) / 7.0, chunks=100),
        )
    del continuous
    bad = X.copy()
    bad[5, 3] = np.nan
    with pytest.raises(DataError, match="NaN or infinity"):
        ldask.fit(LogisticRegression(), da.from_array(bad, chunks=(100, 30)), y)
    with pytest.raises(DataError, match="rows"):
        ldask.fit(LogisticRegression(), dX, da.from_array(y[:-1], chunks=100))
    neg = -np.ones(X.shape[0])
    with pytest.raises(DataError, match="sample_weight"):
        ldask.fit(LogisticRegression(), dX, y, neg)
    with pytest.raises(InvalidParameterError, match="client="):
        DaskSource(dX, y, client=42)
    with pytest.raises(InvalidParameterError, match="C="):
        ldask.fit(LogisticRegression(C=-1.0), dX, y)


def _kill_worker(client, address):
    """Kill a worker process abruptly (``os._exit``), as a crash or an OOM kill would."""
    try:
        client.run(os._exit, 1, workers=[address])
    except Exception:  # the connection dies with the worker, as intended
        pass


class _KillAtEvaluation(Source):
    """A source that kills the worker holding most chunks while pass ``at`` runs (every
    pass of the inner source's, without its capabilities: plain passes only)."""

    def __init__(self, inner, at):
        self.inner, self.at, self.calls, self.killed = inner, at, 0, None
        for name in ("n_samples", "n_features", "dtype", "weight_sum", "classes_"):
            setattr(self, name, getattr(inner, name))

    def minibatches(self, batch_size, rng):
        return self.inner.minibatches(batch_size, rng)

    def aggregate(self, task):
        self.calls += 1
        if self.calls == self.at:
            client = self.inner.client
            who = client.who_has(self.inner._chunks)
            holders = [a for v in who.values() for a in v]
            victim = max(set(holders), key=holders.count)
            self.lost = holders.count(victim)
            # start the evaluation's tasks, then kill the worker under them
            pending = client.map(
                _slow_identity, self.inner._chunks, pure=False, key=f"probe-{self.calls}"
            )
            _kill_worker(client, victim)
            self.killed = victim
            del pending
        return self.inner.aggregate(task)


def _slow_identity(chunk):
    import time

    time.sleep(0.05)
    return chunk.X.shape[0]


def test_a_worker_killed_mid_fit_does_not_change_the_result(client, cancer):
    X, y, w = cancer
    dX, dy, dw = _dask(X, y, w, chunks=50)
    ref = LogisticRegression(tol=TOL, C=0.1).fit(X, y, sample_weight=w)
    src = DaskSource(dX, dy, dw, client=client)
    before = set(client.scheduler_info()["workers"])
    killer = _KillAtEvaluation(src, at=4)
    est = LogisticRegression(tol=TOL, C=0.1).fit_source(killer)
    assert killer.killed in before and killer.lost >= 1
    assert killer.calls > 4  # the fit went on after the kill
    assert rel(params(est), params(ref)) < 1e-8
    # the lost chunks were recomputed: every chunk is held again, none by the dead worker
    who = client.who_has(src._chunks)
    assert all(v and killer.killed not in v for v in who.values())
    client.wait_for_workers(2, timeout=30)  # the nanny restarts the worker for later tests


def test_chunks_read_from_files_are_reread_after_a_kill(client, cancer, tmp_path):
    """Lineage through files: the lost chunks are read again from Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    X, y, w = cancer
    client.wait_for_workers(2, timeout=30)
    cols = [f"f{j}" for j in range(X.shape[1])]
    table = pa.table({**{c: X[:, j] for j, c in enumerate(cols)}, "w": w, "label": y})
    for i, start in enumerate(range(0, X.shape[0], 60)):
        pq.write_table(table.slice(start, 60), tmp_path / f"part-{i:02d}.parquet")
    ddf = dd.read_parquet(str(tmp_path))
    src = DaskSource(ddf[cols], ddf["label"], ddf["w"], client=client)
    assert len(src.chunk_rows) >= 2
    killer = _KillAtEvaluation(src, at=3)
    est = LogisticRegression(tol=TOL, C=0.1).fit_source(killer)
    ref = LogisticRegression(tol=TOL, C=0.1).fit(X, y, sample_weight=w)
    assert killer.killed is not None and killer.lost >= 1
    assert rel(params(est), params(ref)) < 1e-8
    who = client.who_has(src._chunks)  # the lost chunks were read again
    assert all(v and killer.killed not in v for v in who.values())
    client.wait_for_workers(2, timeout=30)


def test_scheduler_address(client, cancer):
    X, y, _ = cancer
    dX, dy, _ = _dask(X, y)
    address = client.scheduler.address
    est = ldask.fit(LogisticRegression(tol=TOL), dX, dy, client=address)
    ref = LogisticRegression(tol=TOL).fit(X, y)
    assert rel(params(est), params(ref)) < 1e-8


def test_sgd_minibatches_run_on_the_workers(client, cancer):
    X, y, _ = cancer
    dX, dy, _ = _dask(X, y, chunks=200)
    src = DaskSource(dX, dy, client=client)
    batches = list(src.minibatches(64, np.random.default_rng(0)))
    assert sum(b.n_samples for b in batches) == X.shape[0]
    est = LogisticRegression(solver="sgd", max_iter=3, random_state=0, tol=1e-8)
    est.fit_source(src)
    assert est.history_.loss[-1] < 0.5 * est.history_.loss[0]


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_multinomial_on_the_cluster_equals_in_memory(client, solver):
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)[:900]
    y = y[:900] % 4  # four classes
    dX, dy, _ = _dask(X, y, chunks=300)
    est = ldask.fit(LogisticRegression(tol=TOL, solver=solver, C=0.5), dX, dy, client=client)
    ref = LogisticRegression(tol=TOL, solver=solver, C=0.5).fit(X, y)
    assert est.coef_.shape == (4, 64)
    # L-BFGS stops where f no longer decreases in float64; another arithmetic of the passes
    # stops it up to ~1e-7 away (see test_stream.LBFGS_REL). Newton agrees to ~1e-13.
    assert rel(params(est), params(ref)) < (2e-7 if solver == "lbfgs" else 1e-8)
    proba = ldask.predict_proba(est, dX).compute()
    np.testing.assert_allclose(proba, ref.predict_proba(X), atol=1e-7)
    np.testing.assert_array_equal(ldask.predict(est, dX).compute(), ref.predict(X))
