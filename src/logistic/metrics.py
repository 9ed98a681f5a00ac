r"""How well a classifier's probabilities fit labelled rows: accuracy, log-loss, ROC AUC, Brier
score and the confusion matrix, for two classes or more.

Two entries compute the same numbers from what a caller holds:

- :func:`classification_metrics` from labels and probabilities of rows in memory (every
  metric, ROC AUC included);
- :class:`MetricSums` from class indices and logits, added up batch by batch (streamed
  files, Dask partitions): memory is one batch, and sums of two halves merge into the sums
  of the whole. ROC AUC ranks every prediction against every other, which no sum over
  batches gives, so it is None there.

With ``m`` rows, ``K`` classes, ``y_i`` the class index of row ``i``, ``p_ik`` its
probability of class ``k`` and ``[.]`` the indicator:

=============  ===============================================================================
accuracy       ``(1/m) sum_i [yhat_i = y_i]``, ``yhat_i = argmax_k p_ik`` (two classes:
               ``p_i1 > 0.5``, i.e. the logit ``z_i > 0``)
log-loss       ``-(1/m) sum_i log p_{i, y_i}`` (from logits: ``logsumexp(z_i) - z_{i, y_i}``,
               ``log(1 + e^z) - y z`` for two classes, exact where ``p`` rounds to 0 or 1)
Brier score    two classes: ``(1/m) sum_i (p_i1 - y_i)^2`` (0 to 1, scikit-learn's
               ``brier_score_loss``); ``K`` classes: ``(1/m) sum_i sum_k (p_ik - [y_i = k])^2``
               (0 to 2)
ROC AUC        two classes: of ``p_i1``, the probability that a random row of class 1 scores
               above a random row of class 0; ``K`` classes: the one-vs-rest macro average.
               None unless every class occurs
confusion      ``M[j, k] = #{i : y_i = j, yhat_i = k}`` (rows: true class, columns: predicted)
=============  ===============================================================================

Both return one dict, JSON-ready: ``rows``, ``accuracy``, ``log_loss``, ``roc_auc``,
``brier`` and ``confusion_matrix`` (``labels``: the classes as Python scalars, ``matrix``:
``K`` lists of ``K`` counts).
"""

from __future__ import annotations

import numpy as np

from .objective import link_for

__all__ = ["MetricSums", "check_threshold", "classification_metrics"]


def check_threshold(threshold) -> float:
    """``threshold`` as a float in (0, 1), the probability above which a row of a binary
    model is predicted positive; else :class:`~logistic.errors.InvalidParameterError`."""
    import numbers

    from .errors import InvalidParameterError

    ok = isinstance(threshold, numbers.Real) and not isinstance(threshold, bool)
    if not (ok and 0.0 < float(threshold) < 1.0):
        raise InvalidParameterError(
            f"threshold={threshold!r} is not accepted; threshold accepts a probability in "
            "(0, 1): above it a row is predicted positive."
        )
    return float(threshold)


