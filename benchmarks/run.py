"""Time to the optimum: this library against scikit-learn and glum, with peak memory.

For each problem (:mod:`problems`):

1. a reference optimum ``f*``: our Newton solver to ``max |grad f| <= 1e-12`` (or until
   the Newton decrement is at rounding level), evaluated in float64; every peer's best
   value is checked against it afterwards (a peer below ``f*`` would be reported);
2. the machine's one-pass streaming read time over ``X``: the fastest of 7 ``X @ v``
   (dense: BLAS gemv on all cores, memory-bound; sparse: CSR mat-vec);
3. for each solver, in a fresh process: an untimed warm-up fit on the first rows of ``X``
   (lazy imports, numba's compiled-code cache), then fits with the library's own ``tol``
   tightened along a ladder (1e-3, 1e-4, ...) until ``(f - f*) / |f*| <= target``
   (default 1e-8), ``f`` being *our* objective at the solver's coefficients. The first
   (= fastest) setting that reaches the target is then repeated, the same rule for every
   solver: at least ``--repeats`` fits in all, more until ``--min-time`` seconds of fitting
   (at most ``--max-repeats``), so that millisecond fits are timed over hundreds of runs;
   the time reported is the median. A fit slower than ``budget / repeats`` is not
   repeated (its ladder time is reported), and the ladder gives up when one fit exceeds
   the budget or the whole ladder exceeds 2.5 budgets;
4. peak memory of each ladder fit: the process's peak resident set (``VmHWM``, which
   counts BLAS and C allocations that ``tracemalloc`` cannot see) reset before the fit
   through ``/proc/self/clear_refs``, minus the resident set before the fit (after
   ``malloc_trim``, so that memory kept from earlier fits is not reused unseen): what the
   fit adds on top of the data. The peak of the fit that reached the target is reported.

Each (problem, solver) runs in its own process forked from a multiprocessing forkserver
that has imported numpy, scipy, scikit-learn, glum, numba and this library once, so that
no process pays those imports (about 1.5 s each) and none inherits another's data, heap
or caches.

Output, on stdout and in ``--out``: a markdown table of times (problem, each solver's
time, ours / fastest peer, our time in one-pass units, our extra peak memory as a
fraction of X), then a second table with each solver's extra peak memory in MB. With
``--json PATH``, every problem's results as JSON, for programs (:mod:`ab` reads them):
``{"settings": {...}, "problems": {name: {"reference": {...}, "results": {solver: {...}},
"below_f_star": [...]}}}``, a solver's dict holding ``seconds`` (the median), ``times``,
``tol``, ``trials`` (the ladder), ``info`` (ours: ``solver``, ``passes``), or ``error``;
every child's dict also says which ``logistic`` it imported (``library``: the package's
directory), since ``PYTHONPATH`` chooses the version measured.

    python benchmarks/run.py                 # everything, full sizes (tens of minutes)
    python benchmarks/run.py --quick         # small problems, no saga, about 30 s
    python benchmarks/run.py --problems dense_f64 --solvers logistic sklearn-lbfgs
    PYTHONPATH=/tmp/old/src python benchmarks/run.py --solvers logistic --json old.json

(``benchmarks/ab.py`` runs it under two versions of the library, alternating: an A/B.)

C = 1.0 (scikit-learn's default) for every problem.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import problems  # noqa: E402

TARGET = 1e-8
MIN_TIME = 0.5  # seconds of fitting to spend on the repeats of a fast fit
MAX_REPEATS = 200
# The warm-up fit: the first max(500, WARMUP_ELEMENTS / n) rows, enough for the library's
# numba row loop (blocks of >= 2^18 elements) to be loaded as in the timed fits.
WARMUP_ELEMENTS = 1 << 19
# Imported once by the forkserver, inherited by every child ("__main__" is this file,
# which puts benchmarks/ on sys.path for problems and peers). Only the library's public
# modules, which every version has (benchmarks/ab.py runs this file against two versions);
# the forkserver skips a module that raises ImportError, and the children import it again.
PRELOAD = [
    "__main__",
    "numpy",
    "scipy.sparse",
    "numba",
    "sklearn.linear_model",
    "glum",
    "logistic",
    "logistic.objective",
    "logistic.solvers",
    "logistic.sources",
    "peers",
]


# -- measurements inside a child process ---------------------------------------------------
def _status_kb(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak():
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when not permitted."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _trim_heap():
    """Free what is garbage and return the C heap's free pages to the OS (glibc).

    Without it a fit reuses, without any growth of the resident set, memory that an
    earlier fit (the warm-up, a looser ``tol``) freed but glibc kept: its peak would be
    understated (e.g. 0 instead of 1.9 MB, 250 instead of 290 MB).
    """
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def objective_value(X, y, coef, intercept, C, block=65_536):
    """Our mean-form objective at ``(coef, intercept)``, in float64 whatever X's dtype.

    ``f = sum_i (log(1 + exp(z_i)) - y_i z_i) / m + ||w||^2 / (2 C m)`` with
    ``z = X w + b``, computed here with NumPy alone (``np.logaddexp``: no overflow for any
    ``z``), so that the same runner judges every version of the library: it depends on no
    private module. Over blocks of ``block`` rows, each converted to float64 on its own, so
    that the extra memory is one block's, not a float64 copy of ``X``.
    """
    coef = np.asarray(coef, dtype=np.float64)
    m = X.shape[0]
    total = 0.0
    for s in range(0, m, block):
        Xb = X[s : s + block]
        Xb = Xb.astype(np.float64) if Xb.dtype != np.float64 else Xb
        z = np.asarray(Xb @ coef).ravel() + intercept
        yb = np.asarray(y[s : s + block], dtype=np.float64)
        total += float(np.sum(np.logaddexp(0.0, z) - yb * z))
    return total / m + float(coef @ coef) / (2.0 * C * m)


def _library():
    """The directory of the ``logistic`` package this process imports."""
    import logistic

    return str(Path(logistic.__file__).resolve().parent)


def read_time(X, repeats=7):
    """One streaming pass over X: the fastest of ``repeats`` mat-vec products."""
    v = np.ones(X.shape[1], dtype=X.dtype)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        X @ v
        best = min(best, time.perf_counter() - t0)
    return best


def child_reference(name, scale):
    from logistic.objective import Objective
    from logistic.solvers import solve
    from logistic.sources import InMemorySource

    X, y = problems.load(name, scale)
    p = problems.PROBLEMS[name]
    obj = Objective(InMemorySource(X, np.asarray(y, dtype=X.dtype)), C=p.C)
    t0 = time.perf_counter()
    res = solve("newton", obj, np.zeros(obj.n_params), tol=1e-12)
    seconds = time.perf_counter() - t0
    f = objective_value(X, y, res.x[:-1], res.x[-1], p.C)
    return {
        "f_star": f,
        "grad_norm": res.grad_norm,
        "ref_message": res.message,
        "ref_seconds": seconds,
        "read_seconds": read_time(X),
        "x_bytes": problems.nbytes(X),
        "shape": list(X.shape),
        "dtype": str(X.dtype),
        "sparse": bool(sp.issparse(X)),
        "library": _library(),
    }


def _warm_up(fit, X, y, C, tol):
    """One untimed fit on the first rows: first-call costs stay out of the timings."""
    rows = min(X.shape[0], max(500, WARMUP_ELEMENTS // X.shape[1]))
    try:
        fit(X[:rows], y[:rows], C, tol)
    except Exception:  # a failing solver fails again in the ladder, and is reported there
        pass


def child_fit(
    name,
    scale,
    solver,
    f_star,
    budget,
    repeats,
    target,
    min_time=MIN_TIME,
    max_repeats=MAX_REPEATS,
    report=None,
):
    """The tolerance ladder, then the repeats (see the module docstring).

    ``report(trial)``, when given, receives each ladder trial as soon as it is measured
    (the parent keeps them if the child is then killed by the timeout).
    """
    import peers

    fit = peers.SOLVERS[solver]
    X, y = problems.load(name, scale)
    C = problems.PROBLEMS[name].C
    if solver != "logistic":
        y = np.asarray(y, dtype=np.float64)  # the peers take labels as given
    else:
        y = np.asarray(y, dtype=X.dtype)
    _warm_up(fit, X, y, C, peers.TOL_LADDER[0])
    trials = []
    reached = None
    for tol in peers.TOL_LADDER:
        _trim_heap()
        can_reset = _reset_peak()
        rss0 = _status_kb("VmRSS")
        t0 = time.perf_counter()
        coef, b, n_iter, info = fit(X, y, C, tol)
        seconds = time.perf_counter() - t0
        peak = _status_kb("VmHWM") - rss0 if can_reset else -1
        f = objective_value(X, y, coef, b, C)
        gap = (f - f_star) / abs(f_star)
        trial = {
            "tol": tol,
            "seconds": seconds,
            "gap": gap,
            "f": f,
            "n_iter": n_iter,
            "peak_kb": peak,
            **info,
        }
        trials.append(trial)
        if report is not None:
            report(trial)
        if gap <= target:
            reached = trial
            break
        # give up when one fit, or the whole ladder so far, exceeds the budget
        if seconds > budget or sum(t["seconds"] for t in trials) > 2.5 * budget:
            break
    out = {
        "trials": trials,
        "reached": reached is not None,
        "best_gap": min(t["gap"] for t in trials),
        "library": _library(),
    }
    if reached is not None:
        out.update(
            repeat_fits(
                reached,
                lambda: fit(X, y, C, reached["tol"]),
                budget,
                repeats,
                min_time,
                max_repeats,
            )
        )
    return out


def repeat_fits(reached, refit, budget, repeats, min_time, max_repeats):
    """The timed repeats of the ladder's first fit that reached the target (``reached``,
    its trial; ``refit()`` fits again with its ``tol``): the result entries of a solver."""
    times = [reached["seconds"]]
    if reached["seconds"] * repeats < budget:  # a slow fit keeps its ladder time
        while len(times) < max_repeats and (len(times) < repeats or sum(times) < min_time):
            t0 = time.perf_counter()
            refit()
            times.append(time.perf_counter() - t0)
    return {
        "seconds": statistics.median(times),
        "times": times,
        "tol": reached["tol"],
        "peak_kb": reached["peak_kb"],
        "info": {k: v for k, v in reached.items() if k in ("solver", "passes")},
    }


def _child_main(conn, spec):
    """A child's entry point: sends ("trial", t) messages, then ("result", r) or ("error", e)."""
    # The objects inherited from the forkserver (the imported libraries) are not garbage:
    # out of the collector's sight, each gc.collect() of _trim_heap takes ~0 instead of 90 ms.
    gc.freeze()
    try:
        if spec["kind"] == "ref":
            res = child_reference(spec["name"], spec["scale"])
        else:
            args = {k: v for k, v in spec.items() if k != "kind"}
            res = child_fit(**args, report=lambda t: conn.send(("trial", t)))
        conn.send(("result", res))
    except BaseException as exc:  # MemoryError included: reported as "error"
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:200]))
    finally:
        conn.close()


