"""Reading model files: the cost of the limits, and summary's time against the file's size.

    python benchmarks/bench_model_file.py

1. Parsing a covariance block of k x k numbers (the largest part of a file ``save`` writes)
   with Python's ``json.loads`` and with the limited parser ``load`` uses.
2. ``logistic summary`` of a model whose training record holds one long string (refused by
   the loader past 65,536 characters) or one long list (shown shortened): its time should
   grow no faster than the file.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from logistic._json_limits import parse_document
from logistic.cli import run

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "release-0.1.0"


def parse(k: int) -> None:
    rng = np.random.default_rng(0)
    doc = {"inference": {"cov_params": rng.standard_normal((k, k)).tolist()}}
    raw = (json.dumps(doc, indent=2) + "\n").encode()
    t0 = time.perf_counter()
    json.loads(raw.decode())
    t1 = time.perf_counter()
    parse_document(raw, "bench")
    t2 = time.perf_counter()
    print(
        f"parse k={k}: {len(raw) / 1e6:.1f} MB, json.loads {t1 - t0:.2f} s, "
        f"parse_document {t2 - t1:.2f} s"
    )


def summary(kind: str, size: int, where: Path) -> None:
    doc = json.loads((DATA / "wine_cv_categorical.json").read_text())
    if kind == "string":
        doc["training"]["data_file"] = "a" * size
    else:
        doc["training"]["features"] = [f"col{i:06d}" for i in range(size)]
    path = where / "m.json"
    path.write_text(json.dumps(doc))
    out, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["summary", str(path)])
    seconds = time.perf_counter() - t0
    print(
        f"summary, a {kind} of {size}: {path.stat().st_size / 1e6:.1f} MB file, exit {code}, "
        f"{seconds:.2f} s"
    )


def main() -> None:
    for k in (500, 1000, 2000):
        parse(k)
    with tempfile.TemporaryDirectory() as tmp:
        for n in (2**20, 2**22, 2**24):
            summary("string", n, Path(tmp))
        for n in (50_000, 100_000, 200_000, 400_000):
            summary("list", n, Path(tmp))


if __name__ == "__main__":
    main()
