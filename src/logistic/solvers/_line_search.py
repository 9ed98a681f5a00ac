"""Step lengths along a descent direction, and the hand-over to L-BFGS, shared by the
second-order solvers (``newton``, ``newton-cg``)."""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import ConvergenceWarning

__all__ = [
    "MAX_HALVINGS",
    "HandOver",
    "armijo_ok",
    "backtrack",
    "data_eps",
    "exact_step",
    "rounding_level",
]

_EPS = np.finfo(np.float64).eps
# Armijo sufficient-decrease constant and the backtracking limit.
_ARMIJO = 1e-4
MAX_HALVINGS = 40
# Exact line search: stop at this relative accuracy of phi'; one evaluation, then one
# Newton step on phi' (unverified; Armijo still applies): on breast cancer and digits the
# same iterations as ten trials, ~12 us less per iteration.
_LINE_RTOL = 0.1
_LINE_MAX_TRIALS = 1


def rounding_level(f, eps=_EPS) -> float:
    """Changes of ``f`` below this are not representable progress (a few ulps of ``f``;
    ``eps`` that of the arithmetic of the logits, float32's for float32 data)."""
    return 16.0 * eps * max(abs(f), 1e-300)


def data_eps(objective) -> float:
    """The unit roundoff of the logits ``X w``: float32 data give float32 logits, whose
    rounding moves ``f`` by ~1e-10 on 1e6 x 100, far above float64's resolution of ``f``."""
    dtype = objective.dtype
    return float(np.finfo(dtype).eps) if np.dtype(dtype).kind == "f" else _EPS


def armijo_ok(f_new, f, t, slope) -> bool:
    """Armijo's sufficient decrease ``f_new <= f + c t slope``, within the rounding of ``f``."""
    # the rounding allowance keeps the test meaningful when f - f* is near eps |f|
    return np.isfinite(f_new) and f_new <= f + _ARMIJO * t * slope + rounding_level(f)


def backtrack(objective, x, d, f, t, slope):
    """Halve ``t`` until ``x + t d`` passes Armijo's test: ``(t, x_new, f_new)``, or None
    when ``t`` falls below ``0.5**MAX_HALVINGS`` (one loss evaluation a halving)."""
    while True:
        t *= 0.5
        if t < 0.5**MAX_HALVINGS:
            return None
        x_new = x + t * d
        f_new = objective.loss(x_new)
        if armijo_ok(f_new, f, t, slope):
            return t, x_new, f_new


def exact_step(phi, slope, *, rtol=_LINE_RTOL, max_trials=_LINE_MAX_TRIALS) -> float:
    """``t`` near the minimiser of the convex ``phi(t) = f(x + t d)``, ``phi'(0) = slope < 0``.

    Safeguarded Newton on ``phi'(t) = 0`` from ``t = 1`` (``phi`` returns both
    derivatives), at most ``max_trials`` evaluations: stops when ``|phi'(t)| <= rtol
    |phi'(0)|`` (near the optimum ``t = 1`` passes at once) or the step changes ``t`` by
    less than ``rtol t``, else returns the last Newton iterate. That iterate replaces a
    bracket end (``phi'(t) < 0``: the lower), stays inside the bracket (bisection), and
    grows at most 4x while there is no upper end. The caller's Armijo test still applies.
    """
    lo, hi, t = 0.0, np.inf, 1.0
    for _ in range(max_trials):
        d1, d2 = phi(t)
        if not np.isfinite(d1):
            hi = t
            t = 0.5 * (lo + hi)
            continue
        if abs(d1) <= rtol * abs(slope):
            return t
        if d1 < 0.0:
            lo = t
        else:
            hi = t
        t_new = t - d1 / d2 if d2 > 0.0 else np.inf
        if np.isinf(hi):
            t_new = min(t_new, 4.0 * t)
        elif not lo < t_new < hi:
            t_new = 0.5 * (lo + hi)
        if abs(t_new - t) <= rtol * t:
            return t_new
        t = t_new
    return t


class HandOver:
    """Finishing a second-order solve with L-BFGS from where it stopped.

    Made once per solve with what does not change (the solver's ``name``, its ``tracker``,
    ``tol``, ``max_iter``, ``callback`` and L-BFGS's ``memory``); called with the iterate
    ``x`` and the iterations ``it`` taken so far. With ``warn`` (a failure: the Hessian is
    not positive definite, a line search failed) a
    :class:`~logistic.errors.ConvergenceWarning` says why; without (a planned hand-over)
    nothing. L-BFGS's iterations continue the same record (and reach the callback as they
    happen); the result's ``solver`` is ``"name->lbfgs"``.
    """

    def __init__(self, objective, name, tracker, tol, max_iter, callback, memory=20):
        self.objective, self.name, self.tracker = objective, name, tracker
        self.tol, self.max_iter, self.callback, self.memory = tol, max_iter, callback, memory

    def __call__(self, x, it, reason, warn=True):
        from .lbfgs import lbfgs

        name, tracker = self.name, self.tracker
        if warn:
            warnings.warn(
                f"{name}: {reason} at iteration {it}; continuing with lbfgs from the current "
                "point.",
                ConvergenceWarning,
                stacklevel=4,
            )

        def record(r):  # L-BFGS's iteration 0 is this solver's last iterate, recorded already
            if r.iteration > 0:
                tracker.record(it + r.iteration, r.loss, r.grad_norm, r.step)

        res = lbfgs(
            self.objective,
            x,
            tol=self.tol,
            # A failed iteration spends one of the budget (as scikit-learn's hand-over
            # does) without counting in n_iter, which counts the steps taken.
            max_iter=max(0, self.max_iter - it - int(warn)),
            callback=record,
            memory=self.memory,
        )
        res.history = tracker.history
        res.n_iter = it + res.n_iter
        how = "stopped" if warn else "handed over"
        res.message = f"{name} {how} ({reason}); lbfgs: {res.message}"
        res.solver = f"{name}->lbfgs"
        return res
