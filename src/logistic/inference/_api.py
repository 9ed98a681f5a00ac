"""The entry point :func:`inference`: checks, the separation screen, the covariance and the
result, with the warnings a user must see."""

from __future__ import annotations

import warnings

import numpy as np

from .._math import sigmoid
from .._validation import check_offset, check_sample_weight
from ..errors import ConvergenceWarning, DataError, InvalidParameterError, SeparationWarning
from ._checks import _check_options, _feature_names, _unpack, why_no_standard_errors
from ._covariance import _Fit, _linear_predictor, null_log_likelihood
from ._result import InferenceResult
from ._separation import _detect_separation
from ._summary import _NEWTON_STEP_WARN

# Rows with fitted min(a, 1 - a) below this look perfectly predicted: a reason to run the
# separation LP on data too large to check unconditionally.
_SUSPICIOUS_PROB = 1e-8
# Below this many design cells (rows x parameters) the separation LP is cheap (~1 s at the
# upper end on one core with HiGHS), so "auto" runs it on every unpenalised fit.
_ALWAYS_CHECK_CELLS = 2_000_000


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
        As in :func:`~logistic.inference.covariance` (:mod:`logistic.inference` gives the
        formulas).
    alpha : float, default=0.05
        Level of the confidence intervals (``1 - alpha`` coverage).
    feature_names : sequence of str or None
        Parameter names; default ``X.columns`` when present, else ``"x0", "x1", ...``. The
        intercept is named ``"intercept"``.
    dep_var : str, default="y"
        Name of the response in the summary.
    check_separation : {"auto", True, False}, default="auto"
        Run :func:`~logistic.inference.detect_separation` on an unpenalised fit: always
        with True; with "auto" when it is cheap (``n_rows * k <= 2e6``) or the fit looks
        separated (a fitted probability within 1e-8 of 0 or 1, or a singular information
        matrix). A separated fit issues :class:`~logistic.errors.SeparationWarning`; if its
        information matrix is singular a :class:`~logistic.errors.DataError` carrying the
        report is raised instead.

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
    _warn_if_not_optimum(result, report)
    return result


def _warn_if_not_optimum(result, report) -> None:
    """A :class:`~logistic.errors.ConvergenceWarning` when one Newton step would move an
    estimate by more than 0.01 standard errors (not for separated data, which have no
    optimum and are warned about already)."""
    if result.newton_step_se > _NEWTON_STEP_WARN and not (report is not None and report.separated):
        warnings.warn(
            f"coef is not the optimum of the objective: one Newton step would move a "
            f"coefficient by {result.newton_step_se:.2g} standard errors (max|grad| = "
            f"{result.max_abs_gradient:.2e}). The standard errors assume the optimum; refit "
            "with a smaller tol.",
            ConvergenceWarning,
            stacklevel=3,
        )


def fitted_inference(
    model,
    X,
    y,
    sample_weight=None,
    *,
    offset=None,
    cov_type="nonrobust",
    groups=None,
    alpha=0.05,
    penalized="error",
    check_separation="auto",
    reference=None,
):
    """``LogisticRegression.inference``: the statistics of the fitted ``model`` on its
    training rows ``X`` (validated by the model) and labels ``y``.

    A binary model without ``reference`` is :func:`inference` of ``classes_[1]``; any
    other is :func:`~logistic.inference.multinomial_inference` against ``reference``
    (None: ``classes_[0]``). A pandas Series ``y`` names the dependent variable.
    """
    from ._multinomial import multinomial_inference

    classes = model.classes_
    reason = why_no_standard_errors(
        n_classes=len(classes),
        C=model.C,
        l1_ratio=model.l1_ratio,
        class_weight=model.class_weight,
        penalized=penalized,
    )
    if reason is not None and not (np.isfinite(float(model.C)) and penalized == "error"):
        raise InvalidParameterError(reason)  # a penalised fit: inference() says why
    name = getattr(y, "name", None)  # a pandas Series names the dependent variable
    y = np.asarray(y)
    known = np.isin(y, classes)
    if y.ndim != 1 or not np.all(known):
        bad = y[~known][:5].tolist() if y.ndim == 1 else y.shape
        raise DataError(
            f"y has labels {bad!r} that are not among the fitted classes "
            f"{classes.tolist()!r}; inference needs the training labels."
        )
    n_out = 1 if len(classes) == 2 else len(classes)
    common = {
        "sample_weight": check_sample_weight(sample_weight, X.shape[0], np.float64),
        "offset": check_offset(offset, X.shape[0], np.float64, n_out),
        "fit_intercept": model.fit_intercept,
        "C": model.C,
        "cov_type": cov_type,
        "groups": groups,
        "penalized": penalized,
        "alpha": alpha,
        "feature_names": getattr(model, "feature_names_in_", None),
        "dep_var": str(name) if name is not None else "y",
        "check_separation": check_separation,
    }
    if n_out == 1 and reference is None:
        y01 = (y == classes[1]).astype(np.float64)
        return inference(X, y01, model.coef_.ravel(), model.intercept_[0], **common)
    return multinomial_inference(
        X, y, model.coef_, model.intercept_, classes=classes, reference=reference, **common
    )
