"""Checks of parameters and inputs, each failing with a message that names the argument,
the bad value and what is accepted."""

from __future__ import annotations

import functools
import numbers

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import validate_data

from ._classes import MAX_CLASSES, encode_labels, too_many_classes
from .errors import DataError, InvalidParameterError


def check_real(name, value, *, low=None, high=None, low_open=False, allow_inf=False):
    """``value`` as a float in the given range, or :class:`InvalidParameterError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(
            f"{name}={value!r} is not a real number; {name} accepts {_range(low, high, low_open)}."
        )
    v = float(value)
    ok = not np.isnan(v) and (allow_inf or np.isfinite(v))
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v <= high
    if not ok:
        raise InvalidParameterError(
            f"{name}={value!r} is out of range; {name} accepts {_range(low, high, low_open)}."
        )
    return v


def _range(low, high, low_open):
    if low is None and high is None:
        return "a finite real number"
    if high is None:
        return f"a real number {'>' if low_open else '>='} {low}"
    return f"a real number in {'(' if low_open else '['}{low}, {high}]"


def check_int(name, value, *, low=1, allow_none=False):
    """``value`` as an int ``>= low`` (or None when allowed), or :class:`InvalidParameterError`."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        accepted = f"an integer >= {low}" + (" or None" if allow_none else "")
        raise InvalidParameterError(f"{name}={value!r} is not accepted; {name} accepts {accepted}.")
    return int(value)


def check_bool(name, value):
    if not isinstance(value, bool | np.bool_):
        raise InvalidParameterError(
            f"{name}={value!r} is not accepted; {name} accepts True or False."
        )
    return bool(value)


def check_learning_rate(value):
    if isinstance(value, str):
        if value == "auto":
            return value
        raise InvalidParameterError(
            f"learning_rate={value!r} is not accepted; learning_rate accepts 'auto' or a "
            "real number > 0."
        )
    return check_real("learning_rate", value, low=0.0, low_open=True)


def check_sample_weight(sample_weight, n_samples, dtype):
    """Weights as a 1-d array of ``dtype``: finite, non-negative, not all zero."""
    if sample_weight is None:
        return None
    if np.isscalar(sample_weight):
        sw = np.full(n_samples, sample_weight, dtype=dtype)
    else:
        try:
            sw = np.asarray(sample_weight, dtype=dtype)
        except (TypeError, ValueError):
            raise DataError(
                "sample_weight must be numbers; got values that cannot be converted to float."
            ) from None
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise DataError(
            f"sample_weight has shape {sw.shape}, but X has {n_samples} rows; sample_weight "
            f"accepts a 1-d array of length {n_samples} or a scalar."
        )
    if not np.all(np.isfinite(sw)):
        raise DataError("sample_weight contains NaN or infinity; it accepts finite numbers >= 0.")
    if np.any(sw < 0):
        i = int(np.argmax(sw < 0))
        raise DataError(
            f"sample_weight[{i}]={sw[i]!r} is negative; sample_weight accepts numbers >= 0."
        )
    if not np.any(sw > 0):
        raise DataError("sample_weight is zero for every row; at least one weight must be > 0.")
    positive = sw[sw > 0]
    with np.errstate(over="ignore"):  # an infinite sum is the answer here
        total = float(np.sum(positive, dtype=np.float64))
    if positive.min() < WEIGHT_MIN or not total <= WEIGHT_SUM_MAX:
        raise DataError(
            f"sample_weight ranges from {positive.min():.3g} to {positive.max():.3g} (sum "
            f"{total:.3g}); sample_weight accepts positive weights of at least {WEIGHT_MIN:g} "
            f"summing to at most {WEIGHT_SUM_MAX:g}: divide them by a common factor (with a "
            "finite C, multiply C by it too, which keeps the fit)."
        )
    return sw


# -- data ---------------------------------------------------------------------------------
# C-ordered float arrays of at least this many elements have their NaN/infinity check
# deferred to the first gradient pass where the source allows it.
DEFER_FINITE_SIZE = 1 << 20


