"""The table preprocessing: feature columns of a pyarrow Table -> a float64 design matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .._text import names as _names
from .._text import quoted as _quoted
from ..errors import DataError, InvalidParameterError
from ._categories import (
    check_identifier,
    check_mostly_numbers,
    check_numbers_as_text,
    check_pooling,
    check_row_number,
    kept_categories,
)
from ._columns import (
    ColumnSpec,
    TransformReport,
    _category_array,
    _check_not_numeric_typo,
    _ColumnAccumulator,
    _decode,
    _float_values,
    _missing_mask,
    _missing_message,
    _strictly_increasing,
    _time_values,
    as_arrow_table,
    check_present,
    is_time_type,
    mean_and_scale,
)
from ._serialise import IMPUTE_CHOICES, read_preprocessing

__all__ = ["IMPUTE_CHOICES", "TablePreprocessor", "TransformReport"]


#: ``sparse="auto"`` gives CSR when at most this share of the design's entries can be non-zero
#: (one per numeric and categorical column of a row): ColumnTransformer(sparse_threshold=0.3).
SPARSE_THRESHOLD = 0.3


class TablePreprocessor(TransformerMixin, BaseEstimator):
    """Turns the feature columns of a table into a float64 design matrix.

    Numeric columns (integers, floats, decimals; dates and datetimes as days since
    1970-01-01) become ``(x - mean) / scale`` (``scale`` the population standard
    deviation, 1 for a constant column); string, dictionary and boolean columns become one
    0/1 column per category, categories sorted. Statistics are computed on the
    non-missing training values. A scikit-learn transformer: ``fit`` and ``transform``
    take a pyarrow Table, a pandas DataFrame or a dict of columns, so it composes with
    ``Pipeline`` (``Pipeline([("table", TablePreprocessor()), ("lr",
    LogisticRegression())]).fit(df, y)``).

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
    sparse : {"auto", True, False}, default="auto"
        The design's format: a ``scipy.sparse`` CSR matrix (memory proportional to the
        non-zeros: one per numeric and one per categorical column of a row, whatever the
        number of categories) or a dense array. ``"auto"``: CSR when at most
        :data:`SPARSE_THRESHOLD` of the entries can be non-zero.
    min_frequency : int >= 1, float in (0, 1) or None, default=None
        Categories seen in fewer training rows (int) or a smaller share of them (float)
        are pooled into one level, ``"name=(other)"``, which also takes the categories
        never seen in training (scikit-learn's ``OneHotEncoder(min_frequency=...,
        handle_unknown="infrequent_if_exist")``).
    max_categories : int >= 2 or None, default=None
        At most this many output levels per categorical column, the pooled level
        included: the ``max_categories - 1`` most frequent categories (ties: the first
        in sorted order) are kept.

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

    Warns
    -----
    DataWarning
        At fit: a text column with half as many distinct values as rows or more (an
        identifier; from 90% on, without pooling, a :class:`DataError`), a column of
        strictly increasing integers (a row number), a text column that is mostly numbers.
    """

    def __init__(
        self,
        *,
        impute=None,
        standardize=True,
        categorical=None,
        drop_first=False,
        sparse="auto",
        min_frequency=None,
        max_categories=None,
    ):
        self.impute = impute
        self.standardize = standardize
        self.categorical = categorical
        self.drop_first = drop_first
        self.sparse = sparse
        self.min_frequency = min_frequency
        self.max_categories = max_categories

    def _check_params(self):
        if self.impute is not None and self.impute not in IMPUTE_CHOICES:
            raise InvalidParameterError(
                f"impute={self.impute!r} is not accepted; impute accepts None, 'mean' or "
                "'most-frequent'."
            )
        if not (self.sparse == "auto" or isinstance(self.sparse, bool | np.bool_)):
            raise InvalidParameterError(
                f"sparse={self.sparse!r} is not accepted; sparse accepts 'auto', True or False."
            )
        check_pooling(self.min_frequency, self.max_categories)

    @property
    def _categorical(self) -> list[str]:
        return [str(c) for c in (self.categorical or [])]

    @property
    def _pooling(self) -> bool:
        return self.min_frequency is not None or self.max_categories is not None

    # -- fitting ----------------------------------------------------------------------
    def fit(self, X, y=None, *, columns: Sequence[str] | None = None) -> TablePreprocessor:
        """Learn the column statistics.

        Parameters
        ----------
        X : pyarrow.Table, pandas.DataFrame or dict of columns, of n_rows rows
        y : ignored
            Accepted for scikit-learn's ``Pipeline``.
        columns : sequence of str, optional
            The feature columns, in order; default every column of ``X``.

        Raises
        ------
        DataError
            A column is missing, of an unsupported type, entirely missing, holds text in a
            mostly numeric column, is an identifier (see the class), or has missing values
            while ``impute`` is None.
        """
        self._check_params()
        table = as_arrow_table(X)
        names = None if y is None or isinstance(y, str) else np.asarray(y, dtype=object)
        if (
            names is not None
            and names.ndim == 1
            and names.size
            and all(isinstance(v, str) for v in names)
            and (names.size != table.num_rows or all(v in table.column_names for v in names))
        ):
            # fit(table, ["a", "b"]): the feature list in y's place would be ignored
            raise InvalidParameterError(
                f"fit's second argument is y (ignored), not the feature columns "
                f"{names.tolist()[:5]!r}; give them as columns=[...]."
            )
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
            check_row_number(
                name,
                pa.types.is_integer(col.type) and _strictly_increasing(observed),
                observed.size,
            )
            center, std = mean_and_scale(observed)
            mean, scale = 0.0, 1.0
            if self.standardize:
                mean = center
                # A constant column carries no information; scale 1 keeps it finite (it
                # becomes all zeros) instead of dividing by 0.
                scale = std if std > 0.0 and np.isfinite(std) else 1.0
            fill = None
            if self.impute == "mean":
                fill = center
            elif self.impute == "most-frequent":
                vals, counts = np.unique(observed, return_counts=True)
                fill = float(vals[np.argmax(counts)])
            time = is_time_type(col.type)
            return ColumnSpec(name, "numeric", mean=mean, scale=scale, fill=fill, time=time), miss
        counts = pc.value_counts(_category_array(col, kind).drop_null()).to_pylist()
        counts = {str(d["values"]): int(d["counts"]) for d in counts}
        return self._categorical_spec(name, kind, counts, len(col)), miss

    @staticmethod
    def _check_row_number(name, increasing: bool, n_values: int) -> None:
        check_row_number(name, increasing, n_values)  # for the streamed accumulator

    def _categorical_spec(self, name, kind, counts: dict, n_rows: int) -> ColumnSpec:
        """The spec of a one-hot column from its training ``counts`` (category -> rows, of
        ``n_rows`` rows with the missing ones): the numbers-as-text, identifier and
        mostly-numbers checks, the pooling of rare categories, the most frequent category
        as the fill, the reference category with ``drop_first``."""
        n = sum(counts.values())
        categories = sorted(counts)
        if name not in self._categorical:
            check_numbers_as_text(name, counts, n)
        kept = kept_categories(counts, n_rows, self.min_frequency, self.max_categories)
        check_identifier(name, kind, len(categories), len(kept), n)
        if name not in self._categorical:
            check_mostly_numbers(name, counts, n)
        other = len(kept) < len(categories)
        if self.drop_first and other and not kept:
            raise DataError(
                f"column '{name}': every category is pooled into '(other)' (min_frequency="
                f"{self.min_frequency!r}, max_categories={self.max_categories!r}), a constant "
                "that an unpenalised fit cannot tell from the intercept; pool less, or "
                f"exclude it (exclude=['{name}'])."
            )
        fill = None
        if self.impute is not None:
            # Most frequent category; ties go to the first in sorted order.
            top = max(counts.values())
            fill = next(c for c in categories if counts[c] == top)
        reference = kept[0] if self.drop_first and kept else None
        return ColumnSpec(name, kind, categories=kept, fill=fill, reference=reference, other=other)

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
        batches : iterable of pyarrow.RecordBatch or pyarrow.Table, or a callable giving one
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
        self._check_params()
        batches = batches() if callable(batches) else batches
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
                check_present(batch, columns, f"data rows {start + 1}..")
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
        check_present(table, columns, "training data")
        unknown_cat = [c for c in self._categorical if c not in columns]
        if unknown_cat:
            raise DataError(
                f"categorical column(s) {_quoted(unknown_cat)} are not among the features "
                f"{_names(columns)}."
            )

    def _kind(self, name, col, check=True) -> str:
        """The column's kind, "numeric", "categorical" or "boolean", from its type."""
        t = col.type
        if name in self._categorical:
            if pa.types.is_boolean(t):
                return "boolean"
            return "categorical"
        if (
            pa.types.is_integer(t)
            or pa.types.is_floating(t)
            or pa.types.is_decimal(t)
            or is_time_type(t)
        ):
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
            f"numbers, dates, strings or booleans (leave it out: exclude=['{name}'])."
        )

    # -- transforming -----------------------------------------------------------------
    def _check_fitted(self):
        if getattr(self, "columns_", None) is None:
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

    def output_scaling(self) -> tuple[np.ndarray, np.ndarray]:
        """``(means, scales)`` of the output columns, shape (n_features_out,) each: a
        numeric column is ``(x - mean) / scale``, a one-hot one is used as it is (0, 1).
        A coefficient ``beta'`` of the design is ``beta' / scale`` per unit of the input
        (:meth:`logistic.inference.InferenceResult.per_unit`)."""
        self._check_fitted()
        means, scales = [], []
        for spec in self.columns_:
            numeric = spec.kind == "numeric"
            means += [spec.mean if numeric else 0.0] * spec.width
            scales += [spec.scale if numeric else 1.0] * spec.width
        return np.asarray(means), np.asarray(scales)

    def csv_column_types(self) -> dict:
        """Types to force when reading a CSV for :meth:`transform`: categorical columns
        as strings, so that codes such as ``"007"`` are not read as numbers."""
        self._check_fitted()
        return {s.name: pa.string() for s in self.columns_ if s.kind == "categorical"}

    @property
    def sparse_output(self) -> bool:
        """Whether :meth:`transform` returns a CSR matrix (see ``sparse``)."""
        self._check_fitted()
        if self.sparse != "auto":
            return bool(self.sparse)
        return len(self.columns_) <= SPARSE_THRESHOLD * self.n_features_out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The output column names (scikit-learn's transformer API)."""
        return np.asarray(self.feature_names_out, dtype=object)

    def transform(self, X):
        """The design matrix of ``X``; the report goes to :attr:`last_report_`.

        Parameters
        ----------
        X : pyarrow.Table, pandas.DataFrame or dict of columns, of n_rows rows
            Must hold every input column (by name, in any order; other columns are
            ignored).

        Returns
        -------
        ndarray or scipy.sparse.csr_matrix of shape (n_rows, n_features_out), float64
            CSR when :attr:`sparse_output`.

        Raises
        ------
        DataError
            A column is missing, a numeric column holds text (the message names the row),
            or there are missing values and ``impute`` is None.
        """
        X, report = self.transform_with_report(X)
        self.last_report_ = report
        return X

    def transform_with_report(self, table):
        """Like :meth:`transform`, returning ``(X, report)`` and leaving ``self`` unchanged.

        The design is built column by column as ``(rows, output column, value)`` with at
        most one entry per input column and row, so its memory is that of the non-zeros
        (a dense result is filled from the same entries).
        """
        self._check_fitted()
        table = as_arrow_table(table)
        check_present(table, self.input_columns, "the data")
        n = table.num_rows
        report = TransformReport(n_rows=n)
        missing = {}
        sparse_out = self.sparse_output
        if sparse_out:
            # entry (i, j) is value[i, j] at output column index[i, j] (-1: none)
            index = np.full((n, len(self.columns_)), -1, dtype=np.int64)
            value = np.zeros((n, len(self.columns_)), dtype=np.float64)
        else:  # written in place: a dense design costs itself only
            X = np.zeros((n, self.n_features_out), dtype=np.float64)
        offset = 0
        for j, spec in enumerate(self.columns_):
            col = _decode(table.column(spec.name))
            miss = _missing_mask(col)
            if miss.any():
                if spec.fill is None:
                    missing[spec.name] = np.flatnonzero(miss)
                else:
                    report.imputed[spec.name] = int(miss.sum())
            if spec.kind == "numeric":
                read = _time_values if spec.time else _float_values
                x = read(spec.name, col)
                if miss.any() and spec.fill is not None:
                    x = np.where(miss, spec.fill, x)
                if np.isinf(x).any():
                    row = np.flatnonzero(np.isinf(x))[0]
                    raise DataError(
                        f"column '{spec.name}' has an infinite value at data row {row + 1}; "
                        "numeric columns accept finite numbers."
                    )
                # x/s - m/s, not (x - m)/s: x - m overflows for x near +-1.8e308
                z = x / spec.scale - spec.mean / spec.scale
                if sparse_out:
                    index[:, j], value[:, j] = offset, z
                else:
                    X[:, offset] = z
            else:
                hot = self._one_hot(spec, col, miss, report)
                if sparse_out:
                    index[:, j] = np.where(hot >= 0, hot + offset, -1)
                    value[:, j] = 1.0
                else:
                    rows = np.flatnonzero(hot >= 0)
                    X[rows, offset + hot[rows]] = 1.0
            offset += spec.width
        if missing:
            raise DataError(_missing_message(missing, fit=False))
        if not sparse_out:
            return X, report
        present = index >= 0
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(present.sum(axis=1), out=indptr[1:])
        X = sp.csr_matrix((value[present], index[present], indptr), shape=(n, self.n_features_out))
        X.sum_duplicates()  # a no-op (one entry per input column); sorts the indices
        return X, report

    def _one_hot(self, spec, col, miss, report) -> np.ndarray:
        """Each row's column in the one-hot block of one column (-1: none: missing, the
        reference category, or unseen without a pooled level); counts unseen categories."""
        # Vectorised in Arrow: look every value up in the sorted vocabulary at once.
        arr = _category_array(col, spec.kind, spec.name)
        if miss.any() and spec.fill is not None:
            arr = pc.if_else(pa.array(miss), pa.scalar(spec.fill, pa.string()), arr)
        index = pc.index_in(arr, value_set=pa.array(spec.categories, type=pa.string()))
        idx = np.asarray(index.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        known = idx >= 0
        present = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        if spec.reference is not None:
            # Reference coding: the reference category's rows stay all zeros, the
            # categories after it shift one column to the left.
            ref = spec.categories.index(spec.reference)
            idx = np.where(idx == ref, -1, idx - (idx > ref))
        if spec.other:
            # everything else that is present, rare in training or unseen, is the pooled
            # level, the block's last column
            idx[~known & present] = spec.width - 1
            return idx
        unseen = ~known & present
        if unseen.any():
            counts = pc.value_counts(arr.filter(pa.array(unseen)))
            report.unseen[spec.name] = {
                str(v["values"]): int(v["counts"]) for v in counts.to_pylist()
            }
        return idx

    def transform_batch(self, batch):
        """The design matrix of one record batch (or table), shape (n_rows, n_features_out),
        CSR when :attr:`sparse_output`.

        A pure function of the batch (the report is discarded, ``self`` is not changed), as
        :class:`logistic.sources.StreamSource` requires of its ``transform``; picklable, so
        Dask workers can run it on their partitions.
        """
        X, _ = self.transform_with_report(batch)
        return X

    def fit_transform(self, X, y=None, *, columns=None):
        """``fit(X, columns=columns).transform(X)``; shape (n_rows, n_features_out)."""
        return self.fit(X, y, columns=columns).transform(X)

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
        if self.sparse != "auto":
            d["sparse"] = bool(self.sparse)
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
        params, specs = read_preprocessing(d)
        self = cls(**params)
        self.categorical = [s.name for s in specs if s.kind != "numeric"]
        self.columns_ = specs
        return self

    def __repr__(self) -> str:
        columns = getattr(self, "columns_", None)
        state = "unfitted" if columns is None else f"{len(columns)} columns"
        return f"TablePreprocessor(impute={self.impute!r}, {state})"
