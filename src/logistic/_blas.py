"""One BLAS thread, cheaply: the shared helper of the sources and the solvers.

The library parallelises its passes with its own threads (one block of rows each), so BLAS
runs on one thread inside a pass and for the whole of a solve: OpenBLAS's threads, once
woken, keep spinning and take the cores from the next pass (see
:func:`logistic.solvers.solve`).
"""

from __future__ import annotations

import threading

__all__ = ["blas_single_thread"]


class _BlasOneThread:
    """A reusable context limiting the loaded BLAS libraries to one thread.

    Found once through threadpoolctl, then set and restored with the libraries' own
    calls: ``threadpoolctl.limit`` re-inspects every library on each use (30-60 us, a
    sixth of a Hessian pass over digits).
    """

    def __init__(self):
        self._libs = None
        self._local = threading.local()  # per thread: a stack of what each entry changed
        self._lock = threading.Lock()
        self._depth = 0  # entries open on any thread: inside one, BLAS is on one thread

    def __enter__(self):
        with self._lock:
            outer = self._depth == 0
            self._depth += 1
        changed = []
        if outer:  # a nested entry (a pass inside a solve) has nothing to check
            if self._libs is None:
                import scipy.linalg  # noqa: F401 - load SciPy's BLAS before looking
                from threadpoolctl import ThreadpoolController

                self._libs = ThreadpoolController().select(user_api="blas").lib_controllers
            for lib in self._libs:
                n = lib.get_num_threads()
                if n is not None and n != 1:
                    lib.set_num_threads(1)
                    changed.append((lib, n))
        stack = self._local.__dict__.setdefault("stack", [])
        stack.append(changed)
        return self

    def __exit__(self, *exc):
        for lib, n in self._local.stack.pop():
            lib.set_num_threads(n)
        with self._lock:
            self._depth -= 1
        return False


_BLAS_ONE_THREAD = None


def blas_single_thread():
    """The context limiting BLAS to one thread (see :class:`_BlasOneThread`); reentrant
    and usable from several threads (each restores what its own entry changed)."""
    global _BLAS_ONE_THREAD
    if _BLAS_ONE_THREAD is None:
        _BLAS_ONE_THREAD = _BlasOneThread()
    return _BLAS_ONE_THREAD
