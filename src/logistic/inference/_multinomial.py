r"""Inference of a multinomial (softmax) fit in the reference-class parametrisation: the
statistics of statsmodels' ``MNLogit``.

With ``K`` classes, rows ``x~_i = [x_i, 1]`` (``p~`` entries; no 1 without
``fit_intercept``), one-hot labels ``y_ik``, frequency weights ``s_i`` and offsets
``o_ik``, the softmax fit has ``K`` vectors ``theta_k = [W_k, b_k]`` identified only up to a
common shift. Against the reference class ``r`` the model is::

    z_ik = x~_i . beta_k + (o_ik - o_ir),   beta_k = theta_k - theta_r  (k != r),  beta_r = 0
    a_ik = exp(z_ik) / sum_l exp(z_il)

    log-likelihood   l(beta) = sum_i s_i log a_{i y_i}
    score            U_k     = sum_i s_i (y_ik - a_ik) x~_i                       (k != r)
    information      I_jl    = X~^T diag(s a_j (delta_jl - a_l)) X~                (j, l != r)

``beta`` stacks the ``K - 1`` contrasts class by class (``k = (K - 1) p~`` parameters, each
block features then intercept; :mod:`logistic.inference._reference` names them
``"<class>:<feature>"``). ``I`` is the softmax kernel's Hessian sum (every block but the
reference's), so it is not re-derived here; it is positive definite exactly when the MLE is
identified. The covariances are the binary ones with these scores (:mod:`logistic.inference`):
``"nonrobust"`` ``I^-1``; ``"HC0"`` ``I^-1 M I^-1`` with ``M = sum_i s_i u_i u_i^T``,
``u_i = [(y_ik - a_ik) x~_i]_{k != r}``; ``"HC1"`` ``HC0 * n / (n - k)``; ``"cluster"``
``M = sum_g U_g U_g^T`` times ``G / (G - 1) * (n - 1) / (n - k)`` (statsmodels' factors,
with ``k = (K - 1) p~``).

Likelihood statistics as ``MNLogit``: the null model has one intercept per class, so
``l0 = sum_k n_k log(n_k / n)`` (with an offset its intercepts are fitted by Newton's
method); ``df_model = k - (K - 1)``, ``AIC = -2 l + 2 k``, ``BIC = -2 l + k log n``, the
likelihood-ratio test on ``df_model`` degrees of freedom, McFadden's ``1 - l / l0``.

Penalised fits (opt-in ``penalized="sandwich"``, finite ``C``, L2). The fit minimises
``-l + ||W||^2 / (2 C)`` over the *symmetric* parameters (all ``K`` classes' features; no
intercepts). For given contrasts ``beta`` the penalty is smallest for ``W_k = beta_k - mean_l
beta_l`` (the optimum's ``sum_k W_k = 0``), where it equals ``beta_f^T Q beta_f / (2 C)`` per
feature ``f`` with ``Q = I_{K-1} - 1 1^T / K``. So the penalised contrasts are the
M-estimator of ``-l(beta) + sum_f beta_f^T Q beta_f / (2 C)``, and the sandwich is the binary
one with the bread ``B = I + (Q (x) P) / C`` (``P = diag(1, ..., 1, 0)``, intercepts
unpenalised) and the meat above (``I`` for "nonrobust"). It describes the variability of the
penalised contrasts around their own expectation, not their error (the shrinkage bias is not
in it); ``edf = trace(B^-1 I)`` replaces ``k``.

Separation. The MLE does not exist iff a direction ``d`` (``d_r = 0``) has
``x~_i . (d_{y_i} - d_k) >= 0`` for every row and class, strictly somewhere (Albert &
Anderson, 1984): the log-likelihood then grows without bound along ``d``. One LP decides it
(:func:`multinomial_separation`); the features are named by the binary LP of each class
against the rest (:func:`~logistic.inference.detect_separation`), a sufficient condition that
names the usual culprit (a level or threshold that singles out one class).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.special import xlogy

from .._links import Softmax
from ..errors import DataError, InvalidParameterError, SeparationWarning
from ..sources import InMemorySource
from ._api import _SUSPICIOUS_PROB, _warn_if_not_optimum
from ._checks import _check_arrays, _check_options, _feature_names, _row_values
from ._covariance import _Fit, _inverse_pd
from ._reference import reference_index, reference_names, symmetric_params
from ._result import InferenceResult
from ._separation import SeparationReport, _column_scale, _detect_separation

__all__ = ["multinomial_inference", "multinomial_separation"]

# Below this many nonzeros of the separation LP (two entries of x~ per row and other class)
# "auto" runs it on every unpenalised fit, as the binary check does.
_ALWAYS_CHECK_NNZ = 2_000_000
# Rows of x~ densified at a time for the meat's score products.
_CHUNK_ELEMENTS = 1 << 21


def multinomial_inference(
    X,
    y,
    coef,
    intercept=None,
    *,
    classes=None,
    reference=None,
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
    """Standard errors, tests, intervals and likelihood statistics of a softmax fit against
    a reference class (statsmodels' ``MNLogit``; formulas in this module's docstring).

    Parameters
    ----------
    X : array_like or scipy.sparse matrix of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
        Labels, each one of ``classes``.
    coef : array_like of shape (K, n_features)
        The fitted ``W_k`` (scikit-learn's ``coef_``, any common shift); one row is a binary
        fit (``W_0 = 0``, ``W_1`` the row).
    intercept : array_like of shape (K,) (or (1,) with one row of ``coef``), or None
        Ignored when ``fit_intercept=False``.
    classes : array_like of shape (K,) or None
        The labels of the rows of ``coef`` (``classes_``); None: ``np.unique(y)``.
    reference : label or None
        The reference class (a label of ``classes``, or its text); None: ``classes[0]``.
    sample_weight, fit_intercept, C, cov_type, groups, penalized, alpha, feature_names, dep_var
        As in :func:`~logistic.inference.inference`.
    offset : array_like of shape (n_samples, K) or None
        Known terms added to the logits (of shape (n_samples,) for a binary ``coef``).
    check_separation : {"auto", True, False}, default="auto"
        Run :func:`multinomial_separation` on an unpenalised fit: always with True; with
        "auto" when the LP is small or the fit looks separated (a fitted probability
        within 1e-8 of 0 or 1, or a singular information matrix).

    Returns
    -------
    InferenceResult
        ``names`` ``"<class>:<feature>"``, ``reference`` the reference label, ``equations``
        the class of each parameter.

    Raises
    ------
    logistic.errors.InvalidParameterError
        An option outside what is accepted; ``reference`` not a class (the message lists them).
    logistic.errors.DataError
        The data do not fit ``coef``, or the information matrix is singular (named
        parameters; the separation when there is one).

    Warns
    -----
    SeparationWarning
        The data are separated (the MLE does not exist); the message names the class, the
        features and the rows.
    logistic.errors.ConvergenceWarning
        ``coef`` is more than 0.01 standard errors (one Newton step) from the optimum.
    """
    W = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    K = max(W.shape[0], 2)
    C, alpha = _check_options(cov_type, C, penalized, alpha, n_classes=K)
    if check_separation not in ("auto", True, False):
        raise InvalidParameterError(
            f"check_separation={check_separation!r} is not accepted; it accepts 'auto', "
            "True or False."
        )
    names = _feature_names(X, feature_names)
    y = np.asarray(y).ravel()
    classes = np.unique(y) if classes is None else np.asarray(classes)
    if classes.shape != (K,):
        raise DataError(
            f"classes has {classes.size} labels but coef {W.shape[0]} rows; classes accepts "
            f"the {K} labels of the fit."
        )
    ref = reference_index(classes, reference)
    yi = _class_positions(y, classes)
    X, _, s = _check_arrays(X, (yi > 0).astype(np.float64), sample_weight)
    if W.shape[1] != X.shape[1]:
        raise DataError(f"coef has {W.shape[1]} columns, but X has {X.shape[1]}.")
    offset = _multinomial_offset(offset, X.shape[0], W.shape[0], K)
    b = np.zeros(W.shape[0]) if intercept is None or not fit_intercept else intercept
    S = symmetric_params(W, b, bool(fit_intercept))
    if not np.all(np.isfinite(S)):
        raise DataError("coef and intercept must be finite.")
    penalised = bool(np.isfinite(C))
    lp_nnz = 2 * X.shape[0] * (K - 1) * (X.shape[1] + int(bool(fit_intercept)))
    run_lp = check_separation is True or (
        check_separation == "auto" and not penalised and lp_nnz <= _ALWAYS_CHECK_NNZ
    )
    report = label = None
    args = (X, yi, s, offset, bool(fit_intercept), names)
    try:
        fit = _MultinomialFit(X, yi, S, s, offset, bool(fit_intercept), C, names, classes, ref)
    except DataError as exc:
        if penalised or check_separation is False:
            raise
        report, label = multinomial_separation(*args, classes=classes)
        if report.separated:
            raise DataError(_message(report, classes, label, dep_var)) from exc
        raise
    if not run_lp and check_separation == "auto" and not penalised:
        live = slice(None) if s is None else s > 0
        A = fit.proba()[live]
        tail = np.minimum(A, 1.0 - A)
        run_lp = bool(np.any(tail < _SUSPICIOUS_PROB)) or fit.rcond < 1e-10
    if run_lp and not penalised:
        report, label = multinomial_separation(*args, classes=classes)
        if report.separated:
            message = _message(report, classes, label, dep_var)
            warnings.warn(message, SeparationWarning, stacklevel=2)
    cov, info = fit.cov(cov_type, groups)
    llnull = _null_log_likelihood(yi, s, offset, K)
    result = InferenceResult(
        fit,
        cov,
        cov_type,
        info,
        alpha,
        report,
        llnull,
        dep_var,
        equations=fit.equations,
        reference=_py(classes[ref]),
        separation_class=None if label is None else _py(classes[label]),
    )
    _warn_if_not_optimum(result, report)
    return result


class _MultinomialFit(_Fit):
    """What the covariances share (:class:`_Fit`'s contract) for the reference contrasts."""

    def __init__(self, X, yi, S, s, offset, fit_intercept, C, features, classes, ref):
        K, pt = S.shape
        p = X.shape[1]
        self.X, self.y, self.s, self.offset = X, yi, s, offset
        self.K, self.ref, self.fit_intercept, self.C = K, ref, fit_intercept, C
        self.keep = [k for k in range(K) if k != ref]
        self.names = reference_names(features, classes, ref, fit_intercept)
        per_class = [*features, "intercept"] if fit_intercept else list(features)
        self.equations = [_py(classes[k]) for k in self.keep for _ in per_class]
        self.k = len(self.names)
        self.n_rows = X.shape[0]
        self.nobs = float(self.n_rows if s is None else s.sum())
        self.W = S[:, :p]
        self.b = S[:, p] if fit_intercept else np.zeros(K)
        self.link = Softmax(K)
        st = InMemorySource(X, yi.astype(np.float64), s, offset).stats(
            self.W.T.ravel(), self.b, link=self.link, need_grad=True, need_hess=True
        )
        # the kernel's layout is f * K + k (feature f, class k; f = p the intercepts)
        idx = np.array([f * K + k for k in self.keep for f in range(pt)], dtype=np.intp)
        self.H = st.hess[np.ix_(idx, idx)]
        self.llf = -st.loss
        g = np.concatenate([st.grad_w, st.grad_b])[idx]  # gradient of -l, i.e. -U
        self.params = np.delete(S - S[ref], ref, axis=0).ravel()
        self.penalty = np.zeros((self.k, self.k))
        if np.isfinite(C):
            Q = np.eye(K - 1) - 1.0 / K
            self.penalty = np.kron(Q, np.diag(np.r_[np.ones(p), np.zeros(pt - p)])) / C
            g = g + self.penalty @ self.params
        self.grad = g
        self.bread = self.H + self.penalty
        self.bread_inv, self.rcond = _inverse_pd(self.bread, self.names)

    def proba(self):
        """The fitted probabilities ``a_ik``, shape (n_rows, K)."""
        return self.link.proba(self.link.decision(self.X, self.W, self.b, self.offset))

    def _meat(self, cov_type, groups):
        """``M``: the sum of the row (or group) score outer products, ``u_i`` the
        reference contrasts' scores ``[(y_ik - a_ik) x~_i]_{k != r}``."""
        X, s = self.X, self.s
        R = -self.proba()
        R[np.arange(self.n_rows), self.y] += 1.0
        R = R[:, self.keep]  # y_ik - a_ik, k != r
        if cov_type in ("HC0", "HC1"):
            # sum_i s_i u_i u_i^T: frequency weights count a row s_i times (not s_i^2)
            M = np.zeros((self.k, self.k))
            step = max(1, _CHUNK_ELEMENTS // max(1, self.k))
            for start in range(0, self.n_rows, step):
                sl = slice(start, min(start + step, self.n_rows))
                U = _scores(X[sl], R[sl], self.fit_intercept)
                M += U.T @ (U if s is None else U * s[sl, None])
            return M
        if s is not None:
            R = R * s[:, None]  # a group's score sums s_i u_i
        codes, n_codes = groups
        rows = np.arange(self.n_rows)
        blocks = []
        for j in range(R.shape[1]):
            ind = sp.csr_matrix((R[:, j], (codes, rows)), shape=(n_codes, self.n_rows))
            Uj = ind @ X
            Uj = Uj.toarray() if sp.issparse(Uj) else np.asarray(Uj)
            if self.fit_intercept:
                Uj = np.column_stack([Uj, np.asarray(ind.sum(axis=1)).ravel()])
            blocks.append(Uj)
        U = np.hstack(blocks)
        return U.T @ U


def _scores(X, R, fit_intercept):
    """The rows' scores ``u_i = R_i (x) x~_i`` (class by class), shape (m, (K - 1) p~)."""
    Xd = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    if fit_intercept:
        Xd = np.column_stack([Xd, np.ones(Xd.shape[0])])
    return (R[:, :, None] * Xd[:, None, :]).reshape(Xd.shape[0], -1)


def _null_log_likelihood(yi, s, offset, K):
    """The maximised log-likelihood of one intercept per class (and the offset)."""
    w = np.ones(yi.shape[0]) if s is None else s
    counts = np.bincount(yi, weights=w, minlength=K)
    n = counts.sum()
    if offset is None:
        return float(np.sum(xlogy(counts, counts / n)))
    # Newton's method on the intercepts of the classes present (the first one fixed at 0):
    # the negative log-likelihood is convex, its Hessian sum_i s_i (diag a_i - a_i a_i^T).
    live = np.flatnonzero(counts > 0)
    o = offset[:, live]
    Y = (yi[:, None] == live[None, :]).astype(np.float64)
    c = np.log(counts[live] / n)
    c -= c[0]

    def nll(c):
        Z = o + c
        zmax = Z.max(axis=1, keepdims=True)
        lse = zmax[:, 0] + np.log(np.exp(Z - zmax).sum(axis=1))
        return float(w @ (lse - (Z * Y).sum(axis=1))), np.exp(Z - lse[:, None])

    f, A = nll(c)
    for _ in range(100):
        g = ((A - Y) * w[:, None]).sum(axis=0)[1:]
        if np.max(np.abs(g), initial=0.0) <= 1e-12 * n:
            break
        Aw = A[:, 1:] * w[:, None]
        H = np.diag(Aw.sum(axis=0)) - A[:, 1:].T @ Aw
        step = np.r_[0.0, np.linalg.solve(H, g)]
        t = 1.0
        while True:
            f_new, A_new = nll(c - t * step)
            if f_new <= f or t < 1e-10:
                break
            t /= 2.0
        c, f, A = c - t * step, f_new, A_new
    return -f


def multinomial_separation(
    X, y, sample_weight=None, offset=None, fit_intercept=True, feature_names=None, *, classes
):
    """Whether the multinomial MLE exists, by one LP, and which class and features are to blame.

    With ``d_r = 0`` (the reference; any class) and ``x~_i`` scaled to max |x_j| = 1, the
    screen maximises ``sum_i sum_{k != y_i} x~_i . (d_{y_i} - d_k)`` subject to each term
    ``>= 0`` and ``|d| <= 1``: its optimum is positive iff the data are separated (Albert &
    Anderson, 1984). The blame is the binary LP report
    (:func:`~logistic.inference.detect_separation`) of the first class that its rest
    separates; when none does (only a combination of classes separates), the report names
    the features of the screen's direction and the rows of its strict terms.

    Parameters
    ----------
    X : ndarray or CSR of shape (n_samples, n_features), float64
    y : ndarray of int of shape (n_samples,)
        Positions in ``classes``.
    sample_weight : ndarray or None
        Rows of weight 0 are ignored.
    offset : ignored
        (Separation does not depend on a finite offset.)
    fit_intercept : bool
    feature_names : list of str or None
    classes : array_like of shape (K,)

    Returns
    -------
    (SeparationReport, int or None)
        The report and the position of the class it is about (None: not separated, or no
        single class against the rest).
    """
    del offset
    names = _feature_names(X, feature_names)
    keep = np.flatnonzero(sample_weight > 0) if sample_weight is not None else None
    Xk = X if keep is None else X[keep]
    yk = y if keep is None else y[keep]
    n = Xk.shape[0]
    K = len(classes)
    scale = _column_scale(Xk)
    Xs = Xk @ sp.diags(1.0 / scale) if sp.issparse(Xk) else Xk / scale
    Xt = sp.csr_matrix(Xs)
    if fit_intercept:
        Xt = sp.hstack([Xt, sp.csr_matrix(np.ones((n, 1)))]).tocsr()
    pt = Xt.shape[1]
    # one constraint per row i and class k != y_i: x~_i . (d_{y_i} - d_k) >= 0, with d_0 = 0
    rows = np.repeat(np.arange(n), K)
    other = np.tile(np.arange(K), n)
    mask = other != yk[rows]
    rows, other = rows[mask], other[mask]
    Xr = Xt[rows]
    blocks = []
    for c in range(1, K):
        sign = (yk[rows] == c).astype(np.float64) - (other == c)
        blocks.append(sp.diags(sign) @ Xr)
    D = sp.hstack(blocks).tocsr()
    colsum = np.asarray(D.sum(axis=0)).ravel()
    res = linprog(
        -colsum, A_ub=-D, b_ub=np.zeros(D.shape[0]), bounds=[(-1.0, 1.0)] * D.shape[1],
        method="highs",
    )  # fmt: skip
    if res.status != 0 or -res.fun <= 1e-9 * max(1.0, float(np.abs(colsum).max(initial=0))):
        return SeparationReport(False, None, n_rows=n), None
    s = None if sample_weight is None else sample_weight
    for c in range(K):
        report = _detect_separation(X, (y == c).astype(np.float64), s, fit_intercept, names)
        if report.separated:
            return report, c
    d = res.x.reshape(K - 1, pt)[:, : Xs.shape[1]]
    big = np.max(np.abs(d), initial=0.0)
    idx = tuple(int(j) for j in np.flatnonzero(np.max(np.abs(d), axis=0) > 1e-7 * big))
    strict = np.unique(rows[(D @ res.x) > 1e-9])
    return (
        SeparationReport(
            separated=True,
            kind="quasi-complete",
            features=tuple(names[j] for j in idx),
            feature_indices=idx,
            rows=(strict if keep is None else keep[strict]).astype(np.intp),
            n_rows=n,
        ),
        None,
    )


def _message(report, classes, label, dep_var) -> str:
    """The report's paragraph, saying which class (against the rest) it is about."""
    if label is None:
        return f"{dep_var}: {report.message()}"
    return f"class {_py(classes[label])!r} of {dep_var} against the others: {report.message()}"


def _class_positions(y, classes):
    """The position of each label of ``y`` in ``classes``, or a DataError naming strangers."""
    where = {_py(c): j for j, c in enumerate(classes)}
    try:
        return np.array([where[_py(v)] for v in y], dtype=np.intp)
    except KeyError:
        bad = [_py(v) for v in y if _py(v) not in where][:5]
        raise DataError(
            f"y has labels {bad!r} that are not among the classes {list(where)!r}; y accepts "
            "the fit's labels."
        ) from None


def _multinomial_offset(offset, n, rows, K):
    """The offset as (n, K) float64 (a binary fit's (n,) as ``[0, o]``), or None."""
    if offset is None:
        return None
    if rows == 1:
        o = _row_values("offset", offset, n)
        return np.column_stack([np.zeros(n), o])
    o = np.asarray(offset, dtype=np.float64)
    if o.shape != (n, K) or not np.all(np.isfinite(o)):
        raise DataError(
            f"offset has shape {o.shape}; a model of {K} classes accepts finite numbers of "
            f"shape ({n}, {K}) (one logit offset per row and class)."
        )
    return o


def _py(v):
    return v.item() if isinstance(v, np.generic) else v
