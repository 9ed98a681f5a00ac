"""The kernels: pure functions over a chunk of rows that return (or add) sums.

Every full-batch quantity of the objective is a sum over rows, so the heart of the library is
one kernel per link over a chunk of rows, and everything that holds data (the executors in
:mod:`logistic.sources`) only feeds chunks to it and adds the results:

- :mod:`._binomial` the seeds' vectorised step for two classes (loss, ``X^T (a - y)``,
  the Hessian ``[X 1]^T diag(a (1 - a)) [X 1]``, curvatures and line-search sums), with
- :mod:`._compiled`, its numba row loops (one read of ``X`` a pass);
- :mod:`._softmax` the same for ``K`` classes, with a one-pass Hessian-vector product;
- :mod:`._linalg` dense and CSR products in the block's dtype;
- :mod:`._stats` the sums (:class:`ChunkStats`) and the in-place :class:`Accumulator`.

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
