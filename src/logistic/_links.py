"""The link between the linear node and the loss: binomial (sigmoid) or softmax.

A model is ``Z = X W + b`` followed by a link. Everything that differs between two classes
and ``K`` classes lives here, behind one interface, so that the objective, the estimator, the
executors, the graph and the command line never branch on the number of classes:

================  ==================================  ====================================
                  :class:`Binomial`                   :class:`Softmax` (``K`` classes)
================  ==================================  ====================================
outputs a row     1: ``z = x . w + b``                ``K``: ``z = W^T x + b``
probabilities     ``[1 - a, a]``, ``a = sigmoid(z)``  ``a = softmax(z)``
label             ``z > 0``                           ``argmax_k z_k``
loss of a row     ``log(1 + e^z) - y z``              ``logsumexp(z) - z_y``
curvature bound   ``a (1 - a) <= 1/4``                ``diag(a) - a a^T <= I / 2``
null space        none                                ``(1, ..., 1)`` over the classes
kernel            :mod:`logistic._kernel._binomial`   :mod:`logistic._kernel._softmax`
================  ==================================  ====================================

Parameters travel as one float64 vector ``p = [W.ravel(); b]`` with ``W`` of shape
(n_features, n_out) in C order (``W[j, k]`` at ``j n_out + k``) and the ``n_out`` intercepts
last (absent without ``fit_intercept``): for the binomial link this is ``[w; b]``. Fitted
coefficients are returned in scikit-learn's layout, ``coef_`` (n_out, n_features).

A new link (another loss on the same linear node) is a new class here with the same methods,
and a kernel module in :mod:`logistic._kernel`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from scipy.special import expit

from ._kernel import _binomial, _softmax
from ._math import bce, log1pexp

__all__ = ["Binomial", "Link", "Softmax", "link_for"]


class Link(ABC):
    """What every link provides (see the module docstring); not used directly.

    Attributes
    ----------
    name : str
    n_classes : int
    n_out : int
        Outputs (logits) a row: the columns of ``W``.
    curvature_bound : float
        An upper bound on the largest eigenvalue of a row's Hessian in its logits.
    capabilities : frozenset of str
        What the kernel offers beyond loss, gradient, Hessian and Hessian-vector products:
        ``"hess_diag"`` (the Hessian's diagonal in the gradient's pass), ``"line_search"``
        (O(m) derivatives along a direction), ``"float32_gram"`` (Hessians from float32
        Gram products).
    share_start : bool
        Whether a fit starts from the intercept-only model (:meth:`null_intercepts`,
        :meth:`logistic._objective.Objective.start`) rather than from 0.
    kernel : module
        Its chunk kernels, with the functions of the kernel protocol
        (:mod:`logistic._kernel`): ``add_stats``, ``curvature``, ``curvature_matvec``,
        ``logits_pair``, ``line_sums``, taking the parameters as :meth:`kernel_params`
        gives them.
    """

    name = "link"
    n_classes = 0
    n_out = 0
    curvature_bound = 0.0
    capabilities = frozenset()
    share_start = False

    def __eq__(self, other):
        return type(self) is type(other) and self.n_classes == other.n_classes

    def __hash__(self):
        return hash((type(self).__name__, self.n_classes))

    def __repr__(self):
        return f"{type(self).__name__}(n_classes={self.n_classes})"

    # -- parameters -------------------------------------------------------------------
    def n_params(self, n_features: int, fit_intercept: bool) -> int:
        """Length of ``p``."""
        return (n_features + int(bool(fit_intercept))) * self.n_out

    def split(self, p, n_features: int, fit_intercept: bool):
        """``(w, b)``: ``W.ravel()`` (n_features * n_out,) and ``b`` (n_out,), float64."""
        p = np.asarray(p, dtype=np.float64)
        k = n_features * self.n_out
        return p[:k], (p[k:] if fit_intercept else np.zeros(self.n_out))

    def coef_intercept(self, p, n_features: int, fit_intercept: bool):
        """``(coef (n_out, n_features), intercept (n_out,))``, scikit-learn's layout."""
        w, b = self.split(p, n_features, fit_intercept)
        return w.reshape(n_features, self.n_out).T.copy(), np.array(b, dtype=np.float64)

    def params(self, coef, intercept, fit_intercept: bool):
        """``p`` from ``coef`` (n_out, n_features) and ``intercept`` (n_out,)."""
        w = np.asarray(coef, dtype=np.float64).reshape(self.n_out, -1).T.ravel()
        if not fit_intercept:
            return w.copy()
        return np.concatenate([w, np.asarray(intercept, dtype=np.float64).reshape(self.n_out)])

    def null_space(self, n_features: int, fit_intercept: bool, penalised: bool):
        """Rows of ``W`` (``n_features`` is the intercept row) along which the data term is
        flat: the Hessian's null directions ``e_j (x) (1, ..., 1)``. Empty for a link
        without them."""
        return []

    def null_intercepts(self, totals):
        """The intercepts (n_out,) of the intercept-only model, whose probabilities are the
        classes' shares of the weight ``totals`` (n_classes,); None when a class has no
        weight (its logit would be ``-inf``)."""
        totals = np.asarray(totals, dtype=np.float64)
        if totals.shape != (self.n_classes,) or not np.all(totals > 0):
            return None
        return self._log_shares(np.log(totals))

    # -- prediction -------------------------------------------------------------------
    @abstractmethod
    def decision(self, X, coef, intercept, offset=None):
        """Logits of the rows of ``X``: (m,) for one output, (m, n_out) otherwise."""

    @abstractmethod
    def proba(self, Z):
        """Class probabilities (m, n_classes) from the logits; rows sum to 1."""

    def log_proba(self, Z):
        """``log proba(Z)``, finite even where a probability underflows to 0.

        Where the probability is a normal number this is ``log`` of exactly what
        :meth:`proba` returns (so the two agree to the last digit); where it has underflowed
        the log comes from the logits instead of being ``-inf``.
        """
        proba = self.proba(Z)
        out = self._log_proba_from_logits(Z)
        normal = proba >= np.finfo(proba.dtype).tiny
        out[normal] = np.log(proba[normal])
        return out

    @abstractmethod
    def labels(self, Z):
        """Class indices (m,) of the largest probability."""

    @abstractmethod
    def losses(self, y, Z):
        """The loss of each row, ``-log a_{y_i}``, from the logits (``y``: class indices)."""


