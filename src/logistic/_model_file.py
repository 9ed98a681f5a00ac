"""The model-file format, field by field: how each is written and how it is checked on load.

:mod:`logistic.persistence` is the public side (``save``, ``load``, the format described in
its docstring); this module holds the rules of the format that both directions share: the
schema and its versions, the encoding of classes and parameters, and the strict validation
of a document read back (types, shapes, finiteness, the range of the coefficients, the
checksum, and the consistency of the preprocessing and the inference block with the model).
The limits of the file and its JSON are :mod:`logistic._json_limits`'s, the types of the
metadata, the training record and the inference fields :mod:`logistic._model_schema`'s.
Every refusal is a :class:`~logistic.errors.ModelFileError` naming the field.
"""

from __future__ import annotations

import math

import numpy as np

from ._classes import MAX_CLASSES
from ._json_limits import sha256_of
from ._model_schema import (
    SHORT_TEXT,
    boolean,
    check_inference_fields,
    check_metadata,
    check_training,
    integer,
    number,
    numbers,
    obj,
    only_keys,
    show,
    text,
)
from .errors import DataError, ModelFileError, UserInputError
from .inference import COV_TYPES, PARAM_FIELDS, STATISTICS, parameter_layout
from .tables import preprocessor_from_dict

__all__ = ["CHECKSUM_PARTS", "INFERENCE_NUMBERS", "INPUT_BOUND", "SCHEMA", "VERSION"]

SCHEMA = "logistic.model"
VERSION = 2  # the newest version written and read; binary models are written as 1
_BINARY_VERSION = 1
_ESTIMATOR = "logistic.LogisticRegression"
# Constructor parameters stored in the file; callables and verbosity are run-time only.
_SKIP_PARAMS = ("callback", "verbose")
_CLASS_DTYPES = {"int64": np.int64, "float64": np.float64, "bool": np.bool_, "str": None}
_MODEL_KEYS = (
    "estimator",
    "params",
    "dtype",
    "n_features",
    "feature_names",
    "feature_names_in",
    "classes",
    "coef",
    "intercept",
    "n_iter",
    "converged",
    "solver",
)
#: The inputs (standardised, or as given to a model without preprocessing) up to which a
#: model's logits must stay finite: ``sum_j |coef_j| + |b| <= max(dtype) / INPUT_BOUND``.
INPUT_BOUND = 1e6
#: The fields whose SHA-256 ``save`` writes under ``checksum.sha256``: everything a
#: prediction is computed from.
CHECKSUM_PARTS = ("model.classes", "model.coef", "model.intercept", "preprocessing")


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


def _coefficients(m, K, n) -> tuple[np.ndarray, np.ndarray]:
    """``coef`` (float64, shape (1, n) or (K, n)) and ``intercept`` ((1,) or (K,)) of the
    model block of a model of ``K`` classes and ``n`` features."""
    coef_list = _require(m, "coef", list, "model.")
    if K == 2:
        if len(coef_list) != n:
            raise ModelFileError(
                f"'model.coef' has {len(coef_list)} values but 'model.n_features' is {n}."
            )
        coef = np.array(numbers(coef_list, "model.coef"), dtype=np.float64).reshape(1, n)
        intercept = np.array([_finite(m.get("intercept"), "model.intercept")])
        return coef, intercept
    if len(coef_list) != K or not all(isinstance(r, list) and len(r) == n for r in coef_list):
        raise ModelFileError(
            f"'model.coef' must be {K} rows (one per class) of {n} numbers ('model.n_features')."
        )
    coef = np.array(
        [numbers(row, f"model.coef[{k}]") for k, row in enumerate(coef_list)], dtype=np.float64
    )
    icpt = m.get("intercept")
    if not isinstance(icpt, list) or len(icpt) != K:
        raise ModelFileError(f"'model.intercept' must be a list of {K} numbers (one per class).")
    return coef, np.array(numbers(icpt, "model.intercept"), dtype=np.float64)


