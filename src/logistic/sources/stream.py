"""Rows streamed from Parquet or CSV files, out of core: one pass over the files per call.

Every full-batch quantity is a sum over rows (:mod:`logistic._kernel`), so a file source
only reads record batches one after the other, turns each into arrays and adds the kernel's
sums: :meth:`StreamSource.aggregate` runs a task (:mod:`logistic.sources._tasks`) over the
record batches ``B_1, ..., B_K`` of the files, in file order, one pass a call; every other
pass (loss, gradient, Hessian, Hessian-vector products, Gram matrices) is derived from it by
:class:`logistic.sources.Source`. Nothing is kept between passes.

Peak memory is a few record batches (``batch_size`` rows of the columns read, decoded,
plus the dense ``(batch_size, n_features)`` block handed to the kernel), never the file.
Parquet column chunks are read through a buffered stream, but pyarrow still decodes one row
group's column chunks at a time, so peak memory is about ``max(batch_size, row-group size)``
rows of the columns read: write large files with bounded row groups. CSV is read by
pyarrow's streaming reader in blocks of bytes.

A binary target is mapped to ``y in {0, 1}``: ``y = 1`` where it equals the positive
label, which is ``positive_label`` when given, else the larger of the two sorted distinct
values found by the initial pass (the scikit-learn convention, ``classes_[1]``). A target
with more values is mapped to indices into the sorted ``classes_`` (the multinomial model).
"""

from __future__ import annotations

import queue
import threading
import warnings
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from .._classes import (
    MAX_CLASSES,
    case_collisions,
    check_class_weight,
    check_labels,
    class_weight_factors,
    too_many_classes,
)
from .._files import expand_paths, infer_format, iter_batches, read_schema
from .._text import names as _names
from .._text import quoted as _quoted
from .._text import shown as _shown
from ..errors import DataError, DataWarning, InvalidParameterError
from ..tables._target import check_target_type
from ._base import Source
from ._tasks import combine
from .memory import InMemorySource

__all__ = ["StreamSource"]


