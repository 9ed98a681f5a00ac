"""The compiled loops of the kernels (numba), built on first use.

Binomial: with NumPy and BLAS a gradient pass is ``X w`` (gemv), the pointwise step, then ``X^T r``
(gemv): two sweeps over each block. One compiled loop over the rows computes
``z_i = x_i . w`` and adds ``r_i x_i`` to the gradient while ``x_i`` is in L1: one read of X
(docs/solvers.md has the measurements). Used for C-contiguous dense float32/float64 blocks
when numba is installed; ``LOGISTIC_NO_NUMBA=1`` or :func:`use_backend` ("numpy") take the
NumPy path of :mod:`logistic._kernel._binomial` instead.

Softmax: only the pointwise steps over the ``(m, K)`` logits (softmax, loss and
``s (a - y)``; the Hessian product's rows), on every layout, the products with ``X`` staying
SciPy's and BLAS's (:mod:`logistic._kernel._softmax`).

Everything compiled lives in this one module: numba's on-disk cache keys a kernel by its
module and globals, so the helpers the kernels inline are module globals here, and an edit
of this file invalidates every cached kernel that inlined them.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np
import scipy.sparse as sp

__all__ = [
    "compiled_ok",
    "get_fused",
    "get_fused_hess",
    "get_line",
    "get_pair",
    "get_softmax_hessp_rows",
    "get_softmax_rows",
    "loaded",
    "use_backend",
]

# The rows are taken a chunk at a time (``_chunk_rows``: ~16 KiB of X, in L1): the chunk's
# logits (one dot product a row), then its pointwise step as one branch-free loop the
# compiler vectorises (``_row_terms``), then its gradient (and Hessian) updates. A scalar
# ``exp`` and ``log1p`` a row (libm calls; PyPI's llvmlite has no vector math library)
# would cost as much as the dot product and the gradient update of a 100-feature row
# together (docs/solvers.md).
_fused = None
_BUILD_LOCK = threading.RLock()
# Set by use_backend("numpy"): every accessor below answers None, so the callers take the
# NumPy path (the reference the compiled loops are tested against).
_NUMPY_ONLY = False


@contextlib.contextmanager
def use_backend(name):
    """Run the kernels' passes (both links) on backend ``name`` inside the ``with`` block.

    Parameters
    ----------
    name : {"compiled", "numpy"}
        "compiled": the numba row loops where they apply (the default); "numpy": NumPy and
        BLAS only, the reference implementation. Meant for tests and A/B measurements;
        not thread-safe (it sets a module flag).
    """
    global _NUMPY_ONLY
    if name not in ("compiled", "numpy"):
        raise ValueError(f"backend {name!r} is not one of 'compiled', 'numpy'.")
    previous = _NUMPY_ONLY
    _NUMPY_ONLY = name == "numpy"
    try:
        yield
    finally:
        _NUMPY_ONLY = previous


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
    global _bits_as_float, _prefetch, _exp_nonpos, _row_terms, _chunk_logits, _chunk_rows
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
    def _exp_nonpos(x):  # pragma: no cover - compiled
        """``exp(x)`` for ``x <= 0`` as ``p(r) 2^k1 2^k2`` (``k = k1 + k2`` split in halves
        so that both powers are normal numbers down to the subnormal results of
        ``x >= -745``; ``2^k`` built from its exponent bits), without a branch or a libm
        call; ``-inf`` gives 0 and NaN stays NaN."""
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
        return (p * _bits_as_float((k1 + 1023) << 52)) * _bits_as_float((ki - k1 + 1023) << 52)

    @njit(error_model="numpy", inline="always")
    def _row_terms(t, pos, s):  # pragma: no cover - compiled
        """``(s L, s (a - y), s a (1 - a))`` of one row from its signed logit ``t`` (the
        module docstring's fused step), in float64, without a branch or a libm call.

        ``e = exp(-|t|)`` by ``_exp_nonpos``; ``log1p(e)`` as ``log(u)`` of ``u = 1 + e``
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
        e = _exp_nonpos(-abs(t))
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


_bits_as_float = _prefetch = _exp_nonpos = _row_terms = _chunk_logits = _chunk_rows = None
_chunk_buffers = _chunk_terms = None


def loaded() -> bool:
    """Whether the compiled loops are loaded in this process (numba imported and a kernel
    built by an earlier pass), so that taking them costs nothing more; False under
    ``use_backend("numpy")``."""
    return bool(_fused) and not _NUMPY_ONLY


def get_fused():
    """The compiled row loop of a gradient (or loss-only) pass, None without numba."""
    if _NUMPY_ONLY:
        return None
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
    first use; None without numba or under ``use_backend("numpy")``."""
    if _NUMPY_ONLY:
        return None
    kern = globals()[name]
    if kern is None:
        with _BUILD_LOCK:
            kern = globals()[name]
            if kern is None:
                if get_fused() is None:
                    kern = False
                else:
                    from numba import njit

                    kern = build(njit)
                globals()[name] = kern
    return kern or None


# The kernels built on first use by _lazy_kernel (module globals, as numba's cache wants).
_fused_hess = _line = _pair = _softmax_rows = _softmax_hessp_rows = None


def get_fused_hess():
    """The compiled row loop of a Hessian pass (None without numba), see
    :func:`logistic._kernel._binomial.block_pass`.

    Per chunk of rows: the logits, the pointwise step (loss, ``r_i = s_i (a_i - y_i)``,
    ``h_i = s_i a_i (1 - a_i)``), then per row, while ``x_i`` is in L1,
    ``grad += r_i x_i``, ``col += h_i x_i`` and either the scaled row
    ``Xs_i = sqrt(h_i) x_i / c`` (for the Gram product ``Xs^T Xs`` by BLAS; ``c`` the column
    scales, or none) or the diagonal ``diag += h_i x_i^2``. With NumPy the same pass is
    eight array operations and three mat-vecs, each a sweep over the block: on digits
    (1797 x 64) 106 us against 70 us here, on breast cancer (569 x 30) 60 us against 22.
    """
    return _lazy_kernel("_fused_hess", _build_fused_hess)


def get_line():
    """The compiled loop of :func:`logistic._kernel._binomial.line_sums` (None without
    numba)."""
    return _lazy_kernel("_line", _build_line)


def get_pair():
    """The compiled loop of :func:`logistic._kernel._binomial.logits_pair` (None without
    numba)."""
    return _lazy_kernel("_pair", _build_pair)


def get_softmax_rows():
    """The compiled pointwise loop of a softmax gradient pass (None without numba)."""
    return _lazy_kernel("_softmax_rows", _build_softmax_rows)


def get_softmax_hessp_rows():
    """The compiled pointwise loop of a softmax Hessian-vector product (None without
    numba)."""
    return _lazy_kernel("_softmax_hessp_rows", _build_softmax_hessp_rows)


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


# Blocks smaller than this take the NumPy path, and so do the fits of data this small (the
# in-memory source gives every block of larger data the compiled loops): such a fit takes
# milliseconds on either path, while importing numba and loading its cached machine code is
# a fixed cost once per process, several times a small fit and most of a command's
# start-up (docs/solvers.md, "Start-up", has the measurements and the command). From here
# on the compiled loops are taken for their speed on every pass, the load paid once.
FUSED_MIN_SIZE = 1 << 16
EMPTY = {np.dtype(np.float32): np.empty(0, np.float32), np.dtype(np.float64): np.empty(0)}


def compiled_ok(X, y, sample_weight, offset, min_size=FUSED_MIN_SIZE) -> bool:
    """Whether the compiled row loops take this block: a C-contiguous float32/float64
    NumPy array of at least ``min_size`` elements whose ``y``, weights and offsets are 1-d
    arrays of its dtype, with numba available."""
    if sp.issparse(X) or not isinstance(X, np.ndarray) or X.dtype not in EMPTY:
        return False
    if not X.flags.c_contiguous or X.size < min_size:
        return False
    for a in (y, sample_weight, offset):
        if a is not None and (not isinstance(a, np.ndarray) or a.dtype != X.dtype or a.ndim != 1):
            return False
    return get_fused() is not None


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


# -- the softmax kernel's pointwise loops -------------------------------------------------
#
# The products with X (CSR or dense) are SciPy's and BLAS's; between them, the (m, K)
# pointwise step in NumPy is a chain of reductions along short rows and temporaries of
# (m, K), each a sweep, and a libm exp per entry. One loop a row does it while the row's K
# values are in registers (docs/solvers.md has the measurements).


def _build_softmax_rows(njit):
    @njit(**_JIT)
    def softmax_rows(Z, y, s, need_grad, grad_b):  # pragma: no cover - compiled
        """The loss sum of the logits ``Z`` (m, K) with classes ``y``, weights ``s``
        (empty: 1), as ``logsumexp(z) - z_y`` from the logits; with ``need_grad``, ``Z``
        is overwritten by ``s (a - y)`` and its column sums added to ``grad_b``."""
        m, K = Z.shape
        weighted = s.shape[0] > 0
        e = np.empty(K)
        loss = 0.0
        for i in range(m):
            zmax = np.float64(Z[i, 0])
            for k in range(1, K):
                zmax = max(zmax, np.float64(Z[i, k]))
            total = 0.0
            for k in range(K):
                e[k] = _exp_nonpos(np.float64(Z[i, k]) - zmax)
                total += e[k]
            yi = np.int64(y[i])
            w = np.float64(s[i]) if weighted else 1.0
            loss += w * ((zmax + np.log(total)) - np.float64(Z[i, yi]))
            if need_grad:
                q = w / total
                for k in range(K):
                    r = e[k] * q - (w if k == yi else 0.0)  # s (a - y), in float64
                    Z[i, k] = r
                    grad_b[k] += r
        return loss

    return softmax_rows


def _build_softmax_hessp_rows(njit):
    @njit(**_JIT)
    def softmax_hessp_rows(A, U, vb, s, out_b):  # pragma: no cover - compiled
        """``U`` (m, K), the product ``X V``, overwritten by ``D_i = s_i a_i * (u_i - a_i .
        u_i)`` with ``u_i = U_i + vb`` (the docstring of ``logistic._kernel._softmax``);
        its column sums added to ``out_b``."""
        m, K = U.shape
        weighted = s.shape[0] > 0
        for i in range(m):
            au = 0.0
            for k in range(K):
                au += np.float64(A[i, k]) * (np.float64(U[i, k]) + vb[k])
            w = np.float64(s[i]) if weighted else 1.0
            for k in range(K):
                d = w * np.float64(A[i, k]) * ((np.float64(U[i, k]) + vb[k]) - au)
                U[i, k] = d
                out_b[k] += d

    return softmax_hessp_rows
