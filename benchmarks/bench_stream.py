"""Out-of-core fit: stream a large float32 Parquet file with bounded memory.

Writes (once, then reuses) a Parquet file of ``--size-gb`` GB of random-but-deterministic
float32 features (standard normal, ``--n-features`` columns) and labels drawn from a
logistic model, then, in a fresh interpreter so that the peak is the fit's own, fits
``LogisticRegression`` on it through :class:`logistic.sources.stream.StreamSource` and
reports: the time of the initial scan, the seconds and GB/s of one ``stats`` pass, the fit's
time, passes and iterations, and the peak resident memory (``VmHWM`` of ``/proc/self/status``)
beside the resident memory after the imports. The claim checked: peak RSS < 1 GB for a
file of >= 3 GB.

    python benchmarks/bench_stream.py                       # 0.5 GB, quick
    python benchmarks/bench_stream.py --size-gb 3 --keep    # the 3 GB run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS_PER_GROUP = 131_072


def write_file(path: Path, size_gb: float, n_features: int, seed: int = 0) -> dict:
    """Write ``size_gb`` GB of float32 features plus an int8 label column, row group by group."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n_rows = int(size_gb * 1e9 / (4 * n_features))
    n_rows -= n_rows % 1024
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal(n_features) / np.sqrt(n_features)).astype(np.float32)
    names = [f"x{j}" for j in range(n_features)]
    schema = pa.schema([(c, pa.float32()) for c in names] + [("y", pa.int8())])
    t0 = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    with pq.ParquetWriter(tmp, schema, compression="none", use_dictionary=False) as writer:
        for start in range(0, n_rows, ROWS_PER_GROUP):
            m = min(ROWS_PER_GROUP, n_rows - start)
            X = rng.standard_normal((m, n_features), dtype=np.float32)
            p = 1.0 / (1.0 + np.exp(-(X @ w + 0.25)))
            y = (rng.random(m) < p).astype(np.int8)
            cols = {c: X[:, j] for j, c in enumerate(names)}
            writer.write_table(pa.table({**cols, "y": y}))
    tmp.rename(path)
    return {"rows": n_rows, "write_seconds": time.perf_counter() - t0}


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1])
    return -1


def child(path: str, batch_size: int, solver: str, tol: float, max_iter: int) -> None:
    """Runs in a fresh interpreter: scan, one timed pass, a fit; prints one JSON line."""
    from logistic import LogisticRegression
    from logistic.sources.stream import StreamSource

    base_kb = _rss_kb("VmRSS")
    t0 = time.perf_counter()
    src = StreamSource(path, "y", batch_size=batch_size)
    scan = time.perf_counter() - t0
    w = np.zeros(src.n_features)
    t0 = time.perf_counter()
    src.stats(w, 0.0, need_grad=True)
    one_pass = time.perf_counter() - t0
    est = LogisticRegression(solver=solver, tol=tol, max_iter=max_iter)
    t0 = time.perf_counter()
    est.fit_source(src)
    fit = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "n_samples": src.n_samples,
                "n_features": src.n_features,
                "dtype": str(src.dtype),
                "scan_seconds": scan,
                "pass_seconds": one_pass,
                "fit_seconds": fit,
                "fit_passes": int(est.result_.n_evaluations),
                "n_iter": int(est.n_iter_[0]),
                "converged": bool(est.converged_),
                "final_grad_norm": float(est.history_.grad_norm[-1]),
                "rss_after_imports_mb": base_kb / 1024,
                "peak_rss_mb": _rss_kb("VmHWM") / 1024,
            }
        )
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=0.5)
    parser.add_argument("--n-features", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=65_536)
    parser.add_argument("--solver", default="lbfgs")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where the file is written")
    parser.add_argument("--keep", action="store_true", help="keep the file for the next run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.batch_size, args.solver, args.tol, args.max_iter)
        return

    path = Path(args.dir) / f"logistic-bench-{args.size_gb:g}gb-{args.n_features}f.parquet"
    info = {"file": str(path)}
    if not path.exists():
        info.update(write_file(path, args.size_gb, args.n_features))
    info["file_gb"] = os.path.getsize(path) / 1e9
    try:
        out = subprocess.run(
            [
                sys.executable, __file__, "--child", str(path),
                "--batch-size", str(args.batch_size), "--solver", args.solver,
                "--tol", str(args.tol), "--max-iter", str(args.max_iter),
            ],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)
    info.update(json.loads(out.stdout.strip().splitlines()[-1]))
    info["pass_gb_per_s"] = info["file_gb"] / info["pass_seconds"]
    info["peak_rss_below_1gb"] = info["peak_rss_mb"] < 1024
    for key, value in info.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value
        print(f"{key:>22}: {shown}")


if __name__ == "__main__":
    main()
