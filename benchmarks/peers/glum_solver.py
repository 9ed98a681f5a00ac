"""glum's ``GeneralizedLinearRegressor`` (binomial family, logit link, L2 penalty).

glum minimises ``sum_i s_i deviance_i / (2 sum_i s_i) + alpha / 2 ||w||^2``; the binomial
half-deviance is the log loss, so ``alpha = 1 / (C m)`` is exactly our mean-form objective
for scikit-learn's ``C``. ``gradient_tol`` is glum's stopping tolerance; solver "auto"
(IRLS with a Cholesky/line-search inner solver for pure L2).
"""

from __future__ import annotations

import warnings

import numpy as np


def fit(X, y, C, tol):
    from glum import GeneralizedLinearRegressor

    m = X.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GeneralizedLinearRegressor(
            family="binomial",
            alpha=1.0 / (C * m),
            l1_ratio=0.0,
            fit_intercept=True,
            gradient_tol=tol,
            max_iter=1000,
        )
        model.fit(X, y)
    n_iter = int(getattr(model, "n_iter_", 0) or 0)
    return np.asarray(model.coef_, dtype=np.float64).ravel(), float(model.intercept_), n_iter, {}
