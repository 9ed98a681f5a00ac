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
      "inference": {...} or absent
    }

Versions. A binary model is written as version 1, which every release reads. A multinomial
model (``K > 2`` classes) is written as version 2: ``model.coef`` is then a list of ``K``
rows of ``n_features`` numbers (``coef_``, shape (K, n_features)) and ``model.intercept`` a
list of ``K`` numbers, which a version-1 reader could not interpret, so it refuses the file
as "newer" instead of misreading it. This module reads both.

``inference`` (optional, in both versions; older readers ignore it) holds the plain data of
:meth:`logistic.inference.InferenceResult.as_dict` for an unpenalised binary fit (or an
opted-in penalised sandwich), computed on the training rows: standard errors, z, p-values,
intervals, likelihood statistics. Non-finite numbers (an undefined pseudo R^2 ...) are
stored as null. It is validated on load: every parameter of the model appears with finite
``coef`` equal to the model's coefficient.

Exactness: numbers are JSON numbers written with Python's ``repr`` of a float64, which is
the shortest decimal string that reads back to the same double (guaranteed by Python's
float formatting since 3.1, and by every correctly rounding JSON parser). float32
coefficients widen exactly to float64 and narrow back exactly, so the loaded model's
``predict_proba`` is bit-for-bit the saved estimator's. NaN and infinity are refused on save
(``allow_nan=False``) and on load.

No pickle: loading a file never executes code. Classes keep their JSON type (integers,
floats, booleans or strings) and their NumPy dtype.
"""

from __future__ import annotations

import json
import math
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DataError, ModelFileError, UserInputError
from .io import TablePreprocessor, array_sha256, atomic_write_bytes

__all__ = ["SCHEMA", "VERSION", "LoadedModel", "load", "save", "training_record"]

SCHEMA = "logistic.model"
VERSION = 2  # the newest version written and read; binary models are written as 1
_BINARY_VERSION = 1
_ESTIMATOR = "logistic.LogisticRegression"
# Constructor parameters stored in the file; callables and verbosity are run-time only.
_SKIP_PARAMS = ("callback", "verbose")
_CLASS_DTYPES = {"int64": np.int64, "float64": np.float64, "bool": np.bool_, "str": None}


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
    from .io import file_sha256

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
        The model is not fitted, not binary, has non-finite coefficients, or does not
        match the preprocessor; or ``training`` is not JSON-serialisable.
    OSError
        The file cannot be written (nothing is left behind).
    """
    doc = to_document(model, preprocessor=preprocessor, training=training, inference=inference)
    try:
        text = json.dumps(doc, indent=2, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"cannot serialise the model to JSON: {exc}.") from exc
    path = Path(path)
    atomic_write_bytes(path, (text + "\n").encode("utf-8"))
    return path


def to_document(model, *, preprocessor=None, training=None, inference=None) -> dict:
    """The JSON-ready dict that :func:`save` writes."""
    if not hasattr(model, "coef_") or not hasattr(model, "classes_"):
        raise ModelFileError("cannot save an unfitted model; call fit first.")
    coef = np.asarray(model.coef_)
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
        if rows != 1:
            raise ModelFileError("inference results cover binary models only.")
        d = inference.as_dict() if hasattr(inference, "as_dict") else inference
        doc["inference"] = _finite_or_null(d)
        names = [*feature_names, "intercept"] if model.fit_intercept else list(feature_names)
        _check_inference(doc["inference"], names, coef.ravel(), model.intercept_)
    return doc


