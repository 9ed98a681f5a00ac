"""The seeds' mathematics on the user's own model and rows, as one self-contained HTML page.

:func:`report` (``logistic.report``, and ``logistic report MODEL DATA -o report.html``)
gathers, from the library itself,

1. the fit (:mod:`._model`): solver, iterations, convergence, the per-iteration loss and
   ``max |gradient|`` (the estimator's ``history_``; for a model file, which keeps no such
   record, a refit of its solver on the rows);
2. the quality (:mod:`._quality`): :func:`logistic.metrics.classification_metrics` at every
   threshold the reader can choose, ROC and precision-recall curves, calibration;
3. the coefficients (:mod:`._model`) with standard errors and intervals where
   :mod:`logistic.inference` gives them;
4. the computation graph of a bounded sample of rows (:mod:`._rows`):
   :func:`logistic.explain` on each;
5. the learning-rate story (:mod:`._story`): the ``gd`` solver at the rate chosen
   automatically, one too small and one too large;

and writes them into one HTML file with its CSS and script inline (:mod:`._html`; ``page.js``
and ``page.css`` are package data): no network, no CDN, a few hundred KB. ``_notebook``
holds the small HTML tables of ``_repr_html_`` (fitted estimators, inference results).
"""

from __future__ import annotations

from pathlib import Path

from .._atomic import atomic_write_bytes, check_output_path
from .._version import __version__
from ..metrics import check_threshold
from ._html import render
from ._model import coefficient_section, fit_section, inputs_of
from ._quality import quality_section
from ._rows import rows_section
from ._story import story_section

__all__ = ["report", "report_data"]


def report_data(
    model,
    X,
    y,
    *,
    feature_names=None,
    rows=(),
    max_rows=100,
    threshold=0.5,
    inference=None,
    story=True,
    data_name=None,
    title=None,
    table=None,
    first_row=0,
) -> dict:
    """The numbers of the page as one JSON-ready dict (what :func:`report` embeds).

    Keys ``title``, ``data``, ``version``, ``fit``, ``quality``, ``coefficients``, ``rows``
    and ``story`` (None with ``story=False``); the parameters are :func:`report`'s.
    """
    inp = inputs_of(model, X, y, feature_names, table=table)
    if inp.n_classes == 2:
        threshold = check_threshold(threshold)
    data_name = data_name or "the rows given"
    kind = "binary" if inp.n_classes == 2 else f"{inp.n_classes}-class"
    return {
        "title": title or f"logistic report: a {kind} model on {data_name}",
        "data": data_name,
        "version": __version__,
        "fit": fit_section(inp),
        "quality": quality_section(inp, threshold if inp.n_classes == 2 else 0.5),
        "coefficients": coefficient_section(inp, inference),
        "rows": {**rows_section(inp, rows, max_rows), "first_row": int(first_row)},
        "story": story_section(inp) if story else None,
    }


def report(model, X, y, path=None, **options):
    r"""Write the seeds' mathematics on a fitted model and labelled rows as one HTML page.

    The page shows the fit (loss and ``max |gradient|`` per iteration), the quality (ROC
    and precision-recall curves, calibration, the confusion matrix at a threshold the reader
    moves), the coefficients (searchable, with intervals when available), the computation
    graph ``x, w, b -> z = w.x + b -> a = sigmoid(z) -> L = BCE(a, y)`` of a row the reader
    picks with every local derivative (``dL/da = (1-y)/(1-a) - y/a``, ``da/dz = a(1-a)``,
    ``dz/dw = x``, ``dz/db = 1``) and the chain-rule products (``dL/dz = a - y``,
    ``dL/dw = (a - y) x``), the softmax graph for a multinomial model, and gradient descent
    at the automatic rate ``1/L`` and at rates too small and too large. It works offline:
    CSS, script and numbers are inline, and it requests nothing.

    Parameters
    ----------
    model : fitted LogisticRegression, or a LoadedModel (:func:`logistic.load`)
    X : array_like or sparse of shape (m, n_features)
        Labelled rows in the model's feature space; for a LoadedModel also a table (pyarrow,
        pandas or a dict of columns), read through its preprocessing, whose columns the
        page's row search uses.
    y : array_like of shape (m,)
        Their labels, among the model's classes.
    path : str or os.PathLike, optional
        Where to write the page (atomically); None returns the HTML text instead.
    feature_names : list of str, optional
        Default: the model's (a LoadedModel's, ``feature_names_in_``), else ``x0, x1, ...``.
    rows : sequence of int, default=()
        Rows (0-based) whose graph the page must include; with ``max_rows`` more it holds
        all rows up to ``max_rows``, else a sample of them (the largest ``|z|``, the largest
        loss, the rest evenly spread), which the page says.
    max_rows : int, default=100
    threshold : float in (0, 1), default=0.5
        A binary model's threshold where the page's slider starts.
    inference : InferenceResult, optional
        Standard errors to show; by default a model file's stored ones, or for an
        unpenalised binary estimator ``model.inference(X, y)`` (X should then be the
        training rows), else none and the reason.
    story : bool, default=True
        Run the learning-rate story (a few hundred gradient-descent passes over at most
        5,000 of the rows).
    data_name, title : str, optional
        How the page names the rows, and its title.
    table : table, optional
        The rows as the user gave them (pyarrow, pandas or a dict of columns), for the
        page's row search; a LoadedModel's table ``X`` is used by default.
    first_row : int, default=0
        The number the page gives the first row: 0 for ``X[i]``, 1 for a file's data rows.

    Returns
    -------
    pathlib.Path or str
        The path written, or the page's HTML when ``path`` is None.

    Raises
    ------
    InvalidParameterError
        The model is not fitted, or ``threshold`` is not in (0, 1).
    DataError
        ``X`` has another number of features than the model, ``y`` another length or
        labels it does not know, or ``rows`` an index out of range.
    """
    if path is not None:
        check_output_path(Path(path), "report")
    data = report_data(model, X, y, **options)
    text = render(data, data["title"], __version__)
    if path is None:
        return text
    atomic_write_bytes(Path(path), text.encode("utf-8"))
    return Path(path)
