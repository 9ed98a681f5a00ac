"""Reading tables and preprocessing them, on real data written to real CSV and Parquet files.

The mixed-column table is statsmodels' ``fair`` data (6366 women, Fair 1978): numbers kept
as numbers, the coded columns turned into their category names, a boolean, a string target
and a few values removed to make missing cells.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from logistic.errors import DataError, InvalidParameterError
from logistic.tables import (
    MAX_CLASSES,
    NULL_VALUES,
    TablePreprocessor,
    array_sha256,
    atomic_write,
    atomic_write_bytes,
    check_output_path,
    expand_paths,
    file_format,
    file_sha256,
    iter_batches,
    read_schema,
    read_table,
    read_target,
    select_features,
)

OCCUPATIONS = {
    1: "student",
    2: "farming/unskilled",
    3: "white collar",
    4: "teacher/nurse/artist",
    5: "managerial",
    6: "professional",
}
RATINGS = {1: "very poor", 2: "poor", 3: "fair", 4: "good", 5: "very good"}
MISSING_AGE_ROWS = [4, 17, 250]  # 0-based rows whose age is removed
MISSING_OCC_ROWS = [9, 300]


def fair_table(*, missing=True) -> pa.Table:
    """statsmodels' fair data with numeric, string and boolean columns and a yes/no target."""
    import statsmodels.api as sm

    df = sm.datasets.fair.load_pandas().data
    age = df["age"].to_numpy(dtype=float).copy()
    occupation = [OCCUPATIONS[int(v)] for v in df["occupation"]]
    if missing:
        age[MISSING_AGE_ROWS] = np.nan
        for r in MISSING_OCC_ROWS:
            occupation[r] = None
    return pa.table(
        {
            "rate_marriage": [RATINGS[int(v)] for v in df["rate_marriage"]],
            "age": pa.array(age, from_pandas=True),
            "yrs_married": df["yrs_married"].to_numpy(),
            "children": df["children"].to_numpy(),
            "religious": df["religious"].to_numpy().astype(np.int64),
            "educ": df["educ"].to_numpy().astype(np.int64),
            "occupation": occupation,
            "husband_professional": (df["occupation_husb"].to_numpy() >= 5).tolist(),
            "affair": ["yes" if v > 0 else "no" for v in df["affairs"]],
        }
    )


@pytest.fixture(scope="module")
def fair():
    return fair_table()


@pytest.fixture(scope="module")
def fair_complete():
    return fair_table(missing=False)


def write_csv(table, path):
    pacsv.write_csv(table, path)
    return path


FEATURES = [
    "rate_marriage",
    "age",
    "yrs_married",
    "children",
    "religious",
    "educ",
    "occupation",
    "husband_professional",
]


# -- reading ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_read_table_round_trip(fair, tmp_path, fmt):
    path = tmp_path / f"fair.{fmt}"
    if fmt == "csv":
        write_csv(fair, path)
    else:
        pq.write_table(fair, path)
    t = read_table(path)
    assert t.num_rows == 6366
    assert t.column_names == fair.column_names
    assert pa.types.is_floating(t.schema.field("age").type)
    assert pa.types.is_string(t.schema.field("occupation").type)
    assert pa.types.is_boolean(t.schema.field("husband_professional").type)
    assert t.column("age").null_count == len(MISSING_AGE_ROWS)
    assert t.column("occupation").null_count == len(MISSING_OCC_ROWS)
    assert t.column("affair").to_pylist() == fair.column("affair").to_pylist()


def test_parquet_dictionary_column_is_categorical(fair_complete, tmp_path):
    t = fair_complete.set_column(
        0, "rate_marriage", fair_complete.column("rate_marriage").dictionary_encode()
    )
    pq.write_table(t, tmp_path / "d.parquet")
    back = read_table(tmp_path / "d.parquet")
    pre = TablePreprocessor().fit(back, columns=FEATURES)
    assert pre.columns_[0].kind == "categorical"
    assert pre.columns_[0].categories == sorted(RATINGS.values())


def test_format_is_sniffed_not_guessed_from_name(fair_complete, tmp_path):
    pq.write_table(fair_complete, tmp_path / "really_parquet.csv")
    assert read_table(tmp_path / "really_parquet.csv").num_rows == 6366


