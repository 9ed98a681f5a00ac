"""Training on a Dask cluster: the preprocessing learned by one streamed pass here, the
partitions preprocessed on the workers, the solver run here by :func:`logistic.dask.fit`."""

from __future__ import annotations

import numpy as np

from logistic.metrics import MetricSums
from logistic.tables import NULL_VALUES, file_format

from ._files import data_files, learn_preprocessing, out_of_core_result
from ._result import TrainingResult, estimator_for, resolved_solver, run_solver

__all__ = ["fit_on_dask"]

_COMPRESSED = (".gz", ".bz2")


def fit_on_dask(plan, progress) -> TrainingResult:
    """Fit on the cluster of ``plan.scheduler`` (a Client, an address or None for the
    default client); a client connected here from an address is closed again."""
    import logistic.dask

    files, columns = data_files(plan)
    # A scheduler that cannot be reached is found before any pass over the data.
    client = logistic.dask.get_client(plan.scheduler)
    try:
        return _fit(plan, progress, files, columns, client)
    finally:
        if isinstance(plan.scheduler, str):
            client.close()


def _fit(plan, progress, files, columns, client) -> TrainingResult:
    import dask
    import pandas as pd

    import logistic.dask

    first = learn_preprocessing(files, columns, plan, progress)
    pre = first.preprocessor
    address = client.scheduler.address
    ddf = _read_frame(files, [*columns, plan.target])
    names = pre.feature_names_out
    meta = pd.DataFrame({n: pd.Series(dtype=np.float64) for n in names})
    X = ddf.map_partitions(_partition_features, pre, names, meta=meta)
    y = ddf[plan.target]
    progress.at(f"while loading the data on the Dask cluster at {address}")
    progress.info(
        f"training on the Dask cluster at {address}: {ddf.npartitions} partitions of "
        f"{len(files)} file(s), {len(names)} features, preprocessing learned in pass 1"
    )
    est = estimator_for(plan)
    # The classes are found by the fit itself, so the progress assumes two.
    solver, limit = resolved_solver(est, first.n_rows, len(names), 2)
    seconds = run_solver(
        est, lambda: logistic.dask.fit(est, X, y, client=client), progress, solver, limit
    )
    if hasattr(est, "feature_names_in_"):
        del est.feature_names_in_  # the preprocessing's names are stored instead
    progress.at("while measuring the fit on the Dask cluster")
    parts = [
        dask.delayed(_partition_sums)(
            part, pre, est.coef_, est.intercept_, est.classes_, plan.target
        )
        for part in ddf.to_delayed()
    ]
    sums = client.compute(dask.delayed(_merged)(parts)).result()
    address_given = plan.scheduler if isinstance(plan.scheduler, str) else address
    return out_of_core_result(plan, est, first, sums, seconds, est.solver_, scheduler=address_given)


def _read_frame(files, columns):
    """The files as a dask DataFrame of ``columns``, read as every reader of the library
    reads them: the same cells missing, a tab delimiter for ``.tsv``."""
    import dask.dataframe as dd

    paths = [str(f.resolve()) for f in files]
    if file_format(files[0]) == "parquet":
        return dd.read_parquet(paths, columns=columns)
    name = files[0].name.lower()
    compressed = name.endswith(_COMPRESSED)
    for ext in _COMPRESSED:
        name = name.removesuffix(ext)
    return dd.read_csv(
        paths,
        usecols=columns,
        sep="\t" if name.endswith(".tsv") else ",",
        na_values=NULL_VALUES,
        keep_default_na=False,
        compression="infer",
        # A compressed file cannot be split into blocks: one partition per file.
        blocksize=None if compressed else "default",
    )


def _partition_features(df, pre, names):
    """A partition (pandas) through the fitted preprocessing, on a worker."""
    import pandas as pd
    import pyarrow as pa

    X = pre.transform_batch(pa.Table.from_pandas(df, preserve_index=False))
    return pd.DataFrame(X, columns=names, index=df.index)


def _partition_sums(df, pre, coef, intercept, classes, target) -> MetricSums:
    """The metric sums of one partition, on a worker."""
    import pyarrow as pa

    sums = MetricSums(len(classes))
    if len(df):
        X = pre.transform_batch(pa.Table.from_pandas(df, preserve_index=False))
        y_index = np.searchsorted(classes, df[target].to_numpy())
        sums.add(y_index, sums.link.decision(X, coef, intercept))
    return sums


def _merged(parts) -> MetricSums:
    total = parts[0]
    for p in parts[1:]:
        total.merge(p)
    return total
