"""Training on a table held in memory: holdout split, preprocessing, fit or cross-validation,
metrics and standard errors."""

from __future__ import annotations

import time
import warnings

import numpy as np
import scipy.sparse as sp

from logistic import LogisticRegressionCV
from logistic.errors import ConvergenceWarning, DataError, DataWarning
from logistic.metrics import classification_metrics
from logistic.tables import (
    array_sha256,
    breast_cancer_table,
    read_table,
    read_target_rows,
    select_features,
)

from ._inference import standard_errors
from ._result import (
    TrainingResult,
    estimator_for,
    forward_warnings,
    preprocessor_for,
    record_for,
    resolved_solver,
    run_solver,
    solver_params,
)

__all__ = ["fit_in_memory"]

BREAST_CANCER = "scikit-learn breast-cancer data"


def fit_in_memory(plan, progress) -> TrainingResult:
    """Read the table, hold out rows, learn the preprocessing on the rest, fit (or
    cross-validate and refit), measure the model and compute its standard errors."""
    import pyarrow as pa

    if plan.data is None:
        table, source, data_path = breast_cancer_table(plan.target), BREAST_CANCER, None
    elif isinstance(plan.data, pa.Table):
        table, source, data_path = plan.data, "the table given", None
    else:
        # columns listed as categorical are read as text: codes such as "02134" keep
        # their zeros, as predict reads them (TablePreprocessor.csv_column_types)
        types = {c: pa.string() for c in plan.categorical or []}
        table = read_table(
            plan.data, column_types=types, dialect=plan.dialect, file_format=plan.file_format
        )
        source, data_path = str(plan.data), plan.data
    columns = select_features(
        table, target=plan.target, features=plan.features, exclude=plan.exclude
    )
    n = table.num_rows
    rows = read_target_rows(table, plan.target, drop_missing=plan.drop_missing_target)
    for message in rows.warnings:
        progress.warning(message, DataWarning)
    if rows.n_dropped:
        progress.warning(rows.dropped_message(), DataWarning)
        table = table.take(rows.kept)
    y = rows.labels
    classes = np.unique(y)
    train_idx, test_idx = _split(y, plan)
    pre = preprocessor_for(plan)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        X = pre.fit_transform(table if test_idx is None else table.take(train_idx), columns=columns)
    forward_warnings(caught, progress, (DataWarning,))
    y_train = y[train_idx]
    # The estimators see class indices 0..K-1 and get the labels back afterwards: labels
    # such as 0.5/2.5/6.0 are classes here (2 to 1000 values, checked by read_target), which
    # the estimator's own check would take for a continuous target.
    y_index = np.searchsorted(classes, y_train)
    if np.unique(y_train).shape[0] != classes.shape[0]:
        raise DataError(
            "the training rows lack a class that the data holds; use a smaller holdout."
        )
    if plan.cv is not None:
        est, seconds, cv_doc = _cross_validate(X, y_index, classes, plan, source, progress)
        solver = est.solver_
    else:
        est = estimator_for(plan)
        solver, limit = resolved_solver(
            est, X.shape[0], X.shape[1], classes.shape[0], sparse=sp.issparse(X)
        )
        progress.info(
            f"training on {X.shape[0]} rows x {X.shape[1]} features ({len(columns)} columns) "
            f"of {source} with solver {solver}"
            + (f", {classes.shape[0]} classes (multinomial)" if classes.shape[0] > 2 else "")
        )
        seconds = run_solver(est, lambda: est.fit(X, y_index), progress, solver, limit)
        est.classes_ = classes
        cv_doc = None

    if test_idx is not None:
        X_eval, report = pre.transform_with_report(table.take(test_idx))
        if report.unseen:
            progress.warning(f"holdout rows: {report.unseen_message()}")
        y_eval = y[test_idx]
    else:
        X_eval, y_eval = X, y_train
    metrics = classification_metrics(y_eval, est.predict_proba(X_eval), est.classes_)
    inference, note = standard_errors(est, X, y_train, plan, pre.feature_names_out, progress)
    extra = {"cv": cv_doc} if cv_doc is not None else {}
    record = record_for(
        est,
        plan,
        X=X,
        data_path=data_path,
        seconds=seconds,
        metrics=metrics,
        features=columns,
        n_classes=int(classes.shape[0]),
        reference_coding=pre.drop_first,
        rows_in_file=n,
        evaluated_on="holdout" if test_idx is not None else "training",
        standard_errors="stored" if inference is not None else note,
        **extra,
    )
    if data_path is None:
        record["data_file"] = None
        if plan.data is None:
            record["data_source"] = "sklearn.datasets.load_breast_cancer"
        record["data_sha256"] = array_sha256(X, y_train)
    return TrainingResult(
        estimator=est,
        preprocessor=pre,
        metrics=metrics,
        record=record,
        inference=inference,
        solver=solver,
        seconds=seconds,
        source=source,
        cv=cv_doc,
    )


def _split(y, plan):
    """``(train_idx, test_idx)``, sorted; ``test_idx`` None without a holdout."""
    from sklearn.model_selection import train_test_split

    n = y.shape[0]
    if plan.holdout <= 0:
        return np.arange(n), None
    try:
        train_idx, test_idx = train_test_split(
            np.arange(n), test_size=plan.holdout, random_state=plan.seed, stratify=y
        )
    except ValueError as exc:
        raise DataError(
            f"cannot hold out {plan.holdout:g} of {n} rows with every class on each side "
            f"({exc}); use a smaller holdout or more data."
        ) from None
    return np.sort(train_idx), np.sort(test_idx)


def _cross_validate(X, y_index, classes, plan, source, progress):
    """``(refitted estimator, seconds, cv record)`` of the grid search by K-fold CV."""
    n_c = plan.Cs if isinstance(plan.Cs, int) else len(plan.Cs)
    progress.info(
        f"cross-validating {n_c} C values x {len(plan.l1_ratios)} l1 ratio(s) x {plan.cv} "
        f"folds on {X.shape[0]} rows x {X.shape[1]} features of {source}"
    )
    progress.at(f"during {plan.cv}-fold cross-validation")
    cv_model = LogisticRegressionCV(
        Cs=plan.Cs, l1_ratios=plan.l1_ratios, cv=plan.cv, **solver_params(plan)
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        cv_model.fit(X, y_index)
    seconds = time.perf_counter() - t0
    est = cv_model.estimator_  # the plain refitted model is what the file stores
    est.classes_ = classes
    forward_warnings(caught, progress)
    mean, std = cv_model.scores_.mean(axis=0), cv_model.scores_.std(axis=0)
    record = {
        "folds": plan.cv,
        "scoring": "neg_log_loss",
        "Cs": [float(c) for c in cv_model.Cs_],
        "l1_ratios": [float(r) for r in cv_model.l1_ratios_],
        "mean_score": mean.tolist(),
        "std_score": std.tolist(),
        "C": float(cv_model.C_),
        "l1_ratio": float(cv_model.l1_ratio_),
    }
    return est, seconds, record