def _check_logits(coef, intercept, dtype) -> None:
    """Refuse coefficients whose logits can overflow: each class's ``sum_j |coef_j| + |b|``
    must be at most ``max(dtype) / INPUT_BOUND``, so ``|z| = |x . coef + b|`` stays finite
    for every input with ``|x_j| <= INPUT_BOUND`` (finite coefficients of 1.7e308 would
    otherwise give NaN probabilities)."""
    limit = float(np.finfo(dtype).max) / INPUT_BOUND
    with np.errstate(over="ignore"):
        size = np.abs(coef).sum(axis=1) + np.abs(intercept)
    if np.all(size <= limit):
        return
    k = int(np.argmax(~(size <= limit)))
    field = "model.coef" if coef.shape[0] == 1 else f"model.coef[{k}]"
    raise ModelFileError(
        f"'{field}' sums to |coef| + |intercept| = {size[k]:.3g}; accepted: at most "
        f"{limit:.2g}, so that the logits of inputs up to {INPUT_BOUND:g} in absolute value "
        f"stay finite in {np.dtype(dtype).name}."
    )


def _check_per_unit(preprocessor, coef, intercept, names) -> None:
    """Refuse a model whose coefficients per unit of the inputs (``coef / scale`` and the
    intercept at the inputs' zero, what ``summary`` shows) are not finite."""
    if not getattr(preprocessor, "standardize", False) or not hasattr(
        preprocessor, "output_scaling"
    ):
        return
    means, sds = preprocessor.output_scaling()
    with np.errstate(all="ignore"):
        per_unit = coef / sds
        b = intercept - (coef * (means / sds)).sum(axis=1)
    bad = ~np.isfinite(per_unit)
    if bad.any():
        k, j = np.argwhere(bad)[0]
        raise ModelFileError(
            f"'model.coef' of {coef[k, j]:.3g} is {per_unit[k, j]:.3g} per unit of "
            f"'{names[j]}' (its scale is {sds[j]:.3g}); accepted: coefficients finite per "
            "unit of every input."
        )
    if not np.all(np.isfinite(b)):
        raise ModelFileError(
            "'model.intercept' is not finite at the inputs' zero (b - sum coef * mean / "
            "scale); accepted: coefficients finite per unit of every input."
        )


def _part(doc, part):
    """The value at the dotted ``part`` of ``doc`` (None where absent)."""
    value = doc
    for key in part.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def checksum_of(doc) -> dict:
    """``{"sha256": {part: digest}}``: the SHA-256 of the canonical JSON of each of
    :data:`CHECKSUM_PARTS` of ``doc``, the ``checksum`` field ``save`` writes."""
    return {"sha256": {part: sha256_of(_part(doc, part)) for part in CHECKSUM_PARTS}}


def _verify_checksum(doc) -> None:
    """Compare ``checksum`` with the values it covers, naming the part that differs. A file
    without one (written before it existed) is not checked: the checksum detects edits and
    corruption, it is not a signature."""
    c = doc.get("checksum")
    if c is None:
        return
    if not isinstance(c, dict) or list(c) != ["sha256"] or not isinstance(c["sha256"], dict):
        raise ModelFileError(
            "'checksum' must be an object with 'sha256' (the digests save writes), or absent."
        )
    digests = c["sha256"]
    only_keys(digests, CHECKSUM_PARTS, "checksum.sha256")
    for part, stored in digests.items():
        if not (isinstance(stored, str) and len(stored) == 64 and _is_hex(stored)):
            raise ModelFileError(
                f"'checksum.sha256.{part}' must be 64 hexadecimal digits, got {show(stored)}."
            )
    for part in CHECKSUM_PARTS:
        if part not in digests:
            raise ModelFileError(f"'checksum.sha256' lacks {part!r}; save writes all of them.")
        actual = sha256_of(_part(doc, part))
        if actual != digests[part]:
            raise ModelFileError(
                f"'{part}' differs from the checksum save wrote (sha256 {digests[part][:12]}..., "
                f"now {actual[:12]}...): the file was edited or corrupted after it was saved; "
                "save the model again, or remove 'checksum' to load it as edited."
            )


