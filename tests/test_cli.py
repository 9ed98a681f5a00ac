"""The command line end to end, on real files: what it prints, what it writes, how it fails.

Most tests call :func:`logistic.cli.run` in-process (fast); a few run the installed
``logistic`` script in a subprocess to prove the exit status, the single stderr line and the
Ctrl-C behaviour of the real program.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from logistic import LogisticRegression
from logistic.cli import run
from logistic.errors import DataError
from logistic.persistence import load
from logistic.tables import TablePreprocessor, breast_cancer_table, read_table, read_target
from test_tables import fair_table

SCRIPT = Path(sys.executable).with_name("logistic")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_png(path, min_kb=15):
    """A real, non-blank PNG: signature, size, and many distinct pixel values."""
    from matplotlib.image import imread

    path = Path(path)
    raw = path.read_bytes()
    assert raw[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert len(raw) > min_kb * 1024, f"{path} is only {len(raw)} bytes"
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 300 and img.shape[1] > 300
    assert float(img[..., :3].var()) > 1e-3, f"{path} is a single colour"
    assert np.unique(img[..., :3].reshape(-1, 3), axis=0).shape[0] > 20


def invoke(capsys, *args):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    code = run([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def listing(root):
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*"))


@pytest.fixture(scope="module")
def fair_files(tmp_path_factory):
    """statsmodels' fair data (mixed columns, a few missing cells) as CSV and Parquet, with a
    column name that rich would take for markup."""
    d = tmp_path_factory.mktemp("fair")
    t = fair_table()
    t = t.rename_columns(["age [years]" if c == "age" else c for c in t.column_names])
    pacsv.write_csv(t, d / "fair.csv")
    pq.write_table(t, d / "fair.parquet")
    return d / "fair.csv", d / "fair.parquet"


@pytest.fixture(scope="module")
def fair_model(fair_files, tmp_path_factory):
    """A model trained by the CLI on fair.csv (20% holdout), and the training JSON."""
    d = tmp_path_factory.mktemp("model")
    code = run(
        [
            "train",
            str(fair_files[0]),
            "--target",
            "affair",
            "--impute",
            "mean",
            "--holdout",
            "0.2",
            "--seed",
            "1",
            "-o",
            str(d / "fair.json"),
            "--json",
        ]
    )
    assert code == 0
    return d / "fair.json"


# -- train --------------------------------------------------------------------------------
def test_train_builtin_data_matches_the_library(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke(capsys, "train", "-o", "out/model.json")
    assert code == 0, err
    assert "results on training rows (569)" in out and "accuracy" in out
    assert "model: out/model.json" in out
    assert listing(tmp_path) == ["out", "out/loss_curve.png", "out/model.json"]
    check_png(tmp_path / "out" / "loss_curve.png")

    # The same fit done with the library in memory gives the same model, and the file
    # predicts its probabilities bit for bit.
    table = breast_cancer_table()
    pre = TablePreprocessor().fit(table, columns=[c for c in table.column_names if c != "target"])
    X = pre.transform(table)
    est = LogisticRegression().fit(X, read_target(table, "target"))
    m = load(tmp_path / "out" / "model.json")
    np.testing.assert_array_equal(m.estimator.coef_, est.coef_)
    np.testing.assert_array_equal(m.predict_proba(table), est.predict_proba(X))
    rec = m.training
    assert rec["data_source"] == "sklearn.datasets.load_breast_cancer"
    assert (rec["n_rows"], rec["n_columns"]) == (569, 30) and rec["converged"] is True


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_train_mixed_columns_json(fair_files, tmp_path, monkeypatch, capsys, fmt):
    import hashlib

    data = fair_files[0] if fmt == "csv" else fair_files[1]
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke(
        capsys,
        "train",
        data,
        "--target",
        "affair",
        "--impute",
        "most-frequent",
        "--holdout",
        "0.25",
        "--seed",
        "3",
        "--solver",
        "lbfgs",
        "--C",
        "2",
        "--json",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["evaluated_on"] == "holdout" and doc["rows"] == 1592
    assert 0.65 < doc["accuracy"] < 0.85 and 0.6 < doc["roc_auc"] < 0.9
    assert doc["converged"] is True and doc["classes"] == ["no", "yes"]
    assert doc["files"] == {"model": "model.json", "loss_curve": "loss_curve.png"}
    m = load(tmp_path / "model.json")
    assert m.training["data_sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert m.training["n_rows"] == 6366 - 1592 and m.training["impute"] == "most-frequent"
    assert m.estimator.get_params()["C"] == 2.0
    assert "age [years]" in m.feature_names and "occupation=student" in m.feature_names
    check_png(tmp_path / "loss_curve.png")


def test_train_gd_with_features_and_quiet(fair_files, tmp_path, capsys):
    code, out, err = invoke(
        capsys,
        "train",
        fair_files[1],
        "--target",
        "affair",
        "--impute",
        "mean",
        "--features",
        "rate_marriage,yrs_married,religious",
        "--solver",
        "gd",
        "--max-iter",
        "40",
        "--learning-rate",
        "0.5",
        "--tol",
        "0",
        "-o",
        tmp_path / "m.json",
        "--plots",
        tmp_path / "plots",
        "-q",
    )
    assert code == 0 and out == "" and err == ""
    m = load(tmp_path / "m.json")
    assert m.preprocessor.input_columns == ["rate_marriage", "yrs_married", "religious"]
    assert m.training["n_iter"] == 40 and m.training["converged"] is False
    check_png(tmp_path / "plots" / "loss_curve.png")


def test_train_warns_when_not_converged(tmp_path, capsys):
    code, out, err = invoke(
        capsys,
        "train",
        "--solver",
        "gd",
        "--max-iter",
        "5",
        "-o",
        tmp_path / "m.json",
        "--no-plots",
    )
    assert code == 0
    assert err.count("warning: gd failed to converge after 5 iterations") == 1
    assert "converged" in out and listing(tmp_path) == ["m.json"]


# -- predict ------------------------------------------------------------------------------
def test_predict_file_matches_the_loaded_model(fair_model, fair_files, tmp_path, capsys):
    code, _, err = invoke(capsys, "predict", fair_model, fair_files[0], "-o", tmp_path / "p.csv")
    assert code == 0, err
    assert "filled 5 missing value(s)" in err
    with open(tmp_path / "p.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6366 and list(rows[0]) == ["probability", "label"]
    m = load(fair_model)
    table = read_table(fair_files[0])
    proba = m.predict_proba(table)[:, 1]
    # The CSV carries the probabilities exactly (shortest round-trip decimal).
    np.testing.assert_array_equal([float(r["probability"]) for r in rows], proba)
    assert [r["label"] for r in rows] == m.predict(table).tolist()


def test_predict_stdout_and_unseen_categories(fair_model, fair_files, tmp_path, capsys):
    t = read_table(fair_files[0]).slice(0, 10)
    occ = t.column("occupation").to_pylist()
    occ[2] = occ[7] = "astronaut"
    t = t.set_column(t.column_names.index("occupation"), "occupation", pa.array(occ))
    t = t.drop_columns(["affair"])  # predictions need no target
    pacsv.write_csv(t, tmp_path / "new.csv")
    code, out, err = invoke(capsys, "predict", fair_model, tmp_path / "new.csv")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0] == '"probability","label"' and len(lines) == 11
    assert "warning: 2 value(s) in categories not seen in training" in err
    assert "occupation: 'astronaut' x2" in err
    code, out, _ = invoke(
        capsys, "predict", fair_model, tmp_path / "new.csv", "--keep", "educ,occupation", "-q"
    )
    assert code == 0
    rows = list(csv.DictReader(out.splitlines()))
    assert list(rows[0]) == ["educ", "occupation", "probability", "label"]
    assert [r["occupation"] for r in rows] == [v or "" for v in occ]  # row 10 is missing
    code, out, _ = invoke(capsys, "predict", fair_model, tmp_path / "new.csv", "--json")
    doc = json.loads(out)
    assert doc["rows"] == 10 and doc["positive_class"] == "yes"
    assert len(doc["probability"]) == 10 and set(doc["label"]) <= {"yes", "no"}


# -- evaluate -----------------------------------------------------------------------------
def test_evaluate_metrics_and_plots(fair_model, fair_files, tmp_path, capsys):
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    code, out, err = invoke(
        capsys, "evaluate", fair_model, fair_files[1], "--plots", tmp_path, "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    m = load(fair_model)
    table = read_table(fair_files[1])
    p = m.predict_proba(table)
    y = (read_target(table, "affair") == "yes").astype(int)
    assert doc["rows"] == 6366
    assert doc["accuracy"] == pytest.approx(np.mean((p[:, 1] > 0.5) == y), abs=0)
    assert doc["log_loss"] == pytest.approx(log_loss(y, p), rel=1e-12)
    assert doc["roc_auc"] == pytest.approx(roc_auc_score(y, p[:, 1]), rel=1e-12)
    assert doc["brier"] == pytest.approx(brier_score_loss(y, p[:, 1]), rel=1e-12)
    cm = np.array(doc["confusion_matrix"]["matrix"])
    assert cm.sum() == 6366 and cm[1].sum() == y.sum()
    assert doc["confusion_matrix"]["labels"] == ["no", "yes"]
    check_png(tmp_path / "roc.png")
    check_png(tmp_path / "calibration.png")
    code, out, _ = invoke(capsys, "evaluate", fair_model, fair_files[0], "--no-plots")
    assert code == 0 and "ROC AUC" in out and "Brier score" in out and "true yes" in out


# -- explain ------------------------------------------------------------------------------
def test_explain_row(fair_model, fair_files, tmp_path, capsys):
    code, out, err = invoke(
        capsys, "explain", fair_model, fair_files[0], "--row", "7", "--plots", tmp_path, "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    m = load(fair_model)
    row = read_table(fair_files[0]).slice(6, 1)
    z = m.decision_function(row)[0]
    tr = doc["trace"]
    assert tr["z"] == pytest.approx(z, rel=1e-12)
    y = 1.0 if doc["label"] == "yes" else 0.0
    assert tr["dL_dz"] == pytest.approx(tr["a"] - y, rel=1e-12)
    assert tr["dL_dz_chain"] == pytest.approx(tr["dL_dz"], rel=1e-9)
    assert tr["dL_da"] * tr["da_dz"] == pytest.approx(tr["dL_dz"], rel=1e-9)
    assert set(tr["dL_dw"]) == set(m.feature_names)
    assert doc["input"]["age [years]"] == row.column("age [years]")[0].as_py()
    check_png(tmp_path / "graph.png")
    code, out, _ = invoke(capsys, "explain", fair_model, fair_files[0], "--row", "7", "--no-plots")
    assert code == 0
    # the node table, then the per-feature table (x = dz/dw and dL/dw columns per feature)
    for text in ("dL/dz (fused)", "da/dz", "x = dz/dw", "dL/dw", "age [years]", "occupation="):
        assert text in out
    assert "features with x = 0 not shown" in out


# -- summary ------------------------------------------------------------------------------
def test_summary(fair_model, capsys):
    # --per-sd: the coefficients as fitted (per sd of each numeric input); the default per
    # unit is tests/test_per_unit.py's
    code, out, _ = invoke(capsys, "summary", fair_model, "--json", "--per-sd")
    assert code == 0
    doc = json.loads(out)
    m = load(fair_model)
    assert [r["feature"] for r in doc["coefficients"]] == m.feature_names
    coef = [r["coefficient"] for r in doc["coefficients"]]
    np.testing.assert_array_equal(coef, m.estimator.coef_.ravel())
    assert doc["coefficients"][0]["odds_ratio"] == pytest.approx(np.exp(coef[0]))
    assert doc["training"]["target"] == "affair"
    code, out, _ = invoke(capsys, "summary", fair_model)
    assert code == 0
    assert "(intercept)" in out and "odds ratio" in out and "age [years]" in out
    assert "training record" in out and "data_sha256" in out


@pytest.mark.parametrize("command", ["train", "predict", "evaluate", "explain", "summary"])
def test_help_has_examples(capsys, command):
    code, out, _ = invoke(capsys, command, "--help")
    assert code == 0 and "Example" in out and f"logistic {command}" in out


# -- mistakes: exit 2, one line, nothing written ------------------------------------------
MISTAKES = [
    (["train", "{fair}", "--target", "income"], "target column 'income' not found; available:"),
    (["train", "{fair}"], "--target is required"),
    (["train", "{fair}", "--target", "affair"], "missing values in column(s) 'age [years]'"),
    (["train", "{cont}", "--target", "y"], "has 100 distinct values"),
    (["train", "{one}", "--target", "y"], "one distinct value: 1 (10 rows)"),
    (["train", "{fair}", "--target", "affair", "--l1-ratio", "2"], "--l1-ratio '2' is not"),
    (["train", "{fair}", "--target", "affair", "--l1-ratio", "0,1"], "only --cv chooses"),
    (["train", "{fair}", "--target", "affair", "--cs", "5"], "--cs is the grid of --cv"),
    (["train", "{fair}", "--target", "affair", "--cv", "3", "--cs", "0"], "--cs '0' is not"),
    (["train", "{fair}", "--target", "affair", "--cv", "1"], "--cv"),
    (["train", "{fair}", "--target", "affair", "--class-weight", "heavy"], "'heavy'"),
    (["train", "{fair}", "--target", "affair", "--cov-type", "HC3"], "'HC3'"),
    (
        ["train", "{fair}", "--target", "affair", "--C", "inf", "--cov-type", "sandwich"],
        "--cov-type sandwich is for penalised fits",
    ),
    (
        ["train", "{fair}", "--target", "affair", "--stream", "--holdout", "0.2"],
        "--holdout is not available with --stream",
    ),
    (["train", "{fair}", "--target", "a", "--stream", "--scheduler", "x"], "exclude each other"),
    (["train", "--stream"], "--stream needs a data file"),
    (["train", "{fair}", "--target", "affair", "--stream", "--impute", "mean"], "--impute is not"),
    (["train", "{fair}", "--target", "affair", "--stream", "--cv", "3"], "--cv is not available"),
    (
        ["train", "{fair}", "--target", "affair", "--scheduler", "x", "--cov-type", "HC0"],
        "--cov-type",
    ),
    (["train", "{dir}/nomatch*.parquet", "--target", "y", "--stream"], "matches no file"),
    (["train", "{dir}/*.csv", "--target", "y"], "is read with --stream or --scheduler"),
    (["train", "{fair}", "--target", "affair", "--stream"], "missing values"),
    (["train", "{fair}", "--target", "affair", "--stream", "--batch-size", "0"], "--batch-size"),
    (["train", "{fair}", "--target", "age [years]", "--impute", "mean"], "3 missing values"),
    (["train", "{fair}", "--target", "affair", "--features", "age,nope"], "'age', 'nope'"),
    (["train", "{dir}/nope.csv", "--target", "y"], "data file '{dir}/nope.csv' not found"),
    (["train", "{empty}", "--target", "y"], "is empty"),
    (["train", "{header}", "--target", "y"], "but no data rows"),
    (["train", "{ragged}", "--target", "y"], "data row 2 (line 3 counting the header)"),
    (["train", "{typo}", "--target", "y"], "column 'x' holds numbers but data row 3 has 'x7'"),
    (["train", "--solver", "newton-raphson"], "Invalid value for '--solver'"),
    (["train", "--C", "0"], "--C 0.0 is not accepted"),
    (["train", "--holdout", "1.5"], "Invalid value for '--holdout'"),
    (["train", "--learning-rate", "fast"], "--learning-rate 'fast' is not accepted"),
    (["train", "-o", "{file}/model.json"], "is not a directory"),
    (["train", "-o", "{dir}"], "it is a directory"),
    (["train", "--plots", "{file}"], "is not a directory"),
    (["train", "--no-such-option"], "No such option: --no-such-option"),
    (["predict", "{model}", "{lacking}"], "lacks column 'occupation' that the model uses"),
    (["predict", "{dir}/none.json", "{fair}"], "model file '{dir}/none.json' not found"),
    (["predict", "{model}", "{fair}", "--keep", "id"], "--keep column 'id' not found"),
    (["predict", "{fair}", "{fair}"], "is not valid JSON"),
    (["predict", "{model}", "{fair}", "-o", "{file}/p.csv"], "is not a directory"),
    (["evaluate", "{model}", "{fair}", "--target", "religious"], "does not know"),
    (["explain", "{model}", "{fair}", "--row", "0"], "--row accepts 1 to 6366"),
    (["explain", "{model}", "{fair}", "--row", "6367"], "--row 6367 is out of range"),
    (["explain", "{model}", "{fair}"], "Missing option '--row'"),
    (["summary"], "Missing argument 'model'"),
    (["fit"], "No such command 'fit'"),
]


@pytest.fixture
def mistake_files(fair_files, fair_model, tmp_path):
    d = tmp_path / "inputs"
    d.mkdir()
    (d / "empty.csv").write_text("")
    (d / "header.csv").write_text("x,y\n")
    (d / "ragged.csv").write_text("x,y\n1,0\n2\n3,1\n")
    (d / "typo.csv").write_text(
        "x,y\n" + "".join(f"{i},{i % 2}\n" if i != 3 else "x7,1\n" for i in range(1, 60))
    )
    (d / "file").write_text("not a directory")
    (d / "cont.csv").write_text("x,y\n" + "".join(f"{i},{i * 0.37:.2f}\n" for i in range(100)))
    (d / "one.csv").write_text("x,y\n" + "".join(f"{i},1\n" for i in range(10)))
    (d / "multi.csv").write_text("x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(30)))
    lacking = read_table(fair_files[0]).drop_columns(["occupation"])
    pacsv.write_csv(lacking, d / "lacking.csv")
    out = tmp_path / "outputs"
    out.mkdir()
    names = {
        "fair": fair_files[0],
        "model": fair_model,
        "dir": d,
        "file": d / "file",
        **{
            k: d / f"{k}.csv"
            for k in ("empty", "header", "ragged", "typo", "lacking", "cont", "one", "multi")
        },
    }
    return out, names


def _fill(args, names):
    return [a.format(**{k: str(v) for k, v in names.items()}) for a in args]


@pytest.mark.parametrize(("args", "message"), MISTAKES, ids=lambda v: str(v)[:40])
def test_user_mistakes_exit_2_with_one_line(mistake_files, monkeypatch, capsys, args, message):
    out_dir, names = mistake_files
    monkeypatch.chdir(out_dir)
    before = listing(names["dir"])
    code, out, err = invoke(capsys, *_fill(args, names))
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert _fill([message], names)[0] in lines[0]
    assert "Traceback" not in err and out == ""
    assert listing(out_dir) == []  # no model, no plots, no half-written file
    assert listing(names["dir"]) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "{fair}", "--target", "income"], "target column 'income' not found"),
        (["train", "-o", "{file}/model.json"], "cannot write model"),
        (["train", "--solver", "bogus"], "Invalid value for '--solver'"),
        (["predict", "{fair}", "{fair}"], "is not valid JSON"),
    ],
)
def test_real_program_prints_one_line(mistake_files, args, message):
    out_dir, names = mistake_files
    proc = subprocess.run(
        [str(SCRIPT), *_fill(args, names)], cwd=out_dir, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and message in proc.stderr
    assert listing(out_dir) == []


def test_unwritable_output_fails_before_training(mistake_files, capsys, monkeypatch):
    import logistic

    _, names = mistake_files

    def no_fit(*a, **k):
        raise AssertionError("training started")

    monkeypatch.setattr(logistic.LogisticRegression, "fit", no_fit)
    code, _, err = invoke(
        capsys,
        "train",
        names["fair"],
        "--target",
        "affair",
        "--impute",
        "mean",
        "-o",
        f"{names['file']}/m.json",
    )
    assert code == 2 and "cannot write model" in err and "training on" not in err


# -- Ctrl-C -------------------------------------------------------------------------------
def test_interrupt_writes_nothing(tmp_path, monkeypatch, capsys):
    from logistic.cli._progress import BarProgress

    real = BarProgress.iteration

    def interrupt_at_3(self, rec):
        real(self, rec)
        if rec.iteration == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(BarProgress, "iteration", interrupt_at_3)
    code, _, err = invoke(
        capsys, "train", "--solver", "gd", "-o", tmp_path / "m.json", "--plots", tmp_path / "plots"
    )
    assert code == 130
    assert "interrupted at iteration 3 of at most" in err and "no model written" in err
    assert listing(tmp_path) == []


def test_sigint_to_the_real_program(tmp_path):
    proc = subprocess.Popen(
        [
            str(SCRIPT),
            "train",
            "--solver",
            "gd",
            "--max-iter",
            "100000000",
            "--tol",
            "0",
            "-o",
            "m.json",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A child of a non-interactive shell may inherit SIGINT as ignored; undo that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        first = proc.stderr.readline()  # printed just before the fit starts
        assert first.startswith("training on 569 rows"), first
        # usually inside the solve; on a loaded machine the first fit's load of the
        # compiled kernels (numba, ~0.4 s; seconds when it compiles) may still be running
        time.sleep(1.5)
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert err.startswith(("interrupted at iteration", "interrupted before the first iteration"))
    assert err.rstrip().endswith("no model written.") and len(err.splitlines()) == 1, err
    assert out == "" and listing(tmp_path) == []


# -- the plotting functions directly ------------------------------------------------------
def test_plots_edge_cases(breast_cancer, tmp_path):
    from logistic import explain
    from logistic.errors import DataError
    from logistic.plots import plot_calibration, plot_graph, plot_loss_curve, plot_roc

    # A solve that converged at its starting point has a one-entry history.
    check_png(
        plot_loss_curve({"loss": [0.69], "grad_norm": [1e-9]}, tmp_path / "a" / "l.png"), min_kb=10
    )
    with pytest.raises(DataError, match="equally long"):
        plot_loss_curve({"loss": [1.0, 0.5], "grad_norm": [1.0]}, tmp_path / "bad.png")
    X, y = breast_cancer
    est = LogisticRegression().fit(X, y)
    # |z| = 60 > 36.7: a rounds to 1, the literal chain rule gives nan; the picture says so.
    trace = explain(
        (np.array([30.0, 30.0]), 0.0), np.array([1.0, 1.0]), 0, feature_names=["$a$", "b"]
    )
    assert trace.saturated and trace.note
    check_png(plot_graph(trace, tmp_path / "sat.png"))
    check_png(plot_graph(explain(est, X[3], y[3]), tmp_path / "row.png", title="a row"))
    labels = np.where(y == 1, "benign", "malignant")
    p = est.predict_proba(X)[:, 1]
    check_png(
        plot_calibration(
            labels, p, tmp_path / "cal.png", pos_label="benign", class_names=("malignant", "benign")
        )
    )
    with pytest.raises(DataError, match="both classes"):
        plot_roc(np.ones(5), np.linspace(0, 1, 5), tmp_path / "roc.png")
    assert not (tmp_path / "roc.png").exists() and not (tmp_path / "bad.png").exists()


# -- standard errors, multinomial, CV, streaming, Dask --------------------------------------
def _iris_csv(path):
    from sklearn.datasets import load_iris

    d = load_iris()
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    species = np.array(["setosa", "versicolor", "virginica"])[d.target]
    cols = {n: pa.array(d.data[:, j]) for j, n in enumerate(names)}
    pacsv.write_csv(pa.table({**cols, "species": pa.array(species.tolist())}), path)
    return path


def test_unpenalised_fit_stores_standard_errors_equal_to_statsmodels(fair_files, tmp_path, capsys):
    import statsmodels.api as sm

    model = tmp_path / "m.json"
    args = ["train", fair_files[1], "--target", "affair", "--impute", "mean", "--C", "inf"]
    code, out, err = invoke(capsys, *args, "--tol", "1e-10", "-o", model, "--no-plots", "--json")
    assert code == 0, err
    assert json.loads(out)["standard_errors"] == "stored"
    m = load(model)
    assert m.preprocessor.drop_first  # reference coding: identifiable with an intercept
    X = m.preprocessor.transform(read_table(fair_files[1]))
    y = (read_target(read_table(fair_files[1]), "affair") == "yes").astype(float)
    ref = sm.Logit(y, np.column_stack([X, np.ones(len(y))])).fit(disp=0, tol=1e-12)
    se = [m.inference["params"][n]["std_err"] for n in [*m.feature_names, "intercept"]]
    np.testing.assert_allclose(se, ref.bse, rtol=1e-6)
    code, out, err = invoke(capsys, "summary", model)
    assert code == 0 and "std err" in out and "Covariance Type:" in out and "nonrobust" in out
    code, out, err = invoke(capsys, "summary", model, "--json", "--per-sd")
    doc = json.loads(out)
    assert doc["standard_errors"]["params"]["intercept"]["std_err"] == pytest.approx(ref.bse[-1])


def test_penalised_fit_says_why_and_sandwich_is_labelled(fair_model, fair_files, tmp_path, capsys):
    code, out, err = invoke(capsys, "summary", fair_model)
    assert code == 0
    (why,) = [line for line in out.splitlines() if line.startswith("no standard errors")]
    # logistic.inference.why_no_standard_errors' wording: "a penalised fit (--C 1)"
    assert "penalised fit (--C 1)" in why and "--C inf" in why and "sandwich" in why
    model = tmp_path / "s.json"
    code, out, err = invoke(
        capsys,
        *("train", fair_files[0], "--target", "affair", "--impute", "mean"),
        *("--cov-type", "sandwich", "-o", model, "--no-plots"),
    )
    assert code == 0, err
    assert load(model).inference["penalized"] is True
    code, out, err = invoke(capsys, "summary", model)
    assert "Penalised MLE" in out and "penalised sandwich" in out


def test_separation_warns_naming_the_feature_and_still_writes(tmp_path, capsys):
    rng = np.random.default_rng(1)
    x, z = rng.normal(size=200), rng.normal(size=200)
    path = tmp_path / "sep.csv"
    pacsv.write_csv(pa.table({"x": x, "z": z, "y": (x > 0).astype(np.int64)}), path)
    model = tmp_path / "m.json"
    code, _out, err = invoke(capsys, "train", path, "--target", "y", "--C", "inf", "-o", model)
    assert code == 0 and model.exists()
    (warn,) = [line for line in err.splitlines() if line.startswith("warning:")]
    assert "complete separation: feature(s) 'x' predict 'y' perfectly" in warn


def test_multinomial_end_to_end(tmp_path, capsys):
    from sklearn.metrics import log_loss, roc_auc_score

    data = _iris_csv(tmp_path / "iris.csv")
    model = tmp_path / "iris.json"
    code, out, err = invoke(
        capsys, "train", data, "--target", "species", "-o", model, "--plots", tmp_path, "--json"
    )
    assert code == 0, err
    assert json.loads(out)["classes"] == ["setosa", "versicolor", "virginica"]
    doc = json.loads(model.read_text())
    assert doc["version"] == 2 and len(doc["model"]["coef"]) == 3
    m = load(model)
    code, out, err = invoke(capsys, "predict", model, data, "-o", tmp_path / "p.csv")
    p = read_table(tmp_path / "p.csv")
    assert p.column_names == ["p_setosa", "p_versicolor", "p_virginica", "label"]
    P = np.column_stack([p.column(c).to_numpy() for c in p.column_names[:3]])
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    plots = tmp_path / "ev"
    code, out, err = invoke(capsys, "evaluate", model, data, "--plots", plots, "--json")
    assert code == 0, err
    ev = json.loads(out)
    y = read_target(read_table(data), "species")
    full = m.predict_proba(read_table(data))
    assert ev["log_loss"] == pytest.approx(log_loss(y, full, labels=m.classes_))
    assert ev["roc_auc"] == pytest.approx(roc_auc_score(y, full, multi_class="ovr"))
    onehot = (y[:, None] == m.classes_[None, :]).astype(float)
    assert ev["brier"] == pytest.approx(np.mean(np.sum((full - onehot) ** 2, axis=1)))
    assert np.array(ev["confusion_matrix"]["matrix"]).shape == (3, 3)
    check_png(plots / "roc.png")
    assert not (plots / "calibration.png").exists()
    code, out, err = invoke(capsys, "explain", model, data, "--row", "60", "--plots", plots)
    assert code == 0, err
    assert "dL/dz[versicolor] (fused)" in out and "dL/dW [virginica]" in out
    check_png(plots / "graph.png")
    code, out, err = invoke(capsys, "summary", model)
    assert out.count("(intercept)") == 3 and "penalised fit (--C 1)" in out


def test_float_labels_are_classes(tmp_path, capsys):
    path = tmp_path / "f.csv"
    rng = np.random.default_rng(0)
    x = rng.normal(size=90)
    pacsv.write_csv(
        pa.table({"x": x, "y": np.where(x > 0.4, 2.5, np.where(x > -0.4, 0.5, 6.0))}), path
    )
    code, _out, err = invoke(capsys, "train", path, "--target", "y", "-o", tmp_path / "m.json")
    assert code == 0, err
    assert load(tmp_path / "m.json").classes_.tolist() == [0.5, 2.5, 6.0]


def test_cv_l1_ratio_and_class_weight(fair_files, tmp_path, capsys):
    from logistic import LogisticRegressionCV

    model = tmp_path / "cv.json"
    code, out, err = invoke(
        capsys,
        *("train", fair_files[0], "--target", "affair", "--impute", "mean"),
        *("--cv", "3", "--cs", "4", "--l1-ratio", "0,1", "-o", model, "--no-plots"),
    )
    assert code == 0, err
    assert "3-fold cross-validation" in out and "<- chosen" in out
    m = load(model)
    X = m.preprocessor.transform(read_table(fair_files[0]))
    y = read_target(read_table(fair_files[0]), "affair")
    ref = LogisticRegressionCV(Cs=4, l1_ratios=[0.0, 1.0], cv=3).fit(X, y)
    assert m.training["cv"]["C"] == ref.C_ == m.estimator.C
    assert m.training["cv"]["l1_ratio"] == ref.l1_ratio_
    np.testing.assert_allclose(m.training["cv"]["mean_score"], ref.scores_.mean(axis=0))
    model2 = tmp_path / "l1.json"
    code, out, err = invoke(
        capsys,
        *("train", fair_files[0], "--target", "affair", "--impute", "mean", "--C", "0.002"),
        *("--l1-ratio", "1", "--class-weight", "balanced", "-o", model2, "--no-plots"),
    )
    assert code == 0, err
    m2 = load(model2)
    assert m2.estimator.class_weight == "balanced" and m2.estimator.l1_ratio == 1.0
    assert np.sum(m2.estimator.coef_ == 0.0) > 0  # the lasso removed some features
    code, out, err = invoke(capsys, "summary", model2)
    assert "no standard errors with --class-weight balanced" in out


@pytest.fixture(scope="module")
def big_parquet(tmp_path_factory):
    """A few MB of Parquet (200k rows, 6 numeric + 1 text column), also cut in 3 files."""
    d = tmp_path_factory.mktemp("big")
    rng = np.random.default_rng(0)
    n = 200_000
    X = rng.normal(size=(n, 6))
    cat = rng.choice(["a", "b", "c"], size=n)
    z = X @ np.array([1.0, -0.5, 0.25, 0.0, 2.0, 0.1]) + (cat == "b") * 0.7 - 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.int64)
    t = pa.table({**{f"x{j}": X[:, j] for j in range(6)}, "cat": cat, "y": y})
    pq.write_table(t, d / "all.parquet", row_group_size=25_000)
    for i in range(3):
        # Small row groups: pyarrow decodes a row group's column chunks whole, so the row
        # group size bounds the memory of a streamed read as much as the batch size does.
        pq.write_table(t.slice(i * 70_000, 70_000), d / f"part{i}.parquet", row_group_size=5_000)
    assert (d / "all.parquet").stat().st_size > 2_000_000
    return d


@pytest.mark.parametrize("C", ["inf", "0.5"])
def test_stream_equals_in_memory(big_parquet, tmp_path, capsys, C):
    common = ["--target", "y", "--C", C, "--tol", "1e-10", "--no-plots"]
    code, _, err = invoke(
        capsys, "train", big_parquet / "all.parquet", *common, "-o", tmp_path / "m.json"
    )
    assert code == 0, err
    code, _out, err = invoke(
        capsys,
        "train",
        f"{big_parquet}/part*.parquet",
        *common,
        "--stream",
        "--batch-size",
        "8192",
        "-o",
        tmp_path / "s.json",
    )
    assert code == 0, err
    assert "pass 1 (preprocessing): 200000 rows" in err and "passes over the files" in err
    a, b = load(tmp_path / "m.json"), load(tmp_path / "s.json")
    assert a.preprocessor.feature_names_out == b.preprocessor.feature_names_out
    np.testing.assert_allclose(b.estimator.coef_, a.estimator.coef_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(b.estimator.intercept_, a.estimator.intercept_, rtol=1e-8)
    assert b.training["n_rows"] == 200_000 and len(b.training["data_files"]) == 3
    assert b.training["metrics"]["accuracy"] == pytest.approx(a.training["metrics"]["accuracy"])


def test_stream_memory_is_bounded_by_the_batch(big_parquet, tmp_path):
    """Peak NumPy (tracemalloc) and Arrow (pool) memory of a streamed fit in a fresh process,
    against the 11 MB that the 200k x 7 float64 design matrix alone takes, and against the
    same fit in memory. A warm-up run on 4096 rows (the batch size: the compiled kernels'
    load, ~30 MB of Python objects, is counted there) imports everything first; the
    streamed fit's peak is taken above that of a streamed fit of one batch (the command
    line's own objects, built on every call, are no part of the data's memory)."""
    small = tmp_path / "small.parquet"
    pq.write_table(pq.read_table(big_parquet / "part0.parquet").slice(0, 4096), small)
    code = f"""
