"""The target column and the choice of feature columns, and the built-in data set."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._classes import MAX_CLASSES, check_labels
from .._text import names as _names
from .._text import plural as _plural
from .._text import quoted as _quoted
from .._text import reprs as _reprs
from .._text import rows as _rows
from ..errors import DataError
from ._columns import _decode, _missing_mask

__all__ = ["breast_cancer_table", "check_class_count", "read_target", "select_features"]


def select_features(table: pa.Table, *, target=None, features=None) -> list[str]:
    """The feature columns: ``features`` in the given order, or every column but ``target``.

    Raises
    ------
    DataError
        ``target`` or a name in ``features`` is not a column (the message lists the
        available columns), ``target`` is among ``features``, or nothing is left.
    """
    available = table.column_names
    if target is not None and target not in available:
        raise DataError(f"target column '{target}' not found; available: {_names(available)}.")
    if features is None:
        chosen = [c for c in available if c != target]
    else:
        chosen = [str(f) for f in features]
        missing = [f for f in chosen if f not in available]
        if missing:
            what = "column" if len(missing) == 1 else "columns"
            raise DataError(
                f"feature {what} {_quoted(missing)} not found; available: {_names(available)}."
            )
        dupes = sorted({f for f in chosen if chosen.count(f) > 1})
        if dupes:
            raise DataError(f"features list {_quoted(dupes)} more than once; name each once.")
        if target is not None and target in chosen:
            raise DataError(
                f"column '{target}' is the target and cannot also be a feature; "
                "remove it from the features."
            )
    if not chosen:
        raise DataError(f"no feature columns: the table has only the target column '{target}'.")
    return chosen


def read_target(table: pa.Table, target: str, *, classes=None) -> np.ndarray:
    """The target column as a 1-d array of labels with 2 to ``MAX_CLASSES`` distinct values.

    Two values make a binary model, more a multinomial one; ``MAX_CLASSES`` (1000) is the
    limit of every path of the library (:mod:`logistic._classes`).

    Strings are stripped of surrounding white space; integers, floats, booleans and strings
    keep their type (so the model's classes are e.g. ``[0, 1]``, ``[False, True]`` or
    ``["<=50K", ">50K"]``).

    Parameters
    ----------
    table : pyarrow.Table
    target : str
        Column name.
    classes : sequence, optional
        When given (evaluating a fitted model), every value must be one of these; the
        column may hold only some of them.

    Returns
    -------
    ndarray of shape (n_rows,)
        int64, float64, bool, or object (str) values.

    Raises
    ------
    DataError
        The column is missing or has missing values; it has one distinct value, or more
        than :data:`MAX_CLASSES` (the message gives the count: such a column looks like a
        continuous quantity, not a class); or, with ``classes``, it holds a value not among
        them.
    """
    if target not in table.column_names:
        raise DataError(
            f"target column '{target}' not found; available: {_names(table.column_names)}."
        )
    col = _decode(table.column(target))
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        col = pc.utf8_trim_whitespace(col)
    missing = _missing_mask(col)
    if missing.any():
        rows = np.flatnonzero(missing)
        raise DataError(
            f"target column '{target}' has {_plural(rows.size, 'missing value')} "
            f"(data rows {_rows(rows)}); every row needs a label (drop those rows)."
        )
    t = col.type
    if pa.types.is_boolean(t):
        y = np.asarray(col.to_numpy(zero_copy_only=False), dtype=bool)
    elif pa.types.is_integer(t):
        y = np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.int64)
    elif pa.types.is_floating(t) or pa.types.is_decimal(t):
        y = np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        y = np.array(col.to_pylist(), dtype=object)
    else:
        raise DataError(
            f"target column '{target}' has type {t}; the target accepts integers, floats, "
            f"booleans or strings with 2 to {MAX_CLASSES} distinct values."
        )
    values, counts = np.unique(y, return_counts=True)
    if classes is not None:
        known = list(classes)
        unknown = [v for v in values.tolist() if v not in known]
        if unknown:
            raise DataError(
                f"target column '{target}' has value(s) {_reprs(unknown)} that the model "
                f"does not know; its classes are {_reprs(known)}."
            )
        return y
    check_class_count(target, values.tolist(), counts.tolist())
    return y


def check_class_count(target, values, counts=None) -> None:
    """Refuse a target column whose distinct values cannot be class labels.

    The rule of every path (:func:`logistic._classes.check_labels`): one value (nothing to
    learn), more than :data:`MAX_CLASSES`, or more than ``CONTINUOUS_MIN_VALUES`` floats
    that are not all whole numbers (a continuous quantity).

    Parameters
    ----------
    target : str
        Column name, for the message.
    values : list
        The distinct values, sorted.
    counts : list of int, optional
        Rows per value, shown in the message.

    Raises
    ------
    DataError
    """
    check_labels(f"target column '{target}'", values, counts)


def breast_cancer_table(target="target") -> pa.Table:
    """scikit-learn's Wisconsin breast-cancer data as a Table: 30 float columns and the
    0/1 ``target`` (1 = benign), 569 rows."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    cols = {str(n): pa.array(data.data[:, j]) for j, n in enumerate(data.feature_names)}
    cols[target] = pa.array(data.target.astype(np.int64))
    return pa.table(cols)
