"""The binomial kernel: the seeds' vectorised step over a chunk of rows.

For a chunk ``X`` of shape (m, n), labels ``y`` in {0, 1}, sample weights ``s`` and
parameters ``(w, b)``, one forward and backward pass through the graph gives::

    z  = X w + b (+ offset)            (m,)      linear node
    a  = sigmoid(z)                    (m,)      activation node
    loss      = sum_i s_i L(y_i, z_i)             loss node (BCE from logits)
    r  = s * (a - y)                   (m,)      dL/dz, weighted
    grad_w    = X^T r                  (n,)      dL/dw = x (a - y), summed
    grad_b    = sum_i r_i                        dL/db = a - y, summed
    hess      = [X 1]^T diag(s a (1-a)) [X 1]    (n+1, n+1), on request

These are *sums*, not means: every executor feeds chunks and adds the results with ``+``;
the objective divides by the total weight once. ``z``, ``a`` and ``r`` are computed in the
dtype of ``X`` (float32 stays float32; no copy of ``X`` is made), each chunk's sums in
float64, so that adding many chunks does not lose the accuracy a long float32 sum would.

Fused pointwise step
--------------------
The loss, ``a - y`` and ``a (1 - a)`` all come from one exponential. With the *signed*
logit ``t = z`` for ``y = 0`` and ``t = -z`` for ``y = 1`` (so that ``L = log1pexp(t)``,
see :func:`logistic._math.bce`) and ``e = exp(-|t|)`` (never overflows), ``q = 1/(1+e)``::

    L      = max(t, 0) + log1p(e)                 (Mächler 2012, as in _math.log1pexp)
    sig(t) = q        if t >= 0  else  e q         (both branches exact, as scipy's expit)
    a - y  = sig(t)  for y = 0,   -sig(t)  for y = 1   (no cancellation for a -> 1)
    a(1-a) = e q^2                                (as _math.sigmoid_derivative, tails exact)

One ``exp`` and one ``log1p`` per row instead of the three ``exp`` (two ``expit``) and a
``log1p`` of the unfused primitives; every expression is the stable form used by
:mod:`logistic._math`, so the results agree with it to rounding. The compiled row loops
(numba) evaluate the same formulas in float64 with their own branch-free ``exp`` and
``log1p`` (``_row_terms``), which the compiler vectorises; within 1e-15 of libm's.

The Hessian block ``X^T diag(h) X`` is computed as ``(sqrt(h) X)^T (sqrt(h) X)`` by BLAS
``gemm`` on a block-sized scaled copy, never on a copy of the whole ``X``. ``syrk`` would
need half the flops, but OpenBLAS's was never faster here (one thread, 2-core AMD EPYC:
1797 x 64 234 us vs 226 us for gemm; 80,000 x 30 4.9 ms vs 3.5 ms; 8,000 x 1,000 184 ms
vs 168 ms), and gemm's full square needs no mirroring.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import _compiled
from ._compiled import EMPTY, FUSED_MIN_SIZE, compiled_ok
from ._linalg import gram_matvec, linear, matvec, rmatvec_add, squared
from ._stats import Accumulator, ChunkStats

__all__ = [
    "add_stats",
    "block_pass",
    "chunk_stats",
    "curvature",
    "curvature_matvec",
    "line_sums",
    "logits_pair",
    "pointwise",
]

_EMPTY_2D = {dt: np.empty((0, 0), dt) for dt in EMPTY}


def pointwise(z, y, need_grad, need_hess):
    """Fused stable pointwise step from the logits ``z`` (see the module docstring).

    Returns ``(losses, r, h)`` in the dtype of ``z`` (``r``, ``h`` None unless requested),
    unweighted: ``losses_i = L(y_i, z_i)``, ``r_i = a_i - y_i``, ``h_i = a_i (1 - a_i)``.
    ``z`` is left unchanged.
    """
    pos = y > 0
    t = np.negative(z, where=pos, out=z.copy())  # signed logit: L = log1pexp(t)
    e = np.abs(t)
    np.negative(e, out=e)
    np.exp(e, out=e)  # e = exp(-|t|) in (0, 1]
    losses = np.log1p(e)
    losses += np.maximum(t, 0)
    if not (need_grad or need_hess):
        return losses, None, None
    q = e + 1
    np.reciprocal(q, out=q)  # q = 1 / (1 + e)
    r = None
    if need_grad:
        r = e * q  # sig(t) for t < 0
        np.copyto(r, q, where=t >= 0)
        np.negative(r, where=pos, out=r)  # a - y = -sig(t) where y = 1
    h = None
    if need_hess:
        h = e * q
        h *= q  # e q^2 = a (1 - a), exact in the tails
    return losses, r, h


def block_pass(
    acc, X, y, w, b, sample_weight, offset, need_grad, need_hess, fused_min_size=FUSED_MIN_SIZE
):
    """Add one block's sums into ``acc`` (an :class:`~logistic._kernel._stats.Accumulator`), reading ``X`` once.

    ``X w`` and ``X^T r`` run back to back on the same cache-sized block, so the second
    product reads the block from cache rather than from memory; with numba the two are
    one compiled loop over the rows (:func:`logistic._kernel._compiled.get_fused`), for blocks of at least
    ``fused_min_size`` elements (a source whose every block must take it passes 0); so
    does a Hessian pass (``get_fused_hess``).
    """
    if (
        need_hess
        and compiled_ok(X, y, sample_weight, offset, fused_min_size)
        and _compiled.get_fused_hess() is not None
    ):
        _fused_hess_pass(acc, X, y, w, b, sample_weight, offset, need_grad, need_hess)
        return
    if not need_hess and compiled_ok(X, y, sample_weight, offset, fused_min_size):
        empty = EMPTY[X.dtype]
        if need_grad and X.dtype == np.float64:
            grad = acc.grad_w  # accumulate in place
        else:
            grad = np.zeros(X.shape[1], dtype=np.float64)
        loss, gb = _compiled.get_fused()(
            X,
            np.ascontiguousarray(y),
            empty if sample_weight is None else np.ascontiguousarray(sample_weight),
            empty if offset is None else np.ascontiguousarray(offset),
            w.astype(X.dtype, copy=False),
            X.dtype.type(b),
            bool(need_grad),
            grad,
        )
        acc.add_rows(loss, X.shape[0], sample_weight)
        if need_grad:
            if grad is not acc.grad_w:
                acc.grad_w += grad
            acc.grad_b[0] += gb
        return
    z = linear(X, w, b, offset)
    m = z.shape[0]
    losses, r, h = pointwise(z, y, need_grad, need_hess)
    if sample_weight is None:
        acc.add_rows(np.sum(losses, dtype=np.float64), m, None)
    else:
        s = sample_weight.astype(z.dtype, copy=False)
        loss = np.dot(losses.astype(np.float64), sample_weight.astype(np.float64))
        acc.add_rows(loss, m, sample_weight)
        if r is not None:
            r *= s
        if h is not None:
            h *= s
    if need_grad:
        rmatvec_add(X, r, acc.grad_w)
        acc.grad_b[0] += np.sum(r, dtype=np.float64)
    if need_hess == "diag":
        n = X.shape[1]
        Xsq = squared(X, None if sp.issparse(X) else acc.scaled_buffer(m))
        rmatvec_add(Xsq, h, acc.hess[:n])
        acc.hess[n] += float(np.sum(h, dtype=np.float64))
    elif need_hess:
        n = X.shape[1]
        hess = acc.hess
        if sp.issparse(X):
            Xh = sp.csr_matrix(X.multiply(h.reshape(-1, 1)))
            hess[:n, :n] += (X.T @ Xh).toarray()
        else:
            Xs = acc.scaled_buffer(m)
            if acc.inv_scale is None:
                np.multiply(X, np.sqrt(h)[:, None], out=Xs)
            else:  # scaled in float64, then rounded once to float32
                np.multiply(X * np.sqrt(h)[:, None], acc.inv_scale, out=Xs, casting="same_kind")
            acc.add_gram(Xs)
        col = np.zeros(n)
        rmatvec_add(X, h, col)
        hess[:n, n] += col
        hess[n, :n] += col
        hess[n, n] += float(np.sum(h, dtype=np.float64))


def logits_pair(X, w, b, dw, db, offset=None):
    """``(X w + b + offset, X dw + db)`` in the dtype of X, reading X once where the
    compiled loop applies (a C-contiguous dense block of at least ``FUSED_MIN_SIZE``
    elements; else two mat-vecs)."""
    w = np.asarray(w).astype(X.dtype, copy=False)
    dw = np.asarray(dw).astype(X.dtype, copy=False)
    pair = _compiled.get_pair() if compiled_ok(X, None, None, None) else None
    if pair is not None:
        z = np.empty(X.shape[0], dtype=X.dtype)
        u = np.empty(X.shape[0], dtype=X.dtype)
        pair(X, w, dw, z, u)
    else:
        z, u = matvec(X, w), matvec(X, dw)
    z += X.dtype.type(b)
    if offset is not None:
        z += offset.astype(X.dtype, copy=False)
    u += X.dtype.type(db)
    return z, u


def line_sums(z, u, y, sample_weight, t):
    """``(sum s (a - y) u, sum s a (1 - a) u^2)`` at the logits ``z + t u``.

    The first two derivatives of the data term of ``phi(t) = f(p + t d)``, from the logits
    ``z`` at ``p`` and ``u = [X 1] d`` (shape (m,), in the dtype of X; the sums in
    float64): an exact line search along a
    Newton direction costs O(m) per trial step, no pass over X (and no ``log1p``: the
    search needs no values). The compiled loop is taken once the passes loaded numba, or for
    a block of at least ``FUSED_MIN_SIZE`` rows; a small fit never loads it for this.
    """
    kern = None
    if _compiled.loaded() or z.shape[0] >= FUSED_MIN_SIZE:
        kern = _compiled.get_line()
    if kern is not None and y.dtype in EMPTY:
        s = EMPTY[y.dtype] if sample_weight is None else sample_weight.astype(y.dtype, copy=False)
        d1, d2 = kern(z, u, y, s, float(t))
        return float(d1), float(d2)
    u = np.asarray(u, dtype=np.float64)
    _, r, h = pointwise(z + t * u, np.asarray(y, dtype=np.float64), True, True)
    if sample_weight is not None:
        s = np.asarray(sample_weight, dtype=np.float64)
        r, h = r * s, h * s
    return float(r @ u), float((h * u) @ u)


def _fused_hess_pass(acc, X, y, w, b, sample_weight, offset, need_grad, need_hess):
    """``block_pass`` with a Hessian (full or "diag") through the compiled row loop."""
    m, n = X.shape
    empty = EMPTY[X.dtype]
    full = need_hess != "diag"
    grad = np.zeros(n)
    col = np.zeros(n)
    Xs = acc.scaled_buffer(m) if full else _EMPTY_2D[X.dtype]
    diag = EMPTY[np.dtype(np.float64)] if full else np.zeros(n)
    inv = EMPTY[np.dtype(np.float64)] if acc.inv_scale is None else acc.inv_scale
    loss, gb, hsum = _compiled.get_fused_hess()(
        X,
        np.ascontiguousarray(y),
        empty if sample_weight is None else np.ascontiguousarray(sample_weight),
        empty if offset is None else np.ascontiguousarray(offset),
        w.astype(X.dtype, copy=False),
        X.dtype.type(b),
        inv,
        grad,
        col,
        Xs,
        diag,
    )
    acc.add_rows(loss, m, sample_weight)
    if need_grad:
        acc.grad_w += grad
        acc.grad_b[0] += gb
    hess = acc.hess
    if full:
        acc.add_gram(Xs)
        hess[:n, n] += col
        hess[n, :n] += col
        hess[n, n] += float(hsum)
    else:
        hess[:n] += diag
        hess[n] += float(hsum)


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
    gram_scale=None,
) -> ChunkStats:
    """Loss, gradient and (optionally) Hessian sums of one chunk of rows.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (m, n), float32 or float64
        The chunk's rows; never copied or converted (C or F order).
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
    need_grad : bool
        Whether to compute the gradient sums.
    need_hess : bool or "diag"
        Whether to compute the Hessian sums; "diag" for only their diagonal.
    gram_scale : ndarray of shape (n,) or None
        With ``need_hess=True`` and dense ``X``: form ``X^T diag(h) X`` from float32
        products of the columns divided by these positive scales, multiplied back in
        float64 (BLAS's float32 rate is twice its float64 rate). Relative error about
        ``1e-6`` of the equilibrated matrix when the scales are the columns' curvature
        (``sqrt`` of the Hessian's diagonal times the weight): good for a Newton direction
        (:func:`logistic.solvers.newton`), not for inference. Ignored for CSR blocks.

    Returns
    -------
    ChunkStats
    """
    acc = Accumulator(
        X.shape[1], X.dtype, need_grad, need_hess, sp.issparse(X), gram_scale=gram_scale
    )
    block_pass(acc, X, y, w, b, sample_weight, offset, need_grad, need_hess)
    return acc.result()


def curvature(X, w, b, sample_weight=None, offset=None):
    """``h = s a (1 - a)`` per row at ``(w, b)``, in the dtype of ``X`` (one read of X)."""
    z = linear(X, np.asarray(w), b, offset)
    _, _, h = pointwise(z, np.zeros(1, dtype=z.dtype), False, True)
    if sample_weight is not None:
        h *= sample_weight.astype(h.dtype, copy=False)
    return h


# -- the kernel protocol (logistic._kernel): what the binomial link's tasks call ----------
add_stats = block_pass


def curvature_matvec(X, h, s, v_w, v_b, out_w, out_b, scratch=None):
    """Add ``[X 1]^T diag(h) [X 1] v`` for the rows' curvatures ``h`` (:func:`curvature`,
    the weights already in) into ``out_w`` (n,) and ``out_b`` (1,)."""
    del s, scratch  # the weights are in h; the products need no buffer of X's size
    _, vb = gram_matvec(X, h, v_w, v_b, out=out_w)
    out_b[0] += vb
