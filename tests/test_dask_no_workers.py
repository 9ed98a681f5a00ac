"""A Dask cluster left without workers mid-fit ends the fit with one ClusterError instead of
waiting for ever (issue "Hardening": no hang)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")


def test_a_cluster_without_workers_is_an_error_not_a_hang(monkeypatch):
    import dask.array as da

    import logistic.dask
    from logistic import LogisticRegression
    from logistic.errors import ClusterError
    from logistic.sources import DaskSource

    monkeypatch.setattr(DaskSource, "no_workers_timeout", 1.0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X @ [1.0, -1.0, 0.5] + rng.normal(size=400) > 0).astype(float)
    started = threading.Event()
    est = LogisticRegression(
        solver="gd", max_iter=10**8, tol=0.0, callback=lambda *a, **k: started.set()
    )
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        address = cluster.scheduler_address
        # Every worker leaves once the solver runs; the scheduler stays up.
        leaver = threading.Thread(target=lambda: started.wait(60) and cluster.scale(0))
        leaver.start()
        try:
            with pytest.raises(ClusterError) as info:
                logistic.dask.fit(
                    est, da.from_array(X, chunks=200), da.from_array(y, chunks=200), client=client
                )
        finally:
            leaver.join(60)
    message = str(info.value)
    assert message.startswith(f"the Dask scheduler at {address}: no worker for 1 s"), message
    assert "\n" not in message
