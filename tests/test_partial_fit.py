"""partial_fit: SGD state kept between calls, for data that arrives over time."""

from __future__ import annotations

import numpy as np
import pytest

from logistic import DataError, LogisticRegression
from logistic.objective import Objective
from logistic.sources import InMemorySource


def _gap(model, X, y, C):
    obj = Objective(InMemorySource(X, y.astype(float)), C=C)
    full = LogisticRegression(C=C, tol=1e-10).fit(X, y)
    f_star = obj.loss(np.append(full.coef_, full.intercept_))
    return (obj.loss(np.append(model.coef_, model.intercept_)) - f_star) / f_star


def test_one_pass_over_arriving_chunks_approaches_the_full_fit(digits):
    X, y = digits
    m = LogisticRegression(C=0.1, random_state=0, batch_size=32)
    gaps = []
    for part in np.array_split(np.arange(X.shape[0]), 12):
        m.partial_fit(X[part], y[part], classes=[0, 1])
        gaps.append(_gap(m, X, y, 0.1))
    # one pass of SGD (57 steps) learns, but is no full-batch optimiser: ~0.25 from the optimum
    assert gaps[-1] < 0.5 * gaps[0]
    assert m.n_iter_[0] == 12
    # the penalty after the last call is the full-data penalty 1 / (C n)
    assert m._partial.weight_seen == X.shape[0]


def test_state_is_continued_not_restarted(breast_cancer):
    X, y = breast_cancer
    a = LogisticRegression(random_state=3, batch_size=50)
    a.partial_fit(X[:300], y[:300], classes=[0, 1])
    coef_after_one = a.coef_.copy()
    a.partial_fit(X[300:], y[300:])
    assert not np.allclose(a.coef_, coef_after_one)
    assert a._partial.sgd.t == 6 + 6  # ceil(300/50) + ceil(269/50)
    b = LogisticRegression(random_state=3, batch_size=50)
    b.partial_fit(X[:300], y[:300], classes=[0, 1]).partial_fit(X[300:], y[300:])
    np.testing.assert_array_equal(a.coef_, b.coef_)  # seeded, reproducible


def test_multiclass_partial_fit():
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    order = np.random.default_rng(0).permutation(150)
    m = LogisticRegression(C=1.0, random_state=0, batch_size=10)
    for _ in range(20):  # repeated passes: the penalty keeps shrinking (see the docstring)
        for part in np.array_split(order, 5):
            m.partial_fit(X[part], y[part], classes=[0, 1, 2])
    assert m.coef_.shape == (3, 4)
    assert m.score(X, y) > 0.9
    np.testing.assert_allclose(m.predict_proba(X).sum(axis=1), 1.0)


def test_partial_fit_errors(breast_cancer):
    X, y = breast_cancer
    with pytest.raises(DataError, match="classes is None on the first call"):
        LogisticRegression().partial_fit(X, y)
    # as scikit-learn's available_if: no attribute, the reason chained as the cause
    with pytest.raises(AttributeError, match="partial_fit") as info:
        LogisticRegression(class_weight="balanced").partial_fit(X, y, classes=[0, 1])
    assert "class_weight='balanced'" in str(info.value.__cause__)
    with pytest.raises(AttributeError, match="partial_fit") as info:
        LogisticRegression(l1_ratio=0.5).partial_fit(X, y, classes=[0, 1])
    assert "l1_ratio=0.5" in str(info.value.__cause__)
    assert not hasattr(LogisticRegression(l1_ratio=0.5), "partial_fit")
    assert hasattr(LogisticRegression(), "partial_fit")
    m = LogisticRegression().partial_fit(X[:100], y[:100], classes=[0, 1])
    with pytest.raises(DataError, match=r"labels \[7\] that are not in classes"):
        m.partial_fit(X[:5], np.array([0, 1, 7, 0, 1]))
    with pytest.raises(DataError, match="differs from the first call"):
        m.partial_fit(X[:5], y[:5], classes=[0, 1, 2])
    with pytest.raises(DataError, match="features"):
        m.partial_fit(X[:5, :3], y[:5])
