"""Pictures of a fit: the loss curve, the computation graph of one row, ROC and calibration.

Every function draws on its own :class:`matplotlib.figure.Figure` (no pyplot, no global
backend switch, no display needed), or on the axes (``ax=``; ``fig=`` for the graph) that
the caller passes. With a ``path`` it writes a PNG atomically, the image appearing there
complete or not at all, and returns the path; without one it returns the Figure, for a
notebook to show or the caller to save as it likes.

- :func:`plot_loss_curve` the loss and ``max |gradient|`` per iteration of a fit;
- :func:`plot_graph` the computation graph of one row, for any link (a trace from
  :func:`logistic.explain`);
- :func:`plot_roc`, :func:`plot_calibration` for two classes, :func:`plot_roc_multiclass`
  (one-vs-rest) for more.
"""

from ._graph import plot_graph
from ._loss import plot_loss_curve
from ._roc import plot_calibration, plot_precision_recall, plot_roc, plot_roc_multiclass

__all__ = [
    "plot_calibration",
    "plot_graph",
    "plot_loss_curve",
    "plot_precision_recall",
    "plot_roc",
    "plot_roc_multiclass",
]
