"""Mini-batch stochastic gradient descent.

Each epoch shuffles the rows (``random_state`` seeds the shuffle) and takes one step per
batch of ``batch_size`` rows on an unbiased estimate of the mean-form gradient::

    p <- p - eta_t * g_B(p),        eta_t = eta_0 / sqrt(1 + t / n_batches)

(``t`` counts steps, so the rate halves after three epochs and keeps decaying, as
stochastic approximation needs: sum eta_t = inf, and the averaged iterate converges;
Robbins and Monro, 1951; Polyak and Juditsky, 1992). ``eta_0`` is ``learning_rate`` or,
with ``"auto"``, ``1 / L`` for the full-batch Lipschitz bound ``L``.

The solver returns the Polyak-Ruppert average of the iterates of the last epoch, which
removes most of the noise of the final steps. After every epoch it evaluates the full
objective once (one more pass) so that the history and the stopping test
``max |grad f| <= tol`` are the same as for the full-batch solvers.
"""

from __future__ import annotations

import numpy as np

from ..errors import DivergenceError
from . import register
from ._base import SolverResult, Tracker, grad_norm


@register(
    "sgd",
    default_max_iter=1000,
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
    **_,
):
    """Minimise by mini-batch SGD; ``max_iter`` counts epochs."""
    tracker = Tracker(callback)
    rng = np.random.default_rng(random_state)
    eta0 = 1.0 / objective.lipschitz_bound() if learning_rate == "auto" else float(learning_rate)
    batch_size = int(min(batch_size, objective.source.n_samples))
    n_batches = -(-objective.source.n_samples // batch_size)
    x = np.array(x0, dtype=np.float64)
    f, g = objective.loss_grad(x)
    f0 = f
    gn = grad_norm(g)
    tracker.record(0, f, gn)
    t = 0
    epoch = 0
    while gn > tol and epoch < max_iter:
        avg = np.zeros_like(x)
        k = 0
        for batch in objective.minibatches(batch_size, rng):
            _, gb = batch.loss_grad(x)
            eta = eta0 / np.sqrt(1.0 + t / n_batches)
            x = x - eta * gb
            t += 1
            k += 1
            avg += (x - avg) / k
        epoch += 1
        f_avg, g_avg = objective.loss_grad(avg)
        if not np.isfinite(f_avg) or f_avg > 1e3 * (abs(f0) + 1.0):
            raise DivergenceError(
                f"stochastic gradient descent diverged in epoch {epoch} with "
                f"learning_rate={eta0:g}: the loss went from {f0:.6g} to {f_avg:.6g}. Use a "
                f"smaller learning_rate (for example {eta0 / 10:g}) or learning_rate='auto'."
            )
        x, f, g = avg, f_avg, g_avg
        gn = grad_norm(g)
        tracker.record(epoch, f, gn, eta)
    converged = gn <= tol
    message = "converged: max|grad| <= tol" if converged else "max_iter (epochs) reached"
    return SolverResult(x, f, gn, epoch, converged, message, tracker.history)
