"""How good the probabilities are: ROC curves (binary and one-vs-rest) and calibration."""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from ._common import BLUE, CLASS_COLORS, GREY, ORANGE, axes_for, finish, short, text

__all__ = ["plot_calibration", "plot_precision_recall", "plot_roc", "plot_roc_multiclass"]

_WHERE = """path : str or os.PathLike, optional
        PNG file to write (atomically); without it the Figure is returned.
    ax : matplotlib Axes, optional
        Draw on this Axes of the caller's figure instead of a new Figure.

    Returns
    -------
    pathlib.Path or matplotlib.figure.Figure
        The path written, or without ``path`` the Figure drawn on."""


def _binary(y, p, pos_label):
    """``(y01, p)``: the labels as 0/1 (1 for ``pos_label``) and the probabilities."""
    y = np.asarray(y)
    if pos_label is None:
        y01 = y.astype(np.float64)
        if not np.all((y01 == 0) | (y01 == 1)):
            raise DataError("y must be 0/1 when pos_label is not given.")
        y01 = y01.astype(np.int64)
    else:
        y01 = (y == pos_label).astype(np.int64)
    return y01, np.asarray(p, dtype=np.float64)


def _roc_axes(ax, chance_style, xlabel, ylabel):
    """The square unit axes of a ROC picture with the chance diagonal."""
    ax.plot([0, 1], [0, 1], color=GREY, ls=chance_style, lw=1, label="chance (AUC = 0.5)")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)


