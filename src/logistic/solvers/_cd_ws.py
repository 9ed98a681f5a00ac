"""Working-set proximal Newton with coordinate descent, for objectives whose rows are in
memory (the ``"columns"`` capability): the method of ``solver="cd"`` there.

The L1 optimum is sparse, and most features are 0 at it from the first iteration on, so
solving over all of them wastes every sweep on coordinates that never move. Each outer
iteration:

1. one read of ``X`` at the kept logits gives ``F`` and the gradient of every
   coefficient (the objective's formula, in float64 whatever the dtype of ``X``); its *score* is the distance of ``-grad_j f`` to the subdifferential
   of ``l1 |w_j|`` (``max(|g_j| - l1, 0)`` at ``w_j = 0``, ``|g_j + l1 sign(w_j)|``
   elsewhere; a feature's score is the largest over its classes). The largest score is
   the convergence test of every solver (:meth:`Objective.optimality`);
2. the working set: every feature with a nonzero coefficient, and the highest-scored
   others, ``max(32, 2 |support|)`` in all (skglm's rule with p0 = 32; Massias, Vaiter, Gramfort and
   Salmon, "Dual extrapolation for sparse GLMs", JMLR 2020; Johnson and Guestrin,
   "Blitz", ICML 2015). Features of score 0 (optimal at 0 already) are left out;
3. the subproblem over those columns (the others held at 0) is solved to a
   subdifferential distance of ``0.3`` times the outer one by proximal Newton steps, each
   model solved by cyclic coordinate descent that cycles over the nonzero coordinates
   between full sweeps (glmnet's active-set cycling), with an Armijo backtracking on
   ``F`` (:mod:`logistic._kernel._cd`: one compiled call a subproblem, the logits kept
   up to date in it, so a Newton step costs one read of the working set's columns plus
   O(m) pointwise work, never a pass over ``X``).

The working set's columns are gathered once per outer iteration (a contiguous copy of
those columns: CSC arrays from a CSR ``X``, a transposed block from a C-ordered dense
``X``; ``X.T`` itself for a Fortran-ordered one), and kept while later working sets stay
inside them. Once a working set holds more than half the features, every column is
gathered, once.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._base import SolverResult, Tracker

__all__ = ["working_set_cd"]

# Fewest features in a working set (skglm takes 10; with 32 a problem of up to 32 features
# is one subproblem, and small problems are dominated by the per-iteration overhead).
P0 = 32
# The subproblem's tolerance as a fraction of the outer subdifferential distance.
EPS_INNER = 0.3
# Proximal Newton steps per subproblem at most.
MAX_NEWTON = 50


class _ColumnStore:
    """The working set's columns of ``X`` in the layout the compiled loops read."""

    def __init__(self, X, kernels):
        self.X = X
        self.k = kernels
        self.sparse = sp.issparse(X)
        n = X.shape[1]
        self.cols = None  # sorted features held, or None
        self.empty = np.empty((0, 0), dtype=X.dtype)
        self.ip = np.zeros(1, np.int64)
        self.ix = np.zeros(0, np.int32)
        self.dv = np.zeros(0, X.dtype)
        self.XT = self.empty
        if not self.sparse and X.flags.f_contiguous and not X.flags.c_contiguous:
            self.XT, self.cols = X.T, np.arange(n)  # X.T is C-ordered: no copy
        self.n_features = n

    def select(self, ws):
        """The store's columns of the (sorted) features ``ws``: ``cmap``."""
        if self.cols is not None:
            pos = np.minimum(np.searchsorted(self.cols, ws), max(self.cols.size - 1, 0))
            if self.cols.size and np.array_equal(self.cols[pos], ws):
                return pos
        # a CSR matrix is read whole by a gather: all of it at once, in one read
        every = self.sparse or 2 * ws.size > self.n_features
        take = np.arange(self.n_features) if every else ws
        X = self.X
        if self.sparse:
            self.ip, self.ix, self.dv = self.k.gather_csr(
                X.indptr, X.indices, X.data, take, self.n_features
            )
        else:
            Xc = X if X.flags.c_contiguous else np.ascontiguousarray(X)
            self.XT = self.k.gather_dense(Xc, take)
        self.cols = take
        return np.searchsorted(take, ws)

    def args(self):
        return (not self.sparse, self.XT, self.ip, self.ix, self.dv)

    def gradient(self, Z, y, s, R, G):
        """``sum_i s_i L_i`` at ``Z``, ``R = s (a - y)`` and ``G = X^T R`` (one read)."""
        X, k, e = self.X, self.k, self.empty
        if self.sparse:
            return k.residuals(e, e, X.indptr, X.indices, X.data, Z, y, s, R, G)
        if X.flags.c_contiguous:
            return k.residuals(X, e, self.ip, self.ix, self.dv, Z, y, s, R, G)
        XT = X.T if X.flags.f_contiguous else np.ascontiguousarray(X.T)
        return k.residuals(e, XT, self.ip, self.ix, self.dv, Z, y, s, R, G)


