"""LogisticRegressionCV picks scikit-learn's C on the same folds."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegressionCV as SkLogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.estimator_checks import parametrize_with_checks

from logistic import InvalidParameterError, LogisticRegression, LogisticRegressionCV


@pytest.mark.parametrize("scoring", ["neg_log_loss", "accuracy", "roc_auc"])
def test_same_C_as_sklearn(real_data, scoring):
    _, (X, y) = real_data
    ours = LogisticRegressionCV(Cs=8, scoring=scoring, tol=1e-10).fit(X, y)
    sk = SkLogisticRegressionCV(
        Cs=8,
        scoring=scoring,
        l1_ratios=(0.0,),
        tol=1e-10,
        max_iter=10_000,
        solver="newton-cholesky",
        use_legacy_attributes=False,
    ).fit(X, y)
    assert ours.C_ == sk.C_
    assert ours.scores_.shape == sk.scores_.shape == (5, 1, 8)
    # At C = 1e4 a gradient of 1e-10 still leaves ~1e-5 in the coefficients (the curvature
    # is ~1/(C n)), so held-out scores of two converged fits agree to ~1e-4, not better.
    np.testing.assert_allclose(ours.scores_, sk.scores_, rtol=1e-3, atol=1e-6)
    # the refit equals a plain fit at the chosen C
    plain = LogisticRegression(C=ours.C_, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(ours.coef_, plain.coef_, rtol=1e-6, atol=1e-8)


def test_elastic_net_grid_and_shapes(breast_cancer):
    X, y = breast_cancer
    cv = StratifiedKFold(3)
    m = LogisticRegressionCV(Cs=[0.01, 0.1, 1.0], l1_ratios=[0.5, 1.0], cv=cv, tol=1e-7).fit(X, y)
    assert m.scores_.shape == (3, 2, 3) and m.n_iter_.shape == (3, 2, 3)
    assert m.coefs_paths_.shape == (3, 2, 3, 1, X.shape[1] + 1)
    assert m.l1_ratio_ in (0.5, 1.0) and m.C_ in (0.01, 0.1, 1.0)
    # the path: smaller C, more zeros
    zeros = (m.coefs_paths_[0, 1, :, 0, :-1] == 0).sum(axis=1)
    assert zeros[0] >= zeros[1] >= zeros[2] and zeros[0] > 0
    assert m.predict_proba(X).shape == (X.shape[0], 2)


def test_refit_false_averages_folds(breast_cancer):
    X, y = breast_cancer
    m = LogisticRegressionCV(Cs=[0.1, 1.0], refit=False, tol=1e-7).fit(X, y)
    best = [np.unravel_index(np.argmax(s), s.shape) for s in m.scores_]
    avg = np.mean([m.coefs_paths_[k, r, c] for k, (r, c) in enumerate(best)], axis=0)
    np.testing.assert_allclose(m.coef_, avg[:, :-1])
    assert m.score(X, y) > -0.1  # the CV's scoring, neg_log_loss
    assert (m.predict(X) == y).mean() > 0.95


def test_score_is_the_cv_scoring():
    """As scikit-learn's LogisticRegressionCV.score: the scorer that chose C_ (with
    sample weights when given)."""
    from sklearn.datasets import load_iris
    from sklearn.metrics import accuracy_score, log_loss

    X, y = load_iris(return_X_y=True)
    m = LogisticRegressionCV(Cs=3).fit(X, y)
    assert m.score(X, y) == pytest.approx(-log_loss(y, m.predict_proba(X)))
    m.set_params(scoring="accuracy")
    w = np.linspace(0.5, 2.0, len(y))
    want = accuracy_score(y, m.predict(X), sample_weight=w)
    assert m.score(X, y, sample_weight=w) == pytest.approx(want)


def test_multiclass_cv_same_C_as_sklearn():
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours = LogisticRegressionCV(Cs=6, scoring="neg_log_loss", tol=1e-10).fit(X, y)
    sk = SkLogisticRegressionCV(
        Cs=6,
        scoring="neg_log_loss",
        l1_ratios=(0.0,),
        tol=1e-10,
        max_iter=10_000,
        use_legacy_attributes=False,
    ).fit(X, y)
    assert ours.C_ == sk.C_
    assert ours.coefs_paths_.shape == (5, 1, 6, 3, 5)
    np.testing.assert_allclose(ours.scores_, sk.scores_, rtol=1e-3, atol=1e-5)


def test_bad_grid():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.arange(30) % 2
    with pytest.raises(InvalidParameterError, match="Cs"):
        LogisticRegressionCV(Cs=[]).fit(X, y)
    with pytest.raises(InvalidParameterError, match="l1_ratios"):
        LogisticRegressionCV(l1_ratios=[1.5]).fit(X, y)


@parametrize_with_checks([LogisticRegressionCV(Cs=3, cv=3)])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_compatible(estimator, check):
    check(estimator)
