"""A wide categorical table end to end: this library's ``fit_table`` against scikit-learn's
sparse ``OneHotEncoder`` + ``LogisticRegression`` on the same design.

The table (written once as CSV): ``--rows`` rows (default 50,000), four text columns whose
values are half Zipf-distributed, half spread over ``--levels`` values (default 20,000:
about 12,000 distinct appear in each), two numeric columns, and a binary target drawn from a logistic model of all six.
No real table that installs offline has four such columns; the shape is that of logs
and registries (names, streets, product codes, referrers).

Each measurement runs in a fresh Python process (``--repeats`` times, the median reported):
read the CSV, learn the preprocessing, fit at ``C=1`` to ``tol``, and its wall time and
peak resident memory (``ru_maxrss`` of the child: imports included). scikit-learn reads
with pandas (``pd.read_csv``), encodes with ``ColumnTransformer(OneHotEncoder(
handle_unknown="ignore"), StandardScaler())`` (CSR out) and fits with each solver it
offers for this problem (``lbfgs``, ``newton-cholesky``, ``liblinear``, ``saga``); the
ratio is ours / the fastest. Both objectives are evaluated on the same design at the
end, so that a fast but loose fit shows.

    python benchmarks/bench_tables.py                 # 50,000 rows, 3 repeats
    python benchmarks/bench_tables.py --rows 200000 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

TEXT = ["name", "street", "product", "referrer"]
NUMERIC = ["amount", "age"]

OURS = """
import json, resource, sys, time, warnings
t0 = time.perf_counter()
import numpy as np
from logistic.training import fit_table
from logistic import DataWarning
warnings.simplefilter("ignore", DataWarning)
res = fit_table(sys.argv[1], "y", C=1.0, tol=float(sys.argv[2]))
seconds = time.perf_counter() - t0
est = res.estimator
np.save(sys.argv[3], np.concatenate([est.coef_.ravel(), est.intercept_]))
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF)
    .ru_maxrss / 1024, "solver": res.solver, "n_iter": int(est.n_iter_[0]),
    "n_features": int(est.coef_.shape[1]), "names": res.preprocessor.feature_names_out}))
"""

PEER = """
import json, resource, sys, time, warnings
t0 = time.perf_counter()
import numpy as np, pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler
text, numeric = {text!r}, {numeric!r}
df = pd.read_csv(sys.argv[1], dtype={{c: str for c in text}}, keep_default_na=False)
ct = ColumnTransformer([("num", StandardScaler(), numeric),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), text)],
                       sparse_threshold=1.0)
X = ct.fit_transform(df[numeric + text])
warnings.simplefilter("ignore")
lr = LogisticRegression(C=1.0, tol=float(sys.argv[2]), solver=sys.argv[4], max_iter=10_000)
lr.fit(X, df["y"].to_numpy())
seconds = time.perf_counter() - t0
np.save(sys.argv[3], np.concatenate([lr.coef_.ravel(), lr.intercept_]))
names = [n.split("__", 1)[1].replace("_", "=", 1) if n.startswith("cat__") else
         n.split("__", 1)[1] for n in ct.get_feature_names_out()]
print(json.dumps({{"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF)
    .ru_maxrss / 1024, "n_iter": int(np.max(lr.n_iter_)), "names": names}}))
"""


def write_table(path: Path, rows: int, levels: int, seed: int) -> dict:
    """The CSV of the benchmark; returns how many distinct values each text column has."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    cols, logit, distinct = {}, np.zeros(rows), {}
    for name in TEXT:
        # half the rows Zipf-like (a few common values), half spread evenly over all
        # `levels` (the long tail of single and rare values)
        ranks = np.minimum(rng.zipf(1.3, size=rows), levels) - 1
        spread = rng.integers(0, levels, size=rows)
        codes = rng.permutation(levels)[np.where(rng.random(rows) < 0.5, ranks, spread)]
        cols[name] = np.char.add(f"{name[:2]}_", codes.astype(str))
        effect = rng.normal(scale=0.8, size=levels)
        logit += effect[codes]
        distinct[name] = int(np.unique(codes).size)
    for name in NUMERIC:
        x = rng.normal(size=rows) * (10 if name == "amount" else 1) + 3
        cols[name] = x
        logit += 0.3 * (x - 3) / (10 if name == "amount" else 1)
    cols["y"] = (rng.random(rows) < 1 / (1 + np.exp(-(logit - logit.mean())))).astype(int)
    pacsv.write_csv(pa.table(cols), path)
    return distinct


