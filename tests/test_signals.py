"""Signals and outputs as one unit, on the real ``logistic`` program.

SIGTERM is answered as Ctrl-C is (one line on stderr, status ``128 + signum``: 143 and 130),
mid-fit and while the model and its picture are being written (the hidden temporary files
removed, the destination left as it was), and Ctrl-C while the application loads; a picture
that cannot be written leaves no model; a Dask scheduler closed mid-fit is one line naming
it, status 1, no model. Every case runs the installed console script in a subprocess and
signals it with ``os.kill``: nothing of the program is replaced.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(sys.executable).with_name("logistic")
# Training on the built-in breast-cancer data (569 rows) by gradient descent that never
# meets its tolerance: running until it is signalled.
ENDLESS = ["train", "--solver", "gd", "--max-iter", "100000000", "--tol", "0"]


def start(args, cwd):
    return subprocess.Popen(
        [str(SCRIPT), *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A child of a non-interactive shell may inherit SIGINT as ignored; undo that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def finish(proc, timeout=120):
    try:
        return proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def wait_for_line(proc, prefix):
    """Read stderr until a line starting with ``prefix`` (the lines before it included)."""
    seen = []
    while True:
        line = proc.stderr.readline()
        assert line, f"exited ({proc.wait()}) before {prefix!r}: {seen}"
        seen.append(line)
        if line.startswith(prefix):
            return seen


def stderr_lines(err):
    """The lines of ``err`` but matplotlib's own notice, logged when it rebuilds its font
    cache (a first run, or a cache left half-written by a process stopped meanwhile)."""
    return [x for x in err.splitlines() if not x.startswith("Matplotlib is building the font")]


def listing(root):
    return sorted(p.name for p in Path(root).iterdir())


STOPPED = {signal.SIGINT: ("interrupted", 130), signal.SIGTERM: ("terminated", 143)}


def test_sigterm_mid_fit_writes_nothing(tmp_path):
    """(Ctrl-C mid-fit: tests/test_cli.py::test_sigint_to_the_real_program.)"""
    word, status = STOPPED[signal.SIGTERM]
    out = tmp_path / "out"
    out.mkdir()
    (out / "m.json").write_text("the previous model")
    proc = start([*ENDLESS, "-o", out / "m.json", "--plots", out], tmp_path)
    try:
        wait_for_line(proc, "training on 569 rows")
        # inside the solve (or, on a loaded machine, the compiled kernels' first load)
        time.sleep(1.0)
        os.kill(proc.pid, signal.SIGTERM)
    finally:
        stdout, err = finish(proc)
    assert proc.returncode == status, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"{word} "), err
    assert err.rstrip().endswith("; no model written."), err
    assert stdout == ""
    assert listing(out) == ["m.json"]  # no temporary file, no picture
    assert (out / "m.json").read_text() == "the previous model"


# SIGINT takes the same path (a KeyboardInterrupt) at the cost of another training run.
@pytest.mark.parametrize(
    "signum",
    [signal.SIGTERM, pytest.param(signal.SIGINT, marks=pytest.mark.slow)],
    ids=["TERM", "INT"],
)
def test_signal_mid_write_removes_the_temporary_files(tmp_path, signum):
    """Signalled while the model's temporary file waits for the picture (rendering takes a
    moment): both temporaries go, the previous model stays."""
    word, status = STOPPED[signum]
    out = tmp_path / "out"
    out.mkdir()
    (out / "m.json").write_text("the previous model")
    proc = start(["train", "-q", "-o", out / "m.json", "--plots", out], tmp_path)
    seen = None
    try:
        while proc.poll() is None and seen is None:
            seen = next((n for n in os.listdir(out) if n.startswith(".m.json.")), None)
            time.sleep(0.0005)
        if seen is not None:
            os.kill(proc.pid, signum)
    finally:
        _, err = finish(proc)
    got = (seen, proc.returncode, err, listing(out))
    assert seen is not None and seen.endswith(".tmp"), got
    assert proc.returncode == status, got
    assert stderr_lines(err) == [
        f"{word} while writing the model and its plots; no model written."
    ], got
    assert listing(out) == ["m.json"], got
    assert (out / "m.json").read_text() == "the previous model"


def _python_catches_sigint(pid) -> bool:
    """Whether the process has a handler for SIGINT (``SigCgt`` in /proc): Python installs
    its own during start-up. Before that the kernel's default action ends a process on
    SIGINT, as it ends any program whose code has not started yet (a shell shows 130)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            caught = next(line for line in fh if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(int(caught.split()[1], 16) & (1 << (signal.SIGINT - 1)))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
@pytest.mark.parametrize("delay", [0.15, 0.3, 0.5, 0.8])
def test_ctrl_c_during_start_up(tmp_path, delay):
    """Ctrl-C while the command line loads (its modules, typer, rich): one line and 130, or
    0 if the help was printed already; never a traceback."""
    proc = start(["train", "--help"], tmp_path)
    try:
        deadline = time.monotonic() + 30
        while not _python_catches_sigint(proc.pid) and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.0005)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGINT)
    finally:
        stdout, err = finish(proc)
    assert "Traceback" not in err, err
    if proc.returncode == 0:
        assert "Usage: logistic train" in stdout and err == ""
        return
    if proc.returncode == -signal.SIGINT and err == "":
        # the command had finished (its whole help printed) and the signal met the
        # interpreter's own shutdown, where Python restores the default action
        assert "Usage: logistic train" in stdout and "--quiet" in stdout, stdout
        return
    assert proc.returncode == 130, err
    assert err.splitlines() == ["interrupted; nothing written."]


