"""scikit-learn's own estimator checks, over every solver and the non-default settings a
user switches on (elastic net with each solver that takes it, balanced class weights, no
intercept, warm starts), and over LogisticRegressionCV with non-default grids."""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from logistic import LogisticRegression, LogisticRegressionCV
from logistic.solvers import SOLVERS, by_capability

ESTIMATORS = (
    [LogisticRegression(solver=name, random_state=0) for name in sorted(SOLVERS)]
    + [LogisticRegression()]
    + [LogisticRegression(solver="cd", l1_ratio=ratio) for ratio in (0.5, 1.0)]
    + [
        LogisticRegression(class_weight="balanced"),
        LogisticRegression(fit_intercept=False),
        LogisticRegression(warm_start=True),
        LogisticRegressionCV(Cs=[0.1, 10.0], cv=3),
        LogisticRegressionCV(Cs=3, cv=2, scoring="accuracy", refit=False),
        LogisticRegressionCV(Cs=2, l1_ratios=[0.0, 0.5], cv=2),
    ]
)


def _expected_failures(estimator):
    """The checks that cannot pass for a setting, with why (scikit-learn's own estimator
    fails them the same way)."""
    if not estimator.get_params().get("fit_intercept", True):
        return {
            "check_class_weight_classifiers": "without an intercept the boundary passes "
            "through the origin: no model predicts one class on most of blobs around it"
        }
    if getattr(estimator, "l1_ratios", None) is not None:
        return {
            "check_non_transformer_estimators_n_iter": "a point of the warm-started path "
            "can meet tol where the previous C left it: 0 iterations, honestly reported"
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_compatible(estimator, check):
    check(estimator)


# the first-order proximal solvers with an L1 part: minutes of checks (make test-slow)
SLOW_ESTIMATORS = [
    LogisticRegression(solver=name, l1_ratio=ratio, random_state=0)
    for name in sorted(set(by_capability(handles=("l1",))) - {"cd"})
    for ratio in (0.5, 1.0)
]


@pytest.mark.slow
@parametrize_with_checks(SLOW_ESTIMATORS, expected_failed_checks=_expected_failures)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_compatible_first_order_l1(estimator, check):
    check(estimator)
