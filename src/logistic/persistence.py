"""Versioned JSON model files: exact round trip, atomic writes, strict validation on load.

A model file is one JSON object (schema ``"logistic.model"``, version 1 or 2)::

    {
      "schema": "logistic.model",
      "version": 1,
      "library_version": "0.1.0",
      "created": "2026-01-01T00:00:00Z",
      "float_format": "repr",
      "model": {
        "estimator": "logistic.LogisticRegression",
        "params": {"C": 1.0, "solver": "auto", ...},
        "dtype": "float64",
        "n_features": 3,
        "feature_names": ["age", "sex=Female", "sex=Male"],
        "feature_names_in": null,
        "classes": {"dtype": "str", "values": ["<=50K", ">50K"]},
        "coef": [0.51, -0.12, 0.12],
        "intercept": -1.2
      },
      "preprocessing": {...} or null,
      "training": {"solver": "lbfgs", "C": 1.0, "n_iter": 17, "converged": true, ...} or null,
      "inference": {...} or absent,
      "checksum": {"sha256": {"model.classes": "...", "model.coef": "...",
                              "model.intercept": "...", "preprocessing": "..."}}
    }

Versions. A binary model is written as version 1, which every release reads. A multinomial
model (``K > 2`` classes) is written as version 2: ``model.coef`` is then a list of ``K``
rows of ``n_features`` numbers (``coef_``, shape (K, n_features)) and ``model.intercept`` a
list of ``K`` numbers, which a version-1 reader could not interpret, so it refuses the file
as "newer" instead of misreading it. This module reads both.

``inference`` (optional, in both versions; older readers ignore it) holds the plain data of
:meth:`logistic.inference.InferenceResult.as_dict` for an unpenalised fit (or an
opted-in penalised sandwich), computed on the training rows: standard errors, z, p-values,
intervals, likelihood statistics. Non-finite numbers (an undefined pseudo R^2 ...) are
stored as null. It is validated on load: every parameter of the model appears with finite
``coef`` equal to the model's coefficient; for a block with a ``reference`` class (every
multinomial one) the parameters are the contrasts ``W_k - W_ref`` of
:mod:`logistic.inference._reference`, named ``"<class>:<feature>"``.

Exactness: numbers are JSON numbers written with Python's ``repr`` of a float64, which is
the shortest decimal string that reads back to the same double (guaranteed by Python's
float formatting since 3.1, and by every correctly rounding JSON parser). float32
coefficients widen exactly to float64 and narrow back exactly, so the loaded model's
``predict_proba`` is bit-for-bit the saved estimator's. NaN and infinity are refused on save
(``allow_nan=False``) and on load.

Integrity. ``checksum`` holds the SHA-256 of the canonical JSON (keys sorted, no spaces,
numbers as ``repr``) of every part a prediction is computed from; ``load`` recomputes them
and names the part that differs, so an edited or corrupted file is refused instead of
predicting something else. Files written before the checksum existed have none and load as
they did; removing it loads an edited file (a checksum detects edits, it is not a
signature).

Limits. ``load`` reads regular files only (a FIFO or a device is refused before reading) of
at most 1 GiB, refuses nesting deeper than 20 levels, integers beyond int64, numbers that
overflow float64, duplicate keys, strings over 65,536 characters and lone surrogates
(:mod:`logistic._json_limits`), types and bounds every field (:mod:`logistic._model_schema`)
and refuses coefficients whose logits could overflow (``sum |coef| + |b|`` at most
``max(dtype) / 1e6``). ``save`` reads its own document back the same way, so it never
writes a file that ``load`` refuses. docs/persistence.md has the whole list.

No pickle: loading a file never executes code. Classes keep their JSON type (integers,
floats, booleans or strings) and their NumPy dtype.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._atomic import array_sha256, atomic_write_bytes, file_sha256
from ._json_limits import parse_document, read_regular_file
from ._model_file import (
    _BINARY_VERSION,
    _ESTIMATOR,
    INFERENCE_NUMBERS,
    SCHEMA,
    VERSION,
    _check_inference,
    _classes_to_json,
    _finite_or_null,
    _from_document,
    _jsonable_param,
    _params_of,
    checksum_of,
    inference_layout,
)
from .errors import DataError, ModelFileError, UserInputError
from .tables import TablePreprocessor

__all__ = [
    "INFERENCE_NUMBERS",
    "SCHEMA",
    "VERSION",
    "LoadedModel",
    "load",
    "save",
    "to_document",
    "training_record",
]


# -- saving -------------------------------------------------------------------------------
def training_record(model, *, X=None, y=None, data_path=None, seconds=None, **extra) -> dict:
    """The training record of a fitted estimator, for :func:`save`.

    Parameters
    ----------
    model : fitted LogisticRegression
    X : array_like of shape (n_samples, n_features), optional
        The training matrix: gives ``n_rows``, ``n_columns`` and, without ``data_path``,
        ``data_sha256`` of the array bytes (with ``y``).
    y : array_like of shape (n_samples,), optional
    data_path : str or os.PathLike, optional
        The training data file: ``data_sha256`` is the SHA-256 of its bytes.
    seconds : float, optional
        Wall time of the fit; default the solver's own clock.
    **extra
        Further JSON-ready fields (target name, holdout fraction, seed...).

    Returns
    -------
    dict
        ``solver, C, tol, max_iter, n_iter, converged, final_loss, grad_norm, n_rows,
        n_columns, seconds, data_sha256`` and ``extra``.
    """
    history = getattr(model, "history_", None)
    rec = {
        "solver": getattr(model, "solver_", model.get_params().get("solver")),
        "C": _jsonable_param(model.get_params().get("C")),
        "tol": model.get_params().get("tol"),
        "max_iter": model.get_params().get("max_iter"),
        "n_iter": int(np.ravel(model.n_iter_)[0]) if hasattr(model, "n_iter_") else None,
        "converged": bool(getattr(model, "converged_", False)),
        "final_loss": float(history.loss[-1]) if history is not None and len(history) else None,
        "grad_norm": (
            float(history.grad_norm[-1]) if history is not None and len(history) else None
        ),
        "n_rows": None,
        "n_columns": int(model.n_features_in_),
        "seconds": (
            float(seconds)
            if seconds is not None
            else (float(history.seconds[-1]) if history is not None and len(history) else None)
        ),
        "data_sha256": None,
    }
    if X is not None:
        shape = np.shape(X)
        rec["n_rows"] = int(shape[0])
        rec["n_columns"] = int(shape[1]) if len(shape) > 1 else 1
    if data_path is not None:
        rec["data_file"] = str(data_path)
        rec["data_sha256"] = file_sha256(data_path)
    elif X is not None:
        rec["data_sha256"] = array_sha256(X, *([] if y is None else [y]))
    rec.update(extra)
    return rec


def save(model, path, *, preprocessor=None, training=None, inference=None) -> Path:
    """Write a fitted estimator (and its preprocessing) to a JSON model file, atomically.

    Parameters
    ----------
    model : fitted LogisticRegression
        Binary, ``coef_`` of shape (1, n_features).
    path : str or os.PathLike
        Written through a temporary file in the same directory, fsync-ed and renamed:
        a crash or an error never leaves a partial file, and an existing file is replaced
        only by a complete one.
    preprocessor : TablePreprocessor, optional
        Fitted; its ``n_features_out`` must equal the model's number of features.
    training : dict, optional
        Training record (see :func:`training_record`); fields of the model itself
        (solver, iterations, final loss...) are filled in when absent.
    inference : InferenceResult or dict, optional
        Standard errors etc. of the fit on its training rows (a binary model only); a dict
        is the output of ``InferenceResult.as_dict()``. Stored under ``"inference"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ModelFileError
        The model is not fitted, has non-finite coefficients (or ones whose logits can
        overflow), or does not match the preprocessor; or ``training`` is not
        JSON-serialisable, or holds a value :func:`load` would refuse.
    OSError
        The file cannot be written (nothing is left behind).
    """
    doc = to_document(model, preprocessor=preprocessor, training=training, inference=inference)
    try:
        text = json.dumps(doc, indent=2, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"cannot serialise the model to JSON: {exc}.") from exc
    path = Path(path)
    try:
        data = (text + "\n").encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ModelFileError(
            f"cannot save the model: a string holds a lone surrogate ({text[exc.start]!r}), "
            "which UTF-8 cannot write."
        ) from None
    # Read back as load reads it, so that save never writes a file load would refuse.
    where = f"the model for '{path}'"
    try:
        _from_document(parse_document(data, where), path)
    except ModelFileError as exc:
        message = str(exc).removeprefix(f"{where}: ")
        raise ModelFileError(f"refusing to save {where}: {message}") from None
    atomic_write_bytes(path, data)
    return path


def to_document(model, *, preprocessor=None, training=None, inference=None) -> dict:
    """The JSON-ready dict that :func:`save` writes."""
    if not hasattr(model, "coef_") or not hasattr(model, "classes_"):
        raise ModelFileError("cannot save an unfitted model; call fit first.")
    coef = model.coef_
    coef = np.asarray(coef.toarray() if hasattr(coef, "toarray") else coef)  # sparsify()
    n_classes = len(model.classes_)
    rows = 1 if n_classes == 2 else n_classes
    if coef.ndim != 2 or coef.shape[0] != rows or np.shape(model.intercept_) != (rows,):
        raise ModelFileError(
            f"coef_ has shape {coef.shape} and intercept_ {np.shape(model.intercept_)}; a model "
            f"of {n_classes} classes has ({rows}, n_features) and ({rows},)."
        )
    if not np.all(np.isfinite(coef)) or not np.all(np.isfinite(model.intercept_)):
        raise ModelFileError("the model has non-finite coefficients; refusing to save it.")
    n = coef.shape[1]
    names_in = getattr(model, "feature_names_in_", None)
    if preprocessor is not None:
        if preprocessor.n_features_out != n:
            raise ModelFileError(
                f"the preprocessor makes {preprocessor.n_features_out} features but the model "
                f"has {n}; save the preprocessor the model was trained with."
            )
        feature_names = list(preprocessor.feature_names_out)
    elif names_in is not None:
        feature_names = [str(v) for v in names_in]
    else:
        feature_names = [f"x{j}" for j in range(n)]
    auto = {}
    if training is None or "solver" not in training:
        auto = training_record(model)
    record = {**auto, **(training or {})}
    if rows == 1:
        coef_json = [float(v) for v in coef.ravel()]
        intercept_json = float(np.ravel(model.intercept_)[0])
    else:
        coef_json = [[float(v) for v in row] for row in coef]
        intercept_json = [float(v) for v in np.ravel(model.intercept_)]
    doc = {
        "schema": SCHEMA,
        "version": _BINARY_VERSION if rows == 1 else VERSION,
        "library_version": _library_version(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "float_format": "repr",
        "model": {
            "estimator": _ESTIMATOR,
            "params": _params_of(model),
            "dtype": str(coef.dtype),
            "n_features": n,
            "feature_names": feature_names,
            "feature_names_in": None if names_in is None else [str(v) for v in names_in],
            "classes": _classes_to_json(model.classes_),
            "coef": coef_json,
            "intercept": intercept_json,
            "n_iter": int(np.ravel(getattr(model, "n_iter_", [0]))[0]),
            "converged": bool(getattr(model, "converged_", False)),
            "solver": str(getattr(model, "solver_", model.get_params().get("solver"))),
        },
        "preprocessing": None if preprocessor is None else preprocessor.to_dict(),
        "training": record or None,
    }
    if inference is not None:
        d = inference.as_dict() if hasattr(inference, "as_dict") else inference
        doc["inference"] = _finite_or_null(d)
        layout = inference_layout(
            d, model.classes_, feature_names, coef, model.intercept_, model.fit_intercept
        )
        _check_inference(doc["inference"], *layout, [])
    try:
        doc["checksum"] = checksum_of(doc)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"cannot serialise the model to JSON: {exc}.") from exc
    return doc


def _library_version() -> str:
    """The version of this library, written into every file."""
    from ._version import __version__

    return __version__


# -- loading ------------------------------------------------------------------------------
@dataclass
class LoadedModel:
    """A model read from a file: the fitted estimator, its preprocessing and its record.

    ``predict_proba`` & co. accept a table: a pyarrow Table, a pandas DataFrame or a dict
    of columns (matched by name and passed through :attr:`preprocessor`), or, like the
    estimator, an array of shape (n_samples, n_features) already in the model's feature
    space.

    Attributes
    ----------
    estimator : LogisticRegression
        Fitted: ``coef_`` (1, n_features), ``intercept_`` (1,), ``classes_`` (2,) for a
        binary model; ``coef_`` (K, n_features), ``intercept_`` (K,), ``classes_`` (K,)
        for a multinomial one.
    preprocessor : TablePreprocessor or None
    training : dict
        The training record (empty when the file has none).
    feature_names : list of str
        Names of the n_features model inputs.
    metadata : dict
        ``schema``, ``version``, ``library_version``, ``created`` and ``path``.
    inference : dict or None
        The stored inference results (see the module docstring; non-finite numbers are
        None), or None when the file has none.
    """

    estimator: object
    preprocessor: TablePreprocessor | None
    training: dict
    feature_names: list[str]
    metadata: dict = field(default_factory=dict)
    inference: dict | None = None

    @property
    def classes_(self) -> np.ndarray:
        """The labels, as the estimator's ``classes_``."""
        return self.estimator.classes_

    @property
    def target(self) -> str | None:
        """The training target column name, when recorded."""
        t = self.training.get("target")
        return t if isinstance(t, str) else None

    def transform(self, data):
        """The model's input matrix (n_samples, n_features) for a table (a pyarrow Table or
        RecordBatch, a pandas DataFrame or a dict of columns, through the preprocessing;
        CSR where the preprocessing is sparse) or an array already in the model's feature
        space."""
        import pyarrow as pa

        if isinstance(data, pa.Table | pa.RecordBatch | dict) or (
            hasattr(data, "columns") and hasattr(data, "iloc")
        ):
            if self.preprocessor is None:
                raise DataError(
                    "this model was saved without preprocessing; pass an array of shape "
                    f"(n_samples, {len(self.feature_names)}) instead of a table."
                )
            return self.preprocessor.transform(data)
        return data

    def inference_result(self, units: str = "per unit"):
        """The stored standard errors as an :class:`~logistic.inference.InferenceResult`,
        or None when the file has none.

        ``units="per unit"``: coefficients, standard errors and intervals per unit of each
        input as the user gave it (the fit's standardisation undone: ``beta / sd``, the
        intercept at the inputs' zero), what R and statsmodels report on the raw data;
        ``"per sd"``: as fitted, per standard deviation of each numeric input. One-hot
        columns are the same in both.
        """
        if units not in ("per unit", "per sd"):
            raise DataError(
                f"units={units!r} is not accepted; units accepts 'per unit' or 'per sd'."
            )
        if self.inference is None:
            return None
        from .inference import InferenceResult

        result = InferenceResult.from_dict(self.inference)
        if self.preprocessor is None or not self.preprocessor.standardize:
            return result  # the design is the inputs themselves
        if units == "per sd":
            result.units = "per sd"
            return result
        return result.per_unit(*self.preprocessor.output_scaling())

    def decision_function(self, data) -> np.ndarray:
        """Logits ``z = X w + b``, shape (n_samples,) (binary) or (n_samples, K)."""
        return self.estimator.decision_function(self.transform(data))

    def predict_proba(self, data) -> np.ndarray:
        """``[1 - a, a]`` per row, shape (n_samples, 2); softmax rows (n_samples, K)."""
        return self.estimator.predict_proba(self.transform(data))

    def predict(self, data) -> np.ndarray:
        """Labels, shape (n_samples,), from ``classes_``."""
        return self.estimator.predict(self.transform(data))


def load(path) -> LoadedModel:
    """Read and validate a model file written by :func:`save`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    LoadedModel
        Its ``predict_proba`` equals the saved estimator's bit for bit.

    Raises
    ------
    ModelFileError
        The file is missing, unreadable, not a regular file or too large, not JSON (or
        truncated), beyond a limit of the reader, of another schema or a newer version,
        fails validation (types, bounds, shapes, non-finite numbers, coefficients that
        overflow), or differs from its checksum; one line naming the field.
    """
    path = Path(path)
    where = f"model file '{path}'"
    doc = parse_document(read_regular_file(path), where)
    try:
        return LoadedModel(*_from_document(doc, path))
    except ModelFileError as exc:
        raise ModelFileError(f"{where}: {exc}") from None
    except UserInputError as exc:
        raise ModelFileError(f"{where}: {exc}") from None
