"""The types and bounds of a model file's fields besides the model itself: the top level
(metadata), the training record and the fields of the inference block.

:mod:`logistic._model_file` checks the model (coefficients, classes, parameters) and the
consistency of the blocks with it; this module holds the field checks they share, each a
function ``check(value, name)`` that returns the value or raises a
:class:`~logistic.errors.ModelFileError` of one line naming the field, what it holds and what
is accepted. Values come from :func:`logistic._json_limits.parse_document`, so every number is
already finite and every integer within int64.

Keys a block does not define are refused at the top level and in ``model``; the training
record and the inference block are open (``training_record(**extra)`` stores any
JSON-ready field, and newer statistics may add fields), their other keys bounded by the
parser's limits only.
"""

from __future__ import annotations

import re

from ._json_limits import MAX_TEXT
from .errors import ModelFileError

__all__ = [
    "TOP_LEVEL",
    "boolean",
    "check_inference_fields",
    "check_metadata",
    "check_training",
    "integer",
    "number",
    "numbers",
    "obj",
    "only_keys",
    "show",
    "text",
]

#: The keys of a model file's top level.
TOP_LEVEL = (
    "schema",
    "version",
    "library_version",
    "created",
    "python",
    "float_format",
    "model",
    "preprocessing",
    "training",
    "inference",
    "checksum",
)
#: The longest identifier-like string (a version, a date, a solver or method name).
SHORT_TEXT = 100
_HEX64 = re.compile(r"[0-9a-f]{64}")
_NUMBER_TYPES = frozenset({int, float})


def show(v, limit: int = 60) -> str:
    """``"<type> <repr>"`` of a value for a message, its repr cut to ``limit`` characters."""
    kind = {dict: "object", type(None): "null"}.get(type(v), type(v).__name__)
    r = repr(v)
    return f"{kind} {r if len(r) <= limit else r[: limit - 3] + '...'}"


def _fail(name, accepted, v):
    raise ModelFileError(f"'{name}' must be {accepted}, got {show(v)}.")


def _or_null(accepted: str, null: bool) -> str:
    return f"{accepted} or null" if null else accepted


def boolean(v, name, *, null=False):
    """``v`` if it is true or false (or null when ``null``)."""
    if isinstance(v, bool) or (null and v is None):
        return v
    _fail(name, _or_null("true or false", null), v)


def _bounds(low, high, low_open, high_open) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    return " and ".join(parts)


def _within(v, low, high, low_open, high_open) -> bool:
    if low is not None and (v <= low if low_open else v < low):
        return False
    return not (high is not None and (v >= high if high_open else v > high))


def integer(v, name, *, low=None, high=None, null=False):
    """``v`` if it is an integer (not a boolean) in ``[low, high]`` (or null)."""
    if null and v is None:
        return v
    if type(v) is int and _within(v, low, high, False, False):
        return v
    bounds = _bounds(low, high, False, False)
    _fail(name, _or_null(f"an integer {bounds}".rstrip(), null), v)


def number(v, name, *, low=None, high=None, low_open=False, high_open=False, null=False):
    """``v`` if it is a finite number (not a boolean) within the bounds (or null)."""
    if null and v is None:
        return v
    if type(v) in _NUMBER_TYPES and _within(v, low, high, low_open, high_open):
        return v
    bounds = _bounds(low, high, low_open, high_open)
    _fail(name, _or_null(f"a number {bounds}" if bounds else "a finite number", null), v)


def numbers(v, name, *, low=None, high=None, low_open=False, null=False, null_items=False):
    """``v`` if it is a list of finite numbers within the bounds (items null when
    ``null_items``); checked in one pass over the types for long lists."""
    if null and v is None:
        return v
    if not isinstance(v, list):
        what = "numbers or nulls" if null_items else "numbers"
        _fail(name, _or_null(f"a list of {what}", null), v)
    allowed = _NUMBER_TYPES | {type(None)} if null_items else _NUMBER_TYPES
    if set(map(type, v)) <= allowed:
        present = [x for x in v if x is not None] if null_items else v
        if not present or (
            _within(min(present), low, high, low_open, False)
            and _within(max(present), low, high, low_open, False)
        ):
            return v
    for i, x in enumerate(v):
        number(x, f"{name}[{i}]", low=low, high=high, low_open=low_open, null=null_items)
    return v


