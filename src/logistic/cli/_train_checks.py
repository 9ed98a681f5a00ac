"""The checks of ``logistic train``'s options that need no data: combinations that cannot
work, refused before any work, and the input files an output must not replace."""

from __future__ import annotations

import math

from logistic.errors import InvalidParameterError, UserInputError

__all__ = ["check_train_options", "input_files"]


def input_files(data) -> list:
    """The files ``data`` names (a glob expanded), which the model file must not replace."""
    if data is None:
        return []
    from logistic.tables import expand_paths

    try:
        return expand_paths(data)
    except UserInputError:
        return [data]  # the reader says what is wrong with it, in its turn


def check_train_options(
    *, data, target, C, ratios, cv, cs, cov_type, stream, scheduler, holdout, impute
) -> None:
    """Every combination of train options that cannot work, refused before any work."""
    mode = "--stream" if stream else "--scheduler" if scheduler else None
    if data is not None and target is None:
        raise InvalidParameterError(
            f"--target is required with a data file (or a --formula 'y ~ ...'); name the column to predict "
            f"(e.g. logistic train {data} --target COLUMN)."
        )
    if stream and scheduler:
        raise InvalidParameterError(
            "--stream and --scheduler exclude each other; --stream reads the files on this "
            "machine, --scheduler on a Dask cluster."
        )
    if mode and data is None:
        raise InvalidParameterError(f"{mode} needs a data file (a path or a quoted glob).")
    if mode and holdout > 0:
        raise InvalidParameterError(
            f"--holdout is not available with {mode} (it would need the row order in memory); "
            "keep the evaluation rows in separate files and run 'logistic evaluate' on them."
        )
    if mode and cv is not None:
        raise InvalidParameterError(
            f"--cv is not available with {mode}: cross-validation refits on row subsets in "
            "memory; choose C with --cv on a sample, then train with that --C."
        )
    if stream and impute is not None:
        raise InvalidParameterError(
            "--impute is not available with --stream: streamed files must have no missing "
            "values (impute them first, or train in memory or with --scheduler)."
        )
    if len(ratios) > 1 and cv is None:
        raise InvalidParameterError(
            f"--l1-ratio {','.join(f'{r:g}' for r in ratios)} gives several values; only --cv "
            "chooses among them. Give one value, or add --cv K."
        )
    if cs is not None and cv is None:
        raise InvalidParameterError("--cs is the grid of --cv; add --cv K (e.g. --cv 5).")
    if cov_type is not None and mode:
        raise InvalidParameterError(
            f"--cov-type is not available with {mode}: standard errors are computed on the "
            "training rows in memory; train in memory for them."
        )
    if cov_type == "sandwich" and cv is None and math.isinf(C):
        raise InvalidParameterError(
            "--cov-type sandwich is for penalised fits (finite --C or --cv); with --C inf use "
            "nonrobust, HC0 or HC1."
        )
