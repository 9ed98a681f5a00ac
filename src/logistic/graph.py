"""The seeds' computation graph, node by node, with every local derivative on real data.

Forward::

    x, w, b --[linear]--> z = w . x + b --[sigmoid]--> a = 1 / (1 + e^-z) --[BCE]--> L

Local derivatives, exactly as the seeds derive them::

    dz/dw = x        dz/db = 1        da/dz = a (1 - a)
    dL/da = (1 - y) / (1 - a) - y / a

Chain rule::

    dL/dz = dL/da * da/dz  = a - y            (seed 003, component 3)
    dL/dw = dL/dz * dz/dw  = (a - y) x        dL/db = dL/dz * dz/db = a - y

Averaged over ``m`` examples: ``dJ/dw = X^T (a - y) / m``, ``dJ/db = mean(a - y)``.

The graph here is a test oracle and a teaching tool, never the hot path: it evaluates each
node literally (``dL/da`` divides by ``a`` and ``1 - a``), which is exactly why it breaks
where the fused kernel does not. Once ``a`` rounds to 0 or 1 (``|z| > 36.7`` in float64,
``> 16.6`` in float32), ``dL/da`` is infinite and ``da/dz`` is 0, so the literal chain product
is ``inf * 0 = nan``, while the fused ``a - y`` never divides and stays exact. Each trace says
when that happens and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._math import bce, sigmoid, sigmoid_derivative

__all__ = [
    "BCENode",
    "BatchTrace",
    "ComputationGraph",
    "ExampleTrace",
    "GradientCheck",
    "LinearNode",
    "MultinomialTrace",
    "SigmoidNode",
    "explain",
    "gradient_check",
]


class LinearNode:
    """``z = w . x + b``; local derivatives ``dz/dw = x``, ``dz/db = 1``."""

    name = "linear"

    def forward(self, x, w, b):
        return float(np.dot(w, x) + b)

    def local(self, x):
        return {"dz/dw": np.asarray(x, dtype=np.float64).copy(), "dz/db": 1.0}


class SigmoidNode:
    """``a = sigmoid(z)``; local derivative ``da/dz = a (1 - a)``.

    ``local`` returns the seeds' literal ``a (1 - a)``; ``local_stable`` the same quantity as
    ``sigmoid(z) sigmoid(-z)``, which keeps its precision where ``a`` rounds to 1.
    """

    name = "sigmoid"

    def forward(self, z):
        return float(sigmoid(z))

    def local(self, a):
        return {"da/dz": a * (1.0 - a)}

    def local_stable(self, z):
        return {"da/dz": float(sigmoid_derivative(z))}


class BCENode:
    """``L = -(y log a + (1 - y) log(1 - a))``; local ``dL/da = (1 - y)/(1 - a) - y/a``.

    ``forward`` evaluates ``L`` from the logit (``log1pexp``), the value the library uses;
    ``forward_literal`` from ``a`` as written in the seeds, which is ``inf`` once ``a``
    rounds to 0 or 1.
    """

    name = "bce"

    def forward(self, z, y):
        return float(bce(y, z))

    def forward_literal(self, a, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = []
            if y != 0:
                terms.append(y * np.log(a))
            if y != 1:
                terms.append((1 - y) * np.log1p(-a))
            return float(-sum(terms))

    def local(self, a, y):
        a = np.float64(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = (1.0 - y) / (1.0 - a) if y != 1 else np.float64(0.0)
            t2 = y / a if y != 0 else np.float64(0.0)
            return {"dL/da": float(t1 - t2)}


@dataclass
class ExampleTrace:
    """Every value and local derivative of the graph for one example.

    ``dL_dz`` is the fused ``a - y``; ``dL_dz_chain`` the literal product ``dL/da * da/dz``,
    which equals it unless ``a`` saturated (then ``saturated`` is True and ``note`` says why).
    """

    x: np.ndarray
    y: float
    w: np.ndarray
    b: float
    z: float
    a: float
    L: float
    L_literal: float
    dL_da: float
    da_dz: float
    da_dz_stable: float
    dL_dz_chain: float
    dL_dz: float
    dz_dw: np.ndarray
    dz_db: float
    dL_dw: np.ndarray
    dL_db: float
    saturated: bool
    note: str
    feature_names: list[str] = field(default_factory=list)

    def rows(self):
        """(quantity, formula, value) rows for a table."""
        rows = [
            ("z", "w . x + b", _fmt(self.z)),
            ("a", "sigmoid(z) = 1 / (1 + e^-z)", _fmt(self.a)),
            ("L", "-(y log a + (1-y) log(1-a))", _fmt(self.L)),
            ("dL/da", "(1-y)/(1-a) - y/a", _fmt(self.dL_da)),
            ("da/dz", "a (1 - a)", _fmt(self.da_dz)),
            ("dL/dz (chain)", "dL/da * da/dz", _fmt(self.dL_dz_chain)),
            ("dL/dz (fused)", "a - y", _fmt(self.dL_dz)),
            ("dz/db", "1", _fmt(self.dz_db)),
            ("dL/db", "dL/dz * dz/db = a - y", _fmt(self.dL_db)),
        ]
        for name, xj, gj in zip(self._names(), self.dz_dw, self.dL_dw, strict=True):
            rows.append((f"dz/dw[{name}]", f"x[{name}]", _fmt(xj)))
            rows.append((f"dL/dw[{name}]", "(a - y) x", _fmt(gj)))
        return rows

    def _names(self):
        return self.feature_names or [str(j) for j in range(len(self.x))]

    def as_dict(self):
        """Plain Python values (JSON-ready); non-finite numbers become strings."""
        names = self._names()
        return {
            "y": self.y,
            "z": _jsonable(self.z),
            "a": _jsonable(self.a),
            "L": _jsonable(self.L),
            "L_literal": _jsonable(self.L_literal),
            "dL_da": _jsonable(self.dL_da),
            "da_dz": _jsonable(self.da_dz),
            "da_dz_stable": _jsonable(self.da_dz_stable),
            "dL_dz_chain": _jsonable(self.dL_dz_chain),
            "dL_dz": _jsonable(self.dL_dz),
            "dz_db": 1.0,
            "dL_db": _jsonable(self.dL_db),
            "dz_dw": {n: _jsonable(v) for n, v in zip(names, self.dz_dw, strict=True)},
            "dL_dw": {n: _jsonable(v) for n, v in zip(names, self.dL_dw, strict=True)},
            "saturated": self.saturated,
            "note": self.note,
        }

    def __str__(self):
        return _plain_table(
            ["quantity", "formula", "value"], self.rows(), title=f"one example, y = {self.y:g}"
        ) + (f"\n{self.note}" if self.note else "")


@dataclass
class BatchTrace:
    """The graph over ``m`` examples: per-example ``z``, ``a``, ``L``, ``a - y`` and the
    averaged gradients ``dJ/dw = X^T (a - y) / m``, ``dJ/db = mean(a - y)``."""

    z: np.ndarray
    a: np.ndarray
    L: np.ndarray
    dL_dz: np.ndarray
    J: float
    dJ_dw: np.ndarray
    dJ_db: float
    n_saturated: int
    feature_names: list[str] = field(default_factory=list)

    @property
    def m(self) -> int:
        return int(self.z.shape[0])

    def rows(self):
        names = self.feature_names or [str(j) for j in range(len(self.dJ_dw))]
        rows = [
            ("m", "examples", str(self.m)),
            ("J", "(1/m) sum L_i", _fmt(self.J)),
            ("dJ/db", "(1/m) sum (a_i - y_i)", _fmt(self.dJ_db)),
        ]
        rows += [
            (f"dJ/dw[{n}]", "(1/m) sum (a_i - y_i) x_ij", _fmt(g))
            for n, g in zip(names, self.dJ_dw, strict=True)
        ]
        rows.append(("saturated", "rows with a rounded to 0 or 1", str(self.n_saturated)))
        return rows

    def as_dict(self):
        names = self.feature_names or [str(j) for j in range(len(self.dJ_dw))]
        return {
            "m": self.m,
            "J": self.J,
            "dJ_db": self.dJ_db,
            "dJ_dw": {n: float(g) for n, g in zip(names, self.dJ_dw, strict=True)},
            "n_saturated": self.n_saturated,
        }

    def __str__(self):
        return _plain_table(["quantity", "formula", "value"], self.rows(), title="batch")


class ComputationGraph:
    """The three nodes wired together for parameters ``(w, b)``."""

    def __init__(self, w, b=0.0, feature_names=None):
        self.w = np.asarray(w, dtype=np.float64).ravel()
        self.b = float(b)
        self.feature_names = list(feature_names) if feature_names is not None else []
        self.linear = LinearNode()
        self.sigmoid = SigmoidNode()
        self.loss = BCENode()

    def trace(self, x, y) -> ExampleTrace:
        """Forward and backward pass for one example ``x`` of shape (n,), label ``y`` in {0, 1}."""
        x = np.asarray(x, dtype=np.float64).ravel()
        y = float(y)
        z = self.linear.forward(x, self.w, self.b)
        a = self.sigmoid.forward(z)
        L = self.loss.forward(z, y)
        L_literal = self.loss.forward_literal(a, y)
        dL_da = self.loss.local(a, y)["dL/da"]
        da_dz = self.sigmoid.local(a)["da/dz"]
        da_dz_stable = self.sigmoid.local_stable(z)["da/dz"]
        with np.errstate(invalid="ignore", over="ignore"):
            chain = float(np.float64(dL_da) * np.float64(da_dz))
        fused = a - y
        local_lin = self.linear.local(x)
        saturated = a in (0.0, 1.0)
        note = ""
        if saturated:
            note = (
                f"a = sigmoid({z:.6g}) rounds to {a:g} in float64, so 1 - a or a is 0: "
                f"dL/da = {_fmt(dL_da)} and da/dz = a(1-a) = {_fmt(da_dz)} (its true value is "
                f"sigmoid(z) sigmoid(-z) = {da_dz_stable:.6g}), and the literal chain product "
                f"is {_fmt(chain)}. The fused form dL/dz = a - y = {fused:.6g} never divides by "
                "a or 1 - a, so it stays exact; the library only ever uses it, and computes L "
                f"from z (L = {L:.6g}) rather than from a (literal L = {_fmt(L_literal)})."
            )
        return ExampleTrace(
            x=x,
            y=y,
            w=self.w,
            b=self.b,
            z=z,
            a=a,
            L=L,
            L_literal=L_literal,
            dL_da=dL_da,
            da_dz=da_dz,
            da_dz_stable=da_dz_stable,
            dL_dz_chain=chain,
            dL_dz=fused,
            dz_dw=local_lin["dz/dw"],
            dz_db=local_lin["dz/db"],
            dL_dw=fused * local_lin["dz/dw"],
            dL_db=fused * local_lin["dz/db"],
            saturated=saturated,
            note=note,
            feature_names=self.feature_names,
        )

    def trace_batch(self, X, y) -> BatchTrace:
        """The graph over the rows of ``X`` (m, n) with labels ``y`` (m,) in {0, 1}."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).ravel()
        z = X @ self.w + self.b
        a = sigmoid(z)
        L = bce(y, z)
        dz = a - y
        m = X.shape[0]
        return BatchTrace(
            z=z,
            a=a,
            L=L,
            dL_dz=dz,
            J=float(np.mean(L)),
            dJ_dw=X.T @ dz / m,
            dJ_db=float(np.mean(dz)),
            n_saturated=int(np.sum((a == 0.0) | (a == 1.0))),
            feature_names=self.feature_names,
        )


