"""The sums a pass over rows produces, and the accumulator the kernels add them into."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Accumulator", "ChunkStats", "gram64", "scratch_array"]


@dataclass(frozen=True, slots=True)
class ChunkStats:
    """Sums over the rows of one chunk (or of several chunks added together).

    The parameters are laid out as ``p = [W.ravel(); b]`` with ``W`` of shape
    (n_features, n_out) in C order and ``b`` of shape (n_out,): ``n_out`` is 1 for the
    binomial model (``W`` is the coefficient vector ``w``) and ``K`` for the softmax one.

    Attributes
    ----------
    loss : float
        ``sum_i s_i L(y_i, z_i)``.
    weight_sum : float
        ``sum_i s_i``.
    n_rows : int
        Number of rows summed over.
    grad_w : ndarray of shape (n_features * n_out,) or None
        ``X^T (s * (a - y))`` (raveled in C order) in float64, or None when not requested.
    grad_b : ndarray of shape (n_out,) or None
        ``sum_i s_i (a_i - y_i)``; None when the gradient was not requested.
    hess : ndarray of shape (P, P), (P,) or None, ``P = (n_features + 1) n_out``
        The Hessian of the loss sum in the layout of ``p`` (the intercepts last), in
        float64; only its diagonal when requested with ``need_hess="diag"`` (Newton-CG's
        Jacobi preconditioner); None when not requested.
    """

    loss: float
    weight_sum: float
    n_rows: int
    grad_w: np.ndarray | None = None
    grad_b: np.ndarray | None = None
    hess: np.ndarray | None = None

    def __add__(self, other: ChunkStats) -> ChunkStats:
        return ChunkStats(
            loss=self.loss + other.loss,
            weight_sum=self.weight_sum + other.weight_sum,
            n_rows=self.n_rows + other.n_rows,
            grad_w=_add_optional(self.grad_w, other.grad_w),
            grad_b=_add_optional(self.grad_b, other.grad_b),
            hess=_add_optional(self.hess, other.hess),
        )


def _add_optional(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def gram64(P):
    """``P^T P`` in float64; float32 blocks multiplied ``Accumulator.F32_GRAM_ROWS`` rows at a
    time, so that long float32 sums never build up."""
    if P.dtype == np.float64:
        return P.T @ P
    out = np.zeros((P.shape[1], P.shape[1]))
    step = Accumulator.F32_GRAM_ROWS
    for start in range(0, P.shape[0], step):
        part = P[start : start + step]
        out += part.T @ part
    return out


def scratch_array(holder, name, shape, dtype):
    """A C-ordered array of ``shape`` and ``dtype`` with undefined contents, kept on
    ``holder`` (any object with attributes, such as a source's per-thread
    ``threading.local``) under ``name`` and reused by later calls that fit in it; a new
    array when ``holder`` is None.

    Reused memory is already mapped: a new array of a few hundred KiB or more comes from
    fresh pages, whose first touch can cost more than a sparse product over them.
    """
    dtype = np.dtype(dtype)
    size = math.prod(shape)
    if holder is None:
        return np.empty(shape, dtype=dtype)
    key = f"buf_{name}_{dtype.char}"
    buf = getattr(holder, key, None)
    if buf is None or buf.shape[0] < size:
        buf = np.empty(size, dtype=dtype)
        setattr(holder, key, buf)
    return buf[:size].reshape(shape)


class Accumulator:
    """In-place float64 sums of one or many blocks (one per thread in a source).

    Parameters
    ----------
    n : int
        Features.
    dtype : numpy dtype
        Of the blocks (their scratch copies are made in it).
    need_grad : bool
    need_hess : bool or "diag"
    sparse : bool
        Whether the blocks are CSR (no float32 Gram products for them).
    scratch : object or None
        A holder whose attributes keep scratch blocks across passes (an in-memory
        source's per-thread ``threading.local``, freed with the source); None keeps them
        on the accumulator.
    gram_scale : ndarray of shape (n,) or None
        Form the Hessian's Gram part from float32 products of the columns divided by these
        scales (dense blocks, full Hessian only; see :func:`logistic._kernel.chunk_stats`).
    n_out : int, default=1
        Outputs per row: 1 (binomial) or the number of classes (softmax).
    """

    F32_GRAM_ROWS = 1 << 16

    def __init__(
        self, n, dtype, need_grad, need_hess, sparse, scratch=None, gram_scale=None, n_out=1
    ):
        self.n = n
        self.n_out = n_out
        self._scratch = scratch
        self.dtype = np.dtype(dtype)
        self.gram_scale = None
        self.inv_scale = None
        if gram_scale is not None and need_hess is True and not sparse and n_out == 1:
            self.gram_scale = np.asarray(gram_scale, dtype=np.float64)
            self.inv_scale = 1.0 / self.gram_scale
            self.dtype = np.dtype(np.float32)  # the scaled block's dtype
        self.loss = 0.0
        self.weight_sum = 0.0
        self.n_rows = 0
        self.grad_w = np.zeros(n * n_out) if need_grad else None
        self.grad_b = np.zeros(n_out) if need_grad else None
        self.diag_only = need_hess == "diag"
        size = (n + 1) * n_out
        if not need_hess:
            self.hess = None
        else:
            self.hess = np.zeros(size) if self.diag_only else np.zeros((size, size))

    def add_rows(self, loss, m, sample_weight):
        """Count ``m`` rows with their (weighted) loss sum; their weight ``sum(s)`` or ``m``."""
        self.loss += float(loss)
        self.n_rows += m
        self.weight_sum += (
            float(m) if sample_weight is None else float(np.sum(sample_weight, dtype=np.float64))
        )

    def scaled_buffer(self, m):
        """A C-ordered (m, n) scratch block in the dtype of X (see :func:`scratch_array`):
        fresh pages cost more than the scaling itself on small data (digits, 1797 x 64:
        45 us into new memory, 15 us into used)."""
        return self.buffer("x", (m, self.n), self.dtype)

    def buffer(self, name, shape, dtype):
        """A C-ordered scratch array reused across blocks, and across passes when the
        accumulator was given a ``scratch`` holder (:func:`scratch_array`)."""
        return scratch_array(self if self._scratch is None else self._scratch, name, shape, dtype)

    def add_gram(self, Xs):
        """``hess[:n, :n] += Xs^T Xs`` for a C-ordered block ``Xs`` of shape (m, n), the
        scales multiplied back (``c_j c_k``) when the block was scaled."""
        G = gram64(Xs)
        if self.gram_scale is not None:
            G *= self.gram_scale[:, None]
            G *= self.gram_scale[None, :]
        self.hess[: self.n, : self.n] += G

    def result(self) -> ChunkStats:
        hess = self.hess
        if hess is not None and not self.diag_only:
            # gemm's square is symmetric only to rounding: make it exactly so
            k = self.n if self.n_out == 1 else hess.shape[0]
            block = hess[:k, :k]
            block[...] = 0.5 * (block + block.T)
        return ChunkStats(self.loss, self.weight_sum, self.n_rows, self.grad_w, self.grad_b, hess)
