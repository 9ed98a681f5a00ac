"""Reductions over chunks of rows: what an executor runs, without knowing what it computes.

A task is a picklable object with three methods, Spark's ``treeAggregate(zero)(seqOp,
combOp)`` in small::

    acc = task.zero(scratch)                        # one accumulator per thread or worker
    acc = task.add(acc, X, y, s, o, cache)          # each chunk of rows, in order
    part = task.finish(acc)                         # one part per thread or worker
    total = combine(part_1, part_2, ...)            # added in a fixed order

``X`` (m, n), ``y`` (m,), ``s`` (m,) or None (weights), ``o`` offsets or None are one chunk's
arrays; ``scratch`` a per-thread holder for buffers reused across passes (or None); ``cache``
a dict that the executor keeps with the chunk between passes where it can (or None), in
which a task may memoise what it computed from the chunk for given parameters (the row
curvatures of a Newton-CG step, the logits of a line search). A task never relies on the
cache: it recomputes what it does not find, so a lost or restarted worker changes nothing.
The parts are ``ChunkStats``, floats, arrays or tuples of them, added by :func:`combine`.
"""

from __future__ import annotations

import itertools
import os

import numpy as np
import scipy.sparse as sp

from .._kernel import Accumulator
from .._kernel._compiled import FUSED_MIN_SIZE
from .._kernel._linalg import gram_matvec, weighted_gram

__all__ = [
    "FnTask",
    "GramMatvecTask",
    "GramTask",
    "HesspTask",
    "LineTask",
    "StatsTask",
    "Task",
    "combine",
    "new_key",
]


def combine(parts):
    """The sum of ``parts`` (a sequence) in order: ``+``, elementwise for tuples."""
    total = parts[0]
    for part in parts[1:]:
        total = _add(total, part)
    return total


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, tuple):
        return tuple(_add(x, y) for x, y in zip(a, b, strict=True))
    return a + b


def _vector(a, dtype):
    """``a`` as a 1-d array of ``dtype`` (no copy when it is one already: the common case,
    on every pass)."""
    if type(a) is np.ndarray and a.dtype == dtype and a.ndim == 1:
        return a
    return np.asarray(a, dtype=np.float64).reshape(-1).astype(dtype, copy=False)


# Keys of kept chunk values (a line search's logits, a Newton step's curvatures): unique in
# this process, and across processes that share workers (a Dask cluster serving several
# clients) by the process's random prefix.
_KEYS = zip(itertools.repeat(os.urandom(8)), itertools.count())


def new_key():
    """A key no other kept value has, to find what a chunk cached for one computation."""
    return next(_KEYS)


class Task:
    """A reduction whose parts are ``self(X, y, s, o, cache)``, added in order."""

    __slots__ = ()
    #: Bytes of one part, for an executor that gathers small parts (None: unknown/large).
    result_bytes = None
    #: Logits a row computes (the link's n_out): scales the work of a pass, for an executor
    #: that decides how many threads a pass is worth.
    outputs = 1

    def zero(self, scratch):
        return None

    def add(self, acc, X, y, s, o, cache):
        part = self(X, y, s, o, cache)
        return part if acc is None else _add(acc, part)

    def finish(self, acc):
        return acc

    def __call__(self, X, y, s, o, cache):  # pragma: no cover - every task defines it
        raise TypeError(f"{type(self).__name__} defines no per-chunk part")


