"""The softmax kernel: the seeds' graph with K outputs, over a chunk of rows.

For ``K`` classes the graph of one example generalises node by node::

    z = W^T x + b        (K,)     linear node, W of shape (n, K), b of shape (K,)
    a = softmax(z)       (K,)     a_k = exp(z_k) / sum_m exp(z_m)
    L = -sum_k y_k log a_k = logsumexp(z) - z_y     (y one-hot)

and the chain rule gives the same fused form as the binary case (seed 003, component 3)::

    dL/dz = a - y,     dL/dW = x (a - y)^T,     dL/db = a - y

The loss is computed from the logits as ``max(z) + log(sum exp(z - max(z))) - z_y``, never
as ``log(softmax(z))``, so it is exact at any scale of ``z``. The Hessian of ``L`` in ``z``
is ``diag(a) - a a^T``, so for a direction ``V`` (n, K), ``v_b`` (K,) with ``u = V^T x + v_b``
the Hessian-vector product of the loss sum is::

    D_i = s_i (a_i * (u_i - a_i . u_i))      (K,)   per row
    (H v)_W = X^T D        (H v)_b = sum_i D_i

one pass over the rows (two products with X), never the ``((n + 1) K)^2`` matrix. Rows are
laid out as in :class:`~logistic._kernel._stats.ChunkStats`: ``W`` raveled in C order, then
``b``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import DataError
from . import _compiled
from ._compiled import EMPTY
from ._linalg import matmat, rmatmat_add, squared
from ._stats import scratch_array

__all__ = [
    "add_stats",
    "curvature",
    "curvature_matvec",
    "line_sums",
    "logits_pair",
    "probabilities",
]

# Elements of the (rows, (n + 1) K) work arrays of the explicit Hessian per block: ~16 MiB.
_BLOCK_ELEMENTS = 1 << 21


def logits(X, W, b, offset, out=None):
    """``Z = X W + b (+ offset)``, shape (m, K), in the dtype of ``X`` (into ``out``, see
    :func:`~logistic._kernel._linalg.matmat`, when it is given)."""
    Z = matmat(X, W, out)
    Z += np.asarray(b).astype(Z.dtype, copy=False)
    if offset is not None:
        Z += offset.astype(Z.dtype, copy=False)
    return Z


def probabilities(Z):
    """``(A, lse)``: row-wise ``softmax(Z)`` and ``logsumexp(Z)``, stable at any scale.

    ``A`` is a new array in the dtype of ``Z``; ``lse`` (m,) likewise.
    """
    zmax = Z.max(axis=1, keepdims=True)
    A = np.subtract(Z, zmax)
    np.exp(A, out=A)
    total = A.sum(axis=1, keepdims=True)
    A /= total
    lse = zmax[:, 0] + np.log(total[:, 0])
    return A, lse


def _weights(s, dtype):
    return None if s is None else s.astype(dtype, copy=False)[:, None]


def column_sums(M):
    """``M.sum(axis=0)`` of an (m, K) array in float64: a matrix-vector product, since
    NumPy's reduction along the rows of a C-ordered array with few columns is slow (an
    (11901, 6) float64 array: 260 us against 38)."""
    if M.dtype == np.float64:
        return np.ones(M.shape[0]) @ M
    return np.einsum("ik->k", M, dtype=np.float64)


def _class_indices(y, K):
    """``y`` as indices (intp) after checking that each is one of ``0 .. K-1``: the compiled
    loops index the logits with them unchecked, and NumPy would wrap a negative one."""
    if y.size and not (y.min() >= 0 and y.max() < K):  # NaN fails both
        raise DataError(
            f"y holds class indices 0 .. {K - 1} for a model of {K} classes; got values "
            f"from {y.min()} to {y.max()} (a source's y indexes its classes_)."
        )
    return y.astype(np.intp, copy=False)


def _no_weights(s):
    """``s``, or the compiled loops' empty stand-in for no weights."""
    return EMPTY[np.dtype(np.float64)] if s is None else s