def _params_of(model):
    """``(w, b, classes, feature_names)`` from a fitted estimator or a ``(w, b)`` pair."""
    if hasattr(model, "coef_"):
        coef = np.asarray(model.coef_, dtype=np.float64)
        names = getattr(model, "feature_names_in_", None)
        names = None if names is None else [str(n) for n in names]
        classes = getattr(model, "classes_", None)
        if coef.shape[0] > 1:  # multinomial: W (n, K), b (K,)
            return coef.T.copy(), np.asarray(model.intercept_, dtype=np.float64), classes, names
        return coef.ravel(), float(np.ravel(model.intercept_)[0]), classes, names
    w, b = model
    return np.asarray(w, dtype=np.float64).ravel(), float(b), None, None


def _labels_to_01(y, classes):
    y = np.asarray(y)
    if classes is None:
        return y.astype(np.float64)
    out = np.empty(y.shape, dtype=np.float64)
    flat = y.ravel()
    res = out.ravel()
    for i, v in enumerate(flat):
        if v == classes[1]:
            res[i] = 1.0
        elif v == classes[0]:
            res[i] = 0.0
        else:
            raise ValueError(
                f"y={v!r} is not one of the model's classes {list(classes)!r}; "
                "explain() accepts labels the model was trained on."
            )
    return out


