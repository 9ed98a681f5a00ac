"""Pictures of a fit: the loss curve, the computation graph of one row, ROC and calibration.

Every function draws on its own :class:`matplotlib.figure.Figure` with the Agg canvas (no
pyplot, no global backend switch, no display needed) and writes a PNG atomically: the image
appears at ``path`` complete or not at all.

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