def run(script: str, *args) -> dict:
    """One measurement in a fresh process; ``{"error": last line}`` if it failed."""
    out = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True
    )
    if out.returncode:
        lines = out.stderr.strip().splitlines() or [f"exit {out.returncode}"]
        return {"error": lines[-1][:160]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def objective(X, y, coef, intercept, C=1.0) -> float:
    """scikit-learn's (and ours) ``C sum log-loss + ||w||^2 / 2`` over the rows."""
    z = X @ coef + intercept
    return float(C * np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * coef @ coef)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--levels", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solvers", default="lbfgs,newton-cholesky,liblinear,saga")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "wide.csv"
        distinct = write_table(path, args.rows, args.levels, args.seed)
        print(f"{args.rows} rows; distinct values per text column: {distinct}")
        results = {}
        ours = [run(OURS, path, args.tol, tmp / "ours.npy") for _ in range(args.repeats)]
        results["logistic"] = ours
        failed = {}
        for solver in args.solvers.split(","):
            peer = PEER.format(text=TEXT, numeric=NUMERIC)
            first = run(peer, path, args.tol, tmp / f"{solver}.npy", solver)
            if "error" in first:  # e.g. newton-cholesky's dense p x p Hessian
                failed[f"sklearn {solver}"] = first["error"]
                continue
            rest = [
                run(peer, path, args.tol, tmp / f"{solver}.npy", solver)
                for _ in range(args.repeats - 1)
            ]
            results[f"sklearn {solver}"] = [first, *rest]
        if any("error" in r for r in ours):
            raise SystemExit(f"logistic failed: {ours[0].get('error')}")
        # both objectives on our design (the same columns, matched by name)
        import pyarrow.csv as pacsv

        from logistic.tables import TablePreprocessor

        table = pacsv.read_csv(path)
        pre = TablePreprocessor().fit(table, columns=[*TEXT, *NUMERIC])
        X, y = pre.transform(table), table.column("y").to_numpy()
        index = {n: i for i, n in enumerate(pre.feature_names_out)}
        rows = []
        for name, runs in results.items():
            file = tmp / ("ours.npy" if name == "logistic" else f"{name.split()[1]}.npy")
            p = np.load(file)
            coef = np.zeros(X.shape[1])
            names = runs[0]["names"]
            for j, n in enumerate(names):
                coef[index[n]] = p[j]
            med = statistics.median(r["seconds"] for r in runs)
            peak = max(r["peak_mb"] for r in runs)
            rows.append((name, med, peak, objective(X, y, coef, p[-1]), runs[0]))
        best_peer = min(r[1] for r in rows if r[0] != "logistic")
        f_best = min(r[3] for r in rows)
        print()
        print("| fit | seconds (median) | / fastest scikit-learn | peak MB | objective - best |")
        print("|---|---|---|---|---|")
        for name, med, peak, f, first in rows:
            extra = f" ({first['solver']}, {first['n_iter']} it)" if name == "logistic" else ""
            print(
                f"| {name}{extra} | {med:.2f} | {med / best_peer:.2f} | {peak:.0f} | "
                f"{f - f_best:.3g} |"
            )
        for name, error in failed.items():
            print(f"| {name} | failed: {error} | | | |")
        print(
            textwrap.dedent(f"""
            {X.shape[0]} rows x {X.shape[1]} columns, {X.nnz} non-zeros; times are read +
            preprocess + fit in a fresh process (imports included), tol={args.tol:g}.""")
        )


if __name__ == "__main__":
    main()
