"""Rows streamed from Parquet or CSV files, out of core: one pass over the files per call.

Every full-batch quantity is a sum over rows (:mod:`logistic.kernel`), so a file source
only reads record batches one after the other, turns each into arrays and adds the kernel's
sums. For record batches ``B_1, ..., B_K`` of the files, in file order::

    stats(w, b)   = sum_k chunk_stats(X_k, y_k, w, b, s_k, o_k)      one pass
    gram()        = sum_k [X_k 1]^T diag(s_k) [X_k 1]                one pass
    gram_matvec(v)= sum_k [X_k 1]^T diag(s_k) [X_k 1] v              one pass

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

import glob
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import DataError, InvalidParameterError
from ..kernel import ChunkStats
from .memory import InMemorySource

__all__ = ["StreamSource"]

_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".tsv", ".txt")
# Read buffer per Parquet column stream: pages are read through it instead of loading a
# whole (compressed) column chunk, so memory does not grow with the row-group size.
_PARQUET_BUFFER = 1 << 16
# Bytes of CSV text per row and column, to turn ``batch_size`` rows into a block size.
_CSV_BYTES_PER_CELL = 16


# Distinct target values accepted before the target is taken for a continuous one.
MAX_CLASSES = 1000


class StreamSource:
    r"""A row source over Parquet or CSV files, streamed in record batches.

    Each call of :meth:`stats`, :meth:`gram` or :meth:`gram_matvec` is one pass over the
    files; peak memory is bounded by ``batch_size`` (times ``shuffle_buffer`` for
    :meth:`minibatches`), not by the size of the files. The constructor makes one initial
    pass that validates the data and learns ``n_samples``, ``weight_sum`` and ``classes_``.

    Parameters
    ----------
    paths : str, path or iterable of them
        Files to read, in this order. A string with ``*``, ``?`` or ``[`` is a glob whose
        matches are sorted; a directory means every Parquet/CSV file in it, sorted.
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
        ``c_k = n / (K n_k)`` with ``n_k`` the count of class ``k`` (scikit-learn's rule).
    file_format : {"parquet", "csv"} or None, default=None
        None infers it from the file suffix.
    batch_size : int, default=65536
        Rows per record batch (for CSV, the block size in bytes is derived from it).
    dtype : {numpy.float32, numpy.float64} or None, default=None
        Floating type of the arrays handed to the kernel. None keeps float32 when every
        feature column is float32 (or float16) in the file and uses float64 otherwise
        (always float64 for CSV, whose text has no width).
    transform : callable or None, default=None
        ``transform(record_batch) -> ndarray (m, n_features)``: turns each batch (a
        :class:`pyarrow.RecordBatch` of the columns read) into the feature matrix, e.g. a
        fitted one-hot / standardising preprocessor. It must be a pure function of the
        batch (fitted beforehand), so that every pass sees the same rows.
    shuffle_buffer : int, default=4
        Record batches held and shuffled together by :meth:`minibatches`.
    prefetch : int, default=1
        Decoded batches read ahead by a background thread while the kernel runs on the
        current one (0: read in the calling thread).
    csv_options : dict or None, default=None
        Extra keyword arguments for :class:`pyarrow.csv.ParseOptions` (``delimiter`` ...).

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
    ):
        self.files = _expand_paths(paths)
        self.file_format = _infer_format(self.files, file_format)
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
        if (
            class_weight is not None
            and class_weight != "balanced"
            and not isinstance(class_weight, dict)
        ):
            raise InvalidParameterError(
                f"class_weight={class_weight!r} is not accepted; class_weight accepts None, "
                "'balanced' or a dict {label: weight}."
            )
        self.class_weight = class_weight
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
                    f"{schema.names}."
                )
        if features is None:
            features = [c for c in schema.names if c not in special]
        else:
            features = list(features)
            missing = [c for c in features if c not in schema.names]
            if missing:
                raise DataError(
                    f"features {missing} are not columns of {self.files[0]}; its columns are "
                    f"{schema.names}."
                )
            clash = [c for c in features if c in special]
            if clash:
                raise DataError(f"features {clash} are also the target, weight or offset column.")
        if transform is None:
            if not features:
                raise DataError(f"{self.files[0]} has no feature column besides {special}.")
            bad = [
                f"{c} ({schema.field(c).type})"
                for c in features
                if not (_is_numeric(schema.field(c).type))
            ]
            if bad:
                raise DataError(
                    f"feature columns must be numeric; {bad} are not. Pass features=[...] to "
                    "choose numeric columns, or transform= to encode the others."
                )
            if dtype is None:
                all32 = all(
                    pa.types.is_float32(schema.field(c).type)
                    or pa.types.is_float16(schema.field(c).type)
                    for c in features
                )
                dtype = np.dtype(np.float32 if all32 else np.float64)
        self.feature_names = features if transform is None else None
        self._read_columns = _unique([*features, *special]) if features else None
        self._requested_dtype = dtype
        self.dtype = dtype  # may be set from the transform's output by the scan
        self.n_passes = 0
        self._positive = None
        self._class_factors = None
        self._scan()

    # -- reading ----------------------------------------------------------------------
    def _read_schema(self, path) -> pa.Schema:
        try:
            if self.file_format == "parquet":
                return pq.read_schema(path)
            return self._open_csv(path, None).schema
        except (OSError, pa.ArrowException) as exc:
            raise DataError(f"cannot read {path} as {self.file_format}: {exc}") from exc

    def _csv_block_size(self, n_columns):
        cells = self.batch_size * max(1, n_columns) * _CSV_BYTES_PER_CELL
        return int(min(max(cells, 1 << 16), 1 << 28))

    def _open_csv(self, path, columns):
        n_cols = len(columns) if columns else 16
        column_types = {}
        if columns and self.transform is None and self.feature_names:
            ftype = pa.float32() if self._requested_dtype == np.float32 else pa.float64()
            column_types = {c: ftype for c in self.feature_names}
            for c in (self.weight, self.offset):
                if c is not None:
                    column_types[c] = pa.float64()
        return pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=self._csv_block_size(n_cols)),
            parse_options=pacsv.ParseOptions(**self.csv_options),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(columns) if columns else None,
                column_types=column_types,
            ),
        )

    def _record_batches(self) -> Iterator[tuple[Path, pa.RecordBatch]]:
        """Every record batch of every file, in file order."""
        columns = self._read_columns
        for path in self.files:
            try:
                if self.file_format == "parquet":
                    pf = pq.ParquetFile(path, buffer_size=_PARQUET_BUFFER, pre_buffer=False)
                    batches = pf.iter_batches(batch_size=self.batch_size, columns=columns)
                else:
                    batches = self._open_csv(path, columns)
                for batch in batches:
                    if batch.num_rows:
                        yield path, batch
            except (OSError, pa.ArrowException) as exc:
                raise DataError(f"cannot read {path} as {self.file_format}: {exc}") from exc

    def _features(self, batch: pa.RecordBatch) -> np.ndarray:
        """The ``(m, n_features)`` matrix of one batch (Fortran order: one copy per column)."""
        m = batch.num_rows
        if self.transform is not None:
            X = np.asarray(self.transform(batch))
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

    def _labels(self, batch) -> np.ndarray:
        """0/1 for a binary target (1 is ``classes_[1]``), else the index into ``classes_``."""
        col = batch.column(self.target)
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
        n_rows = 0
        n_features = None
        for path, batch in self._record_batches():
            where = f"{path} (rows {n_rows}..{n_rows + batch.num_rows - 1})"
            for name in self._read_columns or [self.target]:
                if batch.column(name).null_count:
                    raise DataError(
                        f"column {name!r} has missing values in {where}; streamed files "
                        "accept no missing values (impute them first)."
                    )
            tcol = batch.column(self.target)
            self._target_arrow_type = tcol.type
            if tcol.null_count:
                raise DataError(f"target column {self.target!r} has missing values in {where}.")
            s = None
            if self.weight is not None:
                s = batch.column(self.weight).to_numpy(zero_copy_only=False).astype(np.float64)
                if not np.all(np.isfinite(s)) or np.any(s < 0):
                    raise DataError(
                        f"weight column {self.weight!r} has a negative, NaN or infinite value "
                        f"in {where}; weights accept finite numbers >= 0."
                    )
            if self.offset is not None:
                o = batch.column(self.offset).to_numpy(zero_copy_only=False)
                if not np.all(np.isfinite(o)):
                    raise DataError(
                        f"offset column {self.offset!r} has NaN or infinity in {where}."
                    )
            for label in pc.unique(tcol).to_pylist():
                if isinstance(label, float) and not np.isfinite(label):
                    raise DataError(
                        f"target column {self.target!r} has NaN or infinity in {where}."
                    )
                mask = pc.equal(tcol, pa.scalar(label, type=tcol.type))
                entry = per_label.setdefault(label, [0, 0.0])
                rows = int(pc.sum(mask).as_py() or 0)
                entry[0] += rows
                entry[1] += (
                    float(rows)
                    if s is None
                    else float(s[mask.to_numpy(zero_copy_only=False)].sum())
                )
                if len(per_label) > MAX_CLASSES:
                    shown = ", ".join(repr(v) for v in list(per_label)[:5])
                    raise DataError(
                        f"target column {self.target!r} has more than {MAX_CLASSES} distinct "
                        f"values ({shown}, ...) by {where}; a classifier accepts a target of "
                        "class labels, not a continuous one."
                    )
            X = self._features(batch)
            if n_features is None:
                n_features = X.shape[1]
                if self.dtype is None:
                    self.dtype = (
                        X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
                    )
            elif X.shape[1] != n_features:
                raise DataError(
                    f"{where} gives {X.shape[1]} features, earlier batches {n_features}."
                )
            if not np.all(np.isfinite(X)):
                raise DataError(f"the features have NaN or infinity in {where}.")
            n_rows += batch.num_rows
        if n_rows == 0:
            raise DataError(f"the files {[str(p) for p in self.files]} hold no rows.")
        self._set_classes(per_label)
        self.n_samples = n_rows
        self.n_features = int(n_features)
        self.dtype = np.dtype(self.dtype)

    def _set_classes(self, per_label) -> None:
        labels = list(per_label)
        if len(labels) < 2:
            raise DataError(
                f"target column {self.target!r} has one class ({labels[0]!r}); a classifier "
                "needs at least two distinct labels."
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
        factors = _class_factors(self.class_weight, ordered, counts)
        self._class_factors = factors
        self.weight_sum = float(wsums @ (np.ones(len(ordered)) if factors is None else factors))
        if not self.weight_sum > 0:
            raise DataError("the weights (with class_weight) are zero for every row.")

    # -- the source API ---------------------------------------------------------------
    def map_reduce(self, fn):
        """One pass: ``fn(X, y, s, o)`` over every record batch, added (other kernels, e.g.
        the multinomial one)."""
        total = None
        for X, y, s, o in self.chunks():
            part = fn(X, y, s, o)
            total = part if total is None else total + part
        return total

    def stats(self, w, b=0.0, *, need_grad=True, need_hess=False) -> ChunkStats:
        """One pass over the files: the kernel's sums over every record batch, added."""
        total = None
        for X, y, s, o in self.chunks():
            part = InMemorySource(X, y, s, o).stats(w, b, need_grad=need_grad, need_hess=need_hess)
            total = part if total is None else total + part
        return total

    def hessp(self, w, b, v_w, v_b=0.0):
        """``[X 1]^T diag(s a (1 - a)) [X 1] v`` at ``(w, b)`` as ``(vec_w, vec_b)``; one
        pass (Newton-CG's product)."""
        acc_w = np.zeros(self.n_features)
        acc_b = 0.0
        for X, y, s, o in self.chunks():
            pw, pb = InMemorySource(X, y, s, o).hessp(w, b, v_w, v_b)
            acc_w += pw
            acc_b += pb
        return acc_w, acc_b

    def gram(self) -> np.ndarray:
        """``[X 1]^T diag(s) [X 1]`` in float64, shape (n_features + 1, n_features + 1); one pass."""
        total = None
        for X, y, s, o in self.chunks():
            part = InMemorySource(X, y, s, o).gram()
            total = part if total is None else total + part
        return total

    def gram_matvec(self, v_w, v_b=0.0):
        """``[X 1]^T diag(s) [X 1] v`` as ``(vec_w (n_features,), vec_b)``; one pass."""
        acc_w = np.zeros(self.n_features)
        acc_b = 0.0
        for X, y, s, o in self.chunks():
            pw, pb = InMemorySource(X, y, s, o).gram_matvec(v_w, v_b)
            acc_w += pw
            acc_b += pb
        return acc_w, acc_b

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


def _expand_paths(paths) -> list[Path]:
    """Files from a path, a glob, a directory or an iterable of them, in order."""
    if isinstance(paths, str | os.PathLike):
        items: Iterable = [paths]
    else:
        try:
            items = list(paths)
        except TypeError:
            raise InvalidParameterError(
                f"paths={paths!r} is not accepted; paths accepts a file, a glob, a directory or "
                "a list of files."
            ) from None
    files: list[Path] = []
    for item in items:
        text = os.fspath(item)
        if any(ch in text for ch in "*?["):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise DataError(f"the glob {text!r} matches no file.")
            files.extend(Path(m) for m in matches)
        elif os.path.isdir(text):
            inside = sorted(
                p
                for p in Path(text).iterdir()
                if p.is_file() and p.name.lower().endswith(_PARQUET_SUFFIXES + _CSV_SUFFIXES)
            )
            if not inside:
                raise DataError(f"the directory {text!r} holds no Parquet or CSV file.")
            files.extend(inside)
        elif os.path.isfile(text):
            files.append(Path(text))
        else:
            raise DataError(f"the file {text!r} does not exist.")
    if not files:
        raise DataError("paths names no file; it accepts a file, a glob, a directory or a list.")
    return files


def _infer_format(files, file_format) -> str:
    if file_format is not None:
        if file_format not in ("parquet", "csv"):
            raise InvalidParameterError(
                f"file_format={file_format!r} is not accepted; file_format accepts 'parquet', "
                "'csv' or None (from the suffix)."
            )
        return file_format
    kinds = set()
    for f in files:
        name = f.name.lower()
        if name.endswith(_PARQUET_SUFFIXES):
            kinds.add("parquet")
        elif name.endswith(_CSV_SUFFIXES):
            kinds.add("csv")
        else:
            raise DataError(
                f"cannot tell the format of {f} from its suffix; pass file_format='parquet' "
                "or 'csv'."
            )
    if len(kinds) > 1:
        raise DataError("the files mix Parquet and CSV; stream one format at a time.")
    return kinds.pop()


def _is_numeric(t) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)


def _unique(names):
    return list(dict.fromkeys(names))


def _class_factors(class_weight, ordered, counts):
    """Per-class weight factors ``c`` (shape (n_classes,)) in the order of ``classes_``, or None."""
    if class_weight is None:
        return None
    if class_weight == "balanced":
        return counts.sum() / (len(counts) * counts.astype(np.float64))
    unknown = [k for k in class_weight if k not in ordered]
    if unknown:
        raise InvalidParameterError(
            f"class_weight has labels {unknown!r} that are not in the target; its keys must be "
            f"among the classes {ordered!r}."
        )
    out = np.array([float(class_weight.get(v, 1.0)) for v in ordered])
    if not np.all(np.isfinite(out)) or np.any(out < 0):
        raise InvalidParameterError(
            f"class_weight={class_weight!r} is not accepted; its values must be finite and >= 0."
        )
    return out


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
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    s = None if parts[0][2] is None else np.concatenate([p[2] for p in parts])
    o = None if parts[0][3] is None else np.concatenate([p[3] for p in parts])
    return X, y, s, o
