r"""Statistical inference for a fitted logistic regression, matching statsmodels' conventions.

Everything here is a pure function of the data and a fitted ``(coef, intercept)``; nothing
refits. With rows ``x_i`` (n_features,), labels ``y_i`` in {0, 1}, frequency weights
``s_i >= 0``, an optional offset ``o_i`` and the design ``x~_i = [x_i, 1]`` (the intercept is
the *last* parameter, as in :mod:`logistic.objective`; without ``fit_intercept`` it is
dropped), the model is::

    z_i = x~_i . beta + o_i,        a_i = sigmoid(z_i)

    log-likelihood     l(beta) = sum_i s_i [y_i z_i - log(1 + exp(z_i))]
                               = -sum_i s_i bce(y_i, z_i)
    score (gradient)   U(beta) = sum_i s_i (y_i - a_i) x~_i
    information        I(beta) = -d^2 l / d beta^2 = X~^T diag(s a (1 - a)) X~     (k, k)

``I`` is the kernel's Hessian sum (:func:`logistic.kernel.chunk_stats`, ``need_hess=True``,
fed block by block by :class:`logistic.sources.InMemorySource`); it is not re-derived here.
``k = n_features + fit_intercept`` and ``n = sum_i s_i`` (weights are *frequency* weights:
an integer weight is the same as repeating the row, so ``n`` counts observations, not rows).

Covariances (``cov_type``), all of the sandwich form ``B^-1 M B^-1`` with the bread
``B = I(beta)`` (plus the penalty for an opted-in penalised fit, see below):

``"nonrobust"``
    ``M = I``, so ``Cov = I^-1``: the inverse observed (= expected, for the canonical logit
    link) information. Assumes the model is correctly specified and the observations are
    independent. Equals statsmodels' ``Logit.fit()`` and ``GLM(Binomial).fit()``.
``"HC0"``
    ``M = sum_i s_i (y_i - a_i)^2 x~_i x~_i^T`` (White / Huber). Assumes only independence;
    consistent under misspecification of the variance. Equals statsmodels'
    ``cov_type="HC0"`` (for ``GLM(freq_weights=s)`` too: the meat counts each row ``s_i``
    times, not ``s_i^2``).
``"HC1"``
    ``HC0 * n / (n - k)``. This is the small-sample factor of statsmodels' own
    ``sandwich_covariance.cov_white_simple(res, use_correction=True)`` and of its OLS
    ``HC1``. Caution: statsmodels' ``Logit.fit(cov_type="HC1")`` and
    ``GLM.fit(cov_type="HC1")`` (checked with 0.15.0) silently return HC0 for these models (their
    ``get_robustcov_results`` calls ``cov_white_simple(use_correction=False)``); we apply
    the factor, as the name promises.
``"cluster"``
    ``M = sum_g U_g U_g^T`` with ``U_g = sum_{i in g} s_i (y_i - a_i) x~_i`` over the ``G``
    groups, times statsmodels' default (CRV1) correction ``G / (G - 1) * (n - 1) / (n - k)``.
    Assumes independence *between* groups only. Equals statsmodels'
    ``cov_type="cluster", cov_kwds={"groups": groups}`` for unit weights. With frequency
    weights we take ``n = sum s_i`` (the repeated-rows convention, so that integer weights
    equal repeated rows), while statsmodels' GLM takes the number of rows in this factor.

Standard errors are ``sqrt(diag(Cov))``, ``z = beta / se``, two-sided p-values
``2 * (1 - Phi(|z|))`` and intervals ``beta -/+ Phi^-1(1 - alpha/2) se`` (normal, as
statsmodels' discrete models; no t distribution).

Penalised fits. A fit with finite ``C`` minimises ``-l(beta) + ||w||^2 / (2 C)`` (the
intercept is never penalised; in the library's mean form this is the L2 strength
``lambda = 1 / (C sum_i s_i)``). Its estimate is *biased* towards 0, so ``I^-1`` is not its
covariance and intervals centred on it do not have their nominal coverage. By default we
therefore refuse (:class:`~logistic.errors.InvalidParameterError`). With
``penalized="sandwich"`` we return the covariance of the penalised estimator *around its
own expectation* (Le Cessie & van Houwelingen, 1992, Applied Statistics 41:191): bread
``B = I + P / C`` (``P = diag(1, ..., 1, 0)``), meat ``M`` as above (``I`` for
"nonrobust"), ``Cov = B^-1 M B^-1``; these standard errors describe the estimator's
variability, not its error (bias is not included), and are labelled so in the summary.
The information criteria then use the effective number of parameters
``edf = trace(B^-1 I)`` in place of ``k``.

Separation. If some direction ``d`` has ``(2 y_i - 1) x~_i . d >= 0`` for every row (with
equality not everywhere), the likelihood increases without bound along ``d``: the maximum
likelihood estimate does not exist, the solver stops at arbitrarily large coefficients and
their standard errors are meaningless. :func:`detect_separation` finds such a direction by
linear programming (Konis, 2007, "Linear programming algorithms for detecting separated
data in binary logistic regression models", DPhil thesis, Oxford) and names the features
and rows involved; :func:`inference` runs it and warns with :class:`SeparationWarning`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy import stats
from scipy.optimize import brentq, linprog
from scipy.special import xlogy

from ._math import bce, sigmoid
from ._validation import check_real
from .errors import ConvergenceWarning, DataError, InvalidParameterError, SeparationWarning
from .sources import InMemorySource

__all__ = [
    "COV_TYPES",
    "InferenceResult",
    "InferenceSummary",
    "SeparationReport",
    "SeparationWarning",
    "covariance",
    "detect_separation",
    "inference",
    "information_matrix",
    "log_likelihood",
    "null_log_likelihood",
]

COV_TYPES = ("nonrobust", "HC0", "HC1", "cluster")
_PENALIZED = ("error", "sandwich")
_COV_DESCRIPTIONS = {
    "nonrobust": "inverse information I^-1 (correctly specified model, independent rows)",
    "HC0": "heteroscedasticity robust sandwich HC0 (independent rows)",
    "HC1": "heteroscedasticity robust sandwich HC1 = HC0 * n/(n-k) (independent rows)",
    "cluster": "cluster robust sandwich CRV1, G/(G-1)*(n-1)/(n-k) (independent groups)",
}
# Rows with fitted min(a, 1 - a) below this look perfectly predicted: a reason to run the
# separation LP on data too large to check unconditionally.
_SUSPICIOUS_PROB = 1e-8
# Below this many design cells (rows x parameters) the separation LP is cheap (~1 s at the
# upper end on one core with HiGHS), so "auto" runs it on every unpenalised fit.
_ALWAYS_CHECK_CELLS = 2_000_000
# Greedy pruning of the separating features costs one LP per feature: only up to this many.
_MAX_PRUNE = 64
# A coefficient this many standard errors away from the optimum (one Newton step) means the
# fit had not converged and the standard errors describe the wrong point.
_NEWTON_STEP_WARN = 0.01


# -- separation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeparationReport:
    """The outcome of :func:`detect_separation`.

    Attributes
    ----------
    separated : bool
        Whether some direction separates the data (the MLE does not exist).
    kind : {"complete", "quasi-complete"} or None
        ``"complete"``: every row (of positive weight) is strictly separated, so every fitted
        probability tends to 0 or 1. ``"quasi-complete"``: only the rows in ``rows`` are.
    features : tuple of str
        An irreducible set of features that separates ``rows``: the support of a minimum
        L1-norm separating direction (columns scaled to max |x| = 1), then pruned greedily
        (least weight first, up to 64 features) while the same rows stay separated; no
        single feature of the set can be dropped. One explanation, not necessarily the
        only one: another feature may separate the same rows. The intercept is not listed
        (it is the last entry of ``direction``).
    feature_indices : tuple of int
        Column indices of ``features``.
    rows : ndarray of int
        Rows whose fitted probability tends to 0 or 1 along every separating direction
        (the largest such set), in increasing order.
    direction : ndarray of shape (n_features + fit_intercept,) or None
        That sparsest direction in the original units, scaled so that max |d_j| = 1
        (intercept last); the log-likelihood increases without bound along it.
    n_rows : int
        Rows considered (those with positive weight).
    """

    separated: bool
    kind: str | None
    features: tuple = ()
    feature_indices: tuple = ()
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    direction: np.ndarray | None = None
    n_rows: int = 0

    def message(self) -> str:
        """One paragraph saying what is separated and what to do about it."""
        if not self.separated:
            return "No separation: the maximum likelihood estimate exists (finite)."
        shown = ", ".join(repr(f) for f in self.features[:10])
        if len(self.features) > 10:
            shown += ", ..."
        what = f"features [{shown}]" if self.features else "the intercept alone (y has one class)"
        rows = ", ".join(str(int(r)) for r in self.rows[:8]) + (
            ", ..." if len(self.rows) > 8 else ""
        )
        return (
            f"{self.kind} separation: {what} predict y perfectly for {len(self.rows)} of "
            f"{self.n_rows} rows (rows {rows}). The maximum likelihood estimate does not "
            "exist: the fit stops at arbitrarily large coefficients, and their standard "
            "errors, z and p-values are meaningless. Remove or merge those features (or the "
            "categories they encode), or fit with a penalty (finite C)."
        )

    def as_dict(self) -> dict:
        """Plain-Python data (JSON-serialisable)."""
        return {
            "separated": self.separated,
            "kind": self.kind,
            "features": list(self.features),
            "feature_indices": [int(j) for j in self.feature_indices],
            "rows": [int(r) for r in self.rows],
            "direction": None if self.direction is None else self.direction.tolist(),
            "n_rows": int(self.n_rows),
        }


def detect_separation(X, y01, fit_intercept=True, feature_names=None, *, sample_weight=None):
    """Detect complete or quasi-complete separation by linear programming (Konis, 2007).

    With ``y'_i = 2 y_i - 1`` and ``x~_i = [x_i, 1]``, the data are separated when a
    direction ``d`` exists with ``y'_i x~_i . d >= 0`` for all rows and ``> 0`` for some;
    the log-likelihood then increases without bound along ``d``. Three LPs (HiGHS), on
    columns scaled to max |x_j| = 1:

    1. screen: maximise ``sum_i y'_i x~_i . d`` s.t. ``y'_i x~_i . d >= 0``, ``|d_j| <= 1``
       (``k`` variables; optimum 0 iff no separation);
    2. if positive, the rows: maximise ``sum_i t_i`` s.t. ``y'_i x~_i . d >= t_i``,
       ``0 <= t_i <= 1``, ``d`` free. The separating directions form a convex cone, so one
       direction is strictly positive on the union of the rows any direction separates;
       scaled up it sets ``t_i = 1`` exactly on that largest set;
    3. the features: minimise ``sum_j |d_j|`` (intercept free) s.t. ``y'_i x~_i . d >= 1`` on
       those rows and ``>= 0`` elsewhere, then drop features one at a time (smallest
       ``|d_j|`` first) while this LP stays feasible: an irreducible separating set.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix of shape (n_samples, n_features)
    y01 : array_like of shape (n_samples,)
        Labels in {0, 1}.
    fit_intercept : bool, default=True
        Whether the model has an intercept (a constant column joins the direction).
    feature_names : sequence of str or None
        Names of the columns; default ``X.columns`` when present, else ``"x0", "x1", ...``.
    sample_weight : array_like of shape (n_samples,) or None
        Rows of weight 0 are ignored.

    Returns
    -------
    SeparationReport
    """
    names = _feature_names(X, feature_names)
    X, y, s = _check_arrays(X, y01, sample_weight)
    return _detect_separation(X, y, s, bool(fit_intercept), names)


def _detect_separation(X, y, s, fit_intercept, names):
    keep = np.flatnonzero(s > 0) if s is not None else np.arange(X.shape[0])
    Xk = X[keep]
    n, p = Xk.shape
    scale = _column_scale(Xk)
    Xs = Xk @ sp.diags(1.0 / scale) if sp.issparse(Xk) else Xk / scale
    sign = 2.0 * y[keep] - 1.0
    if sp.issparse(Xs):
        D = sp.csr_matrix(Xs).multiply(sign[:, None]).tocsr()
        if fit_intercept:
            D = sp.hstack([D, sp.csr_matrix(sign[:, None])]).tocsr()
        colsum = np.asarray(D.sum(axis=0)).ravel()
    else:
        D = Xs * sign[:, None]
        if fit_intercept:
            D = np.column_stack([D, sign])
        colsum = D.sum(axis=0)
    k = D.shape[1]

    # 1. screen, k variables and n constraints: fast even for 1e5 rows.
    res = linprog(-colsum, A_ub=-D, b_ub=np.zeros(n), bounds=[(-1.0, 1.0)] * k, method="highs")
    if res.status != 0 or -res.fun <= 1e-9 * max(1.0, float(np.abs(colsum).max(initial=0))):
        return SeparationReport(False, None, n_rows=n)

    # 2. the largest set of separated rows.
    Ds = sp.csr_matrix(D)
    A = sp.hstack([-Ds, sp.identity(n, format="csr")]).tocsr()
    c = np.concatenate([np.zeros(k), -np.ones(n)])
    bounds = [(None, None)] * k + [(0.0, 1.0)] * n
    res = linprog(c, A_ub=A, b_ub=np.zeros(n), bounds=bounds, method="highs")
    if res.status != 0:  # pragma: no cover - the LP is feasible (d = 0) and bounded
        return SeparationReport(False, None, n_rows=n)
    t = res.x[k:]
    in_set = t > 0.5
    if not np.any(in_set):
        return SeparationReport(False, None, n_rows=n)
    kind = "complete" if np.all(in_set) else "quasi-complete"

    # 3. a sparse direction: minimum L1 norm, then greedy backward elimination of features
    #    (least weight first) while the same rows stay separated: an irreducible set.
    margin = in_set.astype(np.float64)
    active = np.ones(p, dtype=bool)
    found = _min_l1_direction(Ds, p, fit_intercept, margin, active)
    if found is None:  # pragma: no cover - feasible by step 2; fall back to its direction
        found = (res.x[:p], res.x[p:k])
    d_scaled, d_b = found
    support = _support(d_scaled)
    if 1 < support.sum() <= _MAX_PRUNE:
        for j in np.argsort(np.abs(d_scaled)):
            if not support[j] or support.sum() <= 1:
                continue
            trial = support.copy()
            trial[j] = False
            found = _min_l1_direction(Ds, p, fit_intercept, margin, trial)
            if found is not None:
                d_scaled, d_b = found
                support = trial & _support(d_scaled)
    idx = tuple(int(j) for j in np.flatnonzero(support))
    direction = np.concatenate([d_scaled / scale, d_b])
    top = np.max(np.abs(direction))
    if top > 0:
        direction = direction / top
    return SeparationReport(
        separated=True,
        kind=kind,
        features=tuple(names[j] for j in idx),
        feature_indices=idx,
        rows=keep[in_set],
        direction=direction,
        n_rows=n,
    )


def _support(d):
    big = np.max(np.abs(d), initial=0.0)
    return np.abs(d) > 1e-7 * big if big > 0 else np.zeros(d.shape[0], dtype=bool)


def _min_l1_direction(Ds, p, fit_intercept, margin, active):
    """``min sum_j |d_j|`` over the ``active`` features s.t. ``Ds d >= margin``; None if infeasible.

    ``Ds`` holds the rows ``y'_i x~_i`` (scaled columns, intercept last when fitted); the
    intercept is free and costs nothing. Inactive features are fixed at 0.
    """
    cols = np.flatnonzero(active)
    F = Ds[:, cols]
    if fit_intercept:
        A = sp.hstack([-F, F, -Ds[:, p:]]).tocsr()
        c = np.concatenate([np.ones(2 * cols.size), [0.0]])
        bounds = [(0.0, None)] * (2 * cols.size) + [(None, None)]
    else:
        A = sp.hstack([-F, F]).tocsr()
        c = np.ones(2 * cols.size)
        bounds = [(0.0, None)] * (2 * cols.size)
    res = linprog(c, A_ub=A, b_ub=-margin, bounds=bounds, method="highs")
    if res.status != 0:
        return None
    d = np.zeros(p)
    d[cols] = res.x[: cols.size] - res.x[cols.size : 2 * cols.size]
    return d, res.x[2 * cols.size :]


def _column_scale(X):
    if sp.issparse(X):
        scale = (
            np.asarray(abs(X).max(axis=0).toarray()).ravel() if X.shape[0] else np.ones(X.shape[1])
        )
    else:
        scale = np.max(np.abs(X), axis=0, initial=0.0)
    scale = np.asarray(scale, dtype=np.float64)
    scale[scale == 0] = 1.0
    return scale


# -- input checks ---------------------------------------------------------------------------


def _feature_names(X, feature_names):
    n_features = X.shape[1]
    if feature_names is None:
        cols = getattr(X, "columns", None)  # a DataFrame, without importing pandas
        if cols is not None and all(isinstance(c, str) for c in cols):
            feature_names = list(cols)
    if feature_names is None:
        return [f"x{j}" for j in range(n_features)]
    names = [str(f) for f in feature_names]
    if len(names) != n_features:
        raise InvalidParameterError(
            f"feature_names has {len(names)} names, but X has {n_features} columns; "
            "feature_names accepts one name per column."
        )
    return names


def _check_arrays(X, y01, sample_weight, offset=None):
    """float64 ``X`` (dense or CSR), ``y`` in {0, 1}, weights and offset, or a clear error."""
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float64)
        finite = np.all(np.isfinite(X.data))
    else:
        try:
            X = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError("X must be numeric (convertible to float64).") from None
        finite = np.all(np.isfinite(X))
    if X.ndim != 2:
        raise DataError(f"X has shape {X.shape}; X accepts a 2-d array (n_samples, n_features).")
    if not finite:
        raise DataError("X contains NaN or infinity; X accepts finite numbers.")
    n = X.shape[0]
    y = np.asarray(y01, dtype=np.float64).ravel()
    if y.shape[0] != n:
        raise DataError(
            f"y has {y.shape[0]} values, but X has {n} rows; y accepts one label per row."
        )
    if not np.all((y == 0) | (y == 1)):
        raise DataError("y contains values other than 0 and 1; y01 accepts labels in {0, 1}.")
    s = None
    if sample_weight is not None:
        s = np.asarray(sample_weight, dtype=np.float64).ravel()
        if s.shape[0] != n:
            raise DataError(
                f"sample_weight has {s.shape[0]} values, but X has {n} rows; sample_weight "
                f"accepts a 1-d array of length {n}."
            )
        if not np.all(np.isfinite(s)) or np.any(s < 0) or not np.any(s > 0):
            raise DataError("sample_weight must be finite and >= 0 with at least one weight > 0.")
    if offset is not None:
        offset = np.asarray(offset, dtype=np.float64).ravel()
        if offset.shape[0] != n:
            raise DataError(
                f"offset has {offset.shape[0]} values, but X has {n} rows; offset accepts a "
                f"1-d array of length {n}."
            )
        if not np.all(np.isfinite(offset)):
            raise DataError("offset contains NaN or infinity; offset accepts finite numbers.")
        return X, y, s, offset
    return X, y, s


def _check_params(X, coef, intercept, fit_intercept):
    coef = np.asarray(coef, dtype=np.float64).ravel()
    if coef.shape[0] != X.shape[1]:
        raise InvalidParameterError(
            f"coef has {coef.shape[0]} values, but X has {X.shape[1]} columns; coef accepts "
            "shape (n_features,) or (1, n_features)."
        )
    b = float(np.asarray(intercept, dtype=np.float64).ravel()[0]) if fit_intercept else 0.0
    if not (np.all(np.isfinite(coef)) and np.isfinite(b)):
        raise InvalidParameterError("coef and intercept must be finite.")
    return coef, b


def _check_options(cov_type, C, penalized, alpha):
    if cov_type not in COV_TYPES:
        raise InvalidParameterError(
            f"cov_type={cov_type!r} is not accepted; cov_type accepts one of {list(COV_TYPES)}."
        )
    C = check_real("C", C, low=0.0, low_open=True, allow_inf=True)
    if penalized not in _PENALIZED:
        raise InvalidParameterError(
            f"penalized={penalized!r} is not accepted; penalized accepts 'error' (refuse "
            "inference for a penalised fit) or 'sandwich'."
        )
    if np.isfinite(C) and penalized == "error":
        raise InvalidParameterError(
            f"C={C!r}: standard errors of a penalised fit are refused. The L2 penalty biases "
            "the estimate towards 0, so the inverse Hessian is not its covariance and "
            "intervals around it do not have their nominal coverage. Fit with C=np.inf for "
            "classical inference, or pass penalized='sandwich' for the sandwich covariance "
            "of the penalised estimator around its own mean (variability only, no bias)."
        )
    alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_open=True)
    if alpha >= 1.0:
        raise InvalidParameterError(f"alpha={alpha!r} is out of range; alpha accepts (0, 1).")
    return C, alpha


# -- the pieces -----------------------------------------------------------------------------


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


def _unpack(X, y01, sample_weight, offset):
    if offset is None:
        X, y, s = _check_arrays(X, y01, sample_weight)
        return X, y, s, None
    return _check_arrays(X, y01, sample_weight, offset)


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


def _check_groups(groups, n, s):
    if groups is None:
        raise InvalidParameterError(
            "cov_type='cluster' needs groups: an array of n_samples group labels."
        )
    g = np.asarray(groups).ravel()
    if g.shape[0] != n:
        raise DataError(
            f"groups has {g.shape[0]} values, but X has {n} rows; groups accepts one label per row."
        )
    _, codes = np.unique(g, return_inverse=True)
    used = codes if s is None else codes[s > 0]
    n_groups = int(np.unique(used).shape[0])
    if n_groups < 2:
        raise DataError(
            f"groups has {n_groups} distinct label(s) among rows of positive weight; "
            "cluster-robust covariance needs at least 2 groups."
        )
    return codes.astype(np.intp), int(codes.max()) + 1, n_groups


def _inverse_pd(B, names):
    """``B^-1`` for a symmetric positive definite ``B``, via Cholesky on its correlation form.

    Scaling by ``diag(B)^-1/2`` first makes the condition number independent of the units of
    the columns. Raises :class:`DataError` naming the collinear parameters when singular.
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
        See the module docstring for the formulas and statsmodels' equivalents.
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


