"""Start-up: what importing the package and the command line loads, and what a small fit does.

Every check runs in a fresh interpreter (``python -c``) and reads ``sys.modules``: the heavy
dependencies (scikit-learn, SciPy, pandas, PyArrow, numba, formulaic) are imported only
by the commands and fits that use them, ``logistic --help`` still lists every command with
its help, and a breast-cancer fit takes the NumPy path without importing numba. Nothing
here is timed (benchmarks/bench_startup.py measures; docs/solvers.md, "Start-up").
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

import logistic

HEAVY = ("sklearn", "scipy", "pandas", "pyarrow", "numba", "formulaic")


def _fresh(code: str, *args: str) -> dict:
    """Run ``code`` in a new interpreter; the JSON it prints on its last stdout line, with
    ``"heavy"``: the HEAVY modules imported by then (``code`` may set ``result``)."""
    program = (
        "import json, sys\nresult = None\n"
        + code
        + f"\nheavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))"
        + "\nprint(json.dumps({'heavy': heavy, 'result': result}))"
    )
    env = {**os.environ, "COLUMNS": "200", "TERM": "dumb"}
    done = subprocess.run(
        [sys.executable, "-c", program, *args], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["logistic", "logistic.errors", "logistic.cli"])
def test_imports_are_light(module):
    assert _fresh(f"import {module}")["heavy"] == []


def _run_cli(argv):
    """``logistic argv`` in a fresh interpreter: its exit code, stdout, stderr and the
    heavy modules it imported."""
    code = (
        "import contextlib, io\n"
        "from logistic.cli import run\n"
        "out, err = io.StringIO(), io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        f"    code = run({list(argv)!r})\n"
        "result = [code, out.getvalue(), err.getvalue()]\n"
    )
    got = _fresh(code)
    code, out, err = got["result"]
    return code, out, err, got["heavy"]


def test_help_lists_every_command_with_its_help_without_importing_the_library():
    from typer.main import get_command

    from logistic.cli import app

    commands = get_command(app).commands
    assert set(commands) == {"train", "predict", "evaluate", "explain", "summary", "report"}
    code, out, err, heavy = _run_cli(["--help"])
    assert (code, err, heavy) == (0, "", [])
    for name, command in commands.items():
        # the first line of the command's docstring: what --help shows next to its name
        first = " ".join(command.callback.__doc__.split("\n\n")[0].split())
        line = next((ln for ln in out.splitlines() if f" {name} " in ln), None)
        assert line is not None, f"{name} missing from --help:\n{out}"
        assert " ".join(first.split()[:4]) in " ".join(out.split()), (name, first)


def test_no_arguments_prints_the_help_once():
    code, out, err, heavy = _run_cli([])
    assert (code, err, heavy) == (0, "", [])
    assert out.count("Usage: logistic") == 1, out


@pytest.mark.parametrize("command", ["train", "predict", "evaluate", "summary"])
def test_command_help_is_light(command):
    code, out, err, heavy = _run_cli([command, "--help"])
    assert (code, err, heavy) == (0, "", [])
    assert "--quiet" in out


@pytest.mark.parametrize(
    "argv, where",
    [
        (["train", "--solver", "nope"], "--solver"),
        (["train", "--C", "-1"], "--C"),
        (["train", "--cs", "3"], "--cs"),
        (["predict"], "model"),
    ],
)
def test_argument_errors_are_one_line_and_light(argv, where):
    code, out, err, heavy = _run_cli(argv)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and where in err, err
    assert heavy == []


def test_solver_choices_are_the_registry():
    from logistic.cli._options import SOLVER_NAMES
    from logistic.solvers import SOLVERS

    assert sorted(SOLVER_NAMES) == sorted(SOLVERS)


def test_public_names_resolve():
    names = set(dir(logistic))
    assert set(logistic.__all__) <= names
    for name in logistic.__all__:
        assert getattr(logistic, name) is not None
    assert logistic.LogisticRegression.__module__ == "logistic._estimator"
    assert logistic.tables.TablePreprocessor is not None  # subpackages as attributes
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        logistic.nope  # noqa: B018


def test_sklearn_classes_of_the_errors():
    from sklearn.exceptions import ConvergenceWarning, NotFittedError

    from logistic import errors

    assert issubclass(errors.ConvergenceWarning, ConvergenceWarning)
    assert logistic.ConvergenceWarning is errors.ConvergenceWarning
    assert errors.NotFittedError is NotFittedError
    assert {"ConvergenceWarning", "NotFittedError"} <= set(dir(errors))
    # a filter written for scikit-learn's warning silences ours
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        warnings.warn("max_iter", errors.ConvergenceWarning, stacklevel=1)
    assert caught == []
    again = pickle.loads(pickle.dumps(errors.ConvergenceWarning("stopped")))
    assert type(again) is errors.ConvergenceWarning and str(again) == "stopped"
    with pytest.raises(AttributeError):
        errors.Nope  # noqa: B018


def test_the_errors_sklearn_classes_are_made_once_in_a_fresh_process():
    code = (
        "from logistic import errors\n"
        "from logistic.errors import ConvergenceWarning\n"
        "import sklearn.exceptions as se\n"
        "result = [issubclass(ConvergenceWarning, se.ConvergenceWarning),"
        " errors.ConvergenceWarning is ConvergenceWarning,"
        " errors.NotFittedError is se.NotFittedError]\n"
    )
    assert _fresh(code)["result"] == [True, True, True]


def test_small_fit_takes_the_numpy_path_without_numba():
    """A breast-cancer fit in a fresh process: no numba, and scikit-learn's optimum."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression as Reference
    from sklearn.preprocessing import StandardScaler

    code = (
        "from sklearn.datasets import load_breast_cancer\n"
        "from sklearn.preprocessing import StandardScaler\n"
        "import logistic\n"
        "X, y = load_breast_cancer(return_X_y=True)\n"
        "est = logistic.LogisticRegression(tol=1e-10).fit(StandardScaler().fit_transform(X), y)\n"
        "result = est.coef_.ravel().tolist() + est.intercept_.tolist()\n"
    )
    got = _fresh(code)
    assert "numba" not in got["heavy"]
    X, y = load_breast_cancer(return_X_y=True)
    ref = Reference(tol=1e-12, max_iter=10_000).fit(StandardScaler().fit_transform(X), y)
    expected = np.r_[ref.coef_.ravel(), ref.intercept_]
    np.testing.assert_allclose(got["result"], expected, rtol=1e-5, atol=1e-6)


def test_the_numpy_path_ends_where_the_compiled_loops_begin():
    pytest.importorskip("numba")
    from logistic._kernel._compiled import FUSED_MIN_SIZE
    from logistic.sources import InMemorySource

    n = 16
    rows = FUSED_MIN_SIZE // n
    X = np.random.default_rng(0).standard_normal((rows, n))
    y = (X[:, 0] > 0).astype(float)
    assert "compiled_blocks" in InMemorySource(X, y).capabilities
    assert "compiled_blocks" not in InMemorySource(X[:-1], y[:-1]).capabilities


def test_cli_train_on_the_default_data_imports_no_numba(tmp_path):
    code, out, err, heavy = _run_cli(["train", "-o", str(tmp_path / "m.json"), "--no-plots", "-q"])
    assert (code, out, err) == (0, "", "")
    assert "numba" not in heavy and "sklearn" in heavy
    assert (tmp_path / "m.json").exists()