def test_tsv_and_question_mark_missing(tmp_path):
    (tmp_path / "a.tsv").write_text("x\tc\n1\ta\n?\tb\n3\t?\n")
    t = read_table(tmp_path / "a.tsv")
    assert t.column("x").to_pylist() == [1, None, 3]
    assert t.column("c").to_pylist() == ["a", "b", None]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, "not found"),
        ("", "is empty"),
        ("a,b,y\n", r"has a header \(a, b, y\) but no data rows"),
        ("a,b,y\n1,2,0\n3,4\n5,6,1\n", r"data row 2 \(line 3 counting the header\) has 2 fields"),
        ("a,b,y\n1,2,0\n3,4,1,9\n", r"data row 2 .* has 4 fields but the header has 3"),
    ],
)
def test_read_errors_name_the_problem(tmp_path, content, match):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataError, match=match) as info:
        read_table(path)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_directory_and_duplicate_columns(tmp_path):
    with pytest.raises(DataError, match="is a directory"):
        read_table(tmp_path)
    (tmp_path / "d.csv").write_text("a,a\n1,2\n")
    with pytest.raises(DataError, match="duplicate column names"):
        read_table(tmp_path / "d.csv")


# -- columns and target -------------------------------------------------------------------
def test_select_features(fair):
    assert select_features(fair, target="affair") == FEATURES
    assert select_features(fair, target="affair", features=["educ", "age"]) == ["educ", "age"]
    with pytest.raises(DataError, match=r"target column 'income' not found; available: rate_"):
        select_features(fair, target="income")
    with pytest.raises(DataError, match=r"feature column 'foo' not found; available:"):
        select_features(fair, target="affair", features=["age", "foo"])
    with pytest.raises(DataError, match="cannot also be a feature"):
        select_features(fair, target="affair", features=["age", "affair"])


@pytest.mark.parametrize(
    ("values", "dtype", "classes"),
    [
        (["yes", "no", " yes"], object, ["no", "yes"]),
        ([">50K", "<=50K", ">50K"], object, ["<=50K", ">50K"]),
        ([0, 1, 1], np.int64, [0, 1]),
        ([True, False, True], bool, [False, True]),
        ([0.0, 1.0, 0.0], np.float64, [0.0, 1.0]),
    ],
)
def test_target_of_any_type(values, dtype, classes):
    y = read_target(pa.table({"y": values}), "y")
    assert y.dtype == dtype
    assert np.unique(y).tolist() == classes


def test_target_errors():
    # 3 to MAX_CLASSES (1000) distinct values: a multinomial target.
    assert MAX_CLASSES == 1000
    assert read_target(pa.table({"y": ["a", "b", "b", "c"]}), "y").tolist() == list("abbc")
    assert np.unique(read_target(pa.table({"y": list(range(50)) * 2}), "y")).size == 50
    assert np.unique(read_target(pa.table({"y": list(range(1000)) * 2}), "y")).size == 1000
    with pytest.raises(DataError, match=r"has 1001 distinct values \(0 \(2 rows\), 1 \(2 rows"):
        read_target(pa.table({"y": list(range(1001)) * 2}), "y")
    with pytest.raises(DataError, match="looks like a continuous quantity"):
        read_target(pa.table({"y": np.linspace(0, 1, 3000)}), "y")
    with pytest.raises(DataError, match=r"one distinct value: 1 \(2 rows\)"):
        read_target(pa.table({"y": [1, 1]}), "y")
    with pytest.raises(DataError, match=r"1 missing value \(data rows 2\)"):
        read_target(pa.table({"y": [1, None, 0]}), "y")
    with pytest.raises(DataError, match="does not know"):
        read_target(pa.table({"y": ["yes", "maybe"]}), "y", classes=["no", "yes"])
    # Evaluating on data that holds a single known class is allowed.
    assert read_target(pa.table({"y": ["yes"]}), "y", classes=["no", "yes"]).tolist() == ["yes"]


