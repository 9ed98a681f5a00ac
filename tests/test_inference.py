"""Inference (standard errors, tests, likelihood statistics, separation) against statsmodels.

Reference numbers come from statsmodels fitted on the same data: ``Logit`` for unit
weights, ``GLM(Binomial, freq_weights=..., offset=...)`` for weights and offsets. Our
coefficients come from our own fit (``C=np.inf, tol=1e-10``), so each comparison checks the
solver and the inference together.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

from logistic import LogisticRegression
from logistic.errors import ConvergenceWarning, DataError, InvalidParameterError
from logistic.inference import (
    InferenceResult,
    SeparationWarning,
    covariance,
    detect_separation,
    inference,
    information_matrix,
    log_likelihood,
    null_log_likelihood,
)
from logistic.objective import Objective
from logistic.solvers import solve
from logistic.sources import InMemorySource

sm = pytest.importorskip("statsmodels.api")
sandwich = pytest.importorskip("statsmodels.stats.sandwich_covariance")

RTOL = 1e-6


def rel(a, b):
    """Max relative difference; entries equal in both (e.g. p-values underflowed to 0) count 0."""
    a, b = np.atleast_1d(np.asarray(a, dtype=float)), np.atleast_1d(np.asarray(b, dtype=float))
    same = a == b
    return float(np.max(np.abs(a - b)[~same] / np.abs(b[~same]), initial=0.0))


def _quiet(fn, *args, **kwargs):
    # statsmodels emits its own deprecation / domain warnings; they are not ours to test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def sm_logit(y, X, cov_type="nonrobust", groups=None, **model_kw):
    Xc = sm.add_constant(np.asarray(X, dtype=float), prepend=False, has_constant="add")
    model = sm.Logit(np.asarray(y, dtype=float), Xc, **model_kw)
    kw = {"cov_kwds": {"groups": groups}} if cov_type == "cluster" else {}
    return _quiet(model.fit, disp=0, method="newton", maxiter=100, cov_type=cov_type, **kw)


def sm_bse(res, cov_type):
    """statsmodels' standard errors; for HC1 its own corrected White estimator (see docs)."""
    if cov_type == "HC1":
        return np.sqrt(np.diag(sandwich.cov_white_simple(res, use_correction=True)))
    return np.asarray(res.bse)


def normal_p(params, bse):
    return 2 * stats.norm.sf(np.abs(np.asarray(params) / np.asarray(bse)))


def ours(X, y, **kw):
    return LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(X, y, **kw)


# -- data -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spector():
    data = sm.datasets.spector.load_pandas()
    X = data.exog[["GPA", "TUCE", "PSI"]]
    y = data.endog.to_numpy()
    return X, y


@pytest.fixture(scope="module")
def fair():
    df = sm.datasets.fair.load_pandas().data
    y = (df["affairs"] > 0).astype(float).to_numpy()
    return df.drop(columns="affairs"), y


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer()


def spector_groups(X):
    # a deterministic bucketing of rows (5 clusters) and a real column (PSI, 2 clusters)
    return {"buckets": np.arange(len(X)) % 5, "PSI": X["PSI"].to_numpy()}


# -- statsmodels Logit, unit weights --------------------------------------------------------


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "cluster"])
def test_spector_matches_statsmodels(spector, cov_type):
    X, y = spector
    model = ours(X, y)
    assert model.converged_
    groups_list = spector_groups(X).values() if cov_type == "cluster" else [None]
    for groups in groups_list:
        res = inference(X, y, model.coef_, model.intercept_, cov_type=cov_type, groups=groups)
        ref = sm_logit(y, X, "HC0" if cov_type == "HC1" else cov_type, groups)
        assert res.names == ["GPA", "TUCE", "PSI", "intercept"]
        assert rel(res.params, ref.params) < RTOL
        assert rel(res.bse, sm_bse(ref, cov_type)) < RTOL
        assert rel(res.pvalues, normal_p(ref.params, sm_bse(ref, cov_type))) < RTOL
        if cov_type != "HC1":
            assert rel(res.pvalues, ref.pvalues) < RTOL
            assert rel(res.conf_int(), np.asarray(ref.conf_int())) < RTOL
        assert rel(res.zvalues, np.asarray(ref.params) / sm_bse(ref, cov_type)) < RTOL