def _is_hex(v: str) -> bool:
    return all(ch in "0123456789abcdef" for ch in v)


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
            f"schema is {show(schema).split(' ', 1)[1]}, not {SCHEMA!r}; this is not a logistic "
            "model file."
        )
    version = _require(doc, "version", int, "")
    if version > VERSION:
        raise ModelFileError(
            f"version {version} was written by a newer logistic "
            f"({show(doc.get('library_version')).split(' ', 1)[1]}); this one reads versions "
            f"up to {VERSION}."
        )
    if version < 1:
        raise ModelFileError(f"version {version} is not a valid model file version.")
    check_metadata(doc)
    m = _require(doc, "model", dict, "")
    only_keys(m, _MODEL_KEYS, "model")
    est_name = _require(m, "estimator", str, "model.")
    if est_name != _ESTIMATOR:
        raise ModelFileError(
            f"'model.estimator' is {show(est_name).split(' ', 1)[1]}; expected {_ESTIMATOR!r}."
        )
    n = _require(m, "n_features", int, "model.")
    if n < 1:
        raise ModelFileError(f"'model.n_features' must be >= 1, got {n}.")
    dtype_name = _require(m, "dtype", str, "model.")
    if dtype_name not in ("float64", "float32"):
        raise ModelFileError(
            f"'model.dtype' is {show(dtype_name).split(' ', 1)[1]}; expected 'float64' or "
            "'float32'."
        )
    dtype = np.dtype(dtype_name)
    classes = _classes_from_json(_require(m, "classes", dict, "model."))
    K = len(classes)
    if K > 2 and version < 2:
        raise ModelFileError(
            f"'model.classes' has {K} labels but version {version} files hold binary models "
            "only (multinomial models are version 2)."
        )
    coef, intercept = _coefficients(m, K, n)
    _check_logits(coef, intercept, dtype)
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
    n_iter = integer(m.get("n_iter", 0), "model.n_iter", low=0, high=2**31 - 1)
    converged = boolean(m.get("converged", False), "model.converged")
    solver = text(m.get("solver"), "model.solver", limit=SHORT_TEXT, null=True)
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
    est.n_iter_ = np.array([n_iter], dtype=np.int32)
    est.converged_ = converged
    est.solver_ = solver if solver is not None else est.solver

    pre = doc.get("preprocessing")
    preprocessor = None
    if pre is not None:
        try:
            preprocessor = preprocessor_from_dict(pre)
        except DataError as exc:
            raise ModelFileError(str(exc)) from None
        except (SyntaxError, ValueError, TypeError, LookupError, AttributeError) as exc:
            # What a formula's parser raises on an edited formula or state: the boundary of
            # an untrusted file turns it into the one line.
            raise ModelFileError(
                f"'preprocessing' cannot be read back ({type(exc).__name__}: "
                f"{' '.join(str(exc).split())[:200]})."
            ) from None
        if preprocessor.n_features_out != n:
            raise ModelFileError(
                f"the preprocessing makes {preprocessor.n_features_out} features but "
                f"'model.n_features' is {n}."
            )
        if preprocessor.feature_names_out != names:
            raise ModelFileError(
                "'model.feature_names' do not match the preprocessing's output columns."
            )
        _check_per_unit(preprocessor, coef, intercept, names)
    training = doc.get("training") or {}
    check_training(training)
    inference = doc.get("inference")
    if inference is not None:
        layout = inference_layout(inference, classes, names, coef, intercept, est.fit_intercept)
        _check_inference(inference, *layout, [])
    # Last: a value that is wrong in itself is named as such; a valid one that differs
    # from what save wrote is an edit.
    _verify_checksum(doc)
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
        raise ModelFileError(f"'inference' must be an object or absent, got {show(d)}.")
    cov_type = _require(d, "cov_type", str, w)
    if cov_type not in COV_TYPES:
        raise ModelFileError(
            f"'inference.cov_type' is {show(cov_type).split(' ', 1)[1]}; expected one of "
            f"{COV_TYPES}."
        )
    _require(d, "penalized", bool, w)
    _require(d, "method", str, w)
    check_inference_fields(d, INFERENCE_NUMBERS)
    alpha = d.get("alpha")
    if alpha is None or not 0 < alpha < 1:
        raise ModelFileError(f"'inference.alpha' must be a number in (0, 1), got {alpha!r}.")
    params = _require(d, "params", dict, w)
    if list(params) != list(names):
        raise ModelFileError(
            f"'inference.params' names {show(list(params)[:5])}... do not match the model's "
            f"parameters {show(list(names)[:5])}..."
        )
    values = [*np.ravel(coef).tolist(), *np.ravel(intercept).tolist()][: len(names)]
    for name, value in zip(names, values, strict=True):
        entry = params[name]
        where = f"inference.params.{name}"
        obj(entry, where)
        for key in PARAM_FIELDS:
            if key not in entry:
                raise ModelFileError(f"'{where}.{key}' is missing.")
            number(entry[key], f"{where}.{key}", null=True)
        if entry["coef"] != value:
            raise ModelFileError(
                f"'{where}.coef' is {entry['coef']!r} but the model's coefficient is "
                f"{value!r}; the inference does not belong to this model."
            )
        se, p = entry["std_err"], entry["p_value"]
        if se is not None and se < 0:
            raise ModelFileError(f"'{where}.std_err' must be >= 0, got {se!r}.")
        if p is not None and not 0 <= p <= 1:
            raise ModelFileError(f"'{where}.p_value' must be in [0, 1], got {p!r}.")
    cov = d.get("cov_params")
    k = len(names)
    if cov is not None and (
        not isinstance(cov, list)
        or len(cov) != k
        or not all(isinstance(r, list) and len(r) == k for r in cov)
    ):
        raise ModelFileError(f"'inference.cov_params' must be null or {k} rows of {k} numbers.")
    for i, row in enumerate(cov or ()):
        numbers(row, f"inference.cov_params[{i}]", null_items=True)


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
            f"'model.classes.values' must be 2 to {MAX_CLASSES} {dtype} labels, got {show(values)}."
        )
    if len(set(values)) != len(values) or sorted(values) != values:
        raise ModelFileError(
            f"'model.classes.values' must be distinct labels in sorted order, got {show(values)}."
        )
    if dtype == "str":
        return np.array(values, dtype=object)
    return np.array(values, dtype=_CLASS_DTYPES[dtype])


