"""What every solver returns, and the one convergence test they share."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

__all__ = ["History", "IterationRecord", "SolverResult", "Tracker", "grad_norm"]


def grad_norm(g) -> float:
    """The convergence measure of every full-batch solver: ``max_j |g_j|``."""
    return float(np.max(np.abs(g))) if len(g) else 0.0


@dataclass(frozen=True, slots=True)
class IterationRecord:
    """One iteration as the progress bars and plots see it."""

    iteration: int
    loss: float
    grad_norm: float
    step: float
    seconds: float


@dataclass
class History:
    """Per-iteration record of a solve; entry 0 is the starting point.

    ``step`` is the step length taken to reach that iterate (0 at the start), ``seconds``
    the wall time since the solve began, ``iteration`` the iteration each entry records.

    A long solve keeps at most ``max_records`` entries (None: ``DEFAULT_MAX_RECORDS``,
    100,000): when one more would exceed it, only the iterations on a grid twice as
    coarse stay (multiples of 2, then of 4, ...; the latest iteration always stays as the
    last entry), so the curve keeps its shape, evenly sampled, and memory stays bounded
    (a record is ~130 bytes of Python floats: 1e8 gradient descent steps would otherwise
    hold 13 GB). Until then there is one entry per iteration and ``iteration[k] == k``.
    """

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    step: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    iteration: list[int] = field(default_factory=list)
    max_records: int | None = field(default=None, repr=False)
    _stride: int = field(default=1, repr=False, init=False)

    DEFAULT_MAX_RECORDS: ClassVar[int] = 100_000
    _FIELDS: ClassVar[tuple[str, ...]] = ("loss", "grad_norm", "step", "seconds", "iteration")

    def __len__(self) -> int:
        return len(self.loss)

    def _keep(self, keep) -> None:
        for name in self._FIELDS:
            values = getattr(self, name)
            values[:] = [values[k] for k in keep]

    def append(self, iteration, loss, gnorm, step, seconds) -> None:
        """Record one iterate, on the current grid of kept iterations."""
        iters = self.iteration
        if len(iters) > 1 and iters[-1] % self._stride:
            for name in self._FIELDS:  # kept only as the latest: off the grid, it goes
                getattr(self, name).pop()
        self.loss.append(float(loss))
        self.grad_norm.append(float(gnorm))
        self.step.append(float(step))
        self.seconds.append(float(seconds))
        iters.append(int(iteration))
        cap = self.DEFAULT_MAX_RECORDS if self.max_records is None else self.max_records
        if len(iters) > max(3, cap):
            self._stride *= 2
            last = len(iters) - 1
            self._keep([k for k, it in enumerate(iters) if it % self._stride == 0 or k == last])

    def as_dict(self) -> dict[str, list]:
        return {name: list(getattr(self, name)) for name in self._FIELDS}


@dataclass
class SolverResult:
    """The outcome of ``solve``.

    Attributes
    ----------
    x : ndarray of shape (n_params,)
        The final parameters (intercept last when fitted).
    fun : float
        Objective value at ``x``.
    grad_norm : float
        ``max |grad f(x)|`` (projected gradient for constrained or non-smooth problems).
    n_iter : int
        Iterations taken (epochs for stochastic solvers).
    converged : bool
        Whether ``grad_norm <= tol`` was reached.
    message : str
    history : History
    n_evaluations : int
        Passes over the data made (function/gradient/Hessian evaluations).
    solver : str
        The solver that produced ``x``: its name, or ``"a->b"`` when solver ``a`` handed
        the problem over to ``b`` (e.g. ``"newton->lbfgs"``), so that a fitted model says
        what ran.
    """

    x: np.ndarray
    fun: float
    grad_norm: float
    n_iter: int
    converged: bool
    message: str
    history: History
    n_evaluations: int = 0
    solver: str = ""


class Tracker:
    """Records history, calls the user's callback and owns the clock of one solve."""

    def __init__(self, callback=None):
        self.history = History()
        self.callback = callback
        self._t0 = time.perf_counter()

    def record(self, iteration, loss, gnorm, step=0.0) -> None:
        seconds = time.perf_counter() - self._t0
        self.history.append(iteration, loss, gnorm, step, seconds)
        if self.callback is not None:
            self.callback(
                IterationRecord(iteration, float(loss), float(gnorm), float(step), seconds)
            )