# -- the result -----------------------------------------------------------------------------


class InferenceResult:
    """Coefficients with standard errors, tests, intervals and likelihood statistics.

    Built by :func:`inference`; all arrays have one entry per parameter, in the order of
    ``names`` (features, then ``"intercept"``).

    Attributes
    ----------
    names : list of str
    params : ndarray of shape (k,)
    cov_params : ndarray of shape (k, k)
    bse : ndarray of shape (k,)
        Standard errors ``sqrt(diag(cov_params))``.
    zvalues : ndarray of shape (k,)
        ``params / bse``.
    pvalues : ndarray of shape (k,)
        Two-sided normal p-values ``2 Phi(-|z|)``.
    alpha : float
        Default level of :meth:`conf_int` and :meth:`summary`.
    cov_type : str
    cov_info : dict
        ``n_groups`` and ``correction`` (the small-sample factor) where they apply.
    penalized : bool
        True for a finite-``C`` fit (penalised sandwich, opt-in).
    C : float
    nobs : float
        ``n = sum of weights`` (rows when unweighted).
    n_rows : int
    df_model : float
        ``k - 1`` (``edf - 1`` when penalised): the parameters beyond the intercept-only
        null model, also without ``fit_intercept`` (statsmodels' convention); the degrees of
        freedom of the likelihood-ratio test.
    df_resid : float
        ``nobs - k`` (``nobs - edf``).
    llf, llnull : float
        Log-likelihood at ``params`` and of the intercept-only model (with the offset).
    llr, llr_pvalue : float
        ``2 (llf - llnull)`` and its chi-squared(df_model) upper tail.
    prsquared : float
        McFadden's pseudo R^2, ``1 - llf / llnull``.
    aic, bic : float
        ``-2 llf + 2 k`` and ``-2 llf + k log(nobs)`` (``k`` = number of parameters,
        ``edf`` when penalised).
    edf : float
        Effective number of parameters, ``trace(B^-1 I)`` (``k`` when unpenalised).
    information : ndarray of shape (k, k)
        ``I = X~^T diag(s a (1 - a)) X~``.
    max_abs_gradient : float
        ``max |grad f|`` of the mean-form objective at ``params`` (the solver's ``tol``).
    newton_step_se : float
        ``max_j |(B^-1 g)_j| / bse_j``: how many standard errors one Newton step would move
        the estimate (0 at the exact optimum). A :class:`ConvergenceWarning` is issued above
        0.01.
    rcond : float
        Reciprocal condition number of the scaled bread matrix.
    separation : SeparationReport or None
        Set when the separation check ran.
    """

    def __init__(self, fit, cov, cov_type, cov_info, alpha, separation, llnull, dep_var):
        self.names = list(fit.names)
        self.params = fit.params
        self.cov_params = cov
        self.cov_type = cov_type
        self.cov_info = dict(cov_info)
        self.alpha = float(alpha)
        self.penalized = bool(np.any(fit.penalty))
        self.C = float(fit.C)
        self.fit_intercept = fit.fit_intercept
        self.nobs = fit.nobs
        self.n_rows = fit.n_rows
        self.information = fit.H
        self.rcond = fit.rcond
        self.separation = separation
        self.dep_var = dep_var
        with np.errstate(divide="ignore", invalid="ignore"):
            self.bse = np.sqrt(np.clip(np.diag(cov), 0.0, None))
            self.zvalues = self.params / self.bse
            step = fit.bread_inv @ fit.grad
            self.newton_step_se = float(np.max(np.abs(step) / self.bse, initial=0.0))
        self.pvalues = 2.0 * stats.norm.sf(np.abs(self.zvalues))
        self.max_abs_gradient = float(np.max(np.abs(fit.grad), initial=0.0) / fit.nobs)
        k = fit.k
        self.edf = float(np.trace(fit.bread_inv @ fit.H)) if self.penalized else float(k)
        # statsmodels: df_model = (parameters) - 1, the parameters beyond the constant-only
        # null model, with or without an intercept in the model itself.
        self.df_model = self.edf - 1.0
        self.df_resid = self.nobs - self.edf
        self.llf = float(fit.llf)
        self.llnull = float(llnull)
        self.llr = 2.0 * (self.llf - self.llnull)
        self.llr_pvalue = (
            float(stats.chi2.sf(self.llr, self.df_model)) if self.df_model > 0 else float("nan")
        )
        self.prsquared = 1.0 - self.llf / self.llnull if self.llnull != 0 else float("nan")
        self.aic = -2.0 * self.llf + 2.0 * self.edf
        self.bic = -2.0 * self.llf + self.edf * np.log(self.nobs)

    def conf_int(self, alpha=None):
        """Normal intervals ``params -/+ Phi^-1(1 - alpha/2) bse``, shape (k, 2)."""
        alpha = (
            self.alpha
            if alpha is None
            else check_real("alpha", alpha, low=0.0, high=1.0, low_open=True)
        )
        q = stats.norm.ppf(1.0 - alpha / 2.0)
        return np.column_stack([self.params - q * self.bse, self.params + q * self.bse])

    @property
    def method(self) -> str:
        return f"penalised MLE (L2, C={self.C:g})" if self.penalized else "MLE"

    @property
    def cov_description(self) -> str:
        text = _COV_DESCRIPTIONS[self.cov_type]
        if self.penalized:
            text = (
                f"penalised sandwich (I + P/C)^-1 M (I + P/C)^-1 with M of {self.cov_type}: "
                "variability of the biased penalised estimator, not its error"
            )
        return text

    def summary(self, alpha=None, title=None):
        """A :class:`InferenceSummary` whose ``str()`` is a statsmodels-style Logit table."""
        return InferenceSummary(self, self.alpha if alpha is None else alpha, title)

    def as_dict(self, alpha=None) -> dict:
        """All results as plain Python data (floats, lists, dicts): JSON-serialisable."""
        alpha = self.alpha if alpha is None else alpha
        ci = self.conf_int(alpha)
        return {
            "dep_var": self.dep_var,
            "method": self.method,
            "cov_type": self.cov_type,
            "cov_description": self.cov_description,
            "cov_info": {k: float(v) for k, v in self.cov_info.items()},
            "penalized": self.penalized,
            "C": self.C,
            "alpha": float(alpha),
            "nobs": self.nobs,
            "n_rows": int(self.n_rows),
            "df_model": self.df_model,
            "df_resid": self.df_resid,
            "llf": self.llf,
            "llnull": self.llnull,
            "llr": self.llr,
            "llr_pvalue": self.llr_pvalue,
            "prsquared": self.prsquared,
            "aic": self.aic,
            "bic": self.bic,
            "edf": self.edf,
            "max_abs_gradient": self.max_abs_gradient,
            "newton_step_se": self.newton_step_se,
            "params": {
                name: {
                    "coef": float(self.params[j]),
                    "std_err": float(self.bse[j]),
                    "z": float(self.zvalues[j]),
                    "p_value": float(self.pvalues[j]),
                    "ci_low": float(ci[j, 0]),
                    "ci_high": float(ci[j, 1]),
                }
                for j, name in enumerate(self.names)
            },
            "cov_params": self.cov_params.tolist(),
            "separation": None if self.separation is None else self.separation.as_dict(),
        }

    def __repr__(self):
        return (
            f"<InferenceResult: {len(self.names)} parameters, cov_type={self.cov_type!r}, "
            f"llf={self.llf:.6g}>"
        )