def plot_roc(y, p, path=None, *, pos_label=None, title=None, ax=None):
    """ROC curve with its area.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        True labels: 0/1, or any labels with ``pos_label``.
    p : array_like of shape (n_samples,)
        Predicted probability of the positive class.
    {where}
    pos_label : label, optional
    title : str, optional

    Raises
    ------
    DataError
        ``y`` holds only one class (the ROC curve is undefined).
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    y01, p = _binary(y, p, pos_label)
    if np.unique(y01).shape[0] < 2:
        raise DataError("the ROC curve needs rows of both classes; the data has only one.")
    fpr, tpr, _ = roc_curve(y01, p)
    auc = roc_auc_score(y01, p)
    fig, ax, _ = axes_for(ax, 1, (6.2, 6.0))
    ax.plot(fpr, tpr, color=BLUE, lw=2, label=f"model (AUC = {auc:.4f})")
    _roc_axes(ax, "--", "false positive rate", "true positive rate")
    ax.legend(loc="lower right")
    n_pos = int(y01.sum())
    ax.set_title(text(title or f"ROC curve ({y01.size} rows, {n_pos} positive)"), fontsize=11)
    return finish(fig, path)


def plot_precision_recall(y, p, path=None, *, pos_label=None, threshold=None, title=None, ax=None):
    """Precision-recall curve with its average precision (the area under it), the share
    of positives as the no-skill line, and the point of ``threshold`` when given.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        True labels: 0/1, or any labels with ``pos_label``.
    p : array_like of shape (n_samples,)
        Predicted probability of the positive class.
    {where}
    pos_label : label, optional
    threshold : float in (0, 1), optional
        Marked on the curve: the precision and recall of predicting ``p > threshold``.
    title : str, optional

    Raises
    ------
    DataError
        ``y`` holds only one class.
    """
    from sklearn.metrics import average_precision_score, precision_recall_curve

    y01, p = _binary(y, p, pos_label)
    if np.unique(y01).shape[0] < 2:
        raise DataError(
            "the precision-recall curve needs rows of both classes; the data has only one."
        )
    precision, recall, _ = precision_recall_curve(y01, p)
    ap = average_precision_score(y01, p)
    fig, ax, _ = axes_for(ax, 1, (6.2, 6.0))
    ax.step(recall, precision, where="post", color=BLUE, lw=2, label=f"model (AP = {ap:.4f})")
    share = float(y01.mean())
    ax.axhline(share, color="0.5", ls="--", lw=1, label=f"no skill ({share:.3f} positive)")
    if threshold is not None:
        pred = p > threshold
        tp = float(np.sum(pred & (y01 == 1)))
        prec = tp / pred.sum() if pred.any() else 0.0
        rec = tp / y01.sum()
        ax.plot([rec], [prec], "o", color="C3", ms=8, label=f"threshold {threshold:g}")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("recall (true positive rate)")
    ax.set_ylabel("precision (positive predictive value)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    n_pos = int(y01.sum())
    ax.set_title(
        text(title or f"precision-recall ({y01.size} rows, {n_pos} positive)"), fontsize=11
    )
    return finish(fig, path)


def plot_calibration(
    y, p, path=None, *, n_bins=10, pos_label=None, class_names=None, title=None, ax=None
):
    """Reliability diagram (observed frequency against mean predicted probability per bin)
    above a histogram of the predicted probabilities by true class.

    Parameters
    ----------
    y, p, path, pos_label, title
        As in :func:`plot_roc`.
    n_bins : int, default=10
        Equal-width bins on [0, 1]; empty bins are skipped.
    class_names : (str, str), optional
        Legend names of the negative and positive class.
    ax : (Axes, Axes) or Axes, optional
        Draw the reliability diagram and the histogram on these axes of the caller's
        figure (one Axes: the reliability diagram only) instead of a new Figure.

    Returns
    -------
    pathlib.Path or matplotlib.figure.Figure
        The path written, or without ``path`` the Figure drawn on.
    """
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss

    y01, p = _binary(y, p, pos_label)
    frac_pos, mean_pred = calibration_curve(y01, p, n_bins=n_bins, strategy="uniform")
    brier = brier_score_loss(y01, p)
    fig, (ax, axh), _ = axes_for(ax, 2, (6.4, 7.2), height_ratios=[2.2, 1], sharex=True)
    ax.plot([0, 1], [0, 1], color=GREY, ls="--", lw=1, label="perfectly calibrated")
    ax.plot(mean_pred, frac_pos, color=BLUE, marker="o", lw=2, label=f"model (Brier = {brier:.4f})")
    # Rows per non-empty bin, binned exactly as calibration_curve(strategy="uniform") does,
    # so that a wild point can be seen to rest on a handful of rows.
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=n_bins)
    for mp, fp, n in zip(mean_pred, frac_pos, counts[counts > 0], strict=True):
        # Off the curve's rising line: above-left on the right half, below-right on the left.
        if mp > 0.5:
            off, ha, va = (-6, 4), "right", "bottom"
        elif fp > 0.08:
            off, ha, va = (6, -4), "left", "top"
        else:
            off, ha, va = (6, 4), "left", "bottom"
        ax.annotate(
            f"{n}",
            (mp, fp),
            xytext=off,
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=7.5,
            color=GREY,
        )
    ax.text(
        0.98,
        0.03,
        "grey numbers: rows per bin",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=8,
        color=GREY,
    )
    ax.set_ylabel("observed frequency of the positive class")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    ax.set_title(
        text(title or f"calibration ({n_bins} bins, {y01.size} rows)"),
        fontsize=11,
    )
    if axh is None:
        ax.set_xlabel("mean predicted probability of the positive class")
        return finish(fig, path)
    bins = np.linspace(0, 1, 21)
    neg, pos = class_names or ("negative", "positive")
    axh.hist(p[y01 == 0], bins=bins, color=ORANGE, alpha=0.7, label=text(f"true {neg}"))
    axh.hist(p[y01 == 1], bins=bins, color=BLUE, alpha=0.7, label=text(f"true {pos}"))
    axh.set_xlabel("predicted probability of the positive class")
    axh.set_ylabel("rows")
    axh.legend(loc="upper center", fontsize=8.5)
    axh.grid(alpha=0.3)
    return finish(fig, path)


def plot_roc_multiclass(y, proba, classes, path=None, *, title=None, ax=None):
    """One-vs-rest ROC curves, one per class, with their areas and the macro average.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        True labels, among ``classes``.
    proba : array_like of shape (n_samples, n_classes)
        Predicted class probabilities, columns in the order of ``classes``.
    classes : array_like of shape (n_classes,)
    {where}
    title : str, optional

    Raises
    ------
    DataError
        Fewer than two classes occur in ``y``. A class absent from ``y`` has no curve
        (its row in the legend says so).
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    y = np.asarray(y)
    proba = np.asarray(proba, dtype=np.float64)
    classes = list(np.asarray(classes).tolist())
    present = [c for c in classes if np.any(y == c)]
    if len(present) < 2:
        raise DataError("the ROC curves need rows of at least two classes; the data has one.")
    fig, ax, _ = axes_for(ax, 1, (7.0, 6.6))
    aucs = []
    for k, c in enumerate(classes):
        color = CLASS_COLORS[k % len(CLASS_COLORS)]
        pos = (y == c).astype(np.int64)
        if pos.sum() == 0 or pos.sum() == pos.size:
            ax.plot([], [], color=color, lw=2, label=text(f"{short(c, 20)}: no rows, no curve"))
            continue
        fpr, tpr, _ = roc_curve(pos, proba[:, k])
        auc = roc_auc_score(pos, proba[:, k])
        aucs.append(auc)
        ls = "-" if k < len(CLASS_COLORS) else "--"
        ax.plot(
            fpr,
            tpr,
            color=color,
            lw=1.8,
            ls=ls,
            label=text(f"{short(c, 20)} vs rest (AUC = {auc:.3f}, {int(pos.sum())} rows)"),
        )
    _roc_axes(
        ax,
        ":",
        "false positive rate (rows of the other classes)",
        "true positive rate (rows of the class)",
    )
    ax.legend(
        loc="lower right",
        fontsize=8.5 if len(classes) <= 8 else 7,
        title=(f"macro AUC = {np.mean(aucs):.3f}"),
    )
    ax.set_title(text(title or f"ROC one-vs-rest ({y.size} rows)"), fontsize=11)
    return finish(fig, path)


for _f in (plot_roc, plot_precision_recall, plot_roc_multiclass):
    if _f.__doc__:  # None under python -OO
        _f.__doc__ = _f.__doc__.replace("{where}", _WHERE)