def explain_validation_error(exc: ValueError) -> str:
    """scikit-learn's validation message, with what is accepted where it does not say."""
    msg = str(exc)
    if "could not convert" in msg or "dtype='numeric'" in msg or "Complex data" in msg:
        return f"X must be numeric (float32 or float64 convertible); {msg}"
    if "inconsistent numbers of samples" in msg:
        return f"X and y must have the same number of rows; {msg}"
    return msg


def check_finite_X(X):
    """scikit-learn's NaN/infinity check of ``X``, raised as a DataError."""
    from sklearn.utils.validation import _assert_all_finite

    try:
        _assert_all_finite(X, input_name="X", estimator_name="LogisticRegression")
    except ValueError as exc:
        raise DataError(explain_validation_error(exc)) from exc


#: The largest |offset|: sigmoid(z) is 1 to float64 precision from z = 37 on, so an offset of
#: 1,000 already fixes a row's probability; beyond, no coefficient can move it.
OFFSET_MAX = 1e3
#: The range of sample weights the mean-form objective represents: the smallest positive one
#: and the largest total (the penalty is ``1 / (C * sum of weights)``).
WEIGHT_MIN, WEIGHT_SUM_MAX = 1e-150, 1e150
#: The range of C: below, every coefficient is 0 to float64 precision (and ``1 / (C S)``
#: overflows for a tiny C); above, the penalty is below rounding (C = inf says so exactly).
C_MIN, C_MAX = 1e-100, 1e100


def check_c(C, name: str = "C") -> float:
    """``C`` as a float in ``[C_MIN, C_MAX]`` or infinite, or :class:`InvalidParameterError`.

    ``name`` is the parameter the message names (``"Cs[3]"`` for a CV grid's value).
    """
    v = check_real(name, C, low=0.0, low_open=True, allow_inf=True)
    if v < C_MIN or C_MAX < v < np.inf:
        raise InvalidParameterError(
            f"{name}={C!r} is outside what the solvers represent; {name} accepts a number in "
            f"[{C_MIN:g}, {C_MAX:g}] or inf (at {C_MIN:g} every coefficient is already 0, "
            f"the intercept-only model; above {C_MAX:g} the penalty is below rounding: C=np.inf)."
        )
    return v


def check_offset(offset, n_samples, dtype, n_out=1):
    """``offset`` as an array of shape (n_samples,) (one output) or (n_samples, n_out)."""
    if offset is None:
        return None
    try:
        off = np.asarray(offset, dtype=dtype)
    except (TypeError, ValueError):
        raise DataError("offset must be numbers; it accepts an array of floats.") from None
    expected = (n_samples,) if n_out == 1 else (n_samples, n_out)
    if off.shape != expected:
        raise DataError(
            f"offset has shape {off.shape}, but the model needs {expected} (one logit offset "
            f"per row{'' if n_out == 1 else ' and class'}); offset accepts that shape."
        )
    if not np.all(np.isfinite(off)):
        raise DataError("offset contains NaN or infinity; it accepts finite numbers.")
    big = float(np.max(np.abs(off))) if off.size else 0.0
    if big > OFFSET_MAX:
        raise DataError(
            f"offset has values up to {big:.3g} in size; an offset is a term of the log-odds, "
            f"and beyond {OFFSET_MAX:g} it makes every probability exactly 0 or 1 in float64 "
            f"(offset accepts finite numbers in [-{OFFSET_MAX:g}, {OFFSET_MAX:g}])."
        )
    return off


def validate_fit_data(estimator, X, y):
    """``(X, classes, y_index, finite_check)`` for ``estimator.fit(X, y)``, with what
    scikit-learn's ``validate_data(reset=True)`` sets on the estimator; ``finite_check``
    is None when X was checked for NaN and infinity, else the check to run."""
    fast = _validate_arrays(estimator, X, y)
    if fast is not None:
        return fast
    try:
        X, y = validate_data(
            estimator,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            order=None,
            ensure_min_samples=1,
        )
    except ValueError as exc:
        raise DataError(explain_validation_error(exc)) from exc
    classes, y_index = check_labels(y)
    return X, classes, y_index, None


