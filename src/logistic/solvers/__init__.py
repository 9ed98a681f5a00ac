"""Solvers behind a registry, chosen by name; ``"auto"`` is resolved by one pure function.

Every solver is a function ``solver(objective, x0, *, tol, max_iter, callback, **options)``
returning a :class:`SolverResult`. Full-batch solvers stop when ``max |grad f| <= tol`` for
the mean-form objective; each records a per-iteration :class:`History`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .._blas import blas_single_thread
from ..errors import InvalidParameterError
from ._base import History, IterationRecord, SolverResult, grad_norm

__all__ = [
    "SOLVERS",
    "History",
    "IterationRecord",
    "SolverResult",
    "SolverSpec",
    "get_solver",
    "grad_norm",
    "register",
    "resolve_auto",
    "solve",
]


@dataclass(frozen=True)
class SolverSpec:
    """A registered solver and what it supports."""

    name: str
    func: Callable[..., SolverResult]
    default_max_iter: int
    stochastic: bool = False
    supports_l1: bool = False
    summary: str = ""


SOLVERS: dict[str, SolverSpec] = {}


def register(name, *, default_max_iter, stochastic=False, supports_l1=False, summary=""):
    """Decorator adding a solver function to :data:`SOLVERS` under ``name``."""

    def deco(func):
        SOLVERS[name] = SolverSpec(name, func, default_max_iter, stochastic, supports_l1, summary)
        return func

    return deco


def get_solver(name: str) -> SolverSpec:
    """The :class:`SolverSpec` for ``name``; a clear error listing the accepted names."""
    try:
        return SOLVERS[name]
    except (KeyError, TypeError):
        accepted = ", ".join(repr(n) for n in ["auto", *sorted(SOLVERS)])
        raise InvalidParameterError(
            f"solver={name!r} is not a known solver; accepted: {accepted}."
        ) from None


def resolve_auto(n_samples: int, n_features: int, *, sparse: bool, l1_ratio: float) -> str:
    """The solver ``"auto"`` stands for, from the problem's shape, sparsity and penalty.

    The choice weighs the cost of a Hessian against a pass over the data. On the
    reference machine (2-core AMD EPYC, OpenBLAS; docs/solvers.md has the runs) one pass
    over a 1e6 x 100 float64 ``X`` takes 20-50 ms (shared machine), a full Hessian
    ``m n^2`` about 1 s, and Newton's Hessian estimated from 25,000 evenly spaced rows
    (``newton``'s default when ``m`` is large) about 0.03 s:

    * ``l1_ratio > 0``: ``"cd"``, proximal Newton with coordinate descent (glmnet's
      method): a handful of passes to a tight tolerance, exact zeros.
    * small problems (``m n <= 2e6``): ``"newton"``; Python overhead per pass dominates
      and Newton needs the fewest passes (breast cancer 9, digits 10 vs 50-300 for L-BFGS
      at tight tolerances).
    * dense with ``min(m, max(25_000, 250 n)) * n <= 200 m`` (the, possibly subsampled,
      Hessian costs at most a few passes): ``"newton"``. 1e6 x 100 float64 to a relative
      objective gap of 1e-8: 0.31 s (13 passes), scikit-learn's fastest (lbfgs) 1.10 s.
    * other dense (wide): ``"lbfgs"``. 200,000 x 1,000 to ``|g| <= 1e-5``: L-BFGS 1.05 s
      (9 passes), Newton-CG 3.3 s, Newton with the exact 1001^2 Hessian 47 s (10 s per
      Hessian).
    * other sparse: ``"newton-cg"`` (Hessian-vector products, one pass each, no
      ``(n + 1)^2`` matrix). CSR 500,000 x 100,000, 50 nonzeros per row, to
      ``|g| <= 1e-6``: Newton-CG 7.3 s, L-BFGS 31 s (before the direct CSR kernels; 3.1-3.4
      s for Newton-CG since).
    """
    if l1_ratio > 0.0:
        return "cd"
    m, n = max(1, int(n_samples)), int(n_features) + 1
    if m * n <= 2_000_000 and n <= _NEWTON_MAX_FEATURES:
        return "newton"
    if sparse:
        return "newton" if n <= _SPARSE_NEWTON_MAX_FEATURES else "newton-cg"
    if min(m, max(25_000, 250 * n)) * n <= 200 * m and n <= _NEWTON_MAX_FEATURES:
        return "newton"
    return "lbfgs"


# Widest problem solved by the explicit-Hessian Newton solver (see resolve_auto).
_NEWTON_MAX_FEATURES = 2000
# Sparse data: the Hessian X^T D X is formed by a sparse product, cheap for few columns.
_SPARSE_NEWTON_MAX_FEATURES = 200


def solve(name, objective, x0, *, tol, max_iter=None, callback=None, **options) -> SolverResult:
    """Minimise ``objective`` from ``x0`` with the solver registered as ``name``.

    BLAS runs on one thread for the whole solve: the passes over the data bring their own
    threads, and OpenBLAS's threads, woken by the solver's small vector and matrix work
    (SciPy's L-BFGS-B, Cholesky factors), keep spinning and take the cores from the next
    pass (200,000 x 1,000 L-BFGS: evaluations went from 50 ms to 75-90 ms after the
    fourth iteration; the fit 0.60 s -> 0.45 s with one BLAS thread).
    """
    spec = get_solver(name)
    if max_iter is None:
        max_iter = spec.default_max_iter
    start = objective.n_evaluations
    with blas_single_thread():
        result = spec.func(objective, x0, tol=tol, max_iter=max_iter, callback=callback, **options)
    result.n_evaluations = objective.n_evaluations - start
    return result


# Importing the modules registers the solvers.
from . import cd, gd, lbfgs, newton, sgd  # noqa: E402, F401
