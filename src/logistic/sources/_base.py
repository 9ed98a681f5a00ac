"""The contract every executor meets, and every pass over the rows derived from it.

An executor (rows in memory, files streamed from disk, chunks on a Dask cluster, ...) is a
:class:`Source`. It provides only

- its shape and weight: ``n_samples``, ``n_features``, ``dtype``, ``weight_sum`` (the sum
  of the row weights, class weights included), and ``classes_`` (the labels that ``y``
  indexes: 0/1 for two classes, ``0 .. K-1`` for more; None where unknown), ``sparse``,
  ``feature_names`` (or None), and ``class_totals`` (the row weights of each class, class
  weights included, where the source has no offsets and knows them without a pass over
  ``X``, else None: the start of a fit, see :meth:`logistic._objective.Objective.start`);
- :meth:`Source.aggregate`: run a task (:mod:`logistic.sources._tasks`) over its chunks of
  rows and add the parts in a fixed order, wherever the rows are;
- :meth:`Source.minibatches`: one shuffled epoch of small in-memory sources;
- ``capabilities``, a frozenset of what it can do beyond that (data, not probes):

  ``"cached_chunks"``
      a chunk's cache dict survives between passes (in memory; on the Dask worker that
      holds the chunk): Newton-CG's curvatures and the line search's logits are kept, so a
      Hessian-vector product costs two products with X and a trial step none;
  ``"row_sampling"``
      :meth:`Source.every` gives every ``step``-th row as a source that reads only those
      rows (Newton's sampled Hessians);
  ``"fused_sample"``
      :meth:`Source.stats_and_sample` gives the full gradient and a sampled Hessian in
      one pass (one round trip to a cluster instead of two);
  ``"compiled_blocks"``
      every block is a C-ordered float array the compiled row loops take, which multiply
      every entry of X: NaN or infinity in X always shows in the first loss or gradient,
      so the input check can be deferred to it;
  ``"float32_gram"``
      dense float64 rows in memory: Hessians from float32 Gram products of scaled columns
      (:meth:`column_scales` gives the first scales);
  ``"columns"``
      the rows are one array in memory: :meth:`arrays` gives ``(X, y, s, offset)`` as
      held, for solvers that read ``X`` by columns (working-set coordinate descent).

Everything else (loss, gradient, Hessian, its diagonal, Hessian-vector products, line-search
derivatives, Gram matrices) is derived here from ``aggregate``, for every link. A new
executor is one small module with a ``Source`` subclass.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .._kernel._compiled import FUSED_MIN_SIZE
from .._links import BINOMIAL
from ..errors import InvalidParameterError
from ._tasks import FnTask, GramMatvecTask, GramTask, HesspTask, LineTask, StatsTask, new_key

__all__ = ["CAPABILITIES", "Source"]

#: Every capability a source may declare (see the module docstring).
CAPABILITIES = frozenset(
    {"cached_chunks", "row_sampling", "fused_sample", "compiled_blocks", "float32_gram", "columns"}
)


class Source(ABC):
    """Rows to fit on: the executor contract (see :mod:`logistic.sources._base`).

    Subclasses set ``n_samples``, ``n_features``, ``dtype``, ``weight_sum`` (and
    ``classes_``, ``sparse``, ``feature_names``, ``class_totals``, ``capabilities`` where
    they apply) and implement :meth:`aggregate` and :meth:`minibatches`.
    """

    capabilities: frozenset = frozenset()
    classes_ = None
    sparse = False
    feature_names = None
    class_totals = None

    @abstractmethod
    def aggregate(self, task):
        """Run ``task`` over every chunk of rows; its parts added in a fixed order.

        See :mod:`logistic.sources._tasks` for the protocol. The result must not depend on
        where or on how many threads the chunks were processed, only on the chunks.
        """

    @abstractmethod
    def minibatches(self, batch_size, rng):
        """One epoch: every row once, in batches of ``batch_size`` rows (the last may be
        smaller), each an in-memory :class:`Source`, in an order drawn from ``rng``."""

    # -- derived passes ---------------------------------------------------------------
    def map_reduce(self, fn):
        """``fn(X, y, s, o)`` over every chunk, added (``fn`` must be picklable)."""
        return self.aggregate(FnTask(fn))

    def stats(self, w, b=0.0, *, link=BINOMIAL, need_grad=True, need_hess=False, gram_scale=None):
        """One pass: the kernel's loss, gradient and Hessian sums (a ``ChunkStats``).

        Parameters
        ----------
        w : ndarray of shape (n_features * n_out,)
            ``W.ravel()`` (the coefficient vector for the binomial link).
        b : float or ndarray of shape (n_out,)
        link : Link, default Binomial
        need_grad : bool
        need_hess : bool or "diag"
        gram_scale : ndarray of shape (n_features,) or None
            Float32 Gram products of the columns divided by these scales, where the source
            has ``"float32_gram"`` (else ignored): see
            :func:`logistic._kernel.chunk_stats`.
        """
        caps = self.capabilities
        task = StatsTask(
            link,
            w,
            b,
            dtype=self.dtype,
            need_grad=need_grad,
            need_hess=need_hess,
            gram_scale=gram_scale if "float32_gram" in caps else None,
            compiled_min=0 if "compiled_blocks" in caps else FUSED_MIN_SIZE,
        )
        return self.aggregate(task)

    def hessp(self, w, b, v_w, v_b=0.0, *, link=BINOMIAL):
        """The loss sum's Hessian at ``(w, b)`` times ``v = (v_w, v_b)``: ``(vec_w, vec_b)``.

        One pass and never the Hessian itself; with ``"cached_chunks"`` the curvatures at
        ``(w, b)`` are kept, so further products at the same point cost less.
        """
        key = (link.name, link.n_out, self.point_key(w, b))  # curvatures are the link's
        return self.aggregate(HesspTask(link, w, b, v_w, v_b, dtype=self.dtype, key=key))

    def point_key(self, w, b):
        """A key for the point ``(w, b)``: the last call's key when the point equals the
        last call's, else a new one (:func:`~logistic.sources._tasks.new_key`).

        A Newton-CG step asks for many products at one point: comparing it with a kept copy
        reads it once, where hashing it would cost several times that on wide models.
        """
        w = np.asarray(w, dtype=np.float64).ravel()
        b = np.atleast_1d(np.asarray(b, dtype=np.float64))
        last = self.__dict__.get("_last_point")
        if last is not None and np.array_equal(last[0], w) and np.array_equal(last[1], b):
            return last[2]
        key = new_key()
        self._last_point = (w.copy(), b.copy(), key)  # one assignment: safe across threads
        return key

    def along(self, w, b, dw, db=0.0, *, link=BINOMIAL):
        """``phi(t) -> (d/dt, d2/dt2)`` of the loss sum at ``(w + t dw, b + t db)``.

        The first ``phi(t)`` is one pass; with ``"cached_chunks"`` it keeps the logits and
        their change along the direction with each chunk, and every further ``phi(t)``
        costs O(n_samples) and no pass over X; without, each ``phi(t)`` is one pass.
        """
        task = LineTask(link, w, b, dw, db, dtype=self.dtype)

        def phi(t):
            task.t = float(t)
            return self.aggregate(task)

        return phi

    def gram(self):
        """``[X 1]^T diag(s) [X 1]`` in float64, shape (n_features + 1, n_features + 1)."""
        return self.aggregate(GramTask())

    def gram_matvec(self, v_w, v_b=0.0):
        """``[X 1]^T diag(s) [X 1] v`` as ``(vec_w, vec_b)``, one pass, no matrix formed."""
        return self.aggregate(GramMatvecTask(v_w, v_b))

    def every(self, step) -> Source:
        """The rows ``0, step, 2 step, ...`` as a source (``"row_sampling"`` sources)."""
        raise InvalidParameterError(
            f"{type(self).__name__} cannot sample rows (it has no 'row_sampling' capability)."
        )

    def compact(self) -> Source:
        """These rows laid out for many passes, where a copy pays (in memory: a C-ordered
        copy of a strided row sample, which the compiled loops take); by default the source
        itself."""
        return self

    def stats_and_sample(self, w, b, step, *, link=BINOMIAL):
        """``(stats(w, b) with the gradient, every(step).stats(w, b) with the Hessian)``;
        one pass where the source has ``"fused_sample"``, else two."""
        full = self.stats(w, b, link=link, need_grad=True)
        return full, self.every(step).stats(w, b, link=link, need_grad=False, need_hess=True)