class Binomial(Link):
    """Two classes: ``a = sigmoid(z)``, ``L = BCE(a, y)`` (the seeds' graph)."""

    name = "binomial"
    n_classes = 2
    n_out = 1
    curvature_bound = 0.25
    capabilities = frozenset({"hess_diag", "line_search", "float32_gram"})

    def decision(self, X, coef, intercept, offset=None):
        w = np.asarray(coef).ravel().astype(X.dtype, copy=False)
        z = np.asarray(X @ w).ravel()
        z = z + np.asarray(intercept).ravel()[0].astype(z.dtype)
        return z if offset is None else z + offset

    def proba(self, Z):
        return np.column_stack([expit(-Z), expit(Z)])

    def _log_proba_from_logits(self, Z):
        return np.column_stack([-log1pexp(Z), -log1pexp(-Z)])

    def labels(self, Z):
        return (Z > 0).astype(np.intp)

    def losses(self, y, Z):
        return bce(y, Z)

    # -- chunk kernels --------------------------------------------------------------
    kernel = _binomial

    @staticmethod
    def kernel_params(w, b):
        return w, float(b[0])

    @staticmethod
    def _log_shares(log_totals):
        return log_totals[1:] - log_totals[:1]  # the log-odds of the positive class


class Softmax(Link):
    """``K >= 3`` classes: ``a = softmax(z)``, ``L = -log a_y`` (the multinomial model).

    scikit-learn's parametrisation: all ``K`` columns of ``W``, penalised symmetrically
    (the intercepts are not). The model is invariant to adding one constant to every
    class's logit, so the data term's Hessian has null directions: the intercepts'
    ``(1, ..., 1)`` and, without a penalty, every feature's ``e_j (x) (1, ..., 1)``. The
    gradient is always orthogonal to them, so solvers started at 0 never move along them
    (``sum_k b_k = 0`` stays true, as in scikit-learn); second-order solvers add the
    projector onto them to the Hessian (:meth:`null_space`), which leaves every Newton
    step in the identifiable subspace unchanged and makes the Cholesky factor exist.
    """

    name = "softmax"
    n_out = property(lambda self: self.n_classes)
    curvature_bound = 0.5
    # No preconditioner is offered for Newton-CG: Jacobi scaling (the Hessian's diagonal)
    # made CG slower than none, and block-Jacobi (its K x K diagonal blocks) halved the
    # products on one design and cost more passes on another (docs/solvers.md).
    capabilities = frozenset({"line_search"})
    # Unpreconditioned CG from 0 spends its first products on the class shares (police:
    # 177 passes from 0, 126 from here); the binomial link's first Newton or Jacobi-scaled
    # step finds its intercept anyway, and from the shares its runs were no shorter
    # (docs/solvers.md).
    share_start = True

    def __init__(self, n_classes: int):
        if n_classes < 2:
            raise ValueError(f"a softmax link needs at least 2 classes, got {n_classes}.")
        self.n_classes = int(n_classes)

    def __getstate__(self):
        return {"n_classes": self.n_classes}

    def __setstate__(self, state):
        self.n_classes = state["n_classes"]

    def null_space(self, n_features, fit_intercept, penalised):
        rows = [n_features] if fit_intercept else []
        if not penalised:
            rows.extend(range(n_features))
        return rows

    def decision(self, X, coef, intercept, offset=None):
        Z = np.asarray(X @ np.asarray(coef).T.astype(X.dtype, copy=False))
        Z = Z + np.asarray(intercept).astype(Z.dtype)
        return Z if offset is None else Z + offset

    def proba(self, Z):
        return _softmax.probabilities(np.asarray(Z))[0]

    def _log_proba_from_logits(self, Z):
        return Z - _softmax.probabilities(np.asarray(Z))[1][:, None]

    def labels(self, Z):
        return np.argmax(Z, axis=1)

    def losses(self, y, Z):
        Z = np.asarray(Z)
        y = np.asarray(y).astype(np.intp)
        return _softmax.probabilities(Z)[1] - Z[np.arange(Z.shape[0]), y]

    # -- chunk kernels --------------------------------------------------------------
    kernel = _softmax

    def kernel_params(self, w, b):
        return w.reshape(-1, self.n_classes), np.asarray(b, dtype=np.float64)

    @staticmethod
    def _log_shares(log_totals):
        return log_totals - log_totals.mean()  # summing to 0, as every iterate's intercepts


BINOMIAL = Binomial()


def link_for(n_classes: int) -> Link:
    """The link of a model of ``n_classes`` labels: binomial for two, softmax for more."""
    return BINOMIAL if int(n_classes) == 2 else Softmax(int(n_classes))