def test_spector_likelihood_statistics(spector):
    X, y = spector
    model = ours(X, y)
    res = inference(X, y, model.coef_, model.intercept_)
    ref = sm_logit(y, X)
    for name in ["llf", "llnull", "llr", "llr_pvalue", "prsquared", "aic", "bic"]:
        assert rel(getattr(res, name), getattr(ref, name)) < RTOL, name
    assert res.df_model == ref.df_model and res.df_resid == ref.df_resid
    assert res.nobs == ref.nobs
    assert res.max_abs_gradient < 1e-9 and res.newton_step_se < 1e-6


def test_hc1_is_hc0_times_n_over_n_minus_k(spector):
    X, y = spector
    m = ours(X, y)
    hc0 = covariance(X, y, m.coef_, m.intercept_, cov_type="HC0")
    hc1 = covariance(X, y, m.coef_, m.intercept_, cov_type="HC1")
    np.testing.assert_allclose(hc1, hc0 * 32 / (32 - 4), rtol=1e-12)


def test_fair_matches_statsmodels(fair):
    X, y = fair
    model = ours(X, y)
    assert model.converged_
    groups = X["occupation"].to_numpy()  # 6 occupations
    for cov_type in ["nonrobust", "HC0", "HC1", "cluster"]:
        g = groups if cov_type == "cluster" else None
        res = inference(X, y, model.coef_, model.intercept_, cov_type=cov_type, groups=g)
        ref = sm_logit(y, X, "HC0" if cov_type == "HC1" else cov_type, g)
        assert rel(res.params, ref.params) < RTOL
        assert rel(res.bse, sm_bse(ref, cov_type)) < RTOL
        assert rel(res.pvalues, normal_p(ref.params, sm_bse(ref, cov_type))) < RTOL
    for name in ["llf", "llnull", "llr_pvalue", "prsquared", "aic", "bic"]:
        assert rel(getattr(res, name), getattr(ref, name)) < RTOL, name
    assert res.separation is not None and not res.separation.separated


def test_breast_cancer_subset_matches_statsmodels(cancer):
    # 7 standardised features (unstandardised, L-BFGS stalls at max|grad| ~ 1e-8, above
    # tol=1e-10, on columns whose scales differ by 1e3); not separated
    cols = [0, 1, 4, 8, 9, 10, 14]
    X, y = cancer.data[:, cols], cancer.target
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    assert not detect_separation(X, y).separated
    model = ours(X, y)
    assert model.converged_
    names = list(cancer.feature_names[cols])
    for cov_type in ["nonrobust", "HC0", "HC1"]:
        res = inference(X, y, model.coef_, model.intercept_, cov_type=cov_type, feature_names=names)
        ref = sm_logit(y, X, "HC0" if cov_type == "HC1" else cov_type)
        assert rel(res.params, ref.params) < RTOL
        assert rel(res.bse, sm_bse(ref, cov_type)) < RTOL
        assert rel(res.pvalues, normal_p(ref.params, sm_bse(ref, cov_type))) < RTOL
    assert res.names[:2] == ["mean radius", "mean texture"]


def test_no_intercept_matches_statsmodels(spector):
    X, y = spector
    model = LogisticRegression(C=np.inf, tol=1e-10, fit_intercept=False).fit(X, y)
    res = inference(X, y, model.coef_, fit_intercept=False, cov_type="HC0")
    ref = _quiet(sm.Logit(y, X.to_numpy()).fit, disp=0, cov_type="HC0")
    assert res.names == ["GPA", "TUCE", "PSI"]
    assert rel(res.params, ref.params) < RTOL
    assert rel(res.bse, ref.bse) < RTOL
    # statsmodels' null model is the constant-only model even without a constant, as ours
    for name in ["llf", "llnull", "prsquared", "llr_pvalue", "aic", "bic"]:
        assert rel(getattr(res, name), getattr(ref, name)) < RTOL, name
    # the LR test compares 3 parameters with the constant-only null's 1: df 2, as statsmodels
    assert res.df_model == ref.df_model == 2
    assert res.aic == pytest.approx(-2 * res.llf + 2 * 3, rel=1e-12)


# -- frequency weights and offsets: statsmodels GLM -----------------------------------------


def _fit_with_offset(X, y, w, o, fit_intercept=True):
    """Our L-BFGS on the mean-form objective (the estimator does not take offsets yet)."""
    obj = Objective(InMemorySource(X, y, w, o), C=np.inf, fit_intercept=fit_intercept)
    res = solve("lbfgs", obj, np.zeros(obj.n_params), tol=1e-10, max_iter=10_000)
    return obj.split(res.x)


