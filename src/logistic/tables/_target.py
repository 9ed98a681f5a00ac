"""The target column and the choice of feature columns, and the built-in data set."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._classes import MAX_CLASSES, case_collisions, check_labels
from .._text import names as _names
from .._text import plural as _plural
from .._text import quoted as _quoted
from .._text import reprs as _reprs
from .._text import rows as _rows
from ..errors import DataError, DataWarning
from ._columns import _decode, _missing_mask

__all__ = [
    "TargetRows",
    "breast_cancer_table",
    "check_class_count",
    "check_target_type",
    "read_target",
    "read_target_rows",
    "select_features",
]


def select_features(table: pa.Table, *, target=None, features=None, exclude=None) -> list[str]:
    """The feature columns: ``features`` in the given order, or every column but ``target``;
    then without the columns of ``exclude`` (ids, free text, leaks).

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
    if exclude:
        exclude = [str(e) for e in exclude]
        unknown = [e for e in exclude if e not in available]
        if unknown:
            raise DataError(
                f"excluded column(s) {_quoted(unknown)} not found; available: {_names(available)}."
            )
        if target is not None and target in exclude:
            raise DataError(
                f"column '{target}' is the target; exclude names feature columns to leave out."
            )
        chosen = [c for c in chosen if c not in exclude]
        if not chosen:
            raise DataError(
                f"no feature columns left after excluding {_quoted(exclude)}; exclude fewer."
            )
    if not chosen:
        raise DataError(f"no feature columns: the table has only the target column '{target}'.")
    return chosen


@dataclass(frozen=True)
class TargetRows:
    """The target column of a table, with the rows it keeps and what the caller should say.

    Attributes
    ----------
    target : str
        The column name.
    labels : ndarray of shape (n_kept,)
        The labels of the kept rows (see :func:`read_target`).
    kept : ndarray of int64
        0-based indices of the kept rows into the table, ascending (every row unless
        ``drop_missing``): ``table.take(kept)`` is the table the labels belong to.
    dropped : ndarray of int64
        0-based indices of the rows dropped for a missing target (empty unless
        ``drop_missing``).
    warnings : tuple of str
        One-line messages the caller must show (labels that differ only by case), for
        :class:`logistic.errors.DataWarning`.
    """

    target: str
    labels: np.ndarray
    kept: np.ndarray
    dropped: np.ndarray
    warnings: tuple[str, ...] = ()

    @property
    def n_dropped(self) -> int:
        """Rows dropped for a missing target."""
        return int(self.dropped.size)

    def dropped_message(self) -> str | None:
        """``"dropped 12 rows with a missing target 'y' (data rows 3, 17, ...)"``, or None
        when no row was dropped (data rows are 1-based, the header excluded)."""
        if not self.dropped.size:
            return None
        return (
            f"dropped {_plural(self.n_dropped, 'row')} with a missing target '{self.target}' "
            f"(data rows {_rows(self.dropped)})"
        )


def read_target(table: pa.Table, target: str, *, classes=None) -> np.ndarray:
    """The target column as a 1-d array of labels with 2 to ``MAX_CLASSES`` distinct values.

    Two values make a binary model, more a multinomial one; ``MAX_CLASSES`` (1000) is the
    limit of every path of the library (:mod:`logistic._classes`).

    Strings are stripped of surrounding white space, as the categories of the feature
    columns are, so ``"Yes "`` and ``"Yes"`` are one class; case is kept (``"Yes"`` and
    ``"YES"`` are two classes, as two categories of a feature are), and labels that differ
    only by case are reported as a :class:`~logistic.errors.DataWarning` naming them and
    their row counts. Integers, floats, booleans and strings keep their type (so the
    model's classes are e.g. ``[0, 1]``, ``[False, True]`` or ``["<=50K", ">50K"]``).

    :func:`read_target_rows` is the same reading that can also drop the rows with a missing
    target, and returns the warnings instead of issuing them.

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
        The column is missing or has missing values (the message names the first rows and
        ``drop_missing_target=True``); it has one distinct value, or more than
        :data:`MAX_CLASSES` (the message gives the count: such a column looks like a
        continuous quantity, not a class); or, with ``classes``, it holds a value not among
        them.
    """
    rows = read_target_rows(table, target, classes=classes)
    for message in rows.warnings:
        warnings.warn(message, DataWarning, stacklevel=2)
    return rows.labels


