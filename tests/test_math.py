"""The pointwise primitives: exact against high-precision references, stable at |z| = 800."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest

from logistic._math import bce, dloss_dz, log1pexp, sigmoid, sigmoid_derivative

Z = np.array(
    [
        -800.0,
        -745.0,
        -40.0,
        -36.7,
        -17.0,
        -1.0,
        -1e-8,
        0.0,
        1e-8,
        1.0,
        17.0,
        36.7,
        40.0,
        745.0,
        800.0,
    ]
)


def _mp_log1pexp(z):
    import math

    # log(1 + e^z) to ~30 digits via the identity max(z,0) + log1p(e^-|z|) in exact-ish
    # arithmetic: math.log1p is correctly rounded enough for a float64 reference here.
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_no_warnings_and_finite_at_extreme_logits(dtype):
    z = Z.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for y in (0.0, 1.0):
            yv = np.full_like(z, y)
            for out in (
                sigmoid(z),
                log1pexp(z),
                bce(yv, z),
                dloss_dz(yv, z),
                sigmoid_derivative(z),
            ):
                assert out.dtype == dtype
                assert np.all(np.isfinite(out))


def test_log1pexp_matches_reference():
    got = log1pexp(Z)
    ref = np.array([_mp_log1pexp(float(z)) for z in Z])
    np.testing.assert_allclose(got, ref, rtol=1e-15, atol=0)


def test_bce_keeps_relative_precision_in_the_tail():
    # y = 1, z = 40: the loss is log1p(e^-40) ~ 4.25e-18, which log1pexp(z) - y z rounds to 0.
    loss = bce(np.array([1.0]), np.array([40.0]))[0]
    assert loss == pytest.approx(4.248354255291589e-18, rel=1e-14)
    # and symmetric for y = 0
    assert bce(np.array([0.0]), np.array([-40.0]))[0] == pytest.approx(loss, rel=1e-15)


def test_bce_equals_the_seeds_formula_where_that_is_stable():
    rng = np.random.default_rng(0)
    z = rng.normal(scale=4, size=1000)
    y = rng.integers(0, 2, size=1000).astype(float)
    a = 1 / (1 + np.exp(-z))
    seeds = -(y * np.log(a) + (1 - y) * np.log(1 - a))
    np.testing.assert_allclose(bce(y, z), seeds, rtol=1e-10)


def test_bce_is_linear_for_wrong_confident_predictions():
    # y = 0, z = 800: L = 800 exactly (log(1 - a) would be -inf).
    assert bce(np.array([0.0]), np.array([800.0]))[0] == 800.0
    assert bce(np.array([1.0]), np.array([-800.0]))[0] == 800.0
    assert bce(np.array([0.0], dtype=np.float32), np.array([800.0], dtype=np.float32))[0] == 800.0


def test_sigmoid_derivative_in_the_tails():
    # a(1 - a) with a = sigmoid(40) rounds to 0; sigmoid(z) sigmoid(-z) keeps e^-40.
    assert sigmoid_derivative(np.array([40.0]))[0] == pytest.approx(np.exp(-40.0), rel=1e-12)
    assert sigmoid_derivative(np.array([0.0]))[0] == 0.25


def test_dloss_dz_is_a_minus_y():
    z = np.array([-3.0, 0.0, 2.5, 800.0, -800.0])
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    np.testing.assert_allclose(dloss_dz(y, z), sigmoid(z) - y, rtol=0, atol=0)
    assert dloss_dz(np.array([0.0]), np.array([800.0]))[0] == 1.0


def test_sigmoid_exact_rational_points():
    # sigmoid(log 3) = 3/4 exactly in rational arithmetic.
    assert float(sigmoid(np.log(3.0))) == pytest.approx(float(Fraction(3, 4)), rel=1e-15)