def _finite_or_null(v):
    """A copy of plain data with every non-finite float replaced by None (JSON null)."""
    if isinstance(v, dict):
        return {str(k): _finite_or_null(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_finite_or_null(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _library_version() -> str:
    from . import __version__

    return __version__


def _jsonable_param(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, np.generic):
        return v.item()
    return v


def _params_of(model) -> dict:
    out = {}
    for k, v in model.get_params(deep=False).items():
        if k in _SKIP_PARAMS:
            continue
        if k == "class_weight" and isinstance(v, dict):
            # JSON object keys are strings; keep the labels' types as [label, weight] pairs.
            v = {"pairs": [[_jsonable_param(a), float(b)] for a, b in v.items()]}
        elif k == "random_state" and not (v is None or isinstance(v, int)):
            v = None  # a Generator cannot be stored; the fit is already done
        out[k] = _jsonable_param(v)
    return out


def _classes_to_json(classes) -> dict:
    classes = np.asarray(classes)
    kind = classes.dtype.kind
    if kind == "b":
        return {"dtype": "bool", "values": [bool(v) for v in classes]}
    if kind in "iu":
        return {"dtype": "int64", "values": [int(v) for v in classes]}
    if kind == "f":
        return {"dtype": "float64", "values": [float(v) for v in classes]}
    if kind in "UO" and all(isinstance(v, str) for v in classes.tolist()):
        return {"dtype": "str", "values": [str(v) for v in classes]}
    raise ModelFileError(
        f"classes {classes.tolist()!r} cannot be stored; model files accept integer, float, "
        "boolean or string labels."
    )


# -- loading ------------------------------------------------------------------------------
@dataclass
class LoadedModel:
    """A model read from a file: the fitted estimator, its preprocessing and its record.

    ``predict_proba`` & co. accept a pyarrow Table (columns matched by name and passed
    through :attr:`preprocessor`) or, like the estimator, an array of shape
    (n_samples, n_features) already in the model's feature space.

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
        return self.estimator.classes_

    @property
    def target(self) -> str | None:
        """The training target column name, when recorded."""
        t = self.training.get("target")
        return t if isinstance(t, str) else None

    def transform(self, data) -> np.ndarray:
        """The model's input matrix (n_samples, n_features) for a Table or an array."""
        import pyarrow as pa

        if isinstance(data, pa.Table):
            if self.preprocessor is None:
                raise DataError(
                    "this model was saved without preprocessing; pass an array of shape "
                    f"(n_samples, {len(self.feature_names)}) instead of a table."
                )
            return self.preprocessor.transform(data)
        return data

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
        The file is missing or unreadable, not JSON (or truncated), of another schema or a
        newer version, or fails validation (types, shapes, non-finite numbers); the message
        names the field.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"model file '{path}' not found.") from None
    except IsADirectoryError:
        raise ModelFileError(f"model file '{path}' is a directory, not a model file.") from None
    except OSError as exc:
        raise ModelFileError(f"cannot read model file '{path}': {exc.strerror or exc}.") from exc
    where = f"model file '{path}'"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelFileError(f"{where} is not a JSON model file (not UTF-8 text).") from None
    if not text.strip():
        raise ModelFileError(f"{where} is empty.")
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except _NonFinite as exc:
        raise ModelFileError(
            f"{where} contains {exc.args[0]}; model files hold only finite numbers "
            "(the file was edited or corrupted)."
        ) from None
    except json.JSONDecodeError as exc:
        body = text.strip()
        if exc.pos >= len(text.rstrip()) or (body.startswith("{") and not body.endswith("}")):
            raise ModelFileError(
                f"{where} is truncated (the JSON stops at line {exc.lineno} before it is "
                "complete); "
                "re-save the model."
            ) from None
        raise ModelFileError(
            f"{where} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
        ) from None
    try:
        return _from_document(doc, path)
    except ModelFileError as exc:
        raise ModelFileError(f"{where}: {exc}") from None
    except UserInputError as exc:
        raise ModelFileError(f"{where}: {exc}") from None


class _NonFinite(Exception):
    pass


def _reject_constant(name):
    raise _NonFinite(name)


def _require(d, key, types, where):
    if not isinstance(d, dict) or key not in d:
        raise ModelFileError(f"'{where}{key}' is missing.")
    v = d[key]
    if not isinstance(v, types) or (isinstance(v, bool) and bool not in _as_tuple(types)):
        names = "/".join(t.__name__ for t in _as_tuple(types))
        raise ModelFileError(f"'{where}{key}' must be {names}, got {type(v).__name__} {v!r}.")
    return v


def _as_tuple(types):
    return types if isinstance(types, tuple) else (types,)


def _finite(v, name) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ModelFileError(f"'{name}' must be a finite number, got {v!r}.")
    return float(v)


def _from_document(doc, path) -> LoadedModel:
    if not isinstance(doc, dict):
        raise ModelFileError(f"the top level is a JSON {type(doc).__name__}, not an object.")
    schema = doc.get("schema")
    if schema != SCHEMA:
        raise ModelFileError(
            f"schema is {schema!r}, not {SCHEMA!r}; this is not a logistic model file."
        )
    version = _require(doc, "version", int, "")
    if version > VERSION:
        raise ModelFileError(
            f"version {version} was written by a newer logistic "
            f"({doc.get('library_version')!r}); this one reads versions up to {VERSION}."
        )
    if version < 1:
        raise ModelFileError(f"version {version} is not a valid model file version.")
    m = _require(doc, "model", dict, "")
    est_name = _require(m, "estimator", str, "model.")
    if est_name != _ESTIMATOR:
        raise ModelFileError(f"'model.estimator' is {est_name!r}; expected {_ESTIMATOR!r}.")
    n = _require(m, "n_features", int, "model.")
    if n < 1:
        raise ModelFileError(f"'model.n_features' must be >= 1, got {n}.")
    dtype_name = _require(m, "dtype", str, "model.")
    if dtype_name not in ("float64", "float32"):
        raise ModelFileError(f"'model.dtype' is {dtype_name!r}; expected 'float64' or 'float32'.")
    dtype = np.dtype(dtype_name)
    classes = _classes_from_json(_require(m, "classes", dict, "model."))
    K = len(classes)
    if K > 2 and version < 2:
        raise ModelFileError(
            f"'model.classes' has {K} labels but version {version} files hold binary models "
            "only (multinomial models are version 2)."
        )
    coef_list = _require(m, "coef", list, "model.")
    if K == 2:
        if len(coef_list) != n:
            raise ModelFileError(
                f"'model.coef' has {len(coef_list)} values but 'model.n_features' is {n}."
            )
        coef = np.array([_finite(v, f"model.coef[{j}]") for j, v in enumerate(coef_list)])
        coef = coef.reshape(1, n)
        intercept = np.array([_finite(m.get("intercept"), "model.intercept")])
    else:
        if len(coef_list) != K or not all(isinstance(r, list) and len(r) == n for r in coef_list):
            raise ModelFileError(
                f"'model.coef' must be {K} rows (one per class) of {n} numbers "
                "('model.n_features')."
            )
        coef = np.array(
            [
                [_finite(v, f"model.coef[{k}][{j}]") for j, v in enumerate(row)]
                for k, row in enumerate(coef_list)
            ]
        )
        icpt = m.get("intercept")
        if not isinstance(icpt, list) or len(icpt) != K:
            raise ModelFileError(
                f"'model.intercept' must be a list of {K} numbers (one per class)."
            )
        intercept = np.array([_finite(v, f"model.intercept[{k}]") for k, v in enumerate(icpt)])
    names = _require(m, "feature_names", list, "model.")
    if len(names) != n or not all(isinstance(v, str) for v in names):
        raise ModelFileError(f"'model.feature_names' must be {n} strings, got {len(names)} items.")
    names_in = m.get("feature_names_in")
    if names_in is not None and (
        not isinstance(names_in, list)
        or len(names_in) != n
        or not all(isinstance(v, str) for v in names_in)
    ):
        raise ModelFileError(f"'model.feature_names_in' must be null or {n} strings.")
    params = _params_from_json(_require(m, "params", dict, "model."))

    from .estimator import LogisticRegression

    try:
        est = LogisticRegression(**params)
        est._check_params()
    except (TypeError, UserInputError) as exc:
        raise ModelFileError(f"'model.params' are not valid: {exc}") from None
    # Coefficients go back in the dtype they were fitted in; float64 -> float32 is exact
    # because they were float32 values widened on save.
    est.coef_ = coef.astype(dtype)
    if not np.array_equal(est.coef_.astype(np.float64), coef):
        raise ModelFileError("'model.coef' has values that are not exact float32 numbers.")
    est.intercept_ = intercept.astype(dtype)
    est.classes_ = classes
    est.n_features_in_ = n
    if names_in is not None:
        est.feature_names_in_ = np.array(names_in, dtype=object)
    n_iter = m.get("n_iter", 0)
    est.n_iter_ = np.array([n_iter if isinstance(n_iter, int) else 0], dtype=np.int32)
    est.converged_ = bool(m.get("converged", False))
    est.solver_ = str(m.get("solver", params.get("solver", "auto")))

    pre = doc.get("preprocessing")
    preprocessor = None
    if pre is not None:
        try:
            preprocessor = TablePreprocessor.from_dict(pre)
        except DataError as exc:
            raise ModelFileError(str(exc)) from None
        if preprocessor.n_features_out != n:
            raise ModelFileError(
                f"the preprocessing makes {preprocessor.n_features_out} features but "
                f"'model.n_features' is {n}."
            )
        if preprocessor.feature_names_out != names:
            raise ModelFileError(
                "'model.feature_names' do not match the preprocessing's output columns."
            )
    training = doc.get("training") or {}
    if not isinstance(training, dict):
        raise ModelFileError("'training' must be an object or null.")
    inference = doc.get("inference")
    if inference is not None:
        if K != 2:
            raise ModelFileError("'inference' is set but the model is not binary.")
        pnames = [*names, "intercept"] if est.fit_intercept else list(names)
        _check_inference(inference, pnames, coef.ravel(), intercept)
    metadata = {
        "schema": SCHEMA,
        "version": version,
        "library_version": doc.get("library_version"),
        "created": doc.get("created"),
        "path": str(path),
    }
    return LoadedModel(est, preprocessor, training, list(names), metadata, inference)


_INFERENCE_NUMBERS = (
    "alpha",
    "nobs",
    "df_model",
    "df_resid",
    "llf",
    "llnull",
    "llr",
    "llr_pvalue",
    "prsquared",
    "aic",
    "bic",
    "edf",
    "max_abs_gradient",
    "newton_step_se",
)
_PARAM_FIELDS = ("coef", "std_err", "z", "p_value", "ci_low", "ci_high")


def _check_inference(d, names, coef, intercept) -> None:
    """Validate a stored inference block against the model it belongs to.

    ``names`` are the parameter names (features, then ``"intercept"`` when fitted);
    each must appear in ``params`` with a ``coef`` equal to the model's (the results belong
    to these coefficients), numbers finite or null (undefined), ``std_err >= 0`` and
    ``0 <= p_value <= 1``.
    """
    w = "inference."
    if not isinstance(d, dict):
        raise ModelFileError(f"'inference' must be an object or absent, got {type(d).__name__}.")
    cov_type = _require(d, "cov_type", str, w)
    from .inference import COV_TYPES

    if cov_type not in COV_TYPES:
        raise ModelFileError(f"'inference.cov_type' is {cov_type!r}; expected one of {COV_TYPES}.")
    _require(d, "penalized", bool, w)
    _require(d, "method", str, w)
    for key in _INFERENCE_NUMBERS:
        v = d.get(key)
        if v is not None:
            _finite(v, w + key)
    alpha = d.get("alpha")
    if alpha is None or not 0 < alpha < 1:
        raise ModelFileError(f"'inference.alpha' must be a number in (0, 1), got {alpha!r}.")
    params = _require(d, "params", dict, w)
    if list(params) != list(names):
        raise ModelFileError(
            f"'inference.params' names {list(params)[:5]}... do not match the model's "
            f"parameters {list(names)[:5]}..."
        )
    values = [*np.ravel(coef).tolist(), *np.ravel(intercept).tolist()][: len(names)]
    for name, value in zip(names, values, strict=True):
        entry = params[name]
        if not isinstance(entry, dict):
            raise ModelFileError(f"'inference.params.{name}' must be an object.")
        for key in _PARAM_FIELDS:
            if key not in entry:
                raise ModelFileError(f"'inference.params.{name}.{key}' is missing.")
            if entry[key] is not None:
                _finite(entry[key], f"inference.params.{name}.{key}")
        if entry["coef"] != value:
            raise ModelFileError(
                f"'inference.params.{name}.coef' is {entry['coef']!r} but the model's "
                f"coefficient is {value!r}; the inference does not belong to this model."
            )
        se, p = entry["std_err"], entry["p_value"]
        if se is not None and se < 0:
            raise ModelFileError(f"'inference.params.{name}.std_err' must be >= 0, got {se!r}.")
        if p is not None and not 0 <= p <= 1:
            raise ModelFileError(f"'inference.params.{name}.p_value' must be in [0, 1], got {p!r}.")
    cov = d.get("cov_params")
    k = len(names)
    if cov is not None and (
        not isinstance(cov, list)
        or len(cov) != k
        or not all(isinstance(r, list) and len(r) == k for r in cov)
    ):
        raise ModelFileError(f"'inference.cov_params' must be null or {k} rows of {k} numbers.")
    sep = d.get("separation")
    if sep is not None and not (isinstance(sep, dict) and isinstance(sep.get("separated"), bool)):
        raise ModelFileError("'inference.separation' must be null or an object with 'separated'.")


def _classes_from_json(c) -> np.ndarray:
    dtype = _require(c, "dtype", str, "model.classes.")
    values = _require(c, "values", list, "model.classes.")
    if dtype not in _CLASS_DTYPES:
        raise ModelFileError(
            f"'model.classes.dtype' is {dtype!r}; expected one of {sorted(_CLASS_DTYPES)}."
        )
    checks = {
        "int64": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float64": lambda v: (
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        ),
        "bool": lambda v: isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
    }
    from .io import MAX_CLASSES

    if not 2 <= len(values) <= MAX_CLASSES or not all(checks[dtype](v) for v in values):
        raise ModelFileError(
            f"'model.classes.values' must be 2 to {MAX_CLASSES} {dtype} labels, got {values!r}."
        )
    if len(set(values)) != len(values) or sorted(values) != values:
        raise ModelFileError(
            f"'model.classes.values' must be distinct labels in sorted order, got {values!r}."
        )
    if dtype == "str":
        return np.array(values, dtype=object)
    return np.array(values, dtype=_CLASS_DTYPES[dtype])


def _params_from_json(p) -> dict:
    from .estimator import LogisticRegression

    known = set(LogisticRegression().get_params(deep=False))
    unknown = sorted(set(p) - known)
    if unknown:
        raise ModelFileError(f"'model.params' has unknown parameter(s) {unknown}.")
    out = dict(p)
    if out.get("C") in ("inf", "-inf"):
        out["C"] = float(out["C"])
    cw = out.get("class_weight")
    if isinstance(cw, dict):
        pairs = cw.get("pairs")
        if not isinstance(pairs, list) or not all(
            isinstance(q, list) and len(q) == 2 for q in pairs
        ):
            raise ModelFileError("'model.params.class_weight' must hold [label, weight] pairs.")
        out["class_weight"] = {a: b for a, b in pairs}
    return out
