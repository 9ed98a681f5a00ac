"""The learning-rate story of the seeds, told on the user's rows.

Seed 001: "If the learning rate is chosen very large the learning speed increases, but the
algorithm might jump over the global minimum and never converges. In contrast if the
learning rate is chosen very small the learning speed is very low". The page runs the
library's gradient descent (the ``gd`` solver: ``w <- w - eta dL/dw``, ``b <- b - eta dL/db``
on the model's own objective: its ``C``, ``l1_ratio``, class weights) from the start
``w = 0`` with

- ``eta = 1 / L``, the rate chosen automatically (``learning_rate="auto"``: ``L`` bounds the
  gradient's Lipschitz constant, so every step lowers the loss);
- a rate too small, ``eta / 20``: the same descent, crawling;
- a rate too large: the smallest of ``2.5, 4, 8, ... 4096`` times ``1 / L`` at which the loss
  keeps rising during a short probe (the step jumps over the minimum);
- where the same probe finds one, a rate at which the solver stops with a
  :class:`~logistic.errors.DivergenceError` (the loss grew without bound).

Each run's loss and ``max |gradient|`` per iteration come from the solver's callback, so a
run that diverges keeps its curve up to the iteration it stopped at.
"""

from __future__ import annotations

import copy
import itertools
import warnings

import numpy as np
from sklearn.base import clone

from .._graph._trace import fmt
from ..errors import DivergenceError
from ._model import Inputs, nums, thin

__all__ = ["LARGE", "SEEDS_QUOTE", "story_section"]

SEEDS_QUOTE = (
    "If the learning rate is chosen very large the learning speed increases, but the "
    "algorithm might jump over the global minimum and never converges. In contrast if the "
    "learning rate is chosen very small the learning speed is very low and the computational "
    "efforts and training time for large data sets increase."
)
#: Multiples of ``1 / L`` probed for a rate that is too large.
LARGE = (2.5, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0)
_SMALL = 1.0 / 20.0
#: Iterations of a probe for a rate too large, and the rises of the loss that make it so.
_PROBE = 50
_JUMPS = 3


def _run(est, X, y, rate, n_iter):
    """Gradient descent at ``rate`` ("auto" or a number) for at most ``n_iter`` iterations:
    ``(records, error)``, the error a DivergenceError's message or None."""
    records = []
    model = clone(est).set_params(
        solver="gd",
        learning_rate=rate,
        max_iter=n_iter,
        callback=records.append,
        verbose=0,
        warm_start=False,
    )
    error = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converging is the point of two of the runs
        try:
            model.fit(X, y)
        except DivergenceError as exc:
            error = str(exc)
    return records, error


def _rises(records) -> int:
    loss = [r.loss for r in records]
    return sum(1 for a, b in itertools.pairwise(loss) if b > a)


def _curve(kind, rate, multiple, records, error, n_iter, tol) -> dict:
    keep = thin(len(records))
    last = records[-1]
    converged = error is None and last.grad_norm <= tol
    rises = _rises(records)
    if error is not None:
        status = f"diverged at iteration {last.iteration + 1}: {error}"
    elif converged:
        status = f"converged in {last.iteration} iterations (max |gradient| <= tol = {tol:g})"
    elif rises:
        status = (
            f"jumps over the minimum: the loss rose at {rises} of {last.iteration} iterations "
            f"and has not converged after {n_iter}"
        )
    else:
        status = (
            f"still descending after {n_iter} iterations, max |gradient| {fmt(last.grad_norm, 3)}"
        )
    return {
        "kind": kind,
        "rate": fmt(rate, 4),
        "rate_value": float(rate),  # exact, for a reader who reruns the descent
        "multiple": fmt(multiple, 4),
        "iteration": [int(records[k].iteration) for k in keep],
        "loss": nums([records[k].loss for k in keep], 8),
        "grad_norm": nums([records[k].grad_norm for k in keep]),
        "final_loss": fmt(last.loss, 8),
        "final_grad": fmt(last.grad_norm, 3),
        "iterations": int(last.iteration),
        "converged": bool(converged),
        "diverged": error is not None,
        "rises": rises,
        "status": status,
    }


