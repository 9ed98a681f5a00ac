"""The seeds' gradient computation twice: per example in a loop, and vectorised.

Seed 004 writes the per-example loop with three bugs: it reads ``x[1]`` for both ``dw_1`` and
``dw_2``, accumulates ``dz += a - y`` across examples (so every later example's gradient
carries all earlier residuals), and updates ``b = b - alpha * b`` instead of
``b - alpha * db``. :func:`gradients_loop` is that loop corrected and generalised from two
features to ``n``; :func:`gradients_vectorized` is the seed's vectorised form. They agree to
rounding (``tests/test_reference.py``); ``benchmarks/bench_vectorize.py`` times them.

These are teaching and testing references. The library's hot path is
the kernels of :mod:`logistic._kernel`.
"""

from __future__ import annotations

import math

import numpy as np

from ._math import bce, sigmoid

__all__ = ["gradient_descent", "gradients_loop", "gradients_vectorized"]


def gradients_loop(X, y, w, b):
    """Cost and gradients by the (corrected) per-example loop of seed 004.

    Parameters
    ----------
    X : array_like of shape (m, n)
    y : array_like of shape (m,), values in {0, 1}
    w : array_like of shape (n,)
    b : float

    Returns
    -------
    J : float
        ``(1/m) sum_i L(a_i, y_i)``.
    dw : ndarray of shape (n,)
        ``(1/m) sum_i x_i (a_i - y_i)``.
    db : float
        ``(1/m) sum_i (a_i - y_i)``.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = [float(v) for v in np.asarray(w, dtype=np.float64)]
    m, n = X.shape
    J = 0.0
    dw = [0.0] * n
    db = 0.0
    for i in range(m):
        x = X[i].tolist()
        z = math.fsum(w[j] * x[j] for j in range(n)) + b  # z = w . x + b
        a = float(sigmoid(z))  # a = sigma(z)
        J += float(bce(y[i], z))  # from the logit: never log(sigma(z))
        dz = a - y[i]  # this example's dL/dz; not accumulated across examples
        for j in range(n):
            dw[j] += x[j] * dz  # dL/dw_j = x_j dz, with this example's own x_j
        db += dz
    return J / m, np.array(dw) / m, db / m


def gradients_vectorized(X, y, w, b):
    """The seed's vectorised step: ``Z = X w + b``, ``A = sigma(Z)``, ``dZ = A - Y``.

    Same arguments and returns as :func:`gradients_loop`; rows of ``X`` are examples (the
    seed stores them as columns and writes ``w^T X``).
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    m = X.shape[0]
    Z = X @ np.asarray(w, dtype=np.float64) + b
    A = sigmoid(Z)
    dZ = A - y
    J = float(np.mean(bce(y, Z)))
    dw = X.T @ dZ / m
    db = float(np.sum(dZ) / m)
    return J, dw, db


def gradient_descent(X, y, alpha, n_iter, *, vectorized=True):
    """The seeds' training loop: ``n_iter`` steps of ``w -= alpha dw``, ``b -= alpha db``.

    Returns ``(w, b, costs)`` with the cost before each step.
    """
    step = gradients_vectorized if vectorized else gradients_loop
    X = np.asarray(X, dtype=np.float64)
    w = np.zeros(X.shape[1])
    b = 0.0
    costs = []
    for _ in range(n_iter):
        J, dw, db = step(X, y, w, b)
        costs.append(J)
        w = w - alpha * dw
        b = b - alpha * db  # the seed's b - alpha * b was the third bug
    return w, b, costs
