"""In-memory dense or sparse rows, fed to the kernel in cache-sized blocks, on threads.

One evaluation reads every row of ``X`` once: each block of rows goes through ``X w``,
the fused pointwise step and ``X^T r`` while it is in cache (:mod:`logistic._kernel`). The
blocks are shared among a few threads, each adding its blocks into its own float64
accumulator; the accumulators are added in a fixed order at the end, so for a given
``block_rows`` and ``n_threads`` the result does not depend on scheduling. NumPy's
ufuncs and BLAS release the GIL, so the threads run in parallel; BLAS's own threads are
limited to one inside a threaded pass (``threadpoolctl``) so that the two levels of
parallelism do not oversubscribe the cores.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from .._blas import blas_single_thread as _blas_single_thread
from .._kernel._compiled import FUSED_MIN_SIZE, compiled_ok
from ._base import Source
from ._tasks import combine

__all__ = ["InMemorySource"]

# Rows per block: about 8 MiB of X. Each block is one compiled sweep (numba) or two BLAS
# sweeps back to back (X w, then X^T r from cache); two threads keep 16 MiB in the 32 MiB
# L3. Gradient pass, median of 7, 2-core AMD EPYC, against one streaming read (X @ v):
# 1e6 x 100 float64: 2 MiB 43 ms, 8 MiB 26 ms (read 32 ms); 2e5 x 1000 float64: 2 MiB
# 119 ms, 8 MiB 58 ms (read 82 ms): fewer blocks, less per-block Python overhead.
_BLOCK_BYTES = 1 << 23
# Work (elements of dense X, 4 per CSR nonzero) a thread must get for threads to pay for
# their dispatch (~150 us a pass here). Gradient passes, one thread vs two: 1500 x 100
# 97 vs 252 us, 12,000 x 50 411 vs 350 us; L-BFGS fits 20,000 x 100 8.4 -> 6.0 ms and
# Newton-CG on 10,000 x 2,000 CSR (500k nonzeros) 20.8 -> 16.6 ms with two. (It was 20,000
# rows whatever their width.)
_MIN_WORK_PER_THREAD = 1 << 19

# Passes over at most this many elements of X skip the BLAS thread limit (see aggregate).
_NO_BLAS_LIMIT_SIZE = 1 << 15

_POOL = None
_POOL_LOCK = threading.Lock()


_CORES = None


def default_n_threads() -> int:
    """Threads per pass: ``LOGISTIC_NUM_THREADS`` if set, else the usable cores."""
    global _CORES
    env = os.environ.get("LOGISTIC_NUM_THREADS")
    if env:
        return max(1, int(env))
    if _CORES is None:
        try:
            _CORES = max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not Linux
            _CORES = max(1, os.cpu_count() or 1)
    return _CORES


def _pool(n_threads):
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL._max_workers < n_threads:
            _POOL = ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="logistic")
        return _POOL


class InMemorySource(Source):
    """Rows held in memory: a NumPy array (C or F order) or a SciPy CSR matrix.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features), float32 or float64
        Used as given: never copied, never converted.
    y : ndarray of shape (n_samples,)
        Class indices in the dtype of ``X``: 0/1 for the binomial link, ``0 .. K-1`` for the
        softmax one.
    sample_weight : ndarray of shape (n_samples,) or None
    offset : ndarray of shape (n_samples,), (n_samples, K) or None
        Known terms added to the logits (one per row, or per row and class).
    block_rows : int or None
        Rows per kernel call; None picks about 8 MiB of ``X`` per block.
    n_threads : int or None
        Threads sharing the blocks of one pass; None uses :func:`default_n_threads`
        (a thread per ``2^19`` elements of X, or ``2^17`` CSR nonzeros; smaller passes run on
        the calling thread).
    classes : array_like or None
        The labels ``y`` indexes (``classes_``), when known.
    """

    def __init__(
        self,
        X,
        y,
        sample_weight=None,
        offset=None,
        *,
        block_rows=None,
        n_threads=None,
        classes=None,
    ):
        if sp.issparse(X) and X.format != "csr":
            X = X.tocsr()
        self.X = X
        self.y = y
        self.sample_weight = sample_weight
        self.offset = offset
        self.n_samples, self.n_features = X.shape
        self.dtype = X.dtype
        self.weight_sum = (
            float(self.n_samples)
            if sample_weight is None
            else float(np.sum(sample_weight, dtype=np.float64))
        )
        if block_rows is None:
            row_bytes = max(1, self.n_features * X.dtype.itemsize)
            if sp.issparse(X):
                row_bytes = max(1, X.nnz * (X.dtype.itemsize + 4) // max(1, self.n_samples))
            # and, above 1 MiB, at most 1/16 of the rows, so that per-thread scratch blocks
            # (the Hessian's scaled copy) stay a small fraction of X on mid-sized data,
            # while small data stay one block (per-block overhead dominates there)
            cap = max(-(-self.n_samples // 16), (1 << 20) // row_bytes)
            block_rows = max(256, min(_BLOCK_BYTES // row_bytes, cap))
        self.block_rows = int(block_rows)
        self.n_threads = n_threads
        self.classes_ = None if classes is None else np.asarray(classes)
        self.sparse = sp.issparse(X)
        caps = {"cached_chunks", "row_sampling", "columns"}
        # Large C-ordered dense X: every gradient block (the last, short one too) runs the
        # compiled row loop, which multiplies every entry of X, so NaN or infinity in X
        # always shows as a non-finite loss or gradient (BLAS may skip zero factors).
        if (
            not self.sparse
            and X.size >= FUSED_MIN_SIZE
            and compiled_ok(X, y, sample_weight, offset, min_size=0)
        ):
            caps.add("compiled_blocks")
        # the Hessian's Gram part may come from scaled float32 products (stats' gram_scale)
        if not self.sparse and X.dtype == np.float64:
            caps.add("float32_gram")
        self.capabilities = frozenset(caps)
        # per-thread scratch blocks of the Hessian passes, kept while the source lives
        self._scratch = threading.local()

    @property
    def class_totals(self):
        """The row weights of each class (``np.bincount`` of ``y``, one entry per label of
        ``classes_``), None with offsets, unknown ``classes_`` or a ``y`` that is not their
        indices (see :class:`~logistic.sources.Source`)."""
        if self.offset is not None or self.classes_ is None:
            return None
        if "_class_totals" not in self.__dict__:
            K = len(self.classes_)
            y = np.asarray(self.y)
            totals = None
            if y.size and y.min() >= 0 and y.max() < K:
                s = self.sample_weight
                weights = None if s is None else np.asarray(s, dtype=np.float64)
                counts = np.bincount(y.astype(np.intp), weights=weights, minlength=K)
                totals = counts.astype(np.float64)
            self._class_totals = totals
        return self._class_totals

    # -- blocks and threads -----------------------------------------------------------
    def _blocks(self):
        """Every block's ``(X, y, s, o, cache)``, built once: views of dense X, and for CSR
        matrices sharing X's data and indices (SciPy's row slicing would copy them on every
        pass); ``cache`` is the block's dict kept while the source lives. A pass over small
        data is ~50 us, so nothing of this is rebuilt per pass."""
        blocks = self.__dict__.get("_block_list")
        if blocks is None:
            n, step = self.n_samples, self.block_rows
            blocks = []
            for start in range(0, n, step):
                sl = slice(start, min(start + step, n))
                blocks.append(
                    (
                        self._rows(sl),
                        self.y[sl],
                        None if self.sample_weight is None else self.sample_weight[sl],
                        None if self.offset is None else self.offset[sl],
                        {},
                    )
                )
            self._block_list = blocks
        return blocks

    def _rows(self, sl):
        """Rows ``sl`` of X: a view for dense X, a CSR matrix sharing X's arrays."""
        X = self.X
        if not sp.issparse(X):
            return X[sl]
        lo, hi = int(X.indptr[sl.start]), int(X.indptr[sl.stop])
        # attributes set directly: SciPy's constructor would copy data and indices
        blk = sp.csr_matrix((sl.stop - sl.start, X.shape[1]), dtype=X.dtype)
        blk.data = X.data[lo:hi]
        blk.indices = X.indices[lo:hi]
        blk.indptr = X.indptr[sl.start : sl.stop + 1] - lo
        return blk

    def _threads_for(self, n_blocks, outputs=1):
        """Threads for a pass: one per ``_MIN_WORK_PER_THREAD`` of work (elements of X, or 4
        per CSR nonzero, times the ``outputs`` a row computes: a softmax row's K logits),
        the same for every kind of pass of one link over this source (so that their sums
        are added in the same order)."""
        key = ("threads", n_blocks, outputs)
        known = self.__dict__.get(key)
        if known is None:
            known = self.__dict__[key] = self._count_threads(n_blocks, outputs)
        return known

    def _count_threads(self, n_blocks, outputs):
        if self.n_threads is not None:
            return max(1, min(int(self.n_threads), n_blocks))
        X = self.X
        work = 4 * X.nnz if sp.issparse(X) else self.n_samples * self.n_features
        work *= outputs
        if work < 2 * _MIN_WORK_PER_THREAD or n_blocks == 1:
            return 1
        return max(1, min(default_n_threads(), work // _MIN_WORK_PER_THREAD, n_blocks))

    # -- the source API ---------------------------------------------------------------
    def aggregate(self, task):
        """``task`` over the blocks on the source's threads, the parts added in block order
        (see :meth:`Source.aggregate`); BLAS inside runs on one thread.

        Thread ``k`` takes a contiguous run of blocks, so each thread streams through its
        own part of ``X`` and the final sum is in a fixed order.
        """
        blocks = self._blocks()
        n_threads = self._threads_for(len(blocks), task.outputs)
        scratch = self._scratch
        if n_threads == 1:
            acc = task.zero(scratch)
            if self.n_samples * self.n_features <= _NO_BLAS_LIMIT_SIZE:
                for blk in blocks:  # too small for BLAS to thread; the limit costs ~30 us
                    acc = task.add(acc, *blk)
                return task.finish(acc)
            # one BLAS thread even here: OpenBLAS's threads slow small products down
            # (digits' 1797 x 64 Hessian syrk 0.25 ms on one thread; whole fit 5.3 ms on
            # one BLAS thread, 8.2 ms on two)
            with _blas_single_thread():
                for blk in blocks:
                    acc = task.add(acc, *blk)
                return task.finish(acc)
        bounds = np.linspace(0, len(blocks), n_threads + 1).astype(int)
        parts = [blocks[bounds[k] : bounds[k + 1]] for k in range(n_threads)]

        def run(part):
            acc = task.zero(scratch)
            for blk in part:
                acc = task.add(acc, *blk)
            return task.finish(acc)

        with _blas_single_thread():
            return combine(list(_pool(n_threads).map(run, parts)))

    def arrays(self):
        """``(X, y, sample_weight, offset)`` as held (the ``"columns"`` capability)."""
        return self.X, self.y, self.sample_weight, self.offset

    def column_scales(self) -> np.ndarray:
        """``sqrt(sum_i x_ij^2)`` per column of dense X in float64 (1 for a column of zeros),
        computed once: the column scales of a first float32 Gram product (``stats``'
        ``gram_scale``, for dense float64 X only: the ``"float32_gram"`` capability)."""
        cached = self.__dict__.get("_column_scales")
        if cached is None:
            cached = np.sqrt(np.einsum("ij,ij->j", self.X, self.X, dtype=np.float64))
            cached[~(cached > 0)] = 1.0
            self._column_scales = cached
        return cached

    def _derived(self, pick, **options) -> InMemorySource:
        """A new source of ``pick(a)`` of each row array (X, y, weights, offsets)."""
        opt = lambda a: None if a is None else pick(a)  # noqa: E731
        return InMemorySource(
            pick(self.X),
            pick(self.y),
            opt(self.sample_weight),
            opt(self.offset),
            n_threads=self.n_threads,
            classes=self.classes_,
            **options,
        )

    def every(self, step) -> InMemorySource:
        """The rows ``0, step, 2 step, ...`` as a new source: a strided view of dense ``X``
        (no copy), a copy of those rows for CSR. Used for subsampled Hessian estimates
        (see :meth:`compact`)."""
        sl = slice(0, None, int(step))
        return self._derived(lambda a: a[sl])

    def compact(self) -> InMemorySource:
        """This source with a C-ordered copy of a strided dense ``X`` (else itself): for a
        row sample read many times, where the compiled Hessian pass and float32 Gram
        products apply (1,000,000 x 100, every 39th row: a sampled Hessian 8.2 ms from the
        strided view, 4.3 ms from the copy)."""
        X = self.X
        if sp.issparse(X) or X.flags.c_contiguous:
            return self
        return self._derived(np.ascontiguousarray)

    def take(self, indices) -> InMemorySource:
        """The rows ``indices`` as a new source (a copy of those rows only)."""
        return self._derived(lambda a: a[indices], block_rows=self.block_rows)

    def minibatches(self, batch_size, rng):
        """One epoch: the rows shuffled by ``rng``, cut into sources of ``batch_size`` rows."""
        order = rng.permutation(self.n_samples)
        for start in range(0, self.n_samples, batch_size):
            yield self.take(np.sort(order[start : start + batch_size]))
