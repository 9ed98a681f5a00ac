"""Fit and predict on a Dask cluster: the rows stay on the workers, the solver on the client.

Two entries, both on top of :class:`logistic.sources.dask.DaskSource`::

    from distributed import Client, LocalCluster
    import logistic.dask

    client = Client(LocalCluster(n_workers=2))          # or Client("tcp://scheduler:8786")
    est = logistic.dask.fit(LogisticRegression(C=1.0), X, y, sample_weight=s)
    est = logistic.dask.DaskLogisticRegression(C=1.0).fit(X, y)   # the same, as a class

``X`` is a dask array or dask DataFrame (n_samples, n_features), ``y`` a dask array or
Series of two labels (or more: the multinomial model). Each chunk of rows is computed once and held by a worker; each
iteration of the solver sends ``(w, b)`` to every chunk and receives one tree-reduced
:class:`~logistic._kernel.ChunkStats`, so the fitted coefficients equal those of the
in-memory ``LogisticRegression.fit`` on the same rows (up to the order of floating-point
additions). A worker lost mid-fit is survived: its chunks are recomputed from their graph
and its tasks rescheduled (see :mod:`logistic.sources.dask`). A cluster lost for good (the
scheduler closed, its connection gone past the client's timeout, the workers of a task
killed again and again) ends :func:`fit` with one :class:`logistic.errors.ClusterError`
naming the scheduler, and :func:`cluster_errors` does the same for any other work.

Requires ``pip install "logistic[dask]"`` (``dask[array,dataframe]`` and ``distributed``);
the workers must be able to import :mod:`logistic`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._estimator import LogisticRegression
from ._links import link_for
from .errors import ClusterError, DataError
from .sources.dask import DaskSource, as_dask_array, get_client

__all__ = [
    "DaskLogisticRegression",
    "DaskSource",
    "cluster_errors",
    "decision_function",
    "fit",
    "get_client",
    "predict",
    "predict_proba",
]


def _is_dask(obj) -> bool:
    return hasattr(obj, "__dask_graph__")


def fit(estimator, X, y, sample_weight=None, *, offset=None, client=None):
    """Fit ``estimator`` (a :class:`~logistic.LogisticRegression`) on a Dask cluster.

    Parameters
    ----------
    estimator : LogisticRegression
        Its parameters (``C``, ``solver``, ``tol``, ``class_weight`` ...) are used as for
        ``fit``; the fitted attributes are set on it.
    X : dask array or dask DataFrame of shape (n_samples, n_features)
    y : dask array or dask Series of shape (n_samples,)
    sample_weight : dask array, array-like, scalar or None
    offset : dask array, array-like or None
        Known term added to each logit, ``z_i = x_i . w + b + o_i``: shape (n_samples,),
        or (n_samples, n_classes) for more than two classes.
    client : distributed.Client, str or None
        A client, a scheduler address, or None for the default client.

    Returns
    -------
    estimator
        Fitted; ``coef_`` has the dtype of ``X`` (float32 stays float32).
    """
    estimator._check_params()
    own_client = isinstance(client, str)  # an address: connect now, disconnect after
    client = get_client(client)
    try:
        with cluster_errors(client):
            source = DaskSource(
                X,
                y,
                sample_weight,
                offset,
                client=client,
                class_weight=estimator.class_weight,
            )
            try:
                estimator.fit_source(source)
            except BaseException:
                # Also on Ctrl-C: the chunks are released on the workers. After the
                # cluster's loss there is nothing to release, and the loss is the error.
                with contextlib.suppress(Exception):
                    source.close()
                raise
            source.close()
    finally:
        if own_client:
            client.close()
    estimator.n_features_in_ = source.n_features
    names = _column_names(X)
    if names is not None:
        estimator.feature_names_in_ = names
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    return estimator


@contextlib.contextmanager
def cluster_errors(client) -> Iterator[None]:
    """Raise the loss of the cluster behind ``client`` as one :class:`ClusterError`.

    Inside the block, what ``distributed`` raises when the cluster is gone becomes a
    ClusterError whose message names the scheduler's address and what happened: a future
    cancelled because the client lost its scheduler (``FutureCancelledError``, after the
    client's own reconnection attempts), a closed connection (``CommClosedError``), a
    closed client, a task whose workers kept dying (``KilledWorker``). Every other
    exception, KeyboardInterrupt included, passes unchanged; the original is the new
    error's ``__cause__``.

    Parameters
    ----------
    client : distributed.Client
    """
    scheduler = getattr(client, "scheduler", None)
    address = getattr(scheduler, "address", None) or "(unknown address)"
    try:
        yield
    except ClusterError:
        raise
    except Exception as exc:
        what = _cluster_loss(exc)
        if what is None:
            raise
        raise ClusterError(f"the Dask scheduler at {address}: {what}") from exc


def _cluster_loss(exc) -> str | None:
    """What the loss of a cluster behind ``exc`` was, in words, or None if ``exc`` is not
    one (a mistake in the data, a bug: it passes unchanged)."""
    from distributed import client as dc
    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    cancelled = tuple(
        getattr(dc, name)
        for name in ("FutureCancelledError", "FuturesCancelledError")
        if hasattr(dc, name)
    )
    if isinstance(exc, KilledWorker):
        return "the workers running a task died too many times (KilledWorker); the fit stopped"
    if isinstance(exc, cancelled):
        reason = getattr(exc, "reason", None) or "the computation was cancelled"
        if "connection-lost" in str(reason):
            return (
                "the connection to it was lost and not regained (the scheduler closed or "
                "stopped answering); the fit stopped"
            )
        return f"the computation was cancelled ({reason}); the fit stopped"
    if isinstance(exc, CommClosedError):
        return "it closed the connection; the fit stopped"
    if isinstance(exc, getattr(dc, "ClosedClientError", ())):
        return "the client was closed (its scheduler went away); the fit stopped"
    return None


def _column_names(X):
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    names = np.asarray([str(c) for c in columns], dtype=object)
    return names if all(isinstance(c, str) for c in columns) else None


def decision_function(estimator, X):
    """Lazy logits of a dask array or DataFrame: ``z = X w + b`` (n_samples,) for two
    classes, ``Z = X W^T + b`` (n_samples, n_classes) for more."""
    X = as_dask_array(X, "X", ndim=2)
    coef = np.asarray(estimator.coef_)
    if X.shape[1] != coef.shape[1]:
        raise DataError(
            f"X has {X.shape[1]} features, but the model was fitted with {coef.shape[1]}."
        )
    link = link_for(len(estimator.classes_))
    dtype = np.result_type(X.dtype, coef.dtype)
    shape = {"drop_axis": 1} if link.n_out == 1 else {"chunks": (X.chunks[0], (link.n_out,))}
    return X.map_blocks(_decision, link, coef, estimator.intercept_, dtype=dtype, **shape)


def predict_proba(estimator, X):
    """Lazy class probabilities: a dask array (n_samples, n_classes); rows sum to 1."""
    z = decision_function(estimator, X)
    link = link_for(len(estimator.classes_))
    shape = {"new_axis": 1} if z.ndim == 1 else {}
    return z.map_blocks(link.proba, dtype=z.dtype, chunks=(z.chunks[0], (link.n_classes,)), **shape)


def predict(estimator, X):
    """Lazy labels: the class of the largest logit (``z > 0`` for two classes)."""
    z = decision_function(estimator, X)
    link = link_for(len(estimator.classes_))
    classes = estimator.classes_
    shape = {"drop_axis": 1} if z.ndim == 2 else {}
    return z.map_blocks(_labels, link, classes, dtype=classes.dtype, **shape)


def _decision(block, link, coef, intercept):
    return link.decision(block, coef, intercept)


def _labels(z, link, classes):
    return classes[link.labels(z)]


class DaskLogisticRegression(LogisticRegression):
    """:class:`~logistic.LogisticRegression` that fits and predicts Dask collections.

    Same parameters and fitted attributes. ``fit`` with a dask ``X`` runs on the default
    ``distributed`` client (see :func:`fit`); ``predict``, ``predict_proba`` and
    ``decision_function`` of a dask ``X`` return lazy dask arrays. NumPy, pandas and SciPy
    input goes through the in-memory path unchanged.
    """

    def fit(self, X, y, sample_weight=None):
        if _is_dask(X) or _is_dask(y):
            return fit(self, X, y, sample_weight)
        return super().fit(X, y, sample_weight)

    def decision_function(self, X):
        if _is_dask(X):
            check_is_fitted(self)
            return decision_function(self, X)
        return super().decision_function(X)

    def predict_proba(self, X):
        if _is_dask(X):
            check_is_fitted(self)
            return predict_proba(self, X)
        return super().predict_proba(X)

    def predict(self, X):
        if _is_dask(X):
            check_is_fitted(self)
            return predict(self, X)
        return super().predict(X)