def classification_metrics(y, proba, classes, *, threshold=0.5) -> dict:
    """Accuracy, log-loss, ROC AUC, Brier score and confusion matrix of labelled rows.

    The formulas are in :mod:`logistic.metrics`; each metric is scikit-learn's
    (``accuracy_score``, ``log_loss``, ``roc_auc_score``, ``brier_score_loss``,
    ``confusion_matrix``) on the class indices.

    Parameters
    ----------
    y : array_like of shape (m,)
        The true labels, each one of ``classes``.
    proba : array_like of shape (m, K)
        Probabilities of the classes, in the order of ``classes`` (``predict_proba``).
    classes : array_like of shape (K,)
        The model's labels, sorted (``classes_``); with two, ``classes[1]`` is the positive
        class.
    threshold : float in (0, 1), default=0.5
        Two classes: a row is predicted positive when ``p_i1 > threshold`` (0.5 is the
        estimator's ``predict``); the labels behind accuracy, the confusion matrix and the
        per-class scores. More classes: the largest probability, whatever ``threshold``.

    Returns
    -------
    dict
        ``rows``, ``accuracy``, ``log_loss``, ``roc_auc`` (None unless every class occurs in
        ``y``), ``brier``, ``confusion_matrix`` (``labels``, ``matrix``), ``per_class``
        (precision, recall, F1 and support of each class, from the confusion matrix),
        ``macro`` (their unweighted means), and for two classes ``threshold`` and
        ``average_precision`` (the area under the precision-recall curve; None unless
        both classes occur).
    """
    from sklearn.metrics import (
        accuracy_score,
        average_precision_score,
        brier_score_loss,
        confusion_matrix,
        log_loss,
        roc_auc_score,
    )

    classes = np.asarray(classes)
    proba = np.asarray(proba, dtype=np.float64)
    K = classes.shape[0]
    index = _class_index(np.asarray(y), classes)
    labels = np.arange(K)
    every_class = np.unique(index).shape[0] == K
    extra = {}
    if K == 2:
        threshold = check_threshold(threshold)
        pred = (proba[:, 1] > threshold).astype(np.intp)
        auc = roc_auc_score(index, proba[:, 1]) if every_class else None
        brier = brier_score_loss(index, proba[:, 1], pos_label=1)
        ap = average_precision_score(index, proba[:, 1]) if every_class else None
        extra = {"threshold": threshold, "average_precision": None if ap is None else float(ap)}
    else:
        pred = np.argmax(proba, axis=1)
        auc = (
            roc_auc_score(index, proba, multi_class="ovr", average="macro") if every_class else None
        )
        onehot = np.zeros_like(proba)
        onehot[np.arange(index.shape[0]), index] = 1.0
        brier = np.mean(np.sum((proba - onehot) ** 2, axis=1))
    return _result(
        rows=index.shape[0],
        accuracy=accuracy_score(index, pred),
        log_loss=log_loss(index, proba, labels=labels),
        roc_auc=auc,
        brier=brier,
        matrix=confusion_matrix(index, pred, labels=labels),
        classes=classes,
        **extra,
    )