def explain(model, x, y, feature_names=None):
    """Trace the computation graph of a fitted model on the user's own data.

    Parameters
    ----------
    model : fitted LogisticRegression, or a pair ``(w, b)``
    x : array_like of shape (n_features,) or (m, n_features)
        One example (returns :class:`ExampleTrace`) or a batch (returns :class:`BatchTrace`
        with the averaged gradients).
    y : label or array_like of shape (m,)
        The true label(s), in the model's ``classes_`` (or 0/1 for a ``(w, b)`` pair).
    feature_names : list of str, optional
        Names for the rows of the table; defaults to the model's ``feature_names_in_``.

    Returns
    -------
    ExampleTrace or BatchTrace
        ``print()`` shows a table; ``.as_dict()`` gives plain values.
    """
    w, b, classes, names = _params_of(model)
    if feature_names is not None:
        names = list(feature_names)
    x = np.asarray(x, dtype=np.float64)
    if w.ndim == 2:
        if x.shape[-1] != w.shape[0]:
            raise ValueError(
                f"x has {x.shape[-1]} features but the model has {w.shape[0]}; explain() "
                "accepts rows with the model's features."
            )
        return _explain_multinomial(w, b, classes, names, x, y)
    if x.shape[-1] != w.shape[0]:
        raise ValueError(
            f"x has {x.shape[-1]} features but the model has {w.shape[0]}; explain() accepts "
            "rows with the model's features."
        )
    graph = ComputationGraph(w, b, names)
    y01 = _labels_to_01(y, classes)
    if x.ndim == 1:
        return graph.trace(x, float(np.ravel(y01)[0]))
    return graph.trace_batch(x, y01)


