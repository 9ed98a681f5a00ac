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

Without a diagonal (multinomial), CG of each Newton step after the first is
preconditioned by the limited-memory BFGS matrix of pairs ``(s, y) = (alpha p, alpha H p)``
kept from the previous step's CG iterations (Morales and Nocedal, "Automatic
preconditioning by limited memory quasi-Newton updating", SIAM J. Optim. 10, 2000). The CG
directions of one step are ``H``-conjugate, so the matrix agrees with that step's ``H`` on
the subspace CG explored, its slowest directions included; near the optimum the next
Hessian is close, and CG spends its products elsewhere. Applying it costs ``4 k n_params``
flops for ``k`` pairs, no pass over the data.
"""

from __future__ import annotations

import numpy as np

from . import register
from ._base import SolverResult, Tracker, grad_norm
from ._line_search import HandOver, armijo_ok, backtrack, data_eps, rounding_level

__all__ = ["newton_cg"]


def _cg(hessp, g, tol, max_cg, precond=None, enough=0.0, pairs=None):
    """Approximately solve ``H d = -g`` by (preconditioned) conjugate gradients from 0.

    Stops at ``||H d + g||_2 <= tol``, at ``max |H d + g| <= enough`` (the model's next
    gradient already passes the solver's test), or on negative curvature (then returns the
    last iterate, or ``-g`` when there is none), as in Nocedal and Wright's Algorithm 7.1
    (5.3 with the preconditioner). ``precond`` is ``M^-1``: a vector (a diagonal ``M``), a
    callable ``r -> M^-1 r``, or None. ``pairs``, a :class:`_Pairs` or None, records the
    steps and their Hessian products.
    """
    if precond is None:
        apply = None
    elif callable(precond):
        apply = precond
    else:
        apply = precond.__mul__
    d = np.zeros_like(g)
    r = g.copy()  # residual H d + g
    z = r if apply is None else apply(r)
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
        if pairs is not None:
            pairs.add(p, Hp, curv)
        d += np.multiply(p, alpha, out=tmp)
        r += np.multiply(Hp, alpha, out=tmp)
        z = r if apply is None else apply(r)
        rz_new = float(r @ z)
        p *= rz_new / rz
        p -= z  # p = -z + beta p
        rz = rz_new
    return d


class _Pairs:
    """Up to ``size`` pairs ``(s, H s)`` of one Newton step's CG directions, evenly spaced
    over its iterations, and the L-BFGS inverse-Hessian product they define.

    When the store is full every other pair is dropped and only every second later one is
    kept, so that the pairs span the whole run (its first directions see the largest
    eigenvalues of ``H``, its last ones the smallest). Each direction is scaled to
    ``s^T H s = 1`` (CG's step sizes do not matter: the update depends on the span).
    """

    def __init__(self, size):
        self.size = max(1, int(size))
        self.s, self.y = [], []
        self.stride = 1
        self.seen = 0

    def add(self, p, Hp, curv):
        self.seen += 1
        if (self.seen - 1) % self.stride:
            return
        scale = 1.0 / np.sqrt(curv)
        self.s.append(p * scale)
        self.y.append(Hp * scale)
        if len(self.s) > self.size:
            self.s, self.y = self.s[::2], self.y[::2]
            self.stride *= 2

    def preconditioner(self):
        """``r -> B^-1 r`` by the two-loop recursion (Nocedal and Wright, Algorithm 7.4),
        ``B`` the BFGS matrix of the pairs from ``gamma I``, ``gamma = s^T y / y^T y`` of
        the last pair; None without pairs."""
        if not self.s:
            return None
        S, Y = np.array(self.s), np.array(self.y)
        rho = 1.0 / np.einsum("ij,ij->i", S, Y)  # 1 by the scaling; kept for clarity
        gamma = float(S[-1] @ Y[-1]) / float(Y[-1] @ Y[-1])
        k = len(S)

        def apply(r):
            q = r.copy()
            a = np.empty(k)
            for i in range(k - 1, -1, -1):
                a[i] = rho[i] * float(S[i] @ q)
                q -= a[i] * Y[i]
            q *= gamma
            for i in range(k):
                q += (a[i] - rho[i] * float(Y[i] @ q)) * S[i]
            return q

        return apply


# The size from which the pairs preconditioner is on by default (see ``pairs``).
_PAIRS_MIN_PARAMS = 1000


@register(
    "newton-cg",
    default_max_iter=100,
    options={"max_cg": None, "memory": 20, "pairs": None},
    needs=("hessp",),
    curvature=True,
    summary="truncated Newton: conjugate gradients on Hessian-vector products",
)
def newton_cg(objective, x0, *, tol, max_iter, callback=None, max_cg=None, memory=20, pairs=None):
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
    pairs : int or None, default=None
        CG pairs kept from one Newton step to precondition the next, where the objective
        offers no Hessian diagonal (module docstring); 0 for plain CG. None: 20 from
        ``_PAIRS_MIN_PARAMS`` parameters on, plain CG below, where CG needs few steps
        anyway and each Newton step then depends only on its point (scikit-learn's
        contract that ``max_iter=2`` equals two warm-started fits of ``max_iter=1``;
        with kept pairs a warm start begins without them).
    """
    if pairs is None:
        pairs = 20 if objective.n_params >= _PAIRS_MIN_PARAMS else 0
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
    last = None  # the previous step's CG pairs
    message = "max_iter reached"
    while gn <= tol or it < max_iter:
        if gn <= tol:
            message = "converged: max|grad| <= tol"
            break
        g2 = float(np.linalg.norm(g))
        forcing = min(0.5, np.sqrt(g2)) * g2
        # the residual H d + g is the model's next gradient: once it is below tol / 2 the
        # step has done all a step can do (the superlinear forcing term would ask for more)
        if not with_diag and pairs > 0:
            kept = _Pairs(pairs)
            precond = last.preconditioner() if last is not None else None
            last = kept
        else:
            kept = None
        d = _cg(lambda v, x=x: objective.hessp(x, v), g, forcing, max_cg, precond, 0.5 * tol, kept)
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
