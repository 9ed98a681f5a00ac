"""Rows held by a Dask cluster: the kernel mapped over row chunks on the workers.

The rows are cut into the row chunks of a Dask array, ``X = [X_1; ...; X_K]``. Each chunk
is computed and kept in a worker's memory *once* (``client.compute`` of the array's chunks,
then held as futures); every pass ships only a task (:mod:`logistic.sources._tasks`: the
parameters and what to compute) to the chunks and their sums back::

    aggregate(task) = sum_k task(X_k, y_k, s_k, o_k)

with one task per chunk, ``client.map(..., chunk_futures, task=task)``, and the sums added
on the workers by a tree of ``split_every``-ary additions, so the client receives a single
part (a :class:`~logistic._kernel.ChunkStats` for a gradient). Each chunk keeps its cache
(curvatures of a Newton-CG step, logits of a line search) on its worker. The solver runs on
the client.

Bytes moved per evaluation: ``8 (n_features + 1)`` bytes of parameters to each of the
``K`` chunk tasks (inside the task), ``K`` partial sums of ``8 (n_features + 2)`` bytes
(``8 (n_features + 1)^2`` more with the Hessian) between workers in the reduction tree, and
one sum to the client. The rows never move after the initial compute.

Fault tolerance is Dask's: the chunk futures keep their lineage (the graph that made them:
``dask.array`` operations, ``from_array``, reads from files), so when a worker dies its
chunks are recomputed on the surviving or restarted workers, and the tasks of the running
evaluation are rescheduled. Because a chunk's sums do not depend on where they are computed
and the tree's shape is fixed, the result is unchanged. Data that cannot be recomputed
(``client.scatter``) is lost with its worker; pass arrays built from a graph.
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp

from .._classes import check_class_weight, class_weight_factors
from .._links import BINOMIAL
from ..errors import ClusterError, DataError, InvalidParameterError
from . import _dask_chunks as _w
from ._base import Source
from ._tasks import StatsTask

__all__ = ["DaskSource", "as_dask_array", "get_client"]


def get_client(client=None):
    """The :class:`distributed.Client` to use.

    ``client`` may be a Client, a scheduler address (``"tcp://host:8786"``; a new Client is
    connected) or None for the current default client.
    """
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "fitting on Dask needs dask and distributed: pip install 'logistic[dask]'"
        ) from exc

    if isinstance(client, distributed.Client):
        return client
    if isinstance(client, str):
        return distributed.Client(client)
    if client is None:
        try:
            return distributed.default_client()
        except ValueError:
            raise InvalidParameterError(
                "client=None but no dask.distributed Client is running; create one "
                "(distributed.Client(address) or Client(LocalCluster())) or pass client= "
                "a Client or a scheduler address."
            ) from None
    raise InvalidParameterError(
        f"client={client!r} is not accepted; client accepts a distributed.Client, a "
        "scheduler address (str) or None (the default client)."
    )


def as_dask_array(a, name, *, ndim, row_chunks=None):
    """``a`` (dask array, dask dataframe/series, NumPy or pandas) as a dask array.

    Dask dataframes become arrays with known chunk sizes (``to_dask_array(lengths=True)``,
    which computes the partition lengths); NumPy input is wrapped with ``row_chunks``.
    Two-dimensional arrays get a single chunk along the columns.
    """
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(a, dd.DataFrame | dd.Series):
        try:
            a = a.to_dask_array(lengths=True)
        except ValueError:
            # dask-expr may fuse partitions (small Parquet files) differently when it counts
            # the rows than when it reads the columns; then measure the chunks themselves.
            # X and y may end with different row chunks: y is rechunked to X's below.
            a = a.to_dask_array().compute_chunk_sizes()
    elif not isinstance(a, da.Array):
        try:
            a = np.asarray(a)
        except (TypeError, ValueError):
            raise DataError(
                f"{name} must be a dask array, a dask dataframe or array-like."
            ) from None
        if a.ndim != ndim:
            raise DataError(f"{name} has {a.ndim} dimensions; {name} accepts {ndim}.")
        _check_rows(name, a.shape[0], row_chunks)
        chunks_0 = max(1, a.shape[0]) if row_chunks is None else row_chunks
        a = da.from_array(a, chunks=(chunks_0,) if ndim == 1 else (chunks_0, -1))
    if a.ndim != ndim:
        raise DataError(f"{name} has {a.ndim} dimensions; {name} accepts {ndim}.")
    if any(math.isnan(c) for c in a.chunks[0]):
        a = a.compute_chunk_sizes()
    if ndim == 2 and len(a.chunks[1]) > 1:
        a = a.rechunk({1: -1})
    _check_rows(name, a.shape[0], row_chunks)
    if row_chunks is not None and a.chunks[0] != tuple(row_chunks):
        a = a.rechunk({0: row_chunks})
    return a


def _check_rows(name, n, row_chunks):
    if row_chunks is not None and n != sum(row_chunks):
        raise DataError(f"{name} has {n} rows but X has {sum(row_chunks)}; they must match.")


class DaskSource(Source):
    r"""A row source whose row chunks live on the workers of a Dask cluster.

    Parameters
    ----------
    X : dask array or dask DataFrame of shape (n_samples, n_features)
        Numeric; float32 stays float32, other types become float64. Row chunks are the
        unit of work (aim for 10-100 MB each and a few per worker core); columns are
        gathered into one chunk.
    y : dask array or dask Series of shape (n_samples,)
        Two distinct labels (``classes_[1]``, the larger, is mapped to 1) or more
        (multinomial: mapped to indices into the sorted ``classes_``).
    sample_weight : dask array, array-like or None
        Non-negative weights ``s_i``.
    offset : dask array, array-like or None
        Known offsets added to the logits: shape (n_samples,), or (n_samples, n_classes)
        for a multinomial model.
    client : distributed.Client, str or None
        See :func:`get_client`.
    class_weight : dict, "balanced" or None
        Multiplied into the weights, ``s_i <- s_i c_{y_i}``; "balanced" is
        ``c_k = S / (K S_k)`` with ``S_k`` the weight of class ``k``
        (:func:`logistic._classes.class_weight_factors`).
    split_every : int, default=8
        Fan-in of the reduction tree.

    Attributes
    ----------
    n_samples, n_features : int
    dtype : numpy.dtype
    weight_sum : float
    classes_ : ndarray of shape (n_classes,)
    chunk_rows : tuple of int
        Rows per chunk.
    n_passes : int
        Evaluations made (each one task per chunk), the setup pass included.
    no_workers_timeout : float
        Seconds a pass may wait while the cluster has no worker at all before it raises
        :class:`logistic.errors.ClusterError` (a class attribute, 60 by default: long
        enough for an adaptive cluster or a restart to bring workers back).
    """

    capabilities = frozenset({"cached_chunks", "row_sampling", "fused_sample"})
    no_workers_timeout = 60.0

    def __init__(
        self,
        X,
        y,
        sample_weight=None,
        offset=None,
        *,
        client=None,
        class_weight=None,
        split_every=8,
    ):
        self.client = get_client(client)
        if isinstance(split_every, bool) or not isinstance(split_every, int) or split_every < 2:
            raise InvalidParameterError(
                f"split_every={split_every!r} is not accepted; split_every accepts an int >= 2."
            )
        self.split_every = split_every
        check_class_weight(class_weight)
        X = as_dask_array(X, "X", ndim=2)
        if X.dtype.kind not in "biuf":
            raise DataError(
                f"X has dtype {X.dtype}; X accepts numeric values (float32 or float64)."
            )
        dtype = np.dtype(X.dtype if X.dtype in (np.float32, np.float64) else np.float64)
        rows = X.chunks[0]
        y = as_dask_array(y, "y", ndim=1, row_chunks=rows)
        if y.shape[0] != X.shape[0]:
            raise DataError(f"X has {X.shape[0]} rows but y has {y.shape[0]}; they must match.")
        parts = {"X": X, "y": y}
        for name, arr in (("sample_weight", sample_weight), ("offset", offset)):
            if arr is None:
                continue
            if np.isscalar(arr):
                import dask.array as da

                arr = da.full(X.shape[0], arr, dtype=dtype, chunks=rows)
            ndim = 2 if name == "offset" and getattr(arr, "ndim", 1) == 2 else 1
            arr = as_dask_array(arr, name, ndim=ndim, row_chunks=rows)
            if arr.shape[0] != X.shape[0]:
                raise DataError(
                    f"{name} has {arr.shape[0]} rows but X has {X.shape[0]}; they must match."
                )
            parts[name] = arr
        self.n_samples, self.n_features = int(X.shape[0]), int(X.shape[1])
        if self.n_samples == 0:
            raise DataError("X has no rows; at least one is needed.")
        self.dtype = dtype
        # chunks of scipy.sparse matrices (meta a CSR matrix) keep the source sparse
        self.sparse = sp.issparse(getattr(X, "_meta", None))
        self.chunk_rows = tuple(int(r) for r in rows)
        self.n_passes = 0
        self._groups = None  # see _placement

        # Stage 1: compute every chunk once, keeping it on a worker (with its lineage).
        from dask import delayed

        blocks = {k: v.to_delayed().ravel() for k, v in parts.items()}
        raw = [
            delayed(_w.pack, pure=True)(
                blocks["X"][i],
                blocks["y"][i],
                blocks["sample_weight"][i] if "sample_weight" in blocks else None,
                blocks["offset"][i] if "offset" in blocks else None,
                dtype,
            )
            for i in range(len(rows))
        ]
        raw = self.client.compute(raw)
        meta = self.client.gather(self.client.map(_w.meta, raw, pure=False))
        self.n_passes += 1
        classes, counts, wsums = _w.check_meta(
            meta, self.n_samples, weighted="sample_weight" in parts
        )
        n_out = 1 if len(classes) == 2 else len(classes)
        if "offset" in parts and parts["offset"].shape[1:] != (() if n_out == 1 else (n_out,)):
            raise DataError(
                f"offset has shape {parts['offset'].shape}, but a model of {len(classes)} "
                f"classes needs {(self.n_samples,) if n_out == 1 else (self.n_samples, n_out)} "
                "(one logit offset per row, or per row and class)."
            )
        self.classes_ = classes
        self.class_counts_ = counts
        factors = class_weight_factors(class_weight, classes, wsums)
        self.weight_sum = float(wsums @ (np.ones(len(classes)) if factors is None else factors))
        if "offset" not in parts:
            self.class_totals = wsums if factors is None else wsums * factors
        if not self.weight_sum > 0:
            raise DataError("the weights (with class_weight) are zero for every row.")
        # Stage 2: labels to class indices (0/1 for two classes) and class weights into the
        # weights; the raw chunks are released but stay in the lineage of the encoded ones.
        # (not waited for: the first pass depends on them, which saves a round trip)
        self._chunks = self.client.map(_w.encode, raw, classes=classes, factors=factors, pure=False)
        del raw

    # -- execution ----------------------------------------------------------------------
    def _map_reduce(self, func, *iterables, result_bytes=None, **kwargs):
        """``func(chunk, *items, **kwargs)`` on every chunk, added in one fixed tree order.

        When every chunk's result is small (``result_bytes`` each, ``_GATHER_BYTES`` in
        all), one task per worker thread runs ``func`` over the chunks that worker holds
        and sends back the per-chunk results: 2 tasks a pass on 2 one-thread workers
        rather than ``K`` and a tree (500,000 x 50 in 8 chunks: a gradient pass 37 ms ->
        25 ms). Otherwise (Hessians of wide data, unknown parts) one task per chunk and a
        tree of ``split_every``-ary additions on the workers. Both add the chunk results in
        the same tree shape over the chunk order, so the sum does not depend on where the
        chunks live or which path ran.
        """
        self.n_passes += 1
        if result_bytes is not None and result_bytes * len(self._chunks) <= _GATHER_BYTES:
            return self._grouped(func, iterables, kwargs)
        client = self.client
        futures = client.map(func, self._chunks, *iterables, pure=False, **kwargs)
        k = self.split_every
        while len(futures) > 1:
            futures = [
                client.submit(_w.add, *futures[i : i + k], pure=False)
                for i in range(0, len(futures), k)
            ]
        return _results(client, futures, self.no_workers_timeout)[0]

    def _grouped(self, func, iterables, kwargs):
        client = self.client
        items = [list(it) for it in iterables]
        groups = self._placement()
        futures = []
        for address, idx in groups:
            futures.append(
                client.submit(
                    _w.run_group,
                    func,
                    [[it[i] for it in items] for i in idx],
                    *[self._chunks[i] for i in idx],
                    address=address,
                    kwargs=kwargs,
                    workers=None if address is None else [address],
                    allow_other_workers=True,
                    pure=False,
                )
            )
        results = [None] * len(self._chunks)
        gathered = _results(client, futures, self.no_workers_timeout)
        for (address, idx), (ran_on, parts) in zip(groups, gathered, strict=True):
            if ran_on != address:  # a worker left or the chunks moved: look again next time
                self._groups = None
            for i, part in zip(idx, parts, strict=True):
                results[i] = part
        return _w.tree_sum(results, self.split_every)

    def _placement(self):
        """``[(worker address, [chunk indices]), ...]``: the chunks each worker holds, cut
        into one contiguous group per worker thread; looked up once (``who_has``, ~10 ms)
        and again after a group ran elsewhere than planned."""
        if self._groups is None:
            _results(self.client, self._chunks, self.no_workers_timeout, fetch=False)
            who = self.client.who_has(self._chunks)
            nthreads = self.client.nthreads()
            by_worker: dict = {}
            for i, f in enumerate(self._chunks):
                holders = who.get(f.key) or (None,)
                by_worker.setdefault(holders[0], []).append(i)
            groups = []
            for address, idx in sorted(by_worker.items(), key=lambda kv: kv[1][0]):
                t = max(1, min(len(idx), int(nthreads.get(address, 1) or 1)))
                groups.extend((address, part.tolist()) for part in np.array_split(idx, t))
            self._groups = groups
        return self._groups

    # -- the source API -----------------------------------------------------------------
    def aggregate(self, task):
        """``task`` on every chunk, on the workers that hold them, added in one tree."""
        return self._map_reduce(_w.run_task, task=task, result_bytes=task.result_bytes)

    def every(self, step) -> _EveryRows:
        """The rows ``0, step, 2 step, ...`` (global row numbers) as a source whose passes
        read only those rows of each chunk (a strided view on the worker, no copy, no data
        moved). Used for subsampled Hessian estimates: ``1 / step`` of a pass's work."""
        return _EveryRows(self, int(step))

    def stats_and_sample(self, w, b, step, *, link=BINOMIAL):
        """``(stats(w, b) with the gradient, every(step).stats(w, b) with the Hessian only)``
        from one task per chunk: Newton's exact gradient and row-sampled Hessian in one
        round trip to the workers."""
        full = StatsTask(link, w, b, dtype=self.dtype, need_grad=True)
        sample = StatsTask(link, w, b, dtype=self.dtype, need_grad=False, need_hess=True)
        return self._map_reduce(
            _w.run_pair,
            self.every(step).slices,
            full=full,
            sample=sample,
            result_bytes=full.result_bytes + sample.result_bytes,
        )

    def minibatches(self, batch_size, rng):
        """One epoch of mini-batches, each evaluated on the worker holding its rows.

        Chunks are visited in an order permuted by ``rng``; the rows of each chunk are
        permuted by ``rng`` and cut into batches of ``batch_size`` rows (a batch never mixes
        chunks). Every step is a round trip to a worker, so stochastic solvers are bound by
        latency here; prefer the full-batch solvers on a cluster.
        """
        for k in rng.permutation(len(self._chunks)):
            m = self.chunk_rows[k]
            perm = rng.permutation(m)
            for start in range(0, m, batch_size):
                yield _RemoteBatch(self, self._chunks[k], np.sort(perm[start : start + batch_size]))

    def close(self) -> None:
        """Release the chunks held on the workers."""
        self._chunks = []

    def __repr__(self) -> str:
        return (
            f"DaskSource(n_samples={self.n_samples}, n_features={self.n_features}, "
            f"dtype={self.dtype}, chunks={len(self.chunk_rows)})"
        )


