"""Pictures of a fit: the loss curve, the computation graph of one row, ROC and calibration.

Every function draws on its own :class:`matplotlib.figure.Figure` with the Agg canvas (no
pyplot, no global backend switch, no display needed) and writes a PNG atomically: the image
appears at ``path`` complete or not at all (see :func:`logistic.io.atomic_write`).
"""

from __future__ import annotations

import io as _io
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ._atomic import atomic_write_bytes
from .errors import DataError

__all__ = [
    "plot_calibration",
    "plot_graph",
    "plot_graph_multinomial",
    "plot_loss_curve",
    "plot_roc",
    "plot_roc_multiclass",
]

_DPI = 110
_BLUE, _ORANGE, _RED, _GREY = "#1f5fa8", "#d9731a", "#b8262b", "#6b6b6b"


def _save(fig: Figure, path) -> Path:
    FigureCanvasAgg(fig)
    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI)
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path


def _text(s) -> str:
    """Label text safe from mathtext: a '$' in a column name is shown literally."""
    return str(s).replace("$", r"\$")


# -- loss curve ---------------------------------------------------------------------------
def plot_loss_curve(history, path, *, tol=None, title=None) -> Path:
    """Loss and ``max |grad|`` per iteration, the gradient on a log scale.

    Parameters
    ----------
    history : logistic.solvers.History, dict, or fitted estimator
        Needs ``loss`` and ``grad_norm`` sequences of equal length (entry 0 the start),
        plotted against ``iteration`` when it has the same length (else 0, 1, ...); an
        estimator's ``history_`` is used.
    path : str or os.PathLike
        PNG file to write.
    tol : float, optional
        Drawn as the convergence threshold on the gradient panel.
    title : str, optional

    Returns
    -------
    pathlib.Path
    """
    if hasattr(history, "history_"):
        history = history.history_
    if isinstance(history, dict):
        loss, grad = history.get("loss"), history.get("grad_norm")
        iteration = history.get("iteration")
    else:
        loss, grad = getattr(history, "loss", None), getattr(history, "grad_norm", None)
        iteration = getattr(history, "iteration", None)
    if loss is None or grad is None or len(loss) == 0 or len(loss) != len(grad):
        raise DataError(
            "history must hold equally long, non-empty 'loss' and 'grad_norm' sequences."
        )
    loss = np.asarray(loss, dtype=np.float64)
    grad = np.asarray(grad, dtype=np.float64)
    it = np.arange(loss.shape[0])
    if iteration is not None and len(iteration) == len(loss):
        it = np.asarray(iteration)  # a long solve's thinned record (see History)
    marker = "o" if loss.shape[0] <= 40 else None

    fig = Figure(figsize=(7.5, 6.0), layout="constrained")
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    ax1.plot(it, loss, color=_BLUE, marker=marker, ms=3, lw=1.6)
    ax1.set_ylabel("loss (mean-form objective)")
    ax1.grid(alpha=0.3)
    ax1.annotate(
        f"final {loss[-1]:.6g}",
        xy=(it[-1], loss[-1]),
        xytext=(-8, 12),
        textcoords="offset points",
        ha="right",
        color=_BLUE,
        fontsize=9,
    )
    positive = grad > 0
    if positive.any():
        ax2.semilogy(
            it[positive],
            grad[positive],
            color=_ORANGE,
            marker=marker,
            ms=3,
            lw=1.6,
            label="max |grad|",
        )
    if tol is not None and tol > 0:
        ax2.axhline(tol, color=_GREY, ls="--", lw=1, label=f"tol = {tol:g}")
    ax2.set_ylabel("max |gradient| (log scale)")
    ax2.set_xlabel("iteration")
    ax2.grid(alpha=0.3, which="both")
    ax2.legend(loc="upper right", fontsize=9)
    if it[-1] > 0:
        ax2.set_xlim(0, it[-1])
    fig.suptitle(_text(title or f"training: {int(it[-1])} iterations"), fontsize=12)
    return _save(fig, path)


# -- computation graph --------------------------------------------------------------------
def _box(ax, xy, text, color, w=0.17, h=0.2):
    x, y = xy
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.012,rounding_size=0.02",
            fc=color + "1a",
            ec=color,
            lw=1.6,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=9.5, family="DejaVu Sans")