@pytest.fixture(scope="module")
def weighted_spector(spector):
    X, y = spector
    rng = np.random.default_rng(0)
    w = rng.integers(1, 4, size=len(y)).astype(float)
    o = rng.normal(scale=0.5, size=len(y))
    Xa = X.to_numpy()
    coef, b = _fit_with_offset(Xa, y, w, o)
    return Xa, y, w, o, coef, b


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "cluster"])
def test_freq_weights_and_offset_match_glm(weighted_spector, cov_type):
    X, y, w, o, coef, b = weighted_spector
    groups = np.arange(len(y)) % 4
    kw = {"cov_kwds": {"groups": groups}} if cov_type == "cluster" else {}
    glm = sm.GLM(
        y,
        sm.add_constant(X, prepend=False),
        family=sm.families.Binomial(),
        freq_weights=w,
        offset=o,
    )
    ref = _quiet(glm.fit, cov_type=cov_type, tol=1e-12, **kw)
    res = inference(X, y, coef, b, sample_weight=w, offset=o, cov_type=cov_type, groups=groups)
    ref_bse = np.asarray(ref.bse)
    if cov_type == "cluster":
        # statsmodels' CRV1 factor uses the number of rows (32) where we use n = sum(w):
        # the (n - 1) / (n - k) part differs by exactly this ratio (documented).
        n, rows, k = w.sum(), len(y), 4
        ref_bse = ref_bse * np.sqrt(((n - 1) / (n - k)) / ((rows - 1) / (rows - k)))
    assert rel(res.params, ref.params) < RTOL
    assert rel(res.bse, ref_bse) < RTOL
    assert rel(res.pvalues, normal_p(ref.params, ref_bse)) < RTOL
    for name in ["llf", "llnull", "aic", "bic", "df_resid"]:
        assert rel(getattr(res, name), getattr(ref, name)) < RTOL, name
    assert rel(res.prsquared, ref.pseudo_rsquared("mcf")) < RTOL
    assert res.nobs == w.sum()


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "cluster"])
def test_integer_weights_equal_repeated_rows(weighted_spector, cov_type):
    X, y, w, o, coef, b = weighted_spector
    groups = np.arange(len(y)) % 4
    idx = np.repeat(np.arange(len(y)), w.astype(int))
    weighted = inference(X, y, coef, b, sample_weight=w, offset=o, cov_type=cov_type, groups=groups)
    repeated = inference(
        X[idx], y[idx], coef, b, offset=o[idx], cov_type=cov_type, groups=groups[idx]
    )
    np.testing.assert_allclose(weighted.cov_params, repeated.cov_params, rtol=1e-10)
    for name in ["llf", "llnull", "aic", "bic", "df_resid", "llr_pvalue"]:
        assert rel(getattr(weighted, name), getattr(repeated, name)) < 1e-10, name
    # and statsmodels' Logit on the repeated rows (its own conventions, unit weights)
    ref = sm_logit(
        y[idx], X[idx], "HC0" if cov_type == "HC1" else cov_type, groups[idx], offset=o[idx]
    )
    assert rel(weighted.bse, sm_bse(ref, cov_type)) < RTOL


def test_information_matrix_is_finite_difference_hessian(weighted_spector):
    X, y, w, o, coef, b = weighted_spector
    p = np.append(coef, b)

    def grad(q):  # central differences of the log-likelihood give the score
        eps = 1e-6
        out = np.empty(4)
        for j in range(4):
            e = np.zeros(4)
            e[j] = eps * max(1.0, abs(q[j]))
            up = log_likelihood(X, y, (q + e)[:3], (q + e)[3], sample_weight=w, offset=o)
            dn = log_likelihood(X, y, (q - e)[:3], (q - e)[3], sample_weight=w, offset=o)
            out[j] = (up - dn) / (2 * e[j])
        return out

    info = information_matrix(X, y, coef, b, sample_weight=w, offset=o)
    H = np.empty((4, 4))
    for j in range(4):
        e = np.zeros(4)
        e[j] = 1e-4 * max(1.0, abs(p[j]))
        H[:, j] = -(grad(p + e) - grad(p - e)) / (2 * e[j])
    np.testing.assert_allclose(info, (H + H.T) / 2, rtol=1e-4, atol=1e-6 * np.abs(info).max())