def _scores(w, g, l1):
    """Subdifferential distance of each coefficient (``w``, ``g`` of shape (n, K))."""
    at_zero = np.maximum(np.abs(g) - l1, 0.0)
    return np.where(w != 0.0, np.abs(g + l1 * np.sign(w)), at_zero)


def working_set_cd(objective, x0, *, tol, max_iter, callback, kernels, max_sweeps):
    """Minimise ``F = f + l1 ||W||_1`` over an in-memory objective by working sets (see the
    module docstring); ``max_iter`` bounds the outer iterations (one pass each)."""
    tracker = Tracker(callback)
    n, K = objective.n_features, objective.n_out
    nc = n * K
    fit_b = objective.fit_intercept
    l1, l2 = objective.l1, objective.l2
    x = np.array(x0, dtype=np.float64)
    X, y, s, offset = objective.design()  # after the deferred input check, if any
    m = X.shape[0]
    s = np.full(m, 1.0 / objective.weight_sum) if s is None else s / objective.weight_sum
    s = np.ascontiguousarray(s, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    store = _ColumnStore(X, kernels)
    W = np.ascontiguousarray(x[:nc].reshape(n, K))
    b = x[nc:].copy() if fit_b else np.zeros(K)
    Z = np.empty((m, K))
    Z[:] = b
    if offset is not None:
        Z += np.asarray(offset, dtype=np.float64).reshape(m, -1)
    support = np.flatnonzero(np.any(W != 0.0, axis=1))
    if support.size:
        cmap = store.select(support)
        kernels.add_columns(*store.args(), cmap, np.ascontiguousarray(W[support]), Z)
    z = Z[:, 0] if K == 1 else None  # the binomial loop takes 1-d logits and weights
    R = np.empty((m, K))
    G = np.empty((n, K))

    def evaluate():
        """``F`` and ``grad f`` at ``x`` from the kept logits: one read of ``X`` (counted as
        a pass of the objective), the objective's formula (``Objective._value``)."""
        objective.n_evaluations += 1
        loss = store.gradient(Z, y, s, R, G)
        w = x[:nc]
        f = loss + 0.5 * l2 * float(w @ w)
        g_w = G.reshape(-1) + l2 * w
        g = np.concatenate([g_w, R.sum(axis=0)]) if fit_b else g_w
        return f + objective.penalty_l1(x), g

    F, g = evaluate()
    gn = objective.optimality(x, g)
    tracker.record(0, F, gn)
    it = 0
    message = "max_iter reached"
    last_ws = None
    stalled = False
    while gn > tol and it < max_iter:
        score = _scores(W, g[:nc].reshape(n, K), l1).max(axis=1)
        support = np.any(W != 0.0, axis=1)
        size = max(min(P0, n), min(n, 2 * int(support.sum())))
        score[support] = np.inf
        candidates = np.flatnonzero(score > 0.0)
        outside = 0.0  # the largest violation left out of the working set
        if candidates.size > size:
            top = np.argpartition(score[candidates], candidates.size - size)
            outside = float(score[candidates[top[candidates.size - size - 1]]])
            candidates = candidates[top[candidates.size - size :]]
        ws = np.sort(candidates)
        if last_ws is not None and np.array_equal(ws, last_ws) and stalled:
            message = "no progress at float64 resolution"
            break
        cmap = store.select(ws)
        Wws = np.ascontiguousarray(W[ws])
        # Solved as far as the features left out allow: to a fraction of their largest
        # violation, and to the tolerance itself once none is left out (skglm's fraction
        # of the whole violation made every outer iteration gain only that fraction).
        tol_in = max(EPS_INNER * outside, 0.5 * tol)
        common = (*store.args(), cmap, y, s)
        if K == 1:
            w1 = np.ascontiguousarray(Wws[:, 0])
            steps, _, status, _, _ = kernels.binomial_ws(
                *common, z, w1, b, fit_b, l1, l2, tol_in, MAX_NEWTON, max_sweeps
            )
            Wws[:, 0] = w1
        else:
            steps, _, status, _, _ = kernels.softmax_ws(
                *common, Z, Wws, b, fit_b, l1, l2, tol_in, MAX_NEWTON, max_sweeps
            )
        W[ws] = Wws
        x[:nc] = W.ravel()
        if fit_b:
            x[nc:] = b
        it += 1
        F_new, g = evaluate()
        gn = objective.optimality(x, g)
        tracker.record(it, F_new, gn, float(steps))
        # the same working set again after a subproblem that could not move: rounding
        stalled = steps == 0 or (status != 0 and not F_new < F)
        F = F_new
        last_ws = ws
    converged = gn <= tol
    if converged:
        message = "converged: max|subgradient| <= tol"
    return SolverResult(x, F, gn, it, converged, message, tracker.history)
