"""How a command ends when it is stopped from outside: Ctrl-C (SIGINT) or a termination
request (SIGTERM, what ``kill``, ``timeout``, systemd and container runtimes send).

Both end the same way, as a :class:`KeyboardInterrupt` raised in the main thread: Python
raises one for SIGINT, and the handler :func:`termination_as_interrupt` installs raises an
:class:`Interrupted` carrying SIGTERM. So every ``with`` and ``finally`` on the way out runs
(an atomic write removes its temporary file, a Dask client disconnects), and the one place
that ends a command (:func:`report`) prints one line and returns ``128 + signum`` (130 for
SIGINT, 143 for SIGTERM), the status a shell gives a program the signal killed.

Only the standard library is imported here: the console-script entry imports this module
before the application, so that a Ctrl-C while the application itself loads is answered
the same way. Handlers are installed by the entry (``logistic.cli.main``) only,
never on import: the library and ``logistic.cli.run`` leave a Python user's signals alone.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator

__all__ = ["Interrupted", "exit_status", "report", "signal_of", "termination_as_interrupt"]

NOTHING_WRITTEN = "nothing written"


class Interrupted(KeyboardInterrupt):
    """A stop request from outside, with the signal that made it and what was left.

    Parameters
    ----------
    signum : int, default=signal.SIGINT
        The signal received.
    where : str, default=""
        How far the command got, e.g. ``"at iteration 3 of at most 100 (...)"``.
    left : str, default="nothing written"
        What the command leaves behind, e.g. ``"no model written"``.
    """

    def __init__(self, signum: int = signal.SIGINT, where: str = "", left: str = NOTHING_WRITTEN):
        super().__init__(signum, where, left)
        self.signum = int(signum)
        self.where = where
        self.left = left


def signal_of(exc: BaseException) -> int:
    """The signal behind an interrupt: an :class:`Interrupted`'s own, SIGINT for a plain
    KeyboardInterrupt (Python's answer to Ctrl-C)."""
    return getattr(exc, "signum", int(signal.SIGINT))


def exit_status(exc: BaseException) -> int:
    """``128 + signum``: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + signal_of(exc)


def report(exc: BaseException) -> int:
    """Print the one line of an interrupted command on stderr; returns its exit status.

    The line is ``interrupted`` (SIGINT) or ``terminated`` (any other signal), how far the
    command got when an :class:`Interrupted` says so, and what was written, e.g.
    ``terminated at iteration 12 of at most 100 (...); no model written.``
    """
    word = "interrupted" if signal_of(exc) == signal.SIGINT else "terminated"
    where = getattr(exc, "where", "")
    left = getattr(exc, "left", NOTHING_WRITTEN)
    with contextlib.suppress(OSError, ValueError):  # stderr closed: the status still tells
        print(f"{word}{' ' + where if where else ''}; {left}.", file=sys.stderr, flush=True)
    return exit_status(exc)


def _raise_interrupted(signum, frame):
    raise Interrupted(signum)


@contextlib.contextmanager
def termination_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM raises :class:`Interrupted` (SIGTERM) in the main thread.

    The previous handler is put back on leaving, so a SIGTERM during the interpreter's
    shutdown ends the process as the default action does (status 143 in a shell). Outside
    the main thread (where Python cannot set handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
