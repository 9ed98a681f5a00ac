"""The mean-form objective: a source of rows plus a penalty.

With sample weights ``s_i``, total weight ``S = sum_i s_i``, parameters ``p = (w, b)``
(``b`` only when the intercept is fitted) and the elastic-net mix ``r = l1_ratio``::

    F(w, b) = f(w, b) + l1 ||w||_1
    f(w, b) = (1 / S) sum_i s_i L(y_i, x_i . w + b)  +  (lambda / 2) ||w||^2
    lambda  = (1 - r) / (C S),    l1 = r / (C S)      (both 0 when C = inf)

scikit-learn (1.8's parametrisation) minimises
``C sum_i s_i L_i + (1 - r) ||w||^2 / 2 + r ||w||_1``, which is ``C S F``: the same
minimiser for the same ``C`` and ``l1_ratio``, so our optimum equals scikit-learn's. The
intercept is never penalised. ``loss``, ``loss_grad``, ``grad_hess`` and ``hessp`` are
those of the smooth part ``f``; the non-smooth ``l1 ||w||_1`` is handled by the solvers
that support it through :meth:`Objective.prox`, :meth:`Objective.penalty_l1` and
:meth:`Objective.optimality`. Gradient and Hessian, with ``r_i = s_i (a_i - y_i)`` and ``h_i = s_i a_i (1 - a_i)``::

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
    l1_ratio : float in [0, 1], default=0.0
        Share of the penalty that is L1 (1.0 is the lasso).
    fit_intercept : bool, default=True
    """

    def __init__(self, source, *, C=1.0, l1_ratio=0.0, fit_intercept=True):
        self.source = source
        self.C = float(C)
        self.l1_ratio = float(l1_ratio)
        self.fit_intercept = bool(fit_intercept)
        self.n_features = source.n_features
        self.n_coef = self.n_features  # penalised parameters, first in p
        self.n_params = self.n_features + int(self.fit_intercept)
        self.weight_sum = float(source.weight_sum)
        strength = 0.0 if np.isinf(self.C) else 1.0 / (self.C * self.weight_sum)
        self.l2 = (1.0 - self.l1_ratio) * strength
        self.l1 = self.l1_ratio * strength
        self.n_evaluations = 0  # passes over the data made through this objective
        self._finite_check = None  # see defer_finite_check

    # -- the L1 part ------------------------------------------------------------------
    def penalty_l1(self, p) -> float:
        """``l1 ||w||_1`` (0 without an L1 penalty)."""
        if self.l1 == 0.0:
            return 0.0
        w, _ = self.split(p)
        return self.l1 * float(np.sum(np.abs(w)))

    def prox(self, p, step):
        """Proximal map of ``step * l1 ||w||_1``: soft-thresholding of ``w``, ``b`` untouched.

        ``prox(p)_j = sign(p_j) max(|p_j| - step l1, 0)``; it gives exact zeros.
        """
        p = np.asarray(p, dtype=np.float64)
        if self.l1 == 0.0:
            return p
        out = p.copy()
        n = self.n_coef
        t = step * self.l1
        out[:n] = np.sign(p[:n]) * np.maximum(np.abs(p[:n]) - t, 0.0)
        return out

    def optimality(self, p, g) -> float:
        """``max |.|`` of the minimum-norm subgradient of ``F`` at ``p``, given ``g = grad f(p)``.

        For ``w_j != 0`` it is ``g_j + l1 sign(w_j)``; for ``w_j = 0`` it is
        ``sign(g_j) max(|g_j| - l1, 0)``; for the intercept ``g_b``. Zero exactly at the
        optimum, and equal to ``max |g|`` without an L1 penalty: the one convergence test.
        """
        g = np.asarray(g, dtype=np.float64)
        if self.l1 == 0.0:
            return float(np.max(np.abs(g))) if g.size else 0.0
        n = self.n_coef
        w = np.asarray(p, dtype=np.float64)[:n]
        gw = g[:n]
        sub = np.where(w != 0.0, gw + self.l1 * np.sign(w), np.maximum(np.abs(gw) - self.l1, 0.0))
        out = float(np.max(np.abs(sub))) if n else 0.0
        if g.shape[0] > n:  # the unpenalised intercept(s)
            out = max(out, float(np.max(np.abs(g[n:]))))
        return out

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

    # -- the deferred input check -----------------------------------------------------
    def defer_finite_check(self, check):
        """Run ``check`` (raises on NaN or infinity in X) only if needed.

        Where the source's gradient pass multiplies every entry of X
        (``source.detects_nonfinite``), NaN or infinity in X makes the first loss or
        gradient non-finite, so ``check`` runs only then (and raises its clear error), and
        the fit saves the check's own pass over X. Any other first evaluation, or another
        source, runs ``check`` at once.
        """
        if getattr(self.source, "detects_nonfinite", False):
            self._finite_check = check
        else:
            check()

    def _pending_check(self):
        check, self._finite_check = self._finite_check, None
        if check is not None:
            check()

    def _first_result(self, f, g):
        if self._finite_check is not None and not (np.isfinite(f) and np.all(np.isfinite(g))):
            self._pending_check()
        self._finite_check = None

    # -- evaluations ------------------------------------------------------------------
    def _assemble_grad(self, st, w):
        S = self.weight_sum
        g_w = st.grad_w / S + self.l2 * w
        return np.append(g_w, st.grad_b / S) if self.fit_intercept else g_w

    def loss(self, p) -> float:
        """``f(p)``."""
        self._pending_check()
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
        g = self._assemble_grad(st, w)
        if self._finite_check is not None:
            self._first_result(f, g)
        return f, g

    def grad(self, p):
        """``grad f(p)``."""
        return self.loss_grad(p)[1]

    @property
    def float32_gram(self) -> bool:
        """Whether the source can form the Hessian's Gram part from scaled float32
        products (the ``gram_scale`` of :meth:`grad_hess`): dense float64 rows in memory."""
        return bool(getattr(self.source, "float32_gram", False))

    def gram_scales(self, step=1):
        """Column scales for a first float32 Gram product (``gram_scale`` of
        :meth:`grad_hess`) before any Hessian is known: the columns' norms over the rows the
        Hessian reads (every ``step``-th), one read of those rows. None where the source
        has no float32 Gram products."""
        if not self.float32_gram:
            return None
        source = self._every(step) if step > 1 else self.source
        return (
            np.append(source.column_scales(), 1.0) if self.fit_intercept else source.column_scales()
        )

    def _hess_kwargs(self, gram_scale):
        if gram_scale is None or not self.float32_gram:
            return {}
        return {"gram_scale": np.asarray(gram_scale, dtype=np.float64)[: self.n_features]}

    def grad_hess(self, p, gram_scale=None):
        """``(f(p), grad f(p), Hessian f(p))`` from one pass over the data.

        ``gram_scale`` (``n_params`` positive column scales, or None): where the source
        can (:attr:`float32_gram`), ``X^T diag(h) X`` is formed from float32 products of
        the columns divided by these scales, twice as fast and accurate to about ``1e-6``
        of the equilibrated Hessian (whatever the columns' magnitudes, for scales like
        their norms or ``sqrt(H_jj)``): a Newton
        direction's Hessian (:func:`logistic.solvers.newton`). Loss and gradient stay
        exact. None (the default) gives the Hessian in float64.
        """
        self._pending_check()
        w, b = self.split(p)
        self.n_evaluations += 1
        st = self.source.stats(
            w, b, need_grad=True, need_hess=True, **self._hess_kwargs(gram_scale)
        )
        f = st.loss / self.weight_sum + 0.5 * self.l2 * float(w @ w)
        H = (st.hess if self.fit_intercept else st.hess[:-1, :-1]) / self.weight_sum
        _add_to_diagonal(H, self.n_features, self.l2)
        return f, self._assemble_grad(st, w), H

    def loss_grad_hess_diag(self, p):
        """``(f(p), grad f(p), diag of the Hessian at p)`` from one pass over the data.

        The diagonal ``[(X * X)^T h / S + lambda, sum(h) / S]`` (``h = s a (1 - a)``) is
        Newton-CG's Jacobi preconditioner: it puts the intercept (a column of ones, as
        heavy as all the rows) and rare or large features on the same scale.
        """
        self._pending_check()
        w, b = self.split(p)
        self.n_evaluations += 1
        st = self.source.stats(w, b, need_grad=True, need_hess="diag")
        S = self.weight_sum
        f = st.loss / S + 0.5 * self.l2 * float(w @ w)
        d = st.hess / S
        d[:-1] += self.l2
        return f, self._assemble_grad(st, w), (d if self.fit_intercept else d[:-1])

    def hessp(self, p, v):
        """``H(p) v``, the Hessian of ``f`` at ``p`` times ``v``, without forming ``H``.

        ``H v = [X 1]^T diag(h) [X 1] v / S + lambda (v_w, 0)`` with ``h = s a (1 - a)`` at
        ``p``: one pass over the data through the source's ``hessp`` (Newton-CG's
        product). A source without ``hessp`` (an executor that has not added it yet) gets
        a central difference of gradients, ``(g(p + e v) - g(p - e v)) / (2 e)``, two
        passes, accurate to about ``1e-8`` relative.
        """
        self._pending_check()
        w, b = self.split(p)
        v = np.asarray(v, dtype=np.float64)
        v_w, v_b = (v[:-1], float(v[-1])) if self.fit_intercept else (v, 0.0)
        source_hessp = getattr(self.source, "hessp", None)
        if source_hessp is None:  # two gradient evaluations, counted there
            p = np.asarray(p, dtype=np.float64)
            scale = float(np.linalg.norm(v)) or 1.0
            eps = np.sqrt(np.finfo(np.float64).eps) * max(1.0, float(np.linalg.norm(p))) / scale
            return (self.grad(p + eps * v) - self.grad(p - eps * v)) / (2.0 * eps)
        self.n_evaluations += 1
        hw, hb = source_hessp(w, b, v_w, v_b)
        S = self.weight_sum
        out_w = np.asarray(hw, dtype=np.float64) / S + self.l2 * v_w
        return np.append(out_w, hb / S) if self.fit_intercept else out_w

    def along(self, p, d):
        """``phi(t) -> (phi'(t), phi''(t))`` of ``phi(t) = f(p + t d)``, or None where the
        source cannot.

        The source keeps the logits ``z`` at ``p`` and ``u = [X 1] d`` (one pass now), so
        each trial ``t`` costs O(n_samples) and no pass over X (``source.along``): Newton's
        exact line search. With ``d = (dw, db)``::

            phi'(t)  = sum_i s_i (a_i - y_i) u_i / S + lambda (w + t dw) . dw
            phi''(t) = sum_i s_i a_i (1 - a_i) u_i^2 / S + lambda dw . dw
        """
        source_along = getattr(self.source, "along", None)
        if source_along is None:
            return None
        self._pending_check()
        w, b = self.split(p)
        dw, db = self.split(d)
        self.n_evaluations += 1
        data = source_along(w, b, dw, db)
        S, l2 = self.weight_sum, self.l2
        wd, dd = float(w @ dw), float(dw @ dw)

        def phi(t):
            d1, d2 = data(t)
            return d1 / S + l2 * (wd + t * dd), d2 / S + l2 * dd

        return phi

    @property
    def hessian_sampling(self) -> bool:
        """Whether :meth:`subsampled_hessian` reads only the sampled rows (the source has
        ``every(step)``); without it the estimate would cost a full pass."""
        return getattr(self.source, "every", None) is not None

    def subsampled_hessian(self, p, step, gram_scale=None, *, once=False):
        """An estimate of the Hessian at ``p`` from every ``step``-th row, one cheap pass.

        ``[X 1]_R^T diag(h) [X 1]_R / S_R + lambda diag(1, .., 1, 0)`` over the rows ``R =
        0, step, 2 step, ...`` (``S_R`` their weight): an unbiased-in-expectation estimate of
        the data term for rows in no particular order, at ``1 / step`` of the cost (the
        sample is taken once per ``step`` and kept, unless ``once``: a one-off estimate
        reads the rows where they are). A source without ``every(step)``
        gets the exact Hessian. For Newton's method the gradient stays exact, so only the
        convergence rate depends on the estimate. ``gram_scale`` as in :meth:`grad_hess`.
        """
        self._pending_check()
        every = getattr(self.source, "every", None)
        if every is None or step <= 1:
            return self.grad_hess(p, gram_scale)[2]
        w, b = self.split(p)
        sample = every(step) if once else self._every(step)
        st = sample.stats(w, b, need_grad=False, need_hess=True, **self._hess_kwargs(gram_scale))
        return self._sampled_hessian(st)

    def loss_grad_sampled_hessian(self, p, step, gram_scale=None):
        """``(f(p), grad f(p), subsampled Hessian at p)``: the exact loss and gradient and
        the estimate of :meth:`subsampled_hessian`, in one pass where the source can (a
        Dask source: one round trip to the workers instead of two), else two."""
        fused = getattr(self.source, "stats_and_sample", None)
        if fused is None or step <= 1:
            f, g = self.loss_grad(p)  # the deferred check's first pass, if any
            return f, g, self.subsampled_hessian(p, step, gram_scale)
        self._pending_check()
        w, b = self.split(p)
        self.n_evaluations += 1
        st, sub = fused(w, b, step)
        f = st.loss / self.weight_sum + 0.5 * self.l2 * float(w @ w)
        return f, self._assemble_grad(st, w), self._sampled_hessian(sub)

    def _every(self, step):
        """The kept sample of every ``step``-th row; C-ordered (``compact``) when it is at
        most 1/8 of the rows, so that its many Hessian passes run the compiled loop."""
        cache = getattr(self, "_subsample_cache", None)
        if cache is None or cache[0] != step:
            sample = self.source.every(step)
            compact = getattr(sample, "compact", None)
            if compact is not None and step >= 8:
                sample = compact()
            cache = (step, sample)
            self._subsample_cache = cache
        return cache[1]

    def _sampled_hessian(self, st):
        H = (st.hess if self.fit_intercept else st.hess[:-1, :-1]) / st.weight_sum
        _add_to_diagonal(H, self.n_features, self.l2)
        return H

    # -- a stochastic view ------------------------------------------------------------
    def _batch_stats(self, batch, p):
        """``(ChunkStats with the gradient, w)`` of a mini-batch source at ``p``; the one
        thing a model with another kernel (the multinomial one) overrides."""
        w, b = self.split(p)
        return batch.stats(w, b, need_grad=True), w

    def minibatches(self, batch_size, rng):
        """One epoch of unbiased mini-batch estimates of ``f`` and its gradient.

        Yields objects with ``loss_grad(p)``. A batch ``B`` estimates the data term by
        ``(n / |B|) sum_{i in B} s_i L_i / S``, whose expectation over a uniform shuffle is
        the full data term; the penalty is exact.
        """
        self._pending_check()
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
        self._pending_check()
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


def _add_to_diagonal(H, n, value):
    """``H[j, j] += value`` for ``j < n`` (``H`` C-contiguous: a strided view of the
    diagonal, no index arrays)."""
    if value:
        H.reshape(-1)[: n * (H.shape[0] + 1) : H.shape[0] + 1] += value


class _MiniBatch:
    def __init__(self, objective, batch, scale):
        self._objective = objective
        self._batch = batch
        self._scale = scale

    def loss_grad(self, p):
        obj = self._objective
        st, w = obj._batch_stats(self._batch, p)
        c = self._scale / obj.weight_sum
        f = c * st.loss + 0.5 * obj.l2 * float(w @ w)
        g_w = c * st.grad_w + obj.l2 * w
        g = np.append(g_w, c * st.grad_b) if obj.fit_intercept else g_w
        return f, g
