"""What the page says about the model itself: its inputs, the fit and the coefficients.

:func:`inputs_of` turns what a caller passes (a fitted estimator or a loaded model file, the
rows ``X`` of shape (m, n) and their labels ``y`` of shape (m,)) into one :class:`Inputs`;
:func:`fit_section` is the fit (solver, iterations, convergence, the per-iteration loss and
``max |gradient|``) and :func:`coefficient_section` the coefficients with their intervals
where the library gives them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from .._graph._trace import fmt, label_value
from ..errors import DataError, InvalidParameterError, UserInputError
from ..inference import why_no_standard_errors

__all__ = [
    "MAX_COEFFICIENTS",
    "MAX_POINTS",
    "Inputs",
    "coefficient_section",
    "fit_section",
    "inputs_of",
    "thin",
]

#: Points kept of a curve (a loss curve, a ROC curve): enough for its shape at any width.
MAX_POINTS = 400
#: Coefficient rows embedded; past it the largest by ``|coef|`` and a sentence saying so.
MAX_COEFFICIENTS = 20_000
#: Standard errors are computed for the page (``C = inf`` fits) up to this many parameters.
_MAX_INFERENCE_PARAMS = 2_000


@dataclass
class Inputs:
    """The model and rows a page is about.

    Attributes
    ----------
    estimator : fitted LogisticRegression
    X : ndarray or CSR array of shape (m, n)
        Rows in the model's feature space.
    y : ndarray of shape (m,)
        Their labels, each one of ``classes``.
    classes : list
    feature_names : list of str
        ``n`` names.
    training : dict
        The model file's training record (empty for an estimator).
    loaded : object or None
        The :class:`~logistic.persistence.LoadedModel` when one was passed.
    table : object or None
        The rows as the user gave them (a table), shown and searched on the page.
    """

    estimator: object
    X: object
    y: np.ndarray
    classes: list
    feature_names: list
    training: dict = field(default_factory=dict)
    loaded: object = None
    table: object = None

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def m(self) -> int:
        return int(self.X.shape[0])

    @property
    def n(self) -> int:
        return int(self.X.shape[1])


def _is_table(data) -> bool:
    import pyarrow as pa

    return isinstance(data, pa.Table | pa.RecordBatch | dict) or (
        hasattr(data, "columns") and hasattr(data, "iloc")
    )


def inputs_of(model, X, y, feature_names=None, *, table=None) -> Inputs:
    """Check and gather the model and rows of a page.

    ``model`` is a fitted estimator or a :class:`~logistic.persistence.LoadedModel`; with
    the latter ``X`` may also be a table (pyarrow, pandas or a dict of columns), passed
    through the model's preprocessing and kept for the page's row search (as ``table``
    is, when given).
    """
    loaded = model if hasattr(model, "estimator") and hasattr(model, "training") else None
    est = loaded.estimator if loaded is not None else model
    if not hasattr(est, "coef_") or not hasattr(est, "classes_"):
        raise InvalidParameterError(
            "report() needs a fitted model; it accepts a fitted LogisticRegression or a model "
            "loaded with logistic.load."
        )
    if loaded is not None and _is_table(X):
        table, X = X, loaded.transform(X)
    X = sp.csr_array(X) if sp.issparse(X) else np.asarray(X)
    n = int(np.shape(est.coef_)[1])
    if X.ndim != 2 or X.shape[1] != n:
        raise DataError(
            f"X has shape {X.shape} but the model has {n} features; report() accepts rows "
            f"of shape (m, {n}) in the model's feature space."
        )
    y = np.asarray(y).ravel()
    if y.shape[0] != X.shape[0] or X.shape[0] == 0:
        raise DataError(
            f"X has {X.shape[0]} rows and y {y.shape[0]} labels; report() accepts one label "
            "per row, and at least one row."
        )
    classes = list(est.classes_)
    known = np.isin(y, np.asarray(est.classes_))
    if not np.all(known):
        raise DataError(
            f"y has labels {y[~known][:3].tolist()!r} that are not among the model's classes "
            f"{[label_value(c) for c in classes]!r}; report() accepts the model's labels."
        )
    names = feature_names
    if names is None and loaded is not None:
        names = loaded.feature_names
    if names is None and getattr(est, "feature_names_in_", None) is not None:
        names = est.feature_names_in_
    names = [str(v) for v in names] if names is not None else [f"x{j}" for j in range(n)]
    if len(names) != n:
        raise DataError(
            f"feature_names has {len(names)} names but the model has {n} features; "
            "report() accepts one name per feature."
        )
    training = dict(loaded.training) if loaded is not None else {}
    return Inputs(est, X, y, classes, names, training, loaded, table)


def thin(n, limit=MAX_POINTS) -> np.ndarray:
    """Indices of at most ``limit`` of ``n`` points, evenly spread, first and last kept."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, limit)).astype(np.intp))