# -- preprocessing ------------------------------------------------------------------------
def test_matches_scikit_learn_column_transformer(fair_complete):
    """StandardScaler on the numbers, OneHotEncoder on the rest: the same matrix."""
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    pre = TablePreprocessor().fit(fair_complete, columns=FEATURES)
    X = pre.transform(fair_complete)
    numeric = [s.name for s in pre.columns_ if s.kind == "numeric"]
    other = [s.name for s in pre.columns_ if s.kind != "numeric"]
    df = fair_complete.to_pandas()
    df["husband_professional"] = df["husband_professional"].map({True: "true", False: "false"})
    ct = ColumnTransformer(
        [("num", StandardScaler(), numeric), ("cat", OneHotEncoder(sparse_output=False), other)]
    )
    ref = ct.fit_transform(df)
    ref_index = {name: i for i, name in enumerate(ct.get_feature_names_out())}
    assert len(ref_index) == X.shape[1]
    for j, name in enumerate(pre.feature_names_out):
        key = f"cat__{name.replace('=', '_', 1)}" if "=" in name else f"num__{name}"
        np.testing.assert_allclose(X[:, j], ref[:, ref_index[key]], rtol=1e-12, atol=1e-12)


def test_layout_and_vocabulary(fair_complete):
    pre = TablePreprocessor().fit(fair_complete, columns=FEATURES)
    X = pre.transform(fair_complete)
    assert X.dtype == np.float64
    assert X.shape == (6366, pre.n_features_out)
    names = pre.feature_names_out
    assert names[:5] == [f"rate_marriage={c}" for c in sorted(RATINGS.values())]
    assert "age" in names and "husband_professional=true" in names
    occ = [j for j, n in enumerate(names) if n.startswith("occupation=")]
    assert [names[j].split("=", 1)[1] for j in occ] == sorted(OCCUPATIONS.values())
    np.testing.assert_array_equal(X[:, occ].sum(axis=1), 1.0)
    j = names.index("age")
    assert abs(X[:, j].mean()) < 1e-12 and abs(X[:, j].std() - 1) < 1e-12


def test_constant_column_gets_scale_one():
    t = pa.table({"c": [3.0, 3.0, 3.0], "x": [1.0, 2.0, 4.0]})
    pre = TablePreprocessor().fit(t)
    assert pre.columns_[0].scale == 1.0
    np.testing.assert_array_equal(pre.transform(t)[:, 0], 0.0)


def test_unseen_categories_are_zero_and_counted(fair_complete):
    pre = TablePreprocessor().fit(fair_complete, columns=FEATURES)
    new = fair_complete.slice(0, 5)
    occ = new.column("occupation").to_pylist()
    occ[1] = occ[3] = "astronaut"
    new = new.set_column(FEATURES.index("occupation"), "occupation", pa.array(occ))
    X, report = pre.transform_with_report(new)
    block = [j for j, n in enumerate(pre.feature_names_out) if n.startswith("occupation=")]
    np.testing.assert_array_equal(X[[1, 3]][:, block], 0.0)
    np.testing.assert_array_equal(X[[0, 2, 4]][:, block].sum(axis=1), 1.0)
    assert report.unseen == {"occupation": {"astronaut": 2}}
    assert report.n_unseen == 2
    assert "'astronaut' x2" in report.unseen_message()
    pre.transform(new)
    assert pre.last_report_.n_unseen == 2


def test_missing_values_are_an_error_naming_columns_and_rows(fair):
    with pytest.raises(DataError) as info:
        TablePreprocessor().fit(fair, columns=FEATURES)
    msg = str(info.value)
    assert "'age' (3 rows: 5, 18, 251)" in msg
    assert "'occupation' (2 rows: 10, 301)" in msg
    assert "--impute" in msg


