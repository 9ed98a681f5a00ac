"""Products of a block of rows with vectors and matrices, dense or CSR, in the block's dtype.

SciPy's compiled CSR kernels are called directly where they apply: that skips ``X @ v``'s
Python dispatch (and ``X.T``'s new matrix object) on every block, and lets ``X^T r``
accumulate into a float64 result in place (on the 500,000 x 100,000 CSR benchmark problem a
gradient pass went from 2.5 to 1.5 read times).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = [
    "csr_ready",
    "gram_matvec",
    "linear",
    "matmat",
    "matvec",
    "rmatmat_add",
    "rmatvec_add",
    "squared",
    "weighted_gram",
]

try:  # SciPy's compiled CSR kernels, called directly (see csr_ready)
    from scipy.sparse import _sparsetools as _spt
except ImportError:  # pragma: no cover - a SciPy without the private module
    _spt = None


def csr_ready(X) -> bool:
    """Whether ``X`` is a CSR matrix that SciPy's compiled kernels can take as is."""
    return (
        _spt is not None
        and sp.issparse(X)
        and X.format == "csr"
        and X.indptr.dtype == X.indices.dtype
        and X.data.dtype in (np.float32, np.float64)
    )


def matvec(X, v):
    """``X v`` as a new dense vector in the dtype of ``X`` (``v`` already in that dtype)."""
    if csr_ready(X):
        z = np.zeros(X.shape[0], dtype=X.dtype)
        _spt.csr_matvec(X.shape[0], X.shape[1], X.indptr, X.indices, X.data, v, z)
        return z
    z = X @ v
    if sp.issparse(z):  # pragma: no cover - defensive, X @ 1-d vector is dense
        z = z.toarray()
    return np.asarray(z).ravel()


def rmatvec_add(X, r, out):
    """``out += X^T r`` with ``out`` float64 of shape (n,), ``r`` in the dtype of ``X``."""
    if csr_ready(X):
        if X.dtype == np.float64:
            # X's CSR arrays are the CSC arrays of X^T: scatter-add straight into out
            _spt.csc_matvec(X.shape[1], X.shape[0], X.indptr, X.indices, X.data, r, out)
        else:
            tmp = np.zeros(X.shape[1], dtype=X.dtype)
            _spt.csc_matvec(X.shape[1], X.shape[0], X.indptr, X.indices, X.data, r, tmp)
            out += tmp
        return
    out += np.asarray(X.T @ r, dtype=np.float64).ravel()


def matmat(X, W, out=None):
    """``X W`` as a C-ordered (m, K) array in the dtype of ``X``; ``W`` (n, K).

    ``out`` (C-ordered (m, K) in X's dtype, e.g. a reused scratch buffer: fresh pages cost
    more than a sparse product with few columns) is written into and returned where the
    product can fill it (dense ndarrays, CSR that SciPy's kernel takes); use the returned
    array.
    """
    W = np.ascontiguousarray(W, dtype=X.dtype)
    if out is not None and not sp.issparse(X) and isinstance(X, np.ndarray):
        return np.matmul(X, W, out=out)
    if csr_ready(X):
        if out is None:
            Z = np.zeros((X.shape[0], W.shape[1]), dtype=X.dtype)
        else:
            Z = out
            Z.fill(0)
        _spt.csr_matvecs(
            X.shape[0], X.shape[1], W.shape[1], X.indptr, X.indices, X.data, W.ravel(), Z.ravel()
        )
        return Z
    Z = X @ W
    if sp.issparse(Z):  # pragma: no cover - defensive
        Z = Z.toarray()
    return np.ascontiguousarray(Z)


def rmatmat_add(X, R, out):
    """``out += X^T R`` with ``out`` float64 C-ordered (n, K), ``R`` (m, K) in X's dtype."""
    if csr_ready(X):
        R = np.ascontiguousarray(R)
        target = out if X.dtype == np.float64 else np.zeros(out.shape, dtype=X.dtype)
        _spt.csc_matvecs(
            X.shape[1],
            X.shape[0],
            R.shape[1],
            X.indptr,
            X.indices,
            X.data,
            R.ravel(),
            target.ravel(),
        )
        if target is not out:
            out += target
        return
    out += np.asarray(X.T @ R, dtype=np.float64)


def linear(X, w, b, offset):
    """``z = X w + b (+ offset)`` in the dtype of ``X`` (``b`` a scalar)."""
    z = matvec(X, w.astype(X.dtype, copy=False))
    if b != 0.0:
        z += X.dtype.type(b)
    if offset is not None:
        z += offset.astype(X.dtype, copy=False)
    return z


def gram_matvec(X, h, v_w, v_b=0.0, out=None):
    """``[X 1]^T diag(h) [X 1] v`` without forming the matrix: ``(vec_w, vec_b)``.

    With ``h = s a (1 - a)`` the binomial Hessian-vector product, with ``h = s`` the
    weighted Gram matrix's (power iterations when ``n`` is too large for the matrix).
    ``vec_w`` is added into ``out`` (float64, (n,)) when it is given.
    """
    u = linear(X, np.asarray(v_w), v_b, None)
    u *= np.asarray(h).astype(u.dtype, copy=False)
    if out is None:
        out = np.zeros(X.shape[1])
    rmatvec_add(X, u, out)
    return out, float(np.sum(u, dtype=np.float64))


def weighted_gram(X, h) -> np.ndarray:
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


def squared(X, out=None):
    """``X * X`` elementwise: a CSR matrix sharing ``X``'s indices, or a dense block written
    into ``out`` (a C-ordered scratch block of X's shape) when given."""
    if sp.issparse(X):
        data = X.data * X.data
        try:
            return X._with_data(data, copy=False)  # no copy of the indices
        except AttributeError:  # pragma: no cover - a SciPy without the private helper
            return X.power(2)
    if out is None:
        return np.multiply(X, X)
    np.multiply(X, X, out=out)
    return out