class _Derived(Source):
    """Rows of a :class:`DaskSource` selected on its workers (same dtype and classes)."""

    def __init__(self, parent, n_samples):
        self._parent = parent
        self.n_samples = int(n_samples)
        self.n_features = parent.n_features
        self.dtype = parent.dtype
        self.classes_ = parent.classes_
        self.weight_sum = float("nan")  # not needed by the passes it serves

    def minibatches(self, batch_size, rng):  # pragma: no cover - never asked of a selection
        raise InvalidParameterError("a selection of a Dask source's rows has no mini-batches.")


class _EveryRows(_Derived):
    """Every ``step``-th row of a :class:`DaskSource`, as a source."""

    def __init__(self, parent, step):
        starts = np.concatenate([[0], np.cumsum(parent.chunk_rows)[:-1]]).astype(np.int64)
        # the first row of chunk k on the global grid 0, step, 2 step, ...
        self.slices = [slice(int(-r % step), None, step) for r in starts]
        n = sum(
            len(range(*sl.indices(m))) for sl, m in zip(self.slices, parent.chunk_rows, strict=True)
        )
        super().__init__(parent, n)

    def aggregate(self, task):
        return self._parent._map_reduce(
            _w.run_task, self.slices, task=task, result_bytes=task.result_bytes
        )