# -- the parent: orchestration and the tables --------------------------------------------
def _context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def _run_child(ctx, spec, timeout, target=None):
    """Run ``spec`` in a fresh process (``target``, default :func:`_child_main`, another
    benchmark's entry point with the same protocol); its result, or ``{"error", "trials"}``."""
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target or _child_main, args=(send, spec))
    proc.start()
    send.close()
    trials = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            if not recv.poll(max(0.0, deadline - time.monotonic())):
                return {"error": f"timeout after {timeout:.0f}s", "trials": trials}
            try:
                kind, payload = recv.recv()
            except EOFError:  # died without a word: killed (out of memory?) or crashed
                proc.join(5)
                code = proc.exitcode
                why = f"killed by signal {-code}" if code and code < 0 else f"exit code {code}"
                return {"error": f"child {why}", "trials": trials}
            if kind == "trial":
                trials.append(payload)
            elif kind == "result":
                return payload
            else:
                return {"error": payload, "trials": trials}
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join()


def _fmt_time(r):
    if r is None:
        return "-"
    if "seconds" in r:
        return f"{r['seconds']:.3g}"
    if r.get("error"):
        return "timeout" if "timeout" in r["error"] else "error"
    best = r.get("best_gap")
    return f"n/r ({best:.0e})" if best is not None else "n/r"


