"""Data files in, design matrices out: CSV and Parquet tables, the target, and preprocessing.

A table is read with pyarrow (:func:`read_table`; several files, a glob or a directory are
found by :func:`expand_paths` and streamed by :func:`iter_batches`), the target column split
off and checked (:func:`read_target`: 2 to :data:`MAX_CLASSES` distinct values of any type,
binary or multinomial), and the feature columns (:func:`select_features`) turned into a
float64 design matrix by a :class:`TablePreprocessor`:

- numeric columns are standardised, ``(x - mean) / scale`` with the population standard
  deviation as ``scale`` (a constant column gets ``scale = 1``);
- string, categorical (dictionary) and boolean columns are one-hot encoded against the sorted
  vocabulary seen in training; a category not seen in training encodes as all zeros and is
  counted in the :class:`TransformReport`, so that a caller can warn;
- missing values (the cells in :data:`NULL_VALUES`: empty, ``NA``, ``?`` ... in CSV; null or
  NaN in Parquet) are an error naming the columns and the first rows (1-based data rows, the
  header is not a row), unless ``impute="mean"`` or ``"most-frequent"`` asks to fill them
  with values learned in training.

The preprocessor serialises to a plain JSON dict (:meth:`TablePreprocessor.to_dict`), which
:mod:`logistic.persistence` stores in the model file.

Outputs are written atomically (:func:`atomic_write`, :func:`atomic_write_bytes`,
:func:`write_csv`: a crash never leaves a partial file; :func:`written_together`: several
outputs appear together or not at all; :func:`check_output_path` refuses an unwritable
destination before any work), and the training data is identified by
:func:`file_sha256` / :func:`array_sha256`.

Every mistake in the data raises :class:`logistic.errors.DataError` (a ``ValueError``) whose
one-line message names the file, column or row and says what is accepted.
"""

from __future__ import annotations

from .._atomic import (
    array_sha256,
    atomic_write,
    atomic_write_bytes,
    check_output_path,
    file_sha256,
    write_csv,
    written_together,
)
from .._classes import MAX_CLASSES
from .._csv import CsvDialect, detect_delimiter
from .._csv import compression as file_compression
from .._files import (
    NULL_VALUES,
    expand_paths,
    file_format,
    infer_format,
    iter_batches,
    read_schema,
    read_table,
)
from .._read_errors import boundary as read_boundary
from .._read_limits import ReadLimits, read_limits
from ._categories import check_pooling
from ._columns import ColumnSpec, as_arrow_table
from ._formula import (
    FormulaPreprocessor,
    formula_has_intercept,
    parse_formula,
    preprocessor_from_dict,
    unit_scales,
)
from ._preprocess import IMPUTE_CHOICES, SPARSE_THRESHOLD, TablePreprocessor, TransformReport
from ._target import (
    TargetRows,
    breast_cancer_table,
    check_class_count,
    read_target,
    read_target_rows,
    select_features,
)

__all__ = [
    "IMPUTE_CHOICES",
    "MAX_CLASSES",
    "NULL_VALUES",
    "SPARSE_THRESHOLD",
    "ColumnSpec",
    "CsvDialect",
    "FormulaPreprocessor",
    "ReadLimits",
    "TablePreprocessor",
    "TargetRows",
    "TransformReport",
    "array_sha256",
    "as_arrow_table",
    "atomic_write",
    "atomic_write_bytes",
    "breast_cancer_table",
    "check_class_count",
    "check_output_path",
    "check_pooling",
    "detect_delimiter",
    "expand_paths",
    "file_compression",
    "file_format",
    "file_sha256",
    "formula_has_intercept",
    "infer_format",
    "iter_batches",
    "parse_formula",
    "preprocessor_from_dict",
    "read_boundary",
    "read_limits",
    "read_schema",
    "read_table",
    "read_target",
    "read_target_rows",
    "select_features",
    "unit_scales",
    "write_csv",
    "written_together",
]