def read_target_rows(
    table: pa.Table, target: str, *, classes=None, drop_missing=False
) -> TargetRows:
    """The target column (:func:`read_target`), optionally without its missing rows.

    Parameters
    ----------
    table : pyarrow.Table
    target : str
        Column name.
    classes : sequence, optional
        As in :func:`read_target`.
    drop_missing : bool, default=False
        Drop the rows whose target is missing (null, or NaN in a float column) instead of
        refusing them; :attr:`TargetRows.kept` says which rows remain and
        :meth:`TargetRows.dropped_message` how many went. The class checks apply to the
        kept rows.

    Returns
    -------
    TargetRows
        Nothing is issued as a Python warning: ``warnings`` holds the messages.

    Raises
    ------
    DataError
        As :func:`read_target`; with ``drop_missing``, also a column with no label at all.
    """
    if target not in table.column_names:
        raise DataError(
            f"target column '{target}' not found; available: {_names(table.column_names)}."
        )
    col = _decode(table.column(target))
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        col = pc.utf8_trim_whitespace(col)
    missing = _missing_mask(col)
    dropped = np.flatnonzero(missing).astype(np.int64)
    if dropped.size:
        if not drop_missing:
            # Evaluating a model, every row is measured; dropping rows is a training option.
            fix = (
                "drop those rows"
                if classes is not None
                else "remove those rows, or drop them with drop_missing_target=True"
            )
            raise DataError(
                f"target column '{target}' has {_plural(dropped.size, 'missing value')} "
                f"(data rows {_rows(dropped)}); every row needs a label: {fix}."
            )
        if dropped.size == len(col):
            raise DataError(
                f"target column '{target}' has no labels: all {_plural(dropped.size, 'row')} "
                "are missing; choose another target column."
            )
        col = col.filter(pa.array(~missing))
    kept = np.flatnonzero(~missing).astype(np.int64)
    t = col.type
    check_target_type(target, t)
    if pa.types.is_boolean(t):
        y = np.asarray(col.to_numpy(zero_copy_only=False), dtype=bool)
    elif pa.types.is_integer(t):
        y = np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.int64)
    elif pa.types.is_floating(t) or pa.types.is_decimal(t):
        y = np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    else:
        y = np.array(col.to_pylist(), dtype=object)
    values, counts = np.unique(y, return_counts=True)
    if classes is not None:
        known = list(classes)
        unknown = [v for v in values.tolist() if v not in known]
        if unknown:
            raise DataError(
                f"target column '{target}' has value(s) {_reprs(unknown)} that the model "
                f"does not know; its classes are {_reprs(known)}{_case_hint(unknown, known)}."
            )
        return TargetRows(target, y, kept, dropped)
    check_class_count(target, values.tolist(), counts.tolist())
    notes = case_collisions(f"target column '{target}'", values.tolist(), counts.tolist())
    return TargetRows(target, y, kept, dropped, tuple(notes))


def check_target_type(target: str, t: pa.DataType) -> None:
    """Refuse a target column whose type cannot hold class labels: the target accepts
    booleans, integers, floats (and decimals), and strings, dictionary-encoded or not; not
    lists, structs, binary, dates or times.

    Raises
    ------
    DataError
        Naming the column and its type.
    """
    if pa.types.is_dictionary(t):
        t = t.value_type
    kinds = (
        pa.types.is_boolean,
        pa.types.is_integer,
        pa.types.is_floating,
        pa.types.is_decimal,
        pa.types.is_string,
        pa.types.is_large_string,
        pa.types.is_string_view,
    )
    if not any(kind(t) for kind in kinds):
        raise DataError(
            f"target column '{target}' has type {t}; the target accepts integers, floats, "
            f"booleans or strings with 2 to {MAX_CLASSES} distinct values."
        )


def _case_hint(unknown, known) -> str:
    """`` ('YES' differs from 'yes' only by case)`` for the unknown labels that match a
    class but for case, or ``""``."""
    by_fold = {k.casefold(): k for k in known if isinstance(k, str)}
    pairs = [
        (u, by_fold[u.casefold()])
        for u in unknown
        if isinstance(u, str) and u.casefold() in by_fold
    ]
    if not pairs:
        return ""
    shown = ", ".join(f"{u!r} differs from {k!r}" for u, k in pairs[:5])
    return f" ({shown} only by case)"


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
