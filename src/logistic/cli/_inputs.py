"""What predict, evaluate and explain read: a model file, and a data file through the
model's stored preprocessing."""

from __future__ import annotations

from pathlib import Path

from logistic.errors import DataError, InvalidParameterError

from ._output import Output

# The library's readers are imported in the functions: the command modules import this one
# when the application starts, which stays light (docs/solvers.md, "Start-up").

__all__ = ["labelled_inputs", "load_model", "model_inputs", "read_for", "target_for"]


def load_model(model_path: Path):
    """The :class:`logistic.persistence.LoadedModel` in ``model_path``."""
    from logistic.persistence import load

    return load(model_path)


def read_for(model, data: Path, *, dialect=None, file_format=None):
    """The table in ``data``, its CSV columns typed as in training (so that a column of
    codes that look like numbers is read as the categories the model knows)."""
    from logistic.tables import read_table

    types = model.preprocessor.csv_column_types() if model.preprocessor is not None else None
    return read_table(data, column_types=types, dialect=dialect, file_format=file_format)


def model_inputs(model, table, out: Output):
    """The model's input matrix for ``table``: unseen categories warned about, imputed
    cells counted."""
    if model.preprocessor is None:
        raise DataError(
            "this model file has no preprocessing, so it cannot read a data file; "
            "use the Python API with an array."
        )
    X, report = model.preprocessor.transform_with_report(table)
    if report.unseen:
        out.warn(report.unseen_message())
    if report.imputed:
        total = sum(report.imputed.values())
        out.info(f"filled {total} missing value(s) with values learned in training")
    return X


def target_for(model, target: str | None) -> str:
    """``--target``, else the target column the model file records."""
    if target is not None:
        return target
    if model.target is None:
        raise InvalidParameterError(
            "the model file does not record its target column; give it with --target COLUMN."
        )
    return model.target


def labelled_inputs(model, table, target: str | None, out: Output):
    """``(y, X)``: the labels in the target column (``--target``, else the training one;
    only labels the model knows) and the model's input matrix of ``table``."""
    from logistic.tables import read_target

    y = read_target(table, target_for(model, target), classes=list(model.classes_))
    return y, model_inputs(model, table, out)
