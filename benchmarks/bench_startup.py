"""Start-up: the command line in fresh processes against the equivalent scikit-learn script.

Each command runs in a new process, ``--repeats`` times in turn (so that the machine's load
falls on all alike); the table gives the median wall time and the median CPU time (user +
system of the child, less sensitive to other processes on a shared machine):

- ``python -c pass``: the interpreter alone, the floor of every row;
- ``logistic --help``;
- ``logistic train -o OUT --no-plots -q``: the breast-cancer data (the default data, 569 x
  30), standardised, fitted and saved;
- the scikit-learn script doing the same: ``load_breast_cancer``, ``StandardScaler``,
  ``LogisticRegression().fit``, ``joblib.dump``;
- ``logistic train`` again with an empty numba cache (``NUMBA_CACHE_DIR`` a new directory
  each run): the first run after an install or on a clean clone;
- a fit above the NumPy path's size (digits, 1797 x 64, through ``logistic.
  LogisticRegression``; ``--no-compiled`` leaves it out) with an empty and then a filled
  numba cache: what compiling costs on first use and that the cache serves later processes.

Bytecode: the children write and read their ``.pyc`` files under a temporary
``PYTHONPYCACHEPREFIX`` (as an installed package has them), filled by one untimed run of
each command first, so that no row pays for compiling Python sources.

    python benchmarks/bench_startup.py [--repeats 7] [--first-repeats 3] [--no-compiled]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKLEARN_SCRIPT = """
import joblib
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_breast_cancer(return_X_y=True)
model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
joblib.dump(model, {out!r})
"""

COMPILED_FIT = """
import sys
import logistic
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

X, y = load_digits(return_X_y=True)
logistic.LogisticRegression().fit(StandardScaler().fit_transform(X), y % 2)
assert "numba" in sys.modules, "the fit did not take the compiled loops"
"""


def _logistic_command() -> list[str]:
    """The ``logistic`` console script of this interpreter's environment (else ``-m``)."""
    script = Path(sys.executable).with_name("logistic")
    return [str(script)] if script.exists() else [sys.executable, "-m", "logistic.cli"]


def _run(argv, env) -> tuple[float, float]:
    """``(wall seconds, child CPU seconds)`` of one run of ``argv``; fails loudly."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="runs of each command")
    parser.add_argument(
        "--first-repeats", type=int, default=3, help="runs with an empty numba cache"
    )
    parser.add_argument("--no-compiled", action="store_true", help="skip the digits fit")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench_startup_"))
    try:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        env.pop("NUMBA_CACHE_DIR", None)  # numba's own cache: the package's __pycache__
        script = work / "sklearn_script.py"
        script.write_text(SKLEARN_SCRIPT.format(out=str(work / "sklearn.joblib")))
        compiled = work / "compiled_fit.py"
        compiled.write_text(COMPILED_FIT)
        logistic = _logistic_command()
        train = [*logistic, "train", "-o", str(work / "model.json"), "--no-plots", "-q"]
        digits = [sys.executable, str(compiled)]
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "logistic --help": [*logistic, "--help"],
            "logistic train (breast cancer)": train,
            "scikit-learn script (breast cancer)": [sys.executable, str(script)],
        }
        for argv_ in commands.values():  # untimed: writes the .pyc files of every row
            _run(argv_, env)
        if not args.no_compiled:
            _run(digits, env)  # fills numba's cache too

        times = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, argv_ in commands.items():
                times[name].append(_run(argv_, env))

        def empty_cache(argv_):
            runs = []
            for k in range(args.first_repeats):
                cache = work / f"numba_cache_{k}"
                runs.append(_run(argv_, {**env, "NUMBA_CACHE_DIR": str(cache)}))
                shutil.rmtree(cache, ignore_errors=True)
            return runs

        first = {"logistic train, empty numba cache": empty_cache(train)}
        if not args.no_compiled:
            first["digits fit (compiled loops), empty numba cache"] = empty_cache(digits)
            first["digits fit (compiled loops), numba cache filled"] = [
                _run(digits, env) for _ in range(args.first_repeats)
            ]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def med(runs, k):
        return statistics.median(r[k] for r in runs)

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    print()
    print("| command | runs | wall (s), median | CPU (s), median |")
    print("|---|---|---|---|")
    for name, runs in {**times, **first}.items():
        print(f"| {name} | {len(runs)} | {med(runs, 0):.3f} | {med(runs, 1):.3f} |")
    ours = times["logistic train (breast cancer)"]
    sk = times["scikit-learn script (breast cancer)"]
    print()
    print(
        f"logistic train / scikit-learn script: wall {med(ours, 0) / med(sk, 0):.2f}, "
        f"CPU {med(ours, 1) / med(sk, 1):.2f}"
    )


if __name__ == "__main__":
    main()