@pytest.mark.parametrize("impute", ["mean", "most-frequent"])
def test_impute_learns_and_applies_fill_values(fair, impute):
    pre = TablePreprocessor(impute=impute).fit(fair, columns=FEATURES)
    ages = np.array([v for v in fair.column("age").to_pylist() if v is not None])
    age = pre.columns_[FEATURES.index("age")]
    if impute == "mean":
        assert age.fill == pytest.approx(ages.mean(), rel=1e-15)
    else:
        vals, counts = np.unique(ages, return_counts=True)
        assert age.fill == vals[np.argmax(counts)]
    occ = [v for v in fair.column("occupation").to_pylist() if v is not None]
    assert pre.columns_[FEATURES.index("occupation")].fill == max(set(occ), key=occ.count)
    X, report = pre.transform_with_report(fair)
    assert report.imputed == {"age": 3, "occupation": 2}
    assert np.all(np.isfinite(X))
    j = pre.feature_names_out.index("age")
    np.testing.assert_allclose(X[MISSING_AGE_ROWS, j], (age.fill - age.mean) / age.scale)


def test_json_round_trip_is_exact(fair):
    pre = TablePreprocessor(impute="mean").fit(fair, columns=FEATURES)
    d = json.loads(json.dumps(pre.to_dict()))
    back = TablePreprocessor.from_dict(d)
    np.testing.assert_array_equal(back.transform(fair), pre.transform(fair))
    assert back.feature_names_out == pre.feature_names_out
    assert back.to_dict() == pre.to_dict()


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda d: d["columns"][1].update(scale=0.0), "scale must be > 0"),
        (lambda d: d["columns"][1].update(mean="x"), "mean must be a finite number"),
        (lambda d: d["columns"][0].update(categories=["b", "a"]), "sorted and unique"),
        (lambda d: d["columns"][0].update(kind="date"), "kind='date'"),
        (lambda d: d.update(impute="median"), "impute='median'"),
        (lambda d: d.update(columns=[]), "non-empty list"),
        (lambda d: d["columns"][0].update(fill="nope"), "not one of its categories"),
    ],
)
def test_from_dict_validates(fair, edit, match):
    d = TablePreprocessor(impute="mean").fit(fair, columns=FEATURES).to_dict()
    edit(d)
    with pytest.raises(DataError, match=match):
        TablePreprocessor.from_dict(d)


def test_text_in_a_numeric_column(tmp_path, fair_complete):
    # Training: a typo among numbers is reported with its row, not taken as a category.
    ages = [str(v) for v in fair_complete.column("age").to_pylist()]
    ages[41] = "thirty"
    t = fair_complete.set_column(1, "age", pa.array(ages))
    with pytest.raises(DataError, match=r"column 'age' holds numbers but data row 42 has 'thirty'"):
        TablePreprocessor().fit(t, columns=FEATURES)
    # ... unless the user says the column is categorical.
    pre = TablePreprocessor(categorical=["age"]).fit(t, columns=FEATURES)
    assert pre.columns_[1].kind == "categorical"
    # Prediction: the model knows 'age' is numeric.
    pre = TablePreprocessor().fit(fair_complete, columns=FEATURES)
    path = write_csv(t.slice(0, 60), tmp_path / "new.csv")
    with pytest.raises(DataError, match=r"column 'age' holds numbers but data row 42 has 'thirty'"):
        pre.transform(read_table(path, column_types=pre.csv_column_types()))


def test_prediction_data_lacking_columns(fair_complete):
    pre = TablePreprocessor().fit(fair_complete, columns=FEATURES)
    partial = fair_complete.drop_columns(["age", "educ"])
    with pytest.raises(DataError, match=r"lacks columns 'age', 'educ' that the model uses"):
        pre.transform(partial)


def test_prediction_with_missing_values_and_no_imputation(fair, fair_complete):
    pre = TablePreprocessor().fit(fair_complete, columns=FEATURES)
    with pytest.raises(DataError, match="trained without imputation"):
        pre.transform(fair)


