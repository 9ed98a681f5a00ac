"""L-BFGS-B from SciPy on the mean-form objective, one pass over the data per evaluation."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from . import register
from ._base import SolverResult, Tracker, grad_norm


@register(
    "lbfgs",
    default_max_iter=1000,
    options={"memory": 20},
    curvature=True,
    summary="limited-memory BFGS (SciPy's L-BFGS-B)",
)
def lbfgs(objective, x0, *, tol, max_iter, callback=None, memory=20):
    """Minimise with SciPy's L-BFGS-B.

    SciPy's ``gtol`` is exactly our convergence test (``max |projected grad| <= tol``); its
    relative-decrease test ``ftol`` is set to machine precision, like scikit-learn does, so
    that the gradient test decides. ``memory`` is the number of correction pairs kept.
    """
    tracker = Tracker(callback)
    last = {}

    def fun(x):
        f, g = objective.loss_grad(x)
        last["x"], last["f"], last["g"] = x.copy(), f, g
        return f, g

    iteration = [0]
    prev = [np.array(x0, dtype=np.float64)]

    def on_iter(intermediate_result):
        x = intermediate_result.x
        if "x" in last and np.array_equal(x, last["x"]):
            f, g = last["f"], last["g"]
        else:  # pragma: no cover - SciPy reports the last evaluated point
            f, g = objective.loss_grad(x)
        iteration[0] += 1
        step = float(np.linalg.norm(x - prev[0]))
        prev[0] = x.copy()
        tracker.record(iteration[0], f, grad_norm(g), step)

    x0 = np.array(x0, dtype=np.float64)
    f0, g0 = fun(x0)
    tracker.record(0, f0, grad_norm(g0))
    if grad_norm(g0) <= tol:
        return SolverResult(x0, f0, grad_norm(g0), 0, True, "converged at start", tracker.history)
    if max_iter == 0:  # SciPy would take one step (its maxiter counts from 1)
        return SolverResult(x0, f0, grad_norm(g0), 0, False, "max_iter reached", tracker.history)
    res = minimize(
        fun,
        x0,
        method="L-BFGS-B",
        jac=True,
        callback=on_iter,
        options={
            "maxiter": max_iter,
            "maxfun": max(15_000, 2 * max_iter),
            "gtol": tol,
            "ftol": 0.0,
            "maxcor": memory,
            "maxls": 50,
        },
    )
    x = res.x
    if "x" in last and np.array_equal(x, last["x"]):
        f, g = last["f"], last["g"]
    else:
        f, g = objective.loss_grad(x)
    gn = grad_norm(g)
    converged = gn <= tol
    message = str(res.message)
    if not converged and "REDUCTION OF F" in message:
        # ftol=0: L-BFGS-B stops only when f did not decrease at all, i.e. the gradient is
        # too small for any step to change f in float64 (tol below about sqrt(eps) |f|).
        message = "the objective stopped decreasing at float64 resolution before max|grad| <= tol"
    return SolverResult(x, float(f), gn, int(res.nit), converged, message, tracker.history)