class FnTask(Task):
    """``fn(X, y, s, o)`` per chunk, added: a user's map-reduce (``fn`` picklable)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, X, y, s, o, cache):
        return self.fn(X, y, s, o)


class StatsTask(Task):
    """Loss, gradient and Hessian sums of the link's kernel (:class:`ChunkStats`).

    ``w``, ``b``: the parameters in the layout of :mod:`logistic._links` (``W.ravel()``,
    ``b`` of n_out); ``compiled_min``: blocks from this many elements on take the compiled
    row loops (0 where the source needs every block to, so that NaN in X always shows).
    """

    __slots__ = (
        "b",
        "compiled_min",
        "gram_scale",
        "link",
        "need_grad",
        "need_hess",
        "outputs",
        "result_bytes",
        "w",
    )

    def __init__(
        self,
        link,
        w,
        b,
        *,
        dtype,
        need_grad=True,
        need_hess=False,
        gram_scale=None,
        compiled_min=FUSED_MIN_SIZE,
    ):
        self.link = link
        self.w, self.b = link.kernel_params(_vector(w, dtype), _vector(b, np.float64))
        self.need_grad = need_grad
        self.need_hess = need_hess
        self.gram_scale = gram_scale
        self.compiled_min = compiled_min
        self.outputs = n_out = link.n_out
        p = (self.w.size // n_out + 1) * n_out
        extra = p if need_hess == "diag" else p * p if need_hess else 0
        self.result_bytes = 8 * (p + 4 + extra)

    def zero(self, scratch):
        # the accumulator is made by the first chunk, which knows X's dtype and format;
        # until then the executor's scratch holder stands in its place
        return scratch

    def add(self, acc, X, y, s, o, cache):
        if not isinstance(acc, Accumulator):
            link = self.link
            acc = Accumulator(
                X.shape[1],
                X.dtype,
                self.need_grad,
                self.need_hess,
                sp.issparse(X),
                acc,
                gram_scale=self.gram_scale,
                n_out=link.n_out,
            )
        self.link.kernel.add_stats(
            acc, X, y, self.w, self.b, s, o, self.need_grad, self.need_hess, self.compiled_min
        )
        return acc

    def finish(self, acc):
        return acc.result()


class HesspTask(Task):
    """The loss sum's Hessian at ``(w, b)`` times ``(v_w, v_b)``: ``(vec_w, vec_b)``.

    The chunk's curvatures at ``(w, b)`` (``a (1 - a)`` a row, or the softmax
    probabilities) are kept in its cache under ``key`` (one key per point, see
    :meth:`logistic.sources.Source.point_key`), so the further products of one Newton step
    cost one product pair with X each instead of also recomputing ``X w``.
    """

    __slots__ = ("b", "key", "link", "outputs", "result_bytes", "v_b", "v_w", "w")

    def __init__(self, link, w, b, v_w, v_b, *, dtype, key):
        w = np.asarray(w, dtype=np.float64).ravel()
        b = np.atleast_1d(np.asarray(b, dtype=np.float64))
        self.key = key
        self.link = link
        self.outputs = link.n_out
        self.w, self.b = link.kernel_params(w.astype(dtype, copy=False), b)
        v_w = np.asarray(v_w, dtype=np.float64).ravel().astype(dtype, copy=False)
        self.v_w, self.v_b = link.kernel_params(v_w, np.atleast_1d(np.asarray(v_b, np.float64)))
        self.result_bytes = 8 * (v_w.shape[0] + link.n_out + 4)

    def zero(self, scratch):
        # one float64 sum per thread, added into by each of its chunks
        return np.zeros(self.v_w.size), np.zeros(self.outputs), scratch

    def add(self, acc, X, y, s, o, cache):
        out_w, out_b, scratch = acc
        kept = None if cache is None else cache.get("curvature")
        if kept is not None and kept[0] == self.key:
            h = kept[1]
        else:
            h = self.link.kernel.curvature(X, self.w, self.b, s, o)
            if cache is not None:
                cache["curvature"] = (self.key, h)  # only the latest point is kept
        self.link.kernel.curvature_matvec(
            X, h, s, self.v_w, self.v_b, out_w.reshape(self.v_w.shape), out_b, scratch
        )
        return acc

    def finish(self, acc):
        return acc[0], acc[1]


class LineTask(Task):
    """``(d1, d2)``: the data term's first two derivatives along ``(dw, db)`` at step
    ``t`` from ``(w, b)``; the logits at ``(w, b)`` and their change along the direction
    are kept in the chunk's cache, so a trial step costs O(m), no pass over X.

    One task serves a whole line search: ``t`` is set before each pass, and its ``key`` is
    drawn once, unique to this search, so that a chunk tells its kept logits from those of
    an earlier direction without hashing parameters.
    """

    __slots__ = ("b", "db", "dw", "key", "link", "outputs", "t", "w")
    result_bytes = 64

    def __init__(self, link, w, b, dw, db, *, dtype):
        self.key = new_key()
        self.link = link
        self.outputs = link.n_out
        self.w, self.b = link.kernel_params(_vector(w, dtype), _vector(b, np.float64))
        self.dw, self.db = link.kernel_params(_vector(dw, dtype), _vector(db, np.float64))
        self.t = None

    def __call__(self, X, y, s, o, cache):
        kept = None if cache is None else cache.get("line")
        if kept is not None and kept[0] == self.key:
            z, u = kept[1]
        else:
            z, u = self.link.kernel.logits_pair(X, self.w, self.b, self.dw, self.db, o)
            if cache is not None:
                cache["line"] = (self.key, (z, u))  # only the latest search is kept
        return self.link.kernel.line_sums(z, u, y, s, self.t)


class GramTask(Task):
    """``[X 1]^T diag(s) [X 1]`` (n + 1, n + 1) in float64."""

    __slots__ = ()

    def __call__(self, X, y, s, o, cache):
        return weighted_gram(X, np.ones(X.shape[0], dtype=X.dtype) if s is None else s)


class GramMatvecTask(Task):
    """``[X 1]^T diag(s) [X 1] v`` as ``(vec_w, vec_b)``, no matrix formed."""

    __slots__ = ("result_bytes", "v_b", "v_w")

    def __init__(self, v_w, v_b):
        self.v_w = np.asarray(v_w, dtype=np.float64)
        self.v_b = float(v_b)
        self.result_bytes = 8 * (self.v_w.shape[0] + 4)

    def __call__(self, X, y, s, o, cache):
        h = np.ones(X.shape[0], dtype=X.dtype) if s is None else s
        return gram_matvec(X, h, self.v_w, self.v_b)
