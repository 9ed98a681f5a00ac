"""Checks of the arrays and options of :mod:`logistic.inference`, and the one policy of when
standard errors are refused (:func:`why_no_standard_errors`).

Every failure is a :class:`~logistic.errors.DataError` (the data) or an
:class:`~logistic.errors.InvalidParameterError` (an option) whose message names the argument,
the bad value and what is accepted.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._validation import check_int, check_real
from ..errors import DataError, InvalidParameterError

COV_TYPES = ("nonrobust", "HC0", "HC1", "cluster")
_PENALIZED = ("error", "sandwich")


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
    s = _row_values("sample_weight", sample_weight, n)
    if s is not None and (np.any(s < 0) or not np.any(s > 0)):
        raise DataError("sample_weight must be finite and >= 0 with at least one weight > 0.")
    if offset is not None:
        return X, y, s, _row_values("offset", offset, n)
    return X, y, s


def _row_values(name, values, n):
    """``values`` as float64 (n,): one finite number a row, or None when not given."""
    if values is None:
        return None
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.shape[0] != n:
        raise DataError(
            f"{name} has {v.shape[0]} values, but X has {n} rows; {name} accepts a 1-d array "
            f"of length {n}."
        )
    if not np.all(np.isfinite(v)):
        raise DataError(f"{name} contains NaN or infinity; {name} accepts finite numbers.")
    return v


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


def _check_options(cov_type, C, penalized, alpha, n_classes=2):
    """``(C, alpha)`` as floats once ``cov_type``, ``C``, ``penalized`` and ``alpha`` are valid
    and the policy allows standard errors of a fit of ``n_classes`` with this ``C``."""
    if cov_type not in COV_TYPES:
        raise InvalidParameterError(
            f"cov_type={cov_type!r} is not accepted; cov_type accepts one of {list(COV_TYPES)}."
        )
    C = check_real("C", C, low=0.0, low_open=True, allow_inf=True)
    reason = why_no_standard_errors(n_classes=n_classes, C=C, penalized=penalized)
    if reason is not None:
        raise InvalidParameterError(reason)
    alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_open=True)
    if alpha >= 1.0:
        raise InvalidParameterError(f"alpha={alpha!r} is out of range; alpha accepts (0, 1).")
    return C, alpha


def _check_penalized(penalized):
    if isinstance(penalized, str) and penalized in _PENALIZED:
        return penalized
    raise InvalidParameterError(
        f"penalized={penalized!r} is not accepted; penalized accepts 'error' (refuse "
        "inference for a penalised fit) or 'sandwich'."
    )


def why_no_standard_errors(*, n_classes, C, l1_ratio=0.0, class_weight=None, penalized="error"):
    """Why standard errors of a fitted model are refused, or None when they can be computed.

    The one policy behind :func:`~logistic.inference.inference`,
    ``LogisticRegression.inference`` and the command line. With ``r = l1_ratio`` the fit
    maximises ``l(beta) - ((1 - r) ||w||^2 / 2 + r ||w||_1) / C`` (intercept unpenalised),
    and the covariances ``B^-1 M B^-1`` of :mod:`logistic.inference` are those of a
    maximum likelihood estimate: they need the likelihood ``l`` (binary, or multinomial
    over ``K`` classes), weights that count observations, and (for ``I^-1`` to be the
    covariance of an unbiased estimate) no penalty. Any number of classes is accepted: the
    softmax model's ``K`` coefficient vectors are identified only up to a common shift, so
    its standard errors are those of the contrasts against a reference class
    (:func:`~logistic.inference.multinomial_inference`, statsmodels' ``MNLogit``). In this
    order, standard errors are refused for

    1. class weights (any ``class_weight`` but None): they re-weight the classes to change
       the fit, so the weighted ``l`` is not the likelihood of the data and
       ``n = sum of weights`` does not count observations;
    2. an L1 or elastic-net penalty (finite ``C`` and ``r > 0``): ``||w||_1`` is not
       differentiable at 0, the estimate is exactly 0 with positive probability and biased
       elsewhere, so no normal approximation ``N(beta, B^-1 M B^-1)`` describes it;
    3. an L2 penalty (finite ``C``, ``r = 0``) unless ``penalized="sandwich"``: the estimate
       is shrunk towards 0 (biased), so ``I^-1`` is not its covariance; the opt-in sandwich
       ``(I + P/C)^-1 M (I + P/C)^-1`` describes its variability around its own mean only
       (for ``K`` classes with the penalty of the symmetric fit carried to the contrasts,
       :mod:`logistic.inference._multinomial`).

    An infinite ``C`` makes ``l1_ratio`` irrelevant (there is no penalty).

    Parameters
    ----------
    n_classes : int
        Number of classes of the fitted model, ``len(classes_)`` (at least 2).
    C : float
        The fit's inverse regularisation strength; ``np.inf`` for an unpenalised fit.
    l1_ratio : float in [0, 1], default=0.0
        The fit's L1 share of the penalty (irrelevant when ``C`` is infinite).
    class_weight : dict, "balanced" or None, default=None
        The fit's class weights; anything but None refuses.
    penalized : {"error", "sandwich"}, default="error"
        As in :func:`~logistic.inference.inference`: "sandwich" opts in to the penalised
        sandwich of an L2 fit.

    Returns
    -------
    str or None
        None when standard errors can be computed; otherwise one line (no line breaks)
        saying why and what to do. Options are spelled as Python keyword arguments, exactly
        ``C=np.inf``, ``penalized='sandwich'`` and ``class_weight=None``, so that another
        front end (the command line) can substitute its own spelling.

    Raises
    ------
    logistic.errors.InvalidParameterError
        An argument outside what is accepted.
    """
    check_int("n_classes", n_classes, low=2)
    C = check_real("C", C, low=0.0, low_open=True, allow_inf=True)
    r = check_real("l1_ratio", l1_ratio, low=0.0, high=1.0)
    penalized = _check_penalized(penalized)
    if class_weight is not None:
        return (
            f"no standard errors with class_weight={class_weight!r}: class weights are not "
            "frequency weights, so the likelihood theory behind standard errors does not "
            "apply; refit with class_weight=None."
        )
    if np.isfinite(C) and r > 0.0:
        return (
            f"no standard errors for an L1/elastic-net penalty (C={C!r}, l1_ratio={r!r}): "
            "it sets coefficients exactly to 0 and biases the others, so no normal "
            "approximation describes the estimates; refit with C=np.inf."
        )
    if np.isfinite(C) and penalized != "sandwich":
        return (
            f"no standard errors by default for a penalised fit (C={C!r}): the L2 penalty "
            "shrinks the estimates towards 0 (biased), so the inverse information is not "
            "their covariance and intervals around them do not have their nominal coverage; "
            "refit with C=np.inf, or pass penalized='sandwich' for the penalised estimator's "
            "variability around its own mean (not its bias)."
        )
    return None


def _unpack(X, y01, sample_weight, offset):
    if offset is None:
        X, y, s = _check_arrays(X, y01, sample_weight)
        return X, y, s, None
    return _check_arrays(X, y01, sample_weight, offset)


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
