"""logistic.training.fit_table on a real CSV (scikit-learn's breast-cancer data written out):
in memory and streamed give the same model, the record says how it was made, the progress
object hears every step and knows where an interrupted run stopped."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pyarrow.csv as pacsv
import pytest

from logistic.errors import ConvergenceWarning, InvalidParameterError
from logistic.persistence import load
from logistic.tables import breast_cancer_table, read_table
from logistic.training import TrainingProgress, fit_table


@pytest.fixture(scope="module")
def cancer_csv(tmp_path_factory):
    """The breast-cancer table (569 rows, 30 numeric columns) with text labels, as CSV."""
    import pyarrow as pa

    t = breast_cancer_table("diagnosis")
    labels = np.where(t.column("diagnosis").to_numpy() == 1, "benign", "malignant")
    t = t.set_column(t.column_names.index("diagnosis"), "diagnosis", pa.array(labels))
    path = tmp_path_factory.mktemp("cancer") / "cancer.csv"
    pacsv.write_csv(t, path)
    return path


class Recording(TrainingProgress):
    """A progress that keeps what it is told."""

    def __init__(self):
        super().__init__()
        self.notes, self.warnings, self.iterations = [], [], []

    def info(self, text):
        self.notes.append(text)

    def warning(self, text, category=UserWarning):
        self.warnings.append((text, category))

    def iteration(self, record):
        self.iterations.append(record.iteration)


def test_in_memory_and_streamed_give_the_same_model(cancer_csv):
    # tol at the rounding level: the two paths take different Newton steps (the stream's
    # Hessians are sampled), so only a tight tolerance makes their optima agree to 1e-8
    common = {"C": 1.0, "tol": 1e-12}
    memory = fit_table(cancer_csv, "diagnosis", **common)
    progress = Recording()
    stream = fit_table(
        cancer_csv, "diagnosis", executor="stream", batch_size=100, progress=progress, **common
    )
    np.testing.assert_allclose(
        stream.estimator.coef_, memory.estimator.coef_, rtol=1e-8, atol=1e-12
    )
    np.testing.assert_allclose(stream.estimator.intercept_, memory.estimator.intercept_, rtol=1e-8)
    assert memory.estimator.classes_.tolist() == ["benign", "malignant"]
    assert stream.metrics["accuracy"] == memory.metrics["accuracy"]
    assert stream.metrics["log_loss"] == pytest.approx(memory.metrics["log_loss"], rel=1e-8)
    assert stream.metrics["roc_auc"] is None and 0.99 < memory.metrics["roc_auc"] <= 1.0
    assert progress.notes[0].startswith("pass 1 (preprocessing): 569 rows in ")
    assert any("passes over the files" in n for n in progress.notes)
    assert np.all(np.diff(progress.iterations) == 1)  # every iteration, in order

    sha = hashlib.sha256(cancer_csv.read_bytes()).hexdigest()
    for result in (memory, stream):
        rec = result.record
        assert (rec["n_rows"], rec["n_columns"], rec["n_classes"]) == (569, 30, 2)
        assert rec["data_file"] == str(cancer_csv) and rec["data_sha256"] == sha
        assert rec["target"] == "diagnosis" and len(rec["features"]) == 30
        assert rec["converged"] is True and rec["evaluated_on"] == "training"
        assert rec["metrics"]["accuracy"] == result.metrics["accuracy"]
    assert stream.record["executor"] == "stream" and stream.record["batch_size"] == 100
    # Messages name options as keyword arguments (a front end respells them).
    assert "penalised fit (C=1.0)" in memory.record["standard_errors"]
    assert "executor='stream'" in stream.record["standard_errors"]
    assert memory.inference is None and stream.inference is None


def test_unpenalised_fit_stores_its_standard_errors_and_saves(cancer_csv, tmp_path):
    columns = ["mean radius", "mean texture", "mean smoothness"]
    result = fit_table(cancer_csv, "diagnosis", C=np.inf, features=columns, holdout=0.25)
    assert result.record["tol"] == 1e-8  # standard errors assume the exact optimum
    assert result.record["standard_errors"] == "stored"
    assert result.record["evaluated_on"] == "holdout" and result.metrics["rows"] == 143
    assert result.record["n_rows"] == 569 - 143
    table = read_table(cancer_csv)
    rows = result.preprocessor.transform(table)
    y = table.column("diagnosis").to_numpy(zero_copy_only=False)
    # The standard errors are those of the estimator's own inference on the training rows.
    train = _training_rows(y)
    direct = result.estimator.inference(rows[train], y[train]).as_dict()
    assert list(result.inference["params"]) == [*columns, "intercept"]
    np.testing.assert_allclose(
        [p["std_err"] for p in result.inference["params"].values()],
        [p["std_err"] for p in direct["params"].values()],
        rtol=1e-9,
    )
    path = result.save(tmp_path / "m.json")
    m = load(path)
    np.testing.assert_array_equal(m.predict_proba(table), result.estimator.predict_proba(rows))
    assert m.inference is not None and m.training["features"] == columns


def _training_rows(y):
    """The training rows of ``holdout=0.25``: the same stratified split with the default
    seed 0."""
    from sklearn.model_selection import train_test_split

    train, _ = train_test_split(np.arange(len(y)), test_size=0.25, random_state=0, stratify=y)
    return np.sort(train)


def test_warnings_reach_the_progress_or_python(cancer_csv):
    progress = Recording()
    fit_table(cancer_csv, "diagnosis", solver="gd", max_iter=3, progress=progress)
    ((text, category),) = progress.warnings
    assert category is ConvergenceWarning and text.startswith("gd failed to converge after 3")
    with pytest.warns(ConvergenceWarning, match="failed to converge after 3"):
        fit_table(cancer_csv, "diagnosis", solver="gd", max_iter=3)


def test_other_warnings_of_the_fit_are_not_swallowed(cancer_csv):
    # The fit records its warnings to hand ConvergenceWarnings to the progress; any other
    # warning met there (here the caller's own, from its progress callback) is issued again.
    class Warning_(Recording):
        def iteration(self, record):
            warnings.warn("the caller's own warning", UserWarning, stacklevel=1)

    with pytest.warns(UserWarning, match="the caller's own warning"):
        fit_table(cancer_csv, "diagnosis", solver="gd", max_iter=3, progress=Warning_())


def test_interrupted_run_says_where_it_stopped(cancer_csv):
    class Interrupting(TrainingProgress):
        def iteration(self, record):
            if record.iteration == 2:
                raise KeyboardInterrupt

    progress = Interrupting()
    with pytest.raises(KeyboardInterrupt):
        fit_table(cancer_csv, "diagnosis", solver="gd", progress=progress)
    assert progress.where().startswith("at iteration 2 of at most ")
    progress = Interrupting()
    with pytest.raises(KeyboardInterrupt), warnings.catch_warnings():
        fit_table(cancer_csv, "diagnosis", executor="stream", solver="gd", progress=progress)
    assert progress.where().endswith(" over the files)")  # and which pass


def test_a_table_and_the_built_in_data(cancer_csv):
    table = read_table(cancer_csv)
    result = fit_table(table, "diagnosis", features=["mean radius", "mean area"])
    assert result.record["data_file"] is None and result.source == "the table given"
    builtin = fit_table()
    assert builtin.record["data_source"] == "sklearn.datasets.load_breast_cancer"
    assert builtin.record["target"] == "target"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"executor": "stream", "holdout": 0.2}, "holdout is not available with executor="),
        ({"executor": "stream", "impute": "mean"}, "impute is not available"),
        ({"executor": "dask", "cv": 3}, "cv is not available with executor='dask'"),
        ({"executor": "gpu"}, "executor='gpu' is not accepted"),
        ({"l1_ratios": [0.0, 1.0]}, "only cv chooses"),
        ({"cv": 3, "learning_rate": 0.1}, "learning_rate is not used with cv"),
        ({"cov_type": "HC3"}, "cov_type='HC3' is not accepted"),
        ({"scheduler": "tcp://x:1"}, "scheduler is used with executor='dask' only"),
    ],
)
def test_arguments_that_cannot_work_are_refused_before_any_work(cancer_csv, kwargs, message):
    with pytest.raises(InvalidParameterError, match=message):
        fit_table(cancer_csv, "diagnosis", **kwargs)
    with pytest.raises(InvalidParameterError, match="target=None"):
        fit_table(cancer_csv)


@pytest.mark.dask
def test_dask_reads_tsv_and_compressed_csv_as_in_memory(cancer_csv, tmp_path):
    """``executor="dask"`` reads the files by their format: a tab-separated and a gzip
    compressed file give the in-memory coefficients."""
    distributed = pytest.importorskip("distributed")
    import gzip

    table = read_table(cancer_csv)
    pacsv.write_csv(table, tmp_path / "a.tsv", pacsv.WriteOptions(delimiter="\t"))
    with gzip.open(tmp_path / "b.csv.gz", "wb") as fh:
        fh.write(cancer_csv.read_bytes())
    memory = fit_table(cancer_csv, "diagnosis", tol=1e-10)
    with (
        distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        for name in ("a.tsv", "b.csv.gz"):
            result = fit_table(
                tmp_path / name, "diagnosis", executor="dask", scheduler=client, tol=1e-10
            )
            np.testing.assert_allclose(
                result.estimator.coef_, memory.estimator.coef_, rtol=1e-8, atol=1e-12
            )
            assert result.record["n_rows"] == 569 and result.metrics["rows"] == 569
            assert result.record["scheduler"] == cluster.scheduler_address