@dataclass
class GradientCheck:
    """Analytic (graph) gradient against central finite differences of the mean loss.

    ``max_rel_error`` is ``max |analytic - numeric| / max |numeric|``: the error relative to
    the gradient's scale, so that a component that is 0 at the optimum does not blow it up.
    """

    analytic: np.ndarray
    numeric: np.ndarray
    max_abs_error: float
    max_rel_error: float

    @property
    def ok(self) -> bool:
        return self.max_rel_error < 1e-6


def gradient_check(model, X, y, eps=1e-6) -> GradientCheck:
    """Compare the graph's ``(dJ/dw, dJ/db)`` with central differences of ``J``.

    ``J(w, b) = mean BCE`` over the rows of ``X``; each parameter is moved by ``+-eps``
    (scaled by ``max(1, |p|)``) and ``(J(p + h) - J(p - h)) / 2h`` compared with the
    chain-rule gradient. Central differences have truncation error ``O(h^2)``.
    """
    w, b, classes, _ = _params_of(model)
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    y01 = _labels_to_01(y, classes).ravel()
    trace = ComputationGraph(w, b).trace_batch(X, y01)
    analytic = np.append(trace.dJ_dw, trace.dJ_db)
    p = np.append(w, b)

    def J(q):
        return float(np.mean(bce(y01, X @ q[:-1] + q[-1])))

    numeric = np.empty_like(p)
    for j in range(p.shape[0]):
        h = eps * max(1.0, abs(p[j]))
        up, down = p.copy(), p.copy()
        up[j] += h
        down[j] -= h
        numeric[j] = (J(up) - J(down)) / (2 * h)
    err = np.abs(analytic - numeric)
    scale = max(float(np.max(np.abs(numeric))), np.finfo(np.float64).tiny)
    return GradientCheck(analytic, numeric, float(err.max()), float(err.max() / scale))


def _fmt(v) -> str:
    v = float(v)
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.6g}"


def _jsonable(v):
    v = float(v)
    return v if np.isfinite(v) else _fmt(v)