def _fmt_mem(r):
    """Extra peak RSS in MB: of the fit that reached the target, else the largest trial's."""
    if r is None:
        return "-"
    if "peak_kb" in r:
        kb, suffix = r["peak_kb"], ""
    elif r.get("trials"):
        kb, suffix = max(t["peak_kb"] for t in r["trials"]), " (n/r)"
    else:
        return "timeout" if "timeout" in r.get("error", "") else "error"
    return "?" if kb < 0 else f"{kb / 1024:.1f}{suffix}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="small problems, no saga, about 30 seconds"
    )
    ap.add_argument("--problems", nargs="*", default=None)
    ap.add_argument("--solvers", nargs="*", default=None)
    ap.add_argument("--scale", type=float, default=None, help="row multiplier of synthetics")
    ap.add_argument("--budget", type=float, default=None, help="seconds per fit before giving up")
    ap.add_argument("--repeats", type=int, default=3, help="fewest timed fits (default 3)")
    ap.add_argument(
        "--min-time",
        type=float,
        default=MIN_TIME,
        help=f"repeat fast fits until this many seconds of fitting (default {MIN_TIME:g})",
    )
    ap.add_argument(
        "--max-repeats",
        type=int,
        default=MAX_REPEATS,
        help=f"most timed fits (default {MAX_REPEATS})",
    )
    ap.add_argument("--target", type=float, default=TARGET)
    ap.add_argument("--out", type=Path, default=HERE / "results.md", help="the markdown tables")
    ap.add_argument("--json", type=Path, default=None, help="also every result, as JSON")
    args = ap.parse_args(argv)

    import peers

    names = args.problems or (problems.QUICK if args.quick else list(problems.PROBLEMS))
    scale = args.scale if args.scale is not None else (problems.QUICK_SCALE if args.quick else 1.0)
    budget = args.budget if args.budget is not None else (3.0 if args.quick else 60.0)
    solvers = args.solvers or (peers.QUICK if args.quick else list(peers.SOLVERS))
    repeats = args.repeats if not args.quick else min(args.repeats, 3)
    ctx = _context()
    settings = {
        "argv": sys.argv[1:] if argv is None else list(argv),
        "problems": names,
        "solvers": solvers,
        "scale": scale,
        "budget": budget,
        "repeats": repeats,
        "min_time": args.min_time,
        "max_repeats": args.max_repeats,
        "target": args.target,
        "pythonpath": os.environ.get("PYTHONPATH", ""),
        "python": sys.executable,
    }
    done = {}

    rows = []
    for name in names:
        ref = _run_child(ctx, {"kind": "ref", "name": name, "scale": scale}, timeout=3600)
        if "f_star" not in ref:
            print(f"{name}: reference failed: {ref}", file=sys.stderr)
            done[name] = {"reference": ref, "results": {}, "below_f_star": []}
            _write_json(args.json, settings, done)
            continue
        print(
            f"# {name} {ref['shape']} {ref['dtype']}{' CSR' if ref['sparse'] else ''}: "
            f"f*={ref['f_star']:.15g} read={ref['read_seconds'] * 1e3:.1f} ms "
            f"(ref {ref['ref_seconds']:.2f}s, {ref['ref_message'][:40]})",
            file=sys.stderr,
        )
        results = {}
        for solver in solvers:
            spec = {
                "kind": "fit",
                "name": name,
                "scale": scale,
                "solver": solver,
                "f_star": ref["f_star"],
                "budget": budget,
                "repeats": repeats,
                "target": args.target,
                "min_time": args.min_time,
                "max_repeats": args.max_repeats,
            }
            r = _run_child(ctx, spec, timeout=budget * 8 + 120)
            results[solver] = r
            shown = {k: r[k] for k in ("tol", "peak_kb", "info", "best_gap", "error") if k in r}
            if "times" in r:
                shown["repeats"] = len(r["times"])
                shown["min-max"] = [f"{min(r['times']):.3g}", f"{max(r['times']):.3g}"]
            print(f"  {solver:24s} {_fmt_time(r):>14s}  {json.dumps(shown)}", file=sys.stderr)
        below = [s for s, r in results.items() for t in r.get("trials", []) if t["gap"] < -1e-12]
        rows.append((name, ref, results, below))
        done[name] = {"reference": ref, "results": results, "below_f_star": sorted(set(below))}
        _write_json(args.json, settings, done)  # after every problem: survives a stopped run

    md = _table(rows, solvers, args.target, scale) + "\n" + _memory_table(rows, solvers)
    print(md)
    args.out.write_text(md)
    return 0