def num(v, digits=6):
    """A finite number rounded to ``digits`` significant digits for the page; None else."""
    if v is None:
        return None
    v = float(v)
    return float(f"{v:.{digits}g}") if np.isfinite(v) else None


def nums(values, digits=6) -> list:
    return [num(v, digits) for v in np.asarray(values, dtype=np.float64).ravel()]


# -- the fit ----------------------------------------------------------------------------------
def _history(inp: Inputs):
    """``(history, note)``: the fit's per-iteration record, or a refit's for a model file."""
    est = inp.estimator
    history = getattr(est, "history_", None)
    if history is not None and len(history):
        return history, ""
    refit = clone(est).set_params(callback=None, verbose=0, warm_start=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            refit.fit(inp.X, inp.y)
    except UserInputError as exc:
        return None, f"The model file keeps no per-iteration record, and a refit failed: {exc}"
    gap = float(np.max(np.abs(np.asarray(refit.coef_) - np.asarray(est.coef_)), initial=0.0))
    note = (
        "The model file keeps no per-iteration record, so these curves are of its solver "
        f"({refit.solver_}) refitted with its parameters on these {inp.m} rows; the refit's "
        f"coefficients differ from the file's by at most {fmt(gap, 3)}"
        + (" (the same fit)." if gap < 1e-4 else " (these are not its training rows).")
    )
    return refit.history_, note


def fit_section(inp: Inputs) -> dict:
    """Solver, iterations, convergence and the curves of ``loss`` and ``max |grad|``.

    The loss is the mean-form objective ``(1/S) sum_i s_i L_i + penalty`` per iteration
    (entry 0 the start); at most :data:`MAX_POINTS` iterations are kept, evenly spread.
    """
    est, rec = inp.estimator, inp.training
    params = est.get_params()
    history, note = _history(inp)
    curves = None
    if history is not None:
        keep = thin(len(history))
        iteration = np.asarray(history.iteration)[keep]
        curves = {
            "iteration": [int(v) for v in iteration],
            "loss": nums(np.asarray(history.loss)[keep], 10),
            "grad_norm": nums(np.asarray(history.grad_norm)[keep]),
            "thinned": bool(keep.shape[0] < len(history)),
            "recorded": len(history),
        }
        if curves["thinned"]:
            note = (note + " " if note else "") + (
                f"{keep.shape[0]} of the {len(history)} recorded iterations are drawn, evenly "
                "spread."
            )
    final_loss = history.loss[-1] if history is not None else rec.get("final_loss")
    grad = history.grad_norm[-1] if history is not None else rec.get("grad_norm")
    solver = getattr(est, "solver_", None) or rec.get("solver") or params.get("solver")
    n_iter = int(np.ravel(getattr(est, "n_iter_", [rec.get("n_iter") or 0]))[0])
    trained_on = rec.get("data_file") or rec.get("data_source")
    return {
        "solver": str(solver),
        "n_iter": n_iter,
        "converged": bool(getattr(est, "converged_", rec.get("converged", False))),
        "final_loss": fmt(final_loss, 10) if final_loss is not None else "n/a",
        "grad_norm": fmt(grad, 4) if grad is not None else "n/a",
        "tol": fmt(params.get("tol", float("nan")), 4),
        "C": fmt(params.get("C", float("nan"))),
        "l1_ratio": fmt(params.get("l1_ratio", 0.0)),
        "class_weight": str(params.get("class_weight")),
        "fit_intercept": bool(params.get("fit_intercept", True)),
        "training_rows": rec.get("n_rows"),
        "trained_on": None if trained_on is None else str(trained_on),
        "curves": curves,
        "note": note,
    }


# -- the coefficients -------------------------------------------------------------------------
def _inference(inp: Inputs, given):
    """``(InferenceResult or None, sentence)``: the standard errors shown, and where from."""
    est = inp.estimator
    if given is not None:
        return given, "Standard errors as passed to report()."
    if inp.loaded is not None:
        result = inp.loaded.inference_result(units="per sd")
        if result is not None:
            return result, "Standard errors stored in the model file (on its training rows)."
    params = est.get_params()
    reason = why_no_standard_errors(
        n_classes=inp.n_classes,
        C=params.get("C", 1.0),
        l1_ratio=params.get("l1_ratio", 0.0),
        class_weight=params.get("class_weight"),
    )
    if reason is not None:
        return None, f"No standard errors: {reason}"
    if inp.n + 1 > _MAX_INFERENCE_PARAMS:
        return None, (
            f"No standard errors: the page computes them up to {_MAX_INFERENCE_PARAMS} "
            "parameters; pass inference=model.inference(X, y) to show them."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = est.inference(inp.X, inp.y)
    except UserInputError as exc:
        return None, f"No standard errors: {exc}"
    return result, (
        "Standard errors from model.inference on the rows of this page (the inverse "
        "information; meaningful when these are the training rows)."
    )


def coefficient_section(inp: Inputs, inference=None) -> dict:
    """The coefficients (as fitted, in the model's feature space), one row per feature
    and the intercepts, with standard errors, z, p-values and 95% intervals where
    available; at most :data:`MAX_COEFFICIENTS` features (the largest ``max_k |W_jk|``)."""
    est = inp.estimator
    coef = est.coef_
    coef = np.asarray(coef.toarray() if hasattr(coef, "toarray") else coef, dtype=np.float64)
    intercept = np.asarray(est.intercept_, dtype=np.float64).ravel()
    outputs = [str(c) for c in inp.classes[-coef.shape[0] :]]
    size = np.max(np.abs(coef), axis=0)
    order = np.argsort(-size, kind="stable")
    kept = order[:MAX_COEFFICIENTS]
    result, source = (None, "") if inp.n_classes > 2 else _inference(inp, inference)
    fit_b = bool(est.get_params().get("fit_intercept", True))
    stats = [[] for _ in range(inp.n + int(fit_b))]  # features, then the intercept
    if result is not None and len(result.names) == len(stats):
        ci = result.conf_int(0.05)
        columns = (result.bse, result.zvalues, result.pvalues, ci[:, 0], ci[:, 1])
        stats = [[fmt(c[j]) for c in columns] for j in range(len(stats))]
    elif result is not None:
        source = "No standard errors: the inference result does not match the model's parameters."
    rows = []
    if fit_b:
        rows.append(["intercept", *(fmt(v) for v in intercept), *stats[-1]])
    for j in np.sort(kept):
        rows.append([inp.feature_names[j], *(fmt(v) for v in coef[:, j]), *stats[j]])
    note = ""
    if kept.shape[0] < inp.n:
        note = (
            f"The {kept.shape[0]} largest of {inp.n} coefficients (by |coefficient|) are "
            "embedded in this page."
        )
    header = ["name", *(["coefficient"] if coef.shape[0] == 1 else [f"W [{c}]" for c in outputs])]
    shown = bool(stats[0])
    if shown:
        header += ["std err", "z", "P>|z|", "[0.025", "0.975]"]
    return {
        "header": header,
        "rows": rows,
        "outputs": outputs,
        "inference": shown,
        "source": source,
        "note": note,
        "n_features": inp.n,
        "nonzero": int(np.count_nonzero(np.any(coef != 0, axis=0))),
    }