def _num(v, width, decimals, fixed=False):
    """Right-aligned fixed-point; 2-3 digit scientific when it would not fit or round to 0.

    ``fixed`` keeps fixed-point always (p-values print as 0.000, as in statsmodels).
    """
    if not np.isfinite(v):
        return f"{v!s:>{width}}"
    text = f"{v:.{decimals}f}"
    if not fixed and (len(text) > width - 1 or (v != 0 and abs(v) < 10.0 ** (-decimals))):
        text = f"{v:.3e}"
        if len(text) > width - 1:
            text = f"{v:.1e}"
    return f"{text:>{width}}"


class InferenceSummary:
    """A statsmodels-style Logit summary; ``str()`` is the table, ``as_dict()`` the data."""

    _WIDTH = 78

    def __init__(self, result, alpha, title=None):
        self.result = result
        self.alpha = float(alpha)
        self.title = title or "Logistic Regression Results"

    def header(self) -> list[tuple[str, str]]:
        r = self.result
        left = [
            ("Dep. Variable:", str(r.dep_var)),
            ("Model:", "Logit"),
            ("Method:", "Penalised MLE" if r.penalized else "MLE"),
            ("Covariance Type:", r.cov_type),
            ("AIC:", f"{r.aic:#.5g}"),
            ("BIC:", f"{r.bic:#.5g}"),
            ("max|grad|:", f"{r.max_abs_gradient:.2e}"),
        ]
        right = [
            ("No. Observations:", _count(r.nobs)),
            ("Df Residuals:", _count(r.df_resid)),
            ("Df Model:", _count(r.df_model)),
            ("Pseudo R-squ.:", f"{r.prsquared:.4f}"),
            ("Log-Likelihood:", f"{r.llf:#.5g}"),
            ("LL-Null:", f"{r.llnull:#.5g}"),
            ("LLR p-value:", f"{r.llr_pvalue:#.4g}"),
        ]
        return list(zip(left, right, strict=True))

    def notes(self) -> list[str]:
        r = self.result
        out = [f"Covariance: {r.cov_description}."]
        if r.cov_info.get("n_groups"):
            out.append(f"Clusters: {int(r.cov_info['n_groups'])}.")
        if r.penalized:
            out.append(
                f"Penalised fit (L2, C={r.C:g}): estimates are shrunk towards 0 (biased); "
                "intervals and p-values do not have their nominal coverage."
            )
        if r.separation is not None and r.separation.separated:
            out.append(r.separation.message())
        if r.newton_step_se > _NEWTON_STEP_WARN:
            out.append(
                f"The fit is not at the optimum: one Newton step moves a coefficient by "
                f"{r.newton_step_se:.2g} standard errors; refit with a smaller tol."
            )
        return out

    def as_text(self) -> str:
        r = self.result
        W = self._WIDTH
        half = W // 2
        lines = [self.title.center(W).rstrip(), "=" * W]
        for (k1, v1), (k2, v2) in self.header():
            a = f"{k1} {v1:>{half - len(k1) - 3}}"
            b = f"{k2} {v2:>{W - half - len(k2) - 2}}"
            lines.append(f"{a}  {b}")
        lines.append("=" * W)
        lo = f"[{self.alpha / 2:.3f}"
        hi = f"{1 - self.alpha / 2:.3f}]"
        name_w = max(W - 62, *(len(n) + 1 for n in r.names))
        lines.append(
            f"{'':<{name_w}}{'coef':>10}{'std err':>10}{'z':>10}{'P>|z|':>10}{lo:>11}{hi:>11}"
        )
        lines.append("-" * max(W, name_w + 62))
        ci = r.conf_int(self.alpha)
        for j, name in enumerate(r.names):
            lines.append(
                f"{name:<{name_w}}"
                + _num(r.params[j], 10, 4)
                + _num(r.bse[j], 10, 3)
                + _num(r.zvalues[j], 10, 3)
                + _num(r.pvalues[j], 10, 3, fixed=True)
                + _num(ci[j, 0], 11, 3)
                + _num(ci[j, 1], 11, 3)
            )
        lines.append("=" * max(W, name_w + 62))
        for note in self.notes():
            lines.extend(_wrap(note, W))
        return "\n".join(lines)

    def as_dict(self) -> dict:
        """The summary's data: header pairs, one row per parameter, notes (plain Python)."""
        r = self.result
        ci = r.conf_int(self.alpha)
        header = {}
        for (k1, v1), (k2, v2) in self.header():
            header[k1.rstrip(":")] = v1
            header[k2.rstrip(":")] = v2
        return {
            "title": self.title,
            "header": header,
            "columns": [
                "coef",
                "std err",
                "z",
                "P>|z|",
                f"[{self.alpha / 2:.3f}",
                f"{1 - self.alpha / 2:.3f}]",
            ],
            "rows": [
                [
                    name,
                    float(r.params[j]),
                    float(r.bse[j]),
                    float(r.zvalues[j]),
                    float(r.pvalues[j]),
                    float(ci[j, 0]),
                    float(ci[j, 1]),
                ]
                for j, name in enumerate(r.names)
            ],
            "notes": self.notes(),
        }

    def __str__(self):
        return self.as_text()

    def __repr__(self):
        return self.as_text()


