"""scikit-learn's ``LogisticRegression``, one function per solver.

scikit-learn minimises ``C sum_i L_i + ||w||^2 / 2`` (intercept unpenalised, except for
liblinear, which penalises it as a feature of value ``intercept_scaling``; we use
``intercept_scaling=100`` so that its optimum is close to the others', and report whether
it reaches the target at all).
"""

from __future__ import annotations

import warnings

import numpy as np


def _fit(solver, X, y, C, tol, **extra):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)
        m = LogisticRegression(C=C, solver=solver, tol=tol, max_iter=100_000, **extra)
        m.fit(X, y)
    n_iter = int(np.max(m.n_iter_))
    return np.asarray(m.coef_, dtype=np.float64).ravel(), float(m.intercept_[0]), n_iter, {}


def lbfgs(X, y, C, tol):
    return _fit("lbfgs", X, y, C, tol)


def newton_cholesky(X, y, C, tol):
    return _fit("newton-cholesky", X, y, C, tol)


def newton_cg(X, y, C, tol):
    return _fit("newton-cg", X, y, C, tol)


def liblinear(X, y, C, tol):
    return _fit("liblinear", X, y, C, tol, intercept_scaling=100.0)


def saga(X, y, C, tol):
    return _fit("saga", X, y, C, tol)


SOLVERS = {
    "lbfgs": lbfgs,
    "newton-cholesky": newton_cholesky,
    "newton-cg": newton_cg,
    "liblinear": liblinear,
    "saga": saga,
}
