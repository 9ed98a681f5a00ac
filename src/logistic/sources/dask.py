"""Rows held by a Dask cluster: the kernel mapped over row chunks on the workers.

The rows are cut into the row chunks of a Dask array, ``X = [X_1; ...; X_K]``. Each chunk
is computed and kept in a worker's memory *once* (``client.compute`` of the array's chunks,
then held as futures); every evaluation ships only the parameters to the chunks and the
chunk sums back::

    stats(w, b) = sum_k chunk_stats(X_k, y_k, w, b, s_k, o_k)

with one task per chunk, ``client.map(..., chunk_futures, w=w, b=b)``, and the sums added
on the workers by a tree of ``split_every``-ary additions, so the client receives a single
:class:`~logistic.kernel.ChunkStats`. The solver runs on the client.

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

import numpy as np
import scipy.sparse as sp

from ..errors import DataError, InvalidParameterError
from ..kernel import ChunkStats
from .memory import _BLOCK_BYTES, InMemorySource

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


class DaskSource:
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
        Known offsets added to the logits.
    client : distributed.Client, str or None
        See :func:`get_client`.
    class_weight : dict, "balanced" or None
        Multiplied into the weights, ``s_i <- s_i c_{y_i}``; "balanced" is
        ``c_k = n / (K n_k)``.
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
    """

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
        if not (
            class_weight is None or class_weight == "balanced" or isinstance(class_weight, dict)
        ):
            raise InvalidParameterError(
                f"class_weight={class_weight!r} is not accepted; class_weight accepts None, "
                "'balanced' or a dict {label: weight}."
            )
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
            arr = as_dask_array(arr, name, ndim=1, row_chunks=rows)
            if arr.shape[0] != X.shape[0]:
                raise DataError(
                    f"{name} has {arr.shape[0]} rows but X has {X.shape[0]}; they must match."
                )
            parts[name] = arr
        self.n_samples, self.n_features = int(X.shape[0]), int(X.shape[1])
        if self.n_samples == 0:
            raise DataError("X has no rows; at least one is needed.")
        self.dtype = dtype
        self.chunk_rows = tuple(int(r) for r in rows)
        self.n_passes = 0
        self._groups = None  # see _placement

        # Stage 1: compute every chunk once, keeping it on a worker (with its lineage).
        from dask import delayed

        blocks = {k: v.to_delayed().ravel() for k, v in parts.items()}
        raw = [
            delayed(_pack, pure=True)(
                blocks["X"][i],
                blocks["y"][i],
                blocks["sample_weight"][i] if "sample_weight" in blocks else None,
                blocks["offset"][i] if "offset" in blocks else None,
                dtype,
            )
            for i in range(len(rows))
        ]
        raw = self.client.compute(raw)
        meta = self.client.gather(self.client.map(_meta, raw, pure=False))
        self.n_passes += 1
        classes, counts, wsums = _check_meta(
            meta, self.n_samples, weighted="sample_weight" in parts
        )
        self.classes_ = classes
        self.class_counts_ = counts
        factors = _class_factors(class_weight, classes, counts)
        self.weight_sum = float(wsums @ (np.ones(len(classes)) if factors is None else factors))
        if not self.weight_sum > 0:
            raise DataError("the weights (with class_weight) are zero for every row.")
        # Stage 2: labels to class indices (0/1 for two classes) and class weights into the
        # weights; the raw chunks are released but stay in the lineage of the encoded ones.
        # (not waited for: the first pass depends on them, which saves a round trip)
        self._chunks = self.client.map(_encode, raw, classes=classes, factors=factors, pure=False)
        del raw

    # -- execution ----------------------------------------------------------------------
    def _map_reduce(self, func, *iterables, result_bytes=None, **kwargs):
        """``func(chunk, *items, **kwargs)`` on every chunk, added in one fixed tree order.

        When every chunk's result is small (``result_bytes`` each, ``_GATHER_BYTES`` in
        all), one task per worker thread runs ``func`` over the chunks that worker holds
        and sends back the per-chunk results: 2 tasks a pass on 2 one-thread workers
        rather than ``K`` and a tree (500,000 x 50 in 8 chunks: a gradient pass 37 ms ->
        25 ms). Otherwise (Hessians of wide data, other kernels' sums) one task per chunk
        and a tree of ``split_every``-ary additions on the workers. Both add the chunk
        results in the same tree shape over the chunk order, so the sum does not depend on
        where the chunks live or which path ran.
        """
        self.n_passes += 1
        if result_bytes is not None and result_bytes * len(self._chunks) <= _GATHER_BYTES:
            return self._grouped(func, iterables, kwargs)
        client = self.client
        futures = client.map(func, self._chunks, *iterables, pure=False, **kwargs)
        k = self.split_every
        while len(futures) > 1:
            futures = [
                client.submit(_add, *futures[i : i + k], pure=False)
                for i in range(0, len(futures), k)
            ]
        return futures[0].result()

    def _grouped(self, func, iterables, kwargs):
        client = self.client
        items = [list(it) for it in iterables]
        groups = self._placement()
        futures = []
        for address, idx in groups:
            futures.append(
                client.submit(
                    _run_group,
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
        for (address, idx), (ran_on, parts) in zip(groups, client.gather(futures), strict=True):
            if ran_on != address:  # a worker left or the chunks moved: look again next time
                self._groups = None
            for i, part in zip(idx, parts, strict=True):
                results[i] = part
        return _tree_sum(results, self.split_every)

    def _placement(self):
        """``[(worker address, [chunk indices]), ...]``: the chunks each worker holds, cut
        into one contiguous group per worker thread; looked up once (``who_has``, ~10 ms)
        and again after a group ran elsewhere than planned."""
        if self._groups is None:
            import distributed

            distributed.wait(self._chunks)
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

    def map_reduce(self, fn):
        """``fn(X, y, s, o)`` on every chunk, on the workers, tree-reduced there (other
        kernels, e.g. the multinomial one; ``fn`` must be picklable)."""
        return self._map_reduce(_apply, fn=fn)

    def stats(self, w, b=0.0, *, need_grad=True, need_hess=False) -> ChunkStats:
        """Kernel sums over every chunk, computed on the workers and tree-reduced there."""
        return self._map_reduce(
            _chunk_stats,
            w=np.asarray(w, dtype=np.float64),
            b=float(b),
            need_grad=need_grad,
            need_hess=need_hess,
            result_bytes=_stats_bytes(self.n_features, need_hess),
        )

    def every(self, step) -> _EveryRows:
        """The rows ``0, step, 2 step, ...`` (global row numbers) as a source whose passes
        read only those rows of each chunk (a strided view on the worker, no copy, no data
        moved). Used for subsampled Hessian estimates: ``1 / step`` of a pass's work."""
        return _EveryRows(self, int(step))

    def stats_and_sample(self, w, b, step):
        """``(stats(w, b) with the gradient, every(step).stats(w, b) with the Hessian only)``
        from one task per chunk: Newton's exact gradient and row-sampled Hessian in one
        round trip to the workers."""
        return self._map_reduce(
            _chunk_stats_and_sample,
            self.every(step)._slices,
            w=np.asarray(w, dtype=np.float64),
            b=float(b),
            result_bytes=_stats_bytes(self.n_features, True),
        )

    def hessp(self, w, b, v_w, v_b=0.0):
        """``[X 1]^T diag(s a (1 - a)) [X 1] v`` at ``(w, b)`` as ``(vec_w, vec_b)``: one
        round trip (Newton-CG's product)."""
        return self._map_reduce(
            _chunk_hessp,
            w=np.asarray(w, dtype=np.float64),
            b=float(b),
            v_w=np.asarray(v_w, dtype=np.float64),
            v_b=float(v_b),
            result_bytes=_stats_bytes(self.n_features, False),
        )

    def gram(self) -> np.ndarray:
        """``[X 1]^T diag(s) [X 1]`` in float64, shape (n_features + 1, n_features + 1)."""
        return self._map_reduce(_chunk_gram)

    def gram_matvec(self, v_w, v_b=0.0):
        """``[X 1]^T diag(s) [X 1] v`` as ``(vec_w (n_features,), vec_b)``."""
        return self._map_reduce(
            _chunk_gram_matvec,
            v_w=np.asarray(v_w, dtype=np.float64),
            v_b=float(v_b),
            result_bytes=_stats_bytes(self.n_features, False),
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


class _EveryRows:
    """Every ``step``-th row of a :class:`DaskSource`, as a source with ``stats``."""

    def __init__(self, parent, step):
        self._parent = parent
        starts = np.concatenate([[0], np.cumsum(parent.chunk_rows)[:-1]]).astype(np.int64)
        # the first row of chunk k on the global grid 0, step, 2 step, ...
        self._slices = [slice(int(-r % step), None, step) for r in starts]
        self.n_samples = sum(len(range(*sl.indices(m))) for sl, m in zip(
            self._slices, parent.chunk_rows, strict=True
        ))  # fmt: skip

    def stats(self, w, b=0.0, *, need_grad=True, need_hess=False) -> ChunkStats:
        return self._parent._map_reduce(
            _chunk_stats,
            self._slices,
            w=np.asarray(w, dtype=np.float64),
            b=float(b),
            need_grad=need_grad,
            need_hess=need_hess,
            result_bytes=_stats_bytes(self._parent.n_features, need_hess),
        )


class _RemoteBatch:
    """Some rows of one chunk, as a source with ``n_samples`` and ``stats``."""

    def __init__(self, parent, chunk, rows):
        self._parent = parent
        self._chunk = chunk
        self._rows = rows
        self.n_samples = int(rows.shape[0])

    def stats(self, w, b=0.0, *, need_grad=True, need_hess=False) -> ChunkStats:
        fut = self._parent.client.submit(
            _chunk_stats,
            self._chunk,
            w=np.asarray(w, dtype=np.float64),
            b=float(b),
            need_grad=need_grad,
            need_hess=need_hess,
            rows=self._rows,
            pure=False,
        )
        return fut.result()

    def map_reduce(self, fn):
        fut = self._parent.client.submit(_apply, self._chunk, fn=fn, rows=self._rows, pure=False)
        return fut.result()


# -- tasks run on the workers ---------------------------------------------------------------
class _Chunk:
    """One chunk's arrays: X (m, n), y (m,), s (m,) or None, o (m,) or None."""

    __slots__ = ("X", "o", "s", "y")

    def __init__(self, X, y, s, o):
        self.X, self.y, self.s, self.o = X, y, s, o

    def __getstate__(self):
        return (self.X, self.y, self.s, self.o)

    def __setstate__(self, state):
        self.X, self.y, self.s, self.o = state

    def arrays(self, rows=None):
        """``(X, y, s, o)`` of the chunk, or of its ``rows`` (a slice gives views)."""
        if rows is None:
            return self.X, self.y, self.s, self.o
        s, o = self.s, self.o
        return (
            self.X[rows],
            self.y[rows],
            None if s is None else s[rows],
            None if o is None else o[rows],
        )

    def source(self, rows=None) -> InMemorySource:
        """The chunk (or its ``rows``: a slice gives views) as a one-thread source.

        On a worker, Dask's parallelism is one task per thread, so a task adds no threads
        of its own (2 one-thread workers on 2 cores: a 2e6 x 50 Hessian pass took 490 ms
        with two threads per task, 340 ms with one), and, with no threads to feed, takes
        blocks of up to ``_BLOCK_BYTES`` (a 62,500 x 50 float64 gradient pass: 3.3 ms in
        blocks of 1/16 of the chunk, 1.5 ms in 8 MiB blocks, the compiled row loop).
        """
        X, y, s, o = self.arrays(rows)
        block_rows = None
        if not sp.issparse(X) and X.shape[0]:
            block_rows = max(256, _BLOCK_BYTES // max(1, X.shape[1] * X.dtype.itemsize))
        return InMemorySource(X, y, s, o, n_threads=1, block_rows=block_rows)


def _pack(X, y, s, o, dtype):
    X = np.asarray(X)
    if X.dtype != dtype:
        X = X.astype(dtype)
    y = np.asarray(y)
    s = None if s is None else np.asarray(s).astype(dtype, copy=False)
    o = None if o is None else np.asarray(o).astype(dtype, copy=False)
    return _Chunk(X, y, s, o)


def _meta(chunk):
    """What the client needs to validate a chunk and count its classes."""
    y = chunk.y
    out = {"rows": int(y.shape[0]), "finite_X": bool(np.all(np.isfinite(chunk.X)))}
    if y.dtype.kind in "fc" and not np.all(np.isfinite(y)):
        out["bad_y"] = True
        return out
    labels, inverse = np.unique(y, return_inverse=True)
    if labels.shape[0] > MAX_CLASSES:
        out["labels"] = labels[:5].tolist()
        out["too_many"] = True
        return out
    out["labels"] = labels.tolist()
    out["counts"] = np.bincount(inverse, minlength=labels.shape[0]).tolist()
    if chunk.s is not None:
        s = chunk.s
        out["bad_s"] = bool(not np.all(np.isfinite(s)) or np.any(s < 0))
        out["wsums"] = np.bincount(
            inverse, weights=s.astype(np.float64), minlength=labels.shape[0]
        ).tolist()
    else:
        out["wsums"] = [float(c) for c in out["counts"]]
    if chunk.o is not None:
        out["bad_o"] = bool(not np.all(np.isfinite(chunk.o)))
    return out


def _encode(chunk, classes, factors):
    # classes are sorted (np.unique), so the index is a binary search; 0/1 for two classes.
    y = np.searchsorted(classes, chunk.y).astype(chunk.X.dtype)
    s = chunk.s
    if factors is not None:
        c = np.asarray(factors, dtype=chunk.X.dtype)[y.astype(np.intp)]
        s = c if s is None else s * c
    return _Chunk(chunk.X, y, s, chunk.o)


def _chunk_stats(chunk, rows=None, *, w, b, need_grad, need_hess):
    return chunk.source(rows).stats(w, b, need_grad=need_grad, need_hess=need_hess)


def _chunk_stats_and_sample(chunk, rows, *, w, b):
    full = chunk.source().stats(w, b, need_grad=True)
    return full, chunk.source(rows).stats(w, b, need_grad=False, need_hess=True)


def _apply(chunk, *, fn, rows=None):
    return fn(*chunk.arrays(rows))


def _chunk_hessp(chunk, *, w, b, v_w, v_b):
    return chunk.source().hessp(w, b, v_w, v_b)


def _chunk_gram(chunk):
    return chunk.source().gram()


def _chunk_gram_matvec(chunk, *, v_w, v_b):
    return chunk.source().gram_matvec(v_w, v_b)


def _run_group(func, items, *chunks, address, kwargs):
    """``func`` over a worker's chunks: ``(where it ran, [result per chunk])``."""
    try:
        from distributed import get_worker

        ran_on = get_worker().address
    except ValueError:  # pragma: no cover - not on a worker
        ran_on = None
    return ran_on, [func(c, *it, **kwargs) for c, it in zip(chunks, items, strict=True)]


def _tree_sum(parts, k):
    """The sum of ``parts`` in the shape of the workers' tree: ``k``-ary, left to right."""
    while len(parts) > 1:
        parts = [_add(*parts[i : i + k]) for i in range(0, len(parts), k)]
    return parts[0]


def _add(*parts):
    total = parts[0]
    for p in parts[1:]:
        if isinstance(total, tuple):
            total = (total[0] + p[0], total[1] + p[1])
        else:
            total = total + p
    return total


# -- client-side checks ---------------------------------------------------------------------
# Per-chunk results sent back whole (rather than tree-added on the workers) up to this many
# bytes a pass: gradients always, Hessians of narrow data.
_GATHER_BYTES = 32 << 20


def _stats_bytes(n_features, need_hess):
    """Bytes of one chunk's ChunkStats (float64), with or without the Hessian."""
    p = n_features + 1
    extra = p if need_hess == "diag" else p * p if need_hess else 0
    return 8 * (p + 4 + extra)


# Distinct target values accepted before the target is taken for a continuous one.
MAX_CLASSES = 1000


def _check_meta(meta, n_samples, *, weighted):
    if not all(m["finite_X"] for m in meta):
        raise DataError("X contains NaN or infinity; X accepts finite numbers.")
    if any(m.get("bad_y") for m in meta):
        raise DataError("y contains NaN or infinity; y accepts exactly two distinct labels.")
    per_label: dict = {}
    for m in meta:
        if m.get("too_many"):
            shown = ", ".join(repr(v) for v in m["labels"])
            raise DataError(
                f"y has more than {MAX_CLASSES} distinct values ({shown}, ...); a classifier "
                "accepts class labels, not a continuous target."
            )
        for label, count, ws in zip(m["labels"], m["counts"], m["wsums"], strict=True):
            entry = per_label.setdefault(label, [0, 0.0])
            entry[0] += count
            entry[1] += ws
    if len(per_label) < 2 or len(per_label) > MAX_CLASSES:
        shown = ", ".join(repr(v) for v in sorted(per_label)[:5])
        what = "one class" if len(per_label) == 1 else f"{len(per_label)} classes"
        raise DataError(
            f"y has {what} ({shown}); a classifier accepts from two to {MAX_CLASSES} distinct "
            "labels."
        )
    if weighted:
        if any(m.get("bad_s") for m in meta):
            raise DataError(
                "sample_weight contains a negative, NaN or infinite value; it accepts finite "
                "numbers >= 0."
            )
    if any(m.get("bad_o") for m in meta):
        raise DataError("offset contains NaN or infinity; it accepts finite numbers.")
    ordered = sorted(per_label)
    counts = np.array([per_label[v][0] for v in ordered], dtype=np.int64)
    wsums = np.array([per_label[v][1] for v in ordered], dtype=np.float64)
    assert counts.sum() == n_samples
    return np.array(ordered), counts, wsums


def _class_factors(class_weight, classes, counts):
    if class_weight is None:
        return None
    if class_weight == "balanced":
        return counts.sum() / (len(counts) * counts.astype(np.float64))
    labels = classes.tolist()
    unknown = [k for k in class_weight if k not in labels]
    if unknown:
        raise InvalidParameterError(
            f"class_weight has labels {unknown!r} that are not in y; its keys must be among "
            f"the classes {labels!r}."
        )
    return np.array([float(class_weight.get(v, 1.0)) for v in labels])
