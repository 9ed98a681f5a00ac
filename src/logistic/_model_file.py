"""The model-file format, field by field: how each is written and how it is checked on load.

:mod:`logistic.persistence` is the public side (``save``, ``load``, the format described in
its docstring); this module holds the rules of the format that both directions share: the
schema and its versions, the encoding of classes and parameters, and the strict validation
of a document read back (types, shapes, finiteness, and the consistency of the preprocessing
and the inference block with the model). Every refusal is a
:class:`~logistic.errors.ModelFileError` naming the field.
"""

from __future__ import annotations

import math

import numpy as np

from ._classes import MAX_CLASSES
from .errors import DataError, ModelFileError, UserInputError
from .inference import COV_TYPES, PARAM_FIELDS, STATISTICS, parameter_layout
from .tables import preprocessor_from_dict

__all__ = ["INFERENCE_NUMBERS", "SCHEMA", "VERSION"]

SCHEMA = "logistic.model"
VERSION = 2  # the newest version written and read; binary models are written as 1
_BINARY_VERSION = 1
_ESTIMATOR = "logistic.LogisticRegression"
# Constructor parameters stored in the file; callables and verbosity are run-time only.
_SKIP_PARAMS = ("callback", "verbose")
_CLASS_DTYPES = {"int64": np.int64, "float64": np.float64, "bool": np.bool_, "str": None}


# -- writing ------------------------------------------------------------------------------
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


def _jsonable_param(v):
    """A parameter as JSON holds it: infinities as "inf"/"-inf", NumPy scalars as Python ones."""
    if isinstance(v, float) and not math.isfinite(v):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, np.generic):
        return v.item()
    return v


def _params_of(model) -> dict:
    """The constructor parameters stored in a file (run-time-only ones left out)."""
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
    """``{"dtype", "values"}`` of the labels, keeping their type."""
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


# -- reading ------------------------------------------------------------------------------
class _NonFinite(Exception):
    """A JSON constant (NaN, Infinity) met while parsing a model file."""

    pass


def _reject_constant(name):
    """``json.loads``'s ``parse_constant``: model files hold only finite numbers."""
    raise _NonFinite(name)


def _require(d, key, types, where):
    """The value of ``d[key]``, refused when missing or not of ``types`` (bool is not int)."""
    if not isinstance(d, dict) or key not in d:
        raise ModelFileError(f"'{where}{key}' is missing.")
    v = d[key]
    if not isinstance(v, types) or (isinstance(v, bool) and bool not in _as_tuple(types)):
        names = "/".join(t.__name__ for t in _as_tuple(types))
        raise ModelFileError(f"'{where}{key}' must be {names}, got {type(v).__name__} {v!r}.")
    return v


def _as_tuple(types):
    """``types`` as a tuple of types."""
    return types if isinstance(types, tuple) else (types,)


def _finite(v, name) -> float:
    """A finite JSON number as float; anything else is refused, naming the field."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ModelFileError(f"'{name}' must be a finite number, got {v!r}.")
    return float(v)


def _from_document(doc, path) -> tuple:
    """The parts of a :class:`~logistic.persistence.LoadedModel` from a parsed model file.

    Parameters
    ----------
    doc : object
        The parsed JSON of the file.
    path : pathlib.Path
        The file, recorded in the metadata.

    Returns
    -------
    tuple
        ``(estimator, preprocessor, training, feature_names, metadata, inference)``, the
        fields of :class:`~logistic.persistence.LoadedModel` in order.

    Raises
    ------
    ModelFileError
        The document is not of this schema, of a newer version, or fails validation; the
        message names the field.
    """
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

    from ._estimator import LogisticRegression

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
            preprocessor = preprocessor_from_dict(pre)
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
        layout = inference_layout(inference, classes, names, coef, intercept, est.fit_intercept)
        _check_inference(inference, *layout, [])
    metadata = {
        "schema": SCHEMA,
        "version": version,
        "library_version": doc.get("library_version"),
        "created": doc.get("created"),
        "path": str(path),
    }
    return est, preprocessor, training, list(names), metadata, inference


#: The numbers of a stored inference block besides its per-parameter table: each finite or
#: null (undefined).
INFERENCE_NUMBERS = ("alpha", *STATISTICS)


def inference_layout(d, classes, names, coef, intercept, fit_intercept):
    """``(parameter names, values)`` of the inference block ``d`` of this model: the
    reference-class contrasts of :mod:`logistic.inference` when ``d`` names a reference
    (every multinomial block), else the binary ``(w, b)``."""
    try:
        return parameter_layout(d, classes, names, coef, intercept, fit_intercept)
    except DataError as exc:
        raise ModelFileError(f"'inference.reference': {exc}") from None


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
    if cov_type not in COV_TYPES:
        raise ModelFileError(f"'inference.cov_type' is {cov_type!r}; expected one of {COV_TYPES}.")
    _require(d, "penalized", bool, w)
    _require(d, "method", str, w)
    for key in INFERENCE_NUMBERS:
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
        for key in PARAM_FIELDS:
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
    """The labels of ``model.classes``: 2 to MAX_CLASSES, distinct, sorted, of their dtype."""
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
    """The constructor parameters of ``model.params``, decoded (C = inf, class_weight pairs)."""
    from ._estimator import LogisticRegression

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
