"""Truncated Newton (Newton-CG): conjugate gradients on Hessian-vector products.

The Newton system ``H d = -g`` is solved approximately by conjugate gradients on
Hessian-vector products (:meth:`Objective.hessp`, one pass each, never the ``p^2``
Hessian), stopping at the forcing tolerance ``min(0.5, sqrt(|g|)) |g|`` (Nocedal and
Wright, *Numerical Optimization*, 2nd ed., Algorithm 7.1), or once ``max |H d + g| <= tol
/ 2`` (the residual is the model's next gradient: the step has then done all it can), with
Jacobi preconditioning from the Hessian's diagonal where the objective has it (computed in
the gradient's pass; binomial, docs/solvers.md has why not multinomial) and the Armijo
backtracking shared with ``newton`` (:mod:`logistic.solvers._line_search`). For wide and
sparse data, binary and multinomial.
"""

from __future__ import annotations

import numpy as np

from . import register
from ._base import SolverResult, Tracker, grad_norm
from ._line_search import HandOver, armijo_ok, backtrack, data_eps, rounding_level

__all__ = ["newton_cg"]


def _cg(hessp, g, tol, max_cg, precond=None, enough=0.0):
    """Approximately solve ``H d = -g`` by (preconditioned) conjugate gradients from 0.

    Stops at ``||H d + g||_2 <= tol``, at ``max |H d + g| <= enough`` (the model's next
    gradient already passes the solver's test), or on negative curvature (then returns the
    last iterate, or ``-g`` when there is none), as in Nocedal and Wright's Algorithm 7.1
    (5.3 with the preconditioner). ``precond`` is ``M^-1`` for a diagonal ``M`` (a vector),
    or None.
    """
    d = np.zeros_like(g)
    r = g.copy()  # residual H d + g
    z = r if precond is None else precond * r
    p = -z
    tmp = np.empty_like(g)  # the updates in place: on wide models temporaries are costly
    rz = float(r @ z)
    for _ in range(max_cg):
        if np.sqrt(float(r @ r)) <= tol or np.max(np.abs(r)) <= enough:
            break
        Hp = hessp(p)
        curv = float(p @ Hp)
        if curv <= 0.0:
            if not d.any():
                d = -g.copy()
            break
        alpha = rz / curv
        d += np.multiply(p, alpha, out=tmp)
        r += np.multiply(Hp, alpha, out=tmp)
        z = r if precond is None else precond * r
        rz_new = float(r @ z)
        p *= rz_new / rz
        p -= z  # p = -z + beta p
        rz = rz_new
    return d


@register(
    "newton-cg",
    default_max_iter=100,
    options={"max_cg": None, "memory": 20},
    needs=("hessp",),
    curvature=True,
    summary="truncated Newton: conjugate gradients on Hessian-vector products",
)
def newton_cg(objective, x0, *, tol, max_iter, callback=None, max_cg=None, memory=20):
    """Minimise by truncated Newton (Newton-CG) with an Armijo line search.

    Parameters
    ----------
    objective : Objective
        Needs ``hessp(p, v)`` besides ``loss_grad`` and ``loss``.
    x0 : ndarray of shape (n_params,)
    tol : float
        Stop when ``max |grad f| <= tol``.
    max_iter : int
        Outer (Newton) iterations.
    max_cg : int or None
        Conjugate-gradient iterations per Newton step; None means ``min(n_params, 200)``.
    memory : int, default=20
        Correction pairs of the L-BFGS hand-over after a failed line search.
    """
    tracker = Tracker(callback)
    finish_with_lbfgs = HandOver(objective, "newton-cg", tracker, tol, max_iter, callback, memory)
    x = np.array(x0, dtype=np.float64)
    eps = data_eps(objective)
    # Jacobi preconditioner from the Hessian's diagonal, computed in the gradient's pass
    # (500,000 x 100,000 CSR benchmark: 42 passes -> 22 to tol 1e-7)
    with_diag = "hess_diag" in objective.capabilities

    def evaluate(p):
        if not with_diag:
            return (*objective.loss_grad(p), None)
        f, g, diag = objective.loss_grad_hess_diag(p)
        # M^-1; a zero diagonal entry (a column of zeros, unpenalised) is left unscaled
        return f, g, np.divide(1.0, diag, out=np.ones_like(diag), where=diag > 0)

    f, g, precond = evaluate(x)
    gn = grad_norm(g)
    tracker.record(0, f, gn)
    if max_cg is None:
        max_cg = min(objective.n_params, 200)
    it = 0
    message = "max_iter reached"
    while gn <= tol or it < max_iter:
        if gn <= tol:
            message = "converged: max|grad| <= tol"
            break
        g2 = float(np.linalg.norm(g))
        forcing = min(0.5, np.sqrt(g2)) * g2
        # the residual H d + g is the model's next gradient: once it is below tol / 2 the
        # step has done all a step can do (the superlinear forcing term would ask for more)
        d = _cg(lambda v, x=x: objective.hessp(x, v), g, forcing, max_cg, precond, 0.5 * tol)
        slope = float(g @ d)
        if not slope < 0.0:
            d, slope = -g, -float(g @ g)
        if -0.5 * slope <= rounding_level(f, eps):
            # as in newton: below f's resolution, keep full steps while |g| shrinks
            x_new = x + d
            f_new, g_new, p_new = evaluate(x_new)
            gn_new = grad_norm(g_new)
            if not (np.isfinite(f_new) and gn_new < gn):
                message = "Newton decrement at rounding level: no representable progress left"
                break
            it += 1
            x, f, g, gn, precond = x_new, f_new, g_new, gn_new, p_new
            tracker.record(it, f, gn, float(np.linalg.norm(d)))
            continue
        t = 1.0
        x_new = x + d
        f_new, g_new, p_new = evaluate(x_new)
        if not armijo_ok(f_new, f, t, slope):
            found = backtrack(objective, x, d, f, t, slope)
            if found is None:
                return finish_with_lbfgs(x, it, "the line search failed")
            t, x_new, f_new = found
            f_new, g_new, p_new = evaluate(x_new)
        it += 1
        x, f, g, precond = x_new, f_new, g_new, p_new
        gn = grad_norm(g)
        tracker.record(it, f, gn, t * float(np.linalg.norm(d)))
    converged = gn <= tol
    return SolverResult(x, float(f), gn, it, converged, message, tracker.history)