def _plain_table(header, rows, title=""):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [title, line, "-" * len(line)] if title else [line, "-" * len(line)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


# -- the multinomial graph ------------------------------------------------------------------


@dataclass
class MultinomialTrace:
    """The softmax graph of one example: ``z = W^T x + b``, ``a = softmax(z)``,
    ``L = -log a_y``, and its local derivatives.

    ``dL_da[k] = -y_k / a_k``; ``da_dz`` is the Jacobian ``diag(a) - a a^T`` (K, K);
    ``dL_dz_chain = da_dz^T dL_da`` is the literal chain product and ``dL_dz = a - y`` the
    fused form; ``dL_dW = x (a - y)^T`` (n, K), ``dL_db = a - y``.
    """

    classes: list
    y: int
    z: np.ndarray
    a: np.ndarray
    L: float
    dL_da: np.ndarray
    da_dz: np.ndarray
    dL_dz_chain: np.ndarray
    dL_dz: np.ndarray
    dz_dW: np.ndarray
    dL_dW: np.ndarray
    dL_db: np.ndarray
    saturated: bool
    note: str
    feature_names: list[str] = field(default_factory=list)

    def rows(self):
        rows = [("L", "logsumexp(z) - z_y = -log a_y", _fmt(self.L))]
        for k, c in enumerate(self.classes):
            rows += [
                (f"z[{c}]", "W[:, k] . x + b_k", _fmt(self.z[k])),
                (f"a[{c}]", "exp(z_k) / sum exp(z)", _fmt(self.a[k])),
                (f"dL/da[{c}]", "-y_k / a_k", _fmt(self.dL_da[k])),
                (f"da/dz[{c},{c}]", "a_k (1 - a_k)", _fmt(self.da_dz[k, k])),
                (f"dL/dz[{c}] (chain)", "sum_m dL/da_m da_m/dz_k", _fmt(self.dL_dz_chain[k])),
                (f"dL/dz[{c}] (fused)", "a_k - y_k", _fmt(self.dL_dz[k])),
                (f"dL/db[{c}]", "a_k - y_k", _fmt(self.dL_db[k])),
            ]
        return rows

    def as_dict(self):
        names = self.feature_names or [str(j) for j in range(self.dz_dW.shape[0])]
        return {
            "classes": [str(c) for c in self.classes],
            "y": str(self.classes[self.y]),
            "z": [_jsonable(v) for v in self.z],
            "a": [_jsonable(v) for v in self.a],
            "L": _jsonable(self.L),
            "dL_da": [_jsonable(v) for v in self.dL_da],
            "da_dz": [[_jsonable(v) for v in row] for row in self.da_dz],
            "dL_dz_chain": [_jsonable(v) for v in self.dL_dz_chain],
            "dL_dz": [_jsonable(v) for v in self.dL_dz],
            "dz_dW": {n: _jsonable(v) for n, v in zip(names, self.dz_dW, strict=True)},
            "dL_dW": {
                n: [_jsonable(v) for v in row] for n, row in zip(names, self.dL_dW, strict=True)
            },
            "dL_db": [_jsonable(v) for v in self.dL_db],
            "saturated": self.saturated,
            "note": self.note,
        }

    def __str__(self):
        title = f"one example, y = {self.classes[self.y]}"
        text = _plain_table(["quantity", "formula", "value"], self.rows(), title=title)
        return text + (f"\n{self.note}" if self.note else "")


def _explain_multinomial(W, b, classes, names, x, y):
    from scipy.special import logsumexp

    K = W.shape[1]
    classes = list(range(K)) if classes is None else list(classes)
    if x.ndim != 1:
        X = x
        yy = np.atleast_1d(np.asarray(y))
        idx = np.array([_class_index(v, classes) for v in yy])
        Z = X @ W + b
        A = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
        R = A.copy()
        R[np.arange(len(idx)), idx] -= 1.0
        m = X.shape[0]
        L = logsumexp(Z, axis=1) - Z[np.arange(m), idx]
        return BatchTrace(
            z=Z,
            a=A,
            L=L,
            dL_dz=R,
            J=float(np.mean(L)),
            dJ_dw=X.T @ R / m,
            dJ_db=R.mean(axis=0),
            n_saturated=int(np.sum(np.any((A == 0.0) | (A == 1.0), axis=1))),
            feature_names=names or [],
        )
    k_true = _class_index(np.ravel(np.asarray(y))[0], classes)
    z = x @ W + b
    lse = float(logsumexp(z))
    a = np.exp(z - lse)
    onehot = np.zeros(K)
    onehot[k_true] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        dL_da = np.where(onehot > 0, -onehot / a, 0.0)
        J = np.diag(a) - np.outer(a, a)
        chain = J.T @ np.where(np.isfinite(dL_da), dL_da, 0.0)
        if not np.isfinite(dL_da[k_true]):
            chain = np.full(K, np.nan)
    fused = a - onehot
    saturated = bool(a[k_true] == 0.0 or np.any(a == 1.0))
    note = ""
    if saturated:
        note = (
            f"a = softmax(z) rounds to {np.array2string(a, precision=3)} in float64, so the "
            "literal chain dL/da * da/dz divides by a rounded 0 or multiplies a zero Jacobian; "
            f"the fused dL/dz = a - y = {np.array2string(fused, precision=6)} never divides, "
            f"and L is computed as logsumexp(z) - z_y = {lse - z[k_true]:.6g}."
        )
    return MultinomialTrace(
        classes=classes,
        y=k_true,
        z=z,
        a=a,
        L=lse - float(z[k_true]),
        dL_da=dL_da,
        da_dz=J,
        dL_dz_chain=chain,
        dL_dz=fused,
        dz_dW=x.copy(),
        dL_dW=np.outer(x, fused),
        dL_db=fused,
        saturated=saturated,
        note=note,
        feature_names=names or [],
    )


def _class_index(v, classes):
    for k, c in enumerate(classes):
        if v == c:
            return k
    raise ValueError(
        f"y={v!r} is not one of the model's classes {classes!r}; explain() accepts labels "
        "the model was trained on."
    )