def test_picture_write_failure_leaves_no_model(tmp_path):
    """The plots directory replaced by a file while the model trains: the picture cannot
    be written, so the model is not either, and the one line says so."""
    out, plots = tmp_path / "out", tmp_path / "out" / "plots"
    plots.mkdir(parents=True)
    # most of a second or more of gradient descent: the directory is replaced meanwhile
    gd = ["--solver", "gd", "--max-iter", "1500", "--tol", "0"]
    proc = start(["train", *gd, "-o", out / "m.json", "--plots", plots], tmp_path)
    try:
        wait_for_line(proc, "training on 569 rows")
        plots.rmdir()
        plots.write_text("a file where the plots directory was")
    finally:
        _, err = finish(proc)
    assert proc.returncode == 2, err
    lines = [x for x in stderr_lines(err) if not x.startswith("warning:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: cannot write the outputs (") and str(plots) in lines[0]
    assert "; no model written;" in lines[0]
    assert listing(out) == ["plots"]  # no model, no temporary file


# -- written_together: the unit itself -----------------------------------------------------
def test_written_together_renames_all_or_none(tmp_path):
    from logistic.tables import atomic_write_bytes, written_together

    (tmp_path / "a.bin").write_bytes(b"old a")
    with pytest.raises(KeyboardInterrupt), written_together():
        atomic_write_bytes(tmp_path / "a.bin", b"new a")
        atomic_write_bytes(tmp_path / "b.bin", b"new b")
        assert sorted(p.suffix for p in tmp_path.iterdir()) == [".bin", ".tmp", ".tmp"]
        raise KeyboardInterrupt
    assert listing(tmp_path) == ["a.bin"] and (tmp_path / "a.bin").read_bytes() == b"old a"

    with written_together() as outputs:
        atomic_write_bytes(tmp_path / "a.bin", b"new a")
        with written_together() as inner:  # joins the outer block
            atomic_write_bytes(tmp_path / "b.bin", b"new b")
        assert inner is outputs and not (tmp_path / "b.bin").exists()  # not yet renamed
    assert outputs.written == [tmp_path / "a.bin", tmp_path / "b.bin"]
    assert (tmp_path / "a.bin").read_bytes() + (tmp_path / "b.bin").read_bytes() == b"new anew b"


def test_written_together_names_what_a_failed_rename_left(tmp_path):
    """A rename that fails (here: a directory appeared where the second file goes) removes
    the remaining temporary files and says what was written and what was not."""
    from logistic.tables import atomic_write_bytes, written_together

    with pytest.raises(OSError) as info, written_together():
        atomic_write_bytes(tmp_path / "a.bin", b"a")
        atomic_write_bytes(tmp_path / "b.bin", b"b")
        (tmp_path / "b.bin").mkdir()
    assert f"written: {tmp_path / 'a.bin'}; not written: {tmp_path / 'b.bin'}" in str(info.value)
    assert listing(tmp_path) == ["a.bin", "b.bin"] and (tmp_path / "b.bin").is_dir()


# -- Dask: the scheduler closed mid-fit ---------------------------------------------------
def _gd_fit_until_closed(cluster, client, action=None):
    """Fit by gradient descent on ``client`` and close ``cluster`` (or call ``action``)
    once the solver runs."""
    import dask.array as da

    import logistic.dask
    from logistic import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X @ [1.0, -1.0, 0.5] + rng.normal(size=400) > 0).astype(float)
    started = threading.Event()
    est = LogisticRegression(
        solver="gd", max_iter=10**8, tol=0.0, callback=lambda *a, **k: started.set()
    )
    action = cluster.close if action is None else action
    closer = threading.Thread(target=lambda: started.wait(60) and action())
    closer.start()
    try:
        logistic.dask.fit(
            est, da.from_array(X, chunks=200), da.from_array(y, chunks=200), client=client
        )
    finally:
        closer.join(60)


