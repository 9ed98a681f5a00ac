"""What every solver returns, and the one convergence test they share."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

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
    the wall time since the solve began.
    """

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    step: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.loss)

    def as_dict(self) -> dict[str, list[float]]:
        return {
            "loss": list(self.loss),
            "grad_norm": list(self.grad_norm),
            "step": list(self.step),
            "seconds": list(self.seconds),
        }


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
    """

    x: np.ndarray
    fun: float
    grad_norm: float
    n_iter: int
    converged: bool
    message: str
    history: History
    n_evaluations: int = 0


class Tracker:
    """Records history, calls the user's callback and owns the clock of one solve."""

    def __init__(self, callback=None):
        self.history = History()
        self.callback = callback
        self._t0 = time.perf_counter()

    def record(self, iteration, loss, gnorm, step=0.0) -> None:
        seconds = time.perf_counter() - self._t0
        h = self.history
        h.loss.append(float(loss))
        h.grad_norm.append(float(gnorm))
        h.step.append(float(step))
        h.seconds.append(seconds)
        if self.callback is not None:
            self.callback(
                IterationRecord(iteration, float(loss), float(gnorm), float(step), seconds)
            )