#: A CSR ``X`` with at least this share of non-zeros is fitted as a dense copy: its CSR form
#: (an 8-byte value and a 4-byte index per non-zero) then takes at least 3/4 of the dense
#: bytes, and the products of every pass run in BLAS instead of sparse loops (a C = 1 fit of
#: modeldata's grants, 8,190 x 1,838 at 82%: 8.5 s dense against 12.8 s as CSR).
DENSIFY_SHARE = 0.5
#: ... when the copy takes at most this many bytes, and at most half the memory available.
DENSIFY_MAX_BYTES = 4 * 2**30


def densify_if_dense(X):
    """``X`` as a dense C-ordered array when it is a CSR matrix dense enough that a copy is
    the faster and hardly the larger design (:data:`DENSIFY_SHARE`) and the copy fits
    (:data:`DENSIFY_MAX_BYTES`, half of ``MemAvailable``); else ``X`` itself."""
    import scipy.sparse as sp

    if not sp.issparse(X):
        return X
    m, n = X.shape
    nbytes = m * n * X.dtype.itemsize
    if X.nnz < DENSIFY_SHARE * m * n or nbytes > min(DENSIFY_MAX_BYTES, _available() / 2):
        return X
    return X.toarray(order="C")


def _available() -> float:
    """Bytes of memory available (``MemAvailable``), or infinity where it cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float("inf")


def check_labels(y):
    """``(classes, y_index)`` of class labels ``y`` (n_samples,) after the checks every fit
    makes: finite, discrete, of a type scikit-learn can tell (``type_of_target``), with two
    to ``MAX_CLASSES`` distinct labels."""
    if y.dtype.kind in "fc" and not np.all(np.isfinite(y)):
        raise DataError("y contains NaN or infinity; y accepts exactly two distinct labels.")
    kind = type_of_target(y, input_name="y")
    if kind.startswith("continuous") or kind == "unknown":
        what = "continuous values" if kind != "unknown" else "values of no label type"
        raise DataError(
            f"Unknown label type: {kind}. y holds {what}; a classifier accepts discrete "
            "labels (ints, strings, bools, or floats such as 0.0/1.0)."
        )
    classes, y_index = encode_labels(y)
    if classes.shape[0] < 2:
        raise DataError(
            f"y has one class ({classes[0]!r}); a classifier needs at least two distinct "
            "labels (two for the binary model, more for the multinomial one)."
        )
    if classes.shape[0] > MAX_CLASSES:
        raise too_many_classes("y", classes)
    return classes, y_index


def _validate_arrays(estimator, X, y):
    """The common case without scikit-learn's general validation (about 0.4 ms a fit,
    a fifth of a Newton fit of breast cancer): ``X`` a finite float32/float64 NumPy
    array, 2-D, contiguous, ``y`` a 1-D numeric array of two integral-valued labels.
    Does what ``validate_data(reset=True)`` does for such input (``n_features_in_``
    set, ``feature_names_in_`` removed) and returns ``(X, classes, y_index)``; returns
    None for anything else, which then takes the general path (and its messages)."""
    if type(X) is not np.ndarray or type(y) is not np.ndarray:
        return None
    if X.dtype not in (np.float64, np.float32) or X.ndim != 2 or y.ndim != 1:
        return None
    if y.dtype.kind not in "biuf" or y.shape[0] != X.shape[0] or 0 in X.shape:
        return None
    if not (X.flags.c_contiguous or X.flags.f_contiguous):
        return None
    finite_check = None
    if X.flags.c_contiguous and X.size >= DEFER_FINITE_SIZE:
        # Large C-ordered X: the check is a pass of its own (90 ms of a 1 s fit at
        # 2e5 x 1000), and the solver's first gradient pass shows NaN or infinity
        # anyway where the source says so (Objective.defer_finite_check).
        finite_check = functools.partial(check_finite_X, X)
    elif not np.isfinite(np.add.reduce(X, axis=None, dtype=np.float64)):
        # one O(1)-memory reduction; NaN/inf (or an overflowing sum): general path
        return None
    classes, y_index = encode_labels(y)
    if classes.shape[0] != 2:
        return None
    if y.dtype.kind == "f" and not np.all(classes == np.floor(classes)):
        return None  # type_of_target: continuous
    estimator.n_features_in_ = X.shape[1]
    if hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    return X, classes, y_index, finite_check
