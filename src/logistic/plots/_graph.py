"""The computation graph of one row, drawn: one picture for every link.

Top: the boxes ``x, w, b -> z -> a -> L`` with the row's values, the local derivatives on the
edges and the backward products in red; the formulas come from the trace's link
(:data:`logistic.graph.NODES`). Bottom: per feature, the contribution ``w_j x_j`` and the
gradient ``dL/dw_j``: bars for one output, and for several a per-class panel and a
feature-by-class grid of ``dL/dW_jk``.
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.figure import Figure

from ._common import (
    BLUE,
    CLASS_COLORS,
    GREY,
    ORANGE,
    RED,
    arrow,
    box,
    finish,
    fmt_values,
    short,
    text,
)
from ._common import fmt4 as fmt

__all__ = ["plot_graph"]

#: Classes listed in the z and a boxes; the others are counted.
_LISTED = 6


def plot_graph(trace, path=None, *, max_features=10, title=None, fig=None):
    """The seeds' computation graph for one row, with its numbers and local derivatives.

    Top: boxes ``x, w, b -> z -> a -> L`` with the forward values and, on the edges, the
    local derivatives (``dz/dw = x``, ``dz/db = 1``, ``da/dz``, ``dL/da`` as the link's
    nodes write them: ``a(1-a)`` and ``(1-y)/(1-a) - y/a`` for the sigmoid, ``diag(a) -
    a a^T`` and ``-y_k/a_k`` for the softmax); in red the backward products ``dL/dz``,
    ``dL/db``, ``dL/dw``. A saturated row adds the note on why the literal chain fails.

    Bottom, for one output (two classes): per feature the contribution ``w_j x_j`` to ``z``
    and the gradient ``dL/dw_j = (a - y) x_j``, for the ``max_features`` largest
    contributions. For ``K`` outputs: per class ``a_k`` and ``dL/dz_k = a_k - y_k`` (the
    true class outlined), and ``dL/dW_jk = x_j (a_k - y_k)`` for the ``max_features``
    features with the largest gradients, one column per class.

    Parameters
    ----------
    trace : logistic.graph.ExampleTrace
        From :func:`logistic.explain` on one row, for any link.
    path : str or os.PathLike, optional
        PNG file to write (atomically); without it the Figure is returned.
    max_features : int, default=10
    title : str, optional
    fig : matplotlib Figure or SubFigure, optional
        Draw into this (empty) figure of the caller instead of a new one; the picture
        has three panels, so it takes a figure rather than an Axes.

    Returns
    -------
    pathlib.Path or matplotlib.figure.Figure
        The path written, or without ``path`` the Figure drawn on (the root one for a
        SubFigure).
    """
    K = trace.n_out
    root = fig
    if fig is None:
        fig = root = Figure(figsize=(12.5, 9.0) if K == 1 else (13.0, 9.5), layout="constrained")
    elif getattr(fig, "figure", None) is not None:
        root = fig.figure  # a SubFigure draws on its root Figure
    gs = fig.add_gridspec(2, 2, height_ratios=[1.15, 1.0] if K == 1 else [1.0, 1.15])
    ax = fig.add_subplot(gs[0, :])
    _draw_graph(ax, trace)
    if K == 1:
        _feature_bars(fig, gs, trace, max_features)
    else:
        _class_bars(fig.add_subplot(gs[1, 0]), trace)
        _gradient_grid(fig, fig.add_subplot(gs[1, 1]), trace, max_features)
    default = f"{trace.nodes.activation} computation graph of one row"
    fig.suptitle(text(title or default), fontsize=13)
    return finish(root, path)


# -- the graph -----------------------------------------------------------------------------
def _outputs(v):
    return np.atleast_1d(np.asarray(v, dtype=np.float64))


def _true_output(trace):
    """Index of the row's class among the outputs (the link's last ``n_out`` classes)."""
    return trace.label_index - (len(trace.classes) - trace.n_out)


def _listed(trace):
    """Outputs listed in the boxes: all of up to :data:`_LISTED`, else the true class and
    the most probable others, in class order."""
    K = trace.n_out
    if K <= _LISTED:
        return list(range(K))
    k = _true_output(trace)
    others = [j for j in np.argsort(-_outputs(trace.a), kind="stable") if j != k]
    return sorted([k, *others[: _LISTED - 1]])


def _values(trace, v, symbol):
    """The lines of a box: ``= v`` for one output, ``symbol[c] = v_c`` for the listed ones."""
    v = _outputs(v)
    if trace.n_out == 1:
        return [f"= {fmt(v[0])}"]
    names = trace.output_names
    lines = [f"{symbol}[{short(names[k], 12)}] = {fmt(v[k])}" for k in _listed(trace)]
    if trace.n_out > len(lines):
        lines.append(f"... ({trace.n_out - len(lines)} more classes)")
    return lines


def _count(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def _labels(trace):
    """The texts that differ between one output (the seeds' scalars, shown as numbers) and
    several (vectors and a Jacobian: the true class's entries, the rest in the panels)."""
    pretty, K, n = trace.nodes.pretty, trace.n_out, trace.x.shape[0]
    if K == 1:
        return {
            "below": "bars below",
            "w": f"w\n{_count(n, 'weight')}\nw·x = {fmt(np.dot(trace.w, trace.x))}",
            "b": f"b\n= {fmt(trace.b)}",
            "y": f"{trace.y:g}",
            "da/dz": f"{pretty['da/dz']}\n= {fmt(trace.da_dz)}",
            "dL/da": f"{pretty['dL/da']}\n= {fmt(trace.dL_da)}",
            "chain": f"{pretty['chain']} = {fmt(trace.dL_dz_chain)}\n"
            f"fused form  {pretty['fused']} = {fmt(trace.dL_dz)}",
            "params": f"{pretty['dL/db']} = {fmt(trace.dL_db)}\n"
            f"{pretty['dL/dw']}  (bars below, right)",
        }
    k = _true_output(trace)
    chain = _outputs(trace.dL_dz_chain)
    gap = np.abs(chain - _outputs(trace.dL_dz))
    if np.all(np.isfinite(gap)):
        agree = f"= fused form  {pretty['fused']}  (they differ by {fmt(gap.max())})"
    else:
        agree = f"= {fmt_values(chain, limit=4)};  fused form {pretty['fused']}: bars below"
    return {
        "below": "grid below",
        "w": f"W\n{n} × {K} weights",
        "b": f"b\n{K} intercepts",
        "y": short(trace.label, 14),
        "da/dz": f"{pretty['da/dz']}\n({K} × {K} Jacobian; ∂a_y/∂z_y = {fmt(trace.da_dz[k, k])})",
        "dL/da": f"{pretty['dL/da']}\n∂L/∂a_y = {fmt(trace.dL_da[k])}, the others 0",
        "chain": f"{pretty['chain']}\n{agree}",
        "params": f"{pretty['dL/db']}  (bars below, left)\n{pretty['dL/dw']}  (grid below, right)",
    }


def _draw_graph(ax, trace):
    pretty, K, n = trace.nodes.pretty, trace.n_out, trace.x.shape[0]
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    if trace.saturated and trace.note:
        ax.set_ylim(-0.32, 1)
        ax.text(
            0.5,
            -0.08,
            "\n".join(textwrap.wrap(text(trace.note), 160)),
            ha="center",
            va="top",
            fontsize=8,
            color=RED,
            bbox={"fc": "#fff4f4", "ec": RED, "lw": 0.8},
        )
    t = _labels(trace)
    z_lines = [pretty["z"], *_values(trace, trace.z, "z")]
    a_lines = [pretty["a"], *_values(trace, trace.a, "a")]
    h = max(0.2, 0.058 * max(len(z_lines), len(a_lines)))  # room for a line per class
    zw, aw = (0.15, 0.13) if K == 1 else (0.2, 0.2)
    cy = 0.52
    X_, W_, B_ = (0.1, 0.86), (0.1, cy), (0.1, 0.18)
    Z_, A_, L_ = (0.38, cy), (0.63, cy), (0.885, cy)
    box(ax, X_, f"x\n{_count(n, 'feature')}\n({t['below']})", GREY, w=0.15)
    box(ax, W_, t["w"], GREY, w=0.15)
    box(ax, B_, t["b"], GREY, w=0.15)
    box(ax, Z_, "\n".join(z_lines), BLUE, w=zw, h=h)
    box(ax, A_, "\n".join(a_lines), BLUE, w=aw, h=h)
    box(ax, L_, f"{pretty['L']}\ny = {t['y']}\n= {fmt(trace.L)}", BLUE, w=0.15)

    z_left, z_right = Z_[0] - zw / 2 - 0.008, Z_[0] + zw / 2 + 0.008
    a_left, a_right = A_[0] - aw / 2 - 0.008, A_[0] + aw / 2 + 0.008
    arrow(ax, (0.185, 0.8), (z_left, cy + 0.08), "", GREY)
    arrow(ax, (0.185, cy), (z_left, cy), f"∂z/∂{trace.nodes.weights} = x", offset=0.015)
    arrow(ax, (0.185, 0.24), (z_left, cy - 0.08), "", "black")
    # Right of the b edge's middle, and below a tall z box rather than on it.
    mid_x, mid_y = (0.185 + z_left) / 2, (0.24 + cy - 0.08) / 2
    b_y = min(mid_y - 0.04, cy - h / 2 - 0.035)
    ax.text(mid_x + 0.015, b_y, "∂z/∂b = 1", ha="left", va="center", fontsize=8.5)
    arrow(ax, (z_right, cy), (a_left, cy))
    arrow(ax, (a_right, cy), (0.808, cy))
    # Local derivatives above their edges, clear of the boxes.
    top = cy + h / 2 + 0.05
    ax.text((Z_[0] + A_[0]) / 2, top, t["da/dz"], ha="center", va="bottom", fontsize=8.5)
    ax.text((A_[0] + L_[0]) / 2 + 0.005, top, t["dL/da"], ha="center", va="bottom", fontsize=8.5)
    # The backward pass, in red under the forward graph.
    low = cy - h / 2 - 0.08
    ax.text(0.63, low, t["chain"], ha="center", va="top", fontsize=9.5, color=RED)
    ax.text(0.38, low - 0.14, t["params"], ha="center", va="top", fontsize=9.5, color=RED)


# -- one output: bars per feature ------------------------------------------------------------
def _feature_bars(fig, gs, trace, max_features):
    x = trace.x
    names = list(trace.feature_names) or [f"x{j}" for j in range(x.shape[0])]
    contrib = trace.contributions()[:, 0]
    k = min(max_features, x.shape[0])
    order = np.argsort(-np.abs(contrib), kind="stable")[:k][::-1]
    labels = [f"{text(short(names[j]))}  (x = {fmt(x[j])})" for j in order]
    ypos = np.arange(k)
    ax_c = fig.add_subplot(gs[1, 0])
    ax_c.barh(ypos, contrib[order], color=[BLUE if v >= 0 else ORANGE for v in contrib[order]])
    ax_c.set_yticks(ypos, labels, fontsize=8.5)
    ax_c.axvline(0, color="black", lw=0.8)
    ax_c.set_xlabel("w_j · x_j  (contribution to z)")
    shown = f"top {k} of {x.shape[0]}" if k < x.shape[0] else f"all {k}"
    ax_c.set_title(f"features, {shown} by |w_j x_j|", fontsize=10)
    ax_c.grid(axis="x", alpha=0.3)
    ax_g = fig.add_subplot(gs[1, 1], sharey=ax_c)
    g = np.asarray(trace.dL_dw, dtype=np.float64)[order]
    ax_g.barh(ypos, g, color=[RED if v >= 0 else GREY for v in g])
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
            color=GREY,
            bbox={"fc": "white", "ec": "none"},
        )
    ax_g.grid(axis="x", alpha=0.3)


# -- several outputs: per class, and a feature-by-class grid --------------------------------
def _class_bars(axc, trace):
    """Per class: ``a_k`` and ``dL/dz_k = a_k - y_k``, the true class outlined."""
    a, g = _outputs(trace.a), _outputs(trace.dL_dz)
    classes = trace.output_names
    K, yc = len(classes), _true_output(trace)
    pos = np.arange(K)
    width = 0.4
    colors = [CLASS_COLORS[k % len(CLASS_COLORS)] for k in range(K)]
    axc.bar(pos - width / 2, a, width, color=colors, alpha=0.85, label="a_k = softmax(z)_k")
    axc.bar(pos + width / 2, g, width, color=RED, alpha=0.8, label="∂L/∂z_k = a_k − y_k")
    axc.bar([yc - width / 2], [a[yc]], width, fill=False, ec="black", lw=2, label="true class y")
    axc.axhline(0, color="black", lw=0.8)
    long = K * (max(len(c) for c in classes) + 2) > 40  # labels would overlap
    axc.set_xticks(
        pos,
        [text(short(c, 18)) for c in classes],
        rotation=25 if long else 0,
        ha="right" if long else "center",
    )
    axc.set_ylim(-1.05, 1.05)
    axc.set_ylabel("probability / gradient")
    axc.set_title("per class: probability and gradient of the logit", fontsize=10)
    axc.legend(loc="lower left", fontsize=8)
    axc.grid(axis="y", alpha=0.3)


def _gradient_grid(fig, axw, trace, max_features):
    """``dL/dW_jk`` for the features with the largest gradients, one column per class."""
    x = trace.x
    gW = np.asarray(trace.dL_dw, dtype=np.float64)
    classes = trace.output_names
    K = len(classes)
    names = list(trace.feature_names) or [f"x{j}" for j in range(x.shape[0])]
    k_feat = min(max_features, x.shape[0])
    order = np.argsort(-np.max(np.abs(gW), axis=1), kind="stable")[:k_feat]
    M = gW[order]
    lim = float(np.max(np.abs(M))) or 1.0
    im = axw.imshow(M, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    axw.set_yticks(
        np.arange(k_feat),
        [f"{text(short(names[j], 28))} (x = {fmt(x[j])})" for j in order],
        fontsize=8,
    )
    axw.set_xticks(np.arange(K), [text(short(c, 10)) for c in classes], fontsize=8)
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
    shown = f"top {k_feat} of {x.shape[0]}" if k_feat < x.shape[0] else f"all {k_feat}"
    axw.set_title(f"gradient of this row's loss, features {shown}", fontsize=10)
