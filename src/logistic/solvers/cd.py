"""Proximal Newton with coordinate descent: the glmnet / newGLMNET solver for L1 and
elastic-net penalties.

Each outer iteration makes one pass over the data for ``f``, ``g = grad f`` and
``H = hess f`` (the kernel builds them together), then minimises the quadratic model of
``F = f + l1 ||w||_1`` around ``p``::

    q(d) = g . d + d^T H d / 2 + l1 ||w + d||_1

by cyclic coordinate descent, each coordinate in closed form (a soft-threshold)::

    u_j  = soft(w_j - (g_j + (H d)_j - H_jj d_j) / H_jj,  l1 / H_jj),   d_j = u_j - w_j

keeping ``H d`` up to date in ``O(n)`` per coordinate. The direction is then scaled by an
Armijo backtracking on ``F`` with the decrease predicted by the model,
``Delta = g . d + l1 (||w + d||_1 - ||w||_1)`` (Yuan, Ho and Lin, "An improved GLMNET for
L1-regularized logistic regression", JMLR 2012; Friedman, Hastie and Tibshirani, 2010).
Near the optimum the full step is accepted and convergence is quadratic, so a tight
tolerance costs a few more passes, not thousands. Exact zeros come from the soft-threshold.

The explicit Hessian costs ``O(n_features^2)`` memory; this method is for up to a few
thousand features, and is what ``"cd"`` runs on streamed and Dask sources.

Where the rows are in memory (the objective's ``"columns"`` capability) and the compiled
loops are available, ``"cd"`` runs the working-set method of
:mod:`logistic.solvers._cd_ws` instead: the same proximal Newton steps restricted to a
growing set of features ranked by their optimality violation, each model solved by
coordinate descent over the columns of ``X`` (no Hessian, no pass over the features that
stay 0); ``method`` chooses explicitly.
"""

from __future__ import annotations

import numpy as np

from .._kernel._cd import get_kernels
from ..errors import InvalidParameterError
from . import register
from ._base import SolverResult, Tracker
from ._cd_ws import working_set_cd

_ARMIJO = 1e-4
_MAX_BACKTRACK = 40
_ROUNDING = 64 * np.finfo(np.float64).eps


def _soft(v, t):
    """``sign(v) max(|v| - t, 0)``, exactly 0 where ``|v|`` exceeds ``t`` only by rounding:
    a coordinate whose gradient sits on the threshold (e.g. a duplicate of an active
    column) stays at 0 rather than at +-1e-16, whichever order the sums were taken in."""
    excess = abs(v) - t
    return np.sign(v) * excess if excess > _ROUNDING * t else 0.0


def _quadratic_cd(g, H, w_pen, l1, n_pen, max_sweeps, inner_tol):
    """Coordinates descent on ``q(d)``; the first ``n_pen`` coordinates carry ``l1 |w + d|``."""
    n = g.shape[0]
    d = np.zeros(n)
    Hd = np.zeros(n)
    diag = np.maximum(np.diag(H).copy(), 1e-12)
    # Visit the active coordinates: nonzero weights and those whose gradient beats l1.
    active = [j for j in range(n) if j >= n_pen or w_pen[j] != 0.0 or abs(g[j]) > l1 * (1 - 1e-12)]
    for _ in range(max_sweeps):
        biggest = 0.0
        for j in active:
            a = diag[j]
            b = g[j] + Hd[j] - a * d[j]
            if j < n_pen:
                u = _soft(w_pen[j] - b / a, l1 / a)
                dj = u - w_pen[j]
            else:
                dj = -b / a
            delta = dj - d[j]
            if delta != 0.0:
                Hd += H[:, j] * delta
                d[j] = dj
                biggest = max(biggest, abs(delta) * a)
        if biggest <= inner_tol:
            break
    return d


@register(
    "cd",
    default_max_iter=100,
    options={"max_sweeps": 100, "method": "auto"},
    needs=("hessian",),
    curvature=True,
    handles=("l1",),
    summary="proximal Newton with coordinate descent (glmnet), for L1 and elastic net",
)
def proximal_newton_cd(
    objective, x0, *, tol, max_iter, callback=None, max_sweeps=100, method="auto"
):
    """Minimise ``F = f + l1 ||w||_1`` by proximal Newton steps solved by coordinate descent.

    Parameters
    ----------
    objective : Objective
    x0 : ndarray of shape (n_params,)
    tol : float
        Stop when the minimum-norm subgradient of ``F`` is ``<= tol``.
    max_iter : int
        Outer (Newton) iterations; each is one pass over the data, plus one per backtrack.
    max_sweeps : int
        Coordinate sweeps per quadratic model at most.
    method : {"auto", "working-set", "hessian"}
        "working-set": :mod:`logistic.solvers._cd_ws` (needs the ``"columns"``
        capability and the compiled loops); "hessian": the explicit Hessian's model (module
        docstring); "auto": the working sets where they can run.
    """
    if method not in ("auto", "working-set", "hessian"):
        raise InvalidParameterError(
            f"method={method!r} is not a method of solver 'cd'; accepted: 'auto', "
            "'working-set', 'hessian'."
        )
    kernels = get_kernels() if method != "hessian" else None
    if kernels is not None and "columns" in objective.capabilities:
        return working_set_cd(
            objective,
            x0,
            tol=tol,
            max_iter=max_iter,
            callback=callback,
            kernels=kernels,
            max_sweeps=max_sweeps,
        )
    if method == "working-set":
        raise InvalidParameterError(
            "method='working-set' of solver 'cd' needs rows in memory and numba; "
            "this objective has neither or one of them: use method 'auto' or 'hessian'."
        )
    tracker = Tracker(callback)
    n_pen = objective.n_coef
    l1 = objective.l1
    x = np.array(x0, dtype=np.float64)
    f, g, H = objective.grad_hess(x)
    F = f + objective.penalty_l1(x)
    gn = objective.optimality(x, g)
    tracker.record(0, F, gn)
    it = 0
    message = "max_iter reached"
    while gn > tol and it < max_iter:
        # Solve the model more accurately as the outer iterations converge.
        inner_tol = max(min(0.1 * gn, 1e-2 * gn**0.5), 1e-3 * tol)
        d = _quadratic_cd(g, H, x[:n_pen], l1, n_pen, max_sweeps, inner_tol)
        # The model's predicted decrease, summed per coordinate so it does not cancel.
        w = x[:n_pen]
        delta = float(g @ d) + l1 * float(np.sum(np.abs(w + d[:n_pen]) - np.abs(w)))
        if not delta < 0.0:
            message = "no descent direction left at float64 resolution"
            break
        alpha = 1.0
        # A decrease below the rounding of F cannot be seen by a line search; there the
        # model is exact to rounding too (the quadratic region), so take the full step.
        trust_model = -delta <= _ROUNDING * max(1.0, abs(F))
        for _ in range(0 if trust_model else _MAX_BACKTRACK):
            x_try = x + alpha * d
            f_try = objective.loss(x_try)
            F_try = f_try + objective.penalty_l1(x_try)
            if F_try <= F + _ARMIJO * alpha * delta:
                break
            alpha *= 0.5
        else:
            if not trust_model:
                message = "line search failed: no decrease at float64 resolution"
                break
        x = x + alpha * d
        it += 1
        f, g, H = objective.grad_hess(x)
        F = f + objective.penalty_l1(x)
        gn = objective.optimality(x, g)
        tracker.record(it, F, gn, alpha * float(np.max(np.abs(d))))
    converged = gn <= tol
    if converged:
        message = "converged: max|subgradient| <= tol"
    return SolverResult(x, F, gn, it, converged, message, tracker.history)
