"""Seed 004's loop (corrected) equals its vectorised step."""

from __future__ import annotations

import numpy as np
import pytest

from logistic.reference import gradient_descent, gradients_loop, gradients_vectorized


def test_loop_equals_vectorized(breast_cancer):
    X, y = breast_cancer
    w = np.random.default_rng(0).normal(scale=0.1, size=X.shape[1])
    J1, dw1, db1 = gradients_loop(X, y, w, 0.2)
    J2, dw2, db2 = gradients_vectorized(X, y, w, 0.2)
    assert J1 == pytest.approx(J2, rel=1e-13)
    np.testing.assert_allclose(dw1, dw2, rtol=1e-11, atol=1e-14)
    assert db1 == pytest.approx(db2, rel=1e-12)


def test_training_loops_agree_and_descend(breast_cancer):
    X, y = breast_cancer
    X, y = X[:120], y[:120]
    w1, b1, c1 = gradient_descent(X, y, 0.1, 30, vectorized=False)
    w2, b2, c2 = gradient_descent(X, y, 0.1, 30, vectorized=True)
    np.testing.assert_allclose(w1, w2, rtol=1e-10, atol=1e-12)
    assert b1 == pytest.approx(b2, rel=1e-10)
    assert c1[-1] < c1[0] and np.all(np.diff(c2) < 0)


def test_the_seed_bugs_would_be_caught():
    """The buggy seed loop (x[1] twice, dz accumulated) differs from the reference."""
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    y = np.array([1.0, 0.0, 1.0])
    w = np.array([0.1, -0.2])
    _, dw, _ = gradients_vectorized(X, y, w, 0.0)
    buggy = np.zeros(2)
    dz = 0.0
    for i in range(3):
        a = 1 / (1 + np.exp(-(X[i] @ w)))
        dz += a - y[i]
        buggy[0] += X[i][1] * dz
        buggy[1] += X[i][1] * dz
    assert not np.allclose(buggy / 3, dw)
