"""How good the model's probabilities are, for the page: curves, calibration and the
confusion matrix at every threshold the reader can choose.

The metrics are :mod:`logistic.metrics`': :func:`~logistic.metrics.classification_metrics`
for the rows, and one :class:`~logistic.metrics.MetricSums` per threshold of the grid (from
the logits, as the streamed evaluation does), so the matrix the reader sees at a threshold
is the library's at that threshold;
the ROC and precision-recall points are scikit-learn's ``roc_curve`` and
``precision_recall_curve``, as in :mod:`logistic.plots`, thinned to at most
:data:`~._model.MAX_POINTS` points each.
"""

from __future__ import annotations

import numpy as np

from ..metrics import MetricSums, check_threshold, classification_metrics
from ._model import Inputs, nums, thin

__all__ = ["THRESHOLDS", "quality_section"]

#: The thresholds a reader can move to: 0.01 to 0.99 (and the model's own).
THRESHOLDS = tuple(round(0.01 * k, 2) for k in range(1, 100))
_BINS = 10


def _curve(x, y, **extra) -> dict:
    keep = thin(len(x))
    return {"x": nums(np.asarray(x)[keep], 5), "y": nums(np.asarray(y)[keep], 5), **extra}


def _summary(metrics: dict) -> dict:
    """What the page shows of one metrics dict: the matrix and the scores beside it."""
    return {
        "matrix": metrics["confusion_matrix"]["matrix"],
        "accuracy": metrics["accuracy"],
        "per_class": [
            {k: r[k] for k in ("precision", "recall", "f1", "support")}
            for r in metrics["per_class"]
        ],
        "macro": metrics["macro"],
    }


def _calibration(p, hit) -> dict:
    """Reliability bins of ``p`` (m,) against the 0/1 outcomes ``hit`` (m,): equal-width
    bins on [0, 1] (scikit-learn's ``calibration_curve(strategy="uniform")``), empty ones
    left out; per bin the mean ``p``, the observed frequency and the rows."""
    edges = np.linspace(0.0, 1.0, _BINS + 1)
    which = np.searchsorted(edges[1:-1], p)  # calibration_curve's binning
    count = np.bincount(which, minlength=_BINS)
    mean_p = np.bincount(which, weights=p, minlength=_BINS)
    freq = np.bincount(which, weights=hit, minlength=_BINS)
    full = count > 0
    return {
        "mean_p": nums(mean_p[full] / count[full], 5),
        "observed": nums(freq[full] / count[full], 5),
        "rows": [int(c) for c in count[full]],
    }


def _histogram(p, groups, names) -> dict:
    edges = np.linspace(0.0, 1.0, 21)
    return {
        "edges": nums(edges, 3),
        "counts": [[int(c) for c in np.histogram(p[g], bins=edges)[0]] for g in groups],
        "names": names,
    }


def quality_section(inp: Inputs, threshold=0.5) -> dict:
    """Metrics, curves and calibration of the model on the page's rows.

    Two classes: ROC and precision-recall curves of ``p = P(y = classes[1])``, calibration
    of ``p``, and at every threshold ``t`` of :data:`THRESHOLDS` (and ``threshold``) the
    confusion matrix of predicting the positive class when ``p > t``. More classes:
    one-vs-rest ROC and precision-recall curves per class, calibration of the top class's
    probability (the confidence against the share of rows it is right on), and the
    confusion matrix of the most probable class.
    """
    from sklearn.metrics import auc, precision_recall_curve, roc_curve

    est, y, classes = inp.estimator, inp.y, inp.classes
    proba = np.asarray(est.predict_proba(inp.X), dtype=np.float64)
    K = len(classes)
    names = [str(c) for c in classes]
    lookup = {c: k for k, c in enumerate(classes)}
    index = np.array([lookup[v] for v in y.tolist()], dtype=np.intp)
    out = {"classes": names, "rows": inp.m}
    if K == 2:
        threshold = check_threshold(threshold)
        metrics = classification_metrics(y, proba, est.classes_, threshold=threshold)
        pos = index == 1
        p = proba[:, 1]
        grid = sorted({*THRESHOLDS, round(threshold, 6)})
        Z = np.asarray(est.decision_function(inp.X), dtype=np.float64)
        out["thresholds"] = [
            {"t": t, **_summary(MetricSums(2, threshold=t).add(index, Z).result(est.classes_))}
            for t in grid
        ]
        out["threshold"] = threshold
        both = bool(pos.any() and (~pos).any())
        if both:
            fpr, tpr, _ = roc_curve(pos, p)
            precision, recall, _ = precision_recall_curve(pos, p)
            out["roc"] = [_curve(fpr, tpr, name=names[1], auc=metrics["roc_auc"])]
            out["pr"] = [
                _curve(
                    recall[::-1],
                    precision[::-1],
                    name=names[1],
                    ap=metrics["average_precision"],
                    base=float(pos.mean()),
                )
            ]
        out["calibration"] = {
            "what": f"P(y = {names[1]})",
            **_calibration(p, pos.astype(np.float64)),
        }
        out["histogram"] = _histogram(p, [~pos, pos], [f"true {names[0]}", f"true {names[1]}"])
    else:
        metrics = classification_metrics(y, proba, est.classes_)
        out["roc"], out["pr"] = [], []
        for k, name in enumerate(names):
            hit = index == k
            if not hit.any() or hit.all():
                continue
            fpr, tpr, _ = roc_curve(hit, proba[:, k])
            precision, recall, _ = precision_recall_curve(hit, proba[:, k])
            out["roc"].append(_curve(fpr, tpr, name=name, auc=float(auc(fpr, tpr))))
            out["pr"].append(
                _curve(recall[::-1], precision[::-1], name=name, base=float(hit.mean()))
            )
        top = np.argmax(proba, axis=1)
        confidence = proba[np.arange(inp.m), top]
        right = top == index
        out["calibration"] = {
            "what": "the top class's probability",
            **_calibration(confidence, right.astype(np.float64)),
        }
        out["histogram"] = _histogram(
            confidence, [~right, right], ["top class wrong", "top class right"]
        )
    out["metrics"] = {
        "accuracy": metrics["accuracy"],
        "log_loss": metrics["log_loss"],
        "roc_auc": metrics["roc_auc"],
        "brier": metrics["brier"],
        "average_precision": metrics.get("average_precision"),
        **_summary(metrics),
    }
    return out
