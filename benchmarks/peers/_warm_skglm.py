"""Imported by the matrix's forkserver: skglm's numba code compiled once, for every child.

skglm compiles its solvers on first call (``numba.njit`` and jitclasses, no on-disk
cache), which takes tens of seconds a process; the forked children inherit the compiled
code. One tiny fit per input layout the matrix gives it (Fortran-ordered float64 and
float32, CSC float64) and per penalty (L1, L1 + L2). skglm's compiled functions run on
one thread, so the fork inherits no thread pool.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .penalised import fit_skglm


def _warm():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 8))
    y = (X[:, 0] + rng.standard_normal(60) > 0).astype(np.float64)
    layouts = [np.asfortranarray(X), np.asfortranarray(X, dtype=np.float32), sp.csc_matrix(X)]
    for Xw in layouts:
        for r in (1.0, 0.5):
            fit_skglm(Xw, y, 1.0, r, 1e-4)


_warm()
