"""The cross-validated path, binary: ``fit(X, y, Cs, r, folds, tol) -> (C, coef, intercept)``.

Every library gets the same grid ``Cs`` (scikit-learn's units), the same folds (a
``KFold`` splitter, ``folds``), the L1 share ``r`` and chooses by the held-out log loss;
each then refits on all rows at its chosen value, and returns that fit and its ``C`` *on
all rows* in our units, so that the runner can judge the refit against the reference
optimum at that ``C``:

* ours and scikit-learn's ``LogisticRegressionCV``: ``C`` is the sum-form weight of the
  data term, the same on a fold's ``m_train`` rows as on all ``m`` rows;
* glum's ``GeneralizedLinearRegressorCV`` fixes the mean-form ``alpha`` along the path:
  ``alpha = 1 / (C m_train)`` is exactly ``C`` on every fold (``m`` divisible by the
  number of folds, so every fold trains on ``m_train = m (k - 1) / k`` rows); its refit
  on all ``m`` rows is then at ``C' = 1 / (alpha m) = C m_train / m``, which is the ``C``
  returned.
"""

from __future__ import annotations

import warnings

import numpy as np


def fit_ours(X, y, Cs, r, folds, tol):
    from logistic import LogisticRegressionCV

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = LogisticRegressionCV(
            Cs=list(Cs), l1_ratios=[r], cv=folds, scoring="neg_log_loss", tol=tol
        ).fit(X, y)
    return float(est.C_), est.coef_, est.intercept_


def _sklearn(solver, X, y, Cs, r, folds, tol, **extra):
    from sklearn.linear_model import LogisticRegressionCV

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = LogisticRegressionCV(
            Cs=list(Cs),
            l1_ratios=[r],
            cv=folds,
            scoring="neg_log_loss",
            solver=solver,
            tol=tol,
            max_iter=100_000,
            **extra,
        ).fit(X, y)
    return float(np.ravel(est.C_)[0]), est.coef_, est.intercept_


def fit_lbfgs(X, y, Cs, r, folds, tol):
    return _sklearn("lbfgs", X, y, Cs, r, folds, tol)


def fit_newton_cholesky(X, y, Cs, r, folds, tol):
    return _sklearn("newton-cholesky", X, y, Cs, r, folds, tol)


def fit_saga(X, y, Cs, r, folds, tol):
    return _sklearn("saga", X, y, Cs, r, folds, tol)


def fit_liblinear(X, y, Cs, r, folds, tol):
    return _sklearn("liblinear", X, y, Cs, r, folds, tol, intercept_scaling=100.0)


def fit_glum(X, y, Cs, r, folds, tol):
    from glum import GeneralizedLinearRegressorCV

    m = X.shape[0]
    m_train = m - m // folds.get_n_splits()
    alphas = np.sort(1.0 / (np.asarray(Cs, dtype=np.float64) * m_train))[::-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = GeneralizedLinearRegressorCV(
            family="binomial",
            alphas=alphas,
            l1_ratio=[r],
            cv=folds,
            gradient_tol=tol,
            max_iter=10_000,
        ).fit(X, y)
    return 1.0 / (float(est.alpha_) * m), est.coef_[None, :], np.atleast_1d(est.intercept_)


FITS = {
    "logistic": fit_ours,
    "sklearn-lbfgs": fit_lbfgs,
    "sklearn-newton-cholesky": fit_newton_cholesky,
    "sklearn-saga": fit_saga,
    "sklearn-liblinear": fit_liblinear,
    "glum": fit_glum,
}
L2_ONLY = {"sklearn-lbfgs", "sklearn-newton-cholesky"}
# Not run on the L2 path, to keep the matrix within its time (the L1 path has them).
NO_L2 = {"sklearn-saga", "sklearn-liblinear"}


def applicable(solver, r):
    return not ((r > 0 and solver in L2_ONLY) or (r == 0 and solver in NO_L2))
