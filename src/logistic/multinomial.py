"""Multinomial (softmax) logistic regression: the seeds' graph with K outputs.

For ``K`` classes the graph of one example generalises node by node::

    z = W^T x + b        (K,)     linear node, W of shape (n, K), b of shape (K,)
    a = softmax(z)       (K,)     a_k = exp(z_k) / sum_m exp(z_m)
    L = -sum_k y_k log a_k = logsumexp(z) - z_y     (y one-hot)

and the chain rule gives the same fused form as the binary case (seed 003, component 3)::

    dL/da_k = -y_k / a_k,    da_k/dz_m = a_k (delta_km - a_m),    dL/dz = a - y
    dL/dW = x (a - y)^T,     dL/db = a - y

The loss is computed from the logits with ``logsumexp`` (never ``log(softmax(z))``), so it
is exact at any scale of ``z``.

Parameters travel as one vector ``p = [W; b].ravel()`` (C order): ``W[j, k]`` at
``j K + k`` and ``b_k`` at ``n K + k``. The mean-form objective and its penalty are those
of :mod:`logistic.objective` applied to every entry of ``W`` (scikit-learn's multinomial
parametrisation: all ``K`` columns, penalised symmetrically; the intercepts are not).

The model is invariant to adding one constant to every class's logit. The data term's
Hessian therefore has null directions: the intercepts' ``(1, ..., 1)`` and, without a
penalty, every feature's ``e_j (x) (1, ..., 1)``. The gradient is always orthogonal to them,
so gradient-based solvers started at 0 never move along them (``sum_k b_k = 0`` stays
true, as in scikit-learn). :meth:`MultinomialObjective.grad_hess` adds the projector onto
those directions to the Hessian, which leaves every Newton step in the identifiable subspace
unchanged and makes the Cholesky factorisation exist.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import scipy.sparse as sp
from scipy.special import logsumexp

from .kernel import ChunkStats
from .objective import Objective

__all__ = ["MultinomialObjective", "chunk_stats_multinomial", "softmax"]


def softmax(Z):
    """Row-wise softmax of ``Z`` (m, K), stable: ``exp(Z - logsumexp(Z))``."""
    Z = np.asarray(Z)
    return np.exp(Z - logsumexp(Z, axis=1, keepdims=True))


def _logits(X, W, b, offset):
    Z = X @ W.astype(X.dtype, copy=False)
    Z = np.asarray(Z)
    Z = Z + b.astype(Z.dtype, copy=False)
    if offset is not None:
        Z = Z + offset.astype(Z.dtype, copy=False)
    return Z


# Elements of the (rows, (n + 1) K) work arrays of the Hessian per block: ~16 MiB.
_BLOCK_ELEMENTS = 1 << 21


def chunk_stats_multinomial(
    X, y, W, b, sample_weight=None, offset=None, *, need_grad=True, need_hess=False
) -> ChunkStats:
    """Loss, gradient and Hessian sums of one chunk for the softmax model.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (m, n)
    y : ndarray of shape (m,)
        Class indices in ``0 .. K-1`` (any numeric dtype holding integers).
    W : ndarray of shape (n, K)
    b : ndarray of shape (K,)
    sample_weight : ndarray of shape (m,) or None
    offset : ndarray of shape (m, K) or None

    Returns
    -------
    ChunkStats
        ``grad_w`` of shape (n * K,) (``W``'s gradient raveled in C order), ``grad_b`` of
        shape (K,), ``hess`` of shape ((n + 1) K, (n + 1) K) ordered like
        ``[W; b].ravel()``.

    Any number of rows may be passed: they are processed in blocks whose work arrays stay
    near 16 MiB, so every executor can hand over whole chunks.
    """
    m_all = X.shape[0]
    rows = max(256, _BLOCK_ELEMENTS // ((X.shape[1] + 1) * W.shape[1]))
    if m_all > rows:
        total = None
        for start in range(0, m_all, rows):
            sl = slice(start, min(start + rows, m_all))
            part = _chunk_stats_multinomial(
                X[sl],
                y[sl],
                W,
                b,
                None if sample_weight is None else sample_weight[sl],
                None if offset is None else offset[sl],
                need_grad,
                need_hess,
            )
            total = part if total is None else total + part
        return total
    return _chunk_stats_multinomial(X, y, W, b, sample_weight, offset, need_grad, need_hess)


def _chunk_stats_multinomial(X, y, W, b, sample_weight, offset, need_grad, need_hess):
    Z = _logits(X, W, b, offset)
    m = Z.shape[0]
    yi = np.asarray(y).astype(np.intp, copy=False)
    lse = logsumexp(Z, axis=1)
    losses = lse - Z[np.arange(m), yi]
    s = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    loss = float(np.sum(losses, dtype=np.float64) if s is None else losses @ s)
    weight_sum = float(m if s is None else s.sum())
    grad_w = grad_b = hess = None
    if need_grad or need_hess:
        A = np.exp(Z - lse[:, None])
    if need_grad:
        R = A.copy()
        R[np.arange(m), yi] -= 1.0  # dL/dz = a - y
        if s is not None:
            R *= s[:, None].astype(R.dtype)
        grad_w = np.asarray(X.T @ R, dtype=np.float64).ravel()
        grad_b = R.sum(axis=0, dtype=np.float64)
    if need_hess:
        hess = _multinomial_hessian(X, A, s)
    return ChunkStats(loss, weight_sum, m, grad_w, 0.0 if grad_b is None else grad_b, hess)


def _multinomial_hessian(X, A, s):
    """``sum_i s_i x1_i x1_i^T (x) (diag(a_i) - a_i a_i^T)`` for ``x1 = [x, 1]``.

    Two matrix products instead of ``K^2`` Gram matrices: with ``B_i = x1_i (x) a_i`` (the
    rows of ``B``, shape (m, (n+1) K)), the outer-product term is ``B^T diag(s) B``, and the
    diagonal term's blocks ``X1^T diag(s a_k) X1`` all come from ``X1^T [X1 (x) (s a)]``.
    """
    m, K = A.shape
    A64 = A.astype(np.float64)
    sa = A64 if s is None else A64 * s[:, None]
    if sp.issparse(X):
        X1 = sp.hstack([X, np.ones((m, 1), dtype=X.dtype)], format="csr").toarray()
    else:
        X1 = np.empty((m, X.shape[1] + 1), dtype=np.float64)
        X1[:, :-1] = X
        X1[:, -1] = 1.0
    n1 = X1.shape[1]
    B = (X1[:, :, None] * A64[:, None, :]).reshape(m, n1 * K)
    Bs = B if s is None else B * s[:, None]
    H = -(Bs.T @ B)
    G = (X1.T @ (X1[:, :, None] * sa[:, None, :]).reshape(m, n1 * K)).reshape(n1, n1, K)
    H4 = H.reshape(n1, K, n1, K)
    for k in range(K):
        H4[:, k, :, k] += G[:, :, k]
    return H


def _chunk_fn(X, y, s, off, *, W, b, need_grad, need_hess):
    # A module-level function (wrapped in functools.partial), so that Dask can ship it.
    return chunk_stats_multinomial(X, y, W, b, s, off, need_grad=need_grad, need_hess=need_hess)


def _map_blocks(source, fn):
    """Add ``fn(X, y, s, offset)`` over the source's chunks of rows.

    A source with ``map_reduce(fn)`` (in memory: on its threads; streamed files; Dask: on
    the workers) runs it where its rows are; any other is walked block by block.
    """
    map_reduce = getattr(source, "map_reduce", None)
    if map_reduce is not None:
        return map_reduce(fn)
    total = None
    for X, y, s, off in source._blocks():
        part = fn(X, y, s, off)
        total = part if total is None else total + part
    return total


class MultinomialObjective(Objective):
    """The penalised mean-form objective of the softmax model over a row source.

    Parameters
    ----------
    source : row source whose ``y`` holds class indices ``0 .. K-1``
    n_classes : int
        ``K >= 2``.
    C, l1_ratio, fit_intercept
        As in :class:`logistic.objective.Objective`; the penalty applies to all of ``W``.
    """

    def __init__(self, source, n_classes, *, C=1.0, l1_ratio=0.0, fit_intercept=True):
        super().__init__(source, C=C, l1_ratio=l1_ratio, fit_intercept=fit_intercept)
        self.n_classes = K = int(n_classes)
        self.n_coef = self.n_features * K
        self.n_params = self.n_coef + (K if self.fit_intercept else 0)

    # -- parameters -------------------------------------------------------------------
    def split(self, p):
        """``(W.ravel(), b)`` from the parameter vector; ``b`` is zeros without intercept."""
        p = np.asarray(p, dtype=np.float64)
        w = p[: self.n_coef]
        b = p[self.n_coef :] if self.fit_intercept else np.zeros(self.n_classes)
        return w, b

    def join(self, w, b=None):
        w = np.asarray(w, dtype=np.float64).ravel()
        if not self.fit_intercept:
            return w.copy()
        b = np.zeros(self.n_classes) if b is None else np.asarray(b, dtype=np.float64).ravel()
        return np.concatenate([w, b])

    def coef_intercept(self, p):
        """``(coef (K, n), intercept (K,))`` in scikit-learn's layout."""
        w, b = self.split(p)
        return w.reshape(self.n_features, self.n_classes).T.copy(), np.array(b, copy=True)

    # -- evaluations ------------------------------------------------------------------
    def _stats(self, source, p, need_grad, need_hess):
        w, b = self.split(p)
        W = w.reshape(self.n_features, self.n_classes)
        fn = partial(_chunk_fn, W=W, b=np.asarray(b), need_grad=need_grad, need_hess=need_hess)
        return _map_blocks(source, fn), w

    def _grad(self, st, w, S):
        g_w = st.grad_w / S + self.l2 * w
        return np.concatenate([g_w, st.grad_b / S]) if self.fit_intercept else g_w

    def loss(self, p) -> float:
        self.n_evaluations += 1
        st, w = self._stats(self.source, p, False, False)
        return st.loss / self.weight_sum + 0.5 * self.l2 * float(w @ w)

    def loss_grad(self, p):
        self.n_evaluations += 1
        st, w = self._stats(self.source, p, True, False)
        S = self.weight_sum
        return st.loss / S + 0.5 * self.l2 * float(w @ w), self._grad(st, w, S)

    def _null_projector(self):
        """The projector onto the Hessian's null directions (see the module docstring)."""
        n, K = self.n_features, self.n_classes
        rows = []
        if self.fit_intercept:
            rows.append(n)  # the intercepts' block row in [W; b]
        if self.l2 == 0.0 and self.l1 == 0.0:
            # Without any penalty the features' e_j (x) 1 are null directions of F too. With
            # an L1 term they are not (it is not shift-invariant): the proximal solvers
            # handle the singular smooth Hessian themselves and need the exact model.
            rows.extend(range(n))
        P = np.zeros((self.n_params, self.n_params))
        for j in rows:
            idx = np.arange(j * K, (j + 1) * K)
            P[np.ix_(idx, idx)] = 1.0 / K
        return P

    def grad_hess(self, p, gram_scale=None):
        del gram_scale  # exact Hessians only (float32_gram is False)
        self.n_evaluations += 1
        st, w = self._stats(self.source, p, True, True)
        S = self.weight_sum
        H = st.hess / S
        if not self.fit_intercept:
            H = H[: self.n_coef, : self.n_coef]
        d = np.arange(self.n_coef)
        H[d, d] += self.l2
        H += self._null_projector()
        f = st.loss / S + 0.5 * self.l2 * float(w @ w)
        return f, self._grad(st, w, S), H

    def hessp(self, p, v):
        """``(H + P) v`` from the explicit Hessian (multinomial problems are narrow)."""
        return self.grad_hess(p)[2] @ np.asarray(v, dtype=np.float64)

    hessian_sampling = False  # the softmax kernel has no row-sampled pass: exact Hessians
    float32_gram = False  # nor float32 Gram products
    loss_grad_hess_diag = None  # nor a diagonal-only pass: Newton-CG runs plain CG

    def subsampled_hessian(self, p, step, gram_scale=None, *, once=False):
        return self.grad_hess(p)[2]

    def along(self, p, d):
        """None: no line-search kernel for the softmax (Newton backtracks instead)."""
        return None

    def _batch_stats(self, batch, p):
        return self._stats(batch, p, True, False)

    def lipschitz_bound(self) -> float:
        """``lambda_max([X 1]^T S [X 1]) / (2 S) + lambda``: ``diag(a) - a a^T <= I / 2``."""
        G = self.source.gram()
        if not self.fit_intercept:
            G = G[:-1, :-1]
        return float(np.linalg.eigvalsh(G)[-1]) / (2.0 * self.weight_sum) + self.l2
