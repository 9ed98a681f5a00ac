"""scikit-learn's own estimator checks, over every solver."""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from logistic import LogisticRegression
from logistic.solvers import SOLVERS


@parametrize_with_checks(
    [LogisticRegression(solver=name, random_state=0) for name in sorted(SOLVERS)]
    + [LogisticRegression()]
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_compatible(estimator, check):
    check(estimator)
