"""What a training run returns, and the pieces of it that every executor builds alike."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from logistic import LogisticRegression
from logistic.errors import ConvergenceWarning
from logistic.persistence import LoadedModel, save, training_record
from logistic.solvers import get_solver, resolve_auto
from logistic.tables import FormulaPreprocessor, TablePreprocessor

__all__ = ["TrainingResult"]

# The metrics a training record keeps (the confusion matrix is left to 'evaluate').
_RECORDED_METRICS = ("rows", "accuracy", "log_loss", "roc_auc", "brier")


@dataclass
class TrainingResult:
    """A fitted model with its preprocessing, how well it fits and how it was trained.

    Attributes
    ----------
    estimator : LogisticRegression
        Fitted on the preprocessed rows; ``classes_`` are the target's labels.
    preprocessor : TablePreprocessor
        Fitted on the training rows; ``transform`` turns a table into the model's inputs.
    metrics : dict
        :func:`logistic.metrics.classification_metrics` on the holdout rows (with
        ``holdout``) or the training rows; from :class:`logistic.metrics.MetricSums` when the
        rows were not in memory (``roc_auc`` None then).
    record : dict
        The training record stored in the model file (:func:`logistic.persistence.
        training_record` plus the data, options and ``standard_errors``: ``"stored"`` or
        the one-line reason there are none). A caller may add fields before :meth:`save`.
    inference : dict or None
        ``InferenceResult.as_dict()`` of the fit on its training rows, when standard errors
        could be computed (:meth:`inference_result` gives the result object).
    solver : str
        The solver that ran (``"auto"`` resolved).
    seconds : float
        Wall time of the solver (of the cross-validation and refit with ``cv``).
    source : str
        The data as the notes name it: the path or glob given, or a description.
    executor : {"memory", "stream", "dask"}
    cv : dict or None
        With ``cv``: the folds, the grids ``Cs`` and ``l1_ratios``, ``mean_score`` and
        ``std_score`` (held-out negative log-loss, one row per l1 ratio) and the chosen
        ``C`` and ``l1_ratio`` (also in ``record["cv"]``).
    """

    estimator: LogisticRegression
    preprocessor: TablePreprocessor
    metrics: dict
    record: dict
    inference: dict | None
    solver: str
    seconds: float
    source: str
    executor: str = "memory"
    cv: dict | None = field(default=None)

    def inference_result(self, units: str = "per unit"):
        """The standard errors as an :class:`~logistic.inference.InferenceResult` (its
        ``summary()``, ``summary_frame()``, ``params`` by name), or None: what
        ``logistic.load(path).inference_result(units)`` gives for the saved file, per unit
        of each input (or ``"per sd"``, as fitted)."""
        names = list(self.preprocessor.feature_names_out)
        model = LoadedModel(
            self.estimator, self.preprocessor, self.record, names, {}, self.inference
        )
        return model.inference_result(units)

    def save(self, path) -> Path:
        """Write the model file (:func:`logistic.persistence.save`), atomically."""
        return save(
            self.estimator,
            path,
            preprocessor=self.preprocessor,
            training=self.record,
            inference=self.inference,
        )


def solver_params(plan) -> dict:
    """The estimator parameters a single fit and a cross-validation take alike."""
    return {
        "class_weight": plan.class_weight,
        "solver": plan.solver,
        "tol": plan.tol,
        "max_iter": plan.max_iter,
        "random_state": plan.seed,
        "fit_intercept": plan.fit_intercept,
    }


def estimator_for(plan) -> LogisticRegression:
    """The estimator of a single (not cross-validated) fit with the plan's parameters."""
    return LogisticRegression(
        C=plan.C, l1_ratio=plan.l1_ratio, learning_rate=plan.learning_rate, **solver_params(plan)
    )


def preprocessor_for(plan) -> TablePreprocessor | FormulaPreprocessor:
    """The (unfitted) table preprocessing of the plan, the same on every executor: the
    formula's when it has one."""
    if plan.formula is not None:
        return FormulaPreprocessor(plan.formula, impute=plan.impute)
    return TablePreprocessor(
        impute=plan.impute,
        categorical=plan.categorical,
        drop_first=plan.reference_coding,
        min_frequency=plan.min_frequency,
        max_categories=plan.max_categories,
    )


def resolved_solver(est, n_samples, n_features, n_classes, sparse=False) -> tuple[str, int]:
    """The solver ``est`` will run on this shape (``"auto"`` resolved) and its iteration
    limit, for the notes and the progress before the fit."""
    name = est.solver
    if name == "auto":
        name = resolve_auto(
            n_samples,
            n_features,
            sparse=sparse,
            l1_ratio=float(est.l1_ratio),
            n_classes=n_classes,
        )
    limit = est.max_iter if est.max_iter is not None else get_solver(name).default_max_iter
    return name, limit


def run_solver(est, fit, progress, solver, max_iter, passes=None) -> float:
    """Run ``fit()`` with ``progress`` as the estimator's callback; returns its seconds.

    The solver's convergence warnings reach ``progress.warning`` after it stopped (a
    progress bar is not drawn over them), and the callback is taken off the estimator
    again, so that the fitted model holds no reference to the caller's objects.
    """
    est.set_params(callback=progress)
    t0 = time.perf_counter()
    try:
        with (
            progress.solving(solver, max_iter, passes),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always", ConvergenceWarning)
            fit()
    finally:
        est.set_params(callback=None)
    seconds = time.perf_counter() - t0
    forward_warnings(caught, progress)
    return seconds


def forward_warnings(caught, progress, categories=(ConvergenceWarning,)) -> None:
    """Hand the caught warnings of ``categories`` to ``progress.warning``, one line each, and
    issue every other caught warning again as it was (recording them must not hide a
    warning the caller would have seen without the recording)."""
    for w in caught:
        if issubclass(w.category, categories):
            progress.warning(one_line(w.message), w.category)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)


def record_for(est, plan, *, seconds, metrics, features, X=None, data_path=None, **extra) -> dict:
    """The training record: the fit (:func:`logistic.persistence.training_record`), the
    metrics kept, the feature columns, the plan's options and ``extra``, in this order."""
    return training_record(
        est,
        X=X,
        data_path=data_path,
        seconds=seconds,
        metrics={k: metrics[k] for k in _RECORDED_METRICS},
        target=plan.target,
        features=features,
        holdout=plan.holdout,
        seed=plan.seed,
        impute=plan.impute,
        l1_ratio=float(est.l1_ratio),
        class_weight=plan.class_weight,
        **extra,
    )


def one_line(text) -> str:
    """``text`` with every run of whitespace (line breaks included) one space."""
    return " ".join(str(text).split())
