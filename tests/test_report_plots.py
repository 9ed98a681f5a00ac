"""Every plot function returns a matplotlib Figure without a path, draws on the caller's
axes with ``ax=`` (``fig=`` for the graph), and still writes a PNG and returns its path
with one; what it draws is the curve scikit-learn computes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve

from logistic import explain
from logistic.plots import (
    plot_calibration,
    plot_graph,
    plot_loss_curve,
    plot_precision_recall,
    plot_roc,
    plot_roc_multiclass,
)
from report_cases import case


@pytest.fixture(scope="module")
def binary():
    c = case("binary")
    return c, c.model.predict_proba(c.X)[:, 1]


def _line(ax, label_start):
    return next(line for line in ax.get_lines() if line.get_label().startswith(label_start))


def test_roc_and_pr_return_a_figure_or_draw_on_the_callers_axes(binary, tmp_path):
    c, p = binary
    fig = plot_roc(c.y, p)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    fpr, tpr, _ = roc_curve(c.y, p)
    np.testing.assert_array_equal(_line(fig.axes[0], "model").get_xdata(), fpr)
    np.testing.assert_array_equal(_line(fig.axes[0], "model").get_ydata(), tpr)
    mine = Figure()
    left, right = mine.subplots(1, 2)
    assert plot_roc(c.y, p, ax=left) is mine
    assert plot_precision_recall(c.y, p, ax=right, threshold=0.5) is mine
    precision, recall, _ = precision_recall_curve(c.y, p)
    np.testing.assert_array_equal(_line(right, "model").get_xdata(), recall)
    np.testing.assert_array_equal(_line(right, "model").get_ydata(), precision)
    assert len(mine.axes) == 2  # nothing added to the caller's figure
    path = plot_roc(c.y, p, tmp_path / "roc.png")
    assert isinstance(path, Path) and path.stat().st_size > 10_000


def test_two_panel_pictures_take_two_axes_or_one(binary, tmp_path):
    c, p = binary
    fig = plot_calibration(c.y, p)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    mine = Figure()
    a, b = mine.subplots(2, 1)
    plot_calibration(c.y, p, ax=(a, b))
    assert a.get_lines() and b.patches  # the reliability curve and the histogram
    single = Figure().subplots()
    plot_calibration(c.y, p, ax=single)
    assert single.get_lines() and len(single.figure.axes) == 1
    history = c.model.history_
    fig = plot_loss_curve(c.model)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_ydata(), history.loss)
    one = Figure().subplots()
    plot_loss_curve(history, ax=one, tol=1e-4)
    np.testing.assert_array_equal(one.get_lines()[0].get_ydata(), history.loss)
    with pytest.raises(ValueError, match="accepts 1 to 2"):
        plot_loss_curve(history, ax=Figure().subplots(3, 1))
    assert plot_loss_curve(history, tmp_path / "a" / "loss.png").stat().st_size > 10_000


def test_multiclass_roc_and_the_graph_return_figures(tmp_path):
    c = case("multinomial")
    proba = c.model.predict_proba(c.X)
    fig = plot_roc_multiclass(c.y, proba, c.model.classes_)
    assert isinstance(fig, Figure) and len(fig.axes[0].get_lines()) == 4  # 3 classes + chance
    trace = explain(c.model, c.X[0], c.y[0], feature_names=c.names)
    fig = plot_graph(trace)
    assert isinstance(fig, Figure) and len(fig.axes) >= 3
    root = Figure(figsize=(13, 9.5), layout="constrained")
    left, _ = root.subfigures(1, 2)
    assert plot_graph(trace, fig=left) is root
    assert plot_graph(trace, tmp_path / "g.png").stat().st_size > 20_000
