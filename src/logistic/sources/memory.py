"""In-memory dense or sparse rows, fed to the kernel in cache-sized blocks of rows."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..kernel import ChunkStats, chunk_gram, chunk_gram_matvec, chunk_stats

__all__ = ["InMemorySource"]

# Rows per block: about 4 MiB of X per block keeps z, a and r in cache beside it.
_BLOCK_BYTES = 1 << 22


class InMemorySource:
    """Rows held in memory: a NumPy array (C or F order) or a SciPy sparse matrix.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features), float32 or float64
        Used as given: never copied, never converted.
    y : ndarray of shape (n_samples,)
        Labels in {0, 1}, in the dtype of ``X``.
    sample_weight : ndarray of shape (n_samples,) or None
    offset : ndarray of shape (n_samples,) or None
    block_rows : int or None
        Rows per kernel call; None picks about 4 MiB of ``X`` per block.
    """

    def __init__(self, X, y, sample_weight=None, offset=None, *, block_rows=None):
        self.X = X
        self.y = y
        self.sample_weight = sample_weight
        self.offset = offset
        self.n_samples, self.n_features = X.shape
        self.dtype = X.dtype
        self.weight_sum = (
            float(self.n_samples)
            if sample_weight is None
            else float(np.sum(sample_weight, dtype=np.float64))
        )
        if block_rows is None:
            row_bytes = max(1, self.n_features * X.dtype.itemsize)
            if sp.issparse(X):
                row_bytes = max(1, X.nnz * (X.dtype.itemsize + 4) // max(1, self.n_samples))
            block_rows = max(256, _BLOCK_BYTES // row_bytes)
        self.block_rows = int(block_rows)

    def _blocks(self):
        n, step = self.n_samples, self.block_rows
        for start in range(0, n, step):
            sl = slice(start, min(start + step, n))
            yield (
                self.X[sl],
                self.y[sl],
                None if self.sample_weight is None else self.sample_weight[sl],
                None if self.offset is None else self.offset[sl],
            )

    def stats(self, w, b=0.0, *, need_grad=True, need_hess=False) -> ChunkStats:
        """One pass over the rows: the kernel's sums over every block, added."""
        total = None
        for X, y, s, off in self._blocks():
            part = chunk_stats(X, y, w, b, s, off, need_grad=need_grad, need_hess=need_hess)
            total = part if total is None else total + part
        return total

    def _weights(self, s, m):
        return np.ones(m, dtype=self.dtype) if s is None else s

    def gram(self) -> np.ndarray:
        """``[X 1]^T diag(s) [X 1]`` in float64, shape (n_features + 1, n_features + 1)."""
        total = None
        for X, _, s, _ in self._blocks():
            part = chunk_gram(X, self._weights(s, X.shape[0]))
            total = part if total is None else total + part
        return total

    def gram_matvec(self, v_w, v_b=0.0):
        """``[X 1]^T diag(s) [X 1] v`` as ``(vec_w, vec_b)``, one pass, no matrix formed."""
        acc_w = np.zeros(self.n_features)
        acc_b = 0.0
        for X, _, s, _ in self._blocks():
            pw, pb = chunk_gram_matvec(X, self._weights(s, X.shape[0]), v_w, v_b)
            acc_w += pw
            acc_b += pb
        return acc_w, acc_b

    def take(self, indices) -> InMemorySource:
        """The rows ``indices`` as a new source (a copy of those rows only)."""
        return InMemorySource(
            self.X[indices],
            self.y[indices],
            None if self.sample_weight is None else self.sample_weight[indices],
            None if self.offset is None else self.offset[indices],
            block_rows=self.block_rows,
        )

    def minibatches(self, batch_size, rng):
        """One epoch: the rows shuffled by ``rng``, cut into sources of ``batch_size`` rows."""
        order = rng.permutation(self.n_samples)
        for start in range(0, self.n_samples, batch_size):
            yield self.take(np.sort(order[start : start + batch_size]))
