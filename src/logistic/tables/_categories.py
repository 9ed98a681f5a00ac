"""What a categorical column's training counts decide: which categories keep a column
(pooling), and the warnings and refusals about columns that are probably not features
(identifiers, row numbers, numbers written as text)."""

from __future__ import annotations

import numbers
import re
import warnings

import numpy as np

from ..errors import DataError, DataWarning, InvalidParameterError
from ._columns import OTHER, _looks_numeric

__all__ = [
    "check_identifier",
    "check_mostly_numbers",
    "check_numbers_as_text",
    "check_pooling",
    "check_row_number",
    "kept_categories",
]

# A text column with at least this many distinct values per non-missing value (and at
# least _ID_MIN_ROWS values) is an identifier: one-hot encoding it would give about one
# coefficient per row. From _ID_WARN on, a warning; from _ID_REFUSE on, without pooling,
# an error naming the column and how to drop it.
_ID_WARN = 0.5
_ID_REFUSE = 0.9
_ID_MIN_ROWS = 20
# A text column that is mostly numbers is warned about once more than this many distinct
# numbers would become categories (a few codes among words are categories as meant).
_MANY_NUMBERS = 10


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def check_pooling(min_frequency, max_categories) -> None:
    """Refuse pooling parameters outside what is accepted."""
    m = min_frequency
    if not (
        m is None
        or (_is_int(m) and m >= 1)
        or (isinstance(m, numbers.Real) and not isinstance(m, bool) and 0.0 < m < 1.0)
    ):
        raise InvalidParameterError(
            f"min_frequency={m!r} is not accepted; min_frequency accepts an int >= 1 (rows), "
            "a float in (0, 1) (a share of the rows) or None."
        )
    k = max_categories
    if k is not None and not (_is_int(k) and k >= 2):
        raise InvalidParameterError(
            f"max_categories={k!r} is not accepted; max_categories accepts an int >= 2 "
            "(the pooled level included) or None."
        )


def kept_categories(counts: dict, n_rows: int, min_frequency, max_categories) -> list[str]:
    """The categories of ``counts`` (category -> training rows; ``n_rows`` rows in all,
    missing ones included) that keep their own column, sorted; the others are pooled into
    ``(other)``.

    scikit-learn's ``OneHotEncoder`` rules, exactly: a category seen in fewer than
    ``min_frequency`` rows (an int) or ``min_frequency * n_rows`` (a float) is pooled; then,
    if the categories left plus the pooled level exceed ``max_categories``, only the
    ``max_categories - 1`` most frequent stay (a stable sort by count: of equal counts, the
    later in sorted order stay).
    """
    cats = sorted(counts)
    if min_frequency is None and max_categories is None:
        return cats
    count = np.asarray([counts[c] for c in cats])
    pooled = np.zeros(len(cats), dtype=bool)
    if min_frequency is not None:
        least = min_frequency if _is_int(min_frequency) else min_frequency * n_rows
        pooled = count < least
    if max_categories is not None and max_categories < len(cats) - pooled.sum() + 1:
        keep = max_categories - 1
        pooled[np.argsort(count, kind="mergesort")[: len(cats) - keep]] = True
    # a category spelled like the pooled level goes into it (one name, one column)
    return [c for c, p in zip(cats, pooled, strict=True) if not p and c != OTHER]


def check_row_number(name, increasing: bool, n_values: int) -> None:
    """Warn about a numeric column of strictly increasing integers (a row number or a
    sequential id): as a feature it carries the order of the rows."""
    if increasing and n_values >= _ID_MIN_ROWS:
        warnings.warn(
            f"column '{name}' holds strictly increasing integers (a row number or a "
            "sequential id?); as a feature it carries the order of the rows: exclude "
            f"it (exclude=['{name}']) unless the order means something.",
            DataWarning,
            stacklevel=5,
        )


# A number written with a decimal comma (or with digit groups): what a ';'-separated export
# holds in its number columns when read without the decimal mark.
_COMMA_NUMBER = re.compile(r"^\s*[+-]?\d{1,3}([.,' ]\d{3})*(,\d+)?\s*$|^\s*[+-]?\d+,\d+\s*$")


def check_numbers_as_text(name, counts: dict, n: int) -> None:
    """Refuse a text column whose values are nearly all numbers written with a decimal
    comma or digit groups (``729,5265``, ``1.498,23``): read as text they would become one
    category per value; the reader's decimal mark or separator reads them as numbers."""
    if n < _ID_MIN_ROWS:
        return
    written = sum(c for v, c in counts.items() if _COMMA_NUMBER.match(v) and not _looks_numeric(v))
    plain = sum(c for v, c in counts.items() if _looks_numeric(v))
    if written < 0.1 * n or written + plain < 0.9 * n:
        return
    example = next(v for v in counts if _COMMA_NUMBER.match(v) and not _looks_numeric(v))
    raise DataError(
        f"column '{name}' holds numbers written with a decimal comma or digit groups "
        f"('{example}' ...), read as text; read the file with decimal=',' (and "
        "thousands='.' if there are digit groups), or thousands=',' for 1,498.23."
    )


def check_identifier(name, kind, n_distinct, n_kept, n_values) -> None:
    """A text column with about one distinct value per row is an identifier: a warning,
    and an error when the categories that keep a column (``n_kept``, after any pooling)
    are still nearly one per row."""
    if kind != "categorical" or n_values < _ID_MIN_ROWS:
        return
    share = n_distinct / n_values
    if share < _ID_WARN:
        return
    what = (
        f"column '{name}' has {n_distinct:,} distinct values in {n_values:,} rows "
        f"({share:.0%}), like an identifier"
    )
    if n_kept / n_values >= _ID_REFUSE:
        raise DataError(
            f"{what}: one-hot encoding it would learn about one coefficient per row; "
            f"exclude it (exclude=['{name}']), or pool its rare values (min_frequency=5)."
        )
    warnings.warn(
        f"{what}; {n_kept:,} of its categories keep a column, most of them few rows with "
        f"noisy coefficients: exclude it (exclude=['{name}']) unless it is meant as a "
        "feature.",
        DataWarning,
        stacklevel=5,
    )


def check_mostly_numbers(name, counts: dict, n: int) -> None:
    """Warn when a text column is mostly numbers with a few words: it becomes one
    category per distinct number, rarely what was meant."""
    texts = [c for c in counts if not _looks_numeric(c)]
    n_text = sum(counts[c] for c in texts)
    n_numbers = n - n_text
    if not texts or n_numbers < n / 2 or len(counts) - len(texts) <= _MANY_NUMBERS:
        return
    top = sorted(texts, key=lambda c: (-counts[c], c))
    shown = ", ".join(f"'{c}' x{counts[c]}" for c in top[:3])
    more = f", ... ({len(top) - 3} more)" if len(top) > 3 else ""
    warnings.warn(
        f"column '{name}' holds numbers in {n_numbers:,} of {n:,} rows and text in the "
        f"others ({shown}{more}), so it is encoded as {len(counts):,} categories; to read "
        "it as numbers make those cells empty (or read the file with its thousands / "
        f"decimal marks), or list it as categorical=['{name}'] to keep categories.",
        DataWarning,
        stacklevel=5,
    )
