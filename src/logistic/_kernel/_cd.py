"""Compiled loops of the working-set coordinate descent (:mod:`logistic.solvers._cd_ws`).

A working-set subproblem is the penalised objective restricted to a few columns of ``X``
(the others held at 0), minimised by proximal Newton steps whose quadratic models are
solved by coordinate descent. The loops here see the columns of the working set as a
*column store*:

- dense: ``XT`` of shape ``(n_stored, m)``, row ``c`` the column ``c`` of the store,
  contiguous (``X.T`` itself for Fortran-ordered ``X``, else a gathered copy of the
  working set's columns: :func:`gather_dense`);
- sparse: CSC arrays ``ip, ix, dv`` (:func:`gather_csr`, from a CSR ``X``).

``cmap[c]`` is the store's column of working-set coordinate ``c``. Every loop takes both
layouts (``dense`` selects; the other is empty) so that one compiled function serves
both, one specialisation per dtype of ``X``. Sums are taken in float64 whatever the dtype
of ``X``; logits ``z`` are float64 and kept up to date by the loops (``z += t X d``).

The per-row pointwise terms use the weights ``s_i / S`` (the objective's mean form), so
the sums here are the objective's ``f`` and its derivatives directly.

Built on first use (numba, ``cache=True``): :func:`get_kernels` returns None without numba,
with ``LOGISTIC_NO_NUMBA`` set, or inside ``kernel_backend("numpy")``; the solver then
takes the Hessian-based method of :mod:`logistic.solvers.cd`. The helpers the loops inline
are module globals (numba's on-disk cache keys a function by its module and globals).
"""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

import numpy as np

from . import _compiled

__all__ = ["get_kernels"]

_KERNELS = None
_LOCK = threading.Lock()

# reassoc/contract only: sums may be vectorised, infinities and NaN keep their meaning.
_JIT = {"nogil": True, "cache": True, "fastmath": {"reassoc", "contract"}, "error_model": "numpy"}
_INLINE = {"inline": "always", "fastmath": {"reassoc", "contract"}, "error_model": "numpy"}

# Status codes of the subproblem loops (``status`` of their result).
OK, NO_DESCENT, LINE_SEARCH_FAILED = 0, 1, 2
_ARMIJO = 1e-4
_MAX_BACKTRACK = 30
_ROUNDING = 64 * np.finfo(np.float64).eps
# Coordinate sweeps of a binomial model before its solution on the current face is taken
# by one linear solve (_refine_binomial), at least.
_REFINE_AFTER = 8


def get_kernels():
    """The compiled loops as a namespace, or None where they cannot run (see module)."""
    global _KERNELS
    if _compiled._NUMPY_ONLY:
        return None
    if _KERNELS is None:
        with _LOCK:
            if _KERNELS is None:
                _KERNELS = _build() or False
    return _KERNELS or None


def _build():
    if os.environ.get("LOGISTIC_NO_NUMBA"):
        return None
    try:
        from numba import njit
    except ImportError:  # pragma: no cover - numba is optional
        return None
    _build_helpers(njit)
    return _build_loops(njit)


_col_dot = _col_wdot = _col_wsq = _col_axpy = _soft = _binomial_terms = None
_binomial_loss = _softmax_terms = _softmax_loss = _penalty = None
_cholesky_solve = _refine_binomial = None


