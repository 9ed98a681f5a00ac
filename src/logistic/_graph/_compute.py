"""The graph evaluated on rows: forward through the link, backward node by node.

The forward pass is the library's own (:meth:`Link.decision`, :meth:`Link.proba`,
:meth:`Link.losses`); the backward pass multiplies the local derivatives of the link's
nodes (:data:`~logistic._graph._nodes.NODES`) literally, next to the fused ``a - y``.
Nothing here branches on the link: its outputs are the columns of ``W``, its activation
``a`` the probabilities of the last ``n_out`` classes (the binomial link's one logit is
class 1 against class 0) and ``y`` the one-hot label in those same coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._links import Softmax, link_for
from ..errors import DataError
from ._nodes import nodes_for
from ._trace import BatchTrace, ExampleTrace, fmt_values, label_value

__all__ = ["ComputationGraph", "GradientCheck", "explain", "gradient_check"]


class ComputationGraph:
    """The linear node and a link's activation and loss nodes, for parameters ``(w, b)``.

    Parameters
    ----------
    w : array_like of shape (n_features,) or (n_features, n_out)
        The weights, one column per output (the seeds' ``z = W^T x + b``).
    b : float or array_like of shape (n_out,), default=0.0
    feature_names : list of str, optional
    link : logistic.objective.Link, optional
        Defaults to the binomial link for one column of ``w`` and the softmax of ``n_out``
        classes for more (so two columns make a two-class softmax).
    classes : sequence, optional
        The labels ``y`` may take, in the link's order; defaults to ``0, ..., n_classes - 1``.

    Attributes
    ----------
    link, nodes, classes, feature_names
    w : ndarray (n_features,) or (n_features, n_out)
        As given (one output: a vector); ``b`` likewise a number or (n_out,).
    """

    def __init__(self, w, b=0.0, feature_names=None, *, link=None, classes=None):
        w = np.asarray(w, dtype=np.float64)
        W = w.reshape(w.shape[0], -1) if w.ndim else w.reshape(1, 1)
        n_out = W.shape[1]
        if link is None:
            link = link_for(2) if n_out == 1 else Softmax(n_out)
        if link.n_out != n_out:
            raise DataError(
                f"w has {n_out} columns but the {link.name} link has {link.n_out} outputs; "
                "w accepts one column per output."
            )
        self.link = link
        self.nodes = nodes_for(link)
        self._W = W
        self._b = np.broadcast_to(np.asarray(b, dtype=np.float64).ravel(), (n_out,)).copy()
        self.w = W[:, 0] if n_out == 1 else W
        self.b = float(self._b[0]) if n_out == 1 else self._b
        self.classes = list(range(link.n_classes)) if classes is None else list(classes)
        self.feature_names = list(feature_names) if feature_names is not None else []

    # -- forward -------------------------------------------------------------------------
    def _logits(self, X, W=None, b=None):
        """``Z`` in the link's layout: (m,) for one output, (m, n_out) otherwise."""
        W = self._W if W is None else W
        return self.link.decision(X, W.T, self._b if b is None else b)

    def _forward(self, X, idx):
        """``(z, a, y, L)`` of the rows of ``X``: ``z``, ``a``, ``y`` (m, n_out), ``L`` (m,)."""
        Z = self._logits(X)
        k = self.link.n_out
        z = np.reshape(Z, (-1, k))
        a = self.link.proba(Z)[:, -k:]
        y = np.zeros((idx.shape[0], self.link.n_classes))
        y[np.arange(idx.shape[0]), idx] = 1.0
        return z, a, y[:, -k:], self.link.losses(idx, Z)

    def _indices(self, y):
        """Class indices of the labels ``y`` (their positions in ``classes``)."""
        labels = np.asarray(y, dtype=object).ravel()
        idx = np.full(labels.shape[0], -1, dtype=np.intp)
        for k, c in enumerate(self.classes):
            idx[(labels == c) & (idx < 0)] = k
        if np.any(idx < 0):
            raise DataError(
                f"y={labels[np.argmax(idx < 0)]!r} is not one of the model's classes "
                f"{[label_value(c) for c in self.classes]!r}; explain() accepts labels the "
                "model was trained on."
            )
        return idx

    def _squeeze(self, v, axes=1):
        """One output: drop the ``axes`` trailing output axes (the links' convention)."""
        v = np.asarray(v, dtype=np.float64)
        if self.link.n_out != 1:
            return v
        v = v.reshape(v.shape[: v.ndim - axes])
        return float(v) if v.ndim == 0 else v

    # -- one row -------------------------------------------------------------------------
    def trace(self, x, y) -> ExampleTrace:
        """Forward and backward pass for one example.

        Parameters
        ----------
        x : array_like of shape (n_features,)
        y : label
            One of ``classes``.

        Returns
        -------
        ExampleTrace
        """
        x = np.asarray(x, dtype=np.float64).ravel()
        idx = self._indices(np.ravel(np.asarray(y, dtype=object))[:1])
        z, a, yv, L = self._forward(x[None, :], idx)
        z, a, yv, L = z[0], a[0], yv[0], float(L[0])
        nodes = self.nodes
        # The literal evaluation divides by a rounded 0 and multiplies inf by 0 on purpose:
        # those are the values the trace reports.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            dL_da = nodes.dL_da(a, yv)
            J = nodes.da_dz(a)
            J_stable = nodes.da_dz_stable(z, a)
            chain = (dL_da[:, None] * J).sum(axis=0)  # sum_j dL/da_j da_j/dz_k
            L_literal = nodes.loss_literal(a, yv)
        fused = a - yv
        saturated = bool(np.any((a == 0.0) | (a == 1.0)))
        note = ""
        if saturated:
            values = {
                "z": z,
                "a": a,
                "dL_da": dL_da,
                "da_dz": np.diag(J),
                "da_dz_stable": np.diag(J_stable),
                "chain": chain,
                "fused": fused,
                "L": L,
                "L_literal": L_literal,
            }
            note = nodes.note.format(**{k: fmt_values(self._squeeze(v)) for k, v in values.items()})
        one = self._squeeze
        return ExampleTrace(
            link=self.link.name,
            classes=self.classes,
            label=self.classes[int(idx[0])],
            x=x,
            y=one(yv),
            w=self.w,
            b=self.b,
            z=one(z),
            a=one(a),
            L=L,
            L_literal=L_literal,
            dL_da=one(dL_da),
            da_dz=one(J, 2),
            da_dz_stable=one(J_stable, 2),
            dL_dz_chain=one(chain),
            dL_dz=one(fused),
            dz_dw=x.copy(),
            dz_db=1.0,
            dL_dw=one(np.outer(x, fused)),
            dL_db=one(fused),
            saturated=saturated,
            note=note,
            label_index=int(idx[0]),
            feature_names=self.feature_names,
        )

    # -- many rows -----------------------------------------------------------------------
    def trace_batch(self, X, y) -> BatchTrace:
        """The graph over the rows of ``X`` (m, n_features), dense or sparse, labels ``y``
        (m,): per-row values and the averaged gradients ``X^T (A - Y) / m``."""
        X = _float64(X)
        z, a, yv, L = self._forward(X, self._indices(y))
        R = a - yv
        m = X.shape[0]
        return BatchTrace(
            link=self.link.name,
            classes=self.classes,
            z=self._squeeze(z),
            a=self._squeeze(a),
            L=np.asarray(L, dtype=np.float64),
            dL_dz=self._squeeze(R),
            J=float(np.mean(L)),
            dJ_dw=self._squeeze(np.asarray(X.T @ R) / m),
            dJ_db=self._squeeze(R.mean(axis=0)),
            n_saturated=int(np.sum(np.any((a == 0.0) | (a == 1.0), axis=1))),
            feature_names=self.feature_names,
        )

    def params(self):
        """``[W.ravel(); b]``: the parameters in the links' layout (C order, then ``b``)."""
        return np.concatenate([self._W.ravel(), self._b])

    def _mean_loss(self, X, idx, p):
        """``J = (1/m) sum_i L_i`` from the logits at parameters ``p`` (see :meth:`params`)."""
        k = self._W.size
        Z = self._logits(X, p[:k].reshape(self._W.shape), p[k:])
        return float(np.mean(self.link.losses(idx, Z)))


def _float64(X):
    """Rows as float64, dense or CSR (the graph is an oracle: it computes in float64)."""
    if sp.issparse(X):
        return sp.csr_array(X, dtype=np.float64)
    return np.atleast_2d(np.asarray(X, dtype=np.float64))


def _as_rows(x):
    """``(rows, one)``: ``one`` is True for a single example (a 1-d array, or one row of a
    scipy.sparse matrix, which cannot be 1-d), then ``rows`` is (n,) dense float64."""
    if sp.issparse(x):
        if x.ndim == 1 or (isinstance(x, sp.spmatrix) and x.shape[0] == 1):
            return np.asarray(x.toarray(), dtype=np.float64).ravel(), True
        return _float64(x), False
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (1, 2):
        raise DataError(
            f"x has {x.ndim} dimensions; explain() accepts one row (n_features,) or rows "
            "(m, n_features)."
        )
    return x, x.ndim == 1


def graph_of(model, feature_names=None) -> ComputationGraph:
    """The graph of a fitted estimator (``coef_``, ``intercept_``, ``classes_``) or of a
    pair ``(w, b)`` (``w`` (n,) or (n, n_out), see :class:`ComputationGraph`)."""
    if hasattr(model, "coef_"):
        coef = np.asarray(model.coef_, dtype=np.float64)
        classes = getattr(model, "classes_", None)
        names = getattr(model, "feature_names_in_", None)
        names = None if names is None else [str(n) for n in names]
        return ComputationGraph(
            coef.T,
            np.asarray(model.intercept_, dtype=np.float64),
            feature_names if feature_names is not None else names,
            link=None if classes is None else link_for(len(classes)),
            classes=None if classes is None else list(classes),
        )
    w, b = model
    return ComputationGraph(w, b, feature_names)


def explain(model, x, y, feature_names=None):
    """Trace the computation graph of a fitted model on the user's own data.

    Parameters
    ----------
    model : fitted LogisticRegression, or a pair ``(w, b)``
        Binary or multinomial: the graph follows the model's link. A pair is ``w`` (n,)
        and a number ``b`` (binomial), or ``W`` (n, K) and ``b`` (K,) (softmax).
    x : array_like or sparse of shape (n_features,) or (m, n_features)
        One example (returns :class:`ExampleTrace`; one row of a scipy.sparse matrix
        counts as one example) or a batch (returns :class:`BatchTrace` with the averaged
        gradients). Any float dtype; the graph computes in float64.
    y : label or array_like of shape (m,)
        The true label(s), in the model's ``classes_`` (or ``0, ..., K-1`` for a pair).
    feature_names : list of str, optional
        Defaults to the model's ``feature_names_in_``, else ``"0", "1", ...``.

    Returns
    -------
    ExampleTrace or BatchTrace
        ``print()`` shows the tables; ``.rows()``, ``.feature_rows()`` and ``.as_dict()``
        give them as data.

    Raises
    ------
    DataError
        ``x`` has another number of features than the model, or ``y`` a label that is not
        one of its classes.
    """
    graph = graph_of(model, feature_names)
    rows, one = _as_rows(x)
    n = graph._W.shape[0]
    if rows.shape[-1] != n:
        raise DataError(
            f"x has {rows.shape[-1]} features but the model has {n}; explain() accepts rows "
            "with the model's features."
        )
    return graph.trace(rows, y) if one else graph.trace_batch(rows, y)


@dataclass
class GradientCheck:
    """Analytic (graph) gradient against central finite differences of the mean loss.

    ``max_rel_error`` is ``max |analytic - numeric| / max |numeric|``: the error relative to
    the gradient's scale, so that a component that is 0 at the optimum does not blow it up.
    Both vectors are in the links' layout ``[W.ravel(); b]``.
    """

    analytic: np.ndarray
    numeric: np.ndarray
    max_abs_error: float
    max_rel_error: float

    @property
    def ok(self) -> bool:
        return self.max_rel_error < 1e-6


def gradient_check(model, X, y, eps=1e-6) -> GradientCheck:
    """Compare the graph's ``(dJ/dW, dJ/db)`` with central differences of ``J``.

    ``J(W, b) = (1/m) sum_i L_i`` over the rows of ``X`` (dense or sparse), for either link;
    each parameter ``p`` is moved by ``h = eps max(1, |p|)`` and ``(J(p + h) - J(p - h)) /
    2h`` compared with the graph's ``X^T (A - Y) / m``, ``mean(a - y)``. Central differences
    have truncation error ``O(h^2)``.

    Parameters
    ----------
    model : fitted LogisticRegression, or a pair ``(w, b)`` (see :func:`explain`)
    X : array_like or sparse of shape (m, n_features)
    y : array_like of shape (m,)
    eps : float, default=1e-6
    """
    graph = graph_of(model)
    X = _float64(X)
    idx = graph._indices(y)
    trace = graph.trace_batch(X, y)
    k = graph.link.n_out
    analytic = np.concatenate([np.ravel(trace.dJ_dw), np.reshape(trace.dJ_db, k)])
    p = graph.params()
    numeric = np.empty_like(p)
    for j in range(p.shape[0]):
        h = eps * max(1.0, abs(p[j]))
        up, down = p.copy(), p.copy()
        up[j] += h
        down[j] -= h
        numeric[j] = (graph._mean_loss(X, idx, up) - graph._mean_loss(X, idx, down)) / (2 * h)
    err = np.abs(analytic - numeric)
    scale = max(float(np.max(np.abs(numeric))), np.finfo(np.float64).tiny)
    return GradientCheck(analytic, numeric, float(err.max()), float(err.max() / scale))
