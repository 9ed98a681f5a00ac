"""The table preprocessing: feature columns of a pyarrow Table -> a float64 design matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._text import names as _names
from .._text import quoted as _quoted
from ..errors import DataError, InvalidParameterError
from ._columns import (
    ColumnSpec,
    _category_array,
    _check_not_numeric_typo,
    _ColumnAccumulator,
    _decode,
    _float_values,
    _is_finite_number,
    _missing_mask,
    _missing_message,
)

__all__ = ["IMPUTE_CHOICES", "TablePreprocessor", "TransformReport"]

#: Accepted values of ``impute``.
IMPUTE_CHOICES = ("mean", "most-frequent")


@dataclass
class TransformReport:
    """What :meth:`TablePreprocessor.transform` met on the way.

    Attributes
    ----------
    n_rows : int
    unseen : dict of {str: dict of {str: int}}
        Per categorical column, categories not seen in training and how many rows had each
        (those rows encode as all zeros in that column's block).
    imputed : dict of {str: int}
        Per column, how many missing values were filled.
    """

    n_rows: int = 0
    unseen: dict[str, dict[str, int]] = field(default_factory=dict)
    imputed: dict[str, int] = field(default_factory=dict)

    @property
    def n_unseen(self) -> int:
        """Total number of cells holding an unseen category."""
        return sum(sum(d.values()) for d in self.unseen.values())

    def unseen_message(self) -> str:
        """One line for a warning, or "" when every category was known."""
        if not self.unseen:
            return ""
        parts = []
        for col, cats in self.unseen.items():
            top = sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))
            shown = ", ".join(f"'{k}' x{v}" for k, v in top[:3])
            more = f", ... ({len(top) - 3} more)" if len(top) > 3 else ""
            parts.append(f"{col}: {shown}{more}")
        return (
            f"{self.n_unseen} value(s) in categories not seen in training were encoded as all "
            f"zeros ({'; '.join(parts)})."
        )


class TablePreprocessor:
    """Turns the feature columns of a pyarrow Table into a float64 design matrix.

    Numeric columns (integers, floats, decimals) become ``(x - mean) / scale``
    (``scale`` the population standard deviation, 1 for a constant column); string,
    dictionary and boolean columns become one 0/1 column per category, categories sorted.
    Statistics are computed on the non-missing training values.

    Parameters
    ----------
    impute : {None, "mean", "most-frequent"}, default=None
        None: a missing value is a :class:`DataError` naming the columns and rows.
        ``"mean"``: numeric columns are filled with their training mean, categorical ones
        with their most frequent category. ``"most-frequent"``: every column is filled with
        its most frequent training value (ties: the smallest).
    standardize : bool, default=True
        Standardise numeric columns; when False they pass through unchanged
        (``mean = 0``, ``scale = 1``).
    categorical : sequence of str, optional
        Columns to one-hot encode even if they hold numbers (codes, zip codes...).
    drop_first : bool, default=False
        Reference coding: the first (sorted) category of every categorical or boolean
        column gets no output column, so that the encoded columns and an intercept are not
        collinear. Needed for an unpenalised fit with standard errors; a penalised fit keeps
        every category (the penalty treats them symmetrically).

    Attributes
    ----------
    columns_ : list of ColumnSpec
        One per input column, in input order.
    feature_names_out : list of str
        Output column names: the column name for numeric ones, ``"name=category"`` for
        one-hot ones.
    n_features_out : int
    last_report_ : TransformReport
        The report of the most recent :meth:`transform`.
    """

    def __init__(self, *, impute=None, standardize=True, categorical=None, drop_first=False):
        if impute is not None and impute not in IMPUTE_CHOICES:
            raise InvalidParameterError(
                f"impute={impute!r} is not accepted; impute accepts None, 'mean' or "
                "'most-frequent'."
            )
        self.impute = impute
        self.standardize = bool(standardize)
        self.categorical = list(categorical or [])
        self.drop_first = bool(drop_first)
        self.columns_: list[ColumnSpec] | None = None
        self.last_report_ = TransformReport()

    # -- fitting ----------------------------------------------------------------------
    def fit(self, table: pa.Table, columns: Sequence[str] | None = None) -> TablePreprocessor:
        """Learn the column statistics.

        Parameters
        ----------
        table : pyarrow.Table of n_rows rows
        columns : sequence of str, optional
            The feature columns, in order; default every column of ``table``.

        Raises
        ------
        DataError
            A column is missing, of an unsupported type, entirely missing, holds text in a
            mostly numeric column, or has missing values while ``impute`` is None.
        """
        columns = list(table.column_names if columns is None else columns)
        self._check_columns(table, columns)
        return self._set_columns(
            (name, *self._fit_column(name, _decode(table.column(name)))) for name in columns
        )

    def _fit_column(self, name, col):
        """``(spec, missing rows)`` of one column learned from the whole column."""
        kind = self._kind(name, col)
        miss = np.flatnonzero(_missing_mask(col))
        if miss.size == len(col):
            raise DataError(
                f"column '{name}' has no values (every row is missing); drop it from the features."
            )
        if kind == "numeric":
            x = _float_values(name, col)
            observed = x[~np.isnan(x)]
            if not np.all(np.isfinite(observed)):
                row = np.flatnonzero(np.isinf(x))[0]
                raise DataError(
                    f"column '{name}' has an infinite value at data row {row + 1}; numeric "
                    "columns accept finite numbers."
                )
            mean, scale = 0.0, 1.0
            if self.standardize:
                mean = float(np.mean(observed))
                std = float(np.std(observed))
                # A constant column carries no information; scale 1 keeps it finite (it
                # becomes all zeros) instead of dividing by 0.
                scale = std if std > 0.0 and np.isfinite(std) else 1.0
            fill = None
            if self.impute == "mean":
                fill = float(np.mean(observed))
            elif self.impute == "most-frequent":
                vals, counts = np.unique(observed, return_counts=True)
                fill = float(vals[np.argmax(counts)])
            return ColumnSpec(name, "numeric", mean=mean, scale=scale, fill=fill), miss
        counts = pc.value_counts(_category_array(col, kind).drop_null()).to_pylist()
        counts.sort(key=lambda d: d["values"])  # the sorted vocabulary
        categories = [str(d["values"]) for d in counts]
        fill = None
        if self.impute is not None:
            # Most frequent category; ties go to the first in sorted order.
            fill = categories[int(np.argmax([d["counts"] for d in counts]))]
        return self._categorical_spec(name, kind, categories, fill), miss

    def _categorical_spec(self, name, kind, categories, fill) -> ColumnSpec:
        """The spec of a one-hot column (its reference category with ``drop_first``)."""
        reference = categories[0] if self.drop_first else None
        return ColumnSpec(name, kind, categories=categories, fill=fill, reference=reference)

    def fit_batches(self, batches, columns: Sequence[str] | None = None) -> TablePreprocessor:
        """Learn the column statistics in one pass over record batches (out of core).

        The result equals :meth:`fit` on the concatenated batches up to rounding: means and
        scales combine the batches' ``(count, mean, M2)`` with Chan, Golub and LeVeque's
        parallel update (1979; ``M2`` the sum of squared deviations from the batch mean, so
        no catastrophic cancellation as with running sums of squares), categories are the
        union of the batches' vocabularies with their counts added. Memory: one batch plus
        the vocabularies (and, for ``impute="most-frequent"``, each numeric column's
        distinct values with their counts).

        Parameters
        ----------
        batches : iterable of pyarrow.RecordBatch or pyarrow.Table
            Every batch holds every column of ``columns``; data rows are numbered across
            batches in order, for the messages.
        columns : sequence of str, optional
            The feature columns, in order; default every column of the first batch.

        Raises
        ------
        DataError
            As :meth:`fit`; also when a column changes kind between batches (numbers in one
            file, text in another), or there are no rows.
        """
        acc: dict[str, _ColumnAccumulator] | None = None
        start = 0
        for batch in batches:
            if acc is None:
                columns = list(batch.column_names if columns is None else columns)
                self._check_columns(batch, columns)
                acc = {}
                for name in columns:
                    col = _decode(batch.column(name))
                    acc[name] = _ColumnAccumulator(
                        name,
                        self._kind(name, col, check=False),
                        impute_counts=self.impute == "most-frequent",
                    )
            else:
                self._check_present(batch, columns, f"data rows {start + 1}..")
            for name in columns:
                acc[name].add(_decode(batch.column(name)), start)
            start += batch.num_rows
        if acc is None or start == 0:
            raise DataError("no data rows to learn the preprocessing from.")
        return self._set_columns((name, *acc[name].finish(self)) for name in columns)

    def _set_columns(self, fitted):
        """Keep the ``(name, spec, missing rows)`` of every column; missing values without
        ``impute`` are an error naming them."""
        specs, missing = [], {}
        for name, spec, miss in fitted:
            specs.append(spec)
            if miss.size:
                missing[name] = miss
        if missing and self.impute is None:
            raise DataError(_missing_message(missing, fit=True))
        self.columns_ = specs
        return self

    def _check_columns(self, table, columns):
        """Refuse no columns, repeated ones, absent ones, or unknown ``categorical`` names."""
        if not columns:
            raise DataError("no feature columns to fit; give at least one column.")
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        if dupes:
            raise DataError(f"columns {_quoted(dupes)} are listed more than once; name each once.")
        self._check_present(table, columns, "training data")
        unknown_cat = [c for c in self.categorical if c not in columns]
        if unknown_cat:
            raise DataError(
                f"categorical column(s) {_quoted(unknown_cat)} are not among the features "
                f"{_names(columns)}."
            )

    def _kind(self, name, col, check=True) -> str:
        """The column's kind, "numeric", "categorical" or "boolean", from its type."""
        t = col.type
        if name in self.categorical:
            if pa.types.is_boolean(t):
                return "boolean"
            return "categorical"
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            return "numeric"
        if pa.types.is_boolean(t):
            return "boolean"
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            if check:
                _check_not_numeric_typo(name, col)
            return "categorical"
        if pa.types.is_null(t):
            raise DataError(
                f"column '{name}' has no values (every row is missing); drop it from the features."
            )
        raise DataError(
            f"column '{name}' has type {t}, which is not supported; feature columns accept "
            "numbers, strings or booleans (choose columns with --features)."
        )

    # -- transforming -----------------------------------------------------------------
    def _check_fitted(self):
        if self.columns_ is None:
            from ..errors import NotFittedError

            raise NotFittedError(
                "this TablePreprocessor is not fitted yet; call fit(table) or from_dict(d)."
            )

    @property
    def feature_names_out(self) -> list[str]:
        """The output column names, in order."""
        self._check_fitted()
        return [n for spec in self.columns_ for n in spec.output_names()]

    @property
    def n_features_out(self) -> int:
        """The number of output columns."""
        self._check_fitted()
        return sum(spec.width for spec in self.columns_)

    @property
    def input_columns(self) -> list[str]:
        """The input column names, in order."""
        self._check_fitted()
        return [spec.name for spec in self.columns_]

    def csv_column_types(self) -> dict:
        """Types to force when reading a CSV for :meth:`transform`: categorical columns
        as strings, so that codes such as ``"007"`` are not read as numbers."""
        self._check_fitted()
        return {s.name: pa.string() for s in self.columns_ if s.kind == "categorical"}

    def transform(self, table: pa.Table) -> np.ndarray:
        """The design matrix of ``table``; the report goes to :attr:`last_report_`.

        Parameters
        ----------
        table : pyarrow.Table of n_rows rows
            Must hold every input column (by name, in any order; other columns are
            ignored).

        Returns
        -------
        ndarray of shape (n_rows, n_features_out), float64

        Raises
        ------
        DataError
            A column is missing, a numeric column holds text (the message names the row),
            or there are missing values and ``impute`` is None.
        """
        X, report = self.transform_with_report(table)
        self.last_report_ = report
        return X

    def transform_with_report(self, table: pa.Table) -> tuple[np.ndarray, TransformReport]:
        """Like :meth:`transform`, returning ``(X, report)`` and leaving ``self`` unchanged."""
        self._check_fitted()
        self._check_present(table, self.input_columns, "the data")
        n = table.num_rows
        X = np.zeros((n, self.n_features_out), dtype=np.float64)
        report = TransformReport(n_rows=n)
        missing = {}
        offset = 0
        for spec in self.columns_:
            col = _decode(table.column(spec.name))
            miss = _missing_mask(col)
            if miss.any():
                if spec.fill is None:
                    missing[spec.name] = np.flatnonzero(miss)
                else:
                    report.imputed[spec.name] = int(miss.sum())
            if spec.kind == "numeric":
                x = _float_values(spec.name, col)
                if miss.any() and spec.fill is not None:
                    x = np.where(miss, spec.fill, x)
                if np.isinf(x).any():
                    row = np.flatnonzero(np.isinf(x))[0]
                    raise DataError(
                        f"column '{spec.name}' has an infinite value at data row {row + 1}; "
                        "numeric columns accept finite numbers."
                    )
                X[:, offset] = (x - spec.mean) / spec.scale
            else:
                self._one_hot(spec, col, miss, X[:, offset : offset + spec.width], report)
            offset += spec.width
        if missing:
            raise DataError(_missing_message(missing, fit=False))
        return X, report

    def _one_hot(self, spec, col, miss, out, report):
        """Write the one-hot block of one column into ``out``; count unseen categories."""
        # Vectorised in Arrow: look every value up in the sorted vocabulary at once.
        arr = _category_array(col, spec.kind)
        if miss.any() and spec.fill is not None:
            arr = pc.if_else(pa.array(miss), pa.scalar(spec.fill, pa.string()), arr)
        index = pc.index_in(arr, value_set=pa.array(spec.categories, type=pa.string()))
        idx = np.asarray(index.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.intp)
        known = idx >= 0
        if spec.reference is None:
            out[np.flatnonzero(known), idx[known]] = 1.0
        else:
            # Reference coding: the reference category's rows stay all zeros, the
            # categories after it shift one column to the left.
            ref = spec.categories.index(spec.reference)
            hot = known & (idx != ref)
            col = idx[hot] - (idx[hot] > ref)
            out[np.flatnonzero(hot), col] = 1.0
        unseen = ~known & ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        if unseen.any():
            counts = pc.value_counts(arr.filter(pa.array(unseen)))
            report.unseen[spec.name] = {
                str(v["values"]): int(v["counts"]) for v in counts.to_pylist()
            }

    def transform_batch(self, batch) -> np.ndarray:
        """The design matrix of one record batch (or table), shape (n_rows, n_features_out).

        A pure function of the batch (the report is discarded, ``self`` is not changed), as
        :class:`logistic.sources.StreamSource` requires of its ``transform``; picklable, so
        Dask workers can run it on their partitions.
        """
        X, _ = self.transform_with_report(batch)
        return X

    def fit_transform(self, table, columns=None) -> np.ndarray:
        """``fit(table, columns).transform(table)``; shape (n_rows, n_features_out)."""
        return self.fit(table, columns).transform(table)

    @staticmethod
    def _check_present(table, columns, where):
        """Refuse a table that lacks one of ``columns``, listing what it has."""
        available = table.column_names
        missing = [c for c in columns if c not in available]
        if missing:
            what = "column" if len(missing) == 1 else "columns"
            raise DataError(
                f"{where} lacks {what} {_quoted(missing)} that the model uses; "
                f"available: {_names(available)}."
            )

    # -- serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain JSON-ready dict; floats are written so that they read back exactly."""
        self._check_fitted()
        d = {
            "impute": self.impute,
            "standardize": self.standardize,
            "columns": [spec.to_dict() for spec in self.columns_],
        }
        if self.drop_first:
            d["drop_first"] = True
        return d

    @classmethod
    def from_dict(cls, d) -> TablePreprocessor:
        """Rebuild from :meth:`to_dict`'s output, checking every field.

        Raises
        ------
        DataError
            A field is missing, of the wrong type, not finite, or inconsistent; the message
            names the field.
        """
        if not isinstance(d, dict):
            raise DataError(f"preprocessing must be an object, got {type(d).__name__}.")
        impute = d.get("impute")
        if impute is not None and impute not in IMPUTE_CHOICES:
            raise DataError(f"preprocessing.impute={impute!r} is not one of {IMPUTE_CHOICES}.")
        standardize = d.get("standardize", True)
        if not isinstance(standardize, bool):
            raise DataError("preprocessing.standardize must be true or false.")
        drop_first = d.get("drop_first", False)
        if not isinstance(drop_first, bool):
            raise DataError("preprocessing.drop_first must be true or false.")
        cols = d.get("columns")
        if not isinstance(cols, list) or not cols:
            raise DataError("preprocessing.columns must be a non-empty list.")
        specs, seen = [], set()
        for i, c in enumerate(cols):
            where = f"preprocessing.columns[{i}]"
            if not isinstance(c, dict):
                raise DataError(f"{where} must be an object.")
            name, kind = c.get("name"), c.get("kind")
            if not isinstance(name, str) or not name:
                raise DataError(f"{where}.name must be a non-empty string.")
            if name in seen:
                raise DataError(f"{where}.name '{name}' appears twice.")
            seen.add(name)
            fill = c.get("fill")
            if kind == "numeric":
                mean, scale = c.get("mean"), c.get("scale")
                for key, v in (("mean", mean), ("scale", scale)):
                    if not _is_finite_number(v):
                        raise DataError(f"{where}.{key} must be a finite number, got {v!r}.")
                if scale <= 0:
                    raise DataError(f"{where}.scale must be > 0, got {scale!r}.")
                if fill is not None and not _is_finite_number(fill):
                    raise DataError(f"{where}.fill must be a finite number or null, got {fill!r}.")
                specs.append(
                    ColumnSpec(
                        name,
                        kind,
                        mean=float(mean),
                        scale=float(scale),
                        fill=None if fill is None else float(fill),
                    )
                )
            elif kind in ("categorical", "boolean"):
                cats = c.get("categories")
                if (
                    not isinstance(cats, list)
                    or not cats
                    or not all(isinstance(v, str) for v in cats)
                ):
                    raise DataError(f"{where}.categories must be a non-empty list of strings.")
                if cats != sorted(set(cats)):
                    raise DataError(f"{where}.categories must be sorted and unique.")
                if fill is not None and fill not in cats:
                    raise DataError(f"{where}.fill {fill!r} is not one of its categories.")
                reference = c.get("reference")
                if drop_first and reference != cats[0]:
                    raise DataError(
                        f"{where}.reference must be its first category {cats[0]!r} "
                        f"(preprocessing.drop_first is true), got {reference!r}."
                    )
                if not drop_first and reference is not None:
                    raise DataError(
                        f"{where}.reference is set but preprocessing.drop_first is false."
                    )
                specs.append(
                    ColumnSpec(name, kind, categories=list(cats), fill=fill, reference=reference)
                )
            else:
                raise DataError(
                    f"{where}.kind={kind!r} is not one of 'numeric', 'categorical', 'boolean'."
                )
            if impute is None and fill is not None:
                raise DataError(f"{where}.fill is set but preprocessing.impute is null.")
            if impute is not None and fill is None:
                raise DataError(f"{where}.fill is null but preprocessing.impute is {impute!r}.")
        self = cls(impute=impute, standardize=standardize, drop_first=drop_first)
        self.categorical = [s.name for s in specs if s.kind != "numeric"]
        self.columns_ = specs
        return self

    def __repr__(self) -> str:
        state = "unfitted" if self.columns_ is None else f"{len(self.columns_)} columns"
        return f"TablePreprocessor(impute={self.impute!r}, {state})"