def _arrow(ax, start, end, label="", color="black", offset=0.04, va="bottom", fontsize=8.5):
    ax.add_patch(
        FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, lw=1.3, color=color)
    )
    if label:
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        ax.text(mx, my + offset, label, ha="center", va=va, fontsize=fontsize, color=color)


def _fmt(v) -> str:
    v = float(v)
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.4g}"


def plot_graph(trace, path, *, max_features=10, title=None) -> Path:
    """The seeds' computation graph for one row, with its numbers and local derivatives.

    Top: boxes ``x, w, b -> z -> a -> L`` with the forward values and, on the edges, the
    local derivatives ``dz/dw = x``, ``dz/db = 1``, ``da/dz = a(1-a)``,
    ``dL/da = (1-y)/(1-a) - y/a``; in red the backward products ``dL/dz``, ``dL/db``.
    Bottom: per feature, the contribution ``w_j x_j`` to ``z`` and the gradient
    ``dL/dw_j = (a - y) x_j``, for the ``max_features`` largest contributions.

    Parameters
    ----------
    trace : logistic.graph.ExampleTrace
        From :func:`logistic.explain` on one row (``x`` of shape (n_features,)).
    path : str or os.PathLike
    max_features : int, default=10
    title : str, optional

    Returns
    -------
    pathlib.Path
    """
    x = np.asarray(trace.x, dtype=np.float64)
    w = np.asarray(trace.w, dtype=np.float64)
    names = list(trace.feature_names) or [f"x{j}" for j in range(x.shape[0])]
    fig = Figure(figsize=(12.5, 9.0), layout="constrained")
    gs = fig.add_gridspec(2, 2, height_ratios=[1.15, 1.0])
    ax = fig.add_subplot(gs[0, :])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")

    wx = float(np.dot(w, x))
    if trace.saturated and trace.note:
        ax.set_ylim(-0.32, 1)
        ax.text(
            0.5,
            -0.08,
            "\n".join(textwrap.wrap(_text(trace.note), 160)),
            ha="center",
            va="top",
            fontsize=8,
            color=_RED,
            bbox={"fc": "#fff4f4", "ec": _RED, "lw": 0.8},
        )
    X_, W_, B_ = (0.1, 0.86), (0.1, 0.52), (0.1, 0.18)
    Z_, A_, L_ = (0.38, 0.52), (0.63, 0.52), (0.885, 0.52)
    _box(ax, X_, f"x\n{x.shape[0]} features\n(bars below)", _GREY, w=0.15)
    _box(ax, W_, f"w\n{w.shape[0]} weights\nw·x = {_fmt(wx)}", _GREY, w=0.15)
    _box(ax, B_, f"b\n= {_fmt(trace.b)}", _GREY, w=0.15)
    _box(ax, Z_, f"z = w·x + b\n= {_fmt(trace.z)}", _BLUE, w=0.15)
    _box(ax, A_, f"a = σ(z)\n= {_fmt(trace.a)}", _BLUE, w=0.13)
    _box(ax, L_, f"L = BCE(a, y)\ny = {trace.y:g}\n= {_fmt(trace.L)}", _BLUE, w=0.15)

    _arrow(ax, (0.185, 0.8), (0.3, 0.6), "", _GREY)
    _arrow(ax, (0.185, 0.52), (0.3, 0.52), "∂z/∂w = x", offset=0.015)
    _arrow(ax, (0.185, 0.24), (0.3, 0.44), "", "black")
    ax.text(0.255, 0.3, "∂z/∂b = 1", ha="left", va="center", fontsize=8.5)
    _arrow(ax, (0.458, 0.52), (0.562, 0.52))
    _arrow(ax, (0.698, 0.52), (0.808, 0.52))
    # Local derivatives above their edges, clear of the boxes.
    ax.text(
        0.51, 0.67, f"∂a/∂z = a(1−a)\n= {_fmt(trace.da_dz)}", ha="center", va="bottom", fontsize=8.5
    )
    ax.text(
        0.753,
        0.67,
        f"∂L/∂a = (1−y)/(1−a) − y/a\n= {_fmt(trace.dL_da)}",
        ha="center",
        va="bottom",
        fontsize=8.5,
    )

    # The backward pass, in red under the forward graph.
    ax.text(
        0.63,
        0.34,
        f"∂L/∂z = ∂L/∂a · ∂a/∂z = {_fmt(trace.dL_dz_chain)}\n"
        f"fused form  a − y = {_fmt(trace.dL_dz)}",
        ha="center",
        va="top",
        fontsize=9.5,
        color=_RED,
    )
    ax.text(
        0.38,
        0.2,
        f"∂L/∂b = ∂L/∂z · 1 = {_fmt(trace.dL_db)}\n∂L/∂w = (a − y) x  (bars below, right)",
        ha="center",
        va="top",
        fontsize=9.5,
        color=_RED,
    )

    # Per-feature bars: contribution to z and gradient.
    contrib = w * x
    k = min(max_features, x.shape[0])
    order = np.argsort(-np.abs(contrib), kind="stable")[:k][::-1]
    labels = [f"{_text(_short(names[j]))}  (x = {_fmt(x[j])})" for j in order]
    ypos = np.arange(k)
    ax_c = fig.add_subplot(gs[1, 0])
    colors = [_BLUE if v >= 0 else _ORANGE for v in contrib[order]]
    ax_c.barh(ypos, contrib[order], color=colors)
    ax_c.set_yticks(ypos, labels, fontsize=8.5)
    ax_c.axvline(0, color="black", lw=0.8)
    ax_c.set_xlabel("w_j · x_j  (contribution to z)")
    shown = f"top {k} of {x.shape[0]}" if k < x.shape[0] else f"all {k}"
    ax_c.set_title(f"features, {shown} by |w_j x_j|", fontsize=10)
    ax_c.grid(axis="x", alpha=0.3)
    ax_g = fig.add_subplot(gs[1, 1], sharey=ax_c)
    g = np.asarray(trace.dL_dw, dtype=np.float64)[order]
    ax_g.barh(ypos, g, color=[_RED if v >= 0 else _GREY for v in g])
    ax_g.axvline(0, color="black", lw=0.8)
    ax_g.set_xlabel("∂L/∂w_j = (a − y) · x_j")
    ax_g.set_title("gradient of this row's loss", fontsize=10)
    ax_g.tick_params(axis="y", labelleft=False)
    if not np.any(g):
        ax_g.text(
            0.5,
            0.5,
            "all 0: a − y = 0 at this row",
            transform=ax_g.transAxes,
            ha="center",
            va="center",
            color=_GREY,
            bbox={"fc": "white", "ec": "none"},
        )
    ax_g.grid(axis="x", alpha=0.3)
    fig.suptitle(_text(title or "computation graph of one row"), fontsize=13)
    return _save(fig, path)


