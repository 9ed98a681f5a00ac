"""Mini-batch stochastic gradient descent.

Each epoch shuffles the rows (``random_state`` seeds the shuffle) and takes one step per
batch of ``batch_size`` rows on an unbiased estimate of the mean-form gradient::

    p <- p - eta * g_B(p)

``eta`` starts at ``learning_rate`` or, with ``"auto"``, at ``1 / L`` for the full-batch
Lipschitz bound ``L``, and is halved after every epoch whose averaged iterate did not lower
the full objective: a constant rate while it makes progress (so that a batch as large as the
data is plain gradient descent), a decaying one once gradient noise dominates, as
stochastic approximation needs (Robbins and Monro, 1951; the plateau rule is scikit-learn's
``learning_rate="adaptive"`` with halving instead of division by 5).

The iterates run on uninterrupted; what the solver reports after each epoch, and returns,
is the Polyak-Ruppert average of that epoch's iterates, which removes most of the noise of
the single steps. After every epoch it evaluates the full objective at that average once
(one more pass), so that the history and the stopping test ``max |grad f| <= tol`` are the
same as for the full-batch solvers.

Stochastic steps suit large, well-conditioned problems and data that arrives over time; on
small ill-conditioned problems (weak penalty) a full-batch solver is far faster.
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
    x = np.array(x0, dtype=np.float64)
    x_out = x
    f, g = objective.loss_grad(x)
    f0 = f
    gn = grad_norm(g)
    tracker.record(0, f, gn)
    eta = eta0
    best = f
    epoch = 0
    while gn > tol and epoch < max_iter:
        avg = np.zeros_like(x)
        k = 0
        for batch in objective.minibatches(batch_size, rng):
            _, gb = batch.loss_grad(x)
            x = x - eta * gb
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
        x_out, f, g = avg, f_avg, g_avg
        gn = grad_norm(g)
        tracker.record(epoch, f, gn, eta)
        if f >= best:
            eta *= 0.5
        best = min(best, f)
    converged = gn <= tol
    message = "converged: max|grad| <= tol" if converged else "max_iter (epochs) reached"
    return SolverResult(x_out, f, gn, epoch, converged, message, tracker.history)
