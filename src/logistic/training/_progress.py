"""How far a training run got, and the hooks through which it reports."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable

__all__ = ["TrainingProgress"]


class TrainingProgress:
    """Follows a :func:`~logistic.training.fit_table` run: where it is, and what it says.

    ``fit_table`` drives it in this order for every step: :meth:`at` when a step begins
    (reading the files, cross-validating, checking the rows ...), :meth:`info` with a note
    when a step has done its work, and around the solver ``solver_started()``, the object
    itself as the estimator's per-iteration ``callback`` (which records the
    :class:`~logistic.solvers.IterationRecord` and calls :meth:`iteration`), then
    ``solver_stopped(completed)``, also when the solver was interrupted. :meth:`warning`
    carries what the caller must see (a solver that did not converge, a separation, unseen
    categories in the holdout rows).

    The hooks do nothing here, except :meth:`warning`, which issues a Python warning of the
    given category. A front end overrides them: the command line draws a progress bar and
    prints the notes and warnings on stderr.

    After an interruption (``KeyboardInterrupt`` raised anywhere in the run, a callback
    included), :meth:`where` says how far it got.

    Attributes
    ----------
    stage : str
        The step running, e.g. ``"in pass 1 (preprocessing) after 65536 rows"``.
    solver : str or None
        The solver running or last run (``"auto"`` resolved), None before the first.
    max_iter : int or None
        Its iteration limit.
    last : IterationRecord or None
        Its last iteration.
    passes : callable or None
        ``passes() -> int``: passes over the files so far, for a streamed fit.
    """

    def __init__(self):
        self.stage = "before training started"
        self.solver: str | None = None
        self.max_iter: int | None = None
        self.last = None
        self.passes: Callable[[], int] | None = None

    # -- hooks for a front end ------------------------------------------------------------
    def info(self, text: str) -> None:
        """A note on a step that has done its work (one line)."""

    def warning(self, text: str, category: type[Warning] = UserWarning) -> None:
        """Something the caller must see (one line); issued as a Python warning here."""
        warnings.warn(text, category, stacklevel=3)

    def solver_started(self) -> None:
        """The solver is about to run; ``solver``, ``max_iter`` and ``passes`` are set."""

    def iteration(self, record) -> None:
        """The solver finished an iteration (``record``, also in ``last``)."""

    def solver_stopped(self, completed: bool) -> None:
        """The solver returned (``completed``) or was interrupted by an exception."""

    # -- driven by fit_table --------------------------------------------------------------
    def at(self, stage: str) -> None:
        """A new step begins: ``where()`` names it until the next solver starts."""
        self.stage = stage
        self.solver = None
        self.last = None
        self.passes = None

    def __call__(self, record) -> None:
        self.last = record
        self.iteration(record)

    @contextlib.contextmanager
    def solving(self, solver: str, max_iter: int, passes: Callable[[], int] | None = None):
        """The context of one solver run: sets the attributes, calls the solver hooks."""
        self.solver, self.max_iter, self.passes, self.last = solver, max_iter, passes, None
        self.solver_started()
        completed = False
        try:
            yield self
            completed = True
        finally:
            self.solver_stopped(completed)

    def where(self) -> str:
        """How far the run got, e.g. ``"at iteration 234 of at most 1000 (loss 0.3238,
        max|grad| 0.00269, 2.0s)"`` or ``"in pass 1 (preprocessing) after 65536 rows"``."""
        if self.solver is None:
            return self.stage
        if self.last is None:
            return "before the first iteration"
        r = self.last
        passes = "" if self.passes is None else f", pass {self.passes()} over the files"
        return (
            f"at iteration {r.iteration} of at most {self.max_iter} "
            f"(loss {r.loss:.6g}, max|grad| {r.grad_norm:.3g}, {r.seconds:.1f}s{passes})"
        )