def test_categorical_codes_stay_strings_in_csv(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("zip,y\n007,1\n010,0\n007,0\n")
    pre = TablePreprocessor(categorical=["zip"]).fit(
        read_table(path, column_types={"zip": pa.string()}), columns=["zip"]
    )
    assert pre.columns_[0].categories == ["007", "010"]
    X = pre.transform(read_table(path, column_types=pre.csv_column_types()))
    np.testing.assert_array_equal(X, [[1, 0], [0, 1], [1, 0]])


def test_bad_parameters_and_unsupported_types():
    t = pa.table({"x": [1.0, 2.0]})
    with pytest.raises(InvalidParameterError, match="impute='median'"):
        TablePreprocessor(impute="median").fit(t)  # checked at fit, as scikit-learn does
    for bad in (
        {"sparse": "yes"},
        {"min_frequency": 0},
        {"min_frequency": 1.5},
        {"max_categories": 1},
    ):
        with pytest.raises(InvalidParameterError, match=next(iter(bad))):
            TablePreprocessor(**bad).fit(t)
    t = pa.table({"d": pa.array([[1], [2]]), "x": [1.0, 2.0]})
    with pytest.raises(DataError, match=r"column 'd' has type list<item: int64>.*exclude=\['d'\]"):
        TablePreprocessor().fit(t)
    with pytest.raises(DataError, match="every row is missing"):
        TablePreprocessor().fit(pa.table({"e": pa.array([None, None], type=pa.float64())}))
    with pytest.raises(DataError, match="infinite value at data row 2"):
        TablePreprocessor().fit(pa.table({"x": [1.0, np.inf]}))


# -- finding files and streaming them -----------------------------------------------------
def _mixed_csv(n=20_000, *, sep=","):
    """CSV text whose missing cells use every marker: '?' in x, 'NA' in k, empty and '?' in c;
    long enough (> 64 KiB) to be streamed in several blocks."""
    lines = [sep.join(["x", "k", "c"])]
    for i in range(n):
        x = "?" if i % 97 == 5 else f"{i * 0.25:.2f}"
        k = "NA" if i % 89 == 7 else str(i % 13)
        c = "" if i % 83 == 3 else "?" if i % 79 == 11 else ("red", "green", "blue")[i % 3]
        lines.append(sep.join([x, k, c]))
    return "\n".join(lines) + "\n"


def test_expand_paths_directory_glob_and_list(tmp_path):
    d = tmp_path / "parts"
    d.mkdir()
    for name in ["b.csv", "a.csv", "c.tsv", "e.txt"]:
        (d / name).write_text("x,y\n1,0\n")
    with open(d / "d.csv.gz", "wb") as fh:
        fh.write(gzip.compress(b"x,y\n1,0\n"))
    (d / "notes.md").write_text("not data")
    (d / "sub").mkdir()
    (d / "sub" / "f.csv").write_text("x,y\n1,0\n")
    # A directory: its Parquet/CSV files (by suffix), sorted; other files and subdirectories
    # are not read.
    assert [p.name for p in expand_paths(d)] == ["a.csv", "b.csv", "c.tsv", "d.csv.gz", "e.txt"]
    # A glob: its matches, sorted; "**" recurses.
    assert [p.name for p in expand_paths(str(d / "[ab].csv"))] == ["a.csv", "b.csv"]
    assert [p.name for p in expand_paths(str(d / "**" / "*.csv"))] == ["a.csv", "b.csv", "f.csv"]
    # A list: each item expanded, in the given order.
    got = expand_paths([d / "sub" / "f.csv", str(d / "b*"), d / "e.txt"])
    assert [p.name for p in got] == ["f.csv", "b.csv", "e.txt"]
    assert all(isinstance(p, Path) for p in got)


def test_expand_paths_suffixes_and_formats(tmp_path, fair_complete):
    for name in ["t.csv.gz", "t.tsv", "t.txt", "t.tsv.bz2", "t.pq", "t.parq"]:
        (tmp_path / name).write_bytes(b"")
        assert expand_paths(tmp_path / name) == [tmp_path / name]
    assert file_format(tmp_path / "t.csv.gz") == "csv"
    assert file_format(tmp_path / "t.pq") == "parquet"
    # The content wins over the name: a Parquet file is Parquet whatever its suffix.
    pq.write_table(fair_complete, tmp_path / "really.csv")
    assert file_format(tmp_path / "really.csv") == "parquet"
    pq.write_table(fair_complete, tmp_path / "data.bin")
    assert expand_paths(tmp_path / "data.bin") == [tmp_path / "data.bin"]
    # An unknown suffix on a file that is not Parquet cannot be told, unless file_format says.
    (tmp_path / "data.dat").write_text("x,y\n1,0\n")
    with pytest.raises(DataError, match=r"cannot tell the format of '.*data\.dat'.*suffix"):
        expand_paths(tmp_path / "data.dat")
    assert expand_paths(tmp_path / "data.dat", file_format="csv") == [tmp_path / "data.dat"]
    with pytest.raises(InvalidParameterError, match="file_format='json' is not accepted"):
        expand_paths(tmp_path / "t.txt", file_format="json")


def test_expand_paths_errors(tmp_path):
    with pytest.raises(DataError, match=r"data file '.*nope\.csv' not found.*does not exist"):
        expand_paths(tmp_path / "nope.csv")
    with pytest.raises(DataError, match=r"the glob '.*' matches no file"):
        expand_paths(str(tmp_path / "*.parquet"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no Parquet or CSV file"):
        expand_paths(tmp_path / "empty")
    (tmp_path / "a.csv").write_text("x\n1\n")
    pq.write_table(pa.table({"x": [1]}), tmp_path / "b.parquet")
    with pytest.raises(DataError, match=r"mix Parquet .* and CSV .*; stream one format at a time"):
        expand_paths([tmp_path / "a.csv", tmp_path / "b.parquet"])
    with pytest.raises(DataError, match="names no file"):
        expand_paths([])
    with pytest.raises(InvalidParameterError, match="paths=3 is not accepted"):
        expand_paths(3)
    with pytest.raises(InvalidParameterError, match="paths has the item 3"):
        expand_paths([tmp_path / "a.csv", 3])


@pytest.mark.parametrize("name", ["m.csv", "m.tsv", "m.txt", "m.csv.gz"])
def test_iter_batches_sees_the_missing_values_of_read_table(tmp_path, name):
    text = _mixed_csv(sep="\t" if ".tsv" in name else ",").encode()
    path = tmp_path / name
    path.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
    assert {"", "?", "NA"} <= set(NULL_VALUES)
    whole = read_table(path)
    batches = list(iter_batches([path], ["x", "k", "c"], batch_size=1000))
    assert len(batches) > 1  # several blocks: every one converted alike
    streamed = pa.Table.from_batches(batches)
    assert streamed.schema == whole.schema
    assert streamed.equals(whole)
    for col, marker_rows in [("x", 5), ("k", 7), ("c", 3)]:
        assert streamed.column(col)[marker_rows].as_py() is None
    assert streamed.column("c")[11].as_py() is None  # '?' in a text column
    assert pa.types.is_floating(streamed.schema.field("x").type)
    assert pa.types.is_integer(streamed.schema.field("k").type)
    assert read_schema(path) == whole.schema


def test_iter_batches_with_path_and_parquet(tmp_path):
    pq.write_table(pa.table({"x": np.arange(10.0), "y": [0, 1] * 5}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"x": np.arange(4.0), "y": [1, 0] * 2}), tmp_path / "b.parquet")
    files = expand_paths(str(tmp_path / "*.parquet"))
    pairs = list(iter_batches(files, ["y"], batch_size=4, with_path=True))
    assert [(p.name, b.num_rows) for p, b in pairs] == [
        ("a.parquet", 4),
        ("a.parquet", 4),
        ("a.parquet", 2),
        ("b.parquet", 4),
    ]
    assert all(isinstance(p, Path) and b.column_names == ["y"] for p, b in pairs)
    assert all(isinstance(b, pa.RecordBatch) for b in iter_batches(files, None, batch_size=4))
    with pytest.raises(DataError, match=r"data file '.*a\.parquet' lacks column 'z'"):
        list(iter_batches(files, ["x", "z"]))
    with pytest.raises(InvalidParameterError, match="batch_size=0"):
        list(iter_batches(files, ["x"], batch_size=0))


def test_iter_batches_column_types_for_csv(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("x,k,c\n1,2,a\n?,3,b\n4.5,NA,007\n")
    types = {"x": pa.float32(), "k": pa.float64(), "c": pa.string(), "absent": pa.int8()}
    (batch,) = iter_batches([path], ["x", "k", "c"], column_types=types)
    assert batch.schema.field("x").type == pa.float32()
    assert batch.schema.field("k").type == pa.float64()
    assert batch.column("x").to_pylist() == [1.0, None, 4.5]
    assert batch.column("k").to_pylist() == [2.0, 3.0, None]
    assert batch.column("c").to_pylist() == ["a", "b", "007"]
    # The same types as read_table forced with them.
    assert read_table(path, column_types=types).schema == pa.Table.from_batches([batch]).schema
    path.write_text("x,y\n1,0\n2,1\nabc,0\n")
    with pytest.raises(
        DataError, match=r"data file '.*a\.csv': column 'x' holds numbers but data row 3 has 'abc'"
    ):
        list(iter_batches([path], ["x", "y"], column_types={"x": pa.float32()}))


def test_iter_batches_errors_name_file_and_row(tmp_path):
    # Types are fixed by the first block: text in a later block names its row.
    rows = [f"{i * 0.5},{i % 2}" for i in range(10_000)]
    rows[9499] = "oops,1"
    path = tmp_path / "late.csv"
    path.write_text("x,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(
        DataError, match=r"late\.csv': column 'x' holds numbers but data row 9500 has 'oops'"
    ):
        list(iter_batches([path], ["x", "y"], batch_size=1))
    (tmp_path / "ragged.csv").write_text("a,b,y\n1,2,0\n3,4\n5,6,1\n")
    with pytest.raises(DataError, match=r"data row 2 \(line 3 counting the header\) has 2 fields"):
        list(iter_batches([tmp_path / "ragged.csv"], ["a", "y"]))
    (tmp_path / "first.csv").write_text("a,b,y\n1,2,0\n")
    (tmp_path / "other.csv").write_text("a,y\n1,0\n")
    with pytest.raises(DataError, match=r"other\.csv' lacks column 'b'; its columns are a, y"):
        list(iter_batches([tmp_path / "first.csv", tmp_path / "other.csv"], ["b"]))
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="is empty"):
        list(iter_batches([tmp_path / "empty.csv"], ["a"]))


def test_public_names_and_no_shadowed_io():
    import importlib

    import logistic.tables as tables

    # Every name the former logistic.io module offered is in logistic.tables.
    former_io = {
        "IMPUTE_CHOICES", "MAX_CLASSES", "NULL_VALUES", "ColumnSpec", "TablePreprocessor",
        "TransformReport", "array_sha256", "atomic_write", "atomic_write_bytes",
        "breast_cancer_table", "check_class_count", "check_output_path", "expand_paths",
        "file_sha256", "iter_batches", "read_schema", "read_table", "read_target",
        "select_features", "write_csv",
    }  # fmt: skip
    assert former_io <= set(tables.__all__)
    assert all(hasattr(tables, name) for name in tables.__all__)
    # The standard library's name is not shadowed any more.
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("logistic.io")


# -- hashing and atomic writes ------------------------------------------------------------
def test_hashes(tmp_path):
    import hashlib

    p = tmp_path / "f.bin"
    p.write_bytes(b"abc" * 1000)
    assert file_sha256(p) == hashlib.sha256(b"abc" * 1000).hexdigest()
    a = np.arange(6.0)
    assert array_sha256(a) == array_sha256(a.copy())
    assert array_sha256(a) != array_sha256(a.reshape(2, 3))
    assert array_sha256(a) != array_sha256(a.astype(np.float32))


def test_atomic_write_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(target) as fh:
        fh.write(b"half")
        raise RuntimeError("crash")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]
    with pytest.raises(KeyboardInterrupt), atomic_write(tmp_path / "new.bin") as fh:
        fh.write(b"x")
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]
    atomic_write_bytes(tmp_path / "sub" / "dir" / "new.bin", b"data")
    assert (tmp_path / "sub" / "dir" / "new.bin").read_bytes() == b"data"