def _short(name, n=32) -> str:
    name = str(name)
    return name if len(name) <= n else name[: n - 1] + "…"


# -- ROC and calibration ------------------------------------------------------------------
def _binary(y, pos_label):
    y = np.asarray(y)
    if pos_label is None:
        y01 = y.astype(np.float64)
        if not np.all((y01 == 0) | (y01 == 1)):
            raise DataError("y must be 0/1 when pos_label is not given.")
        return y01.astype(np.int64)
    return (y == pos_label).astype(np.int64)


def plot_roc(y, p, path, *, pos_label=None, title=None) -> Path:
    """ROC curve with its area.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        True labels: 0/1, or any labels with ``pos_label``.
    p : array_like of shape (n_samples,)
        Predicted probability of the positive class.
    path : str or os.PathLike
    pos_label : label, optional
    title : str, optional

    Raises
    ------
    DataError
        ``y`` holds only one class (the ROC curve is undefined).
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    y01 = _binary(y, pos_label)
    p = np.asarray(p, dtype=np.float64)
    if np.unique(y01).shape[0] < 2:
        raise DataError("the ROC curve needs rows of both classes; the data has only one.")
    fpr, tpr, _ = roc_curve(y01, p)
    auc = roc_auc_score(y01, p)
    fig = Figure(figsize=(6.2, 6.0), layout="constrained")
    ax = fig.subplots()
    ax.plot(fpr, tpr, color=_BLUE, lw=2, label=f"model (AUC = {auc:.4f})")
    ax.plot([0, 1], [0, 1], color=_GREY, ls="--", lw=1, label="chance (AUC = 0.5)")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    n_pos = int(y01.sum())
    ax.set_title(_text(title or f"ROC curve ({y01.size} rows, {n_pos} positive)"), fontsize=11)
    return _save(fig, path)


def plot_calibration(
    y, p, path, *, n_bins=10, pos_label=None, class_names=None, title=None
) -> Path:
    """Reliability diagram (observed frequency against mean predicted probability per bin)
    above a histogram of the predicted probabilities by true class.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        True labels: 0/1, or any labels with ``pos_label``.
    p : array_like of shape (n_samples,)
        Predicted probability of the positive class.
    path : str or os.PathLike
    n_bins : int, default=10
        Equal-width bins on [0, 1]; empty bins are skipped.
    pos_label : label, optional
    class_names : (str, str), optional
        Legend names of the negative and positive class.
    title : str, optional
    """
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss

    y01 = _binary(y, pos_label)
    p = np.asarray(p, dtype=np.float64)
    frac_pos, mean_pred = calibration_curve(y01, p, n_bins=n_bins, strategy="uniform")
    brier = brier_score_loss(y01, p)
    fig = Figure(figsize=(6.4, 7.2), layout="constrained")
    ax, axh = fig.subplots(2, 1, height_ratios=[2.2, 1], sharex=True)
    ax.plot([0, 1], [0, 1], color=_GREY, ls="--", lw=1, label="perfectly calibrated")
    ax.plot(
        mean_pred, frac_pos, color=_BLUE, marker="o", lw=2, label=f"model (Brier = {brier:.4f})"
    )
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
            color=_GREY,
        )
    ax.text(
        0.98,
        0.03,
        "grey numbers: rows per bin",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=8,
        color=_GREY,
    )
    ax.set_ylabel("observed frequency of the positive class")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    ax.set_title(
        _text(title or f"calibration ({n_bins} bins, {y01.size} rows)"),
        fontsize=11,
    )
    bins = np.linspace(0, 1, 21)
    neg, pos = class_names or ("negative", "positive")
    axh.hist(p[y01 == 0], bins=bins, color=_ORANGE, alpha=0.7, label=_text(f"true {neg}"))
    axh.hist(p[y01 == 1], bins=bins, color=_BLUE, alpha=0.7, label=_text(f"true {pos}"))
    axh.set_xlabel("predicted probability of the positive class")
    axh.set_ylabel("rows")
    axh.legend(loc="upper center", fontsize=8.5)
    axh.grid(alpha=0.3)
    return _save(fig, path)


# -- multinomial --------------------------------------------------------------------------
_CLASS_COLORS = [
    "#1f5fa8",
    "#d9731a",
    "#2a8c4a",
    "#d4a20f",  # not red: red is the gradient's colour in the graph picture
    "#7b4fa8",
    "#8c6d31",
    "#c2478f",
    "#4d4d4d",
    "#17a2b8",
    "#9aa31f",
]


def plot_roc_multiclass(y, proba, classes, path, *, title=None) -> Path:
    """One-vs-rest ROC curves, one per class, with their areas and the macro average.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        True labels, among ``classes``.
    proba : array_like of shape (n_samples, n_classes)
        Predicted class probabilities, columns in the order of ``classes``.
    classes : array_like of shape (n_classes,)
    path : str or os.PathLike
    title : str, optional

    Returns
    -------
    pathlib.Path

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
    fig = Figure(figsize=(7.0, 6.6), layout="constrained")
    ax = fig.subplots()
    aucs = []
    for k, c in enumerate(classes):
        color = _CLASS_COLORS[k % len(_CLASS_COLORS)]
        pos = (y == c).astype(np.int64)
        if pos.sum() == 0 or pos.sum() == pos.size:
            ax.plot([], [], color=color, lw=2, label=_text(f"{_short(c, 20)}: no rows, no curve"))
            continue
        fpr, tpr, _ = roc_curve(pos, proba[:, k])
        auc = roc_auc_score(pos, proba[:, k])
        aucs.append(auc)
        ls = "-" if k < len(_CLASS_COLORS) else "--"
        ax.plot(
            fpr,
            tpr,
            color=color,
            lw=1.8,
            ls=ls,
            label=_text(f"{_short(c, 20)} vs rest (AUC = {auc:.3f}, {int(pos.sum())} rows)"),
        )
    ax.plot([0, 1], [0, 1], color=_GREY, ls=":", lw=1, label="chance (AUC = 0.5)")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate (rows of the other classes)")
    ax.set_ylabel("true positive rate (rows of the class)")
    ax.grid(alpha=0.3)
    ax.legend(
        loc="lower right",
        fontsize=8.5 if len(classes) <= 8 else 7,
        title=(f"macro AUC = {np.mean(aucs):.3f}"),
    )
    ax.set_title(_text(title or f"ROC one-vs-rest ({y.size} rows)"), fontsize=11)
    return _save(fig, path)


