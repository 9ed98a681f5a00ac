"""One column of a table: what is learned about it, and how its values are read.

:class:`ColumnSpec` is the learned state of one input column of a
:class:`~logistic.tables.TablePreprocessor`; :class:`_ColumnAccumulator` learns it over a
stream of batches; the functions below turn an Arrow column into float64 numbers or category
labels, with the messages that name the column and the data row when a value is wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._text import SHOW_ROWS as _SHOW_ROWS
from .._text import plural as _plural
from .._text import rows as _rows
from ..errors import DataError

__all__ = ["ColumnSpec"]

# A number as text: what float() accepts, without the words (inf, nan) that a categorical
# column may legitimately hold.
_NUMBER_RE = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"


@dataclass
class ColumnSpec:
    """What was learned about one input column.

    ``kind`` is ``"numeric"`` (``mean``, ``scale``), ``"categorical"`` or ``"boolean"``
    (``categories``, sorted). ``fill`` is the value that replaces a missing entry (a number
    for numeric columns, a category otherwise), or None when missing values are an error.
    ``reference`` is the category without an output column (reference coding: its rows are
    all zeros in the column's block), or None for full one-hot coding.
    """

    name: str
    kind: str
    mean: float = 0.0
    scale: float = 1.0
    categories: list[str] = field(default_factory=list)
    fill: float | str | None = None
    reference: str | None = None

    @property
    def width(self) -> int:
        """Number of output columns."""
        if self.kind == "numeric":
            return 1
        return len(self.categories) - (self.reference is not None)

    @property
    def encoded(self) -> list[str]:
        """The categories that have an output column, in order."""
        return [c for c in self.categories if c != self.reference]

    def output_names(self) -> list[str]:
        """The names of the output columns: the column name, or ``"name=category"``."""
        if self.kind == "numeric":
            return [self.name]
        return [f"{self.name}={c}" for c in self.encoded]

    def to_dict(self) -> dict:
        """A JSON-ready dict (read back by ``TablePreprocessor.from_dict``)."""
        d = {"name": self.name, "kind": self.kind}
        if self.kind == "numeric":
            d.update(mean=self.mean, scale=self.scale)
        else:
            d["categories"] = list(self.categories)
            if self.reference is not None:
                d["reference"] = self.reference
        d["fill"] = self.fill
        return d


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
        self.mean = 0.0
        self.m2 = 0.0  # sum of squared deviations from the mean
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
        )
        text_type = pa.types.is_string(t) or pa.types.is_large_string(t)
        if self.kind == "numeric" and not numeric_type:
            raise DataError(
                f"column '{self.name}' holds numbers in earlier rows but has type {t} from data "
                f"row {start + 1} on; a column must hold one kind of value in every file."
            )
        miss = _missing_mask(col)
        self.rows += len(col)
        if miss.any():
            self.n_missing += int(miss.sum())
            if sum(m.size for m in self.missing) < _SHOW_ROWS + 1:
                self.missing.append(np.flatnonzero(miss) + start)
        if self.kind == "numeric":
            x = _float_values(self.name, col)
            obs = x[~miss]
            if not np.all(np.isfinite(obs)):
                row = int(np.flatnonzero(np.isinf(x))[0]) + start
                raise DataError(
                    f"column '{self.name}' has an infinite value at data row {row + 1}; numeric "
                    "columns accept finite numbers."
                )
            if obs.size:
                # Chan, Golub & LeVeque (1979): combine (n, mean, M2) of two parts exactly.
                nb = obs.size
                mb = float(np.mean(obs))
                m2b = float(np.sum((obs - mb) ** 2))
                n = self.n + nb
                delta = mb - self.mean
                self.mean += delta * nb / n
                self.m2 += m2b + delta * delta * self.n * nb / n
                self.n = n
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
            mean, scale = 0.0, 1.0
            if pre.standardize:
                mean = self.mean
                std = math.sqrt(self.m2 / self.n)
                scale = std if std > 0.0 and math.isfinite(std) else 1.0
            fill = None
            if pre.impute == "mean":
                fill = self.mean
            elif pre.impute == "most-frequent":
                # Ties go to the smallest value, as np.unique's order gives in fit().
                top = max(self.counts.values())
                fill = float(min(v for v, c in self.counts.items() if c == top))
            return ColumnSpec(self.name, "numeric", mean=mean, scale=scale, fill=fill), miss
        n_text = sum(self.counts.values()) - self.n_numeric
        if (
            self.texts
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
        categories = sorted(self.counts)
        fill = None
        if pre.impute is not None:
            top = max(self.counts.values())
            fill = next(c for c in categories if self.counts[c] == top)
        return pre._categorical_spec(self.name, self.kind, categories, fill), miss


def _is_finite_number(v) -> bool:
    """A JSON number (not a bool) that is finite."""
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _float_values(name, col) -> np.ndarray:
    """A numeric column as float64 with NaN for missing; text that is not a number is a
    DataError naming the row (a numeric column read as text at prediction time)."""
    t = col.type
    if pa.types.is_null(t):
        return np.full(len(col), np.nan)
    if (
        pa.types.is_boolean(t)
        or pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or (pa.types.is_decimal(t))
    ):
        return np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    if pa.types.is_string(t):
        ok = pc.match_substring_regex(col, _NUMBER_RE).fill_null(True)
        bad = np.flatnonzero(~np.asarray(ok.to_numpy(zero_copy_only=False), dtype=bool))
        if bad.size:
            value = col[int(bad[0])].as_py()
            raise DataError(
                f"column '{name}' holds numbers but data row {bad[0] + 1} has '{value}'"
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


def _category_array(col, kind) -> pa.Array:
    """Category labels as a stripped string array (null for missing); booleans become
    'false'/'true', and text in a boolean column is compared in lower case."""
    t = col.type
    if pa.types.is_boolean(t):
        return pc.if_else(col, "true", "false")
    if pa.types.is_null(t):
        return pa.nulls(len(col), pa.string())
    if not pa.types.is_string(t):
        col = col.cast(pa.string())
    col = pc.utf8_trim_whitespace(col)
    if kind == "boolean":
        col = pc.utf8_lower(col)
    return col


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
