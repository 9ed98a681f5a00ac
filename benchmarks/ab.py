"""A/B: our fit timed under two versions of the library, in one run, alternating.

    python benchmarks/ab.py --base /tmp/old/src --head src              # full table, 3 rounds
    python benchmarks/ab.py --base /tmp/old/src --head src --quick --rounds 1   # a smoke test
    python benchmarks/ab.py --base /tmp/old/src --head src --problems digits --min-time 2

``--base`` and ``--head`` are directories that hold a ``logistic`` package (a ``src/``), e.g.
an old commit extracted by ``mkdir -p /tmp/old && git archive 5ba2d92 | tar -x -C /tmp/old``.
In every round, for every problem, ``run.py --solvers logistic --problems <it> --json ...``
(:mod:`run`: the reference optimum, then our ``solver="auto"`` fit timed to the target gap,
median of its repeats) runs once with ``PYTHONPATH=<base>`` and once with
``PYTHONPATH=<head>``, back to back, on the same cached data with the same runner; which
side goes first alternates from problem to problem and from round to round, so that a drift
of the machine hits both. ``--interleave run`` alternates whole runs of all the problems
instead (fewer processes, but minutes between the two sides of a problem). Arguments that
this script does not know (``--scale``, ``--budget``, ``--min-time``, ``--repeats``,
``--target``) are passed on to ``run.py``.

``PYTHONPATH`` comes before the virtual environment's editable install on ``sys.path``; the
script checks it before the first round (``import logistic`` with each ``PYTHONPATH``) and in
every result (each child process of ``run.py`` records the ``logistic`` it imported), and
stops with an error when a side imported another tree than the one it was given.

The table (on stdout and in ``<workdir>/ab.md``, every run's JSON and tables beside it): per
problem, the median over rounds of each run's median time, ``head / base`` (below 1: the head
is faster), the min-max over rounds of the runs' medians (the noise), our fit's passes over
the data (``result_.n_evaluations``) and a verdict: "slower by N%" when ``head / base``
exceeds ``--threshold`` (1.05), with "(spreads overlap)" when the head's fastest round is not
slower than the base's slowest. The exit code is 1 when a problem is slower or failed.

Noise: this machine has 2 shared cores. Another process running (a test suite) halves the
speed of a fit on both cores for as long as it runs: with one running, the old tree against
itself gave ratios of 0.70 to 1.42 on the ``--quick`` problems, whose fits take milliseconds.
Hence: both sides in one run, close in time, medians over rounds; before each run the script
waits (up to 10 s) for the CPU to be 90% idle, and counts the runs that started without. Run the A/B
with nothing else running, rerun a "slower" whose spreads overlap with more ``--rounds``, and
never compare against a table from another day.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import problems  # noqa: E402

RUN = HERE / "run.py"
SOLVER = "logistic"
OWN = ("--solvers", "--json", "--out")  # run.py options that this script sets itself


def _env(tree):
    return {**os.environ, "PYTHONPATH": str(tree)}


def _expected(tree):
    return str((tree / "logistic").resolve())


def check_import(tree):
    """Stop unless ``python -c "import logistic"`` with ``PYTHONPATH=tree`` imports ``tree``'s."""
    code = "import logistic, pathlib; print(pathlib.Path(logistic.__file__).resolve().parent)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(tree), capture_output=True, text=True
    )
    if out.returncode != 0:
        sys.exit(f"ab.py: `import logistic` fails with PYTHONPATH={tree}:\n{out.stderr[-3000:]}")
    if out.stdout.strip() != _expected(tree):
        sys.exit(f"ab.py: PYTHONPATH={tree} imports {out.stdout.strip()}, not {_expected(tree)}")


def settle(least=0.9, wait=10.0, window=0.5):
    """Wait (at most ``wait`` s) for a ``window`` of >= ``least`` idle CPU; the last idle share.

    Also lets the previous run's processes (its forkserver's exit) finish before the next.
    """
    deadline = time.monotonic() + wait
    share = float("nan")
    while True:
        try:
            with open("/proc/stat") as fh:
                t0 = [int(v) for v in fh.readline().split()[1:]]
            time.sleep(window)
            with open("/proc/stat") as fh:
                t1 = [int(v) for v in fh.readline().split()[1:]]
        except OSError:  # not Linux
            return share
        share = (t1[3] + t1[4] - t0[3] - t0[4]) / max(1, sum(t1) - sum(t0))  # idle + iowait
        if share >= least or time.monotonic() > deadline:
            return share


