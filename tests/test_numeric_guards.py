"""Inputs beyond float64 get an error naming the argument, never a FloatingPointError, a
LinAlgError or an all-zero model with only a ConvergenceWarning; an unpenalised fit of
separable data warns (issue "Hardening", numerical guards)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from logistic import (
    DataError,
    InvalidParameterError,
    LogisticRegression,
    LogisticRegressionCV,
    SeparationWarning,
)
from logistic.cli import run


@pytest.fixture(scope="module")
def cancer(breast_cancer):
    return breast_cancer


@pytest.mark.parametrize("C", [5e-324, 1e-200, 1e200, 1.7e308])
def test_C_outside_the_representable_range_is_refused(cancer, C):
    X, y = cancer
    with pytest.raises(InvalidParameterError, match=r"C=.* is outside what the solvers represent"):
        LogisticRegression(C=C).fit(X, y)


@pytest.mark.parametrize(
    ("Cs", "message"),
    [
        ([1.0, 1e-300], r"Cs\[1\]=1e-300 is outside what the solvers represent"),
        ([1e200], r"Cs\[0\]=1e\+200 is outside"),
        ([1.0, float("nan")], r"Cs\[1\]=nan is out of range"),
        (0.5, r"Cs=0.5 is not accepted; Cs accepts an int >= 1 or a list of C > 0"),
    ],
)
def test_a_cv_grid_value_outside_the_range_is_refused_before_any_fit(cancer, Cs, message):
    X, y = cancer
    with pytest.raises(InvalidParameterError, match=message):
        LogisticRegressionCV(Cs=Cs, cv=2).fit(X, y)


@pytest.mark.parametrize("C", [1e-100, 1e100, np.inf])
def test_C_at_the_ends_of_the_range_fits(cancer, C):
    X, y = cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        m = LogisticRegression(C=C, max_iter=1000).fit(X, y)
    assert np.all(np.isfinite(m.coef_))


@pytest.mark.parametrize(("weight", "what"), [(1e308, "sum inf"), (1e-320, "1e-320")])
def test_weights_beyond_float64_are_refused(cancer, weight, what):
    X, y = cancer
    with pytest.raises(DataError, match=rf"sample_weight ranges .*{what}.*divide them"):
        LogisticRegression().fit(X, y, sample_weight=np.full(len(y), weight))


def test_offsets_that_fix_every_probability_are_refused(cancer):
    X, y = cancer
    with pytest.raises(DataError, match="offset has values up to 1e"):
        LogisticRegression().fit(X, y, offset=np.full(len(y), 1e300))


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("scale", [1e200, 1e300])
def test_features_beyond_float64_are_an_error_not_an_all_zero_model(cancer, n_classes, scale):
    X, y = cancer
    if n_classes == 3:
        y = np.where(X[:, 0] > 1, 2, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's overflow on the way
        with pytest.raises(DataError, match="too large for float64"):
            LogisticRegression().fit(X * scale, y)


def test_no_floating_point_error_reaches_the_user(cancer):
    X, y = cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for args in [dict(C=1e-100), dict(C=1e100)]:
            for Xs in [X * 1e150, X * 1e-150]:
                try:
                    LogisticRegression(**args).fit(Xs, y)
                except (DataError, InvalidParameterError):
                    pass


def test_separable_data_unpenalised_fits_quietly_as_scikit_learns(cancer):
    """scikit-learn's C=np.inf gives no warning on separable data (its regression test
    test_c_inf_no_warning); the inference names the separation instead."""
    X, y = cancer  # breast cancer is linearly separable
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        m = LogisticRegression(C=np.inf).fit(X, y)
    with pytest.warns(SeparationWarning):
        m.inference(X, y)


def test_cli_tiny_C_is_one_line(tmp_path, capsys):
    code = run(["train", "--C", "5e-324", "-o", str(tmp_path / "m.json"), "-q", "--no-plots"])
    _, err = capsys.readouterr()
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "--C" in err and "Traceback" not in err
    assert not (tmp_path / "m.json").exists()