class MetricSums:
    """Accuracy, log-loss, Brier score and confusion matrix, added up batch by batch.

    The sums behind the means of :mod:`logistic.metrics`, from class indices and logits:
    :meth:`add` a batch, :meth:`merge` the sums of other batches (another process, a Dask
    partition), :meth:`result` the metrics. The logits go through the model's link
    (:func:`logistic.objective.link_for`): its ``losses``, ``proba`` and ``labels`` give
    each row's loss, probabilities and predicted class, for two classes and for more.
    Memory is one batch; ROC AUC is None (it needs every prediction at once).

    Parameters
    ----------
    n_classes : int, default=2
    threshold : float in (0, 1), default=0.5
        Two classes: the probability above which a row is predicted positive.

    Attributes
    ----------
    n_classes : int
    n : int
        Rows added.
    correct : int
        Rows whose predicted class is their class.
    loss : float
        ``sum_i -log p_{i, y_i}``.
    brier : float
        ``sum_i (p_i1 - y_i)^2`` (two classes) or ``sum_i sum_k (p_ik - [y_i = k])^2``.
    confusion : ndarray of shape (n_classes, n_classes)
        Counts, rows the true class and columns the predicted one.
    """

    def __init__(self, n_classes: int = 2, *, threshold=0.5):
        self.threshold = check_threshold(threshold)
        # two classes: p > t is z > log(t / (1 - t)), the logit of the threshold
        self._cut = float(np.log(self.threshold) - np.log1p(-self.threshold))
        self.link = link_for(n_classes)
        self.n_classes = int(n_classes)
        self.n = 0
        self.correct = 0
        self.loss = 0.0
        self.brier = 0.0
        self.confusion = np.zeros((self.n_classes, self.n_classes), dtype=np.int64)

    def add(self, y_index, Z) -> MetricSums:
        """Add rows of class indices ``y_index`` (m,) and logits ``Z``: shape (m,) for two
        classes (of the positive one), (m, K) for more (``link.decision(X, coef,
        intercept)``). Returns self."""
        y = np.asarray(y_index).astype(np.intp)
        Z = np.asarray(Z, dtype=np.float64)
        pred = (Z > self._cut).astype(np.intp) if self.n_classes == 2 else self.link.labels(Z)
        self.n += y.shape[0]
        self.correct += int(np.sum(pred == y))
        self.loss += float(np.sum(self.link.losses(y, Z)))
        err = self.link.proba(Z)
        err[np.arange(y.shape[0]), y] -= 1.0  # p_ik - [y_i = k]
        squared = np.square(err, out=err)  # in place: memory stays one batch of outputs
        self.brier += float(np.sum(squared[:, 1] if self.n_classes == 2 else squared))
        np.add.at(self.confusion, (y, pred), 1)
        return self

    def merge(self, other: MetricSums) -> MetricSums:
        """Add the sums of ``other`` (the same number of classes). Returns self."""
        if other.n_classes != self.n_classes:
            raise ValueError(
                f"cannot merge sums of {other.n_classes} classes into sums of {self.n_classes}."
            )
        self.n += other.n
        self.correct += other.correct
        self.loss += other.loss
        self.brier += other.brier
        self.confusion += other.confusion
        return self

    def result(self, classes) -> dict:
        """The metrics of the rows added, with ``classes`` (n_classes,) as the labels: the
        dict of :func:`classification_metrics` with ``roc_auc`` None."""
        if self.n == 0:
            raise ValueError("no rows were added; the metrics of no rows are undefined.")
        return _result(
            rows=self.n,
            accuracy=self.correct / self.n,
            log_loss=self.loss / self.n,
            roc_auc=None,
            brier=self.brier / self.n,
            matrix=self.confusion,
            classes=np.asarray(classes),
            **({"threshold": self.threshold} if self.n_classes == 2 else {}),
        )

    def __repr__(self) -> str:
        return f"MetricSums(n_classes={self.n_classes}, n={self.n})"


def _class_index(y, classes):
    """Positions of the labels ``y`` in the sorted ``classes``."""
    if classes.dtype != object:
        return np.searchsorted(classes, y).astype(np.intp)
    lookup = {c: k for k, c in enumerate(classes.tolist())}
    return np.array([lookup[v] for v in y.tolist()], dtype=np.intp)


def _result(*, rows, accuracy, log_loss, roc_auc, brier, matrix, classes, **extra) -> dict:
    matrix = np.asarray(matrix)
    per_class = _per_class(matrix, classes)
    return {
        "rows": int(rows),
        "accuracy": float(accuracy),
        "log_loss": float(log_loss),
        "roc_auc": None if roc_auc is None else float(roc_auc),
        "brier": float(brier),
        "confusion_matrix": {"labels": classes.tolist(), "matrix": matrix.tolist()},
        "per_class": per_class,
        "macro": {
            key: float(np.mean([r[key] for r in per_class]))
            for key in ("precision", "recall", "f1")
        },
        **extra,
    }


def _per_class(matrix, classes) -> list[dict]:
    """Precision ``tp / (tp + fp)``, recall ``tp / (tp + fn)``, F1 (their harmonic mean)
    and support of each class from the confusion matrix (0 where a denominator is 0, as
    scikit-learn's ``zero_division=0``)."""
    tp = np.diag(matrix).astype(np.float64)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(actual > 0, tp / actual, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return [
        {
            "class": c,
            "precision": float(precision[k]),
            "recall": float(recall[k]),
            "f1": float(f1[k]),
            "support": int(actual[k]),
        }
        for k, c in enumerate(classes.tolist())
    ]
