"""The adapter scikit-learn's tests run our classes through: its solver names mapped onto
ours, nothing else.

scikit-learn's solvers and ours (docs/sklearn.md):

============================  ==========================================================
scikit-learn                  logistic
============================  ==========================================================
``lbfgs``, ``newton-cg``      the same names
``newton-cholesky``           ``newton`` (Newton with a Cholesky factor of the Hessian)
``sag``                       ``newton`` (a smooth solver; ours are all full-batch exact)
``liblinear``, ``saga``       ``cd`` with an L1 part (``l1_ratio > 0``), else ``newton``
============================  ==========================================================
"""

from __future__ import annotations

import logistic

SOLVERS = {"newton-cholesky": "newton", "sag": "newton"}
L1_SOLVERS = ("liblinear", "saga")


def our_solver(name, l1_ratio):
    """Our solver for scikit-learn's solver ``name`` (unknown names pass through, so that
    our own error reports them)."""
    if name in L1_SOLVERS:
        return "cd" if isinstance(l1_ratio, (int, float)) and l1_ratio > 0 else "newton"
    return SOLVERS.get(name, name)


class _Mapped:
    """Fit with the mapped solver; ``get_params`` keeps the name the caller gave."""

    def _with_our_solver(self, fit, *args, **kwargs):
        given = self.solver
        l1 = getattr(self, "l1_ratio", None)
        if l1 is None:
            l1s = getattr(self, "l1_ratios", None)
            l1 = max(l1s) if l1s is not None and len(l1s) else 0.0
        self.solver = our_solver(given, l1)
        try:
            return fit(*args, **kwargs)
        finally:
            self.solver = given


class LogisticRegression(_Mapped, logistic.LogisticRegression):
    __doc__ = logistic.LogisticRegression.__doc__

    def fit(self, X, y, sample_weight=None, **kwargs):
        return self._with_our_solver(super().fit, X, y, sample_weight=sample_weight, **kwargs)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        return self._with_our_solver(
            super().partial_fit, X, y, classes=classes, sample_weight=sample_weight
        )


class LogisticRegressionCV(_Mapped, logistic.LogisticRegressionCV):
    __doc__ = logistic.LogisticRegressionCV.__doc__

    def fit(self, X, y, sample_weight=None, **kwargs):
        return self._with_our_solver(super().fit, X, y, sample_weight=sample_weight, **kwargs)
