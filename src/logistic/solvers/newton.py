"""Second-order solvers: Newton with a Cholesky solve, and truncated Newton (Newton-CG).

``newton``
    Each Hessian comes with the gradient from one pass over the data
    (:meth:`Objective.grad_hess`: the kernel forms ``X^T diag(a (1 - a)) X`` by a BLAS
    ``gemm`` on each cache-sized block, from float32 products of scaled columns while the
    equilibrated Hessian is well-conditioned: it only steers). The step ``d = -H^{-1} g``
    is solved by Cholesky (LAPACK ``potrf``/``potrs``); its length comes from an exact
    line search along ``d`` where the source keeps the logits (:meth:`Objective.along`,
    O(m) per trial), and Armijo backtracking is the safeguard.

    Forming ``H`` costs ``m n^2`` flops, several passes' worth of time, while a gradient
    costs one pass. So the factor of ``H`` is *reused* for further steps (the "chord" or
    Shamanskii variant of Newton's method: Kelley, *Solving Nonlinear Equations with
    Newton's Method*, SIAM 2003, section 2.4) as long as a reused step is accepted with
    unit length and shrinks the gradient norm by at least ``reuse_ratio``; otherwise the
    Hessian is recomputed at the current point. Near the optimum the old factor is
    nearly exact, so the last steps cost one pass each instead of a full Hessian.

    Stops when ``max |grad f| <= tol`` (the one test of every full-batch solver), or when
    the Newton decrement ``lambda^2 = g^T H^{-1} g`` is at the rounding level of ``f``
    (no representable progress is left). Falls back to L-BFGS, warm-started from the
    current point, with a :class:`~logistic.errors.ConvergenceWarning`, when the Hessian is
    not positive definite (e.g. ``C = inf`` on separable data) or a line search fails.
    With more than ``max_dense_params`` parameters it runs ``newton-cg`` instead.

``newton-cg``
    Truncated Newton: the Newton system is solved approximately by conjugate gradients on
    Hessian-vector products (:meth:`Objective.hessp`, one pass each), stopping at the
    forcing tolerance ``min(0.5, sqrt(|g|)) |g|`` (Nocedal and Wright, *Numerical
    Optimization*, 2nd ed., Algorithm 7.1), with the same Armijo line search. No
    ``(n + 1)^2`` matrix is formed: for wide and sparse data.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg import LinAlgError
from scipy.linalg.lapack import dpocon, dpotrf, dpotrs

from ..errors import ConvergenceWarning
from . import register
from ._base import SolverResult, Tracker, grad_norm

__all__ = ["newton", "newton_cg"]

_EPS = np.finfo(np.float64).eps
# Armijo sufficient-decrease constant and the backtracking limit.
_ARMIJO = 1e-4
_MAX_HALVINGS = 40
# Above this many parameters "newton" delegates to "newton-cg": the (n+1)^2 Hessian costs
# m n^2 flops per evaluation and n^3 / 3 for the factorisation.
_MAX_DENSE_PARAMS = 2000
# Below this many flops (m n^2) the exact Hessian is cheap: no subsampling.
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
# Exact line search along fresh Newton directions (see _step_length) from this many
# parameters on, to this relative accuracy of phi'.
_LINE_SEARCH_MIN_PARAMS = 16
_LINE_RTOL = 0.1
# One evaluation, then one Newton step on phi' (unverified; Armijo still applies): on breast
# cancer and digits the same iterations as ten trials, ~12 us less per iteration.
_LINE_MAX_TRIALS = 1
# Skip the Hessian at a trial point predicted to be within this factor of tol.
_LAST_STEP_MARGIN = 1.0


def _cholesky(H):
    """Upper Cholesky factor of ``H`` (LAPACK ``potrf`` called directly: scipy's
    ``cho_factor`` wrapper costs ~20 us a call, a tenth of a small fit's iteration).

    Like all of a solve, on one BLAS thread (see :func:`logistic.solvers.solve`)."""
    c, info = dpotrf(H, lower=0, clean=0)
    if info != 0 or not np.all(np.isfinite(c)):
        raise LinAlgError("the Hessian is not positive definite")
    return c


def _cho_solve(c, g):
    x, info = dpotrs(c, g, lower=0)
    if info != 0:  # pragma: no cover - only for invalid arguments
        raise LinAlgError(f"potrs failed (info={info})")
    return x


class _Factor:
    """Cholesky factor ``H = R^T R`` of a Hessian, with what the float32 Gram needs.

    ``scales()`` are the columns' curvature scales ``sqrt(H_jj)`` (the next float32 Gram
    product's ``gram_scale``); ``kappa()`` is the condition number of the equilibrated
    ``G = D^-1 H D^-1`` (``D`` the scales), whose factor is ``R D^-1``, estimated by LAPACK
    ``pocon`` in O(n^2): it bounds how far a float32 product's rounding moves the step.
    """

    __slots__ = ("H", "c")

    def __init__(self, H):
        self.H = H
        self.c = _cholesky(H)

    def solve(self, g):
        """``H^-1 g``."""
        return _cho_solve(self.c, g)

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


def _step_length(phi, slope, *, rtol=_LINE_RTOL, max_trials=_LINE_MAX_TRIALS) -> float:
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


def _rounding_level(f, eps=_EPS) -> float:
    """Changes of ``f`` below this are not representable progress (a few ulps of ``f``;
    ``eps`` that of the arithmetic of the logits, float32's for float32 data)."""
    return 16.0 * eps * max(abs(f), 1e-300)


def _data_eps(objective) -> float:
    """The unit roundoff of the logits ``X w``: float32 data give float32 logits, whose
    rounding moves ``f`` by ~1e-10 on 1e6 x 100, far above float64's resolution of ``f``."""
    dtype = getattr(objective.source, "dtype", np.float64)
    return float(np.finfo(dtype).eps) if np.dtype(dtype).kind == "f" else _EPS


def _armijo_ok(f_new, f, t, slope) -> bool:
    # the rounding allowance keeps the test meaningful when f - f* is near eps |f|
    return np.isfinite(f_new) and f_new <= f + _ARMIJO * t * slope + _rounding_level(f)


def _fallback(objective, x, *, tol, max_iter, callback, tracker, it, reason, warn=True, **options):
    """Finish with L-BFGS from ``x``, warning why Newton stopped (unless ``warn`` is False:
    a planned hand-over, not a failure)."""
    from .lbfgs import lbfgs

    if warn:
        warnings.warn(
            f"newton: {reason} at iteration {it}; continuing with lbfgs from the current point.",
            ConvergenceWarning,
            stacklevel=4,
        )

    def record(r):  # L-BFGS's iterations continue Newton's record (and reach the callback)
        if r.iteration > 0:  # its iteration 0 is Newton's last iterate, recorded already
            tracker.record(it + r.iteration, r.loss, r.grad_norm, r.step)

    res = lbfgs(objective, x, tol=tol, max_iter=max(1, max_iter), callback=record, **options)
    res.history = tracker.history
    res.n_iter = it + res.n_iter
    res.message = f"newton {'stopped' if warn else 'handed over'} ({reason}); lbfgs: {res.message}"
    return res


def _condition_number(H) -> float:
    """``lambda_max / lambda_min`` of the symmetric ``H`` (inf if not positive definite).

    Called inside a solve, on one BLAS thread: with OpenBLAS's threads, left spinning
    after this call, the following 20,000 x 100 L-BFGS fit took 16 ms instead of 9 ms."""
    e = np.linalg.eigvalsh(H)
    return float(e[-1] / e[0]) if e[0] > 0 else np.inf


@register(
    "newton",
    default_max_iter=100,
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
    **options,
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
        (linear, with a ratio about the relative error of the estimate, ``~ sqrt(n /
        rows)``). "auto" is ``max(25_000, 250 n_params)`` when the exact Hessian costs at
        least ``m n^2 = 2e8`` flops; None always uses all rows.
    max_dense_params : int, default=2000
        Above this many parameters run :func:`newton_cg`.
    well_conditioned : float or None, default=50
        When the first (exact) Hessian costs at least ``m p^2 = 1e8`` flops and its
        condition number is at most this, hand over to L-BFGS without a warning: on
        20,000 x 100 Gaussian data (kappa 1.3) L-BFGS reached 1e-8 in 9 ms, Newton in 37 ms
        (four Hessians); on real data (kappa 1.9e3 breast cancer, 3.3e3 digits, 4.2e5
        nycflights13) Newton stays, and L-BFGS there is up to 70x slower. None never hands
        over.
    line_search : bool, default=True
        With at least 16 parameters, the step along a fresh Newton direction from
        :func:`_step_length` (where the objective has ``along``), else the unit step.
    """
    if objective.n_params > max_dense_params:
        return newton_cg(objective, x0, tol=tol, max_iter=max_iter, callback=callback, **options)
    n_rows = int(getattr(objective.source, "n_samples", 0) or 0)
    if hessian_rows == "auto":
        # only where the exact Hessian is expensive (m n^2 >= 2e8 flops, ~10 ms): the
        # exact one converges quadratically, so a cheap one is the better buy
        big = n_rows * objective.n_params**2 >= _SUBSAMPLE_MIN_FLOPS
        hessian_rows = max(25_000, 250 * objective.n_params) if big else None
    step = 1
    if hessian_rows is not None and getattr(objective, "hessian_sampling", False):
        step = n_rows // max(1, int(hessian_rows))
    subsample = step >= 3

    tracker = Tracker(callback)
    x = np.array(x0, dtype=np.float64)
    eps = _data_eps(objective)
    sample_rows = max(1000, 20 * objective.n_params)
    if (
        well_conditioned is not None
        and not subsample
        and getattr(objective, "hessian_sampling", False)
        and n_rows >= 5 * sample_rows
        and objective.n_params <= _MAX_EIG_PARAMS
        and n_rows * objective.n_params**2 >= _HANDOVER_MIN_FLOPS
    ):
        # An expensive Hessian: if the problem is well-conditioned, L-BFGS needs a few
        # more steps but no Hessians (its iterations grow like sqrt(kappa)). kappa is
        # judged on the Hessian at the start from ~sample_rows evenly spaced rows (a
        # fifth of the full Hessian's cost or less; eigvalsh's p^3 less still).
        H_est = objective.subsampled_hessian(x, n_rows // sample_rows, once=True)
        kappa = _condition_number(H_est) if np.all(np.isfinite(H_est)) else np.inf
        if kappa <= well_conditioned:
            return _fallback(
                objective,
                x,
                tol=tol,
                max_iter=max_iter,
                callback=callback,
                tracker=tracker,
                it=0,
                reason=f"well-conditioned: kappa(H) ~ {kappa:.3g} at the start",
                warn=False,
                **options,
            )
    # Float32 Gram products (see _F32_MAX_KAPPA): where the source has them and the
    # product is a large part of an iteration; scaled by the columns' norms at first, then
    # by the last factor's curvature scales; dropped for good once the equilibrated
    # Hessian is too ill-conditioned for them.
    single = (
        objective.float32_gram
        and objective.n_params >= _F32_MIN_PARAMS
        and (n_rows // max(step, 1)) * objective.n_params**2 >= _F32_MIN_FLOPS
    )
    gram_scale = objective.gram_scales(step if subsample else 1) if single else None
    if subsample:
        f, g, H = objective.loss_grad_sampled_hessian(x, step, gram_scale)
    else:
        f, g, H = objective.grad_hess(x, gram_scale)
    H_single = gram_scale is not None  # whether H came from float32 products
    kappa_g, unchecked = None, 0  # the last estimate of kappa(G), factors since
    gn = grad_norm(g)
    tracker.record(0, f, gn)
    # The exact line search costs a pass (two mat-vecs) and O(m) per trial step: worth it
    # where the exact Hessian's m n^2 dominates an iteration
    line_search = line_search and objective.n_params >= _LINE_SEARCH_MIN_PARAMS
    factor = None  # _Factor of the Hessian at the current or an earlier point
    fresh = True  # whether the factor must be (re)computed at the current x
    # Exact mode: evaluate the Hessian together with the gradient at the trial point when
    # the last step was not good enough to reuse its factor (saves a pass per iteration
    # while far from the optimum); the Hessian is skipped once the reused factor works.
    hess_at_trial = not subsample
    # Sampled mode: likewise the sampled Hessian with the trial's gradient (one pass where
    # the source fuses them: a Dask round trip saved per iteration).
    sample_at_trial = subsample
    bad_subsampled = 0
    it = 0
    message = "max_iter reached"

    def bail(reason):
        return _fallback(
            objective,
            x,
            tol=tol,
            max_iter=max_iter - it,
            callback=callback,
            tracker=tracker,
            it=it,
            reason=reason,
            **options,
        )

    while True:
        if not np.isfinite(f) or not np.all(np.isfinite(g)):
            raise FloatingPointError("newton: the objective or its gradient is not finite")
        if gn <= tol:
            message = "converged: max|grad| <= tol"
            break
        if it >= max_iter:
            break
        if fresh:
            if H is None:
                H = (
                    objective.subsampled_hessian(x, step, gram_scale)
                    if subsample
                    else objective.grad_hess(x, gram_scale)[2]
                )
                H_single = gram_scale is not None
            try:
                factor = _Factor(H)
            except (LinAlgError, ValueError):
                if H_single:  # float32 rounding, or a scale gone stale: again in float64
                    single, gram_scale, H = False, None, None
                    continue
                if subsample:  # the sample may be degenerate where the data are not
                    subsample, H = False, None
                    continue
                return bail("the Hessian is not positive definite")
            H = None
            if single:
                scales = factor.scales()
                # kappa grows slowly from one iterate to the next (at most ~10x here):
                # re-estimated at every third factor while it is 100x below the limit
                if kappa_g is None or kappa_g > _F32_RECHECK_KAPPA or unchecked >= 2:
                    kappa_g, unchecked = factor.kappa(scales), 0
                else:
                    unchecked += 1
                if kappa_g <= _F32_MAX_KAPPA:
                    gram_scale = scales
                else:
                    single, gram_scale = False, None
                    if H_single:  # this direction would be off: the Hessian again, exactly
                        continue
        d = -factor.solve(g)
        slope = float(g @ d)  # = -lambda^2 (Newton decrement squared) with a fresh factor
        if not slope < 0.0:
            if fresh and not subsample:
                return bail("no descent direction (Hessian singular)")
            subsample = subsample and fresh is False
            fresh, H = True, None
            continue
        if -0.5 * slope <= _rounding_level(f, eps):
            # f cannot tell better from worse any more (float32 data: their logits' rounding
            # is the limit); the gradient still can. Take the full step while it shrinks
            # the gradient, else stop: nothing left to gain.
            x_new = x + d
            f_new, g_new = objective.loss_grad(x_new)
            gn_new = grad_norm(g_new)
            if not (np.isfinite(f_new) and gn_new < gn):
                message = "Newton decrement at rounding level: no representable progress left"
                break
            it += 1
            tracker.record(it, f_new, gn_new, float(np.linalg.norm(d)))
            x, f, g, gn = x_new, f_new, g_new, gn_new
            fresh = False
            continue
        # The unit step first (Newton's step is accepted near the optimum), or with a
        # fresh factor where the Hessian dominates an iteration, the minimiser along d; the
        # trial evaluation brings the gradient (and the Hessian when we expect to need it).
        t = 1.0
        if fresh and line_search and not subsample:
            phi = objective.along(x, d)
            if phi is not None:
                t = _step_length(phi, slope)
        x_new = x + t * d
        H_new = None
        H_new_single = gram_scale is not None
        if hess_at_trial:
            f_new, g_new, H_new = objective.grad_hess(x_new, gram_scale)
        elif sample_at_trial and subsample:
            f_new, g_new, H_new = objective.loss_grad_sampled_hessian(x_new, step, gram_scale)
        else:
            f_new, g_new = objective.loss_grad(x_new)
        if not _armijo_ok(f_new, f, t, slope):
            if not fresh:
                # the old factor's step failed: recompute the Hessian here instead
                fresh, H = True, None
                hess_at_trial, sample_at_trial = not subsample, subsample
                continue
            while True:
                t *= 0.5
                if t < 0.5**_MAX_HALVINGS:
                    if subsample:
                        subsample, fresh, H = False, True, None
                        break
                    return bail("the line search failed")
                x_new = x + t * d
                f_new = objective.loss(x_new)
                if _armijo_ok(f_new, f, t, slope):
                    break
            if t < 0.5**_MAX_HALVINGS:
                continue
            if subsample:
                f_new, g_new, H_new = objective.loss_grad_sampled_hessian(x_new, step, gram_scale)
            else:
                f_new, g_new, H_new = objective.grad_hess(x_new, gram_scale)
        gn_new = grad_norm(g_new)
        it += 1
        tracker.record(it, f_new, gn_new, t * float(np.linalg.norm(d)))
        good = t == 1.0 and gn_new <= reuse_ratio * gn
        if subsample and fresh and gn_new > 0.5 * gn:
            # a poor estimate (too few rows for this problem): twice, and use all rows
            bad_subsampled += 1
            if bad_subsampled >= 2:
                subsample, H_new = False, None  # H_new was sampled too
        rate = gn_new / gn
        x, f, g, gn = x_new, f_new, g_new, gn_new
        if gn <= tol or it >= max_iter:
            continue
        if H_new is not None:
            H, H_single, fresh = H_new, H_new_single, True  # already paid for: use it
        elif good:
            fresh = False  # keep the old factor: it reduced the gradient well
        else:
            H, fresh = None, True  # computed at the top of the loop (exact or subsampled)
        # A Hessian at the trial point is wasted if the trial converges: skip it when the
        # last step's rate, squared (quadratic convergence), predicts max|grad| <= tol
        # (times _LAST_STEP_MARGIN)
        likely_last = gn * rate * rate <= _LAST_STEP_MARGIN * tol
        hess_at_trial = not good and not subsample and not likely_last
        sample_at_trial = not good and subsample
    converged = gn <= tol
    return SolverResult(x, float(f), gn, it, converged, message, tracker.history)


def _cg(hessp, g, tol, max_cg, precond=None):
    """Approximately solve ``H d = -g`` by (preconditioned) conjugate gradients from 0.

    Stops at ``|H d + g| <= tol`` or on negative curvature (then returns the last iterate,
    or ``-g`` when there is none), as in Nocedal and Wright's Algorithm 7.1 (5.3 with the
    preconditioner). ``precond`` is ``M^-1`` for a diagonal ``M`` (a vector), or None.
    """
    d = np.zeros_like(g)
    r = g.copy()  # residual H d + g
    z = r if precond is None else precond * r
    p = -z
    rz = float(r @ z)
    for _ in range(max_cg):
        if np.sqrt(float(r @ r)) <= tol:
            break
        Hp = hessp(p)
        curv = float(p @ Hp)
        if curv <= 0.0:
            if not d.any():
                d = -g.copy()
            break
        alpha = rz / curv
        d += alpha * p
        r += alpha * Hp
        z = r if precond is None else precond * r
        rz_new = float(r @ z)
        p = -z + (rz_new / rz) * p
        rz = rz_new
    return d


@register(
    "newton-cg",
    default_max_iter=100,
    summary="truncated Newton: conjugate gradients on Hessian-vector products",
)
def newton_cg(objective, x0, *, tol, max_iter, callback=None, max_cg=None, **options):
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
    """
    tracker = Tracker(callback)
    x = np.array(x0, dtype=np.float64)
    eps = _data_eps(objective)
    # Jacobi preconditioner from the Hessian's diagonal, computed in the gradient's pass
    # (500,000 x 100,000 CSR benchmark: 42 passes -> 22 to tol 1e-7), where the
    # objective has it (the binary model; the multinomial one runs plain CG)
    with_diag = getattr(objective, "loss_grad_hess_diag", None)

    def evaluate(p):
        if with_diag is None:
            return (*objective.loss_grad(p), None)
        f, g, diag = with_diag(p)
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
        d = _cg(lambda v, x=x: objective.hessp(x, v), g, forcing, max_cg, precond)
        slope = float(g @ d)
        if not slope < 0.0:
            d, slope = -g, -float(g @ g)
        if -0.5 * slope <= _rounding_level(f, eps):
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
        if not _armijo_ok(f_new, f, t, slope):
            while True:
                t *= 0.5
                if t < 0.5**_MAX_HALVINGS:
                    return _fallback(
                        objective,
                        x,
                        tol=tol,
                        max_iter=max_iter - it,
                        callback=callback,
                        tracker=tracker,
                        it=it,
                        reason="the line search failed",
                        **options,
                    )
                x_new = x + t * d
                f_new = objective.loss(x_new)
                if _armijo_ok(f_new, f, t, slope):
                    break
            f_new, g_new, p_new = evaluate(x_new)
        it += 1
        x, f, g, precond = x_new, f_new, g_new, p_new
        gn = grad_norm(g)
        tracker.record(it, f, gn, t * float(np.linalg.norm(d)))
    converged = gn <= tol
    return SolverResult(x, float(f), gn, it, converged, message, tracker.history)
