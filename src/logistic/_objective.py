"""The mean-form objective: a source of rows, a link and a penalty.

With sample weights ``s_i``, total weight ``S = sum_i s_i``, parameters ``p = (W, b)``
(``b`` only when the intercept is fitted; :mod:`logistic._links` gives the layout) and the
elastic-net mix ``r = l1_ratio``::

    F(p) = f(p) + l1 ||W||_1
    f(p) = (1 / S) sum_i s_i L(y_i, W^T x_i + b)  +  (lambda / 2) ||W||^2
    lambda  = (1 - r) / (C S),    l1 = r / (C S)      (both 0 when C = inf)

with ``L`` the link's loss (binary cross-entropy, or the softmax's ``-log a_y``).
scikit-learn (1.8's parametrisation) minimises ``C sum_i s_i L_i + (1 - r) ||W||^2 / 2 +
r ||W||_1``, which is ``C S F``: the same minimiser for the same ``C`` and ``l1_ratio``, so
our optimum equals scikit-learn's. The intercepts are never penalised. ``loss``,
``loss_grad``, ``grad_hess`` and ``hessp`` are those of the smooth part ``f``; the non-smooth
``l1 ||W||_1`` is handled by the solvers that support it through :meth:`Objective.prox`,
:meth:`Objective.penalty_l1` and :meth:`Objective.optimality`. With ``R_i = s_i (a_i -
y_i)`` (the link's ``dL/dz``, weighted)::

    df/dW = X^T R / S + lambda W          df/db = sum_i R_i / S
    H     = (Hessian of the loss sum) / S + lambda diag(1, ..., 1, 0)   (+ P, see below)

A link whose loss is invariant along some directions (the softmax's ``(1, ..., 1)`` over the
classes) has a singular data term; the projector ``P`` onto the directions the penalty does
not remove is added to every Hessian and Hessian-vector product: it changes no Newton step
within the identifiable subspace and makes the Cholesky factor exist.

What the objective can do depends on its link and its source, and is data:
:attr:`Objective.capabilities` (see :data:`CAPABILITIES`), which the solvers' declared needs
are checked against (:func:`logistic.solvers.solve`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla

from ._links import BINOMIAL

__all__ = ["CAPABILITIES", "Objective"]

#: What an objective may offer a solver beyond loss and gradient (always there):
#: ``"hessian"`` the explicit Hessian, ``"hessp"`` Hessian-vector products (one pass each),
#: ``"minibatches"`` stochastic estimates, ``"hess_diag"`` the Hessian's diagonal with the
#: gradient, ``"line_search"`` O(n_samples) derivatives along a direction,
#: ``"sampled_hessian"`` Hessians from a row sample at the sample's cost, ``"fused_sample"``
#: the gradient and a sampled Hessian in one pass, ``"float32_gram"`` Hessians from float32
#: Gram products, ``"columns"`` the rows as one array in memory (:meth:`Objective.design`).
CAPABILITIES = frozenset(
    {
        "hessian",
        "hessp",
        "minibatches",
        "hess_diag",
        "line_search",
        "sampled_hessian",
        "fused_sample",
        "float32_gram",
        "columns",
    }
)

# Above this many parameters the Lipschitz bound uses Lanczos on a matrix-free operator
# instead of the explicit (n + 1)^2 Gram matrix.
_EXPLICIT_GRAM_MAX = 2048


class Objective:
    """Loss, gradient and Hessian of the penalised mean-form objective over a source.

    Parameters
    ----------
    source : logistic.sources.Source
        The rows (in memory, streamed files, a Dask cluster); its ``y`` holds class
        indices of the link (0/1 for the binomial one).
    link : logistic.objective.Link, default Binomial()
        The model: :class:`~logistic.objective.Binomial` or
        :class:`~logistic.objective.Softmax`.
    C : float, default=1.0
        Inverse regularisation strength, scikit-learn's convention; ``np.inf`` for none.
    l1_ratio : float in [0, 1], default=0.0
        Share of the penalty that is L1 (1.0 is the lasso).
    fit_intercept : bool, default=True
    penalty_weight : float or None, default=None
        The ``S`` of the penalty's ``1 / (C S)``; None is the source's total weight (the
        objective above). :meth:`logistic.LogisticRegression.partial_fit` passes the weight
        seen so far, so that its penalty after the last call is the full-data penalty.

    Attributes
    ----------
    n_features, n_samples, dtype, weight_sum
        The source's.
    n_coef : int
        Penalised parameters (``W``), first in ``p``.
    n_params : int
        Length of ``p``.
    l2, l1 : float
        ``lambda`` and ``l1`` of the module docstring.
    capabilities : frozenset of str
        What this objective offers solvers (:data:`CAPABILITIES`).
    n_evaluations : int
        Passes over the data made through this objective.
    """

    def __init__(
        self, source, link=None, *, C=1.0, l1_ratio=0.0, fit_intercept=True, penalty_weight=None
    ):
        self.source = source
        self.link = link = BINOMIAL if link is None else link
        self.C = float(C)
        self.l1_ratio = float(l1_ratio)
        self.fit_intercept = bool(fit_intercept)
        self.n_features = n = source.n_features
        self.n_samples = source.n_samples
        self.dtype = np.dtype(source.dtype)
        self.n_out = link.n_out
        self.n_coef = n * link.n_out
        self.n_params = link.n_params(n, self.fit_intercept)
        self.weight_sum = float(source.weight_sum)
        scale = self.weight_sum if penalty_weight is None else float(penalty_weight)
        self._penalty_weight = scale
        strength = 0.0 if np.isinf(self.C) else 1.0 / (self.C * scale)
        self.l2 = (1.0 - self.l1_ratio) * strength
        self.l1 = self.l1_ratio * strength
        # the rows (of W, then b) of the null directions that the projector P covers
        rows = link.null_space(n, self.fit_intercept, self.l2 > 0.0 or self.l1 > 0.0)
        self._null_rows = np.asarray(rows, dtype=np.intp)
        self.capabilities = _capabilities(link.capabilities, source.capabilities)
        self.n_evaluations = 0
        self._no_intercept = np.zeros(link.n_out)
        self._finite_check = None  # see defer_finite_check
        self._subsample_cache = None

    def start(self):
        """The parameters a fit starts from: ``W = 0`` and, with an intercept and a link
        that starts there (``link.share_start``), the intercept-only model's ``b`` where
        the source knows its class totals (the log of the weighted class shares: the
        optimum along ``b`` at ``W = 0`` exactly), else 0.
        """
        p = np.zeros(self.n_params)
        totals = self.source.class_totals
        if self.fit_intercept and self.link.share_start and totals is not None:
            b = self.link.null_intercepts(totals)
            if b is not None:
                p[self.n_coef :] = b
        return p

    # -- the L1 part ------------------------------------------------------------------
    def penalty_l1(self, p) -> float:
        """``l1 ||W||_1`` (0 without an L1 penalty)."""
        if self.l1 == 0.0:
            return 0.0
        return self.l1 * float(np.sum(np.abs(np.asarray(p, dtype=np.float64)[: self.n_coef])))

    def prox(self, p, step):
        """Proximal map of ``step * l1 ||W||_1``: soft-thresholding of ``W``, ``b`` untouched.

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
        ``sign(g_j) max(|g_j| - l1, 0)``; for the intercepts ``g_b``. Zero exactly at the
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
        if g.shape[0] > n:  # the unpenalised intercepts
            out = max(out, float(np.max(np.abs(g[n:]))))
        return out

    # -- parameters -------------------------------------------------------------------
    def split(self, p):
        """``(w, b)``: ``W.ravel()`` (n_coef,) and the intercepts (n_out,) (zeros without)."""
        p = np.asarray(p, dtype=np.float64)
        k = self.n_coef
        return p[:k], (p[k:] if self.fit_intercept else self._no_intercept)

    def join(self, w, b=0.0):
        """The parameter vector from ``w = W.ravel()`` and ``b`` (a scalar or (n_out,))."""
        w = np.asarray(w, dtype=np.float64).ravel()
        if not self.fit_intercept:
            return w.copy()
        b = np.broadcast_to(np.asarray(b, dtype=np.float64).ravel(), (self.n_out,))
        return np.concatenate([w, b])

    def coef_intercept(self, p):
        """``(coef (n_out, n_features), intercept (n_out,))`` in scikit-learn's layout.

        Along the null directions (the softmax link's intercepts, and without a penalty
        every feature's row of ``W``) the model does not change, and solvers step along
        them only by rounding, which leaves ``sum_k b_k`` off zero by up to ~1e-6 after
        many iterations. The representative returned is the one summing to 0 over the
        classes on those rows, scikit-learn's convention: the same probabilities, the
        same loss, and no dependence on the solver's rounding path.
        """
        p = np.array(p, dtype=np.float64)
        if self._null_rows.size:
            rows = p.reshape(-1, self.n_out)[self._null_rows]
            p.reshape(-1, self.n_out)[self._null_rows] = rows - rows.mean(axis=1, keepdims=True)
        return self.link.coef_intercept(p, self.n_features, self.fit_intercept)

    def design(self):
        """``(X, y, s, offset)`` of an in-memory source, as held (``"columns"`` capability):
        ``X`` (m, n) dense or CSR, ``y`` the link's class indices, ``s`` the row weights
        summing to ``weight_sum`` (or None), ``offset`` (m,), (m, K) or None. For solvers
        that read ``X`` by columns; the others use the passes below."""
        self._pending_check()
        return self.source.arrays()

    # -- the deferred input check -----------------------------------------------------
    def defer_finite_check(self, check):
        """Run ``check`` (raises on NaN or infinity in X) only if needed.

        Where every block of the source takes the compiled row loops, which multiply every
        entry of X (``"compiled_blocks"``, binomial link), NaN or infinity in X makes the
        first loss or gradient non-finite, so ``check`` runs only then (and raises its clear
        error), and the fit saves the check's own pass over X. Any other first evaluation,
        or another source or link, runs ``check`` at once.
        """
        if "compiled_blocks" in self.source.capabilities and self.link is BINOMIAL:
            self._finite_check = check
        else:
            check()

    def _pending_check(self):
        check, self._finite_check = self._finite_check, None
        if check is not None:
            check()

    # -- evaluations ------------------------------------------------------------------
    def _value(self, st, w, scale):
        """``f`` and its gradient from a pass's sums: the mean-form formula, the one place
        it is written (``scale`` is ``1 / S``, or a mini-batch's ``n / (|B| S)``)."""
        f = scale * st.loss + 0.5 * self.l2 * float(w @ w)
        if st.grad_w is None:
            return f, None
        g_w = scale * st.grad_w + self.l2 * w
        return f, (np.concatenate([g_w, scale * st.grad_b]) if self.fit_intercept else g_w)

    def _stats(self, p, **options):
        w, b = self.split(p)
        self.n_evaluations += 1
        return self.source.stats(w, b, link=self.link, **options), w

    def loss(self, p) -> float:
        """``f(p)``."""
        self._pending_check()
        st, w = self._stats(p, need_grad=False)
        return self._value(st, w, 1.0 / self.weight_sum)[0]

    def loss_grad(self, p):
        """``(f(p), grad f(p))`` from one pass over the data."""
        st, w = self._stats(p, need_grad=True)
        f, g = self._value(st, w, 1.0 / self.weight_sum)
        if self._finite_check is not None:
            if not (np.isfinite(f) and np.all(np.isfinite(g))):
                self._pending_check()
            self._finite_check = None
        return f, g

    def grad(self, p):
        """``grad f(p)``."""
        return self.loss_grad(p)[1]

    def _hessian(self, hess, weight):
        """The objective's Hessian from a pass's Hessian sum (over rows of total ``weight``):
        scaled, without the intercepts when they are not fitted, plus the penalty and the
        projector of the null directions."""
        k = self.n_params
        H = hess[:k, :k] / weight if k < hess.shape[0] else hess / weight
        if self.l2:
            H.reshape(-1)[: self.n_coef * (k + 1) : k + 1] += self.l2
        if self._null_rows.size:
            K = self.n_out
            H4 = H.reshape(k // K, K, k // K, K)
            for j in self._null_rows:
                H4[j, :, j, :] += 1.0 / K
        return H

    def _null_matvec(self, v):
        """``P v`` (see :meth:`_add_null_matvec`)."""
        out = np.zeros_like(v)
        self._add_null_matvec(out, v)
        return out

    def _add_null_matvec(self, out, v):
        """``out += P v``: on every null row of ``W`` (or ``b``), the mean of ``v`` over the
        classes."""
        rows = self._null_rows
        if rows.size:
            K = self.n_out
            out.reshape(-1, K)[rows] += v.reshape(-1, K)[rows].mean(axis=1, keepdims=True)

    def _gram_kwargs(self, gram_scale):
        if gram_scale is None or "float32_gram" not in self.capabilities:
            return {}
        return {"gram_scale": np.asarray(gram_scale, dtype=np.float64)[: self.n_features]}

    def grad_hess(self, p, gram_scale=None):
        """``(f(p), grad f(p), Hessian f(p))`` from one pass over the data.

        ``gram_scale`` (``n_params`` positive column scales, or None): with the
        ``"float32_gram"`` capability, ``X^T diag(h) X`` is formed from float32 products of
        the columns divided by these scales, twice as fast and accurate to about ``1e-6``
        of the equilibrated Hessian (for scales like the columns' norms or ``sqrt(H_jj)``):
        a Newton direction's Hessian (:func:`logistic.solvers.newton`). Loss and gradient
        stay exact. None (the default) gives the Hessian in float64.
        """
        self._pending_check()
        st, w = self._stats(p, need_grad=True, need_hess=True, **self._gram_kwargs(gram_scale))
        f, g = self._value(st, w, 1.0 / self.weight_sum)
        return f, g, self._hessian(st.hess, self.weight_sum)

    def loss_grad_hess_diag(self, p):
        """``(f(p), grad f(p), diagonal of the Hessian at p)`` from one pass over the data.

        The diagonal (``[(X * X)^T h / S + lambda, sum(h) / S]`` for the binomial link,
        ``h = s a (1 - a)``) is Newton-CG's Jacobi preconditioner: it puts the intercept (a
        column of ones, as heavy as all the rows) and rare or large features on the same
        scale.
        """
        self._pending_check()
        st, w = self._stats(p, need_grad=True, need_hess="diag")
        f, g = self._value(st, w, 1.0 / self.weight_sum)
        d = st.hess[: self.n_params] / self.weight_sum
        d[: self.n_coef] += self.l2
        if self._null_rows.size:
            d.reshape(-1, self.n_out)[self._null_rows] += 1.0 / self.n_out
        return f, g, d

    def hessp(self, p, v):
        """``H(p) v``, the Hessian of ``f`` at ``p`` times ``v``, without forming ``H``.

        ``H v = (Hessian of the loss sum) v / S + lambda (v_w, 0) (+ P v)``: one pass over
        the data (Newton-CG's product); with the ``"cached_chunks"`` source capability the
        curvatures at ``p`` are kept, so the further products at ``p`` cost less.
        """
        self._pending_check()
        w, b = self.split(p)
        v = np.asarray(v, dtype=np.float64)
        v_w, v_b = self.split(v)
        self.n_evaluations += 1
        hw, hb = self.source.hessp(w, b, v_w, v_b, link=self.link)
        S = self.weight_sum
        # into one new vector, in place: on wide models each temporary of n_params is
        # fresh pages (docs/solvers.md)
        out = np.empty(self.n_params)
        out_w = out[: self.n_coef]
        np.divide(np.asarray(hw, dtype=np.float64).reshape(-1), S, out=out_w)
        if self.l2:
            out_w += self.l2 * v_w
        if self.fit_intercept:
            np.divide(np.asarray(hb, dtype=np.float64).reshape(-1), S, out=out[self.n_coef :])
        self._add_null_matvec(out, v)
        return out

    def along(self, p, d):
        """``phi(t) -> (phi'(t), phi''(t))`` of ``phi(t) = f(p + t d)``, or None without the
        ``"line_search"`` capability.

        The source keeps the logits ``Z`` at ``p`` and their change ``U`` along ``d`` (one
        pass now), so each trial ``t`` costs O(n_samples) and no pass over X: Newton's exact
        line search. With ``d = (dW, db)`` and the link's ``A(t)`` at ``Z + t U``::

            phi'(t)  = sum_i s_i (a_i - y_i) . u_i / S + lambda (W + t dW) . dW
            phi''(t) = sum_i s_i u_i^T (d a_i / d z_i) u_i / S + lambda dW . dW
        """
        if "line_search" not in self.capabilities:
            return None
        self._pending_check()
        w, b = self.split(p)
        dw, db = self.split(d)
        self.n_evaluations += 1
        data = self.source.along(w, b, dw, db, link=self.link)
        S, l2 = self.weight_sum, self.l2
        wd, dd = float(w @ dw), float(dw @ dw)

        def phi(t):
            d1, d2 = data(t)
            return d1 / S + l2 * (wd + t * dd), d2 / S + l2 * dd

        return phi

    # -- sampled Hessians -------------------------------------------------------------
    def gram_scales(self, step=1):
        """Column scales for a first float32 Gram product (``gram_scale`` of
        :meth:`grad_hess`) before any Hessian is known: the columns' norms over the rows the
        Hessian reads (every ``step``-th), one read of those rows. None without the
        ``"float32_gram"`` capability."""
        if "float32_gram" not in self.capabilities:
            return None
        source = self._every(step) if step > 1 else self.source
        scales = source.column_scales()
        return np.append(scales, 1.0) if self.fit_intercept else scales

    def subsampled_hessian(self, p, step, gram_scale=None, *, once=False):
        """An estimate of the Hessian at ``p`` from every ``step``-th row, one cheap pass.

        The Hessian over the rows ``R = 0, step, 2 step, ...`` divided by their weight
        ``S_R``, plus the penalty: an unbiased-in-expectation estimate of the data term for
        rows in no particular order, at ``1 / step`` of the cost (the sample is taken once
        per ``step`` and kept, unless ``once``: a one-off estimate reads the rows where they
        are). Without the ``"sampled_hessian"`` capability, the exact Hessian. For Newton's
        method the gradient stays exact, so only the convergence rate depends on the
        estimate. ``gram_scale`` as in :meth:`grad_hess`.
        """
        self._pending_check()
        if "sampled_hessian" not in self.capabilities or step <= 1:
            return self.grad_hess(p, gram_scale)[2]
        w, b = self.split(p)
        sample = self.source.every(step) if once else self._every(step)
        st = sample.stats(
            w, b, link=self.link, need_grad=False, need_hess=True, **self._gram_kwargs(gram_scale)
        )
        if not st.weight_sum > 0.0:  # every sampled row weighs 0: no estimate, the exact one
            return self.grad_hess(p, gram_scale)[2]
        return self._hessian(st.hess, st.weight_sum)

    def loss_grad_sampled_hessian(self, p, step, gram_scale=None):
        """``(f(p), grad f(p), subsampled Hessian at p)``: the exact loss and gradient and
        the estimate of :meth:`subsampled_hessian`, in one pass with the ``"fused_sample"``
        capability (a Dask source: one round trip to the workers instead of two), else two."""
        if "fused_sample" not in self.capabilities or step <= 1:
            f, g = self.loss_grad(p)  # the deferred check's first pass, if any
            return f, g, self.subsampled_hessian(p, step, gram_scale)
        self._pending_check()
        w, b = self.split(p)
        self.n_evaluations += 1
        st, sub = self.source.stats_and_sample(w, b, step, link=self.link)
        f, g = self._value(st, w, 1.0 / self.weight_sum)
        if not sub.weight_sum > 0.0:  # as in subsampled_hessian
            return f, g, self.grad_hess(p, gram_scale)[2]
        return f, g, self._hessian(sub.hess, sub.weight_sum)

    def known_loss(self, p) -> float:
        """``f(p)`` where it is known without a pass, else ``inf``: at ``p = 0`` with no
        offset every logit is 0, so every row's loss is ``log K`` (``log 2`` for one
        output) and the penalty is 0."""
        if np.any(p) or getattr(self.source, "offset", None) is not None:
            return np.inf
        return float(np.log(max(2, self.link.n_out)))

    def sample_objective(self, step):
        """This objective over every ``step``-th row (the kept sample of
        :meth:`subsampled_hessian`), with the same penalty ``lambda``, ``l1``: its minimiser
        is within the sampling error of this one's, a warm start (``newton``). None where
        the rows are not held in this process (``"columns"``: a sample's many passes would
        be round trips) or without the ``"sampled_hessian"`` capability."""
        if "sampled_hessian" not in self.capabilities or "columns" not in self.source.capabilities:
            return None
        return Objective(
            self._every(step),
            self.link,
            C=self.C,
            l1_ratio=self.l1_ratio,
            fit_intercept=self.fit_intercept,
            penalty_weight=self._penalty_weight,
        )

    def _every(self, step):
        """The kept sample of every ``step``-th row; C-ordered (``compact``) when it is at
        most 1/8 of the rows, so that its many Hessian passes run the compiled loop."""
        cache = self._subsample_cache
        if cache is None or cache[0] != step:
            sample = self.source.every(step)
            if step >= 8:
                sample = sample.compact()
            cache = self._subsample_cache = (step, sample)
        return cache[1]

    # -- a stochastic view ------------------------------------------------------------
    def minibatches(self, batch_size, rng):
        """One epoch of unbiased mini-batch estimates of ``f`` and its gradient.

        Yields objects with ``loss_grad(p)``. A batch ``B`` estimates the data term by
        ``(n / |B|) sum_{i in B} s_i L_i / S``, whose expectation over a uniform shuffle is
        the full data term; the penalty is exact.
        """
        self._pending_check()
        n = self.n_samples
        for batch in self.source.minibatches(batch_size, rng):
            yield _MiniBatch(self, batch, n / batch.n_samples / self.weight_sum)

    # -- curvature bounds -------------------------------------------------------------
    def lipschitz_bound(self) -> float:
        """An upper bound ``L`` on the gradient's Lipschitz constant (largest Hessian eigenvalue).

        A row's Hessian in its logits is at most ``c I`` (the link's ``curvature_bound``:
        ``1/4`` for the sigmoid, ``1/2`` for the softmax), so ``H <= c [X 1]^T S [X 1] / S +
        lambda I``. The largest eigenvalue of the weighted Gram matrix is computed exactly
        (``eigvalsh``) up to 2048 columns, else by Lanczos (ARPACK) on a matrix-free
        operator, one pass per product, raised by 1% to cover the residual of the iteration.
        """
        self._pending_check()
        k = self.n_features + int(self.fit_intercept)
        if k <= _EXPLICIT_GRAM_MAX:
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

            op = spla.LinearOperator((k, k), matvec=matvec)
            top = 1.01 * float(spla.eigsh(op, k=1, which="LA", tol=1e-3)[0][0])
        return self.link.curvature_bound * top / self.weight_sum + self.l2


def _capabilities(link_caps, source_caps) -> frozenset:
    caps = {"hessian", "hessp", "minibatches"}
    if "hess_diag" in link_caps:
        caps.add("hess_diag")
    if "line_search" in link_caps and "cached_chunks" in source_caps:
        caps.add("line_search")
    if "row_sampling" in source_caps:
        caps.add("sampled_hessian")
        if "fused_sample" in source_caps:
            caps.add("fused_sample")
    if "float32_gram" in link_caps and "float32_gram" in source_caps:
        caps.add("float32_gram")
    if "columns" in source_caps:
        caps.add("columns")
    return frozenset(caps)


class _MiniBatch:
    """One mini-batch's estimate of ``f`` and its gradient (see :meth:`Objective.minibatches`)."""

    __slots__ = ("_batch", "_objective", "_scale")

    def __init__(self, objective, batch, scale):
        self._objective = objective
        self._batch = batch
        self._scale = scale

    def loss_grad(self, p):
        obj = self._objective
        w, b = obj.split(p)
        st = self._batch.stats(w, b, link=obj.link, need_grad=True)
        return obj._value(st, w, self._scale)
