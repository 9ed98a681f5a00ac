"""What every picture shares: colours, safe label text, boxes and arrows, where a picture is
drawn (a new Figure or the caller's axes) and how it ends (a PNG written atomically, or the
Figure returned)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .._atomic import atomic_write_bytes
from .._graph._trace import fmt, fmt_values

__all__ = [
    "BLUE",
    "CLASS_COLORS",
    "GREY",
    "ORANGE",
    "RED",
    "arrow",
    "axes_for",
    "box",
    "finish",
    "fmt4",
    "fmt_values",
    "save",
    "short",
    "text",
]

DPI = 110
BLUE, ORANGE, RED, GREY = "#1f5fa8", "#d9731a", "#b8262b", "#6b6b6b"
CLASS_COLORS = [
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


def save(fig: Figure, path) -> Path:
    """Render ``fig`` with the Agg canvas and write it to ``path`` as a PNG, atomically (a
    caller's figure keeps its own canvas: savefig renders PNG with Agg in any case)."""
    if type(fig.canvas) is FigureCanvasBase:
        FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path


def axes_for(ax, n, figsize, **subplots):
    """``(fig, axes, own)``: the caller's ``ax`` (one Axes, or ``n`` of them) and its
    figure, else a new constrained-layout Figure of ``figsize`` with ``n`` axes (one Axes
    for ``n = 1``, else a tuple). ``own`` says the Figure is new (its title is then the
    figure's, not an axes').

    A single Axes passed where a picture has ``n > 1`` panels draws the first panel only:
    the others are None.
    """
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        axes = fig.subplots(n, 1, **subplots) if n > 1 else fig.subplots()
        return fig, (tuple(axes) if n > 1 else axes), True
    if n > 1:
        # a sequence of Axes, or the array fig.subplots returns
        axes = tuple(np.ravel(ax)) if isinstance(ax, list | tuple | np.ndarray) else (ax,)
        if len(axes) > n:
            raise ValueError(f"ax has {len(axes)} axes; this picture accepts 1 to {n}.")
        axes = axes + (None,) * (n - len(axes))
        return _root(axes[0]), axes, False
    return _root(ax), ax, False


def _root(ax) -> Figure:
    """The Figure ``ax`` is drawn on (the root one when ``ax`` is on a SubFigure)."""
    fig = ax.figure
    root = getattr(fig, "figure", None)
    return root if root is not None else fig


def finish(fig: Figure, path):
    """Write ``fig`` to ``path`` (a PNG, atomically) and return the path; without a path,
    return ``fig`` itself (to show in a notebook, save in another format or draw on)."""
    return fig if path is None else save(fig, path)


def text(s) -> str:
    """Label text safe from mathtext: a '$' in a column name is shown literally."""
    return str(s).replace("$", r"\$")


def short(name, n=32) -> str:
    """``name`` cut to ``n`` characters, with an ellipsis where it was cut."""
    name = str(name)
    return name if len(name) <= n else name[: n - 1] + "…"


def fmt4(v) -> str:
    """A number with the 4 significant digits a picture has room for."""
    return fmt(v, 4)


def box(ax, xy, label, color, w=0.17, h=0.2):
    """A rounded box centred at ``xy`` (axes fractions) with ``label`` inside."""
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
    ax.text(x, y, label, ha="center", va="center", fontsize=9.5, family="DejaVu Sans")


def arrow(ax, start, end, label="", color="black", offset=0.04, va="bottom", fontsize=8.5):
    """An arrow from ``start`` to ``end``, with ``label`` above its middle."""
    ax.add_patch(
        FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, lw=1.3, color=color)
    )
    if label:
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        ax.text(mx, my + offset, label, ha="center", va=va, fontsize=fontsize, color=color)
