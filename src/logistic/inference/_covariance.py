"""The likelihood, the information matrix and the sandwich covariances (the formulas are in
the docstring of :mod:`logistic.inference`)."""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.optimize import brentq
from scipy.special import xlogy

from .._math import bce, sigmoid
from ..errors import DataError
from ..sources import InMemorySource
from ._checks import _check_groups, _check_options, _check_params, _unpack


def _linear_predictor(X, coef, b, offset):
    z = np.asarray(X @ coef, dtype=np.float64).ravel() + b
    if offset is not None:
        z = z + offset
    return z


def _information(X, y, s, offset, coef, b, fit_intercept):
    """Sum-form information ``X~^T diag(s a(1-a)) X~`` and the log-likelihood, one pass."""
    st = InMemorySource(X, y, s, offset).stats(coef, b, need_grad=True, need_hess=True)
    H = st.hess
    g = np.append(st.grad_w, st.grad_b)  # gradient of -l, i.e. -U
    if not fit_intercept:
        H = H[:-1, :-1]
        g = g[:-1]
    return H, -st.loss, g


def log_likelihood(X, y01, coef, intercept=0.0, *, sample_weight=None, offset=None):
    """``l = sum_i s_i [y_i z_i - log(1 + exp(z_i))]`` with ``z = X coef + intercept + offset``.

    Computed from logits with the stable BCE (never ``log(sigmoid(z))``). Returns a float.
    """
    X, y, s, offset = _unpack(X, y01, sample_weight, offset)
    coef, b = _check_params(X, coef, intercept, True)
    z = _linear_predictor(X, coef, b, offset)
    losses = bce(y, z)
    return -float(np.sum(losses) if s is None else losses @ s)


def null_log_likelihood(y01, *, sample_weight=None, offset=None):
    """Log-likelihood of the intercept-only model (with the offset, if any), maximised.

    Without offset, ``l0 = n [p log p + (1 - p) log(1 - p)]`` with ``p = sum s y / n``,
    ``n = sum s``. With an offset the intercept solves ``sum_i s_i (y_i - sigmoid(o_i + b))
    = 0`` (monotone in ``b``; Brent's method). As statsmodels, this is the null model even
    when the fitted model has no intercept. Returns 0.0 when y has one class (the supremum).
    """
    y = np.asarray(y01, dtype=np.float64).ravel()
    s = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, np.float64).ravel()
    n = float(s.sum())
    p = float(s @ y) / n
    if p <= 0.0 or p >= 1.0:
        return 0.0
    if offset is None:
        return float(xlogy(n * p, p) + xlogy(n * (1 - p), 1 - p))
    o = np.asarray(offset, dtype=np.float64).ravel()

    def score(b):
        return float(s @ (y - sigmoid(o + b)))

    lo, hi = np.log(p / (1 - p)) - o.max() - 1.0, np.log(p / (1 - p)) - o.min() + 1.0
    b = brentq(score, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200)
    return -float(s @ bce(y, o + b))


def information_matrix(
    X, y01, coef, intercept=0.0, *, sample_weight=None, offset=None, fit_intercept=True
):
    """The observed information ``I = X~^T diag(s a (1 - a)) X~``, shape (k, k), intercept last.

    The Hessian of the negative log-likelihood as a *sum* over rows (not the mean-form
    objective's Hessian, which is ``I / n``), from the kernel via
    :class:`~logistic.sources.InMemorySource`. Computed in float64.
    """
    X, y, s, offset = _unpack(X, y01, sample_weight, offset)
    coef, b = _check_params(X, coef, intercept, fit_intercept)
    return _information(X, y, s, offset, coef, b, bool(fit_intercept))[0]


def _meat(X, y, s, offset, coef, b, fit_intercept, cov_type, groups):
    """``M`` of the sandwich: sum of (row or group) score outer products."""
    z = _linear_predictor(X, coef, b, offset)
    resid = y - sigmoid(z)  # the score of row i is s_i * resid_i * x~_i
    if cov_type in ("HC0", "HC1"):
        # sum_i s_i resid_i^2 x~_i x~_i^T: frequency weights count a row s_i times (not
        # s_i^2). It is the weighted Gram matrix with row weights h = s resid^2, blocked by
        # the source and summed by the kernel's chunk_gram.
        h = resid * resid if s is None else s * resid * resid
        M = InMemorySource(X, y, h).gram()
    else:
        codes, n_codes = groups
        r = resid if s is None else s * resid
        ind = sp.csr_matrix((r, (codes, np.arange(X.shape[0]))), shape=(n_codes, X.shape[0]))
        Uw = ind @ X
        Uw = Uw.toarray() if sp.issparse(Uw) else np.asarray(Uw)
        U = np.column_stack([Uw, np.asarray(ind.sum(axis=1)).ravel()])
        M = U.T @ U
    return M if fit_intercept else M[:-1, :-1]


