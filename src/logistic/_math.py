"""Pointwise, numerically stable primitives of the seeds' graph.

The computation graph of one example is::

    z = w . x + b          a = sigmoid(z)          L = -(y log a + (1 - y) log(1 - a))

Everything here works on logits ``z`` rather than on probabilities ``a``, because ``a``
rounds to exactly 0 or 1 long before the loss or its derivatives become negligible
(``sigmoid(40.0) == 1.0`` in float64, ``sigmoid(17.0) == 1.0`` in float32), and then
``log(1 - a)`` is ``-inf`` although the true loss is finite. Each function keeps the
floating-point type of its input (float32 stays float32) and emits no overflow warning at
``|z| = 800``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = ["bce", "dloss_dz", "log1pexp", "sigmoid", "sigmoid_derivative"]


def sigmoid(z):
    """Logistic function ``a = 1 / (1 + exp(-z))``, evaluated without overflow.

    ``scipy.special.expit`` evaluates the two branches ``1/(1+exp(-z))`` and
    ``exp(z)/(1+exp(z))`` by the sign of ``z``, so neither exponential overflows.
    """
    return expit(z)


def log1pexp(z):
    """``log(1 + exp(z))`` (softplus), exact to rounding for every finite ``z``.

    Uses ``log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|))``: the exponential's argument is
    never positive, so it cannot overflow, and ``log1p`` keeps full relative precision when
    ``exp(-|z|)`` is tiny (Mächler, "Accurately computing log(1 - exp(-|a|))", 2012).
    """
    z = np.asarray(z)
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def bce(y, z):
    """Binary cross-entropy of each example, computed from the logit ``z``.

    ``L = -(y log a + (1 - y) log(1 - a))`` with ``a = sigmoid(z)`` equals
    ``log1pexp(z) - y z``, since ``-log a = log1pexp(-z)`` and ``-log(1 - a) = log1pexp(z)``.
    For ``y`` in {0, 1} we evaluate it as ``log1pexp(z)`` (``y = 0``) or ``log1pexp(-z)``
    (``y = 1``), which keeps full relative precision even where the loss is ``1e-300``,
    while ``log1pexp(z) - y z`` would cancel to 0. Never ``log(sigmoid(z))``.

    Parameters
    ----------
    y : array_like of shape (m,), values in {0, 1}
    z : array_like of shape (m,)

    Returns
    -------
    ndarray of shape (m,), non-negative, in the floating type of ``z``.
    """
    z = np.asarray(z)
    y = np.asarray(y)
    signed = np.where(y > 0, -z, z)
    return log1pexp(signed)


def dloss_dz(y, z):
    """``dL/dz = a - y``: the seeds' fused derivative, from the logit ``z``.

    The chain product ``dL/da * da/dz = ((1-y)/(1-a) - y/a) * a(1-a)`` simplifies to
    ``a - y``. The simplified form never divides, so it stays exact where ``a`` rounds to
    0 or 1 and the chain product would be ``inf * 0 = nan``.
    """
    z = np.asarray(z)
    return expit(z) - np.asarray(y, dtype=z.dtype)


def sigmoid_derivative(z):
    """``da/dz = a (1 - a)``, computed as ``sigmoid(z) * sigmoid(-z)``.

    ``1 - sigmoid(z)`` cancels to 0 once ``sigmoid(z)`` rounds to 1, while
    ``sigmoid(-z)`` keeps its relative precision, so the product is accurate for every
    ``z`` (about ``exp(-|z|)`` in the tails). This is also the Hessian weight of each row.
    """
    z = np.asarray(z)
    return expit(z) * expit(-z)