#: The types of the stored constructor parameters (their values are the estimator's to
#: check); ``C`` and ``class_weight`` are decoded by :func:`_params_from_json`.
_PARAM_TYPES = {
    "batch_size": lambda v, n: integer(v, n),
    "fit_intercept": lambda v, n: boolean(v, n),
    "l1_ratio": lambda v, n: number(v, n),
    "learning_rate": lambda v, n: v if v == "auto" else number(v, n),
    "max_iter": lambda v, n: integer(v, n, null=True),
    "random_state": lambda v, n: integer(v, n, null=True),
    "solver": lambda v, n: text(v, n, limit=SHORT_TEXT),
    "tol": lambda v, n: number(v, n),
    "warm_start": lambda v, n: boolean(v, n),
}


def _params_from_json(p) -> dict:
    """The constructor parameters of ``model.params``, typed and decoded (C = inf,
    class_weight pairs)."""
    from ._estimator import LogisticRegression

    known = set(LogisticRegression().get_params(deep=False))
    unknown = sorted(set(p) - known)
    if unknown:
        raise ModelFileError(f"'model.params' has unknown parameter(s) {show(unknown)}.")
    out = dict(p)
    for key, check in _PARAM_TYPES.items():
        if key in out:
            check(out[key], f"model.params.{key}")
    if "C" in out:
        C = out["C"]
        out["C"] = float(C) if C in ("inf", "-inf") else number(C, "model.params.C")
    cw = out.get("class_weight")
    if isinstance(cw, dict):
        out["class_weight"] = _class_weight_pairs(cw)
    elif cw is not None:
        text(cw, "model.params.class_weight", choices=("balanced",), null=True)
    return out


def _class_weight_pairs(cw) -> dict:
    """``{label: weight}`` of ``{"pairs": [[label, weight], ...]}``: labels JSON scalars
    (the classes' types), each once, weights finite numbers."""
    where = "model.params.class_weight"
    pairs = cw.get("pairs")
    if list(cw) != ["pairs"] or not isinstance(pairs, list):
        raise ModelFileError(f"'{where}' must be {{\"pairs\": [[label, weight], ...]}}.")
    out = {}
    for i, q in enumerate(pairs):
        if not (isinstance(q, list) and len(q) == 2):
            raise ModelFileError(f"'{where}.pairs[{i}]' must be a [label, weight] pair.")
        label, weight = q
        if not isinstance(label, int | float | str):  # bool is an int
            raise ModelFileError(
                f"'{where}.pairs[{i}][0]' must be a label (a number, a boolean or a string), "
                f"got {show(label)}."
            )
        number(weight, f"{where}.pairs[{i}][1]")
        if label in out:
            raise ModelFileError(f"'{where}' gives the label {label!r} twice.")
        out[label] = weight
    return out