def text(v, name, *, limit=MAX_TEXT, choices=None, null=False):
    """``v`` if it is a string of at most ``limit`` characters (one of ``choices``)."""
    if null and v is None:
        return v
    if isinstance(v, str) and len(v) <= limit and (choices is None or v in choices):
        return v
    if choices is not None:
        _fail(name, _or_null(f"one of {list(choices)}", null), v)
    _fail(name, _or_null(f"a string of at most {limit} characters", null), v)


def strings(v, name, *, null=False):
    """``v`` if it is a list of strings (the parser bounds their length)."""
    if null and v is None:
        return v
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        bad = v if not isinstance(v, list) else next(x for x in v if not isinstance(x, str))
        where = name if not isinstance(v, list) else f"{name}[{v.index(bad)}]"
        what = "a list of strings" if where == name else "a string"
        _fail(where, _or_null(what, null and where == name), bad)
    return v


def obj(v, name, *, null=False):
    """``v`` if it is an object (or null)."""
    if isinstance(v, dict) or (null and v is None):
        return v
    _fail(name, _or_null("an object", null), v)


def only_keys(d, allowed, name) -> None:
    """Refuse a key of the object ``d`` that is not in ``allowed``."""
    unknown = [k for k in d if k not in allowed]
    if unknown:
        where = f"'{name}'" if name else "the top level"
        raise ModelFileError(
            f"{where} has the unknown key {show(unknown[0]).split(' ', 1)[1]}; it accepts "
            f"{', '.join(allowed)}."
        )


def _fields(d, spec, where) -> None:
    """Check each key of ``spec`` present in ``d`` with its check."""
    for key, check in spec.items():
        if key in d:
            check(d[key], f"{where}{key}")


# -- the top level --------------------------------------------------------------------------
_METADATA = {
    "library_version": lambda v, n: text(v, n, limit=SHORT_TEXT, null=True),
    "created": lambda v, n: text(v, n, limit=SHORT_TEXT, null=True),
    "python": lambda v, n: text(v, n, limit=SHORT_TEXT, null=True),
    "float_format": lambda v, n: text(v, n, choices=("repr",), null=True),
    "preprocessing": lambda v, n: obj(v, n, null=True),
    "training": lambda v, n: obj(v, n, null=True),
    "inference": lambda v, n: obj(v, n, null=True),
}


def check_metadata(doc) -> None:
    """The top level's keys and the types of its metadata and blocks."""
    only_keys(doc, TOP_LEVEL, "")
    _fields(doc, _METADATA, "")


# -- the training record --------------------------------------------------------------------
def _c_value(v, name):
    """A stored ``C``: a number > 0 or "inf" (JSON has no infinity), or null."""
    if v == "inf":
        return v
    return number(v, name, low=0.0, low_open=True, null=True)


def _class_weight(v, name):
    if v is None or isinstance(v, str):
        return text(v, name, limit=SHORT_TEXT, null=True)
    d = obj(v, name)
    for k, x in d.items():
        number(x, f"{name}.{k}", low=0.0)
    return v


def _metrics(v, name):
    for k, x in obj(v, name).items():
        number(x, f"{name}.{k}", null=True)
    return v


def _score_grid(v, name):
    if not isinstance(v, list):
        _fail(name, "a list of lists of numbers", v)
    for i, row in enumerate(v):
        numbers(row, f"{name}[{i}]", null_items=True)
    return v


_CV = {
    "folds": lambda v, n: integer(v, n, low=2, null=True),
    "scoring": lambda v, n: text(v, n, limit=SHORT_TEXT, null=True),
    "Cs": lambda v, n: numbers(v, n, low=0.0, low_open=True),
    "l1_ratios": lambda v, n: numbers(v, n, low=0.0, high=1.0),
    "mean_score": _score_grid,
    "std_score": _score_grid,
    "C": _c_value,
    "l1_ratio": lambda v, n: number(v, n, low=0.0, high=1.0, null=True),
}


