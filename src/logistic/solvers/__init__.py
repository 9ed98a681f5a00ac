"""Solvers behind a registry, chosen by name; ``"auto"`` is resolved by one pure function.

Every solver is a function ``solver(objective, x0, *, tol, max_iter, callback, **options)``
returning a :class:`SolverResult`, registered with what it declares:

- ``options``: the keyword options it takes, with their defaults (anything else passed to
  :func:`solve` is an error naming the accepted ones);
- ``needs``: the capabilities it requires of the objective
  (:data:`logistic.objective.CAPABILITIES`; an objective without one is an error);
- ``handles``: problem features beyond a smooth objective it can minimise (``"l1"``).

Full-batch solvers stop when ``max |grad f| <= tol`` (the minimum-norm subgradient with an
L1 penalty) for the mean-form objective; each records a per-iteration :class:`History`.
When a solver hands the problem over to another, ``SolverResult.solver`` says so
(``"newton->lbfgs"``).

A new solver is a module here with a registered function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .._blas import blas_single_thread
from ..errors import InvalidParameterError
from ._base import History, IterationRecord, SolverResult, grad_norm

__all__ = [
    "SOLVERS",
    "History",
    "IterationRecord",
    "SolverResult",
    "SolverSpec",
    "by_capability",
    "get_solver",
    "grad_norm",
    "register",
    "resolve_auto",
    "solve",
]


@dataclass(frozen=True)
class SolverSpec:
    """A registered solver and what it declares.

    Attributes
    ----------
    name : str
    func : callable
    default_max_iter : int
    options : mapping of str to default
        The keyword options it takes.
    needs : frozenset of str
        Objective capabilities it requires.
    handles : frozenset of str
        Problem features it can minimise beyond a smooth objective: ``"l1"``.
    stochastic : bool
        Whether its iterations are epochs of random mini-batches.
    curvature : bool
        Whether it uses curvature (Hessians, Hessian products or a quasi-Newton model):
        such solvers reach tight tolerances in tens of passes, first-order ones in
        thousands on ill-conditioned problems.
    summary : str
    """

    name: str
    func: Callable[..., SolverResult]
    default_max_iter: int
    options: Mapping[str, object] = field(default_factory=dict)
    needs: frozenset = frozenset()
    handles: frozenset = frozenset()
    stochastic: bool = False
    curvature: bool = False
    summary: str = ""

    @property
    def supports_l1(self) -> bool:
        return "l1" in self.handles


SOLVERS: dict[str, SolverSpec] = {}


def register(
    name,
    *,
    default_max_iter,
    options=None,
    needs=(),
    handles=(),
    stochastic=False,
    curvature=False,
    summary="",
):
    """Decorator adding a solver function to :data:`SOLVERS` under ``name``."""

    def deco(func):
        SOLVERS[name] = SolverSpec(
            name,
            func,
            default_max_iter,
            dict(options or {}),
            frozenset(needs),
            frozenset(handles),
            stochastic,
            curvature,
            summary,
        )
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


def by_capability(*, handles=(), stochastic=None, curvature=None) -> list[str]:
    """Names of the registered solvers that handle every feature in ``handles`` and, where
    given, are (or are not) ``stochastic`` and use ``curvature``; sorted."""
    want = frozenset(handles)
    return sorted(
        name
        for name, spec in SOLVERS.items()
        if want <= spec.handles
        and (stochastic is None or spec.stochastic == stochastic)
        and (curvature is None or spec.curvature == curvature)
    )


def resolve_auto(
    n_samples: int, n_features: int, *, sparse: bool, l1_ratio: float, n_classes: int = 2
) -> str:
    """The solver ``"auto"`` stands for, from the problem's shape, sparsity and penalty.

    The choice weighs the cost of a Hessian against a pass over the data; ``p`` below is
    the number of parameters, ``(n_features + 1) n_out`` with ``n_out`` 1 for two classes
    and ``n_classes`` for more. On the reference machine (docs/solvers.md has the runs)
    one pass over a 1e6 x 100 float64 ``X`` takes 20-50 ms, a full Hessian ``m p^2`` about
    1 s, and Newton's Hessian estimated from 25,000 evenly spaced rows (``newton``'s
    default when ``m`` is large) about 0.03 s:

    * ``l1_ratio > 0``: ``"cd"``, proximal Newton with coordinate descent: on working
      sets of columns where the rows are in memory (every shape, binary or multinomial,
      dense or CSR: docs/solvers.md, "L1 and elastic net", has the runs), on the
      explicit Hessian for streamed and Dask rows; exact zeros.
    * small problems (``m p <= 2e6``, ``p <= 2000``): ``"newton"``; Python overhead per
      pass dominates and Newton needs the fewest passes (breast cancer 9, digits 10 vs
      50-300 for L-BFGS at tight tolerances).
    * sparse: ``"newton"`` for at most 200 parameters (the Hessian ``X^T D X`` is a cheap
      sparse product then), else ``"newton-cg"`` (Hessian-vector products, one pass each,
      no ``p^2`` matrix). CSR 500,000 x 100,000, 50 nonzeros per row, to ``|g| <= 1e-6``:
      Newton-CG 3.1-3.4 s, L-BFGS 31 s; sparse one-hot multinomial designs likewise.
    * dense with ``min(m, max(25_000, 250 p)) * p <= 200 m`` (the, possibly subsampled,
      Hessian costs at most a few passes): ``"newton"``. 1e6 x 100 float64 to a relative
      objective gap of 1e-8: 0.31 s (13 passes), scikit-learn's fastest (lbfgs) 1.10 s.
    * other dense (wide): ``"lbfgs"``. 200,000 x 1,000 to ``|g| <= 1e-5``: L-BFGS 1.05 s
      (9 passes), Newton-CG 3.3 s, Newton with the exact 1001^2 Hessian 47 s.

    More than two classes (:func:`_multinomial_auto`): the softmax Hessian costs
    ``n1^2 K (K - 1) / 2`` flops a row (``n1 = n_features + 1``) against ``4 n1 K`` for a
    pass, ``n1 (K - 1) / 8`` passes a row, so Newton pays only where that ratio is small or
    where it reads a third of the rows or fewer (docs/solvers.md, "Multinomial").
    """
    if l1_ratio > 0.0:
        return "cd"
    if int(n_classes) > 2:
        return _multinomial_auto(
            max(1, int(n_samples)), int(n_features) + 1, int(n_classes), sparse
        )
    n_out = 1
    m, n = max(1, int(n_samples)), (int(n_features) + 1) * n_out
    if m * n <= 2_000_000 and n <= _NEWTON_MAX_FEATURES:
        return "newton"
    if sparse:
        return "newton" if n <= _SPARSE_NEWTON_MAX_FEATURES else "newton-cg"
    if min(m, max(25_000, 250 * n)) * n <= 200 * m and n <= _NEWTON_MAX_FEATURES:
        return "newton"
    return "lbfgs"


def _multinomial_auto(m, n1, K, sparse):
    """``resolve_auto`` for ``K > 2`` classes, ``n1 = n_features + 1``, ``p = n1 K``.

    * small (``m p <= 2e6``, ``p <= 2000``) with ``n1 (K - 1) <= 200`` (a Hessian costs at
      most ~25 passes' flops): ``"newton"``; iris, wine to a relative gap of 1e-8 in 5-14
      ms against L-BFGS's 8-26 ms; digits (``n1 (K - 1) = 585``) is L-BFGS's, 73-495 ms
      against Newton's 294-772 ms.
    * sparse: as for two classes (``"newton"`` up to 200 parameters, else
      ``"newton-cg"``, whose CG is preconditioned by the previous step's pairs).
    * dense, ``p <= 2000``, with Newton's Hessians from a third of the rows or fewer
      (``m >= 3 h``, ``h = max(25_000, 250 p)``: ``newton``'s row sample) whose flops
      ``h n1^2 K (K - 1) / 2`` are at most ten passes'' (``h n1 (K - 1) <= 80 m``):
      ``"newton"``. 200,000 x 50, 5 classes: 3 passes, 1.0 s of CPU against L-BFGS's 1.6-1.8 s
      (16-18 passes), for C in 0.01, 1, 100; 400,000 x 50: 1.5 s against 3.2 s.
    * other dense: ``"lbfgs"``; 25,000 to 100,000 x 50 rows (the exact Hessian over every
      row) L-BFGS takes 0.53-0.57 of Newton's time.
    """
    p = n1 * K
    if m * p <= 2_000_000 and p <= _NEWTON_MAX_FEATURES and n1 * (K - 1) <= 200:
        return "newton"
    if sparse:
        return "newton" if p <= _SPARSE_NEWTON_MAX_FEATURES else "newton-cg"
    h = max(25_000, 250 * p)
    if p <= _NEWTON_MAX_FEATURES and m >= 3 * h and h * n1 * (K - 1) <= 80 * m:
        return "newton"
    return "lbfgs"


# Most parameters solved by the explicit-Hessian Newton solver (see resolve_auto).
_NEWTON_MAX_FEATURES = 2000
# Sparse data: the Hessian X^T D X is formed by a sparse product, cheap for few columns.
_SPARSE_NEWTON_MAX_FEATURES = 200


def solve(name, objective, x0, *, tol, max_iter=None, callback=None, **options) -> SolverResult:
    """Minimise ``objective`` from ``x0`` with the solver registered as ``name``.

    ``options`` must be among those the solver declares; the objective must have the
    capabilities it needs, and an L1 penalty needs a solver that handles ``"l1"``: each is
    a clear :class:`~logistic.errors.InvalidParameterError` otherwise.

    BLAS runs on one thread for the whole solve: the passes over the data bring their own
    threads, and OpenBLAS's threads, woken by the solver's small vector and matrix work
    (SciPy's L-BFGS-B, Cholesky factors), keep spinning and take the cores from the next
    pass (docs/solvers.md).
    """
    spec = get_solver(name)
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        accepted = ", ".join(sorted(spec.options)) or "none"
        raise InvalidParameterError(
            f"solver {name!r} has no option(s) {', '.join(map(repr, unknown))}; it accepts: "
            f"{accepted}."
        )
    missing = sorted(spec.needs - objective.capabilities)
    if missing:
        raise InvalidParameterError(
            f"solver {name!r} needs {', '.join(missing)} of the objective, which its link and "
            f"source do not offer; choose another solver (e.g. 'lbfgs')."
        )
    if objective.l1 > 0.0 and not spec.supports_l1:
        accepted = ", ".join(repr(n) for n in by_capability(handles=("l1",)))
        raise InvalidParameterError(
            f"solver {name!r} cannot minimise an L1 penalty (l1_ratio={objective.l1_ratio!r}); "
            f"with l1_ratio > 0 use one of {accepted}."
        )
    if max_iter is None:
        max_iter = spec.default_max_iter
    start = objective.n_evaluations
    with blas_single_thread():
        result = spec.func(objective, x0, tol=tol, max_iter=max_iter, callback=callback, **options)
    result.n_evaluations = objective.n_evaluations - start
    if not result.solver:
        result.solver = name
    return result


# Importing the modules registers the solvers.
from . import cd, gd, lbfgs, newton, newton_cg, sgd  # noqa: E402, F401
