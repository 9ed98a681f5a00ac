"""Solvers behind a registry, chosen by name; ``"auto"`` is resolved by one pure function.

Every solver is a function ``solver(objective, x0, *, tol, max_iter, callback, **options)``
returning a :class:`SolverResult`. Full-batch solvers stop when ``max |grad f| <= tol`` for
the mean-form objective; each records a per-iteration :class:`History`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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

    * ``l1_ratio > 0``: ``"cd"``, proximal Newton with coordinate descent (glmnet's
      method): a handful of passes to a tight tolerance, exact zeros.
    * up to ``_NEWTON_MAX_FEATURES`` features, dense or sparse: ``"newton"`` (Cholesky).
      Its Hessian costs ``m n^2`` flops, about ``n / 25`` passes' time on the reference
      machine (2-core AMD EPYC, OpenBLAS): at n = 100 it takes 6-12 Newton steps, and
      the reused factor makes the last steps one pass each (docs/solvers.md has the
      measurements); L-BFGS needs 50-300 passes at the same tolerance.
    * wider, dense or sparse: ``"newton-cg"``, whose
      Hessian-vector products cost one pass each and never form the ``(n + 1)^2`` matrix.
    """
    del n_samples
    if l1_ratio > 0.0:
        return "cd"
    if n_features <= _NEWTON_MAX_FEATURES:
        return "newton"
    return "newton-cg"


# Widest problem solved by the explicit-Hessian Newton solver (see resolve_auto).
_NEWTON_MAX_FEATURES = 2000


def solve(name, objective, x0, *, tol, max_iter=None, callback=None, **options) -> SolverResult:
    """Minimise ``objective`` from ``x0`` with the solver registered as ``name``."""
    spec = get_solver(name)
    if max_iter is None:
        max_iter = spec.default_max_iter
    start = objective.n_evaluations
    result = spec.func(objective, x0, tol=tol, max_iter=max_iter, callback=callback, **options)
    result.n_evaluations = objective.n_evaluations - start
    return result


# Importing the modules registers the solvers.
from . import cd, gd, lbfgs, newton, sgd  # noqa: E402, F401
