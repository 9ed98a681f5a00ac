"""Training on files that are not held in memory: the preprocessing learned in one streamed
pass (shared with the Dask executor), then the fit streamed batch by batch."""

from __future__ import annotations

import hashlib
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from logistic.errors import DataError, DataWarning
from logistic.metrics import MetricSums
from logistic.sources import StreamSource
from logistic.tables import (
    TablePreprocessor,
    expand_paths,
    file_sha256,
    iter_batches,
    read_schema,
    select_features,
)

from ._result import (
    TrainingResult,
    estimator_for,
    forward_warnings,
    preprocessor_for,
    record_for,
    resolved_solver,
    run_solver,
)

__all__ = ["Pass1", "data_files", "fit_streamed", "learn_preprocessing", "out_of_core_result"]


def data_files(plan) -> tuple[list, list[str]]:
    """The files (in reading order) and the feature columns, from the first file's schema."""
    files = expand_paths(plan.data, file_format=plan.file_format)
    schema = read_schema(files[0], file_format=plan.file_format, dialect=plan.dialect)
    return files, select_features(
        schema.empty_table(), target=plan.target, features=plan.features, exclude=plan.exclude
    )


@dataclass(frozen=True)
class Pass1:
    """What pass 1 over the files gives: the files, the feature columns, the fitted
    preprocessor and the number of rows."""

    files: list
    columns: list
    preprocessor: TablePreprocessor
    n_rows: int


def learn_preprocessing(files, columns, plan, progress) -> Pass1:
    """Pass 1 over the files: the preprocessing, learned batch by batch, and the row count.

    Means and variances are merged batch by batch (:meth:`TablePreprocessor.fit_batches`),
    so the result is that of the whole table in memory up to rounding.
    """
    pre = preprocessor_for(plan)
    progress.at("in pass 1 (preprocessing)")
    t0 = time.perf_counter()
    counted = {"rows": 0, "batches": 0, "dropped": 0}

    def batches():
        counted.update(rows=0, batches=0, dropped=0)  # a formula's preprocessing reads 3 times
        for batch in iter_batches(
            files,
            [*columns, plan.target],
            plan.batch_size,
            column_types={c: pa.string() for c in plan.categorical or []},
            file_format=plan.file_format,
            dialect=plan.dialect,
        ):
            counted["batches"] += 1
            target = batch.column(plan.target)
            if plan.drop_missing_target and target.null_count:
                counted["dropped"] += target.null_count
                batch = batch.filter(pc.is_valid(target))
            counted["rows"] += batch.num_rows
            progress.at(f"in pass 1 (preprocessing) after {counted['rows']} rows")
            yield batch

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            pre.fit_batches(batches, columns)  # a callable: a formula reads it 3 times
        forward_warnings(caught, progress, (DataWarning,))
    except DataError as exc:
        text = str(exc)
        if not (text.startswith("missing values") and plan.executor == "stream"):
            raise
        # Imputation is not offered when streaming: say what is.
        raise DataError(
            text.split("; fill them")[0] + "; streamed training needs complete rows: remove or "
            "fill those rows first, or train in memory or with executor='dask', with "
            "impute='mean' or impute='most-frequent'."
        ) from None
    if counted["dropped"]:
        progress.warning(
            f"dropped {counted['dropped']} rows with a missing target '{plan.target}'.",
            DataWarning,
        )
    progress.info(
        f"pass 1 (preprocessing): {counted['rows']} rows in {counted['batches']} batches of "
        f"{len(files)} file(s), {time.perf_counter() - t0:.1f}s"
    )
    return Pass1(files, columns, pre, counted["rows"])