def plot_graph_multinomial(trace, path, *, max_features=10, title=None) -> Path:
    """The softmax computation graph of one row, with its numbers and local derivatives.

    Top: boxes ``x -> z = W^T x + b -> a = softmax(z) -> L = -log a_y`` with, on the edges,
    the local derivatives ``dz/dW = x``, ``da/dz = diag(a) - a a^T``, ``dL/da_y = -1/a_y``
    and, in red, the backward product ``dL/dz = a - onehot(y)``. Bottom left: per class the
    logit ``z_k``, the probability ``a_k`` and ``dL/dz_k`` (the true class outlined);
    bottom right: ``dL/dW_jk = x_j (a_k - y_k)`` for the ``max_features`` features with the
    largest gradients, one column per class.

    Parameters
    ----------
    trace : logistic.graph.MultinomialTrace
    path : str or os.PathLike
    max_features : int, default=10
    title : str, optional

    Returns
    -------
    pathlib.Path
    """
    z = np.asarray(trace.z, dtype=np.float64)
    a = np.asarray(trace.a, dtype=np.float64)
    g = np.asarray(trace.dL_dz, dtype=np.float64)
    x = np.asarray(trace.dz_dW, dtype=np.float64)
    gW = np.asarray(trace.dL_dW, dtype=np.float64)
    classes = [str(c) for c in trace.classes]
    K = len(classes)
    names = list(trace.feature_names) or [f"x{j}" for j in range(x.shape[0])]
    fig = Figure(figsize=(13.0, 9.5), layout="constrained")
    gs = fig.add_gridspec(2, 2, height_ratios=[1.0, 1.15], width_ratios=[1.0, 1.1])
    ax = fig.add_subplot(gs[0, :])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    yc = trace.y
    X_, Z_, A_, L_ = (0.08, 0.6), (0.33, 0.6), (0.62, 0.6), (0.89, 0.6)
    _box(ax, X_, f"x\n{x.shape[0]} features\n(bars below)", _GREY, w=0.13, h=0.32)
    shown = min(K, 6)
    zl = "\n".join(f"z[{_short(c, 12)}] = {_fmt(z[k])}" for k, c in enumerate(classes[:shown]))
    al = "\n".join(f"a[{_short(c, 12)}] = {_fmt(a[k])}" for k, c in enumerate(classes[:shown]))
    more = f"\n... ({K - shown} more)" if K > shown else ""
    _box(ax, Z_, f"linear: z = Wᵀx + b\n{zl}{more}", _BLUE, w=0.2, h=0.5)
    _box(ax, A_, f"softmax: a = e^z / Σ e^z\n{al}{more}", _BLUE, w=0.22, h=0.5)
    _box(
        ax,
        L_,
        f"L = −log a_y\ny = {_short(classes[yc], 14)}\n= {_fmt(trace.L)}",
        _BLUE,
        w=0.15,
        h=0.32,
    )
    _arrow(ax, (0.145, 0.6), (0.23, 0.6))
    _arrow(ax, (0.43, 0.6), (0.51, 0.6))
    _arrow(ax, (0.73, 0.6), (0.815, 0.6))
    ax.text(0.188, 0.9, "∂z_k/∂W_jk = x_j\n∂z_k/∂b_k = 1", ha="center", va="bottom", fontsize=8.5)
    ax.text(
        0.47,
        0.9,
        "∂a/∂z = diag(a) − a aᵀ\n(K × K Jacobian)",
        ha="center",
        va="bottom",
        fontsize=8.5,
    )
    ax.text(
        0.772,
        0.9,
        f"∂L/∂a_y = −1/a_y\n= {_fmt(trace.dL_da[yc])}",
        ha="center",
        va="bottom",
        fontsize=8.5,
    )
    chain = np.asarray(trace.dL_dz_chain, dtype=np.float64)
    ax.text(
        0.5,
        0.2,
        "backward: ∂L/∂z = (∂a/∂z)ᵀ ∂L/∂a = a − onehot(y)   "
        f"(chain and fused agree to {_fmt(np.nanmax(np.abs(chain - g)))})\n"
        "∂L/∂b = a − onehot(y),   ∂L/∂W = x (a − onehot(y))ᵀ   (bars below)",
        ha="center",
        va="top",
        fontsize=9.5,
        color=_RED,
    )
    if trace.saturated and trace.note:
        ax.text(
            0.5,
            0.02,
            "\n".join(textwrap.wrap(_text(trace.note), 170)),
            ha="center",
            va="bottom",
            fontsize=7.5,
            color=_RED,
        )

    # Per class: a_k and dL/dz_k = a_k - y_k.
    axc = fig.add_subplot(gs[1, 0])
    pos = np.arange(K)
    width = 0.4
    colors = [_CLASS_COLORS[k % len(_CLASS_COLORS)] for k in range(K)]
    axc.bar(pos - width / 2, a, width, color=colors, alpha=0.85, label="a_k = softmax(z)_k")
    axc.bar(pos + width / 2, g, width, color=_RED, alpha=0.8, label="∂L/∂z_k = a_k − y_k")
    axc.bar([yc - width / 2], [a[yc]], width, fill=False, ec="black", lw=2, label="true class y")
    axc.axhline(0, color="black", lw=0.8)
    long = K > 5 or K * max(len(c) for c in classes) > 40  # labels would overlap
    axc.set_xticks(
        pos,
        [_text(_short(c, 18)) for c in classes],
        rotation=25 if long else 0,
        ha="right" if long else "center",
    )
    axc.set_ylim(-1.05, 1.05)
    axc.set_ylabel("probability / gradient")
    axc.set_title("per class: probability and gradient of the logit", fontsize=10)
    axc.legend(loc="lower left", fontsize=8)
    axc.grid(axis="y", alpha=0.3)

    # Per feature and class: dL/dW_jk.
    axw = fig.add_subplot(gs[1, 1])
    k_feat = min(max_features, x.shape[0])
    order = np.argsort(-np.max(np.abs(gW), axis=1), kind="stable")[:k_feat]
    M = gW[order]
    lim = float(np.max(np.abs(M))) or 1.0
    im = axw.imshow(M, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    axw.set_yticks(
        np.arange(k_feat),
        [f"{_text(_short(names[j], 28))} (x = {_fmt(x[j])})" for j in order],
        fontsize=8,
    )
    axw.set_xticks(pos, [_text(_short(c, 10)) for c in classes], fontsize=8)
    if K * k_feat <= 60:
        for i in range(k_feat):
            for k in range(K):
                dark = abs(M[i, k]) > 0.6 * lim  # white on the saturated cells
                axw.text(
                    k,
                    i,
                    f"{M[i, k]:.2g}",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white" if dark else "black",
                )
    fig.colorbar(im, ax=axw, shrink=0.8, label="∂L/∂W_jk = x_j (a_k − y_k)")
    shown_f = f"top {k_feat} of {x.shape[0]}" if k_feat < x.shape[0] else f"all {k_feat}"
    axw.set_title(f"gradient of this row's loss, features {shown_f}", fontsize=10)
    fig.suptitle(_text(title or "softmax computation graph of one row"), fontsize=13)
    return _save(fig, path)
