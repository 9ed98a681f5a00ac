"""Shared real data sets for the tests: standardised breast cancer and digits (even vs odd)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.preprocessing import StandardScaler


def _breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _digits_even_odd():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return X, (y % 2 == 0).astype(np.int64)


DATASETS = {"breast_cancer": _breast_cancer, "digits": _digits_even_odd}


@pytest.fixture(scope="session")
def breast_cancer():
    return _breast_cancer()


@pytest.fixture(scope="session")
def digits():
    return _digits_even_odd()


@pytest.fixture(scope="session", params=sorted(DATASETS))
def real_data(request):
    return request.param, DATASETS[request.param]()