def _count(v):
    """An observation count: an integer when whole, else 4 decimals (weights, edf)."""
    return f"{round(v)}" if float(v).is_integer() else f"{v:.4f}"


def _wrap(text, width):
    import textwrap

    return textwrap.wrap(text, width) or [""]


def inference(
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
    alpha=0.05,
    feature_names=None,
    dep_var="y",
    check_separation="auto",
):
    """Standard errors, z, p-values, intervals and likelihood statistics of a fitted model.

    Parameters
    ----------
    X, y01, coef, intercept, sample_weight, offset, fit_intercept, C, cov_type, groups, penalized
        As in :func:`covariance` (the module docstring gives the formulas).
    alpha : float, default=0.05
        Level of the confidence intervals (``1 - alpha`` coverage).
    feature_names : sequence of str or None
        Parameter names; default ``X.columns`` when present, else ``"x0", "x1", ...``. The
        intercept is named ``"intercept"``.
    dep_var : str, default="y"
        Name of the response in the summary.
    check_separation : {"auto", True, False}, default="auto"
        Run :func:`detect_separation` on an unpenalised fit: always with True; with "auto"
        when it is cheap (``n_rows * k <= 2e6``) or the fit looks separated (a fitted
        probability within 1e-8 of 0 or 1, or a singular information matrix). A separated
        fit issues :class:`SeparationWarning`; if its information matrix is singular a
        :class:`~logistic.errors.DataError` carrying the report is raised instead.

    Returns
    -------
    InferenceResult

    Warns
    -----
    SeparationWarning
        The data are separated; the message names the features and rows.
    logistic.errors.ConvergenceWarning
        ``coef`` is more than 0.01 standard errors (one Newton step) from the optimum.
    """
    C, alpha = _check_options(cov_type, C, penalized, alpha)
    if check_separation not in ("auto", True, False):
        raise InvalidParameterError(
            f"check_separation={check_separation!r} is not accepted; it accepts 'auto', "
            "True or False."
        )
    names = _feature_names(X, feature_names)
    X_, y_, s_, off_ = _unpack(X, y01, sample_weight, offset)
    penalised = bool(np.isfinite(C))
    k = X_.shape[1] + int(bool(fit_intercept))
    run_lp = check_separation is True or (
        check_separation == "auto" and not penalised and X_.shape[0] * k <= _ALWAYS_CHECK_CELLS
    )
    report = None
    try:
        fit = _Fit(X_, y_, coef, intercept, s_, off_, fit_intercept, C, names)
    except DataError as exc:
        if penalised or check_separation is False:
            raise
        report = _detect_separation(X_, y_, s_, bool(fit_intercept), names)
        if report.separated:
            raise DataError(report.message()) from exc
        raise
    if not run_lp and check_separation == "auto" and not penalised:
        z = _linear_predictor(X_, fit.coef, fit.b, off_)
        live = slice(None) if s_ is None else s_ > 0
        tail = sigmoid(-np.abs(z[live]))
        run_lp = bool(np.any(tail < _SUSPICIOUS_PROB)) or fit.rcond < 1e-10
    if run_lp and not penalised:
        report = _detect_separation(X_, y_, s_, bool(fit_intercept), names)
        if report.separated:
            warnings.warn(report.message(), SeparationWarning, stacklevel=2)
    cov, info = fit.cov(cov_type, groups)
    llnull = null_log_likelihood(y_, sample_weight=s_, offset=off_)
    result = InferenceResult(fit, cov, cov_type, info, alpha, report, llnull, dep_var)
    if result.newton_step_se > _NEWTON_STEP_WARN and not (report is not None and report.separated):
        warnings.warn(
            f"coef is not the optimum of the objective: one Newton step would move a "
            f"coefficient by {result.newton_step_se:.2g} standard errors (max|grad| = "
            f"{result.max_abs_gradient:.2e}). The standard errors assume the optimum; refit "
            "with a smaller tol.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return result
