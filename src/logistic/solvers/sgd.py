"""Mini-batch stochastic gradient descent, as one explicit-state ``(init, update)`` pair.

Each epoch shuffles the rows (``random_state`` seeds the shuffle) and takes one step per
batch of ``batch_size`` rows on an unbiased estimate of the mean-form gradient::

    p <- p - eta_t * g_B(p)

The state of the iteration is explicit (:class:`SGDState`, as in optax's ``init`` /
``update``): :func:`sgd_init` makes it, :func:`sgd_update` takes one step, :func:`sgd_epoch`
one pass of steps over an objective's mini-batches. Both the ``sgd`` solver and
:meth:`logistic.LogisticRegression.partial_fit` run on it; they differ only in the schedule
of ``eta_t``:

``"plateau"`` (the solver)
    ``eta`` starts at ``learning_rate`` or, with ``"auto"``, at ``1 / L`` for the
    full-batch Lipschitz bound ``L``, stays constant within an epoch and is halved after
    every epoch whose averaged iterate did not lower the full objective: a constant rate
    while it makes progress (so that a batch as large as the data is plain gradient
    descent), a decaying one once gradient noise dominates, as stochastic approximation
    needs (Robbins and Monro, 1951; the plateau rule is scikit-learn's
    ``learning_rate="adaptive"`` with halving instead of division by 5).
``"inverse_sqrt"`` (``partial_fit``)
    ``eta_t = eta_0 / sqrt(1 + t / T)`` with ``t`` the steps taken over all calls and
    ``T`` the steps of the first call's epoch: data arrive once, so there is no full
    objective to watch.

The solver's iterates run on uninterrupted; what it reports after each epoch, and returns,
is the Polyak-Ruppert average of that epoch's iterates, which removes most of the noise of
the single steps. After every epoch it evaluates the full objective at that average once
(one more pass), so that the history and the stopping test ``max |grad f| <= tol`` are the
same as for the full-batch solvers.

Stochastic steps suit large, well-conditioned problems and data that arrives over time; on
small ill-conditioned problems (weak penalty) a full-batch solver is far faster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DivergenceError
from . import register
from ._base import SolverResult, Tracker, grad_norm

__all__ = ["SGDState", "sgd", "sgd_epoch", "sgd_init", "sgd_update"]

_SCHEDULES = ("plateau", "inverse_sqrt")


@dataclass
class SGDState:
    """The whole state of mini-batch SGD between steps.

    Attributes
    ----------
    x : ndarray of shape (n_params,)
        The current iterate.
    eta0 : float
        The base learning rate (halved on a plateau by the ``"plateau"`` schedule).
    schedule : {"plateau", "inverse_sqrt"}
    steps_per_epoch : int
        ``T`` of the ``"inverse_sqrt"`` schedule.
    t : int
        Steps taken so far.
    avg : ndarray of shape (n_params,)
        The running average of this epoch's iterates (Polyak-Ruppert).
    k : int
        Steps taken in this epoch.
    """

    x: np.ndarray
    eta0: float
    schedule: str = "plateau"
    steps_per_epoch: int = 1
    t: int = 0
    avg: np.ndarray | None = None
    k: int = 0

    @property
    def learning_rate(self) -> float:
        """``eta_t`` of the next step."""
        if self.schedule == "inverse_sqrt":
            return self.eta0 / np.sqrt(1.0 + self.t / self.steps_per_epoch)
        return self.eta0


def sgd_init(x0, eta0, *, schedule="plateau", steps_per_epoch=1) -> SGDState:
    """A fresh :class:`SGDState` at ``x0`` with base rate ``eta0``."""
    if schedule not in _SCHEDULES:
        raise ValueError(f"schedule={schedule!r} is not one of {_SCHEDULES}.")
    x = np.array(x0, dtype=np.float64)
    return SGDState(x, float(eta0), schedule, max(1, int(steps_per_epoch)), avg=np.zeros_like(x))


def sgd_update(state: SGDState, g) -> SGDState:
    """One step ``x <- x - eta_t g`` along a mini-batch gradient ``g``; updates the epoch's
    running average. Returns ``state`` (updated in place)."""
    state.x = state.x - state.learning_rate * g
    state.t += 1
    state.k += 1
    state.avg += (state.x - state.avg) / state.k
    return state


def sgd_epoch(state: SGDState, objective, batch_size, rng) -> SGDState:
    """One epoch of :func:`sgd_update` over ``objective.minibatches(batch_size, rng)``; the
    running average starts again."""
    state.avg = np.zeros_like(state.x)
    state.k = 0
    for batch in objective.minibatches(batch_size, rng):
        _, g = batch.loss_grad(state.x)
        sgd_update(state, g)
    return state


@register(
    "sgd",
    default_max_iter=1000,
    options={"learning_rate": "auto", "batch_size": 256, "random_state": None},
    needs=("minibatches",),
    stochastic=True,
    summary="mini-batch SGD with a decaying rate and iterate averaging (max_iter = epochs)",
)
def sgd(
    objective,
    x0,
    *,
    tol,
    max_iter,
    callback=None,
    learning_rate="auto",
    batch_size=256,
    random_state=None,
):
    """Minimise by mini-batch SGD with the ``"plateau"`` schedule; ``max_iter`` counts epochs."""
    tracker = Tracker(callback)
    rng = np.random.default_rng(random_state)
    eta0 = 1.0 / objective.lipschitz_bound() if learning_rate == "auto" else float(learning_rate)
    batch_size = int(min(batch_size, objective.n_samples))
    state = sgd_init(x0, eta0)
    x_out = state.x
    f, g = objective.loss_grad(x_out)
    f0 = f
    gn = grad_norm(g)
    tracker.record(0, f, gn)
    best = f
    epoch = 0
    while gn > tol and epoch < max_iter:
        sgd_epoch(state, objective, batch_size, rng)
        epoch += 1
        avg = state.avg
        f_avg, g_avg = objective.loss_grad(avg)
        if not np.isfinite(f_avg) or f_avg > 1e3 * (abs(f0) + 1.0):
            raise DivergenceError(
                f"stochastic gradient descent diverged in epoch {epoch} with "
                f"learning_rate={eta0:g}: the loss went from {f0:.6g} to {f_avg:.6g}. Use a "
                f"smaller learning_rate (for example {eta0 / 10:g}) or learning_rate='auto'."
            )
        x_out, f, g = avg, f_avg, g_avg
        gn = grad_norm(g)
        tracker.record(epoch, f, gn, state.eta0)
        if f >= best:
            state.eta0 *= 0.5
        best = min(best, f)
    converged = gn <= tol
    message = "converged: max|grad| <= tol" if converged else "max_iter (epochs) reached"
    return SolverResult(x_out, f, gn, epoch, converged, message, tracker.history)