def _cv(v, name):
    _fields(obj(v, name), _CV, f"{name}.")
    return v


def _sha256(v, name):
    if v is None or (isinstance(v, str) and _HEX64.fullmatch(v)):
        return v
    _fail(name, "64 hexadecimal digits (a SHA-256) or null", v)


def _text_or_null(v, name):
    return text(v, name, null=True)


def _count(v, name):
    return integer(v, name, low=0, null=True)


_RECORD = {
    "solver": lambda v, n: text(v, n, limit=SHORT_TEXT, null=True),
    "C": _c_value,
    "tol": lambda v, n: number(v, n, low=0.0, null=True),
    "max_iter": _count,
    "n_iter": _count,
    "converged": lambda v, n: boolean(v, n, null=True),
    "final_loss": lambda v, n: number(v, n, null=True),
    "grad_norm": lambda v, n: number(v, n, low=0.0, null=True),
    "n_rows": _count,
    "n_columns": _count,
    "rows_in_file": _count,
    "seconds": lambda v, n: number(v, n, low=0.0, null=True),
    "data_sha256": _sha256,
    "data_file": _text_or_null,
    "data_files": lambda v, n: strings(v, n, null=True),
    "data_source": _text_or_null,
    "metrics": _metrics,
    "target": _text_or_null,
    "features": lambda v, n: strings(v, n, null=True),
    "holdout": lambda v, n: number(v, n, low=0.0, high=1.0, null=True),
    "seed": lambda v, n: integer(v, n, null=True),
    "impute": _text_or_null,
    "l1_ratio": lambda v, n: number(v, n, low=0.0, high=1.0, null=True),
    "class_weight": _class_weight,
    "n_classes": lambda v, n: integer(v, n, low=2, null=True),
    "reference_coding": lambda v, n: boolean(v, n, null=True),
    "evaluated_on": _text_or_null,
    "standard_errors": _text_or_null,
    "executor": _text_or_null,
    "cv": _cv,
}


def check_training(record) -> None:
    """The fields of a training record that the library writes, each typed and bounded
    (others, from ``training_record(**extra)``, are bounded by the parser only)."""
    _fields(record, _RECORD, "training.")


# -- the inference block --------------------------------------------------------------------
def _separation(v, name):
    if v is None:
        return v
    d = obj(v, name, null=True)
    if "separated" not in d:
        raise ModelFileError(f"'{name}' must be null or an object with 'separated'.")
    boolean(d["separated"], f"{name}.separated")
    text(d.get("kind"), f"{name}.kind", choices=("complete", "quasi-complete"), null=True)
    strings(d.get("features", []), f"{name}.features")
    for key in ("feature_indices", "rows"):
        values = d.get(key, [])
        if not isinstance(values, list):
            _fail(f"{name}.{key}", "a list of integers >= 0", values)
        if not (set(map(type, values)) <= {int} and min(values, default=0) >= 0):
            for i, x in enumerate(values):
                integer(x, f"{name}.{key}[{i}]", low=0)
    numbers(d.get("direction"), f"{name}.direction", null=True, null_items=True)
    _count(d.get("n_rows"), f"{name}.n_rows")
    return v


def _cov_info(v, name):
    for k, x in obj(v, name, null=True).items() if v is not None else ():
        number(x, f"{name}.{k}", null=True)
    return v


_INFERENCE = {
    "dep_var": _text_or_null,
    "units": _text_or_null,
    "method": _text_or_null,
    "cov_description": _text_or_null,
    "cov_info": _cov_info,
    "C": lambda v, n: number(v, n, low=0.0, low_open=True, null=True),
    "n_rows": _count,
    "separation": _separation,
}


def check_inference_fields(d, numbers_of_block) -> None:
    """The types of an inference block's fields besides its parameter table and covariance
    (which depend on the model): texts, ``cov_info``, ``C``, ``n_rows``, the separation
    report, and each of ``numbers_of_block`` finite or null."""
    _fields(d, _INFERENCE, "inference.")
    for key in numbers_of_block:
        number(d.get(key), f"inference.{key}", null=True)
