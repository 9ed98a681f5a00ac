"""Marginal effects equal statsmodels' get_margeff on spector and fair (average and at
the means, delta-method standard errors), dense and CSR, nonrobust and HC0."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import statsmodels.api as sm

import logistic
from logistic.errors import DataError
from logistic.inference import marginal_effects


def _data(name):
    if name == "spector":
        d = sm.datasets.spector.load_pandas()
        return d.exog.to_numpy(float), d.endog.to_numpy()
    d = sm.datasets.fair.load_pandas().data
    X = d[["rate_marriage", "age", "yrs_married", "children", "religious", "educ"]]
    return X.to_numpy(float), (d["affairs"] > 0).to_numpy(float)


@pytest.mark.parametrize("name", ["spector", "fair"])
@pytest.mark.parametrize("at", ["overall", "mean"])
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
def test_equal_to_statsmodels(name, at, cov_type):
    X, y = _data(name)
    m = logistic.LogisticRegression(C=np.inf, tol=1e-12).fit(X, y)
    r = m.inference(X, y, cov_type=cov_type)
    ref = sm.Logit(y, sm.add_constant(X, prepend=False)).fit(disp=0, tol=1e-12, cov_type=cov_type)
    got, want = marginal_effects(X, r, at=at), ref.get_margeff(at=at)
    np.testing.assert_allclose(got.effects, want.margeff, rtol=1e-6)
    np.testing.assert_allclose(got.bse, want.margeff_se, rtol=1e-6)
    np.testing.assert_allclose(got.conf_int(), want.conf_int(), rtol=1e-6)
    frame = got.summary_frame()
    assert list(frame.columns) == list(want.summary_frame().columns)
    if at == "overall":
        csr = marginal_effects(sp.csr_matrix(X), r, at=at)
        np.testing.assert_allclose(csr.effects, got.effects, rtol=1e-12)


def test_refusals():
    X, y = _data("spector")
    r = logistic.LogisticRegression(C=np.inf).fit(X, y).inference(X, y)
    with pytest.raises(DataError, match="at='median'"):
        marginal_effects(X, r, at="median")
    with pytest.raises(DataError, match="X has 2 columns"):
        marginal_effects(X[:, :2], r)