def test_dask_fit_scheduler_closed_is_one_cluster_error():
    """In-process (the short case): the Python API's error is one ClusterError naming the
    scheduler's address."""
    distributed = pytest.importorskip("distributed")
    from logistic.errors import ClusterError

    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    )
    address = cluster.scheduler_address
    client = distributed.Client(cluster, timeout="2s")
    try:
        with pytest.raises(ClusterError) as info:
            _gd_fit_until_closed(cluster, client)
    finally:
        client.close()
        cluster.close()
    message = str(info.value)
    assert message.startswith(f"the Dask scheduler at {address}: ") and "\n" not in message


def test_a_cluster_without_workers_is_an_error_not_a_hang(monkeypatch):
    """Every worker leaves once the solver runs, the scheduler stays up: a ClusterError
    after ``DaskSource.no_workers_timeout`` instead of a wait for ever."""
    distributed = pytest.importorskip("distributed")
    from logistic.errors import ClusterError
    from logistic.sources import DaskSource

    monkeypatch.setattr(DaskSource, "no_workers_timeout", 1.0)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        address = cluster.scheduler_address
        with pytest.raises(ClusterError) as info:
            _gd_fit_until_closed(cluster, client, action=lambda: cluster.scale(0))
    message = str(info.value)
    assert message.startswith(f"the Dask scheduler at {address}: no worker for 1 s"), message
    assert "\n" not in message


@pytest.mark.slow
def test_train_scheduler_closed_mid_fit(tmp_path):
    """``logistic train --scheduler`` on a LocalCluster of worker processes, closed while
    the solver runs: one line naming the scheduler, status 1, no model."""
    distributed = pytest.importorskip("distributed")
    from sklearn.datasets import load_breast_cancer

    load_breast_cancer(as_frame=True).frame.to_csv(tmp_path / "bc.csv", index=False)
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    )
    address = cluster.scheduler_address
    try:
        data = ["bc.csv", "--target", "target", "--scheduler", address]
        proc = start([*ENDLESS, *data, "-o", "m.json", "--no-plots"], tmp_path)
        try:
            wait_for_line(proc, "training on the Dask cluster")
            time.sleep(1.0)
            cluster.close()
        finally:
            _, err = finish(proc)
    finally:
        cluster.close()
    assert proc.returncode == 1, err
    (line,) = err.splitlines()[-1:]
    assert line.startswith(f"error: the Dask scheduler at {address}: "), err
    assert line.endswith("; no model written."), err
    assert [x for x in err.splitlines() if not x.startswith(("pass 1", "training on"))] == [line]
    assert not (tmp_path / "m.json").exists()


@pytest.mark.slow
def test_sigterm_during_a_dask_fit(tmp_path):
    """SIGTERM while the client waits for the cluster: one line (no asyncio or distributed
    log of the tasks the closed client leaves), 143, no model."""
    distributed = pytest.importorskip("distributed")
    from sklearn.datasets import load_breast_cancer

    load_breast_cancer(as_frame=True).frame.to_csv(tmp_path / "bc.csv", index=False)
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        data = ["bc.csv", "--target", "target", "--scheduler", cluster.scheduler_address]
        proc = start([*ENDLESS, *data, "-o", "m.json", "--no-plots"], tmp_path)
        try:
            wait_for_line(proc, "training on the Dask cluster")
            time.sleep(1.0)
            os.kill(proc.pid, signal.SIGTERM)
        finally:
            _, err = finish(proc)
    finally:
        cluster.close()
    assert proc.returncode == 143, err
    assert err.startswith("terminated ") and err.endswith("; no model written.\n"), err
    assert len(err.splitlines()) == 1, err
    assert not (tmp_path / "m.json").exists()