def test_check_output_path(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidParameterError, match="is not a directory"):
        check_output_path(tmp_path / "file" / "model.json")
    with pytest.raises(InvalidParameterError, match="it is a directory"):
        check_output_path(tmp_path)
    assert check_output_path(tmp_path / "new" / "model.json") == tmp_path / "new" / "model.json"
    assert not (tmp_path / "new").exists()


# -- streaming fit and reference coding ---------------------------------------------------
@pytest.mark.parametrize("impute", [None, "mean", "most-frequent"])
@pytest.mark.parametrize("drop_first", [False, True])
def test_fit_batches_equals_fit(fair, fair_complete, impute, drop_first):
    table = fair_complete if impute is None else fair
    a = TablePreprocessor(impute=impute, drop_first=drop_first).fit(table, columns=FEATURES)
    b = TablePreprocessor(impute=impute, drop_first=drop_first).fit_batches(
        table.to_batches(max_chunksize=500), FEATURES
    )
    assert a.feature_names_out == b.feature_names_out
    for sa, sb in zip(a.columns_, b.columns_, strict=True):
        assert (sa.kind, sa.categories, sa.reference) == (sb.kind, sb.categories, sb.reference)
        assert sb.mean == pytest.approx(sa.mean, rel=1e-14)
        assert sb.scale == pytest.approx(sa.scale, rel=1e-14)
        if sa.fill is None or sa.kind != "numeric":
            assert sa.fill == sb.fill
        else:
            assert sb.fill == pytest.approx(sa.fill, rel=1e-14)
    np.testing.assert_allclose(b.transform_batch(table), a.transform(table), rtol=0, atol=1e-14)