def _optimum(est, X, y):
    """The objective at the fitted coefficients on these rows: a zero-iteration warm start."""
    records = []
    model = copy.deepcopy(est).set_params(
        solver="gd", max_iter=0, warm_start=True, callback=records.append, verbose=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return records[0].loss if records else None


def _first(grid, test) -> int:
    """The index of the first entry of ``grid`` that passes ``test`` (len(grid) if none),
    by bisection: ``test`` is taken to fail below some rate and pass above it."""
    lo, hi = 0, len(grid)
    while lo < hi:
        mid = (lo + hi) // 2
        if test(grid[mid]):
            hi = mid
        else:
            lo = mid + 1
    return lo


def story_section(inp: Inputs, *, n_iter=200, max_cells=1_000_000, seed=0) -> dict:
    """Loss curves of gradient descent at the automatic rate, one too small and one (or
    two) too large, on the page's rows (a seeded sample of them when rows times features
    exceed ``max_cells``). Returns the runs in that order with their rates and what
    happened, and the objective at the fitted coefficients on the same rows.

    The rate too large is the smallest multiple of ``1 / L`` in :data:`LARGE` at which a
    probe of :data:`_PROBE` iterations jumps (the loss rises at least :data:`_JUMPS` times
    and ends above the automatic rate's at the same iteration); the rate far too large the
    smallest at which the probe diverges. Both are found by bisection over the multiples.
    """
    est = inp.estimator
    X, y, note = inp.X, inp.y, ""
    rows = max(100, max_cells // max(1, inp.n))
    if inp.m > rows:
        keep = np.sort(np.random.default_rng(seed).choice(inp.m, rows, replace=False))
        X, y = X[keep], y[keep]
        note = f"Gradient descent runs on {rows} of the {inp.m} rows, drawn at random."
    tol = float(est.get_params().get("tol", 1e-4))
    records, error = _run(est, X, y, "auto", n_iter)
    if len(records) < 2:
        return {"runs": [], "note": "The model is already at its optimum at the start.", "tol": tol}
    eta = records[1].step  # 1 / L, as the solver chose it
    auto = _curve("automatic: 1/L", eta, 1.0, records, error, n_iter, tol)
    small = eta * _SMALL
    runs = [auto, _curve("too small", small, _SMALL, *_run(est, X, y, small, n_iter), n_iter, tol)]
    at_probe = records[min(_PROBE, len(records) - 1)].loss
    probes = {}

    def probe(multiple):
        if multiple not in probes:
            probes[multiple] = _run(est, X, y, multiple * eta, _PROBE)
        return probes[multiple]

    def jumps(multiple):
        rec, err = probe(multiple)
        return err is not None or (_rises(rec) >= _JUMPS and rec[-1].loss > at_probe)

    i_large = _first(LARGE, jumps)
    i_far = i_large + _first(LARGE[i_large:], lambda k: probe(k)[1] is not None)
    if i_large < i_far:
        rate = LARGE[i_large] * eta
        runs.append(
            _curve("too large", rate, LARGE[i_large], *_run(est, X, y, rate, n_iter), n_iter, tol)
        )
    if i_far < len(LARGE):
        rate = LARGE[i_far] * eta
        runs.append(
            _curve("far too large", rate, LARGE[i_far], *_run(est, X, y, rate, n_iter), n_iter, tol)
        )
    else:
        note += f" No rate up to {LARGE[-1]:g} / L diverged on these rows."
    fine = [k for k, (rec, err) in probes.items() if err is None and rec[-1].loss < at_probe]
    if fine:
        note += (
            f" At {max(fine):g} / L the loss after {_PROBE} iterations was lower than at 1 / L: "
            "1 / L is a rate that always lowers the loss, not the fastest one."
        )
    optimum = _optimum(est, X, y)
    return {
        "runs": runs,
        "eta": fmt(eta, 4),
        "n_iter": n_iter,
        "tol": tol,
        "rows": int(X.shape[0]),
        "optimum": None if optimum is None else fmt(optimum, 8),
        "note": note.strip(),
        "quote": SEEDS_QUOTE,
    }
