"""What runs on the Dask workers for :class:`logistic.sources.DaskSource`: the chunks and
the functions over them.

A chunk keeps its arrays and, made on first use and never shipped, an in-memory source of
its rows whose block caches survive between passes on the worker that holds it (the
``"cached_chunks"`` capability); a chunk recomputed after its worker died starts with an
empty cache, which only costs time (tasks recompute what they do not find).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._classes import MAX_CLASSES, check_labels, too_many_classes
from ..errors import DataError
from ._tasks import combine
from .memory import _BLOCK_BYTES, InMemorySource

__all__ = [
    "Chunk",
    "add",
    "check_meta",
    "encode",
    "meta",
    "pack",
    "run_group",
    "run_pair",
    "run_task",
    "tree_sum",
]


class Chunk:
    """One chunk's arrays: X (m, n), y (m,), s (m,) or None, o (m,) / (m, K) or None."""

    __slots__ = ("X", "_source", "o", "s", "y")

    def __init__(self, X, y, s, o):
        self.X, self.y, self.s, self.o = X, y, s, o
        self._source = None

    def __getstate__(self):
        return (self.X, self.y, self.s, self.o)  # the source and its caches stay behind

    def __setstate__(self, state):
        self.X, self.y, self.s, self.o = state
        self._source = None

    def source(self, rows=None) -> InMemorySource:
        """The chunk (or its ``rows``: a slice gives views) as a one-thread source; the
        whole chunk's is kept, with its caches.

        On a worker, Dask's parallelism is one task per thread, so a task adds no threads
        of its own (2 one-thread workers on 2 cores: a 2e6 x 50 Hessian pass took 490 ms
        with two threads per task, 340 ms with one), and, with no threads to feed, takes
        blocks of up to ``_BLOCK_BYTES`` (a 62,500 x 50 float64 gradient pass: 3.3 ms in
        blocks of 1/16 of the chunk, 1.5 ms in 8 MiB blocks, the compiled row loop).
        """
        if rows is None and self._source is not None:
            return self._source
        X, y, s, o = self.X, self.y, self.s, self.o
        if rows is not None:
            X, y = X[rows], y[rows]
            s = None if s is None else s[rows]
            o = None if o is None else o[rows]
        block_rows = None
        if not sp.issparse(X) and X.shape[0]:
            block_rows = max(256, _BLOCK_BYTES // max(1, X.shape[1] * X.dtype.itemsize))
        src = InMemorySource(X, y, s, o, n_threads=1, block_rows=block_rows)
        if rows is None:
            self._source = src
        return src


def pack(X, y, s, o, dtype):
    """A :class:`Chunk` of one row chunk's arrays, X in ``dtype``."""
    X = X.tocsr() if sp.issparse(X) else np.asarray(X)  # a CSR chunk stays sparse
    if X.dtype != dtype:
        X = X.astype(dtype)
    y = np.asarray(y)
    s = None if s is None else np.asarray(s).astype(dtype, copy=False)
    o = None if o is None else np.asarray(o).astype(dtype, copy=False)
    return Chunk(X, y, s, o)


def meta(chunk):
    """What the client needs to validate a chunk and count its classes."""
    y = chunk.y
    X = chunk.X.data if sp.issparse(chunk.X) else chunk.X
    out = {"rows": int(y.shape[0]), "finite_X": bool(np.all(np.isfinite(X)))}
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


def encode(chunk, classes, factors):
    """The chunk with ``y`` as class indices (0/1 for two classes) in X's dtype and the
    class weight factors multiplied into its weights."""
    # classes are sorted (np.unique), so the index is a binary search
    y = np.searchsorted(classes, chunk.y).astype(chunk.X.dtype)
    s = chunk.s
    if factors is not None:
        c = np.asarray(factors, dtype=chunk.X.dtype)[y.astype(np.intp)]
        s = c if s is None else s * c
    return Chunk(chunk.X, y, s, chunk.o)


def run_task(chunk, rows=None, *, task):
    """A task (:mod:`logistic.sources._tasks`) over the chunk or its ``rows``."""
    return chunk.source(rows).aggregate(task)


def run_pair(chunk, rows, *, full, sample):
    """``(full over the chunk, sample over its rows)``: two tasks, one round trip."""
    return chunk.source().aggregate(full), chunk.source(rows).aggregate(sample)


def run_group(func, items, *chunks, address, kwargs):
    """``func`` over a worker's chunks: ``(where it ran, [result per chunk])``."""
    try:
        from distributed import get_worker

        ran_on = get_worker().address
    except ValueError:  # pragma: no cover - not on a worker
        ran_on = None
    return ran_on, [func(c, *it, **kwargs) for c, it in zip(chunks, items, strict=True)]


def tree_sum(parts, k):
    """The sum of ``parts`` in the shape of the workers' tree: ``k``-ary, left to right."""
    while len(parts) > 1:
        parts = [add(*parts[i : i + k]) for i in range(0, len(parts), k)]
    return parts[0]


def add(*parts):
    """The sum of task parts (elementwise for tuples)."""
    return combine(list(parts))


# -- client-side checks ---------------------------------------------------------------------
def check_meta(meta, n_samples, *, weighted):
    """``(classes, counts, weight sums)`` from every chunk's :func:`meta`, or the error of
    the first thing wrong with the data."""
    if not all(m["finite_X"] for m in meta):
        raise DataError("X contains NaN or infinity; X accepts finite numbers.")
    if any(m.get("bad_y") for m in meta):
        raise DataError("y contains NaN or infinity; y accepts exactly two distinct labels.")
    per_label: dict = {}
    for m in meta:
        if m.get("too_many"):
            raise too_many_classes("y", m["labels"])
        for label, count, ws in zip(m["labels"], m["counts"], m["wsums"], strict=True):
            entry = per_label.setdefault(label, [0, 0.0])
            entry[0] += count
            entry[1] += ws
    ordered = sorted(per_label)
    check_labels("y", ordered, [per_label[v][0] for v in ordered])
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
