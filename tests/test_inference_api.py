"""The library API that front ends share: results read back from stored data
(``InferenceResult.from_dict``) and the one policy of when standard errors are refused
(``why_no_standard_errors``)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import logistic.inference as inference_module
from logistic import LogisticRegression, load, save
from logistic.errors import DataError, InvalidParameterError
from logistic.inference import (
    InferenceResult,
    SeparationReport,
    SeparationWarning,
    detect_separation,
    inference,
    why_no_standard_errors,
)

sm = pytest.importorskip("statsmodels.api")


@pytest.fixture(scope="module")
def spector():
    data = sm.datasets.spector.load_pandas()
    return data.exog[["GPA", "TUCE", "PSI"]], data.endog.to_numpy()


@pytest.fixture(scope="module")
def spector_fit(spector):
    X, y = spector
    return LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(X, y)


def _null(v):
    """Plain data as a model file holds it: every non-finite float becomes None (null)."""
    if isinstance(v, dict):
        return {k: _null(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_null(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def stored(result):
    """``result.as_dict()`` after the trip through a JSON file (strict JSON: no NaN)."""
    return json.loads(json.dumps(_null(result.as_dict()), allow_nan=False))


def assert_round_trip(res, **summary_kw):
    d = stored(res)
    back = InferenceResult.from_dict(d)
    assert str(back.summary(**summary_kw)) == str(res.summary(**summary_kw))
    assert _null(back.summary(**summary_kw).as_dict()) == _null(res.summary(**summary_kw).as_dict())
    assert stored(back) == d
    assert set(vars(back)) == set(vars(res))  # from_dict sets every attribute __init__ does
    assert back.names == res.names
    np.testing.assert_array_equal(back.params, res.params)
    np.testing.assert_array_equal(back.bse, res.bse)
    np.testing.assert_array_equal(back.conf_int(0.1), res.conf_int(0.1))
    if res.cov_params is not None:
        np.testing.assert_array_equal(back.cov_params, res.cov_params)
    return back


# -- InferenceResult.from_dict ------------------------------------------------------------


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "cluster"])
def test_from_dict_prints_the_same_summary(spector, spector_fit, cov_type):
    X, y = spector
    m = spector_fit
    groups = np.arange(len(y)) % 5 if cov_type == "cluster" else None
    res = inference(X, y, m.coef_, m.intercept_, cov_type=cov_type, groups=groups, dep_var="GRADE")
    back = assert_round_trip(res)
    assert back.cov_type == cov_type and back.dep_var == "GRADE"
    assert back.C == math.inf and not back.penalized  # C = inf was stored as null
    assert back.information is None and math.isnan(back.rcond)
    assert_round_trip(res, alpha=0.1)  # intervals at another level, recomputed
    if cov_type == "cluster":
        assert back.cov_info["n_groups"] == 5
        assert "Clusters: 5." in str(back.summary())


def test_from_dict_of_a_model_file(spector, spector_fit, tmp_path):
    """The inference block exactly as ``save`` writes it and ``load`` returns it."""
    X, y = spector
    m = spector_fit
    res = inference(X, y, m.coef_, m.intercept_, cov_type="HC1")
    loaded = load(save(m, tmp_path / "m.json", inference=res))
    back = InferenceResult.from_dict(loaded.inference)
    assert str(back.summary()) == str(res.summary())
    assert stored(back) == stored(res)


def test_from_dict_of_a_penalised_sandwich(spector):
    X, y = spector
    C = 0.5
    m = LogisticRegression(C=C, tol=1e-10).fit(X, y)
    res = inference(X, y, m.coef_, m.intercept_, C=C, penalized="sandwich")
    back = assert_round_trip(res)
    assert back.penalized and back.C == C and back.edf == res.edf
    assert back.method == res.method and back.cov_description == res.cov_description
    assert "nominal coverage" in str(back.summary())


def test_from_dict_null_numbers_are_nan():
    # one feature without intercept: df_model = 0, so the LR test's p-value is NaN (null)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 1))
    y = (rng.random(60) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
    m = LogisticRegression(C=np.inf, tol=1e-10, fit_intercept=False).fit(x, y)
    res = inference(x, y, m.coef_, fit_intercept=False)
    assert math.isnan(res.llr_pvalue)
    d = stored(res)
    assert d["llr_pvalue"] is None and d["C"] is None
    back = assert_round_trip(res)
    assert math.isnan(back.llr_pvalue) and not back.fit_intercept
    assert "LLR p-value:" in str(back.summary()) and "nan" in str(back.summary())


def test_from_dict_keeps_the_separation_report():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    with pytest.warns(SeparationWarning):
        res = inference(X, y, [60.0], -90.0)
    back = assert_round_trip(res)
    assert isinstance(back.separation, SeparationReport)
    assert back.separation.kind == "complete" and back.separation.features == ("x0",)
    assert back.separation.message() in back.summary().notes()  # wrapped in the table


def test_from_dict_without_cov_params(spector, spector_fit):
    X, y = spector
    m = spector_fit
    res = inference(X, y, m.coef_, m.intercept_)
    d = stored(res)
    del d["cov_params"]
    back = InferenceResult.from_dict(d)
    assert back.cov_params is None and back.as_dict()["cov_params"] is None
    assert str(back.summary()) == str(res.summary())


def test_from_dict_missing_statistic_is_nan(spector, spector_fit):
    X, y = spector
    m = spector_fit
    d = stored(inference(X, y, m.coef_, m.intercept_))
    for key in ("aic", "n_rows", "separation", "cov_info", "dep_var", "C"):
        del d[key]
    back = InferenceResult.from_dict(d)
    assert math.isnan(back.aic) and back.n_rows is None and back.separation is None
    assert back.dep_var == "y" and back.cov_info == {} and back.C == math.inf


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.pop("params"), r"d has no \['params'\]"),
        (lambda d: d.pop("cov_type"), r"d has no \['cov_type'\]"),
        (lambda d: d.update(cov_type="HC3"), r"d\['cov_type'\] is 'HC3'"),
        (lambda d: d.update(penalized="no"), r"d\['penalized'\] is 'no'"),
        (lambda d: d.update(alpha=1.5), r"d\['alpha'\] is 1.5"),
        (lambda d: d.update(alpha=None), r"d\['alpha'\] is None"),
        (lambda d: d.update(llf="high"), r"d\['llf'\] is 'high'"),
        (lambda d: d.update(params={}), r"d\['params'\] accepts a non-empty mapping"),
        (lambda d: d["params"]["GPA"].pop("z"), r"d\['params'\]\['GPA'\] accepts"),
        (lambda d: d["params"]["PSI"].update(coef="1"), r"d\['params'\]\['PSI'\]\['coef'\]"),
        (lambda d: d.update(cov_params=[[1.0]]), r"d\['cov_params'\] accepts None or 4 rows"),
        (lambda d: d.update(separation={"kind": None}), "boolean 'separated'"),
    ],
)
def test_from_dict_refuses_malformed_data(spector, spector_fit, change, match):
    X, y = spector
    m = spector_fit
    d = stored(inference(X, y, m.coef_, m.intercept_))
    change(d)
    with pytest.raises(DataError, match=match):
        InferenceResult.from_dict(d)


def test_from_dict_refuses_a_non_mapping():
    with pytest.raises(DataError, match="d is a list"):
        InferenceResult.from_dict([])


def test_separation_report_round_trip():
    rng = np.random.default_rng(2)
    n = 300
    X = rng.normal(size=(n, 2))
    dummy = (rng.random(n) < 0.2).astype(float)
    y = np.where(dummy == 1, 1.0, (rng.random(n) < 0.4).astype(float))
    rep = detect_separation(np.column_stack([X, dummy]), y, feature_names=["u", "v", "dummy"])
    back = SeparationReport.from_dict(json.loads(json.dumps(rep.as_dict())))
    assert back.as_dict() == rep.as_dict() and back.message() == rep.message()
    np.testing.assert_array_equal(back.rows, rep.rows)
    assert back.rows.dtype == np.intp
    none = SeparationReport.from_dict(SeparationReport(False, None, n_rows=5).as_dict())
    assert not none.separated and none.direction is None and none.n_rows == 5


# -- why_no_standard_errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_classes": 2, "C": np.inf},
        {"n_classes": 2, "C": float("inf"), "l1_ratio": 1.0},  # no penalty: the L1 share moot
        {"n_classes": 2, "C": 0.5, "penalized": "sandwich"},
        {"n_classes": np.int64(2), "C": np.float64(np.inf), "class_weight": None},
    ],
)
def test_standard_errors_are_available(kwargs):
    assert why_no_standard_errors(**kwargs) is None


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        (  # any number of classes: the multinomial model has its reference contrasts
            {"n_classes": 4, "C": 1.0, "class_weight": "balanced", "l1_ratio": 1.0},
            ["class_weight='balanced'", "refit with class_weight=None"],
        ),
        (
            {"n_classes": 2, "C": np.inf, "class_weight": "balanced"},
            ["class_weight='balanced'", "not frequency weights", "refit with class_weight=None"],
        ),
        (
            {"n_classes": 2, "C": np.inf, "class_weight": {0: 1.0, 1: 3.0}},
            ["class_weight={0: 1.0, 1: 3.0}", "refit with class_weight=None"],
        ),
        (
            {"n_classes": 2, "C": 1.0, "l1_ratio": 0.5},
            ["L1/elastic-net", "l1_ratio=0.5", "C=1.0", "refit with C=np.inf"],
        ),
        (  # the sandwich covers the L2 penalty only
            {"n_classes": 2, "C": 1.0, "l1_ratio": 1.0, "penalized": "sandwich"},
            ["L1/elastic-net", "refit with C=np.inf"],
        ),
        (
            {"n_classes": 2, "C": 0.25},
            ["penalised fit (C=0.25)", "biased", "refit with C=np.inf", "penalized='sandwich'"],
        ),
    ],
)
def test_each_reason_says_why_and_what_to_do(kwargs, says):
    reason = why_no_standard_errors(**kwargs)
    assert reason is not None and reason.startswith("no standard errors")
    assert "\n" not in reason
    for phrase in says:
        assert phrase in reason, phrase


def test_multinomial_models_have_standard_errors():
    assert why_no_standard_errors(n_classes=3, C=np.inf) is None
    assert why_no_standard_errors(n_classes=1000, C=2.0, penalized="sandwich") is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_classes": 1, "C": np.inf}, "n_classes=1"),
        ({"n_classes": 2.0, "C": np.inf}, "n_classes=2.0"),
        ({"n_classes": 2, "C": 0.0}, "C=0.0"),
        ({"n_classes": 2, "C": np.nan}, "C=nan"),
        ({"n_classes": 2, "C": 1.0, "l1_ratio": 1.5}, "l1_ratio=1.5"),
        ({"n_classes": 2, "C": 1.0, "penalized": "yes"}, "penalized='yes'"),
    ],
)
def test_why_no_standard_errors_checks_its_arguments(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        why_no_standard_errors(**kwargs)


def test_inference_refuses_with_the_same_reason(spector):
    X, y = spector
    m = LogisticRegression(C=1.0, tol=1e-10).fit(X, y)
    with pytest.raises(InvalidParameterError) as info:
        inference(X, y, m.coef_, m.intercept_, C=1.0)
    assert str(info.value) == why_no_standard_errors(n_classes=2, C=1.0)


# -- the package's public names -----------------------------------------------------------


def test_public_names():
    assert sorted(inference_module.__all__) == [
        "COV_TYPES",
        "InferenceResult",
        "InferenceSummary",
        "MarginalEffects",
        "PARAM_FIELDS",
        "STATISTICS",
        "SeparationReport",
        "SeparationWarning",
        "covariance",
        "detect_separation",
        "inference",
        "information_matrix",
        "log_likelihood",
        "marginal_effects",
        "multinomial_inference",
        "multinomial_separation",
        "null_log_likelihood",
        "parameter_layout",
        "reference_index",
        "why_no_standard_errors",
    ]
    for name in inference_module.__all__:
        assert hasattr(inference_module, name), name
    # the formulas stay the package's docstring
    assert inference_module.__doc__.startswith("Statistical inference")
    assert "Le Cessie" in inference_module.__doc__ and "Konis" in inference_module.__doc__
