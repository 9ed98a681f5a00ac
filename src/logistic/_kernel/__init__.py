"""The kernels: pure functions over a chunk of rows that return (or add) sums.

Every full-batch quantity of the objective is a sum over rows, so the heart of the library is
one kernel per link over a chunk of rows, and everything that holds data (the executors in
:mod:`logistic.sources`) only feeds chunks to it and adds the results:

- :mod:`._binomial` the seeds' vectorised step for two classes (loss, ``X^T (a - y)``,
  the Hessian ``[X 1]^T diag(a (1 - a)) [X 1]``, curvatures and line-search sums), with
- :mod:`._compiled`, its numba row loops (one read of ``X`` a pass), and the softmax's
  compiled pointwise steps;
- :mod:`._softmax` the same for ``K`` classes, with a one-pass Hessian-vector product;
- :mod:`._linalg` dense and CSR products in the block's dtype;
- :mod:`._stats` the sums (:class:`ChunkStats`) and the in-place :class:`Accumulator`.

Each link's kernel module offers the same functions (the kernel protocol the tasks of
:mod:`logistic.sources._tasks` call through ``link.kernel``), its parameters in the link's
``kernel_params`` form:

- ``add_stats(acc, X, y, w, b, s, o, need_grad, need_hess, compiled_min)``: add one block's
  loss, gradient and Hessian (or its diagonal) into an :class:`Accumulator`;
- ``curvature(X, w, b, s, o)`` and ``curvature_matvec(X, h, s, v_w, v_b, out_w, out_b,
  scratch)``: what a Hessian-vector product needs from a block at ``(w, b)``, then the
  product itself added into float64 ``out_w``, ``out_b`` (one pass, never the Hessian;
  ``scratch`` a holder of reused buffers, or None);
- ``logits_pair(X, w, b, dw, db, o)`` and ``line_sums(z, u, y, s, t)``: the logits and
  their change along a direction, then the loss sum's first two derivatives at step ``t``.

Nothing here knows where the rows come from.
"""

from ._binomial import chunk_stats, line_sums, logits_pair
from ._compiled import use_backend
from ._linalg import gram_matvec, weighted_gram
from ._stats import Accumulator, ChunkStats

__all__ = [
    "Accumulator",
    "ChunkStats",
    "chunk_stats",
    "gram_matvec",
    "line_sums",
    "logits_pair",
    "use_backend",
    "weighted_gram",
]