def add_stats(acc, X, y, W, b, s, o, need_grad, need_hess, compiled_min=None):
    """Add one block's softmax sums into ``acc`` (an accumulator with ``n_out = K``).

    ``y`` holds class indices 0 .. K-1 (in any numeric dtype; anything else is a
    :class:`~logistic.errors.DataError`), ``W`` is (n, K), ``b`` (K,), ``o``
    (m, K) or None. ``compiled_min`` is the binomial kernel's (the products with X here are
    SciPy's and BLAS's; only the pointwise step is compiled).
    """
    m, n = X.shape
    K = W.shape[1]
    kern = None if need_hess else _compiled.get_softmax_rows()
    yi = _class_indices(y, K)
    Z = logits(X, W, b, o, None if kern is None else acc.buffer("z", (m, K), X.dtype))
    if kern is not None:
        gb = acc.grad_b if need_grad else np.zeros(K)
        loss = kern(Z, yi, _no_weights(s), bool(need_grad), gb)  # Z becomes s (a - y)
        acc.add_rows(loss, m, s)
        if need_grad:
            rmatmat_add(X, Z, acc.grad_w.reshape(n, K))
        return
    A, lse = probabilities(Z)
    rows = np.arange(m)
    losses = lse - Z[rows, yi]
    if s is None:
        acc.add_rows(np.sum(losses, dtype=np.float64), m, None)
    else:
        acc.add_rows(losses.astype(np.float64) @ s.astype(np.float64), m, s)
    if need_grad:
        R = A.copy() if need_hess else A
        R[rows, yi] -= 1  # dL/dz = a - y
        if s is not None:
            R *= _weights(s, R.dtype)
        rmatmat_add(X, R, acc.grad_w.reshape(n, K))
        acc.grad_b += column_sums(R)
    if need_hess == "diag":
        h = A * (1 - A)
        if s is not None:
            h *= _weights(s, h.dtype)
        rmatmat_add(squared(X), h, acc.hess[: n * K].reshape(n, K))
        acc.hess[n * K :] += column_sums(h)
    elif need_hess:
        step = max(256, _BLOCK_ELEMENTS // ((n + 1) * K))
        for start in range(0, m, step):
            sl = slice(start, min(start + step, m))
            acc.hess += _hessian(X[sl], A[sl], None if s is None else s[sl])


def _hessian(X, A, s):
    """``sum_i s_i x1_i x1_i^T (x) (diag(a_i) - a_i a_i^T)`` for ``x1 = [x, 1]``.

    Block ``(k, l)`` (``n1 x n1``, ``n1 = n + 1``) is ``X1^T diag(c_kl) X1`` with ``c_kk =
    s a_k (1 - a_k)`` and ``c_kl = -s a_k a_l``: each the symmetric rank update (BLAS
    ``syrk``) of ``sqrt(|c_kl|) X1``, ``n1^2`` flops a row. The rows of ``diag(a) - a a^T``
    sum to zero, so the blocks of one class ``r`` follow from the others (``(k, r) =
    -sum_{l != r} (k, l)``): ``K (K - 1) / 2`` updates, ``n1^2 K (K - 1) / 2`` flops a row
    against ``(n1 K)^2 + 2 n1^2 K`` for the Gram matrix of the rows ``x1 (x) a`` (K = 5:
    10 n1^2 against 35 n1^2), and no work array wider than ``X1``. ``r`` is the class of
    the largest probabilities, whose blocks are the largest, so that the rounding of the
    subtraction is small against them.
    """
    m, K = A.shape
    n1 = X.shape[1] + 1
    A64 = A.astype(np.float64)
    sa = A64 if s is None else A64 * s[:, None]
    X1 = np.empty((m, n1), dtype=np.float64)
    X1[:, :-1] = X.toarray() if sp.issparse(X) else X
    X1[:, -1] = 1.0
    r = int(np.argmax(A64.sum(axis=0)))
    keep = [k for k in range(K) if k != r]
    H4 = np.empty((n1, K, n1, K))
    scaled = np.empty_like(X1)
    for i, k in enumerate(keep):
        for j in keep[i:]:
            c = sa[:, k] * (1.0 - A64[:, k]) if k == j else sa[:, k] * A64[:, j]
            np.multiply(X1, np.sqrt(c)[:, None], out=scaled)
            G = scaled.T @ scaled  # NumPy calls syrk for a product with its own transpose
            if k != j:
                np.negative(G, out=G)
                H4[:, j, :, k] = G  # each block is symmetric: (j, k) = (k, j)^T = (k, j)
            H4[:, k, :, j] = G
    for k in keep:
        H4[:, k, :, r] = -sum(H4[:, k, :, j] for j in keep)
        H4[:, r, :, k] = H4[:, k, :, r]
    H4[:, r, :, r] = -sum(H4[:, k, :, r] for k in keep)
    return H4.reshape(n1 * K, n1 * K)


def curvature(X, W, b, s, o):
    """What a Hessian-vector product at ``(W, b)`` needs from a block: ``A``, the softmax
    probabilities (m, K) in the dtype of ``X`` (one read of X)."""
    A, _ = probabilities(logits(X, W, b, o))
    return A


def curvature_matvec(X, A, s, V, v_b, out_w, out_b, scratch=None):
    """Add ``(H v)_W`` (n K,) raveled and ``(H v)_b`` (K,) of the block's loss sum into
    ``out_w`` and ``out_b``, from its probabilities ``A`` (:func:`curvature`): two products
    with X (module docstring) and the pointwise step between them (compiled where numba is
    installed), through a reused (m, K) buffer kept on ``scratch`` (or a new one)."""
    m, K = A.shape
    U = matmat(X, V, scratch_array(scratch, "u", (m, K), X.dtype))
    kern = _compiled.get_softmax_hessp_rows()
    if kern is not None:
        kern(A, U, np.asarray(v_b, dtype=np.float64), _no_weights(s), out_b)  # U becomes D
    else:
        U += np.asarray(v_b).astype(U.dtype, copy=False)
        au = np.einsum("ik,ik->i", A, U)
        U -= au[:, None]
        U *= A
        if s is not None:
            U *= _weights(s, U.dtype)
        out_b += column_sums(U)
    rmatmat_add(X, U, out_w.reshape(X.shape[1], K))


def logits_pair(X, W, b, dW, db, offset):
    """``(Z, U)``: the logits at ``(W, b)`` and their change ``X dW + db`` along a direction."""
    Z = logits(X, W, b, offset)
    U = matmat(X, dW)
    U += np.asarray(db).astype(U.dtype, copy=False)
    return Z, U


def line_sums(Z, U, y, s, t):
    """``(sum s (a - y) . u, sum s u^T (diag(a) - a a^T) u)`` at the logits ``Z + t U``: the
    first two derivatives of the data term along a direction, O(m K) per trial ``t``."""
    A, _ = probabilities(Z + t * U)
    yi = _class_indices(y, A.shape[1])
    au = np.einsum("ik,ik->i", A, U).astype(np.float64)
    au2 = np.einsum("ik,ik,ik->i", A, U, U).astype(np.float64)
    uy = U[np.arange(U.shape[0]), yi].astype(np.float64)
    d1 = au - uy
    d2 = au2 - au * au
    if s is None:
        return float(d1.sum()), float(d2.sum())
    s = s.astype(np.float64)
    return float(d1 @ s), float(d2 @ s)
