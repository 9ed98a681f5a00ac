"""The seeds' vectorised step as one pure function over a chunk of rows.

For a chunk ``X`` of shape (m, n), labels ``y`` in {0, 1}, sample weights ``s`` and
parameters ``(w, b)``, one forward and backward pass through the graph gives::

    z  = X w + b (+ offset)            (m,)      linear node
    a  = sigmoid(z)                    (m,)      activation node
    loss      = sum_i s_i L(y_i, z_i)             loss node (BCE from logits)
    r  = s * (a - y)                   (m,)      dL/dz, weighted
    grad_w    = X^T r                  (n,)      dL/dw = x (a - y), summed
    grad_b    = sum_i r_i                        dL/db = a - y, summed
    hess      = [X 1]^T diag(s a (1-a)) [X 1]    (n+1, n+1), on request

These are *sums*, not means: every executor (in-memory blocks, file batches, Dask chunks)
feeds chunks to :func:`chunk_stats` and adds the results with ``+``; the objective divides
by the total weight once. Nothing here knows where the rows come from.

Floating point: ``z``, ``a`` and ``r`` are computed in the dtype of ``X`` (float32 stays
float32; no copy of ``X`` is made), while each chunk's sums are returned in float64, so
that adding many chunks does not lose the accuracy a long float32 sum would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._math import bce, sigmoid, sigmoid_derivative

__all__ = ["ChunkStats", "chunk_gram", "chunk_gram_matvec", "chunk_stats"]


@dataclass(frozen=True, slots=True)
class ChunkStats:
    """Sums over the rows of one chunk (or of several chunks added together).

    Attributes
    ----------
    loss : float
        ``sum_i s_i * bce(y_i, z_i)``.
    weight_sum : float
        ``sum_i s_i``.
    n_rows : int
        Number of rows summed over.
    grad_w : ndarray of shape (n_features,) or None
        ``X^T (s * (a - y))`` in float64, or None when not requested.
    grad_b : float
        ``sum_i s_i (a_i - y_i)`` (0.0 when the gradient was not requested).
    hess : ndarray of shape (n_features + 1, n_features + 1) or None
        ``[X 1]^T diag(s * a * (1 - a)) [X 1]`` in float64 (the last row and column belong
        to the intercept), or None when not requested.
    """

    loss: float
    weight_sum: float
    n_rows: int
    grad_w: np.ndarray | None = None
    grad_b: float = 0.0
    hess: np.ndarray | None = None

    def __add__(self, other: ChunkStats) -> ChunkStats:
        return ChunkStats(
            loss=self.loss + other.loss,
            weight_sum=self.weight_sum + other.weight_sum,
            n_rows=self.n_rows + other.n_rows,
            grad_w=_add_optional(self.grad_w, other.grad_w),
            grad_b=self.grad_b + other.grad_b,
            hess=_add_optional(self.hess, other.hess),
        )


def _add_optional(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _linear(X, w, b, offset):
    """``z = X w + b (+ offset)`` in the dtype of ``X``."""
    z = X @ w.astype(X.dtype, copy=False)
    if sp.issparse(z):  # pragma: no cover - defensive, X @ 1-d vector is dense
        z = z.toarray().ravel()
    z = np.asarray(z).ravel()
    if b != 0.0:
        z += X.dtype.type(b)
    if offset is not None:
        z += offset.astype(X.dtype, copy=False)
    return z


def chunk_stats(
    X,
    y,
    w,
    b=0.0,
    sample_weight=None,
    offset=None,
    *,
    need_grad=True,
    need_hess=False,
) -> ChunkStats:
    """Loss, gradient and (optionally) Hessian sums of one chunk of rows.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (m, n), float32 or float64
        The chunk's rows; never copied or converted.
    y : ndarray of shape (m,)
        Labels in {0, 1}.
    w : ndarray of shape (n,)
        Coefficients.
    b : float
        Intercept.
    sample_weight : ndarray of shape (m,) or None
        Non-negative weights ``s``; None means all ones.
    offset : ndarray of shape (m,) or None
        A known term added to each logit.
    need_grad, need_hess : bool
        Which sums to compute beyond the loss.

    Returns
    -------
    ChunkStats
    """
    z = _linear(X, w, b, offset)
    losses = bce(y, z)
    m = z.shape[0]
    if sample_weight is None:
        loss = float(np.sum(losses, dtype=np.float64))
        weight_sum = float(m)
    else:
        loss = float(np.dot(losses.astype(np.float64), sample_weight.astype(np.float64)))
        weight_sum = float(np.sum(sample_weight, dtype=np.float64))
    grad_w = None
    grad_b = 0.0
    hess = None
    if need_grad:
        r = sigmoid(z)
        r -= y.astype(r.dtype, copy=False)  # dL/dz = a - y, the fused form
        if sample_weight is not None:
            r *= sample_weight.astype(r.dtype, copy=False)
        grad_w = np.asarray(X.T @ r, dtype=np.float64).ravel()
        grad_b = float(np.sum(r, dtype=np.float64))
    if need_hess:
        h = sigmoid_derivative(z)
        if sample_weight is not None:
            h *= sample_weight.astype(h.dtype, copy=False)
        hess = chunk_gram(X, h)
    return ChunkStats(loss, weight_sum, m, grad_w, grad_b, hess)


def chunk_gram(X, h) -> np.ndarray:
    """``[X 1]^T diag(h) [X 1]`` in float64, of shape (n + 1, n + 1).

    With ``h = s a (1 - a)`` it is the chunk's Hessian of the weighted BCE sum; with
    ``h = s`` it is the weighted Gram matrix used to bound the Lipschitz constant.
    """
    n = X.shape[1]
    out = np.empty((n + 1, n + 1), dtype=np.float64)
    if sp.issparse(X):
        Xh = sp.csr_matrix(X.multiply(h.reshape(-1, 1)))
        out[:n, :n] = (X.T @ Xh).toarray()
        col = np.asarray(Xh.sum(axis=0), dtype=np.float64).ravel()
    else:
        Xh = X * h[:, None].astype(X.dtype, copy=False)
        out[:n, :n] = X.T @ Xh
        col = np.sum(Xh, axis=0, dtype=np.float64)
    out[:n, n] = col
    out[n, :n] = col
    out[n, n] = float(np.sum(h, dtype=np.float64))
    return out


def chunk_gram_matvec(X, h, v_w, v_b=0.0):
    """``[X 1]^T diag(h) [X 1] v`` without forming the matrix; returns (vec_w, vec_b).

    Used for Hessian-vector products and power iterations when ``n`` is too large for the
    explicit ``(n + 1)^2`` matrix.
    """
    t = _linear(X, v_w, v_b, None)
    t *= h.astype(t.dtype, copy=False)
    return np.asarray(X.T @ t, dtype=np.float64).ravel(), float(np.sum(t, dtype=np.float64))