def test_null_log_likelihood_closed_form_and_offset():
    y = np.array([0, 1, 1, 0, 1, 1.0])
    w = np.array([1, 2, 1, 3, 1, 1.0])
    p = (w @ y) / w.sum()
    expected = w.sum() * (p * np.log(p) + (1 - p) * np.log(1 - p))
    assert null_log_likelihood(y, sample_weight=w) == pytest.approx(expected, rel=1e-14)
    # a constant offset only shifts the intercept: same maximum
    assert null_log_likelihood(y, sample_weight=w, offset=np.full(6, 2.5)) == pytest.approx(
        expected, rel=1e-10
    )
    assert null_log_likelihood(np.ones(3)) == 0.0


def test_sparse_equals_dense(spector):
    X, y = spector
    m = ours(X, y)
    g = np.arange(len(y)) % 3
    for cov_type in ["nonrobust", "HC1", "cluster"]:
        dense = inference(X, y, m.coef_, m.intercept_, cov_type=cov_type, groups=g)
        sparse = inference(
            sp.csr_matrix(X.to_numpy()),
            y,
            m.coef_,
            m.intercept_,
            cov_type=cov_type,
            groups=g,
            feature_names=list(X.columns),
        )
        # entries that cancel (0.007 next to 30) are compared at the matrix's scale
        scale = np.abs(dense.cov_params).max()
        np.testing.assert_allclose(
            sparse.cov_params, dense.cov_params, rtol=1e-12, atol=1e-14 * scale
        )
        assert sparse.names == dense.names


# -- penalised fits ------------------------------------------------------------------------


def test_penalised_fit_is_refused_by_default(spector):
    X, y = spector
    m = LogisticRegression(C=1.0, tol=1e-10).fit(X, y)
    with pytest.raises(InvalidParameterError, match=r"C=1\.0.*penalized='sandwich'"):
        inference(X, y, m.coef_, m.intercept_, C=1.0)
    with pytest.raises(InvalidParameterError, match="penalized"):
        covariance(X, y, m.coef_, m.intercept_, C=1.0)


def test_penalised_sandwich_formula(spector):
    X, y = spector
    C = 0.5
    m = LogisticRegression(C=C, tol=1e-8).fit(X, y)
    res = inference(X, y, m.coef_, m.intercept_, C=C, penalized="sandwich")
    info = information_matrix(X, y, m.coef_, m.intercept_)
    B = info + np.diag([1 / C, 1 / C, 1 / C, 0.0])  # intercept unpenalised
    Binv = np.linalg.inv(B)
    np.testing.assert_allclose(res.cov_params, Binv @ info @ Binv, rtol=1e-10)
    assert res.penalized and res.edf == pytest.approx(np.trace(Binv @ info), rel=1e-12)
    assert 1 < res.edf < 4
    assert res.aic == pytest.approx(-2 * res.llf + 2 * res.edf, rel=1e-12)
    assert res.newton_step_se < 1e-6  # at the optimum of the *penalised* objective
    text = str(res.summary())
    assert "penalised" in text and "nominal coverage" in text
    # robust meat with the same penalised bread
    hc0 = inference(X, y, m.coef_, m.intercept_, C=C, penalized="sandwich", cov_type="HC0")
    # the unpenalised HC0 at the same point is info^-1 M info^-1: recover the meat M
    hc0_plain = covariance(X, y, m.coef_, m.intercept_, cov_type="HC0")
    meat = info @ hc0_plain @ info
    np.testing.assert_allclose(hc0.cov_params, Binv @ meat @ Binv, rtol=1e-8)


def test_penalised_sandwich_tends_to_unpenalised(spector):
    X, y = spector
    C = 1e8
    m = LogisticRegression(C=C, tol=1e-10).fit(X, y)
    pen = inference(X, y, m.coef_, m.intercept_, C=C, penalized="sandwich")
    unpen = inference(X, y, m.coef_, m.intercept_, check_separation=False)
    np.testing.assert_allclose(pen.bse, unpen.bse, rtol=1e-5)


# -- separation ----------------------------------------------------------------------------


def _noise(n, p, seed=0):
    return np.random.default_rng(seed).normal(size=(n, p))


def test_complete_separation_names_the_feature():
    rng = np.random.default_rng(1)
    n = 200
    X = _noise(n, 3)
    y = (rng.random(n) < 0.5).astype(float)
    split = np.where(y == 1, 1.0 + rng.random(n), -rng.random(n))  # > 1 iff y = 1
    X = np.column_stack([X[:, 0], split, X[:, 1:]])
    rep = detect_separation(X, y, feature_names=["a", "split", "b", "c"])
    assert rep.separated and rep.kind == "complete"
    assert rep.features == ("split",) and rep.feature_indices == (1,)
    assert len(rep.rows) == n
    d = rep.direction
    assert np.all((2 * y - 1) * (X @ d[:-1] + d[-1]) > 0)