def _inverse_pd(B, names):
    """``B^-1`` for a symmetric positive definite ``B``, via Cholesky on its correlation form.

    Scaling by ``diag(B)^-1/2`` first makes the condition number independent of the units of
    the columns. Raises :class:`~logistic.errors.DataError` naming the collinear parameters
    when singular.
    """
    d = np.sqrt(np.clip(np.diag(B), 0.0, None))
    zero = d <= 0
    if np.any(zero):
        bad = [names[j] for j in np.flatnonzero(zero)]
        raise DataError(
            f"the information matrix is singular: parameters {bad} carry no information "
            "(a constant-zero column, or every row fitted with probability 0 or 1)."
        )
    Bs = B / np.outer(d, d)
    evals, evecs = np.linalg.eigh(Bs)
    if evals[0] <= 1e-12 * evals[-1]:
        v = evecs[:, 0]
        bad = [names[j] for j in np.flatnonzero(np.abs(v) > 0.1)]
        raise DataError(
            f"the information matrix is singular (reciprocal condition {evals[0] / evals[-1]:.2e}): "
            f"parameters {bad} are collinear, or the data are separated. Drop one of the "
            "collinear columns (see also detect_separation)."
        )
    cf = sla.cho_factor(Bs, lower=True)
    inv = sla.cho_solve(cf, np.eye(B.shape[0]))
    inv = (inv + inv.T) / 2.0
    return inv / np.outer(d, d), float(evals[0] / evals[-1])


class _Fit:
    """Everything the covariances share, computed once from validated arrays."""

    def __init__(self, X, y01, coef, intercept, sample_weight, offset, fit_intercept, C, names):
        X, y, s, offset = _unpack(X, y01, sample_weight, offset)
        self.fit_intercept = bool(fit_intercept)
        self.coef, self.b = _check_params(X, coef, intercept, self.fit_intercept)
        self.X, self.y, self.s, self.offset = X, y, s, offset
        self.names = list(names) + (["intercept"] if self.fit_intercept else [])
        self.k = len(self.names)
        self.n_rows = X.shape[0]
        self.nobs = float(self.n_rows if s is None else s.sum())
        self.C = C
        self.H, self.llf, g = _information(X, y, s, offset, self.coef, self.b, self.fit_intercept)
        self.params = np.append(self.coef, self.b) if self.fit_intercept else self.coef.copy()
        self.penalty = np.zeros(self.k)
        if np.isfinite(C):
            self.penalty[: X.shape[1]] = 1.0 / C
            g = g + self.penalty * self.params
        self.grad = g  # gradient of the (penalised) sum-form objective at params
        self.bread = self.H + np.diag(self.penalty)
        self.bread_inv, self.rcond = _inverse_pd(self.bread, self.names)

    def _meat(self, cov_type, groups):
        return _meat(
            self.X,
            self.y,
            self.s,
            self.offset,
            self.coef,
            self.b,
            self.fit_intercept,
            cov_type,
            groups,
        )

    def cov(self, cov_type, groups):
        if cov_type == "nonrobust":
            if not np.any(self.penalty):
                return self.bread_inv, {}
            M = self.H
            info = {}
        elif cov_type in ("HC0", "HC1"):
            M = self._meat(cov_type, None)
            info = {}
        else:
            codes, n_codes, G = _check_groups(groups, self.n_rows, self.s)
            M = self._meat(cov_type, (codes, n_codes))
            info = {"n_groups": G}
        cov = self.bread_inv @ M @ self.bread_inv
        cov = (cov + cov.T) / 2.0
        n, k = self.nobs, self.k
        if cov_type in ("HC1", "cluster") and n <= k:
            raise DataError(
                f"cov_type={cov_type!r} needs more observations than parameters for its "
                f"small-sample factor; got n={n:g} (sum of weights) and k={k}."
            )
        if cov_type == "HC1":
            factor = n / (n - k)
            cov = cov * factor
            info["correction"] = factor
        elif cov_type == "cluster":
            G = info["n_groups"]
            factor = G / (G - 1.0) * (n - 1.0) / (n - k)
            cov = cov * factor
            info["correction"] = factor
        return cov, info


def covariance(
    X,
    y01,
    coef,
    intercept=0.0,
    *,
    sample_weight=None,
    offset=None,
    fit_intercept=True,
    C=np.inf,
    cov_type="nonrobust",
    groups=None,
    penalized="error",
):
    """Covariance matrix of the fitted parameters, shape (k, k), intercept last.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix of shape (n_samples, n_features)
    y01 : array_like of shape (n_samples,)
        Labels in {0, 1} (1 is the positive class, ``classes_[1]``).
    coef : array_like of shape (n_features,) or (1, n_features)
        The fitted coefficients (the maximiser of the log-likelihood when ``C=np.inf``).
    intercept : float or array of shape (1,), default=0.0
        Ignored when ``fit_intercept=False``.
    sample_weight : array_like of shape (n_samples,) or None
        Frequency weights ``s`` (an integer weight = that many copies of the row).
    offset : array_like of shape (n_samples,) or None
        Known term added to every logit.
    fit_intercept : bool, default=True
    C : float, default=np.inf
        The fit's inverse regularisation strength; finite values need ``penalized``.
    cov_type : {"nonrobust", "HC0", "HC1", "cluster"}, default="nonrobust"
        See :mod:`logistic.inference` for the formulas and statsmodels' equivalents.
    groups : array_like of shape (n_samples,) or None
        Cluster labels (any hashable values) for ``cov_type="cluster"``.
    penalized : {"error", "sandwich"}, default="error"
        What to do for finite ``C``: refuse, or return the penalised sandwich
        ``(I + P/C)^-1 M (I + P/C)^-1``.

    Returns
    -------
    ndarray of shape (n_features + fit_intercept, n_features + fit_intercept)
    """
    C, _ = _check_options(cov_type, C, penalized, 0.05)
    names = [f"x{j}" for j in range(np.shape(X)[1])]
    fit = _Fit(X, y01, coef, intercept, sample_weight, offset, fit_intercept, C, names)
    return fit.cov(cov_type, groups)[0]