def fit_streamed(plan, progress) -> TrainingResult:
    """Pass 1 the preprocessing, pass 2 the check of every row, then one or more passes per
    solver iteration (:class:`logistic.sources.StreamSource`) and a last pass for the
    metrics (:class:`logistic.metrics.MetricSums`)."""
    files, columns = data_files(plan)
    first = learn_preprocessing(files, columns, plan, progress)
    pre = first.preprocessor
    est = estimator_for(plan)
    progress.at("in pass 2 (checking the rows)")
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        src = _stream_source(files, columns, plan, pre)
    forward_warnings(caught, progress, (DataWarning,))
    progress.info(
        f"pass 2 (checking): {src.n_samples} rows, classes {src.classes_.tolist()}, "
        f"{time.perf_counter() - t0:.1f}s"
    )
    solver, limit = resolved_solver(
        est, src.n_samples, src.n_features, len(src.classes_), sparse=src.sparse
    )
    progress.info(
        f"training on {src.n_samples} rows x {src.n_features} features ({len(columns)} "
        f"columns) of {len(files)} file(s), streamed in batches of {plan.batch_size} rows, "
        f"with solver {solver}"
    )
    before = src.n_passes
    seconds = run_solver(
        est,
        lambda: est.fit_source(src),
        progress,
        solver,
        limit,
        passes=lambda: src.n_passes + 1,  # pass 1 was the preprocessing
    )
    progress.info(
        f"passes {before + 2}-{src.n_passes + 1}: {int(est.n_iter_[0])} iterations in "
        f"{src.n_passes - before} passes over the files, {seconds:.1f}s"
    )
    progress.at(f"in pass {src.n_passes + 2} (measuring the fit)")
    sums = _measured(src, est)
    progress.info(f"pass {src.n_passes + 1} (measuring the fit on the training rows)")
    return out_of_core_result(plan, est, first, sums, seconds, solver, batch_size=plan.batch_size)


def _stream_source(files, columns, plan, pre) -> StreamSource:
    """Pass 2: the source of the streamed fit, every row checked and the classes counted."""
    return StreamSource(
        [str(f) for f in files],
        plan.target,
        features=columns,
        class_weight=plan.class_weight,
        batch_size=plan.batch_size,
        dtype=np.float64,
        transform=pre.transform_batch,
        drop_missing_target=plan.drop_missing_target,
        file_format=plan.file_format,
        dialect=plan.dialect,
        column_types=pre.csv_column_types(),
    )


def _measured(src, est) -> MetricSums:
    """The metric sums of the fit over one pass of ``src`` (no batch outlives the pass)."""
    sums = MetricSums(len(est.classes_))
    for X, y_index, _, _ in src.chunks():
        sums.add(y_index, sums.link.decision(X, est.coef_, est.intercept_))
    return sums


def out_of_core_result(plan, est, first: Pass1, sums, seconds, solver, **extra):
    """The result of a streamed or Dask fit from pass 1 and the metric sums of the fit: no
    standard errors, the files' digest, ``extra`` last in the record."""
    pre = first.preprocessor
    metrics = sums.result(est.classes_)
    note = (
        f"no standard errors with executor={plan.executor!r}: they are computed on the "
        "training rows in memory (train in memory for them)."
    )
    record = record_for(
        est,
        plan,
        seconds=seconds,
        metrics=metrics,
        features=first.columns,
        n_classes=len(est.classes_),
        reference_coding=pre.drop_first,
        executor=plan.executor,
        evaluated_on="training",
        standard_errors=note,
        n_rows=sums.n,
        **_files_record(first.files),
        **extra,
    )
    record["n_columns"] = pre.n_features_out
    return TrainingResult(
        estimator=est,
        preprocessor=pre,
        metrics=metrics,
        record=record,
        inference=None,
        solver=solver,
        seconds=seconds,
        source=str(plan.data),
        executor=plan.executor,
    )


def _files_record(files) -> dict:
    """``data_file`` and its SHA-256; for several files ``data_files`` and one SHA-256 over
    the files' names and digests."""
    if len(files) == 1:
        return {"data_file": str(files[0]), "data_sha256": file_sha256(files[0])}
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.name}\t{file_sha256(f)}\n".encode())
    return {"data_files": [str(f) for f in files], "data_sha256": h.hexdigest()}
