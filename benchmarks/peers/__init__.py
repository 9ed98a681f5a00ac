"""The solvers the benchmark compares, each ``fit(X, y, C, tol) -> (coef, intercept, n_iter)``.

``coef`` is a float64 vector of length ``n_features``; the runner evaluates every
solver's coefficients with *our* mean-form objective, so that all are judged on the same
function. ``tol`` is each library's own stopping tolerance; the runner tightens it along
:data:`TOL_LADDER` until the fit reaches the target accuracy.
"""

from __future__ import annotations

from . import glum_solver, ours, sklearn_solvers

TOL_LADDER = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12]

SOLVERS = {
    "logistic": ours.fit,
    **{f"sklearn-{name}": fn for name, fn in sklearn_solvers.SOLVERS.items()},
    "glum": glum_solver.fit,
}
PEERS = [name for name in SOLVERS if name != "logistic"]
# ``run.py --quick``: all but saga, which does not reach 1e-8 within the budget at full
# size and takes seconds even on the quick problems.
QUICK = [name for name in SOLVERS if name != "sklearn-saga"]