import tracemalloc, pyarrow as pa
from logistic.cli import run
opts = ['--target', 'y', '--no-plots', '-q', '-o', '{tmp_path}/w.json']
assert run(['train', '{small}', *opts, '--stream']) == 0
assert run(['train', '{small}', *opts]) == 0
tracemalloc.start()
assert run(['train', '{small}', *opts, '--stream']) == 0
one_batch = tracemalloc.get_traced_memory()[1]
tracemalloc.reset_peak()
assert run(['train', '{big_parquet}/part*.parquet', *opts, '--stream', '--batch-size', '4096']) == 0
stream = tracemalloc.get_traced_memory()[1] - one_batch
arrow = pa.default_memory_pool().max_memory()
tracemalloc.reset_peak()
assert run(['train', '{big_parquet}/all.parquet', *opts]) == 0
print(stream, arrow, tracemalloc.get_traced_memory()[1])
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    stream_peak, _, memory_peak = map(int, res.stdout.split())
    # Arrow's pool peak is the process's whole life: measured in a process that streams
    # only (after the same warm-up), so that no in-memory read before it counts
    arrow_only = f"""
import pyarrow as pa
from logistic.cli import run
opts = ['--target', 'y', '--no-plots', '-q', '-o', '{tmp_path}/w.json']
assert run(['train', '{small}', *opts, '--stream']) == 0
assert run(['train', '{big_parquet}/part*.parquet', *opts, '--stream', '--batch-size', '4096']) == 0
print(pa.default_memory_pool().max_memory())
"""
    res = subprocess.run(
        [sys.executable, "-c", arrow_only], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    arrow_peak = int(res.stdout.split()[-1])
    design = 200_000 * 7 * 8
    assert memory_peak > design  # the in-memory fit holds the design matrix (and more)
    assert stream_peak < design / 4, (stream_peak, memory_peak)
    assert arrow_peak < design / 4, arrow_peak


def test_stream_interrupt_writes_nothing(big_parquet, tmp_path, monkeypatch, capsys):
    from logistic.sources import StreamSource

    calls = {"n": 0}
    real = StreamSource.stats

    def stats(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, *a, **k)

    monkeypatch.setattr(StreamSource, "stats", stats)
    out = tmp_path / "m.json"
    code, _, err = invoke(
        capsys, "train", big_parquet / "all.parquet", "--target", "y", "--stream", "-o", out
    )
    assert code == 130 and not out.exists()
    (line,) = [x for x in err.splitlines() if x.startswith("interrupted")]
    assert line.startswith("interrupted at iteration ")
    assert line.endswith("over the files); no model written.")


@pytest.mark.dask
def test_scheduler_equals_in_memory(big_parquet, tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    common = ["--target", "y", "--C", "inf", "--tol", "1e-10", "--no-plots"]
    code, _, err = invoke(
        capsys, "train", big_parquet / "all.parquet", *common, "-o", tmp_path / "m.json"
    )
    assert code == 0, err
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        res = subprocess.run(
            [
                str(SCRIPT),
                "train",
                str(big_parquet / "all.parquet"),
                *common,
                "--scheduler",
                cluster.scheduler_address,
                "-o",
                str(tmp_path / "d.json"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert res.returncode == 0, res.stderr
    a, b = load(tmp_path / "m.json"), load(tmp_path / "d.json")
    np.testing.assert_allclose(b.estimator.coef_, a.estimator.coef_, rtol=1e-6)
    np.testing.assert_allclose(b.estimator.intercept_, a.estimator.intercept_, rtol=1e-6)
    assert b.training["executor"] == "dask"


def test_collinear_columns_warn_and_keep_the_model(tmp_path, capsys):
    rng = np.random.default_rng(3)
    x = rng.normal(size=300)
    y = (rng.random(300) < 1 / (1 + np.exp(-x))).astype(np.int64)
    path = tmp_path / "col.csv"
    pacsv.write_csv(pa.table({"x": x, "x2": 2 * x + 1, "y": y}), path)
    model = tmp_path / "m.json"
    code, _, err = invoke(capsys, "train", path, "--target", "y", "--C", "inf", "-o", model)
    assert code == 0 and model.exists()
    (warn,) = [line for line in err.splitlines() if line.startswith("warning: no standard")]
    assert "the information matrix is singular" in warn and "'x', 'x2'" in warn
    m = load(model)
    assert m.inference is None and m.training["standard_errors"] == warn.removeprefix("warning: ")
    code, out, _ = invoke(capsys, "summary", model)
    assert "no standard errors: the information matrix is singular" in out


def test_separation_without_a_finite_estimate_is_an_error(tmp_path, capsys, monkeypatch):
    """When the information matrix of a separated fit is singular (all a(1 - a) underflow),
    training stops: one line naming the feature, exit 2, no model."""
    import logistic.inference

    def singular(*args, **kwargs):
        raise DataError("the information matrix is singular (simulated underflow)")

    monkeypatch.setattr(logistic.inference, "inference", singular)
    rng = np.random.default_rng(1)
    x, z = rng.normal(size=200), rng.normal(size=200)
    path = tmp_path / "sep.csv"
    pacsv.write_csv(pa.table({"x": x, "z": z, "y": (x > 0).astype(np.int64)}), path)
    model = tmp_path / "m.json"
    code, _, err = invoke(capsys, "train", path, "--target", "y", "--C", "inf", "-o", model)
    assert code == 2 and not model.exists()
    (line,) = [x for x in err.splitlines() if x.startswith("error:")]
    assert "complete separation: feature(s) 'x' predict 'y' perfectly for 200 of 200" in line
    assert "train with a finite --C" in line


def test_stream_csv_with_text_and_boolean_columns(tmp_path, capsys):
    """Several CSV files of the fair data (text, boolean and numeric columns) streamed with
    reference coding: the in-memory coefficients and standard errors' point estimates."""
    from test_tables import fair_table

    t = fair_table(missing=False)
    whole = tmp_path / "fair.csv"
    pacsv.write_csv(t, whole)
    parts = tmp_path / "parts"
    parts.mkdir()
    for i in range(3):
        pacsv.write_csv(t.slice(i * 2200, 2200), parts / f"p{i}.csv")
    # tol 1e-11: the in-memory Newton path (exact line search, float32 Gram products)
    # and the streamed one (neither) stop at different points within the default 1e-8,
    # ~1e-7 apart in the coefficients here; both meet the optimum far closer than 1e-8
    common = ["--target", "affair", "--C", "inf", "--no-plots", "-q", "--tol", "1e-11"]
    assert invoke(capsys, "train", whole, *common, "-o", tmp_path / "m.json")[0] == 0
    code, _, err = invoke(
        capsys,
        "train",
        f"{parts}/*.csv",
        *common,
        "--stream",
        "--batch-size",
        "500",
        "-o",
        tmp_path / "s.json",
    )
    assert code == 0, err
    a, b = load(tmp_path / "m.json"), load(tmp_path / "s.json")
    assert b.preprocessor.drop_first and b.preprocessor.to_dict()["columns"][0]["reference"]
    assert a.feature_names == b.feature_names
    np.testing.assert_allclose(b.estimator.coef_, a.estimator.coef_, rtol=1e-8, atol=1e-12)
    assert b.inference is None and "--stream" in b.training["standard_errors"]