def _plain(o):
    """NumPy scalars as Python numbers, anything else JSON cannot hold as text."""
    return o.item() if isinstance(o, np.generic) else str(o)


def _write_json(path, settings, done):
    """``--json``: the settings and the problems done so far (nothing when ``path`` is None)."""
    if path is None:
        return
    tmp = path.with_name(path.name + ".tmp")
    data = {"settings": settings, "problems": done}
    tmp.write_text(json.dumps(data, indent=1, default=_plain))
    tmp.replace(path)


def _label(name, ref, below=()):
    flag = f" (below f*: {', '.join(sorted(set(below)))})" if below else ""
    shape = "x".join(map(str, ref["shape"]))
    return f"{name} {shape} {ref['dtype']}{' CSR' if ref['sparse'] else ''}{flag}"


def _table(rows, solvers, target, scale):
    lines = [
        f"Time (s) to reach (f - f*)/|f*| <= {target:g}, C = 1.0, median of repeats; "
        f"synthetic rows x {scale:g}. {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "| problem | " + " | ".join(solvers) + " | ours / fastest peer | ours in passes | "
        "ours extra peak / X | X size |",
        "|" + "---|" * (len(solvers) + 5),
    ]
    for name, ref, results, below in rows:
        cells = [_fmt_time(results.get(s)) for s in solvers]
        ours = results.get("logistic", {})
        peer_times = [
            r["seconds"] for s, r in results.items() if s != "logistic" and "seconds" in r
        ]
        ratio = passes = mem = "-"
        if "seconds" in ours:
            if peer_times:
                ratio = f"{ours['seconds'] / min(peer_times):.2f}"
            passes = f"{ours['seconds'] / ref['read_seconds']:.0f}"
            if ours.get("peak_kb", -1) >= 0:
                mem = f"{ours['peak_kb'] * 1024 / ref['x_bytes']:.0%}"
        lines.append(
            f"| {_label(name, ref, below)} | "
            + " | ".join(cells)
            + f" | {ratio} | {passes} | {mem} | {ref['x_bytes'] / 2**20:.0f} MB |"
        )
    lines += [
        "",
        "n/r (gap): not reached within the tolerance ladder or the time budget, "
        "best relative gap shown. One pass = fastest X @ v (memory-bound read of X).",
    ]
    return "\n".join(lines) + "\n"


def _memory_table(rows, solvers):
    lines = [
        "Extra peak memory (MB): peak resident set of the fit minus the resident set "
        "before it (X is loaded before), for the fit timed above.",
        "",
        "| problem | " + " | ".join(solvers) + " | X size |",
        "|" + "---|" * (len(solvers) + 2),
    ]
    for name, ref, results, _ in rows:
        cells = [_fmt_mem(results.get(s)) for s in solvers]
        lines.append(
            f"| {_label(name, ref)} | "
            + " | ".join(cells)
            + f" | {ref['x_bytes'] / 2**20:.1f} MB |"
        )
    lines += [
        "",
        "(n/r): the target was not reached; the largest peak of the fits tried. 1 MB = 2^20 bytes.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
