"""What scikit-learn's own conftest gives its tests (the global seed and dtype fixtures,
its markers), and the out-of-scope list of the upstream tests with their reasons."""

import pytest
from sklearn.conftest import (
    global_dtype,  # noqa: F401  (a fixture of the upstream tests)
    pytest_generate_tests,  # noqa: F401  (global_random_seed)
)

PENALTY = "`penalty` (deprecated by scikit-learn 1.8): here the penalty is `l1_ratio` and `C`"
LIBLINEAR = "liblinear's own behaviour (`dual`, `intercept_scaling`, its float64 output)"
LEGACY = "scikit-learn's legacy CV attribute layout (use_legacy_attributes=True): only the new one"
CALLBACKS = "scikit-learn 1.9's experimental set_callbacks API: ours is the `callback` parameter"
PRIVATE = "a private scikit-learn method or helper"
WORDING = "the warning of a solver we do not have by that name (ours: cd, newton)"
TRANSITION = "a FutureWarning of scikit-learn's own deprecation cycle (we have the new default)"

# test name, or "name[id part]" for the parametrisations whose id contains the part ->
# why it does not apply to our classes (skipped with the reason)
OUT_OF_SCOPE: dict[str, str] = {
    "test_elastic_net_l1_l2_equivalence": PENALTY,
    "test_l1_ratio_non_elasticnet": PENALTY,
    "test_lr_penalty_l1ratio_incompatible": PENALTY,
    "test_penalty_none": PENALTY,
    "test_check_solver_option": "scikit-learn's solver/penalty/dual compatibility errors",
    "test_consistency_path": f"{PRIVATE} (_logistic_regression_path) and intercept_scaling",
    "test_liblinear_dual_random_state": LIBLINEAR,
    "test_liblinear_not_stuck": LIBLINEAR,
    "test_liblinear_with_large_values": LIBLINEAR,
    "test_logisticregression_liblinear_sample_weight": LIBLINEAR,
    "test_sample_and_class_weight_equivalence_liblinear": LIBLINEAR,
    "test_dtype_match[liblinear]": LIBLINEAR,
    "test_large_sparse_matrix": "its solvers refuse 64-bit sparse indices; ours take them",
    # Its objective is C * mean log-loss + penalty, not the C * sum that LogisticRegression
    # minimises; at C = 100 the exact elastic-net optimum of the fitted objective is above
    # the L2 fit in the test's objective (+2.9e-4 for l1_ratio 0.1, +9.4e-5 for 0.5 at
    # tol=1e-8, both of our cd methods): the assertion holds only for a loose solution.
    "test_LogisticRegression_elastic_net_objective[-100.0]": (
        "its objective (C * mean log-loss) is not the one fitted (C * sum): false at the "
        "exact optimum for C=100"
    ),
    "test_logistic_cv[True]": LEGACY,
    "test_n_iter[True-]": LEGACY,
    "test_multinomial_cv_iris": LEGACY,
    "test_LogisticRegressionCV_no_refit": LEGACY,
    "test_LogisticRegressionCV_elasticnet_attribute_shapes": LEGACY,
    "test_LogisticRegressionCV_on_folds": LEGACY,
    "test_scores_attribute_layout_elasticnet": LEGACY,
    # its assertions, in the new layout, are tests/test_cv.py::test_fold_scores_route_*
    "test_lr_cv_scores_differ_when_sample_weight_is_requested": LEGACY,
    "test_logistic_regression_callback_fitted_estimator": CALLBACKS,
    "test_logistic_regression_callback_support": CALLBACKS,
    "test_logistic_regression_callback_support_warning": CALLBACKS,
    "test_logreg_predict_proba_multinomial": f"{PRIVATE} (_predict_proba_lr)",
    "test_get_default_scorer": f"{PRIVATE} (_get_scorer)",
    "test_logistic_cv_multinomial_score": "`n_jobs` (fits run on our own threads)",
    "test_logisticregression_warns_with_n_jobs": "`n_jobs` (fits run on our own threads)",
    "test_max_iter[liblinear]": WORDING,
    "test_max_iter[sag-]": WORDING,
    "test_max_iter[saga-]": WORDING,
    "test_max_iter[newton-cholesky]": WORDING,
    "test_l1_ratio_None_deprecated": TRANSITION,
    "test_logisticregressioncv_warns_with_use_legacy_attributes": TRANSITION,
    "test_lr_scoring_warns": TRANSITION,
}

# In scope, not passing yet (issue 13): expected to fail, strictly, so that a fix shows
KNOWN_GAPS: dict[str, str] = {}


# In scope, failing on some runs only (the outcome depends on the tests run before):
# expected to fail, not strictly
UNSTABLE_GAPS: dict[str, str] = {}


def pytest_configure(config):
    for marker in ("thread_unsafe", "parallel_threads(n)", "iterations(n)"):
        config.addinivalue_line("markers", f"{marker}: scikit-learn's test markers")


def _reason(item, table):
    name = getattr(item, "originalname", item.name)
    params = item.name[len(name) :]
    for key, reason in table.items():
        base, _, part = key.partition("[")
        if base == name and (not part or part.rstrip("]") in params):
            return reason
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not item.module.__name__.endswith("test_upstream_logistic"):
            continue
        if (reason := _reason(item, OUT_OF_SCOPE)) is not None:
            item.add_marker(pytest.mark.skip(reason=f"out of scope: {reason}"))
        elif (reason := _reason(item, KNOWN_GAPS)) is not None:
            item.add_marker(pytest.mark.xfail(reason=f"not yet: {reason}", strict=True))
        elif (reason := _reason(item, UNSTABLE_GAPS)) is not None:
            item.add_marker(pytest.mark.xfail(reason=f"not yet: {reason}", strict=False))
