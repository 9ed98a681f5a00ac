"""One column of a table: what is learned about it, and how its values are read.

:class:`ColumnSpec` is the learned state of one input column of a
:class:`~logistic.tables.TablePreprocessor`; :class:`_ColumnAccumulator` learns it over a
stream of batches; the functions below turn an Arrow column into float64 numbers or category
labels, with the messages that name the column and the data row when a value is wrong.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._text import SHOW_ROWS as _SHOW_ROWS
from .._text import names as _names
from .._text import plural as _plural
from .._text import quoted as _quoted
from .._text import rows as _rows
from .._text import shown as _shown
from ..errors import DataError, DataWarning

__all__ = [
    "OTHER",
    "ColumnSpec",
    "TransformReport",
    "as_arrow_table",
    "is_time_type",
    "mean_and_scale",
]

# A number as text: what float() accepts, without the words (inf, nan) that a categorical
# column may legitimately hold.
_NUMBER_RE = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"


#: The name of the pooled level of a categorical column (rare and unseen categories),
#: after ``=`` in its output column's name.
OTHER = "(other)"


@dataclass
class ColumnSpec:
    """What was learned about one input column.

    ``kind`` is ``"numeric"`` (``mean``, ``scale``), ``"categorical"`` or ``"boolean"``
    (``categories``, sorted). ``fill`` is the value that replaces a missing entry (a number
    for numeric columns, a category otherwise), or None when missing values are an error.
    ``reference`` is the category without an output column (reference coding: its rows are
    all zeros in the column's block), or None for full one-hot coding. ``other`` is True
    when categories were pooled (``min_frequency`` / ``max_categories``): one more output
    column, last in the block, is 1 for every value not in ``categories``, rare in training
    or never seen.
    """

    name: str
    kind: str
    mean: float = 0.0
    scale: float = 1.0
    categories: list[str] = field(default_factory=list)
    fill: float | str | None = None
    reference: str | None = None
    other: bool = False
    time: bool = False  # a numeric column of dates or datetimes (days since 1970-01-01)

    @property
    def width(self) -> int:
        """Number of output columns."""
        if self.kind == "numeric":
            return 1
        return len(self.categories) - (self.reference is not None) + int(self.other)

    @property
    def encoded(self) -> list[str]:
        """The categories that have an output column, in order (the pooled level not
        included)."""
        return [c for c in self.categories if c != self.reference]

    def output_names(self) -> list[str]:
        """The names of the output columns: the column name, or ``"name=category"`` (and
        ``"name=(other)"`` for the pooled level)."""
        if self.kind == "numeric":
            return [self.name]
        names = [f"{self.name}={c}" for c in self.encoded]
        if self.other:
            names.append(f"{self.name}={OTHER}")
        return names

    def to_dict(self) -> dict:
        """A JSON-ready dict (read back by ``TablePreprocessor.from_dict``)."""
        d = {"name": self.name, "kind": self.kind}
        if self.kind == "numeric":
            d.update(mean=self.mean, scale=self.scale)
            if self.time:
                d["time"] = True
        else:
            d["categories"] = list(self.categories)
            if self.reference is not None:
                d["reference"] = self.reference
            if self.other:
                d["other"] = True
        d["fill"] = self.fill
        return d


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
            shown = ", ".join(f"'{_shown(k)}' x{v}" for k, v in top[:3])
            more = f", ... ({len(top) - 3} more)" if len(top) > 3 else ""
            parts.append(f"{col}: {shown}{more}")
        return (
            f"{self.n_unseen} value(s) in categories not seen in training were encoded as all "
            f"zeros ({'; '.join(parts)})."
        )


def check_present(table, columns, where) -> None:
    """Refuse a table that lacks one of ``columns``, listing what it has."""
    available = table.column_names
    missing = [c for c in columns if c not in available]
    if missing:
        what = "column" if len(missing) == 1 else "columns"
        raise DataError(
            f"{where} lacks {what} {_quoted(missing)} that the model uses; "
            f"available: {_names(available)}."
        )


def _decode(col):
    """A plain (non-dictionary, single-chunk-compatible) column."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    if pa.types.is_large_string(col.type) or pa.types.is_string_view(col.type):
        col = col.cast(pa.string())
    return col


def _missing_mask(col) -> np.ndarray:
    """True where a value is null, or NaN in a floating column."""
    mask = np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_floating(col.type):
        mask |= np.asarray(pc.is_nan(col).fill_null(False).to_numpy(zero_copy_only=False))
    return mask


class _ColumnAccumulator:
    """One column's statistics over a stream of batches (see ``fit_batches``)."""

    def __init__(self, name, kind, impute_counts=False):
        self.name = name
        self.kind = kind
        self.impute_counts = impute_counts  # count numeric values (impute="most-frequent")
        self.n = 0  # observed (non-missing) values
        self.mean = 0.0  # of x / ref
        self.m2 = 0.0  # sum of squared deviations from the mean, of x / ref
        self.ref = 0.0  # max |x| so far: the unit of mean and m2
        self.increasing = True  # integers, strictly increasing in file order so far
        self.time = False  # dates or datetimes
        self.last = -math.inf
        self.counts: dict = {}  # category (or, for most-frequent, number) -> rows
        self.missing: list[np.ndarray] = []
        self.n_missing = 0
        self.rows = 0
        # For the typo check of a text column: values that are numbers, and the text ones.
        self.n_numeric = 0
        self.texts: dict[str, int] = {}  # distinct text -> first data row (at most 3 kept)

    def add(self, col, start) -> None:
        """Add one batch's column; ``start`` is the batch's first data row (0-based)."""
        t = col.type
        numeric_type = (
            pa.types.is_integer(t)
            or pa.types.is_floating(t)
            or pa.types.is_decimal(t)
            or pa.types.is_null(t)
            or is_time_type(t)
        )
        text_type = pa.types.is_string(t) or pa.types.is_large_string(t)
        if self.kind == "numeric" and not numeric_type:
            raise DataError(
                f"column '{self.name}' holds numbers in earlier rows but has type {t} from data "
                f"row {start + 1} on; a column must hold one kind of value in every file."
            )
        miss = _missing_mask(col)
        self.time = self.time or is_time_type(t)
        self.rows += len(col)
        if miss.any():
            self.n_missing += int(miss.sum())
            if sum(m.size for m in self.missing) < _SHOW_ROWS + 1:
                self.missing.append(np.flatnonzero(miss) + start)
        if self.kind == "numeric":
            x = _float_values(self.name, col, start)
            obs = x[~miss]
            if not np.all(np.isfinite(obs)):
                row = int(np.flatnonzero(np.isinf(x))[0]) + start
                raise DataError(
                    f"column '{self.name}' has an infinite value at data row {row + 1}; numeric "
                    "columns accept finite numbers."
                )
            if obs.size:
                # (mean, M2) are kept in units of ref = max|x| so far, rescaled when a batch
                # raises it: no square overflows (see mean_and_scale)
                ref = max(self.ref, float(np.max(np.abs(obs)))) or 1.0
                if ref != self.ref and self.n:
                    self.mean *= self.ref / ref
                    self.m2 *= (self.ref / ref) ** 2
                self.ref = ref
                xs = obs / ref
                # Chan, Golub & LeVeque (1979): combine (n, mean, M2) of two parts exactly.
                nb = xs.size
                mb = float(np.mean(xs))
                m2b = float(np.sum((xs - mb) ** 2))
                n = self.n + nb
                delta = mb - self.mean
                self.mean += delta * nb / n
                self.m2 += m2b + delta * delta * self.n * nb / n
                self.n = n
                if self.increasing:
                    self.increasing = pa.types.is_integer(t) and _strictly_increasing(
                        obs, self.last
                    )
                    self.last = float(obs[-1])
                if self.impute_counts:
                    vals, cnt = np.unique(obs, return_counts=True)
                    for v, c in zip(vals.tolist(), cnt.tolist(), strict=True):
                        self.counts[v] = self.counts.get(v, 0) + c
            return
        if text_type and self.kind == "categorical":
            nonnull = col.drop_null()
            is_num = np.asarray(
                pc.match_substring_regex(nonnull, _NUMBER_RE).to_numpy(zero_copy_only=False),
                dtype=bool,
            )
            self.n_numeric += int(is_num.sum())
            if (~is_num).any() and len(self.texts) < 3:
                full = np.asarray(
                    pc.match_substring_regex(col, _NUMBER_RE)
                    .fill_null(True)
                    .to_numpy(zero_copy_only=False),
                    dtype=bool,
                )
                for r in np.flatnonzero(~full):
                    self.texts.setdefault(col[int(r)].as_py(), int(r) + start)
                    if len(self.texts) >= 3:
                        break
        arr = _category_array(col, self.kind).drop_null()
        for d in pc.value_counts(arr).to_pylist():
            key = str(d["values"])
            self.counts[key] = self.counts.get(key, 0) + int(d["counts"])

    def finish(self, pre) -> tuple[ColumnSpec, np.ndarray]:
        """The column's spec and its first missing rows (0-based)."""
        miss = np.concatenate(self.missing) if self.missing else np.zeros(0, dtype=np.intp)
        if self.n_missing == self.rows:
            raise DataError(
                f"column '{self.name}' has no values (every row is missing); drop it from the "
                "features."
            )
        if self.kind == "numeric":
            pre._check_row_number(self.name, self.increasing and self.n >= 1, self.n)
            mean, scale = 0.0, 1.0
            if pre.standardize:
                mean = self.mean * self.ref
                std = math.sqrt(self.m2 / self.n) * self.ref
                scale = std if std > 0.0 and math.isfinite(std) else 1.0
            fill = None
            if pre.impute == "mean":
                fill = self.mean * self.ref
            elif pre.impute == "most-frequent":
                # Ties go to the smallest value, as np.unique's order gives in fit().
                top = max(self.counts.values())
                fill = float(min(v for v, c in self.counts.items() if c == top))
            spec = ColumnSpec(self.name, "numeric", mean=mean, scale=scale, fill=fill)
            spec.time = self.time
            return spec, miss
        n_text = sum(self.counts.values()) - self.n_numeric
        if (
            self.name not in pre._categorical  # listed as categories: meant so
            and self.texts
            and len(self.texts) <= 2
            and n_text <= max(2, (self.rows - self.n_missing) // 20)
            and self.n_numeric >= (self.rows - self.n_missing) / 2
        ):
            value, row = next(iter(self.texts.items()))
            raise DataError(
                f"column '{self.name}' holds numbers but data row {row + 1} has '{value}'"
                + (f" ({n_text} rows in all)" if n_text > 1 else "")
                + "; numeric columns accept numbers, or empty/NA for a missing value "
                "(to treat the column as categories, list it with --categorical)."
            )
        return pre._categorical_spec(self.name, self.kind, self.counts, self.rows), miss


def _looks_numeric(text: str) -> bool:
    """Whether one category label is a number as text (the rule of the typo checks)."""
    return re.match(_NUMBER_RE, text) is not None


def _strictly_increasing(x: np.ndarray, before: float = -math.inf) -> bool:
    """Whether ``x`` (non-missing values in file order) increases strictly, after
    ``before``: the signature of a row number or a sequential id."""
    return bool(x.size == 0 or (x[0] > before and np.all(np.diff(x) > 0)))


def _is_finite_number(v) -> bool:
    """A JSON number (not a bool) that is finite."""
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def is_time_type(t) -> bool:
    """Dates and datetimes (Arrow ``date32``/``date64``/``timestamp``): numeric features
    as days since 1970-01-01 (see :func:`_float_values`)."""
    return pa.types.is_date(t) or pa.types.is_timestamp(t)


_SECONDS_PER_UNIT = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def _days(col) -> np.ndarray:
    """A date or datetime column as float64 days since 1970-01-01 (UTC for a timestamp
    with a time zone; naive ones as written), NaN where missing."""
    t = col.type
    if pa.types.is_date32(t):
        days = pc.cast(col, pa.int32()).to_numpy(zero_copy_only=False).astype(np.float64)
    elif pa.types.is_date64(t):
        days = pc.cast(col, pa.int64()).to_numpy(zero_copy_only=False) / 86_400_000.0
    else:
        ticks = pc.cast(col, pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64)
        days = ticks * (_SECONDS_PER_UNIT[t.unit] / 86_400.0)
    return np.asarray(days, dtype=np.float64)


def as_arrow_table(data) -> pa.Table:
    """``data`` (a pyarrow Table or RecordBatch, a pandas DataFrame, or a dict of columns)
    as a pyarrow Table; anything else is a DataError saying what is accepted."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if hasattr(data, "columns") and hasattr(data, "iloc"):  # a pandas DataFrame
        return pa.Table.from_pandas(data, preserve_index=False)
    if isinstance(data, dict):
        try:
            return pa.table({str(k): v for k, v in data.items()})
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise DataError(
                f"cannot make a table of the dict given ({exc}); it accepts columns of "
                "equal length: lists or arrays of numbers, strings or booleans."
            ) from None
    raise DataError(
        f"a table is expected, got {type(data).__name__}; tables are pyarrow Tables, pandas "
        "DataFrames or dicts of columns (name -> values)."
    )


def _time_values(name, col) -> np.ndarray:
    """Days since 1970-01-01 of a date or datetime column, also when it was read as text
    (ISO 8601, as pandas leaves a CSV's dates): the column of a model trained on dates."""
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        text = pc.utf8_trim_whitespace(col)
        # microseconds reach the years 1 to 9999; a zone ("Z", "+01:00") is read as UTC
        for kind in (pa.timestamp("us"), pa.timestamp("us", tz="UTC")):
            try:
                return _float_values(name, pc.cast(text, kind))
            except pa.ArrowInvalid:
                continue
        raise DataError(
            f"column '{name}' holds dates in training but text that is not an ISO 8601 date "
            "here (YYYY-MM-DD, optionally with a time, all with a zone or none); give its "
            "dates in that form."
        )
    return _float_values(name, col)


def _float_values(name, col, start=0) -> np.ndarray:
    """A numeric column as float64 with NaN for missing; text that is not a number is a
    DataError naming the row (a numeric column read as text at prediction time); ``start``
    is the column's first data row (0-based), for the messages."""
    t = col.type
    if pa.types.is_null(t):
        return np.full(len(col), np.nan)
    if is_time_type(t):
        return _days(col)
    if pa.types.is_integer(t) and t.bit_width == 64:
        _warn_if_rounded(name, col, start)
        # safe=False: integers beyond 2**53 round to the nearest float64 (warned above)
        # instead of raising
        return np.asarray(
            pc.cast(col, pa.float64(), safe=False).to_numpy(zero_copy_only=False),
            dtype=np.float64,
        )
    if (
        pa.types.is_boolean(t)
        or pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or (pa.types.is_decimal(t))
    ):
        return np.asarray(
            pc.cast(col, pa.float64(), safe=False).to_numpy(zero_copy_only=False),
            dtype=np.float64,
        )
    if pa.types.is_string(t):
        ok = pc.match_substring_regex(col, _NUMBER_RE).fill_null(True)
        bad = np.flatnonzero(~np.asarray(ok.to_numpy(zero_copy_only=False), dtype=bool))
        if bad.size:
            value = col[int(bad[0])].as_py()
            raise DataError(
                f"column '{name}' holds numbers but data row {start + bad[0] + 1} has '{value}'"
                + (f" ({bad.size} rows in all)" if bad.size > 1 else "")
                + "; numeric columns accept numbers, or empty/NA for a missing value."
            )
        return np.asarray(
            pc.utf8_trim_whitespace(col).cast(pa.float64()).to_numpy(zero_copy_only=False),
            dtype=np.float64,
        )
    raise DataError(
        f"column '{name}' has type {t} but the model expects numbers; numeric columns accept "
        "integers or floats."
    )


_EXACT_INT = 2**53  # every integer of magnitude <= 2**53 is a float64 exactly


def _warn_if_rounded(name, col, start) -> None:
    """Warn when 64-bit integers beyond 2**53 lose digits as float64."""
    v = pc.fill_null(col, 0).to_numpy(zero_copy_only=False)
    big = v > _EXACT_INT
    if pa.types.is_signed_integer(col.type):
        big |= v < -_EXACT_INT
    if not big.any():
        return
    row = int(np.flatnonzero(big)[0])
    warnings.warn(
        f"column '{name}' has integers beyond 2**53 (data row {start + row + 1}: "
        f"{col[row].as_py()}), "
        "which float64 rounds to 15-16 significant digits; a column of ids or timestamps is "
        f"rarely a useful number: exclude it (exclude=['{name}']), or list it as "
        f"categorical=['{name}'].",
        DataWarning,
        stacklevel=2,
    )


def mean_and_scale(x: np.ndarray) -> tuple[float, float]:
    """``(mean, population standard deviation)`` of the finite values ``x``, computed on
    ``x / max|x|`` so that neither the squares nor the sum overflow (values up to the
    largest float64 standardise; ``np.std`` of ``[1e308, -1e308]`` is inf)."""
    if x.size == 0:
        return 0.0, 0.0
    ref = float(np.max(np.abs(x)))
    if ref == 0.0:
        return 0.0, 0.0
    xs = x / ref
    return float(np.mean(xs)) * ref, float(np.std(xs)) * ref


def _category_array(col, kind, name=None) -> pa.Array:
    """Category labels as a stripped string array (null for missing); booleans become
    'false'/'true', and text in a boolean column is compared in lower case. A column whose
    type has no text (binary, lists, structs) is a DataError naming ``name``."""
    t = col.type
    if pa.types.is_boolean(t):
        return pc.if_else(col, "true", "false")
    if pa.types.is_null(t):
        return pa.nulls(len(col), pa.string())
    if not (pa.types.is_string(t) or _is_number_or_time(t)):
        raise DataError(
            f"column '{name}' has type {t}, but the model reads it as categories; "
            "categorical columns accept text, booleans or numbers."
        )
    if not pa.types.is_string(t):
        col = col.cast(pa.string())
    col = pc.utf8_trim_whitespace(col)
    if kind == "boolean":
        col = pc.utf8_lower(col)
    return col


def _is_number_or_time(t) -> bool:
    kinds = (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal, pa.types.is_temporal)
    return any(kind(t) for kind in kinds)


def _check_not_numeric_typo(name, col):
    """A text column whose values are nearly all numbers has a typo, not categories."""
    nonnull = col.drop_null()
    n = len(nonnull)
    if n == 0:
        return
    is_num = np.asarray(
        pc.match_substring_regex(nonnull, _NUMBER_RE).to_numpy(zero_copy_only=False), dtype=bool
    )
    n_text = int((~is_num).sum())
    if n_text == 0:
        return
    n_distinct_text = len(set(nonnull.filter(pa.array(~is_num)).to_pylist()))
    # A couple of stray words among numbers is a typo; many words are categories.
    if n_distinct_text <= 2 and n_text <= max(2, n // 20) and is_num.sum() >= n / 2:
        full = np.asarray(
            pc.match_substring_regex(col, _NUMBER_RE)
            .fill_null(True)
            .to_numpy(zero_copy_only=False),
            dtype=bool,
        )
        row = int(np.flatnonzero(~full)[0])
        raise DataError(
            f"column '{name}' holds numbers but data row {row + 1} has '{col[row].as_py()}'"
            + (f" ({n_text} rows in all)" if n_text > 1 else "")
            + "; numeric columns accept numbers, or empty/NA for a missing value "
            "(to treat the column as categories, list it with --categorical)."
        )


def _missing_message(missing: dict, *, fit: bool) -> str:
    """The message for missing values: columns, counts and first rows, and what to do."""
    parts = [
        f"'{name}' ({_plural(rows.size, 'row')}: {_rows(rows)})"
        for name, rows in list(missing.items())[:6]
    ]
    more = f", ... ({len(missing) - 6} more columns)" if len(missing) > 6 else ""
    fix = (
        "fill them with --impute mean or --impute most-frequent (impute= in Python), "
        "or remove those rows"
        if fit
        else "this model was trained without imputation, so fill or remove those rows"
    )
    return f"missing values in column(s) {', '.join(parts)}{more} (data rows, 1-based); {fix}."
