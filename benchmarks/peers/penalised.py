"""Every library on the penalised objective, binary or multinomial: ``fit(X, y, C, r, tol)``.

Each returns ``(coef, intercept, info)`` with scikit-learn's shapes (``coef`` (K, n),
``intercept`` (K,), K = 1 for two classes); ``y`` holds 0/1 or class indices 0..K-1. The
objective mapped onto each peer (``m`` rows, ``r`` the L1 share, ``r = 0`` the ridge, the
intercept never penalised)::

    ours     (1/m) sum_i L_i + (1 - r) ||W||^2 / (2 C m) + r ||W||_1 / (C m)
    sklearn  C sum_i L_i + (1 - r) ||W||^2 / 2 + r ||W||_1   (C m times ours: the same
             minimiser; liblinear penalises an intercept column of value
             ``intercept_scaling = 100``: nearly, not exactly, ours)
    glum     sum_i dev_i / (2 m) + alpha (r ||w||_1 + (1 - r) ||w||^2 / 2),
             alpha = 1 / (C m)   (binomial half-deviance = log loss; binary only)
    skglm    Logistic() + L1(alpha) or L1_plus_L2(alpha, r), alpha = 1 / (C m) (its
             datafit is the mean log loss), ProxNewton with an intercept; binary only,
             y in {-1, 1}; X in the layout it asks for (:func:`peer_input`, untimed)

For more than two classes ``L_i = -log softmax(W x_i + b)_{y_i}`` with all K rows of ``W``
penalised (scikit-learn's and our parametrisation); a library with another one would be
compared on the objective value, which the runners do for every library anyway.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp


def fit_ours(X, y, C, r, tol):
    from logistic import ConvergenceWarning, LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = LogisticRegression(C=C, l1_ratio=r, tol=tol, max_iter=10_000).fit(X, y)
    return est.coef_, est.intercept_, {"solver": est.solver_, "passes": est.result_.n_evaluations}


def _sklearn(solver, X, y, C, r, tol, **extra):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)
        est = LogisticRegression(C=C, l1_ratio=r, solver=solver, tol=tol, max_iter=100_000, **extra)
        est.fit(X, y)
    return est.coef_, est.intercept_, {}


def fit_lbfgs(X, y, C, r, tol):
    return _sklearn("lbfgs", X, y, C, r, tol)


def fit_newton_cholesky(X, y, C, r, tol):
    return _sklearn("newton-cholesky", X, y, C, r, tol)


def fit_newton_cg(X, y, C, r, tol):
    return _sklearn("newton-cg", X, y, C, r, tol)


def fit_saga(X, y, C, r, tol):
    return _sklearn("saga", X, y, C, r, tol)


def fit_liblinear(X, y, C, r, tol):
    return _sklearn("liblinear", X, y, C, r, tol, intercept_scaling=100.0)


def fit_glum(X, y, C, r, tol):
    from glum import GeneralizedLinearRegressor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = GeneralizedLinearRegressor(
            family="binomial",
            alpha=1.0 / (C * X.shape[0]),
            l1_ratio=r,
            fit_intercept=True,
            gradient_tol=tol,
            max_iter=10_000,
        ).fit(X, y)
    return est.coef_[None, :], np.atleast_1d(est.intercept_), {}


def fit_skglm(X, y, C, r, tol):
    from skglm import GeneralizedLinearEstimator
    from skglm.datafits import Logistic
    from skglm.penalties import L1, L1_plus_L2
    from skglm.solvers import ProxNewton

    alpha = 1.0 / (C * X.shape[0])
    penalty = L1(alpha) if r == 1.0 else L1_plus_L2(alpha, r)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = GeneralizedLinearEstimator(
            datafit=Logistic(),
            penalty=penalty,
            solver=ProxNewton(tol=tol, max_iter=200, fit_intercept=True),
        ).fit(X, 2.0 * y - 1.0)
    return np.atleast_2d(est.coef_), np.atleast_1d(est.intercept_), {}


FITS = {
    "logistic": fit_ours,
    "sklearn-lbfgs": fit_lbfgs,
    "sklearn-newton-cholesky": fit_newton_cholesky,
    "sklearn-newton-cg": fit_newton_cg,
    "sklearn-liblinear": fit_liblinear,
    "sklearn-saga": fit_saga,
    "glum": fit_glum,
    "skglm": fit_skglm,
}
BINARY_ONLY = {"sklearn-liblinear", "glum", "skglm"}
L2_ONLY = {"sklearn-lbfgs", "sklearn-newton-cholesky", "sklearn-newton-cg"}
# liblinear: no elastic net, and its L2 penalises the intercept (another optimum; run.py's
# binary L2 table has it)
L1_ONLY = {"sklearn-liblinear"}
PENALISED_ONLY = {"skglm"}  # L1 and elastic net (it has no L2-only logistic solver here)


def applicable(solver, r, classes):
    """Whether ``solver`` fits the penalty of L1 share ``r`` with ``classes`` classes."""
    if classes > 2 and solver in BINARY_ONLY:
        return False
    if r > 0 and solver in L2_ONLY:
        return False
    if r < 1 and solver in L1_ONLY:
        return False
    return not (r == 0 and solver in PENALISED_ONLY)


def peer_input(solver, X):
    """skglm reads columns: the layout it asks for (converted once, untimed)."""
    if solver != "skglm":
        return X
    return X.tocsc() if sp.issparse(X) else np.asfortranarray(X)
