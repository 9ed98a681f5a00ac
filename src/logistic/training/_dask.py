"""Training on a Dask cluster: the preprocessing learned by one streamed pass here, the
partitions preprocessed on the workers, the solver run here by :func:`logistic.dask.fit`."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from logistic.metrics import MetricSums
from logistic.tables import (
    NULL_VALUES,
    CsvDialect,
    detect_delimiter,
    file_compression,
    file_format,
    read_boundary,
    read_schema,
)

from ._files import data_files, learn_preprocessing, out_of_core_result
from ._result import TrainingResult, estimator_for, resolved_solver, run_solver

__all__ = ["fit_on_dask"]


def fit_on_dask(plan, progress) -> TrainingResult:
    """Fit on the cluster of ``plan.scheduler`` (a Client, an address or None for the
    default client); a client connected here from an address is closed again. The loss of
    the cluster is a :class:`logistic.errors.ClusterError` naming its scheduler."""
    import logistic.dask

    files, columns = data_files(plan)
    # A scheduler that cannot be reached is found before any pass over the data.
    client = logistic.dask.get_client(plan.scheduler)
    try:
        # The cluster's loss at any step (loading, fitting, measuring) is one ClusterError.
        with logistic.dask.cluster_errors(client):
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
    ddf = _read_frame(files, [*columns, plan.target], plan, pre)
    if plan.drop_missing_target:
        ddf = ddf.dropna(subset=[plan.target])
    ddf = _as_read_here(ddf, files[0], plan)
    names = pre.feature_names_out
    if pre.sparse_output:
        X, y = _sparse_design(ddf, pre, plan.target)
    else:
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


def _as_read_here(ddf, first_file, plan):
    """The target column as the library's readers give it: text stripped of surrounding
    spaces (``"Yes "`` is ``"Yes"``), integers as integers once missing rows are dropped
    (pandas reads an integer column with missing cells as floats); labels that differ only
    by case are warned about by pass 1 already."""
    target = plan.target
    kind = (
        read_schema(first_file, file_format=plan.file_format, dialect=plan.dialect)
        .field(target)
        .type
    )
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return ddf.assign(**{target: ddf[target].str.strip()})
    if pa.types.is_integer(kind) and plan.drop_missing_target:
        return ddf.assign(**{target: ddf[target].astype("int64")})
    return ddf


def _read_frame(files, columns, plan, pre):
    """The files as a dask DataFrame of ``columns``, read with the rules of the library's
    readers where pandas has them: the same cells missing, the delimiter the library
    detects (:func:`logistic.tables.detect_delimiter`), the dialect's decimal mark, digit
    groups and encoding, compression told by the content. What pandas or pyarrow raise
    while dask reads the start of the first file is one DataError naming it (pass 1 has
    read every file with the library's readers, inside their limits, already)."""
    import dask.dataframe as dd

    paths = [str(f.resolve()) for f in files]
    parquet = (plan.file_format or file_format(files[0])) == "parquet"
    # dask reads the start of the first file here (the columns' types): errors name it
    kind, dialect = ("Parquet" if parquet else "CSV"), plan.dialect or CsvDialect()
    with read_boundary(files[0], kind, also=(ValueError,), dialect=dialect):
        if parquet:
            return dd.read_parquet(paths, columns=columns)
        packed = file_compression(files[0])
        # the types pass 1 learned, not pandas' guess per block: text for categorical
        # columns (codes keep their zeros, a code with a letter late in the file is no
        # error), text for dates (parsed as the model's time columns are), floats for
        # numbers, text for a text target (pandas would guess each block's own type)
        dtype = {}
        for spec in pre.columns_:
            numeric = spec.kind == "numeric" and not spec.time
            dtype[spec.name] = "float64" if numeric else "object"
        return dd.read_csv(
            paths,
            usecols=columns,
            dtype=dtype,
            sep=detect_delimiter(files[0], dialect),
            decimal=dialect.decimal,
            thousands=dialect.thousands,
            encoding=dialect.encoding,
            na_values=NULL_VALUES,
            keep_default_na=False,
            compression=packed or "infer",
            # A compressed file cannot be split into blocks: one partition per file.
            blocksize=None if packed else "default",
        )


def _partition_features(df, pre, names):
    """A partition (pandas) through the fitted preprocessing, on a worker."""
    import pandas as pd
    import pyarrow as pa

    X = pre.transform_batch(pa.Table.from_pandas(df, preserve_index=False))
    return pd.DataFrame(X, columns=names, index=df.index)


def _sparse_design(ddf, pre, target):
    """``(X, y)``: dask arrays whose row chunks are the partitions, X's chunks CSR
    matrices made on the workers (a one-hot design's memory is its non-zeros there too)."""
    import dask
    import dask.array as da
    import scipy.sparse as sp

    lengths = ddf.map_partitions(len).compute().tolist()
    width = pre.n_features_out
    parts = ddf.to_delayed()
    X = da.concatenate(
        [
            da.from_delayed(
                dask.delayed(_partition_csr)(part, pre),
                shape=(n, width),
                dtype=np.float64,
                meta=sp.csr_matrix((0, width)),
            )
            for part, n in zip(parts, lengths, strict=True)
            if n
        ]
    )
    y = ddf[target].to_dask_array(lengths=lengths)
    keep = [k for k, n in enumerate(lengths) if n]
    if len(keep) != len(lengths):
        y = da.concatenate([y.blocks[k] for k in keep])
    return X, y


def _partition_csr(df, pre):
    """A partition (pandas) through the fitted preprocessing, as CSR, on a worker."""
    import pyarrow as pa

    return pre.transform_batch(pa.Table.from_pandas(df, preserve_index=False))


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