def _build_helpers(njit):
    """The inlined helpers (module globals: see the module docstring)."""
    global _col_dot, _col_wdot, _col_wsq, _col_axpy, _soft, _binomial_terms
    global _binomial_loss, _softmax_terms, _softmax_loss, _penalty
    global _cholesky_solve, _refine_binomial
    import math

    @njit(**_INLINE)
    def _col_dot(dense, XT, ip, ix, dv, c, v):  # pragma: no cover - compiled
        """``sum_i x_ic v_i``."""
        acc = 0.0
        if dense:
            row = XT[c]
            for i in range(row.shape[0]):
                acc += row[i] * v[i]
        else:
            for p in range(ip[c], ip[c + 1]):
                acc += dv[p] * v[ix[p]]
        return acc

    @njit(**_INLINE)
    def _col_wdot(dense, XT, ip, ix, dv, c, h, v):  # pragma: no cover - compiled
        """``sum_i x_ic h_i v_i``."""
        acc = 0.0
        if dense:
            row = XT[c]
            for i in range(row.shape[0]):
                acc += row[i] * h[i] * v[i]
        else:
            for p in range(ip[c], ip[c + 1]):
                i = ix[p]
                acc += dv[p] * h[i] * v[i]
        return acc

    @njit(**_INLINE)
    def _col_wsq(dense, XT, ip, ix, dv, c, h):  # pragma: no cover - compiled
        """``sum_i x_ic^2 h_i``."""
        acc = 0.0
        if dense:
            row = XT[c]
            for i in range(row.shape[0]):
                x = np.float64(row[i])
                acc += x * x * h[i]
        else:
            for p in range(ip[c], ip[c + 1]):
                x = np.float64(dv[p])
                acc += x * x * h[ix[p]]
        return acc

    @njit(**_INLINE)
    def _col_axpy(dense, XT, ip, ix, dv, c, a, out):  # pragma: no cover - compiled
        """``out += a x_c``."""
        if dense:
            row = XT[c]
            for i in range(row.shape[0]):
                out[i] += a * row[i]
        else:
            for p in range(ip[c], ip[c + 1]):
                out[ix[p]] += a * dv[p]

    @njit(**_INLINE)
    def _soft(v, t):  # pragma: no cover - compiled
        """``sign(v) max(|v| - t, 0)``; 0 where ``|v|`` beats ``t`` only by rounding (a
        coordinate whose gradient sits on the threshold stays at an exact 0)."""
        excess = abs(v) - t
        if excess > _ROUNDING * t:
            return excess if v > 0 else -excess
        return 0.0

    @njit(**_INLINE)
    def _binomial_terms(z, y, s, r, h):  # pragma: no cover - compiled
        """``sum_i s_i L_i`` at logits ``z``; ``r = s (a - y)``, ``h = s a (1 - a)``."""
        loss = 0.0
        for i in range(z.shape[0]):
            zi = z[i]
            e = math.exp(-abs(zi))
            q = 1.0 / (1.0 + e)
            a = q if zi >= 0 else e * q
            yi = y[i]
            loss += s[i] * (max(zi, 0.0) + math.log1p(e) - yi * zi)
            r[i] = s[i] * (a - yi)
            h[i] = s[i] * e * q * q
        return loss

    @njit(**_INLINE)
    def _binomial_loss(z, dz, t, y, s):  # pragma: no cover - compiled
        """``sum_i s_i L_i`` at logits ``z + t dz``."""
        loss = 0.0
        for i in range(z.shape[0]):
            zi = z[i] + t * dz[i]
            loss += s[i] * (max(zi, 0.0) + math.log1p(math.exp(-abs(zi))) - y[i] * zi)
        return loss

    @njit(**_INLINE)
    def _softmax_terms(Z, y, s, P):  # pragma: no cover - compiled
        """``sum_i s_i L_i`` at logits ``Z`` (m, K); ``P`` the probabilities."""
        m, K = Z.shape
        loss = 0.0
        for i in range(m):
            top = Z[i, 0]
            for k in range(1, K):
                top = max(top, Z[i, k])
            tot = 0.0
            for k in range(K):
                e = math.exp(Z[i, k] - top)
                P[i, k] = e
                tot += e
            inv = 1.0 / tot
            for k in range(K):
                P[i, k] *= inv
            loss += s[i] * (top + math.log(tot) - Z[i, int(y[i])])
        return loss

    @njit(**_INLINE)
    def _softmax_loss(Z, dZ, t, y, s):  # pragma: no cover - compiled
        """``sum_i s_i L_i`` at logits ``Z + t dZ^T`` (``dZ`` of shape (K, m))."""
        m, K = Z.shape
        loss = 0.0
        for i in range(m):
            top = Z[i, 0] + t * dZ[0, i]
            for k in range(1, K):
                top = max(top, Z[i, k] + t * dZ[k, i])
            tot = 0.0
            for k in range(K):
                tot += math.exp(Z[i, k] + t * dZ[k, i] - top)
            yi = int(y[i])
            loss += s[i] * (top + math.log(tot) - (Z[i, yi] + t * dZ[yi, i]))
        return loss

    @njit(**_INLINE)
    def _penalty(w, d, t, l1, l2):  # pragma: no cover - compiled
        """``l2/2 ||w + t d||^2 + l1 ||w + t d||_1``."""
        sq = 0.0
        ab = 0.0
        for j in range(w.shape[0]):
            v = w[j] + t * d[j]
            sq += v * v
            ab += abs(v)
        return 0.5 * l2 * sq + l1 * ab

    @njit(fastmath={"reassoc", "contract"}, error_model="numpy")
    def _cholesky_solve(M, g):  # pragma: no cover - compiled
        """``g <- M^{-1} g`` by a Cholesky factor of ``M`` (in place, lower part); False
        when a pivot is not positive against the diagonal's scale (singular to rounding)."""
        k = M.shape[0]
        big = 0.0
        for a in range(k):
            big = max(big, M[a, a])
        floor = 1e-13 * big
        for j in range(k):
            v = M[j, j]
            for p in range(j):
                v -= M[j, p] * M[j, p]
            if not v > floor:
                return False
            v = np.sqrt(v)
            M[j, j] = v
            for i in range(j + 1, k):
                u = M[i, j]
                for p in range(j):
                    u -= M[i, p] * M[j, p]
                M[i, j] = u / v
        for i in range(k):
            u = g[i]
            for p in range(i):
                u -= M[i, p] * g[p]
            g[i] = u / M[i, i]
        for i in range(k - 1, -1, -1):
            u = g[i]
            for p in range(i + 1, k):
                u -= M[p, i] * g[p]
            g[i] = u / M[i, i]
        return True

    @njit(fastmath={"reassoc", "contract"}, error_model="numpy")
    def _refine_binomial(
        dense, XT, ip, ix, dv, cmap, h, G, w, d, dz, fit_b, gb, l1, l2
    ):  # pragma: no cover - compiled
        """Move the coordinate-descent point ``d`` of the binomial model to the model's
        minimiser on its orthant face: with ``A`` the coordinates where ``w + d != 0``
        (signs ``sigma``) and the intercept, the model is smooth there, its gradient
        ``gm_A = G_A + X_A^T (h dz) + l2 d_A + l1 sigma_A`` and Hessian
        ``H_AA = X_A^T diag(h) X_A + l2 I``, and ``d_A - H_AA^{-1} gm_A`` its minimiser;
        the step stops where a coordinate of ``A`` would cross 0 (that coordinate set to
        an exact 0), so the model decreases. Coordinate descent converges linearly, slowly
        on correlated columns; this step is exact in one solve (``|A|^2 m`` flops).
        Updates ``d``, ``dz``; returns the intercept's step, and False when ``H_AA`` is
        singular to rounding (nothing moved)."""
        n = w.shape[0]
        m = h.shape[0]
        A = np.empty(n, np.int64)
        na = 0
        for c in range(n):
            if w[c] + d[c] != 0.0:
                A[na] = c
                na += 1
        k = na + (1 if fit_b else 0)
        if k == 0:
            return 0.0, False
        e = np.empty(k)
        for a in range(na):
            c = A[a]
            sign = l1 if w[c] + d[c] > 0 else -l1
            e[a] = G[c] + _col_wdot(dense, XT, ip, ix, dv, cmap[c], h, dz) + l2 * d[c] + sign
        if fit_b:
            gm = gb
            for i in range(m):
                gm += h[i] * dz[i]
            e[na] = gm
        if dense:
            Y = np.empty((k, m))
            for a in range(na):
                row = XT[cmap[A[a]]]
                for i in range(m):
                    Y[a, i] = row[i] * np.sqrt(h[i])
            if fit_b:
                for i in range(m):
                    Y[na, i] = np.sqrt(h[i])
            M = np.dot(Y, Y.T)
        else:
            M = np.zeros((k, k))
            buf = np.zeros(m)
            for a in range(na):
                col = cmap[A[a]]
                hx = 0.0
                for p in range(ip[col], ip[col + 1]):
                    u = dv[p] * h[ix[p]]
                    buf[ix[p]] = u
                    hx += u
                for bb in range(a + 1):
                    colb = cmap[A[bb]]
                    acc = 0.0
                    for p in range(ip[colb], ip[colb + 1]):
                        acc += dv[p] * buf[ix[p]]
                    M[a, bb] = acc
                    M[bb, a] = acc
                if fit_b:
                    M[a, na] = hx
                    M[na, a] = hx
                for p in range(ip[col], ip[col + 1]):
                    buf[ix[p]] = 0.0
            if fit_b:
                tot = 0.0
                for i in range(m):
                    tot += h[i]
                M[na, na] = tot
        for a in range(na):
            M[a, a] += l2
        if not _cholesky_solve(M, e):
            return 0.0, False
        scale = 1.0
        hit = -1
        for a in range(na):
            c = A[a]
            v = w[c] + d[c]
            nv = v - e[a]
            if nv != 0.0 and (nv > 0) != (v > 0):
                frac = v / (v - nv)
                if frac < scale:
                    scale = frac
                    hit = a
        for a in range(na):
            c = A[a]
            delta = -scale * e[a]
            if a == hit:
                delta = -(w[c] + d[c])
            if delta != 0.0:
                d[c] += delta
                _col_axpy(dense, XT, ip, ix, dv, cmap[c], delta, dz)
        db = 0.0
        if fit_b:
            db = -scale * e[na]
            for i in range(m):
                dz[i] += db
        return db, True


