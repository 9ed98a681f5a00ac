"""The mean-form objective: a source of rows plus a penalty.

With sample weights ``s_i``, total weight ``S = sum_i s_i`` and parameters ``p = (w, b)``
(``b`` only when the intercept is fitted)::

    f(w, b) = (1 / S) sum_i s_i L(y_i, x_i . w + b)  +  (lambda / 2) ||w||^2,
    lambda  = 1 / (C S)      (lambda = 0 when C = inf)

scikit-learn minimises ``C sum_i s_i L_i + ||w||^2 / 2``, which is ``C S f``: the same
minimiser for the same ``C``, so our optimum equals scikit-learn's. The intercept is never
penalised. Gradient and Hessian, with ``r_i = s_i (a_i - y_i)`` and ``h_i = s_i a_i (1 - a_i)``::

    df/dw = X^T r / S + lambda w          df/db = sum(r) / S
    H     = [X 1]^T diag(h) [X 1] / S + lambda diag(1, ..., 1, 0)

Parameters travel as one float64 vector ``p`` of length ``n_features + fit_intercept`` with
the intercept last.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla

__all__ = ["Objective"]

# Above this many parameters the Lipschitz bound uses Lanczos on a matrix-free operator
# instead of the explicit (n + 1)^2 Gram matrix.
_EXPLICIT_GRAM_MAX = 2048


class Objective:
    """Loss, gradient and Hessian of the penalised mean-form objective over a source.

    Parameters
    ----------
    source : object
        A row source from :mod:`logistic.sources` (``stats``, ``gram``, ``gram_matvec``,
        ``minibatches``, ``n_features``, ``weight_sum``).
    C : float, default=1.0
        Inverse regularisation strength, scikit-learn's convention; ``np.inf`` for none.
    fit_intercept : bool, default=True
    """

    def __init__(self, source, *, C=1.0, fit_intercept=True):
        self.source = source
        self.C = float(C)
        self.fit_intercept = bool(fit_intercept)
        self.n_features = source.n_features
        self.n_params = self.n_features + int(self.fit_intercept)
        self.weight_sum = float(source.weight_sum)
        self.l2 = 0.0 if np.isinf(self.C) else 1.0 / (self.C * self.weight_sum)
        self.n_evaluations = 0  # passes over the data made through this objective

    # -- parameters -------------------------------------------------------------------
    def split(self, p):
        """``(w, b)`` from the parameter vector."""
        p = np.asarray(p, dtype=np.float64)
        if self.fit_intercept:
            return p[:-1], float(p[-1])
        return p, 0.0

    def join(self, w, b=0.0):
        """The parameter vector from ``(w, b)``."""
        w = np.asarray(w, dtype=np.float64).ravel()
        return np.append(w, float(b)) if self.fit_intercept else w.copy()

    # -- evaluations ------------------------------------------------------------------
    def _assemble_grad(self, st, w):
        S = self.weight_sum
        g_w = st.grad_w / S + self.l2 * w
        return np.append(g_w, st.grad_b / S) if self.fit_intercept else g_w

    def loss(self, p) -> float:
        """``f(p)``."""
        w, b = self.split(p)
        self.n_evaluations += 1
        st = self.source.stats(w, b, need_grad=False)
        return st.loss / self.weight_sum + 0.5 * self.l2 * float(w @ w)

    def loss_grad(self, p):
        """``(f(p), grad f(p))`` from one pass over the data."""
        w, b = self.split(p)
        self.n_evaluations += 1
        st = self.source.stats(w, b, need_grad=True)
        f = st.loss / self.weight_sum + 0.5 * self.l2 * float(w @ w)
        return f, self._assemble_grad(st, w)

    def grad(self, p):
        """``grad f(p)``."""
        return self.loss_grad(p)[1]

    def grad_hess(self, p):
        """``(f(p), grad f(p), Hessian f(p))`` from one pass over the data."""
        w, b = self.split(p)
        self.n_evaluations += 1
        st = self.source.stats(w, b, need_grad=True, need_hess=True)
        f = st.loss / self.weight_sum + 0.5 * self.l2 * float(w @ w)
        H = st.hess / self.weight_sum
        if not self.fit_intercept:
            H = H[:-1, :-1]
        n = self.n_features
        H[np.arange(n), np.arange(n)] += self.l2
        return f, self._assemble_grad(st, w), H

    # -- a stochastic view ------------------------------------------------------------
    def minibatches(self, batch_size, rng):
        """One epoch of unbiased mini-batch estimates of ``f`` and its gradient.

        Yields objects with ``loss_grad(p)``. A batch ``B`` estimates the data term by
        ``(n / |B|) sum_{i in B} s_i L_i / S``, whose expectation over a uniform shuffle is
        the full data term; the penalty is exact.
        """
        n = self.source.n_samples
        for batch in self.source.minibatches(batch_size, rng):
            yield _MiniBatch(self, batch, n / batch.n_samples)

    # -- curvature bounds -------------------------------------------------------------
    def lipschitz_bound(self) -> float:
        """An upper bound ``L`` on the gradient's Lipschitz constant (largest Hessian eigenvalue).

        Since ``a (1 - a) <= 1/4``, ``H <= [X 1]^T S [X 1] / (4 S) + lambda I``. The largest
        eigenvalue of the weighted Gram matrix is computed exactly (``eigvalsh``) up to
        2048 parameters, else by Lanczos (ARPACK) on a matrix-free operator, one pass per
        product, raised by 1% to cover the residual of the iteration.
        """
        S = self.weight_sum
        if self.n_params <= _EXPLICIT_GRAM_MAX:
            G = self.source.gram()
            if not self.fit_intercept:
                G = G[:-1, :-1]
            top = float(np.linalg.eigvalsh(G)[-1])
        else:
            fit_b = self.fit_intercept

            def matvec(v):
                v = np.asarray(v, dtype=np.float64).ravel()
                vw, vb = (v[:-1], v[-1]) if fit_b else (v, 0.0)
                gw, gb = self.source.gram_matvec(vw, vb)
                return np.append(gw, gb) if fit_b else gw

            op = spla.LinearOperator((self.n_params, self.n_params), matvec=matvec)
            top = 1.01 * float(spla.eigsh(op, k=1, which="LA", tol=1e-3)[0][0])
        return top / (4.0 * S) + self.l2


class _MiniBatch:
    def __init__(self, objective, batch, scale):
        self._objective = objective
        self._batch = batch
        self._scale = scale

    def loss_grad(self, p):
        obj = self._objective
        w, b = obj.split(p)
        st = self._batch.stats(w, b, need_grad=True)
        c = self._scale / obj.weight_sum
        f = c * st.loss + 0.5 * obj.l2 * float(w @ w)
        g_w = c * st.grad_w + obj.l2 * w
        g = np.append(g_w, c * st.grad_b) if obj.fit_intercept else g_w
        return f, g
