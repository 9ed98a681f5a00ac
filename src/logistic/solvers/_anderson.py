"""Anderson acceleration of Newton steps with a kept (sampled) Hessian factor.

Used by :func:`logistic.solvers.newton` after a warm start from a row sample, where the
factor of a sampled Hessian is kept for every remaining step: the iteration is then linear
(a fixed preconditioner), and combining its iterates converges at a Krylov method's rate
instead of the contraction's (Walker and Ni, "Anderson acceleration for fixed-point
iterations", SIAM J. Numer. Anal. 49, 2011).
"""

from __future__ import annotations

import numpy as np

__all__ = ["anderson"]

# Iterates of one factor that a step combines.
MEMORY = 6


def anderson(memory, x, g, r):
    """The step ``r = -H_s^{-1} g`` of the kept factor, accelerated by the earlier iterates
    of the same factor (Anderson mixing, type II, in the ``H_s`` norm).

    With a fixed factor the iteration ``x <- x + r(x)`` is linear near the optimum, with the
    contraction ``I - H_s^{-1} H``. For the differences ``dX``, ``dG``, ``dR`` of the
    memory's iterates (columns), ``gamma`` minimises ``||r - dR gamma||`` in the ``H_s``
    norm; as ``H_s dR = -dG``, its normal equations are ``(dR^T dG) gamma = dG^T r``, no
    solve with ``H_s`` beyond the one for ``r``. The step is ``r - (dX + dR) gamma``: the
    best combination of the iterates, then the fixed-point step from it (the Krylov
    subspace of the contraction: GMRES for a linear problem).
    """
    memory.append((x, g, r))
    del memory[:-MEMORY]
    if len(memory) < 2:
        return r
    X, G, R = (np.diff(np.array(col), axis=0).T for col in zip(*memory, strict=True))
    gamma = np.linalg.lstsq(R.T @ G, G.T @ r, rcond=1e-12)[0]
    d = r - (X + R) @ gamma
    return d if np.all(np.isfinite(d)) else r