def _build_loops(njit):
    @njit(**_JIT)
    def gather_csr(indptr, indices, data, cols, n_features):  # pragma: no cover
        """The columns ``cols`` of a CSR matrix as CSC arrays ``(ip, ix, dv)`` (row indices
        ascending), one read of the nonzeros."""
        where = np.full(n_features, -1, np.int64)
        for c in range(cols.shape[0]):
            where[cols[c]] = c
        ip = np.zeros(cols.shape[0] + 1, np.int64)
        m = indptr.shape[0] - 1
        for p in range(indptr[m]):
            c = where[indices[p]]
            if c >= 0:
                ip[c + 1] += 1
        for c in range(cols.shape[0]):
            ip[c + 1] += ip[c]
        fill = ip[:-1].copy()
        ix = np.empty(ip[-1], np.int32)
        dv = np.empty(ip[-1], data.dtype)
        for i in range(m):
            for p in range(indptr[i], indptr[i + 1]):
                c = where[indices[p]]
                if c >= 0:
                    q = fill[c]
                    ix[q] = i
                    dv[q] = data[p]
                    fill[c] = q + 1
        return ip, ix, dv

    @njit(**_JIT)
    def gather_dense(X, cols):  # pragma: no cover - compiled
        """``X[:, cols].T`` as a C-ordered copy (the working set's columns, contiguous),
        from a C-ordered ``X`` read row by row."""
        m = X.shape[0]
        n = cols.shape[0]
        out = np.empty((n, m), X.dtype)
        for i in range(m):
            for c in range(n):
                out[c, i] = X[i, cols[c]]
        return out

    @njit(**_JIT)
    def add_columns(dense, XT, ip, ix, dv, cmap, W, Z):  # pragma: no cover - compiled
        """``Z += X[:, ws] W`` (``W`` of shape (n_ws, K), ``Z`` (m, K)), in float64."""
        K = Z.shape[1]
        for c in range(cmap.shape[0]):
            for k in range(K):
                a = W[c, k]
                if a != 0.0:
                    _col_axpy(dense, XT, ip, ix, dv, cmap[c], a, Z[:, k])

    @njit(**_JIT)
    def binomial_ws(
        dense, XT, ip, ix, dv, cmap, y, s, z, w, b, fit_b, l1, l2, tol, max_newton, max_sweeps
    ):  # pragma: no cover - compiled
        """Minimise ``F = sum s_i L(y_i, z_i) + l2/2 ||w||^2 + l1 ||w||_1`` over the
        working set's ``w`` (n_ws,) and the intercept ``b[0]`` (when ``fit_b``), ``z`` the
        logits (every other term of ``X w + b + offset`` held fixed), in place.

        Each Newton step: ``r = s (a - y)``, ``h = s a (1 - a)`` at ``z``, the gradient
        ``G_c = x_c . r + l2 w_c`` and the diagonal ``H_c = x_c^2 . h + l2``; stop when the
        subdifferential distance is ``<= tol``; else coordinate descent on the model
        ``G . d + (X d)^T diag(h) (X d) / 2 + l2 ||d||^2 / 2 + l1 ||w + d||_1`` (keeping
        ``dz = X d + db``; cycling over the nonzero coordinates between full sweeps, each
        coordinate a soft-threshold), then an Armijo backtracking on ``F`` along ``d``.

        Returns ``(newton steps, sweeps, status, subdifferential distance, F)``.
        """
        m = z.shape[0]
        n = w.shape[0]
        r = np.empty(m)
        h = np.empty(m)
        dz = np.empty(m)
        G = np.empty(n)
        H = np.empty(n)
        d = np.empty(n)
        zero = np.zeros(n)
        F = _binomial_terms(z, y, s, r, h) + _penalty(w, zero, 0.0, l1, l2)
        steps = 0
        sweeps = 0
        status = OK
        opt = np.inf
        while True:
            gb = 0.0
            hb = 0.0
            for i in range(m):
                gb += r[i]
                hb += h[i]
            opt = abs(gb) if fit_b else 0.0
            for c in range(n):
                g = _col_dot(dense, XT, ip, ix, dv, cmap[c], r) + l2 * w[c]
                G[c] = g
                if w[c] != 0.0:
                    v = abs(g + l1) if w[c] > 0 else abs(g - l1)
                else:
                    v = max(abs(g) - l1, 0.0)
                opt = max(opt, v)
            if opt <= tol or steps >= max_newton:
                break
            for c in range(n):
                H[c] = _col_wsq(dense, XT, ip, ix, dv, cmap[c], h) + l2
                d[c] = 0.0
            dz[:] = 0.0
            db = 0.0
            inner = max(0.1 * opt, 0.5 * tol)
            full = True
            since = 0
            for _ in range(max_sweeps):
                viol = 0.0
                active = 0
                for c in range(n):
                    wc = w[c] + d[c]
                    active += wc != 0.0
                    a = H[c]
                    if (not full and wc == 0.0) or not a > 0.0:
                        continue
                    gm = G[c] + _col_wdot(dense, XT, ip, ix, dv, cmap[c], h, dz) + l2 * d[c]
                    delta = _soft(wc - gm / a, l1 / a) - wc
                    if delta != 0.0:
                        d[c] += delta
                        _col_axpy(dense, XT, ip, ix, dv, cmap[c], delta, dz)
                        viol = max(viol, a * abs(delta))
                if fit_b and hb > 0.0:
                    gm = gb
                    for i in range(m):
                        gm += h[i] * dz[i]
                    delta = -gm / hb
                    db += delta
                    for i in range(m):
                        dz[i] += delta
                    viol = max(viol, abs(gm))
                sweeps += 1
                since += 1
                if viol <= inner:
                    if full:
                        break
                    full = True
                else:
                    full = False
                    # slow progress: the model's minimiser on the current face, then a
                    # full sweep to check it (about as costly as |A| / 4 sweeps)
                    if since >= max(_REFINE_AFTER, active // 4):
                        step_b, moved = _refine_binomial(
                            dense, XT, ip, ix, dv, cmap, h, G, w, d, dz, fit_b, gb, l1, l2
                        )
                        db += step_b
                        since = 0
                        full = full or moved
            # the decrease the model predicts, summed per coordinate (no cancellation)
            delta_f = gb * db
            for c in range(n):
                delta_f += G[c] * d[c] + l1 * (abs(w[c] + d[c]) - abs(w[c]))
            if not delta_f < 0.0:
                status = NO_DESCENT
                break
            t = 1.0
            trust = -delta_f <= _ROUNDING * max(1.0, abs(F))
            accepted = False
            for _ in range(_MAX_BACKTRACK):
                F_t = _binomial_loss(z, dz, t, y, s) + _penalty(w, d, t, l1, l2)
                if F_t <= F + _ARMIJO * t * delta_f or trust:
                    accepted = True
                    break
                t *= 0.5
            if not accepted:
                status = LINE_SEARCH_FAILED
                break
            for c in range(n):
                w[c] += t * d[c]
            b[0] += t * db
            for i in range(m):
                z[i] += t * dz[i]
            F = _binomial_terms(z, y, s, r, h) + _penalty(w, zero, 0.0, l1, l2)
            steps += 1
        return steps, sweeps, status, opt, F

    @njit(**_JIT)
    def softmax_ws(
        dense, XT, ip, ix, dv, cmap, y, s, Z, W, b, fit_b, l1, l2, tol, max_newton, max_sweeps
    ):  # pragma: no cover - compiled
        """:func:`binomial_ws` for the softmax: ``W`` (n_ws, K), ``b`` (K,), logits ``Z``
        (m, K). The model is the exact softmax Hessian's: with ``P`` the probabilities,
        ``dZ = X dW + db`` (kept by class, (K, m)) and ``q_i = sum_k P_ik dZ_ik``, coordinate ``(c, k)`` has the
        model gradient ``G_ck + sum_i x_ic s_i P_ik (dZ_ik - q_i) + l2 dW_ck`` and the
        curvature ``sum_i x_ic^2 s_i P_ik (1 - P_ik) + l2``; ``q`` is updated with
        ``dZ``. Returns what :func:`binomial_ws` does."""
        m, K = Z.shape
        n = W.shape[0]
        P = np.empty((m, K))
        R = np.empty(m)  # a column of s (P - Y), then of s P (1 - P)
        dZ = np.empty((K, m))  # by class: the sweeps read a class's column contiguously
        PT = np.empty((K, m))
        SPT = np.empty((K, m))
        q = np.empty(m)
        G = np.empty((n, K))
        H = np.empty((n, K))
        D = np.empty((n, K))
        gb = np.empty(K)
        hb = np.empty(K)
        Wf = W.reshape(n * K)
        Df = D.reshape(n * K)
        zero = np.zeros(n * K)
        F = _softmax_terms(Z, y, s, P) + _penalty(Wf, zero, 0.0, l1, l2)
        steps = 0
        sweeps = 0
        status = OK
        opt = np.inf
        while True:
            opt = 0.0
            for k in range(K):
                sg = 0.0
                for i in range(m):
                    R[i] = s[i] * (P[i, k] - (1.0 if int(y[i]) == k else 0.0))
                    sg += R[i]
                gb[k] = sg
                if fit_b:
                    opt = max(opt, abs(sg))
                for c in range(n):
                    g = _col_dot(dense, XT, ip, ix, dv, cmap[c], R) + l2 * W[c, k]
                    G[c, k] = g
                    if W[c, k] != 0.0:
                        v = abs(g + l1) if W[c, k] > 0 else abs(g - l1)
                    else:
                        v = max(abs(g) - l1, 0.0)
                    opt = max(opt, v)
            if opt <= tol or steps >= max_newton:
                break
            for k in range(K):
                sh = 0.0
                for i in range(m):
                    R[i] = s[i] * P[i, k] * (1.0 - P[i, k])
                    PT[k, i] = P[i, k]
                    SPT[k, i] = s[i] * P[i, k]
                    sh += R[i]
                hb[k] = sh
                for c in range(n):
                    H[c, k] = _col_wsq(dense, XT, ip, ix, dv, cmap[c], R) + l2
                    D[c, k] = 0.0
            dZ[:] = 0.0
            q[:] = 0.0
            db = np.zeros(K)
            inner = max(0.1 * opt, 0.5 * tol)
            full = True
            for _ in range(max_sweeps):
                viol = 0.0
                for c in range(n):
                    col = cmap[c]
                    for k in range(K):
                        wc = W[c, k] + D[c, k]
                        a = H[c, k]
                        if (not full and wc == 0.0) or not a > 0.0:
                            continue
                        gm = G[c, k] + l2 * D[c, k]
                        if dense:
                            row = XT[col]
                            for i in range(m):
                                gm += row[i] * SPT[k, i] * (dZ[k, i] - q[i])
                        else:
                            for p in range(ip[col], ip[col + 1]):
                                i = ix[p]
                                gm += dv[p] * SPT[k, i] * (dZ[k, i] - q[i])
                        delta = _soft(wc - gm / a, l1 / a) - wc
                        if delta != 0.0:
                            D[c, k] += delta
                            if dense:
                                row = XT[col]
                                for i in range(m):
                                    u = delta * row[i]
                                    dZ[k, i] += u
                                    q[i] += PT[k, i] * u
                            else:
                                for p in range(ip[col], ip[col + 1]):
                                    i = ix[p]
                                    u = delta * dv[p]
                                    dZ[k, i] += u
                                    q[i] += PT[k, i] * u
                            viol = max(viol, a * abs(delta))
                if fit_b:
                    for k in range(K):
                        if not hb[k] > 0.0:
                            continue
                        gm = gb[k]
                        for i in range(m):
                            gm += SPT[k, i] * (dZ[k, i] - q[i])
                        delta = -gm / hb[k]
                        db[k] += delta
                        for i in range(m):
                            dZ[k, i] += delta
                            q[i] += PT[k, i] * delta
                        viol = max(viol, abs(gm))
                sweeps += 1
                if viol <= inner:
                    if full:
                        break
                    full = True
                else:
                    full = False
            delta_f = 0.0
            for k in range(K):
                delta_f += gb[k] * db[k]
                for c in range(n):
                    delta_f += G[c, k] * D[c, k]
                    delta_f += l1 * (abs(W[c, k] + D[c, k]) - abs(W[c, k]))
            if not delta_f < 0.0:
                status = NO_DESCENT
                break
            t = 1.0
            trust = -delta_f <= _ROUNDING * max(1.0, abs(F))
            accepted = False
            for _ in range(_MAX_BACKTRACK):
                F_t = _softmax_loss(Z, dZ, t, y, s) + _penalty(Wf, Df, t, l1, l2)
                if F_t <= F + _ARMIJO * t * delta_f or trust:
                    accepted = True
                    break
                t *= 0.5
            if not accepted:
                status = LINE_SEARCH_FAILED
                break
            for c in range(n):
                for k in range(K):
                    W[c, k] += t * D[c, k]
            for k in range(K):
                b[k] += t * db[k]
            for i in range(m):
                for k in range(K):
                    Z[i, k] += t * dZ[k, i]
            F = _softmax_terms(Z, y, s, P) + _penalty(Wf, zero, 0.0, l1, l2)
            steps += 1
        return steps, sweeps, status, opt, F

    @njit(**_JIT)
    def residuals(X, XT, indptr, indices, data, Z, y, s, R, G):  # pragma: no cover
        """``sum_i s_i L_i`` at logits ``Z`` (m, K); ``R = s (a - y)`` (m, K) and
        ``G = X^T R`` (n, K), float64 sums, from a C-ordered dense ``X``, else from
        ``XT = X.T`` (C-ordered), else from CSR arrays (the unused ones empty): the gradient
        of every feature, one read of ``X``."""
        m, K = Z.shape
        if K == 1:
            h = np.empty(m)
            loss = _binomial_terms(Z[:, 0], y, s, R[:, 0], h)
        else:
            loss = _softmax_terms(Z, y, s, R)
            for i in range(m):
                R[i, int(y[i])] -= 1.0
                for k in range(K):
                    R[i, k] *= s[i]
        G[:] = 0.0
        if X.shape[0] > 0:
            n = X.shape[1]
            for i in range(m):
                for k in range(K):
                    r = R[i, k]
                    if r != 0.0:
                        for j in range(n):
                            G[j, k] += r * X[i, j]
        elif XT.shape[0] > 0:
            for j in range(XT.shape[0]):
                row = XT[j]
                for k in range(K):
                    acc = 0.0
                    for i in range(m):
                        acc += row[i] * R[i, k]
                    G[j, k] = acc
        else:
            for i in range(m):
                for p in range(indptr[i], indptr[i + 1]):
                    j = indices[p]
                    x = np.float64(data[p])
                    for k in range(K):
                        G[j, k] += x * R[i, k]
        return loss

    return SimpleNamespace(
        residuals=residuals,
        gather_csr=gather_csr,
        gather_dense=gather_dense,
        add_columns=add_columns,
        binomial_ws=binomial_ws,
        softmax_ws=softmax_ws,
    )
