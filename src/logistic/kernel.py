"""The seeds' vectorised step as one pure function over a chunk of rows.

For a chunk ``X`` of shape (m, n), labels ``y`` in {0, 1}, sample weights ``s`` and
parameters ``(w, b)``, one forward and backward pass through the graph gives::

    z  = X w + b (+ offset)            (m,)      linear node
    a  = sigmoid(z)                    (m,)      activation node
    loss      = sum_i s_i L(y_i, z_i)             loss node (BCE from logits)
    r  = s * (a - y)                   (m,)      dL/dz, weighted
    grad_w    = X^T r                  (n,)      dL/dw = x (a - y), summed
    grad_b    = sum_i r_i                        dL/db = a - y, summed
    hess      = [X 1]^T diag(s a (1-a)) [X 1]    (n+1, n+1), on request

These are *sums*, not means: every executor (in-memory blocks, file batches, Dask chunks)
feeds chunks to :func:`chunk_stats` and adds the results with ``+``; the objective divides
by the total weight once. Nothing here knows where the rows come from.

Floating point: ``z``, ``a`` and ``r`` are computed in the dtype of ``X`` (float32 stays
float32; no copy of ``X`` is made), while each chunk's sums are returned in float64, so
that adding many chunks does not lose the accuracy a long float32 sum would.

Fused pointwise step
--------------------
The loss, ``a - y`` and ``a (1 - a)`` all come from one exponential. With the *signed*
logit ``t = z`` for ``y = 0`` and ``t = -z`` for ``y = 1`` (so that ``L = log1pexp(t)``,
see :func:`logistic._math.bce`) and ``e = exp(-|t|)`` (never overflows), ``q = 1/(1+e)``::

    L      = max(t, 0) + log1p(e)                 (Mächler 2012, as in _math.log1pexp)
    sig(t) = q        if t >= 0  else  e q         (both branches exact, as scipy's expit)
    a - y  = sig(t)  for y = 0,   -sig(t)  for y = 1   (no cancellation for a -> 1)
    a(1-a) = e q^2                                (as _math.sigmoid_derivative, tails exact)

One ``exp`` and one ``log1p`` per row instead of the three ``exp`` (two ``expit``) and a
``log1p`` of the unfused primitives; every expression is the stable form used by
:mod:`logistic._math`, so the results agree with it to rounding. The compiled row loops
(numba) evaluate the same formulas in float64 with their own branch-free ``exp`` and
``log1p`` (``_row_terms``), which the compiler vectorises; within 1e-15 of libm's.

The Hessian block ``X^T diag(h) X`` is computed as ``(sqrt(h) X)^T (sqrt(h) X)`` by BLAS
``gemm`` on a block-sized scaled copy, never on a copy of the whole ``X``. ``syrk`` would
need half the flops, but OpenBLAS's was never faster here (one thread, 2-core AMD EPYC:
1797 x 64 234 us vs 226 us for gemm; 80,000 x 30 4.9 ms vs 3.5 ms; 8,000 x 1,000 184 ms
vs 168 ms), and gemm's full square needs no mirroring.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = [
    "ChunkStats",
    "chunk_curvature",
    "chunk_curvature_matvec",
    "chunk_gram",
    "chunk_gram_matvec",
    "chunk_hessp",
    "chunk_stats",
    "line_sums",
    "logits_pair",
]


@dataclass(frozen=True, slots=True)
class ChunkStats:
    """Sums over the rows of one chunk (or of several chunks added together).

    Attributes
    ----------
    loss : float
        ``sum_i s_i * bce(y_i, z_i)``.
    weight_sum : float
        ``sum_i s_i``.
    n_rows : int
        Number of rows summed over.
    grad_w : ndarray of shape (n_features,) or None
        ``X^T (s * (a - y))`` in float64, or None when not requested.
    grad_b : float
        ``sum_i s_i (a_i - y_i)`` (0.0 when the gradient was not requested).
    hess : ndarray of shape (n_features + 1, n_features + 1), (n_features + 1,) or None
        ``[X 1]^T diag(s * a * (1 - a)) [X 1]`` in float64 (the last row and column belong
        to the intercept); only its diagonal ``[(X * X)^T h, sum h]`` when requested with
        ``need_hess="diag"`` (Newton-CG's Jacobi preconditioner); None when not requested.
    """

    loss: float
    weight_sum: float
    n_rows: int
    grad_w: np.ndarray | None = None
    grad_b: float = 0.0
    hess: np.ndarray | None = None

    def __add__(self, other: ChunkStats) -> ChunkStats:
        return ChunkStats(
            loss=self.loss + other.loss,
            weight_sum=self.weight_sum + other.weight_sum,
            n_rows=self.n_rows + other.n_rows,
            grad_w=_add_optional(self.grad_w, other.grad_w),
            grad_b=self.grad_b + other.grad_b,
            hess=_add_optional(self.hess, other.hess),
        )


def _add_optional(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


try:  # SciPy's compiled CSR kernels, called directly (see _csr_ready)
    from scipy.sparse import _sparsetools as _spt
except ImportError:  # pragma: no cover - a SciPy without the private module
    _spt = None


def _csr_ready(X) -> bool:
    """Whether ``X`` is a CSR matrix that SciPy's compiled ``csr_matvec`` can take as is.

    Calling the compiled kernels directly skips ``X @ v``'s Python dispatch (and ``X.T``'s
    new matrix object) on every block, and lets ``X^T r`` accumulate into the float64
    gradient in place: on the 500,000 x 100,000 CSR benchmark problem (2 MiB blocks) this
    took a gradient pass from 2.5 to 1.5 read times.
    """
    return (
        _spt is not None
        and sp.issparse(X)
        and X.format == "csr"
        and X.indptr.dtype == X.indices.dtype
        and X.data.dtype in (np.float32, np.float64)
    )


def _matvec(X, v):
    """``X v`` as a new dense vector in the dtype of ``X`` (``v`` already in that dtype)."""
    if _csr_ready(X):
        z = np.zeros(X.shape[0], dtype=X.dtype)
        _spt.csr_matvec(X.shape[0], X.shape[1], X.indptr, X.indices, X.data, v, z)
        return z
    z = X @ v
    if sp.issparse(z):  # pragma: no cover - defensive, X @ 1-d vector is dense
        z = z.toarray()
    return np.asarray(z).ravel()


def _rmatvec_add(X, r, out):
    """``out += X^T r`` with ``out`` float64 of shape (n,), ``r`` in the dtype of ``X``."""
    if _csr_ready(X):
        if X.dtype == np.float64:
            # X's CSR arrays are the CSC arrays of X^T: scatter-add straight into out
            _spt.csc_matvec(X.shape[1], X.shape[0], X.indptr, X.indices, X.data, r, out)
        else:
            tmp = np.zeros(X.shape[1], dtype=X.dtype)
            _spt.csc_matvec(X.shape[1], X.shape[0], X.indptr, X.indices, X.data, r, tmp)
            out += tmp
        return
    out += np.asarray(X.T @ r, dtype=np.float64).ravel()


def _linear(X, w, b, offset):
    """``z = X w + b (+ offset)`` in the dtype of ``X``."""
    z = _matvec(X, w.astype(X.dtype, copy=False))
    if b != 0.0:
        z += X.dtype.type(b)
    if offset is not None:
        z += offset.astype(X.dtype, copy=False)
    return z


def _pointwise(z, y, need_grad, need_hess):
    """Fused stable pointwise step from the logits ``z`` (see the module docstring).

    Returns ``(losses, r, h)`` in the dtype of ``z`` (``r``, ``h`` None unless requested),
    unweighted: ``losses_i = L(y_i, z_i)``, ``r_i = a_i - y_i``, ``h_i = a_i (1 - a_i)``.
    ``z`` is left unchanged.
    """
    pos = y > 0
    t = np.negative(z, where=pos, out=z.copy())  # signed logit: L = log1pexp(t)
    e = np.abs(t)
    np.negative(e, out=e)
    np.exp(e, out=e)  # e = exp(-|t|) in (0, 1]
    losses = np.log1p(e)
    losses += np.maximum(t, 0)
    if not (need_grad or need_hess):
        return losses, None, None
    q = e + 1
    np.reciprocal(q, out=q)  # q = 1 / (1 + e)
    r = None
    if need_grad:
        r = e * q  # sig(t) for t < 0
        np.copyto(r, q, where=t >= 0)
        np.negative(r, where=pos, out=r)  # a - y = -sig(t) where y = 1
    h = None
    if need_hess:
        h = e * q
        h *= q  # e q^2 = a (1 - a), exact in the tails
    return losses, r, h


def _as_dtype(a, dtype):
    return None if a is None else np.asarray(a).astype(dtype, copy=False)


class _Accumulator:
    """In-place float64 sums of one or many blocks (one per thread in a source).

    A float32 block's Gram product is formed in float32 over at most ``_F32_GRAM_ROWS``
    rows at a time and added into the float64 Hessian, so long float32 sums never build up.
    """

    _F32_GRAM_ROWS = 1 << 16

    def __init__(self, n, dtype, need_grad, need_hess, sparse, scratch=None, gram_scale=None):
        self.n = n
        self._scratch = scratch
        self.dtype = np.dtype(dtype)
        # float32 Gram products of the columns divided by gram_scale (dense blocks only)
        self.gram_scale = None
        self.inv_scale = None
        if gram_scale is not None and need_hess is True and not sparse:
            self.gram_scale = np.asarray(gram_scale, dtype=np.float64)
            self.inv_scale = 1.0 / self.gram_scale
            self.dtype = np.dtype(np.float32)  # the scaled block's dtype
        self.loss = 0.0
        self.weight_sum = 0.0
        self.n_rows = 0
        self.grad_w = np.zeros(n) if need_grad else None
        self.grad_b = 0.0
        self.diag_only = need_hess == "diag"
        if not need_hess:
            self.hess = None
        else:
            self.hess = np.zeros(n + 1) if self.diag_only else np.zeros((n + 1, n + 1))

    def add_rows(self, loss, m, sample_weight):
        """Count ``m`` rows with their (weighted) loss sum; their weight ``sum(s)`` or ``m``."""
        self.loss += float(loss)
        self.n_rows += m
        self.weight_sum += (
            float(m) if sample_weight is None else float(np.sum(sample_weight, dtype=np.float64))
        )

    def scaled_buffer(self, m):
        """A C-ordered (m, n) scratch block in the dtype of X.

        Reused across blocks, and across passes when the accumulator was given a
        ``scratch`` holder (an in-memory source's per-thread ``threading.local``, freed
        with the source): fresh pages cost more than the scaling itself on small data
        (digits, 1797 x 64: 45 us into new memory, 15 us into used).
        """
        size = m * self.n
        holder = self if self._scratch is None else self._scratch
        key = "buf_" + self.dtype.char
        buf = getattr(holder, key, None)
        if buf is None or buf.shape[0] < size:
            buf = np.empty(size, dtype=self.dtype)
            setattr(holder, key, buf)
        return buf[:size].reshape(m, self.n)

    def add_gram(self, Xs):
        """``hess[:n, :n] += Xs^T Xs`` for a C-ordered block ``Xs`` of shape (m, n), the
        scales multiplied back (``c_j c_k``) when the block was scaled."""
        G = _gram64(Xs)
        if self.gram_scale is not None:
            G *= self.gram_scale[:, None]
            G *= self.gram_scale[None, :]
        self.hess[: self.n, : self.n] += G

    def result(self) -> ChunkStats:
        hess = self.hess
        if hess is not None and not self.diag_only:
            # gemm's square is symmetric only to rounding: make it exactly so
            n = self.n
            block = hess[:n, :n]
            block[...] = 0.5 * (block + block.T)
        return ChunkStats(self.loss, self.weight_sum, self.n_rows, self.grad_w, self.grad_b, hess)


# -- the compiled fused row loops (optional: numba) -------------------------------------
#
# With NumPy and BLAS a gradient pass is ``X w`` (gemv), the pointwise step, then
# ``X^T r`` (gemv): two sweeps over each block. Even from cache the second sweep costs about
# as much as reading X from memory: on 1e6 x 100 float64 (2-core AMD EPYC) a gradient pass
# took 133 ms against 56 ms for one streaming read (``X @ v``). One compiled loop over the
# rows computes ``z_i = x_i . w`` and adds ``r_i x_i`` to the gradient while ``x_i`` is in L1:
# 58 ms, i.e. one read of X. Used for C-contiguous dense float32/float64 blocks when numba
# is installed (``LOGISTIC_NO_NUMBA=1`` disables it); otherwise the NumPy path below.
#
# The rows are taken a chunk at a time (``_chunk_rows``: ~16 KiB of X, in L1): the chunk's
# logits (one dot product a row), then its pointwise step as one branch-free loop the
# compiler vectorises (``_row_terms``), then its gradient (and Hessian) updates. A scalar
# ``exp`` and ``log1p`` a row (libm calls; PyPI's llvmlite has no vector math library)
# cost as much as the dot product and the gradient update of a 100-feature row together:
# the chunked loop took a float32 1e6 x 100 gradient pass from 42 to 23 ns a row on one
# core (float64 44 -> 34; 30 features 29 -> 12).
_fused = None
_BUILD_LOCK = threading.RLock()

# fastmath: reassoc/contract only (no nnan/ninf), so that the dot products and sums may be
# vectorised while infinities and NaN keep their IEEE meaning; error_model "numpy": a
# division by zero gives inf/NaN instead of a Python exception (whose check on every
# division kept the loops scalar).
_JIT = {"nogil": True, "cache": True, "fastmath": {"reassoc", "contract"}, "error_model": "numpy"}

# exp(x) = 2^k e^r with k = round(x / ln 2) and r = x - k ln 2 (Cody-Waite: ln 2 split in
# a high part exact in 32 bits and the rest), e^r by its Taylor polynomial of degree 13
# (|r| <= ln 2 / 2: truncation error below 4e-18).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LOG2E = 1.4426950408889634
_SQRT2 = 1.4142135623730951
_LN2 = 0.6931471805599453


def _build_row_terms(njit):
    """Define the compiled helpers the row loops inline (module globals, numba).

    They are globals, not closure cells, so that the kernels calling them stay in numba's
    on-disk cache (it keys a function by its globals; a closure over a dispatcher gets a
    new key in every process). They live in this file, so any edit here invalidates every
    cached kernel that inlined them.
    """
    global _bits_as_float, _prefetch, _row_terms, _chunk_logits, _chunk_rows
    global _chunk_buffers, _chunk_terms
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def _bits_as_float(typingctx, bits):  # pragma: no cover - compiled
        """The float64 whose IEEE-754 bits are the int64 ``bits`` (an LLVM bitcast)."""
        if bits != types.int64:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(types.float64))

        return types.float64(types.int64), codegen

    @intrinsic
    def _prefetch(typingctx, X, i, j):  # pragma: no cover - compiled
        """Ask the CPU to bring the cache line of ``X[i, j]`` into cache (LLVM's
        ``llvm.prefetch``: read, high locality; a hint, never a fault)."""
        if not isinstance(X, types.Array) or X.ndim != 2:
            return None

        def codegen(context, builder, signature, args):
            aryty = signature.args[0]
            ary = context.make_array(aryty)(context, builder, args[0])
            ptr = cgutils.get_item_pointer2(
                context,
                builder,
                data=ary.data,
                shape=cgutils.unpack_tuple(builder, ary.shape),
                strides=cgutils.unpack_tuple(builder, ary.strides),
                layout=aryty.layout,
                inds=[args[1], args[2]],
                boundscheck=False,
            )
            i8p = ir.IntType(8).as_pointer()
            i32 = ir.IntType(32)
            fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
            fn = cgutils.get_or_insert_function(
                builder.module, fnty, "llvm.prefetch." + i8p.intrinsic_name
            )
            args = [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)]
            builder.call(fn, args)
            return context.get_dummy_value()

        return types.void(X, types.intp, types.intp), codegen

    @njit(error_model="numpy", inline="always")
    def _row_terms(t, pos, s):  # pragma: no cover - compiled
        """``(s L, s (a - y), s a (1 - a))`` of one row from its signed logit ``t`` (the
        module docstring's fused step), in float64, without a branch or a libm call.

        ``e = exp(-|t|)`` as ``p(r) 2^k1 2^k2`` (``k = k1 + k2`` split in halves so that
        both powers are normal numbers down to the subnormal ``e`` of ``|t| <= 745``;
        ``2^k`` built from its exponent bits); ``log1p(e)`` as ``log(u)`` of ``u = 1 + e``
        (``u`` halved above sqrt 2, then ``log u = 2 atanh(v)``, ``v = (u-1)/(u+1)``,
        ``|v| <= 0.172``, series to ``v^21``) corrected by ``((u - 1) - e) / u`` for the
        rounding of ``u``. Relative error against libm's ``exp``/``log1p`` and SciPy's
        ``expit``: below 1e-15 over the normal range (measured over 4e5 logits in
        [-745, 745]); NaN stays NaN, ``|t| = inf`` gives the limits. Inlined (numba IR),
        it runs under the calling kernel's fastmath flags (reassoc, contract): LLVM keeps
        the Cody-Waite split and the ``log1p`` correction under them (never add ``nsz``,
        which would let it fold ``(u - 1) - e``); ``tests/test_kernel_speedpaths.py``
        checks the accuracy with these flags.
        """
        x = -abs(t)
        xc = -746.0 if x < -746.0 else x  # exp underflows to 0 below -745.2; NaN stays
        kf = np.floor(xc * _LOG2E + 0.5)
        ki = np.int64(kf if kf == kf else 0.0)  # a NaN is not cast to an integer
        r = (xc - kf * _LN2_HI) - kf * _LN2_LO
        p = 1.6059043836821613e-10  # 1 / 13!
        p = p * r + 2.08767569878681e-09
        p = p * r + 2.505210838544172e-08
        p = p * r + 2.755731922398589e-07
        p = p * r + 2.7557319223985893e-06
        p = p * r + 2.48015873015873e-05
        p = p * r + 0.0001984126984126984
        p = p * r + 0.001388888888888889
        p = p * r + 0.008333333333333333
        p = p * r + 0.041666666666666664
        p = p * r + 0.16666666666666666
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        k1 = ki >> 1
        e = (p * _bits_as_float((k1 + 1023) << 52)) * _bits_as_float((ki - k1 + 1023) << 52)
        u = 1.0 + e
        big = u > _SQRT2
        u2 = u * 0.5 if big else u
        v = (u2 - 1.0) / (u2 + 1.0)
        v2 = v * v
        c = 1.0 / 21.0
        c = c * v2 + 1.0 / 19.0
        c = c * v2 + 1.0 / 17.0
        c = c * v2 + 1.0 / 15.0
        c = c * v2 + 1.0 / 13.0
        c = c * v2 + 1.0 / 11.0
        c = c * v2 + 1.0 / 9.0
        c = c * v2 + 1.0 / 7.0
        c = c * v2 + 1.0 / 5.0
        c = c * v2 + 1.0 / 3.0
        c = c * v2 + 1.0
        log1p_e = (2.0 * v * c + (_LN2 if big else 0.0)) - ((u - 1.0) - e) / u
        q = 1.0 / u
        sig = q if t >= 0 else e * q
        return s * (max(t, 0.0) + log1p_e), s * (-sig if pos else sig), s * (e * q * q)

    @njit(fastmath={"reassoc", "contract"}, error_model="numpy", inline="always")
    def _chunk_logits(X, y, s, off, w, b, i0, nb, tb, pb, sb):  # pragma: no cover
        """Rows ``i0 .. i0 + nb`` of X: signed logits into ``tb`` (float64), ``y > 0`` into
        ``pb``, weights into ``sb`` (left at 1 when ``s`` is empty). ``z = x . w + b`` is
        summed in the dtype of X, as ``X @ w`` would.

        Each row also prefetches the row two chunks ahead: the chunk's pointwise step and
        gradient updates issue no loads from memory, and without the hint the memory sat
        idle while they ran (1e6 x 100 float64 from memory, one core: 60 ns a row for the
        gradient pass, 37 with it; the row-by-row loop took 43)."""
        m, n = X.shape
        weighted = s.shape[0] > 0
        has_off = off.shape[0] > 0
        ahead = 2 * _chunk_rows(X)
        line = max(1, 64 // X.itemsize)
        for k in range(nb):
            i = i0 + k
            if i + ahead < m:
                for j in range(0, n, line):
                    _prefetch(X, i + ahead, j)
            z = b
            for j in range(n):
                z += X[i, j] * w[j]
            zz = np.float64(z)
            if has_off:
                zz += off[i]
            p = y[i] > 0
            pb[k] = p
            tb[k] = -zz if p else zz
            if weighted:
                sb[k] = s[i]

    @njit(inline="always")
    def _chunk_rows(X):  # pragma: no cover - compiled
        """Rows a chunk: ~16 KiB of X (L1-resident while it is read twice), 8 to 256."""
        return max(8, min(256, 16384 // max(1, X.shape[1] * X.itemsize)))

    @njit(inline="always")
    def _chunk_buffers(X):  # pragma: no cover - compiled
        """Per-chunk scratch ``(t, r, h, sqrt h, s, y > 0)``, ``_chunk_rows(X)`` long."""
        B = _chunk_rows(X)
        return (
            np.empty(B),
            np.empty(B),
            np.empty(B),
            np.empty(B),
            np.ones(B),
            np.empty(B, dtype=np.bool_),
        )

    @njit(fastmath={"reassoc", "contract"}, error_model="numpy", inline="always")
    def _chunk_terms(X, y, s, off, w, b, i0, nb, buf, curvature):  # pragma: no cover
        """The pointwise step of rows ``i0 .. i0 + nb``: ``_chunk_logits``, then
        ``_row_terms`` in one vectorised loop, ``r`` into ``buf[1]`` and, with
        ``curvature``, ``h`` and ``sqrt(h)`` into ``buf[2]`` and ``buf[3]`` (``buf`` from
        ``_chunk_buffers``). Returns the chunk's loss, ``sum r`` and ``sum h``.
        ``curvature`` is a constant at each (inlined) call: the gradient pass compiles
        without the ``h`` work."""
        tb, rb, hb, qb, sb, pb = buf
        _chunk_logits(X, y, s, off, w, b, i0, nb, tb, pb, sb)
        loss = 0.0
        gb = 0.0
        hsum = 0.0
        for k in range(nb):
            li, r, h = _row_terms(tb[k], pb[k], sb[k])
            loss += li
            gb += r
            rb[k] = r
            if curvature:
                hsum += h
                hb[k] = h
                qb[k] = np.sqrt(h)
        return loss, gb, hsum


_bits_as_float = _prefetch = _row_terms = _chunk_logits = _chunk_rows = None
_chunk_buffers = _chunk_terms = None


def _get_fused():
    """The compiled row loop of a gradient (or loss-only) pass, None without numba."""
    if _fused is None:
        with _BUILD_LOCK:  # one thread builds; the helpers are set before any kernel
            if _fused is None:
                _build_fused()
    return _fused or None


def _build_fused():
    global _fused
    import os

    if os.environ.get("LOGISTIC_NO_NUMBA"):
        _fused = False
        return
    try:
        from numba import njit
    except ImportError:  # pragma: no cover - numba is optional
        _fused = False
        return
    if _row_terms is None:
        _build_row_terms(njit)

    @njit(**_JIT)
    def fused_rows(X, y, s, off, w, b, need_grad, grad):  # pragma: no cover - compiled
        m, n = X.shape
        buf = _chunk_buffers(X)
        rb = buf[1]
        B = rb.shape[0]
        loss = 0.0
        gb = 0.0
        for i0 in range(0, m, B):
            nb = min(B, m - i0)
            li, r, _ = _chunk_terms(X, y, s, off, w, b, i0, nb, buf, False)
            loss += li
            gb += r
            if need_grad:
                for k in range(nb):
                    i = i0 + k
                    r = rb[k]
                    for j in range(n):
                        grad[j] += r * X[i, j]
        return loss, gb

    _fused = fused_rows


def _lazy_kernel(name, build):
    """The compiled kernel kept in the module global ``name``: built by ``build(njit)`` on
    first use; None without numba (or when the global was set to False, as the tests do
    to take the NumPy path)."""
    kern = globals()[name]
    if kern is None:
        with _BUILD_LOCK:
            kern = globals()[name]
            if kern is None:
                if _get_fused() is None:
                    kern = False
                else:
                    from numba import njit

                    kern = build(njit)
                globals()[name] = kern
    return kern or None


_fused_hess = None


def _get_fused_hess():
    """The compiled row loop of a Hessian pass (None without numba), see ``_block_pass``.

    Per chunk of rows: the logits, the pointwise step (loss, ``r_i = s_i (a_i - y_i)``,
    ``h_i = s_i a_i (1 - a_i)``), then per row, while ``x_i`` is in L1,
    ``grad += r_i x_i``, ``col += h_i x_i`` and either the scaled row
    ``Xs_i = sqrt(h_i) x_i / c`` (for the Gram product ``Xs^T Xs`` by BLAS; ``c`` the column
    scales, or none) or the diagonal ``diag += h_i x_i^2``. With NumPy the same pass is
    eight array operations and three mat-vecs, each a sweep over the block: on digits
    (1797 x 64) 106 us against 70 us here, on breast cancer (569 x 30) 60 us against 22.
    """
    return _lazy_kernel("_fused_hess", _build_fused_hess)


def _build_fused_hess(njit):
    @njit(**_JIT)
    def fused_hess_rows(X, y, s, off, w, b, inv_scale, grad, col, Xs, diag):  # pragma: no cover
        m, n = X.shape
        buf = _chunk_buffers(X)
        rb, hb, qb = buf[1], buf[2], buf[3]
        B = rb.shape[0]
        full = Xs.shape[0] > 0
        scaled = inv_scale.shape[0] > 0
        loss = 0.0
        gb = 0.0
        hsum = 0.0
        for i0 in range(0, m, B):
            nb = min(B, m - i0)
            li, r, h = _chunk_terms(X, y, s, off, w, b, i0, nb, buf, True)
            loss += li
            gb += r
            hsum += h
            for k in range(nb):
                i = i0 + k
                r = rb[k]
                h = hb[k]
                rh = qb[k]
                if not full:
                    for j in range(n):
                        x = X[i, j]
                        grad[j] += r * x
                        diag[j] += h * x * x
                elif scaled:
                    for j in range(n):
                        x = X[i, j]
                        grad[j] += r * x
                        col[j] += h * x
                        Xs[i, j] = (rh * inv_scale[j]) * x
                else:
                    for j in range(n):
                        x = X[i, j]
                        grad[j] += r * x
                        col[j] += h * x
                        Xs[i, j] = rh * x
        return loss, gb, hsum

    return fused_hess_rows


# Blocks smaller than this take the NumPy path: fits of toy data (and the command line on
# them) never pay the load of numba and its cached machine code (~0.4 s a process). From
# here on the compiled loops win even per call (breast cancer, 569 x 30: a gradient pass
# 22 us against 29, a Hessian pass 60 us against 113).
_FUSED_MIN_SIZE = 1 << 14
_EMPTY = {np.dtype(np.float32): np.empty(0, np.float32), np.dtype(np.float64): np.empty(0)}


def _fused_ok(X, y, sample_weight, offset, min_size=_FUSED_MIN_SIZE) -> bool:
    if sp.issparse(X) or not isinstance(X, np.ndarray) or X.dtype not in _EMPTY:
        return False
    if not X.flags.c_contiguous or X.size < min_size:
        return False
    for a in (y, sample_weight, offset):
        if a is not None and (not isinstance(a, np.ndarray) or a.dtype != X.dtype or a.ndim != 1):
            return False
    return _get_fused() is not None


def _block_pass(
    acc, X, y, w, b, sample_weight, offset, need_grad, need_hess, fused_min_size=_FUSED_MIN_SIZE
):
    """Add one block's sums into ``acc`` (an :class:`_Accumulator`), reading ``X`` once.

    ``X w`` and ``X^T r`` run back to back on the same cache-sized block, so the second
    product reads the block from cache rather than from memory; with numba the two are
    one compiled loop over the rows (see ``_get_fused``), for blocks of at least
    ``fused_min_size`` elements (a source whose every block must take it passes 0); so
    does a Hessian pass (``_get_fused_hess``).
    """
    if (
        need_hess
        and _fused_ok(X, y, sample_weight, offset, fused_min_size)
        and _get_fused_hess() is not None
    ):
        _fused_hess_pass(acc, X, y, w, b, sample_weight, offset, need_grad, need_hess)
        return
    if not need_hess and _fused_ok(X, y, sample_weight, offset, fused_min_size):
        empty = _EMPTY[X.dtype]
        if need_grad and X.dtype == np.float64:
            grad = acc.grad_w  # accumulate in place
        else:
            grad = np.zeros(X.shape[1], dtype=np.float64)
        loss, gb = _get_fused()(
            X,
            np.ascontiguousarray(y),
            empty if sample_weight is None else np.ascontiguousarray(sample_weight),
            empty if offset is None else np.ascontiguousarray(offset),
            w.astype(X.dtype, copy=False),
            X.dtype.type(b),
            bool(need_grad),
            grad,
        )
        acc.add_rows(loss, X.shape[0], sample_weight)
        if need_grad:
            if grad is not acc.grad_w:
                acc.grad_w += grad
            acc.grad_b += float(gb)
        return
    z = _linear(X, w, b, offset)
    m = z.shape[0]
    losses, r, h = _pointwise(z, y, need_grad, need_hess)
    if sample_weight is None:
        acc.add_rows(np.sum(losses, dtype=np.float64), m, None)
    else:
        s = sample_weight.astype(z.dtype, copy=False)
        loss = np.dot(losses.astype(np.float64), sample_weight.astype(np.float64))
        acc.add_rows(loss, m, sample_weight)
        if r is not None:
            r *= s
        if h is not None:
            h *= s
    if need_grad:
        _rmatvec_add(X, r, acc.grad_w)
        acc.grad_b += float(np.sum(r, dtype=np.float64))
    if need_hess == "diag":
        n = X.shape[1]
        _rmatvec_add(_squared(X, acc), h, acc.hess[:n])
        acc.hess[n] += float(np.sum(h, dtype=np.float64))
    elif need_hess:
        n = X.shape[1]
        hess = acc.hess
        if sp.issparse(X):
            Xh = sp.csr_matrix(X.multiply(h.reshape(-1, 1)))
            hess[:n, :n] += (X.T @ Xh).toarray()
        else:
            Xs = acc.scaled_buffer(m)
            if acc.inv_scale is None:
                np.multiply(X, np.sqrt(h)[:, None], out=Xs)
            else:  # scaled in float64, then rounded once to float32
                np.multiply(X * np.sqrt(h)[:, None], acc.inv_scale, out=Xs, casting="same_kind")
            acc.add_gram(Xs)
        col = np.zeros(n)
        _rmatvec_add(X, h, col)
        hess[:n, n] += col
        hess[n, :n] += col
        hess[n, n] += float(np.sum(h, dtype=np.float64))


_EMPTY_2D = {dt: np.empty((0, 0), dt) for dt in _EMPTY}

_line = None


def _get_line():
    """The compiled loop of :func:`line_sums` (None without numba)."""
    return _lazy_kernel("_line", _build_line)


def _build_line(njit):
    @njit(**_JIT)
    def line_rows(z, u, y, s, t):  # pragma: no cover - compiled
        d1 = 0.0
        d2 = 0.0
        weighted = s.shape[0] > 0
        for i in range(z.shape[0]):
            ui = np.float64(u[i])
            zi = z[i] + t * ui
            pos = y[i] > 0
            _, r, h = _row_terms(-zi if pos else zi, pos, s[i] if weighted else 1.0)
            d1 += r * ui
            d2 += h * ui * ui
        return d1, d2

    return line_rows


_pair = None


def _build_pair(njit):
    @njit(**_JIT)
    def pair_rows(X, w, dw, z, u):  # pragma: no cover - compiled
        m, n = X.shape
        for i in range(m):
            a = 0.0
            c = 0.0
            for j in range(n):
                a += X[i, j] * w[j]
                c += X[i, j] * dw[j]
            z[i] = a
            u[i] = c

    return pair_rows


def logits_pair(X, w, b, dw, db, offset=None):
    """``(X w + b + offset, X dw + db)`` in the dtype of X, reading X once where the
    compiled loop applies (a C-contiguous dense block of at least ``_FUSED_MIN_SIZE``
    elements; else two mat-vecs)."""
    w = np.asarray(w).astype(X.dtype, copy=False)
    dw = np.asarray(dw).astype(X.dtype, copy=False)
    pair = _lazy_kernel("_pair", _build_pair) if _fused_ok(X, None, None, None) else None
    if pair is not None:
        z = np.empty(X.shape[0], dtype=X.dtype)
        u = np.empty(X.shape[0], dtype=X.dtype)
        pair(X, w, dw, z, u)
    else:
        z, u = _matvec(X, w), _matvec(X, dw)
    z += X.dtype.type(b)
    if offset is not None:
        z += offset.astype(X.dtype, copy=False)
    u += X.dtype.type(db)
    return z, u


def line_sums(z, u, y, sample_weight, t):
    """``(sum s (a - y) u, sum s a (1 - a) u^2)`` at the logits ``z + t u``.

    The first two derivatives of the data term of ``phi(t) = f(p + t d)``, from the logits
    ``z`` at ``p`` and ``u = [X 1] d`` (shape (m,), in the dtype of X; the sums in
    float64): an exact line search along a
    Newton direction costs O(m) per trial step, no pass over X (and no ``log1p``: the
    search needs no values).
    """
    kern = _get_line()
    if kern is not None and y.dtype in _EMPTY:
        s = _EMPTY[y.dtype] if sample_weight is None else sample_weight.astype(y.dtype, copy=False)
        d1, d2 = kern(z, u, y, s, float(t))
        return float(d1), float(d2)
    u = np.asarray(u, dtype=np.float64)
    _, r, h = _pointwise(z + t * u, np.asarray(y, dtype=np.float64), True, True)
    if sample_weight is not None:
        s = np.asarray(sample_weight, dtype=np.float64)
        r, h = r * s, h * s
    return float(r @ u), float((h * u) @ u)


def _fused_hess_pass(acc, X, y, w, b, sample_weight, offset, need_grad, need_hess):
    """``_block_pass`` with a Hessian (full or "diag") through the compiled row loop."""
    m, n = X.shape
    empty = _EMPTY[X.dtype]
    full = need_hess != "diag"
    grad = np.zeros(n)
    col = np.zeros(n)
    Xs = acc.scaled_buffer(m) if full else _EMPTY_2D[X.dtype]
    diag = _EMPTY[np.dtype(np.float64)] if full else np.zeros(n)
    inv = _EMPTY[np.dtype(np.float64)] if acc.inv_scale is None else acc.inv_scale
    loss, gb, hsum = _get_fused_hess()(
        X,
        np.ascontiguousarray(y),
        empty if sample_weight is None else np.ascontiguousarray(sample_weight),
        empty if offset is None else np.ascontiguousarray(offset),
        w.astype(X.dtype, copy=False),
        X.dtype.type(b),
        inv,
        grad,
        col,
        Xs,
        diag,
    )
    acc.add_rows(loss, m, sample_weight)
    if need_grad:
        acc.grad_w += grad
        acc.grad_b += float(gb)
    hess = acc.hess
    if full:
        acc.add_gram(Xs)
        hess[:n, n] += col
        hess[n, :n] += col
        hess[n, n] += float(hsum)
    else:
        hess[:n] += diag
        hess[n] += float(hsum)


def _squared(X, acc):
    """``X * X`` elementwise: a CSR matrix sharing ``X``'s indices, or a dense block in
    the accumulator's scratch buffer."""
    if sp.issparse(X):
        data = X.data * X.data
        try:
            return X._with_data(data, copy=False)  # no copy of the indices
        except AttributeError:  # pragma: no cover - a SciPy without the private helper
            return X.power(2)
    out = acc.scaled_buffer(X.shape[0])
    np.multiply(X, X, out=out)
    return out


def _gram64(P):
    """``P^T P`` in float64; float32 blocks multiplied ``_F32_GRAM_ROWS`` rows at a time."""
    if P.dtype == np.float64:
        return P.T @ P
    out = np.zeros((P.shape[1], P.shape[1]))
    step = _Accumulator._F32_GRAM_ROWS
    for start in range(0, P.shape[0], step):
        part = P[start : start + step]
        out += part.T @ part
    return out


def chunk_stats(
    X,
    y,
    w,
    b=0.0,
    sample_weight=None,
    offset=None,
    *,
    need_grad=True,
    need_hess=False,
    gram_scale=None,
) -> ChunkStats:
    """Loss, gradient and (optionally) Hessian sums of one chunk of rows.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (m, n), float32 or float64
        The chunk's rows; never copied or converted (C or F order).
    y : ndarray of shape (m,)
        Labels in {0, 1}.
    w : ndarray of shape (n,)
        Coefficients.
    b : float
        Intercept.
    sample_weight : ndarray of shape (m,) or None
        Non-negative weights ``s``; None means all ones.
    offset : ndarray of shape (m,) or None
        A known term added to each logit.
    need_grad : bool
        Whether to compute the gradient sums.
    need_hess : bool or "diag"
        Whether to compute the Hessian sums; "diag" for only their diagonal.
    gram_scale : ndarray of shape (n,) or None
        With ``need_hess=True`` and dense ``X``: form ``X^T diag(h) X`` from float32
        products of the columns divided by these positive scales, multiplied back in
        float64 (BLAS's float32 rate is twice its float64 rate). Relative error about
        ``1e-6`` of the equilibrated matrix when the scales are the columns' curvature
        (``sqrt`` of the Hessian's diagonal times the weight): good for a Newton direction
        (:func:`logistic.solvers.newton`), not for inference. Ignored for CSR blocks.

    Returns
    -------
    ChunkStats
    """
    acc = _Accumulator(
        X.shape[1], X.dtype, need_grad, need_hess, sp.issparse(X), gram_scale=gram_scale
    )
    _block_pass(acc, X, y, w, b, sample_weight, offset, need_grad, need_hess)
    return acc.result()


def chunk_gram(X, h) -> np.ndarray:
    """``[X 1]^T diag(h) [X 1]`` in float64, of shape (n + 1, n + 1).

    With ``h = s a (1 - a)`` it is the chunk's Hessian of the weighted BCE sum; with
    ``h = s`` it is the weighted Gram matrix used to bound the Lipschitz constant.
    """
    n = X.shape[1]
    out = np.empty((n + 1, n + 1), dtype=np.float64)
    h = np.asarray(h)
    if sp.issparse(X):
        Xh = sp.csr_matrix(X.multiply(h.reshape(-1, 1)))
        out[:n, :n] = (X.T @ Xh).toarray()
        col = np.asarray(Xh.sum(axis=0), dtype=np.float64).ravel()
    else:
        Xh = X * h[:, None].astype(X.dtype, copy=False)
        out[:n, :n] = X.T @ Xh
        col = np.sum(Xh, axis=0, dtype=np.float64)
    out[:n, n] = col
    out[n, :n] = col
    out[n, n] = float(np.sum(h, dtype=np.float64))
    return out


def chunk_gram_matvec(X, h, v_w, v_b=0.0):
    """``[X 1]^T diag(h) [X 1] v`` without forming the matrix; returns (vec_w, vec_b).

    Used for Hessian-vector products and power iterations when ``n`` is too large for the
    explicit ``(n + 1)^2`` matrix.
    """
    t = _linear(X, np.asarray(v_w), v_b, None)
    t *= h.astype(t.dtype, copy=False)
    out = np.zeros(X.shape[1])
    _rmatvec_add(X, t, out)
    return out, float(np.sum(t, dtype=np.float64))


def chunk_curvature(X, w, b, sample_weight=None, offset=None):
    """``h = s a (1 - a)`` per row at ``(w, b)``, in the dtype of ``X`` (one read of X)."""
    z = _linear(X, np.asarray(w), b, offset)
    _, _, h = _pointwise(z, np.zeros(1, dtype=z.dtype), False, True)
    if sample_weight is not None:
        h *= sample_weight.astype(h.dtype, copy=False)
    return h


def chunk_curvature_matvec(X, h, v_w, v_b=0.0):
    """``[X 1]^T diag(h) [X 1] v`` for given row curvatures ``h``: ``(vec_w, vec_b)``."""
    u = _linear(X, np.asarray(v_w), v_b, None)
    u *= h
    out = np.zeros(X.shape[1])
    _rmatvec_add(X, u, out)
    return out, float(np.sum(u, dtype=np.float64))


def chunk_hessp(X, y, w, b, v_w, v_b=0.0, sample_weight=None, offset=None):
    """Hessian-vector product of the chunk's weighted BCE sum at ``(w, b)``.

    ``[X 1]^T diag(s a (1 - a)) [X 1] v`` with ``a = sigmoid(X w + b + offset)``, returned
    as ``(vec_w, vec_b)`` in float64. ``y`` is not used (the curvature of the BCE does
    not depend on the label) and is kept for a uniform signature. Sources that serve many
    products at one point keep ``h`` (:func:`chunk_curvature`) and call
    :func:`chunk_curvature_matvec`, one mat-vec pair per product.
    """
    del y
    h = chunk_curvature(X, w, b, sample_weight, offset)
    return chunk_curvature_matvec(X, h, v_w, v_b)
