"""Checks of parameters and inputs, each failing with a message that names the argument,
the bad value and what is accepted."""

from __future__ import annotations

import numbers

import numpy as np

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
    return sw