class StreamSource(Source):
    r"""A row source over Parquet or CSV files, streamed in record batches.

    Each call of :meth:`stats`, :meth:`gram` or :meth:`gram_matvec` is one pass over the
    files; peak memory is bounded by ``batch_size`` (times ``shuffle_buffer`` for
    :meth:`minibatches`), not by the size of the files. The constructor makes one initial
    pass that validates the data and learns ``n_samples``, ``weight_sum`` and ``classes_``.

    Parameters
    ----------
    paths : str, path or iterable of them
        Files to read, in this order (:func:`logistic.tables.expand_paths`: a string with
        ``*``, ``?`` or ``[`` is a glob whose matches are sorted; a directory means every
        Parquet/CSV file in it, sorted). CSV cells in ``logistic.tables.NULL_VALUES`` are
        missing values, as in every reader of the library.
    target : str
        Name of the label column: two distinct values (binary model, mapped to 0/1) or more
        (multinomial, mapped to indices into ``classes_``; at most 1000).
    features : list of str or None, default=None
        Names of the numeric feature columns, in order. None takes every column except
        ``target``, ``weight`` and ``offset`` (all must then be numeric or boolean).
        With ``transform``, the columns read and handed to it (None: all).
    weight : str or None, default=None
        Column of sample weights ``s_i >= 0``.
    offset : str or None, default=None
        Column of offsets ``o_i`` added to each logit, ``z_i = x_i . w + b + o_i``.
    positive_label : scalar or None, default=None
        The target value mapped to ``y = 1``; None takes the larger of the two sorted
        distinct values.
    class_weight : dict, "balanced" or None, default=None
        Multiplied into the row weights: ``s_i <- s_i * c_{y_i}``; "balanced" is
        ``c_k = S / (K S_k)`` with ``S_k`` the weight (the count, unweighted) of class
        ``k`` (scikit-learn's rule, :func:`logistic._classes.class_weight_factors`).
    file_format : {"parquet", "csv"} or None, default=None
        None infers it from each file (Parquet's magic bytes, else the suffix).
    batch_size : int, default=65536
        Rows per record batch (for CSV, the block size in bytes is derived from it).
    dtype : {numpy.float32, numpy.float64} or None, default=None
        Floating type of the arrays handed to the kernel. None keeps float32 when every
        feature column is float32 (or float16) in the file and uses float64 otherwise
        (always float64 for CSV, whose text has no width).
    transform : callable or None, default=None
        ``transform(record_batch) -> ndarray or CSR matrix (m, n_features)``: turns each
        batch (a :class:`pyarrow.RecordBatch` of the columns read) into the feature
        matrix, e.g. a fitted one-hot / standardising preprocessor (a CSR result keeps the
        source sparse). It must be a pure function of the batch (fitted beforehand), so
        that every pass sees the same rows.
    shuffle_buffer : int, default=4
        Record batches held and shuffled together by :meth:`minibatches`.
    prefetch : int, default=1
        Decoded batches read ahead by a background thread while the kernel runs on the
        current one (0: read in the calling thread).
    csv_options : dict or None, default=None
        Extra keyword arguments for :class:`pyarrow.csv.ParseOptions` (``delimiter`` ...).
    dialect : logistic.tables.CsvDialect or None, default=None
        How the CSV text is written (delimiter, decimal mark, digit groups, encoding);
        None: the delimiter detected, ``.`` decimals, UTF-8.
    column_types : dict of {str: pyarrow.DataType} or None, default=None
        With ``transform``: CSV types forced on those columns (``pa.string()`` for codes
        such as ``"02134"`` that a categorical column must keep as text).
    drop_missing_target : bool, default=False
        Leave out the rows whose target is missing (in every pass), instead of refusing
        them.

    Attributes
    ----------
    files : list of pathlib.Path
    file_format : str
    feature_names : list of str or None
        None with ``transform`` (its output has no names).
    n_samples, n_features : int
    dtype : numpy.dtype
    weight_sum : float
        ``sum_i s_i`` (class weights included).
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted (binary: ``classes_[1]`` is mapped to ``y = 1``).
    class_counts_ : ndarray of shape (n_classes,)
        Rows per class.
    n_passes : int
        Passes over the files made so far, the initial one included.
    """

    def __init__(
        self,
        paths,
        target: str,
        *,
        features: list[str] | None = None,
        weight: str | None = None,
        offset: str | None = None,
        positive_label=None,
        class_weight=None,
        file_format: str | None = None,
        batch_size: int = 65536,
        dtype=None,
        transform: Callable[[pa.RecordBatch], np.ndarray] | None = None,
        shuffle_buffer: int = 4,
        prefetch: int = 1,
        csv_options: dict | None = None,
        drop_missing_target: bool = False,
        dialect=None,
        column_types: dict | None = None,
    ):
        self.files = expand_paths(paths, file_format=file_format)
        self.column_types = dict(column_types or {})
        self.drop_missing_target = bool(drop_missing_target)
        self.dialect = dialect
        self.file_format = infer_format(self.files, file_format)
        if not isinstance(target, str):
            raise InvalidParameterError(
                f"target={target!r} is not accepted; target accepts a column name (str)."
            )
        self.target = target
        self.weight = weight
        self.offset = offset
        self.positive_label = positive_label
        self.transform = transform
        self.batch_size = _check_positive_int("batch_size", batch_size)
        self.shuffle_buffer = _check_positive_int("shuffle_buffer", shuffle_buffer)
        self.prefetch = _check_positive_int("prefetch", prefetch + 1) - 1
        self.csv_options = dict(csv_options or {})
        self.class_weight = check_class_weight(class_weight)
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype not in (np.float32, np.float64):
                raise InvalidParameterError(
                    f"dtype={dtype!r} is not accepted; dtype accepts numpy.float32, "
                    "numpy.float64 or None."
                )

        schema = self._read_schema(self.files[0])
        special = [c for c in (target, weight, offset) if c is not None]
        for name, what in ((target, "target"), (weight, "weight"), (offset, "offset")):
            if name is not None and name not in schema.names:
                raise DataError(
                    f"{what}={name!r} is not a column of {self.files[0]}; its columns are "
                    f"{_names(schema.names)}."
                )
        check_target_type(target, schema.field(target).type)
        if features is None:
            features = [c for c in schema.names if c not in special]
        else:
            features = list(features)
            missing = [c for c in features if c not in schema.names]
            if missing:
                raise DataError(
                    f"features [{_quoted(missing)}] are not columns of {self.files[0]}; its "
                    f"columns are {_names(schema.names)}."
                )
            clash = [c for c in features if c in special]
            if clash:
                raise DataError(f"features {_quoted(clash)} are also the target, weight or offset.")
        if transform is None:
            if not features:
                raise DataError(
                    f"{self.files[0]} has no feature column besides {_quoted(special)}."
                )
            bad = [c for c in features if not _is_numeric(schema.field(c).type)]
            if bad:
                bad = ", ".join(f"'{_shown(c)}' ({schema.field(c).type})" for c in bad[:10])
                raise DataError(
                    f"feature columns must be numeric; {bad} are not. Pass features=[...] to "
                    "choose numeric columns, or transform= to encode the others."
                )
            if dtype is None:
                narrow = (pa.float32(), pa.float16())
                all32 = all(schema.field(c).type in narrow for c in features)
                dtype = np.dtype(np.float32 if all32 else np.float64)
        self.feature_names = features if transform is None else None
        self._read_columns = list(dict.fromkeys([*features, *special])) if features else None
        self._requested_dtype = dtype
        self.dtype = dtype  # may be set from the transform's output by the scan
        self.n_passes = 0
        self._positive = None
        self._class_factors = None
        self._scan()

    # -- reading (one reader for every path: logistic._files) ----------------------------
    def _read_schema(self, path) -> pa.Schema:
        return read_schema(
            path,
            file_format=self.file_format,
            csv_options=self.csv_options,
            batch_size=self.batch_size,
            dialect=self.dialect,
        )

    def _column_types(self):
        """CSV types forced on the columns read: the features in the requested float type
        (so every batch agrees), weights and offsets in float64; with a ``transform``, the
        ``column_types`` given (e.g. its categorical columns as text)."""
        if self.transform is not None or not self.feature_names:
            return dict(self.column_types) or None
        ftype = pa.float32() if self._requested_dtype == np.float32 else pa.float64()
        types = {c: ftype for c in self.feature_names}
        for c in (self.weight, self.offset):
            if c is not None:
                types[c] = pa.float64()
        return types

    def _record_batches(self) -> Iterator[tuple[Path, pa.RecordBatch]]:
        """Every record batch of every file, in file order, with its file (without the
        rows whose target is missing, with ``drop_missing_target``)."""
        batches = iter_batches(
            self.files,
            self._read_columns,
            self.batch_size,
            column_types=self._column_types(),
            file_format=self.file_format,
            with_path=True,
            csv_options=self.csv_options,
            dialect=self.dialect,
        )
        if not self.drop_missing_target:
            return batches
        return ((path, kept) for path, kept in map(self._with_target, batches) if kept.num_rows)

    def _with_target(self, item):
        path, batch = item
        col = batch.column(self.target)
        return path, batch.filter(pc.is_valid(col)) if col.null_count else batch

    def _features(self, batch: pa.RecordBatch) -> np.ndarray:
        """The ``(m, n_features)`` matrix of one batch (Fortran order: one copy per column)."""
        m = batch.num_rows
        if self.transform is not None:
            X = self.transform(batch)
            # a CSR result (a one-hot design) stays sparse: memory of its non-zeros
            X = X.tocsr() if sp.issparse(X) else np.asarray(X)
            if X.ndim != 2 or X.shape[0] != m:
                raise DataError(
                    f"transform returned shape {X.shape} for a batch of {m} rows; it must "
                    f"return an array of shape ({m}, n_features)."
                )
            if self.dtype is not None and X.dtype != self.dtype:
                X = X.astype(self.dtype)
            return X
        X = np.empty((m, len(self.feature_names)), dtype=self.dtype, order="F")
        for j, name in enumerate(self.feature_names):
            X[:, j] = batch.column(name).to_numpy(zero_copy_only=False)
        return X

    def _column(self, batch, name):
        return batch.column(name).to_numpy(zero_copy_only=False).astype(self.dtype, copy=False)

    def _target_column(self, batch):
        """The target column; text stripped of surrounding spaces, as every reader of
        labels does (``logistic.tables.read_target``): ``"Yes "`` is ``"Yes"``."""
        col = batch.column(self.target)
        if pa.types.is_dictionary(col.type):
            col = col.dictionary_decode()
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            col = pc.utf8_trim_whitespace(col)
        return col

    def _labels(self, batch) -> np.ndarray:
        """0/1 for a binary target (1 is ``classes_[1]``), else the index into ``classes_``."""
        col = self._target_column(batch)
        if len(self.classes_) > 2:
            idx = pc.index_in(col, value_set=self._value_set)
            return idx.to_numpy(zero_copy_only=False).astype(self.dtype)
        return pc.equal(col, self._positive).to_numpy(zero_copy_only=False).astype(self.dtype)

    def _decode(self, batch):
        """``(X, y, s, o)`` of one batch: features, 0/1 labels, weights (or None), offsets."""
        X = self._features(batch)
        y = self._labels(batch)
        s = None if self.weight is None else self._column(batch, self.weight)
        if self._class_factors is not None:
            c = self._class_factors.astype(self.dtype)[y.astype(np.intp)]
            s = c if s is None else s * c
        o = None if self.offset is None else self._column(batch, self.offset)
        return X, y, s, o

    def chunks(
        self,
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]]:
        """One pass: ``(X, y, s, o)`` per record batch, shapes (m, n), (m,), (m,), (m,).

        With ``prefetch > 0`` a background thread reads and decodes the next batches while
        the caller computes on the current one (Arrow's reader and NumPy's copies release
        the GIL), holding at most ``prefetch`` decoded batches in its queue.
        """
        self.n_passes += 1
        decoded = (self._decode(batch) for _, batch in self._record_batches())
        if self.prefetch == 0:
            yield from decoded
        else:
            yield from _prefetched(decoded, self.prefetch)

    # -- the initial pass ---------------------------------------------------------------
    def _scan(self) -> None:
        """Validate every batch and learn n_samples, classes, counts and weight sums."""
        self.n_passes += 1
        per_label: dict = {}  # label -> [rows, weight sum]
        n_rows, n_features, start, current = 0, None, 0, None
        for path, batch in self._record_batches():
            start, current = (start, current) if path == current else (0, path)
            # rows named from 1 in their file (of the rows with a target, when dropping)
            where = f"{path} (data rows {start + 1}..{start + batch.num_rows})"
            for name in self._read_columns or [self.target]:
                col = batch.column(name)
                if col.null_count:
                    at = _at(path, start, col.is_null().to_numpy(zero_copy_only=False))
                    fix = _DROP if name == self.target else _NO_MISSING
                    raise DataError(f"column {name!r} has missing values (first: {at}); {fix}.")
            tcol = self._target_column(batch)  # without nulls: checked above
            self._target_arrow_type = tcol.type
            s = None
            if self.weight is not None:
                s = batch.column(self.weight).to_numpy(zero_copy_only=False).astype(np.float64)
                if not np.all(np.isfinite(s)) or np.any(s < 0):
                    raise DataError(
                        f"weight column {self.weight!r} has a negative, NaN or infinite value "
                        f"in {_at(path, start, ~(s >= 0) | ~np.isfinite(s))}; weights accept "
                        "finite numbers >= 0."
                    )
            if self.offset is not None:
                o = batch.column(self.offset).to_numpy(zero_copy_only=False)
                if not np.all(np.isfinite(o)):
                    at = _at(path, start, ~np.isfinite(o))
                    raise DataError(f"offset column {self.offset!r} has NaN or infinity in {at}.")
            for label in pc.unique(tcol).to_pylist():
                if isinstance(label, float) and not np.isfinite(label):
                    at = _at(path, start, ~np.isfinite(tcol.to_numpy(zero_copy_only=False)))
                    raise DataError(f"target column {self.target!r} has NaN or infinity in {at}.")
                mask = pc.equal(tcol, pa.scalar(label, type=tcol.type))
                entry = per_label.setdefault(label, [0, 0.0])
                rows = int(pc.sum(mask).as_py() or 0)
                entry[0] += rows
                entry[1] += (
                    rows if s is None else float(s[mask.to_numpy(zero_copy_only=False)].sum())
                )
                if len(per_label) > MAX_CLASSES:
                    raise too_many_classes(f"target column {self.target!r} (by {where})", per_label)
            X = self._features(batch)
            if n_features is None:
                n_features, self.sparse = X.shape[1], sp.issparse(X)
                if self.dtype is None:
                    self.dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
            elif X.shape[1] != n_features:
                raise DataError(
                    f"{where} gives {X.shape[1]} features, earlier batches {n_features}."
                )
            if not np.all(np.isfinite(X.data if sp.issparse(X) else X)):
                at = _at_features(path, start, X)
                raise DataError(f"the features have NaN or infinity in {at}.")
            n_rows += batch.num_rows
            start += batch.num_rows
        if n_rows == 0:
            raise DataError(f"the files {[str(p) for p in self.files]} hold no rows.")
        self._set_classes(per_label)
        self.n_samples, self.n_features = n_rows, int(n_features)
        self.dtype = np.dtype(self.dtype)

    def _set_classes(self, per_label) -> None:
        labels = list(per_label)
        rows = [per_label[v][0] for v in sorted(labels)]
        check_labels(f"target column {self.target!r}", sorted(labels), rows)
        for note in case_collisions(f"target column {self.target!r}", sorted(labels), rows):
            warnings.warn(note, DataWarning, stacklevel=4)
        if len(labels) > 2 and self.offset is not None:
            raise DataError(
                f"offset={self.offset!r} is one column, but the target column {self.target!r} "
                f"has {len(labels)} classes: a multinomial model needs one offset per class; "
                "stream the offsets of a binary target only (or fit in memory with an offset "
                "array of shape (n_samples, n_classes))."
            )
        if len(labels) > 2 and self.positive_label is not None:
            raise InvalidParameterError(
                f"positive_label={self.positive_label!r} applies to a binary target; the "
                f"target column {self.target!r} has {len(labels)} classes (multinomial)."
            )
        if self.positive_label is not None:
            pos = self.positive_label
            matches = [v for v in labels if v == pos]
            if not matches:
                raise DataError(
                    f"positive_label={pos!r} is not a value of the target column "
                    f"{self.target!r}; its values are {labels!r}."
                )
            neg = next(v for v in labels if v != pos)
            ordered = [neg, matches[0]]
        else:
            ordered = sorted(labels)
        self.classes_ = np.array(ordered)
        counts = np.array([per_label[v][0] for v in ordered], dtype=np.int64)
        wsums = np.array([per_label[v][1] for v in ordered], dtype=np.float64)
        self.class_counts_ = counts
        self._positive = pa.scalar(ordered[1], type=self._target_arrow_type)
        self._value_set = pa.array(ordered, type=self._target_arrow_type)
        factors = class_weight_factors(self.class_weight, ordered, wsums)
        self._class_factors = factors
        self.weight_sum = float(wsums @ (np.ones(len(ordered)) if factors is None else factors))
        if self.offset is None:
            self.class_totals = wsums if factors is None else wsums * factors
        if not self.weight_sum > 0:
            raise DataError("the weights (with class_weight) are zero for every row.")

    # -- the source API ---------------------------------------------------------------
    def aggregate(self, task):
        """One pass over the files: ``task`` over every record batch (each on the threads of
        an in-memory source of its rows), the parts added in file order. Nothing is kept
        between passes: a chunk's cache does not outlive its batch."""
        parts = [InMemorySource(X, y, s, o).aggregate(task) for X, y, s, o in self.chunks()]
        return combine(parts)

    def minibatches(self, batch_size, rng) -> Iterator[InMemorySource]:
        """One epoch of in-memory mini-batches of ``batch_size`` rows, shuffled in a buffer.

        The files are read in order; ``shuffle_buffer`` record batches at a time are held,
        their rows permuted by ``rng`` and cut into mini-batches (rows left over are carried
        into the next buffer). This is a *local* shuffle: every row is visited once per
        epoch, but rows far apart in the files never share a mini-batch, so a file sorted
        by label or by time gives correlated batches. Shuffle such a file once on disk.
        Memory: about ``shuffle_buffer * self.batch_size`` rows.
        """
        batch_size = _check_positive_int("batch_size", batch_size)
        hold = max(self.shuffle_buffer * self.batch_size, batch_size)
        pending: list = []
        held = 0
        for parts in self.chunks():
            pending.append(parts)
            held += parts[0].shape[0]
            if held >= hold:
                X, y, s, o = _concat(pending)
                perm = rng.permutation(X.shape[0])
                n_full = (X.shape[0] // batch_size) * batch_size
                for start in range(0, n_full, batch_size):
                    yield _take(X, y, s, o, np.sort(perm[start : start + batch_size]))
                rest = np.sort(perm[n_full:])
                pending = [(X[rest], y[rest], _opt(s, rest), _opt(o, rest))] if rest.size else []
                held = rest.size
        if pending:
            X, y, s, o = _concat(pending)
            perm = rng.permutation(X.shape[0])
            for start in range(0, X.shape[0], batch_size):
                yield _take(X, y, s, o, np.sort(perm[start : start + batch_size]))

    def __repr__(self) -> str:
        return (
            f"StreamSource({len(self.files)} {self.file_format} file(s), "
            f"n_samples={self.n_samples}, n_features={self.n_features}, dtype={self.dtype})"
        )


# -- helpers -------------------------------------------------------------------------------
def _check_positive_int(name, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InvalidParameterError(
            f"{name}={value!r} is not accepted; {name} accepts an int >= 1."
        )
    return int(value)


_DROP = "drop those rows with drop_missing_target=True"
_NO_MISSING = "streamed files accept no missing values (impute them first)"


def _at(path, start, bad) -> str:
    """``"data row 12 of <path>"``: the first row where ``bad``, ``start`` rows before."""
    return f"data row {start + int(np.argmax(np.asarray(bad, dtype=bool))) + 1} of {path}"


def _at_features(path, start, X) -> str:
    """The first row of ``X`` (dense or CSR) holding NaN or infinity, as :func:`_at`."""
    if sp.issparse(X):
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        return _at(path, start, np.isin(np.arange(X.shape[0]), rows[~np.isfinite(X.data)]))
    return _at(path, start, ~np.isfinite(X).all(axis=1))


def _is_numeric(t) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)


_DONE = object()


class _Failure:
    def __init__(self, exc):
        self.exc = exc


def _prefetched(items, depth):
    """Iterate ``items`` on a background thread, ``depth`` items ahead of the consumer.

    An exception in the producer is re-raised in the consumer; when the consumer stops early
    (an error, ``break``, Ctrl-C) the producer stops after the item it is working on.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # re-raised in the consumer
            put(_Failure(exc))

    thread = threading.Thread(target=produce, name="logistic-stream-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join()


def _opt(a, idx):
    return None if a is None else a[idx]


def _take(X, y, s, o, idx) -> InMemorySource:
    return InMemorySource(X[idx], y[idx], _opt(s, idx), _opt(o, idx))


def _concat(parts):
    if len(parts) == 1:
        return parts[0]
    stack = partial(sp.vstack, format="csr") if sp.issparse(parts[0][0]) else np.concatenate
    X = stack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    s = None if parts[0][2] is None else np.concatenate([p[2] for p in parts])
    o = None if parts[0][3] is None else np.concatenate([p[3] for p in parts])
    return X, y, s, o
