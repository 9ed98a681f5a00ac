"""The training progress of ``logistic train`` on stderr: notes, warnings and a progress bar."""

from __future__ import annotations

from logistic.training import TrainingProgress

from ._options import cli_spelling
from ._output import Output

__all__ = ["BarProgress"]


class BarProgress(TrainingProgress):
    """A :class:`logistic.training.TrainingProgress` that prints on the command's stderr.

    Notes go to ``out.info``, warnings to ``out.warn`` (in the flags' spelling), and while
    the solver runs a rich progress bar shows the iteration, the loss, ``max|grad|`` and
    the passes over the files; the bar is drawn only on a terminal and neither with
    ``--quiet`` nor with ``--json``.
    """

    def __init__(self, out: Output):
        super().__init__()
        self.out = out
        self.draws = out.shows_results and out.err.is_terminal
        self._bar = None
        self._task = None

    def info(self, text):
        self.out.info(text)

    def warning(self, text, category=UserWarning):
        self.out.warn(cli_spelling(text))

    def solver_started(self):
        if not self.draws:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            TextColumn(f"[bold]training[/] {self.solver}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("max|grad| {task.fields[grad]}"),
            TextColumn("{task.fields[passes]}"),
            TimeElapsedColumn(),
            console=self.out.err,
            transient=False,
        )
        self._task = self._bar.add_task("fit", total=self.max_iter, loss="-", grad="-", passes="")
        self._bar.start()

    def iteration(self, record):
        if self._bar is not None:
            self._bar.update(
                self._task,
                completed=record.iteration,
                loss=f"{record.loss:.6g}",
                grad=f"{record.grad_norm:.2e}",
                passes="" if self.passes is None else f"pass {self.passes()}",
            )

    def solver_stopped(self, completed):
        if self._bar is None:
            return
        if completed and self.last is not None:
            # Converged before max_iter: show the bar as finished at the real count.
            done = max(self.last.iteration, 1)
            self._bar.update(self._task, total=done, completed=done)
        self._bar.stop()
        self._bar = None
