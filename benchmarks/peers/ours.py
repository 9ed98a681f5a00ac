"""This library: ``logistic.LogisticRegression`` with ``solver="auto"``."""

from __future__ import annotations

import warnings

import numpy as np


def fit(X, y, C, tol):
    from logistic import ConvergenceWarning, LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = LogisticRegression(C=C, tol=tol, max_iter=10_000).fit(X, y)
    info = {"solver": m.solver_, "passes": int(m.result_.n_evaluations)}
    return (
        np.asarray(m.coef_, dtype=np.float64).ravel(),
        float(m.intercept_[0]),
        int(m.n_iter_[0]),
        info,
    )
