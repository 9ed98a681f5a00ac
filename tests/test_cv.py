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


def _weighted_problem(seed=0):
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import scale

    X, y = load_breast_cancer(return_X_y=True)
    sw = np.ones(len(y))
    sw[np.random.default_rng(seed).permutation(len(y))[: len(y) // 2]] = 3.0
    return scale(X), y, sw


def test_fold_scores_weighted_as_sklearn():
    # Without routing, sample_weight weighs the fits and the held-out scores, and
    # class_weight='balanced' counts the classes of all of y: scikit-learn's folds, scores
    # and C_ on the same data
    X, y, sw = _weighted_problem()
    kw = dict(Cs=6, cv=4, scoring="neg_log_loss", tol=1e-10, class_weight="balanced")
    ours = LogisticRegressionCV(**kw).fit(X, y, sample_weight=sw)
    sk = SkLogisticRegressionCV(
        **kw, l1_ratios=(0.0,), solver="newton-cholesky", use_legacy_attributes=False
    ).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.scores_, sk.scores_, rtol=1e-5, atol=1e-8)
    assert ours.C_ == sk.C_
    unweighted = LogisticRegressionCV(**kw).fit(X, y)
    assert not np.allclose(ours.scores_, unweighted.scores_)


def test_fold_scores_route_sample_weight_as_requested():
    # scikit-learn's test_lr_cv_scores_differ_when_sample_weight_is_requested, in the new
    # attribute layout: with routing on, the scorer sees sample_weight only if it asks
    import re

    from sklearn import config_context
    from sklearn.datasets import make_classification
    from sklearn.metrics import get_scorer

    X, y = make_classification(n_samples=2000, random_state=0)
    X_t, y_t = make_classification(n_samples=2000, random_state=1)
    sw = np.ones(len(y))
    sw[: len(y) // 2] = 2
    with config_context(enable_metadata_routing=True):
        unrequested = get_scorer("accuracy").set_score_request(sample_weight=False)
        requested = get_scorer("accuracy").set_score_request(sample_weight=True)
        cv1 = LogisticRegressionCV(scoring=unrequested, tol=3e-6).fit(X, y, sample_weight=sw)
        cv2 = LogisticRegressionCV(scoring=requested, tol=3e-6).fit(X, y, sample_weight=sw)
        assert not np.allclose(cv1.scores_, cv2.scores_)
        np.testing.assert_array_equal(cv1.coefs_paths_, cv2.coefs_paths_)  # same fits
        msg = (
            "LogisticRegressionCV.score got unexpected argument(s) {'sample_weight'}, which "
            "are not routed to any object."
        )
        with pytest.raises(TypeError, match=re.escape(msg)):
            cv1.score(X_t, y_t, sample_weight=sw)
        assert cv1.score(X_t, y_t) != cv2.score(X_t, y_t, sample_weight=sw)


def test_groups_reach_the_splitter():
    from sklearn import config_context
    from sklearn.model_selection import GroupKFold

    X, y, _ = _weighted_problem()
    groups = np.arange(len(y)) % 7
    cv = GroupKFold(n_splits=3)
    with config_context(enable_metadata_routing=True):
        ours = LogisticRegressionCV(Cs=3, cv=cv, tol=1e-10).fit(X, y, groups=groups)
    for k, (train, _) in enumerate(cv.split(X, y, groups)):
        fold = LogisticRegression(C=ours.Cs_[0], tol=1e-10).fit(X[train], y[train])
        np.testing.assert_allclose(ours.coefs_paths_[k, 0, 0, 0, :-1], fold.coef_[0], atol=1e-6)
    # without routing, an extra parameter is refused with the reason
    with pytest.raises(ValueError, match="only supported if enable_metadata_routing=True"):
        LogisticRegressionCV(Cs=3, cv=cv).fit(X, y, groups=groups)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_offset_is_split_with_the_rows(n_classes):
    from sklearn.datasets import load_iris
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import scale

    X, y = load_iris(return_X_y=True)
    X = scale(X)
    if n_classes == 2:
        y = (y == 2).astype(int)
    rng = np.random.default_rng(0)
    offset = rng.normal(size=len(y) if n_classes == 2 else (len(y), 3))
    cv = StratifiedKFold(3)
    ours = LogisticRegressionCV(Cs=[0.1, 1.0], cv=cv, tol=1e-10).fit(X, y, offset=offset)
    for k, (train, test) in enumerate(cv.split(X, y)):
        fold = LogisticRegression(C=0.1, tol=1e-10).fit(X[train], y[train], offset=offset[train])
        np.testing.assert_allclose(ours.coefs_paths_[k, 0, 0, :, :-1], fold.coef_, atol=1e-6)
        p = fold.predict_proba(X[test], offset=offset[test])
        np.testing.assert_allclose(-ours.scores_[k, 0, 0], log_loss(y[test], p), rtol=1e-6)
    # the refit takes the offset too
    final = LogisticRegression(C=ours.C_, tol=1e-10).fit(X, y, offset=offset)
    np.testing.assert_allclose(ours.coef_, final.coef_, atol=1e-6)


def test_folds_missing_a_class_use_all_labels():
    from sklearn.datasets import load_iris
    from sklearn.model_selection import KFold

    X, y = load_iris(return_X_y=True)  # sorted by class: each of 3 folds misses one
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    m = LogisticRegressionCV(Cs=3, cv=KFold(3), scoring="neg_log_loss").fit(X, names)
    assert m.coefs_paths_.shape == (3, 1, 3, 3, 5)
    assert np.all(np.isfinite(m.scores_)) and np.all(np.isfinite(m.coefs_paths_))


def test_scorer_labels_and_custom_scorers_with_offset_are_respected():
    # a scorer's own labels are kept (only missing ones are filled with all classes), and
    # a custom scorer reading the model's attributes works with an offset too
    from sklearn.datasets import load_iris
    from sklearn.metrics import f1_score, make_scorer

    X, y = load_iris(return_X_y=True)
    scorer = make_scorer(f1_score, average="macro", labels=[0, 2])
    cv = StratifiedKFold(3)
    m = LogisticRegressionCV(Cs=[0.1, 1.0], cv=cv, scoring=scorer).fit(X, y)
    for k, (train, test) in enumerate(cv.split(X, y)):
        fold = LogisticRegression(C=0.1).fit(X[train], y[train])
        expected = f1_score(y[test], fold.predict(X[test]), average="macro", labels=[0, 2])
        assert m.scores_[k, 0, 0] == pytest.approx(expected, abs=1e-6)

    def norm(est, X_, y_):
        return -float(np.abs(est.coef_).sum())

    offset = np.zeros((len(y), 3))
    m = LogisticRegressionCV(Cs=[0.1, 1.0], cv=cv, scoring=norm).fit(X, y, offset=offset)
    assert np.all(m.scores_ < 0)
    # refit=False after a refit leaves no stale refit attributes
    m.set_params(refit=False).fit(X, y)
    assert not hasattr(m, "estimator_") and not hasattr(m, "solver_")
