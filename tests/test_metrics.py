"""logistic.metrics on real data: equal to scikit-learn's metric functions, and the sums over
batches equal to the metrics of the whole array."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.preprocessing import StandardScaler

from logistic import LogisticRegression
from logistic.metrics import MetricSums, classification_metrics
from logistic.objective import link_for


@pytest.fixture(scope="module", params=["breast_cancer", "digits"])
def fitted(request):
    """(X, labels, probabilities, fitted estimator) of a fit on real data:
    breast cancer (2 classes, string labels) and digits (10 classes)."""
    if request.param == "breast_cancer":
        data = load_breast_cancer()
        y = data.target_names[data.target]  # 'benign' / 'malignant'
    else:
        data = load_digits()
        y = data.target
    X = StandardScaler().fit_transform(data.data)
    est = LogisticRegression(C=0.5).fit(X, y)
    return X, y, est.predict_proba(X), est


def test_classification_metrics_equal_scikit_learn(fitted):
    X, y, proba, est = fitted
    got = classification_metrics(y, proba, est.classes_)
    K = len(est.classes_)
    pred = est.predict(X)
    assert got["rows"] == y.shape[0]
    assert got["accuracy"] == skm.accuracy_score(y, pred)
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=est.classes_), rel=1e-12)
    cm = skm.confusion_matrix(y, pred, labels=est.classes_)
    assert got["confusion_matrix"]["matrix"] == cm.tolist()
    assert got["confusion_matrix"]["labels"] == est.classes_.tolist()
    if K == 2:
        positive = (y == est.classes_[1]).astype(int)
        auc = skm.roc_auc_score(positive, proba[:, 1])
        brier = skm.brier_score_loss(positive, proba[:, 1])
    else:
        auc = skm.roc_auc_score(y, proba, multi_class="ovr", average="macro")
        onehot = (y[:, None] == est.classes_[None, :]).astype(float)
        brier = np.mean(np.sum((proba - onehot) ** 2, axis=1))
        assert 0 < got["brier"] < 2
    assert got["roc_auc"] == pytest.approx(auc, rel=1e-12)
    assert got["brier"] == pytest.approx(brier, rel=1e-12)


def test_metric_sums_over_batches_equal_the_whole_array(fitted):
    X, y, proba, est = fitted
    # The logits as a streamed or Dask fit has them: through the model's link.
    Z = link_for(len(est.classes_)).decision(X, est.coef_, est.intercept_)
    y_index = np.searchsorted(est.classes_, y)
    K = len(est.classes_)
    halves = [MetricSums(K), MetricSums(K)]
    for k, rows in enumerate(np.array_split(np.arange(y.shape[0]), 7)):
        halves[k % 2].add(y_index[rows], Z[rows])  # uneven batches, in two sums
    got = halves[0].merge(halves[1]).result(est.classes_)
    whole = classification_metrics(y, proba, est.classes_)
    assert got["roc_auc"] is None and got["rows"] == whole["rows"]
    assert got["accuracy"] == whole["accuracy"]
    assert got["confusion_matrix"] == whole["confusion_matrix"]
    assert got["log_loss"] == pytest.approx(whole["log_loss"], rel=1e-10)
    assert got["brier"] == pytest.approx(whole["brier"], rel=1e-10)


@pytest.mark.parametrize("K", [2, 3])
def test_metric_sums_are_exact_where_probabilities_round_to_0_or_1(K):
    """A row with logit 800 against its class: loss 800 (probability 0 would give inf)."""
    sums = MetricSums(K)
    if K == 2:
        sums.add([0, 1], np.array([800.0, 800.0]))
    else:
        sums.add([0, 1], np.array([[0.0, 800.0, 0.0], [0.0, 800.0, 0.0]]))
    r = sums.result(np.arange(K))
    assert r["log_loss"] == pytest.approx(400.0, rel=1e-15)
    assert r["accuracy"] == 0.5 and r["brier"] == pytest.approx(0.5 if K == 2 else 1.0)


def test_missing_class_has_no_roc_auc_and_object_labels_work():
    classes = np.array(["a", "b", "c"], dtype=object)
    proba = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]])
    got = classification_metrics(np.array(["a", "b"], dtype=object), proba, classes)
    assert got["roc_auc"] is None and got["accuracy"] == 1.0
    assert got["confusion_matrix"]["matrix"] == [[1, 0, 0], [0, 1, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="no rows"):
        MetricSums(3).result(classes)
    with pytest.raises(ValueError, match="cannot merge"):
        MetricSums(3).merge(MetricSums(2))