def test_chan_update_is_stable_far_from_zero():
    """Sums of squares cancel catastrophically at a mean of 1e9; Chan's update does not."""
    x = 1e9 + np.random.default_rng(0).normal(size=10_000)
    t = pa.table({"x": x})
    b = TablePreprocessor().fit_batches(t.to_batches(max_chunksize=64))
    # The condition number mean/sd = 1e9 allows ~1e9 * eps of error; naive running sums of
    # x and x^2 lose every digit (their difference is ~1e18 * eps = 100 times the variance).
    assert b.columns_[0].scale == pytest.approx(np.std(x), rel=1e-8)
    naive = np.sqrt(abs(np.sum(x**2) / x.size - (np.sum(x) / x.size) ** 2))
    assert abs(naive - np.std(x)) > 1e-3
    assert b.columns_[0].mean == pytest.approx(np.mean(x), rel=1e-15)


def test_fit_batches_errors(fair):
    with pytest.raises(DataError, match=r"'age' \(3 rows: 5, 18, 251\)"):
        TablePreprocessor().fit_batches(fair.to_batches(max_chunksize=100), FEATURES)
    first = pa.table({"x": [1.0, 2.0]}).to_batches()[0]
    second = pa.table({"x": ["a", "b"]}).to_batches()[0]
    with pytest.raises(DataError, match="holds numbers in earlier rows but has type string from"):
        TablePreprocessor().fit_batches([first, second])
    with pytest.raises(DataError, match="no data rows"):
        TablePreprocessor().fit_batches([])
    typo = pa.table({"x": ["1", "2", "x7"] + [str(i) for i in range(60)]})
    with pytest.raises(DataError, match="data row 3 has 'x7'"):
        TablePreprocessor().fit_batches(typo.to_batches(max_chunksize=10))


def test_reference_coding(fair_complete):
    full = TablePreprocessor().fit(fair_complete, columns=FEATURES)
    ref = TablePreprocessor(drop_first=True).fit(fair_complete, columns=FEATURES)
    dropped = set(full.feature_names_out) - set(ref.feature_names_out)
    assert dropped == {
        "occupation=farm",
        "husband_professional=false",
        "rate_marriage=fair",
    } or all(
        n.split("=")[0] in ("occupation", "husband_professional", "rate_marriage") for n in dropped
    )
    Xf, Xr = full.transform(fair_complete), ref.transform(fair_complete)
    keep = [full.feature_names_out.index(n) for n in ref.feature_names_out]
    np.testing.assert_array_equal(Xr, Xf[:, keep])
    d = ref.to_dict()
    assert d["drop_first"] is True
    bad = {**d, "columns": [dict(c) for c in d["columns"]]}
    cat = next(c for c in bad["columns"] if c["kind"] != "numeric")
    cat["reference"] = cat["categories"][-1]
    with pytest.raises(DataError, match="reference must be its first category"):
        TablePreprocessor.from_dict(bad)
