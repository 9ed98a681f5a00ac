"""The loss curve of a fit: the loss and the largest gradient entry per iteration."""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from ._common import BLUE, GREY, ORANGE, axes_for, finish, text

__all__ = ["plot_loss_curve"]


def plot_loss_curve(history, path=None, *, tol=None, title=None, ax=None):
    """Loss and ``max |grad|`` per iteration, the gradient on a log scale.

    Parameters
    ----------
    history : logistic.solvers.History, dict, or fitted estimator
        Needs ``loss`` and ``grad_norm`` sequences of equal length (entry 0 the start),
        plotted against ``iteration`` when it has the same length (else 0, 1, ...); an
        estimator's ``history_`` is used.
    path : str or os.PathLike, optional
        PNG file to write (atomically); without it the Figure is returned.
    tol : float, optional
        Drawn as the convergence threshold on the gradient panel.
    title : str, optional
    ax : (Axes, Axes) or Axes, optional
        Draw the loss and the gradient panels on these axes of the caller's figure (one
        Axes: the loss panel only) instead of a new Figure.

    Returns
    -------
    pathlib.Path or matplotlib.figure.Figure
        The path written, or without ``path`` the Figure drawn on.
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

    fig, (ax1, ax2), own = axes_for(ax, 2, (7.5, 6.0), sharex=True)
    ax1.plot(it, loss, color=BLUE, marker=marker, ms=3, lw=1.6)
    ax1.set_ylabel("loss (mean-form objective)")
    ax1.grid(alpha=0.3)
    ax1.annotate(
        f"final {loss[-1]:.6g}",
        xy=(it[-1], loss[-1]),
        xytext=(-8, 12),
        textcoords="offset points",
        ha="right",
        color=BLUE,
        fontsize=9,
    )
    heading = text(title or f"training: {int(it[-1])} iterations")
    if ax2 is None:
        ax1.set_xlabel("iteration")
        ax1.set_title(heading, fontsize=11)
        return finish(fig, path)
    positive = grad > 0
    if positive.any():
        ax2.semilogy(
            it[positive],
            grad[positive],
            color=ORANGE,
            marker=marker,
            ms=3,
            lw=1.6,
            label="max |grad|",
        )
    if tol is not None and tol > 0:
        ax2.axhline(tol, color=GREY, ls="--", lw=1, label=f"tol = {tol:g}")
    ax2.set_ylabel("max |gradient| (log scale)")
    ax2.set_xlabel("iteration")
    ax2.grid(alpha=0.3, which="both")
    ax2.legend(loc="upper right", fontsize=9)
    if it[-1] > 0:
        ax2.set_xlim(0, it[-1])
    if own:
        fig.suptitle(heading, fontsize=12)
    else:
        ax1.set_title(heading, fontsize=11)
    return finish(fig, path)