def test_quasi_complete_separation_names_feature_and_rows():
    rng = np.random.default_rng(2)
    n = 300
    X = _noise(n, 2, seed=3)
    dummy = (rng.random(n) < 0.2).astype(float)
    y = np.where(dummy == 1, 1.0, (rng.random(n) < 0.4).astype(float))
    X = np.column_stack([X, dummy])
    rep = detect_separation(X, y, feature_names=["u", "v", "dummy"])
    assert rep.separated and rep.kind == "quasi-complete"
    assert rep.features == ("dummy",)
    np.testing.assert_array_equal(rep.rows, np.flatnonzero(dummy == 1))
    json.dumps(rep.as_dict())
    assert "quasi-complete separation" in rep.message() and "'dummy'" in rep.message()


def test_zero_weight_rows_are_ignored_by_separation():
    X = np.array([[0.0], [1.0], [2.0], [3.0], [2.5]])
    y = np.array([0.0, 0.0, 1.0, 1.0, 0.0])
    assert detect_separation(X, y).separated is False
    rep = detect_separation(X, y, sample_weight=[1, 1, 1, 1, 0])
    assert rep.separated and rep.kind == "complete" and rep.n_rows == 4


def test_separation_without_intercept():
    x = np.array([[-2.0], [-1.0], [1.0], [3.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    rep = detect_separation(x, y, fit_intercept=False)
    assert rep.separated and rep.kind == "complete" and rep.features == ("x0",)
    assert rep.direction.shape == (1,)
    # moving one point across makes it overlap without intercept
    y2 = np.array([0.0, 1.0, 0.0, 1.0])
    assert not detect_separation(x, y2, fit_intercept=False).separated


def test_breast_cancer_all_features_is_separated(cancer):
    rep = detect_separation(cancer.data, cancer.target, feature_names=cancer.feature_names)
    assert rep.separated and rep.kind == "complete"
    assert len(rep.rows) == cancer.data.shape[0]
    assert set(rep.features) <= set(cancer.feature_names) and rep.features
    sign = 2 * cancer.target - 1
    assert np.all(sign * (cancer.data @ rep.direction[:-1] + rep.direction[-1]) > 0)


def test_no_separation_on_real_data(spector):
    X, y = spector
    rep = detect_separation(X, y)
    assert not rep.separated and rep.kind is None and rep.features == ()


def test_inference_warns_on_quasi_separation():
    rng = np.random.default_rng(4)
    n = 300
    dummy = (rng.random(n) < 0.2).astype(float)
    u = rng.normal(size=n)
    y = np.where(dummy == 1, 1.0, (rng.random(n) < 1 / (1 + np.exp(-u))).astype(float))
    X = np.column_stack([u, dummy])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = LogisticRegression(C=np.inf, tol=1e-8, max_iter=2000).fit(X, y)
    with pytest.warns(SeparationWarning, match="'dummy'"):
        try:
            res = inference(X, y, m.coef_, m.intercept_, feature_names=["u", "dummy"])
        except DataError as exc:  # singular information: raised with the same report
            assert "'dummy'" in str(exc)
            warnings.warn(str(exc), SeparationWarning, stacklevel=1)
            return
    assert res.separation.separated and res.separation.features == ("dummy",)
    assert "separation" in str(res.summary())


def test_inference_on_complete_separation_warns_or_raises():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    # huge but representable curvature: the covariance exists numerically, with a warning
    with pytest.warns(SeparationWarning, match=r"complete separation: features \['x0'\]"):
        res = inference(X, y, [60.0], -90.0)
    assert res.separation.kind == "complete"
    # a(1 - a) underflows to 0 for every row: singular information, raised with the report
    with pytest.raises(DataError, match=r"complete separation: features \['x0'\]"):
        inference(X, y, [2000.0], -3000.0)


# -- results, summary, errors --------------------------------------------------------------


def test_summary_table_and_dicts(spector):
    X, y = spector
    m = ours(X, y)
    res = inference(X, y, m.coef_, m.intercept_, dep_var="GRADE")
    assert isinstance(res, InferenceResult)
    text = str(res.summary())
    header = text.splitlines()
    assert "Logistic Regression Results" in header[0]
    assert any(
        "coef" in line
        and "std err" in line
        and "P>|z|" in line
        and "[0.025" in line
        and "0.975]" in line
        for line in header
    )
    row = next(line for line in header if line.startswith("GPA"))
    assert row.split()[1:] == ["2.8261", "1.263", "2.238", "0.025", "0.351", "5.301"]
    assert "GRADE" in text and "nonrobust" in text
    d = res.as_dict()
    json.dumps(d)
    assert d["params"]["GPA"]["std_err"] == pytest.approx(res.bse[0])
    sd = res.summary(alpha=0.1).as_dict()
    json.dumps(sd)
    assert sd["columns"][-2:] == ["[0.050", "0.950]"]
    assert sd["rows"][0][0] == "GPA"
    ci90 = res.conf_int(0.1)
    assert sd["rows"][0][5] == pytest.approx(ci90[0, 0])


def test_not_at_optimum_warns(spector):
    X, y = spector
    m = ours(X, y)
    with pytest.warns(ConvergenceWarning, match="Newton step"):
        res = inference(X, y, m.coef_ * 1.05, m.intercept_)
    assert res.newton_step_se > 0.01


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"cov_type": "HC3"}, InvalidParameterError, "cov_type='HC3'"),
        ({"cov_type": "cluster"}, InvalidParameterError, "needs groups"),
        ({"cov_type": "cluster", "groups": np.zeros(32)}, DataError, "at least 2 groups"),
        ({"cov_type": "cluster", "groups": np.zeros(5)}, DataError, "groups has 5 values"),
        ({"alpha": 1.5}, InvalidParameterError, "alpha"),
        ({"penalized": "yes", "C": 1.0}, InvalidParameterError, "penalized='yes'"),
        ({"sample_weight": -np.ones(32)}, DataError, "sample_weight"),
        ({"offset": np.ones(3)}, DataError, "offset has 3 values"),
        ({"feature_names": ["a"]}, InvalidParameterError, "feature_names has 1"),
        ({"check_separation": "maybe"}, InvalidParameterError, "check_separation"),
    ],
)
def test_bad_arguments(spector, kwargs, error, match):
    X, y = spector
    m = ours(X, y)
    with pytest.raises(error, match=match):
        inference(X, y, m.coef_, m.intercept_, **kwargs)


