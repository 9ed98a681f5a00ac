"""Standard errors of a fit in memory, or the one-line reason there are none."""

from __future__ import annotations

import warnings

import numpy as np

import logistic.inference
from logistic.errors import ConvergenceWarning, DataError, SeparationWarning

from ._result import one_line

__all__ = ["separation_line", "standard_errors"]


def standard_errors(est, X, y, plan, names, progress) -> tuple[dict | None, str | None]:
    """``(InferenceResult.as_dict(), None)`` for the fit ``est`` on its training rows
    ``X``, ``y`` (labels), or ``(None, reason)``.

    A multinomial fit (and a binary one given ``plan.reference_class``) gets the
    statistics of its contrasts against the reference class
    (:func:`logistic.inference.multinomial_inference`), a binary one those of
    ``classes_[1]``. The refusals are :func:`logistic.inference.why_no_standard_errors`'s.
    A separation that leaves no finite estimate (a singular information matrix) raises a
    :class:`~logistic.errors.DataError` naming the features; a separation with a finite
    information matrix is a warning, and the results are kept with it. Any other singular
    information matrix is a warning and the reason.
    """
    classes = est.classes_
    K = len(classes)
    against = plan.reference_class
    if against is not None:
        logistic.inference.reference_index(classes, against, "reference_class")
    reason = logistic.inference.why_no_standard_errors(
        n_classes=K,
        C=float(est.C),
        l1_ratio=float(est.l1_ratio),
        class_weight=est.class_weight,
        penalized=plan.penalized,
    )
    if reason is not None:
        return None, reason
    multinomial = K > 2 or against is not None
    # the fit's parameters: a multinomial one's information is computed for all K classes
    k = (X.shape[1] + int(est.fit_intercept)) * (K if multinomial else 1)
    if k > _MAX_SE_PARAMS:
        reason = (
            f"no standard errors: {k:,} parameters would need a {k * k * 8 / 2**30:.1f} GiB "
            f"covariance matrix (at most {_MAX_SE_PARAMS:,} parameters are computed); pool "
            "rare categories (min_frequency=...) or leave columns out (exclude=[...])."
        )
        progress.warning(reason)
        return None, reason
    y = np.asarray(y)
    options = {
        "fit_intercept": est.fit_intercept,
        "C": float(est.C),
        "cov_type": plan.cov_type,
        "penalized": plan.penalized,
        "feature_names": names,
        "dep_var": plan.target,
    }
    coef = est.coef_.astype(np.float64)
    icpt = est.intercept_.astype(np.float64)
    y01 = (y == classes[-1]).astype(np.float64)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SeparationWarning)
            warnings.simplefilter("always", ConvergenceWarning)
            if multinomial:
                result = logistic.inference.multinomial_inference(
                    X, y, coef, icpt, classes=classes, reference=against, **options
                )
            else:
                result = logistic.inference.inference(X, y01, coef.ravel(), icpt[0], **options)
    except DataError as exc:
        if multinomial:
            yi = np.searchsorted(classes, y)
            report, c = logistic.inference.multinomial_separation(
                X, yi, None, None, est.fit_intercept, names, classes=classes
            )
            target = plan.target if c is None else f"{plan.target}={_label(classes[c])}"
        else:
            report = logistic.inference.detect_separation(X, y01, est.fit_intercept, names)
            target = plan.target
        if report.separated:
            rows = _level_rows(X, names, report.features)
            raise DataError(separation_line(report, target, True, rows)) from None
        reason = f"no standard errors: {one_line(exc)}"
        progress.warning(reason)
        return None, reason
    for w in caught:
        if issubclass(w.category, SeparationWarning) and result.separation is not None:
            rows = _level_rows(X, names, result.separation.features)
            about = result.separation_class
            target = plan.target if about is None else f"{plan.target}={about}"
            text = separation_line(result.separation, target, False, rows)
        elif issubclass(w.category, ConvergenceWarning | SeparationWarning):
            text = one_line(w.message)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
            continue
        progress.warning(text, w.category)
    return result.as_dict(), None


def _label(v):
    return v.item() if isinstance(v, np.generic) else v


# The covariance of more parameters than this (and its information matrix) would take
# gigabytes: 5,000^2 float64 is 0.2 GB.
_MAX_SE_PARAMS = 5000
# A one-hot level of fewer training rows than this is "rare" in the separation advice.
_RARE_ROWS = 20


def _level_rows(X, names, features) -> dict:
    """Training rows of each one-hot feature among ``features`` (``name=level``)."""
    where = {n: j for j, n in enumerate(names)}
    cols = [where[f] for f in features if "=" in f and f in where]
    if not cols:
        return {}
    counts = np.asarray(X[:, cols].sum(axis=0)).ravel()
    return {names[j]: float(c) for j, c in zip(cols, counts, strict=True)}


def separation_line(report, target, fatal: bool, level_rows=None) -> str:
    """One line on a separation ``report`` of the training rows: what predicts ``target``
    perfectly and what to do; ``fatal`` when no finite estimate exists."""
    shown = ", ".join(f"'{f}'" for f in report.features[:8])
    if len(report.features) > 8:
        shown += ", ..."
    what = f"feature(s) {shown}" if report.features else "the intercept alone"
    head = (
        f"{report.kind} separation: {what} predict {target!r} perfectly for "
        f"{len(report.rows)} of {report.n_rows} training rows"
    )
    # one-hot columns ("name=level") of few rows that separate: pooling them into
    # "(other)" is the way forward that keeps the column
    rare = {
        f: n
        for f, n in (level_rows or {}).items()
        if n < _RARE_ROWS and not f.endswith("=(other)")  # a pooled level: pooled already
    }
    pool = ""
    if rare:
        shown = ", ".join(f"'{f}' ({n:g} rows)" for f, n in sorted(rare.items())[:3])
        more = f" and {len(rare) - 3} more" if len(rare) > 3 else ""
        pool = (
            f"; rare levels such as {shown}{more} separate: pool the rare levels with "
            f"min_frequency={int(max(rare.values())) + 1} (into one '(other)' level, which "
            "separates no more once it holds both outcomes)"
        )
    if fatal:
        return (
            f"{head}, so the unpenalised estimate does not exist (the coefficients grow "
            f"without bound){pool}; or remove or merge those features, or train with a "
            "finite C."
        )
    return (
        f"{head}; their coefficients and standard errors are not finite estimates (stored "
        f"with this warning){pool}; or remove or merge those features, or train with a "
        "finite C."
    )