class _RemoteBatch(_Derived):
    """Some rows of one chunk, as a source (one task on the worker that holds it)."""

    def __init__(self, parent, chunk, rows):
        super().__init__(parent, rows.shape[0])
        self._chunk = chunk
        self._rows = rows

    def aggregate(self, task):
        client = self._parent.client
        future = client.submit(_w.run_task, self._chunk, self._rows, task=task, pure=False)
        return _results(client, [future], self._parent.no_workers_timeout)[0]


def _results(client, futures, no_workers_timeout, *, fetch=True):
    """The results of ``futures`` (``None`` with ``fetch=False``: only wait for them), or a
    :class:`ClusterError` once the cluster has had no worker for ``no_workers_timeout``
    seconds in a row.

    A scheduler whose workers are all gone keeps the tasks waiting for new ones, for ever
    (``distributed``'s own limit, ``distributed.scheduler.no-workers-timeout``, is the
    scheduler's setting, off by default); a fit would hang. So the wait is cut into polls,
    and between them the scheduler is asked how many workers it has.
    """
    import distributed

    poll = max(0.05, min(1.0, no_workers_timeout / 4))
    since = None
    while True:
        try:
            distributed.wait(futures, timeout=poll)
            break
        except TimeoutError:
            if client.scheduler_info().get("workers"):
                since = None
                continue
            now = time.monotonic()
            since = now if since is None else since
            if now - since >= no_workers_timeout:
                address = getattr(client.scheduler, "address", None) or "(unknown address)"
                raise ClusterError(
                    f"the Dask scheduler at {address}: no worker for {no_workers_timeout:g} s "
                    "while a pass waited; start workers for it (or pass a scheduler that has "
                    "some)."
                ) from None
    return client.gather(futures) if fetch else None


# Per-chunk results sent back whole (rather than tree-added on the workers) up to this many
# bytes a pass: gradients always, Hessians of narrow data.
_GATHER_BYTES = 32 << 20