def test_bad_labels_and_shapes(spector):
    X, y = spector
    with pytest.raises(DataError, match="y01 accepts labels in"):
        inference(X, y + 1, [0, 0, 0], 0.0)
    with pytest.raises(InvalidParameterError, match="coef has 2 values"):
        inference(X, y, [0, 0], 0.0)


def test_collinear_columns_are_named(spector):
    X, y = spector
    Xd = X.assign(GPA2=2 * X["GPA"])
    m = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y)
    coef = np.append(m.coef_.ravel(), 0.0)
    with pytest.raises(DataError, match="collinear") as info:
        inference(Xd, y, coef, m.intercept_, check_separation=False)
    assert "GPA" in str(info.value) and "GPA2" in str(info.value)


def test_auto_separation_check_on_large_data_only_when_suspicious(spector, monkeypatch):
    from logistic.inference import _api

    monkeypatch.setattr(_api, "_ALWAYS_CHECK_CELLS", 0)  # pretend every data set is large
    X, y = spector
    m = ours(X, y)
    assert inference(X, y, m.coef_, m.intercept_).separation is None  # nothing suspicious
    Xs = np.array([[0.0], [1.0], [2.0], [3.0]])
    ys = np.array([0.0, 0.0, 1.0, 1.0])
    with pytest.warns(SeparationWarning):
        res = inference(Xs, ys, [60.0], -90.0)  # fitted probabilities within 1e-8 of 0/1
    assert res.separation.separated
    assert inference(X, y, m.coef_, m.intercept_, check_separation=True).separation is not None


def test_float32_input_is_computed_in_float64(spector):
    X, y = spector
    m = ours(X, y)
    r64 = inference(X.to_numpy(), y, m.coef_, m.intercept_)
    r32 = inference(X.to_numpy().astype(np.float32), y, m.coef_, m.intercept_)
    # only the rounding of X to float32 differs, not the arithmetic
    np.testing.assert_allclose(r32.bse, r64.bse, rtol=1e-5)
    assert r32.cov_params.dtype == np.float64