def run_once(tree, label, workdir, passed):
    """One ``run.py`` with ``PYTHONPATH=tree``; its JSON, each child's import checked."""
    path = workdir / f"{label}.json"
    cmd = [sys.executable, str(RUN), "--solvers", SOLVER, "--json", str(path)]
    cmd += ["--out", str(workdir / f"{label}.md"), *passed]
    print(f"## {label}: PYTHONPATH={tree} {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, env=_env(tree), stdout=subprocess.DEVNULL)
    if proc.returncode != 0 or not path.exists():
        sys.exit(f"ab.py: {label}: run.py failed (exit code {proc.returncode})")
    data = json.loads(path.read_text())
    for name, prob in data["problems"].items():
        for who, r in [("reference", prob["reference"]), (SOLVER, prob["results"].get(SOLVER))]:
            if r and "library" in r and r["library"] != _expected(tree):
                sys.exit(f"ab.py: {label}: {name} {who} imported {r['library']}, not {tree}")
    return data["problems"]


def summarise(runs):
    """Per problem: the runs' median seconds, passes, solvers, ``f*`` and errors."""
    out = {}
    for run in runs:
        for name, prob in run.items():
            s = out.setdefault(name, {"seconds": [], "passes": set(), "solver": set()})
            s.setdefault("ref", prob["reference"])
            s.setdefault("f_star", prob["reference"].get("f_star"))
            r = prob["results"].get(SOLVER) or {"error": prob["reference"].get("error", "?")}
            if "seconds" in r:
                s["seconds"].append(r["seconds"])
                s["passes"].add(r["info"].get("passes", "?"))
                s["solver"].add(r["info"].get("solver", "?"))
            elif "error" in r:
                s["failed"] = r["error"]
            else:
                s["failed"] = f"target not reached (best gap {r.get('best_gap', float('nan')):.0e})"
    return out


def _span(values, fmt="{:.3g}"):
    lo, hi = min(values), max(values)
    return fmt.format(lo) if lo == hi else f"{fmt.format(lo)}-{fmt.format(hi)}"


def _passes(s):
    return "/".join(str(p) for p in sorted(s["passes"], key=str))


def _verdict(b, h, ratio, threshold):
    if b.get("failed") or h.get("failed"):
        return "; ".join(
            f"{w} failed: {s['failed']}" for w, s in [("base", b), ("head", h)] if s.get("failed")
        )
    if ratio > threshold:
        words = f"**slower by {ratio - 1:.0%}**"
        if min(h["seconds"]) <= max(b["seconds"]):
            words += " (spreads overlap)"
    elif ratio < 1 / threshold:
        words = f"faster by {1 - ratio:.0%}"
    else:
        words = f"same (within {threshold - 1:.0%})"
    if b["solver"] != h["solver"]:
        words += f"; solver {'/'.join(sorted(b['solver']))} -> {'/'.join(sorted(h['solver']))}"
    if b["f_star"] and h["f_star"] and abs(h["f_star"] / b["f_star"] - 1) > 1e-12:
        words += f"; f* differs by {abs(h['f_star'] / b['f_star'] - 1):.1e}"
    return words


def table(base, head, threshold):
    """The markdown table, and whether any problem is slower than ``threshold`` or failed."""
    lines = [
        "| problem | base (s) | head (s) | head / base | base min-max | head min-max "
        "| base passes | head passes | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    bad = False
    for name in dict.fromkeys([*base, *head]):
        b = base.get(name, {"failed": "missing", "seconds": [], "ref": {}})
        h = head.get(name, {"failed": "missing", "seconds": [], "ref": {}})
        ref = b["ref"] or h["ref"]
        label = name
        if "shape" in ref:
            label += f" {'x'.join(map(str, ref['shape']))} {ref['dtype']}"
            label += " CSR" if ref["sparse"] else ""
        cells = []
        ratio = float("nan")
        if b["seconds"] and h["seconds"]:
            mb, mh = statistics.median(b["seconds"]), statistics.median(h["seconds"])
            ratio = mh / mb
            cells = [f"{mb:.4g}", f"{mh:.4g}", f"{ratio:.3f}", _span(b["seconds"])]
            cells += [_span(h["seconds"]), _passes(b), _passes(h)]
        verdict = _verdict(b, h, ratio, threshold)
        bad |= verdict.startswith("**") or "failed" in verdict
        lines.append(f"| {label} | " + " | ".join(cells or ["-"] * 7) + f" | {verdict} |")
    return "\n".join(lines) + "\n", bad


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        allow_abbrev=False,
        epilog="Other arguments (--scale, --budget, --min-time, ...) are passed to run.py.",
    )
    ap.add_argument("--base", type=Path, required=True, help="the old tree (holds logistic/)")
    ap.add_argument("--head", type=Path, required=True, help="the new tree (holds logistic/)")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each side (default 3)")
    ap.add_argument("--problems", nargs="+", default=None, help="default: run.py's")
    ap.add_argument("--quick", action="store_true", help="run.py --quick: small problems")
    ap.add_argument(
        "--threshold", type=float, default=1.05, help="head / base above it: slower (1.05)"
    )
    ap.add_argument(
        "--interleave",
        choices=["problem", "run"],
        default="problem",
        help="alternate the sides problem by problem (default), or whole runs of run.py",
    )
    ap.add_argument(
        "--workdir", type=Path, default=None, help="default: benchmarks/results/ab-<time>"
    )
    args, passed = ap.parse_known_args(argv)
    if any(a.split("=")[0] in OWN for a in passed):
        ap.error(f"{', '.join(OWN)} are set by ab.py")
    if set(args.problems or []) - set(problems.PROBLEMS):
        ap.error(f"--problems: choose from {', '.join(problems.PROBLEMS)}")
    passed += ["--quick"] if args.quick else []
    trees = {"base": args.base.resolve(), "head": args.head.resolve()}
    for tree in trees.values():
        check_import(tree)
    workdir = args.workdir or HERE / "results" / time.strftime("ab-%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True, exist_ok=True)

    if args.interleave == "problem":
        names = args.problems or (problems.QUICK if args.quick else list(problems.PROBLEMS))
        units = [(f"-{name}", ["--problems", name]) for name in names]
    else:
        units = [("", ["--problems", *args.problems] if args.problems else [])]
    runs = {"base": [], "head": []}
    idles = []
    for k in range(args.rounds):
        for i, (tag, which) in enumerate(units):  # who goes first flips every round, unit
            for side in ("base", "head") if (k + i) % 2 == 0 else ("head", "base"):
                label = f"{side}-{k + 1}{tag}"
                idles.append(settle())
                if idles[-1] < 0.9:
                    print(f"ab.py: the machine is busy ({1 - idles[-1]:.0%})", file=sys.stderr)
                runs[side].append(run_once(trees[side], label, workdir, passed + which))
    which_all = ["--problems", *args.problems] if args.problems else []
    md, bad = table(summarise(runs["base"]), summarise(runs["head"]), args.threshold)
    header = (
        f"A/B, {time.strftime('%Y-%m-%d %H:%M')}: base {trees['base']}, head {trees['head']}; "
        f"{args.rounds} round(s), sides alternating by {args.interleave}; "
        f"run.py --solvers {SOLVER} {' '.join(passed + which_all)}; "
        f"{platform.machine()}, {os.cpu_count()} cores. Seconds: median over rounds of each "
        f"run's median fit time; min-max: of the runs' medians. Before each run, up to 10 s of "
        f"waiting for 90% idle CPU: {sum(i < 0.9 for i in idles)} of {len(idles)} runs "
        f"started on a busy machine (least idle {min(idles):.0%}).\n\n"
    )
    (workdir / "ab.md").write_text(header + md)
    print(header + md)
    print(f"(every run's JSON and tables: {workdir})", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
