"""The seeds' per-example loop against their vectorised step, on real data.

Times one gradient evaluation (cost, dw, db) of :func:`logistic.reference.gradients_loop`
(seed 004's loop, corrected) and :func:`logistic.reference.gradients_vectorized` (its
vectorised form), and of the library kernel (one pass of :class:`logistic.sources.InMemorySource`), on the
standardised breast-cancer data (569 x 30) and digits (1797 x 64). Reports medians over
repeats and the speed ratio.

    python benchmarks/bench_vectorize.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.preprocessing import StandardScaler

from logistic.reference import gradients_loop, gradients_vectorized
from logistic.sources import InMemorySource


def _median_seconds(fn, repeats, min_time=0.2):
    # Calibrate the inner count so that each repeat lasts at least min_time.
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time or n >= 1 << 20:
            break
        n *= 2
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t0) / n)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)

    data = {}
    X, y = load_breast_cancer(return_X_y=True)
    data["breast_cancer"] = (StandardScaler().fit_transform(X), y.astype(float))
    X, y = load_digits(return_X_y=True)
    data["digits (even/odd)"] = (StandardScaler().fit_transform(X), (y % 2 == 0).astype(float))

    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, numpy {np.__version__}")
    print()
    print("| data | m x n | loop | vectorised | kernel | loop / vectorised | loop / kernel |")
    print("|---|---|---|---|---|---|---|")
    for name, (X, y) in data.items():
        w = np.random.default_rng(0).normal(scale=0.1, size=X.shape[1])
        b = 0.1
        J1, dw1, _ = gradients_loop(X, y, w, b)
        J2, dw2, _ = gradients_vectorized(X, y, w, b)
        assert np.allclose(dw1, dw2, rtol=1e-10) and abs(J1 - J2) < 1e-12
        t_loop = _median_seconds(
            lambda X=X, y=y, w=w, b=b: gradients_loop(X, y, w, b), args.repeats
        )
        t_vec = _median_seconds(
            lambda X=X, y=y, w=w, b=b: gradients_vectorized(X, y, w, b), args.repeats
        )
        src = InMemorySource(X, np.asarray(y, dtype=X.dtype))
        t_ker = _median_seconds(lambda src=src, w=w, b=b: src.stats(w, b), args.repeats)
        print(
            f"| {name} | {X.shape[0]} x {X.shape[1]} | {t_loop * 1e3:.2f} ms | "
            f"{t_vec * 1e6:.1f} us | {t_ker * 1e6:.1f} us | {t_loop / t_vec:.0f}x | "
            f"{t_loop / t_ker:.0f}x |"
        )


if __name__ == "__main__":
    main()
