"""The computation graph of the rows a reader can pick: :func:`logistic.explain` on each.

A page embeds a bounded sample of rows (all of them up to ``max_rows``): the rows asked for,
the ones whose largest ``|z|`` is largest (where the literal chain rule saturates first),
the ones with the largest loss, and the rest evenly spread over the data. For each, the
trace's own table (:meth:`~logistic.graph.ExampleTrace.rows`, the strings ``logistic
explain`` prints), the node values the graph is drawn with, and per feature ``x_j``,
``w_j x_j`` and ``dL/dw_j = x_j (a - y)`` for the ``max_features`` largest contributions.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._graph._compute import explain
from .._graph._trace import fmt, label_value
from ..errors import DataError
from ._model import Inputs

__all__ = ["rows_section"]

#: Rows of each kind picked before the evenly spread ones.
_EXTREME = 3
#: Values of a row kept to search by.
_SEARCH_VALUES = 200


def _dense_row(X, i) -> np.ndarray:
    if sp.issparse(X):
        return np.asarray(X[[i]].toarray(), dtype=np.float64).ravel()
    return np.asarray(X[i], dtype=np.float64).ravel()


def choose_rows(inp: Inputs, requested=(), max_rows=100) -> list[int]:
    """The row indices (0-based, sorted) whose graph the page embeds."""
    m = inp.m
    requested = [int(i) for i in requested]
    bad = [i for i in requested if not 0 <= i < m]
    if bad:
        raise DataError(
            f"rows={bad[:3]!r} are out of range; the data has {m} rows, so rows accepts "
            f"0 to {m - 1}."
        )
    if m <= max_rows:
        return list(range(m))
    chosen = dict.fromkeys(requested)
    est = inp.estimator
    Z = np.asarray(est.decision_function(inp.X), dtype=np.float64).reshape(m, -1)
    proba = np.asarray(est.predict_proba(inp.X), dtype=np.float64)
    lookup = {c: k for k, c in enumerate(inp.classes)}
    truth = np.array([lookup[v] for v in inp.y.tolist()], dtype=np.intp)
    with np.errstate(divide="ignore"):
        loss = -np.log(proba[np.arange(m), truth])
    for order in (np.argsort(-np.max(np.abs(Z), axis=1)), np.argsort(-loss)):
        for i in order[:_EXTREME]:
            chosen.setdefault(int(i))
    limit = max(max_rows, len(requested))
    for i in np.round(np.linspace(0, m - 1, max_rows)).astype(int):  # evenly spread
        if len(chosen) >= limit:
            break
        chosen.setdefault(int(i))
    return sorted(chosen)


def _values(v) -> list[str]:
    return [fmt(x) for x in np.atleast_1d(np.asarray(v, dtype=np.float64)).ravel()]


def _table_names(table) -> list[str]:
    if table is None:
        return []
    if hasattr(table, "column_names"):  # pyarrow
        return [str(c) for c in table.column_names]
    return [str(c) for c in (table.columns if hasattr(table, "iloc") else table)]


def _inputs(inp: Inputs, i, x) -> list:
    """``[column, value]`` pairs of row ``i`` to search by: the table's columns as given
    (their index in :func:`_table_names`), else the model's non-zero inputs (their feature
    index); at most :data:`_SEARCH_VALUES` of them."""
    if inp.table is None:
        return [[int(j), fmt(x[j])] for j in np.flatnonzero(x)[:_SEARCH_VALUES]]
    table = inp.table
    if hasattr(table, "slice"):  # pyarrow
        raw = list(table.slice(i, 1).to_pylist()[0].values())
    elif hasattr(table, "iloc"):
        raw = table.iloc[i].tolist()
    else:
        raw = [v[i] for v in table.values()]
    return [[k, str(label_value(v))] for k, v in enumerate(raw[:_SEARCH_VALUES]) if v is not None]


def _one(inp: Inputs, i, max_features) -> dict:
    x = _dense_row(inp.X, i)
    trace = explain(inp.estimator, x, inp.y[i], feature_names=inp.feature_names)
    contrib = trace.contributions()  # (n, n_out)
    grad = np.asarray(trace.dL_dw, dtype=np.float64).reshape(x.shape[0], -1)
    size = np.max(np.abs(contrib), axis=1)
    top = np.argsort(-size, kind="stable")[:max_features]
    top = top[size[top] > 0] if np.any(size > 0) else top[:0]
    rest = np.setdiff1d(np.arange(x.shape[0]), top)
    k = trace.n_out
    da_dz = np.asarray(trace.da_dz, dtype=np.float64).reshape(k, k)
    a = np.atleast_1d(np.asarray(trace.a, dtype=np.float64))
    pred = inp.classes[-k:][int(np.argmax(a))] if k > 1 else inp.classes[int(a[0] > 0.5)]
    return {
        "i": int(i),
        "label": str(label_value(trace.label)),
        "pred": str(label_value(pred)),
        "values": [v for _, _, v in trace.rows()],
        "z": _values(trace.z),
        "a": _values(trace.a),
        "L": fmt(trace.L),
        "L_literal": fmt(trace.L_literal),
        "dL_da": _values(trace.dL_da),
        "da_dz": _values(np.diag(da_dz)),
        "jacobian": [_values(r) for r in da_dz] if 1 < k <= 6 else None,
        "chain": _values(trace.dL_dz_chain),
        "fused": _values(trace.dL_dz),
        "dL_db": _values(trace.dL_db),
        "b": _values(trace.b),
        "wx": _values(contrib.sum(axis=0)),
        "y": _values(trace.y),
        "features": [[int(j), fmt(x[j]), _values(contrib[j]), _values(grad[j])] for j in top],
        "rest": {
            "count": int(rest.shape[0]),
            "zeros": int(np.count_nonzero(x[rest] == 0)),
            "wx": _values(contrib[rest].sum(axis=0)),
        },
        "saturated": bool(trace.saturated),
        "note": trace.note,
        "inputs": _inputs(inp, i, x),
    }


def rows_section(inp: Inputs, rows=(), max_rows=100, max_features=12) -> dict:
    """The traces of the chosen rows and the table layout they share.

    ``quantities`` and ``formulas`` are the first two columns of the trace's table (the
    same for every row of a model); each row's ``values`` the third.
    """
    chosen = choose_rows(inp, rows, max_rows)
    traced = [_one(inp, i, max_features) for i in chosen]
    first = explain(
        inp.estimator, _dense_row(inp.X, chosen[0]), inp.y[chosen[0]], inp.feature_names
    )
    nodes = first.nodes
    return {
        "link": first.link,
        "activation": nodes.activation,
        "loss": nodes.loss,
        "weights": nodes.weights,
        "pretty": dict(nodes.pretty),
        "formulas": dict(nodes.formulas),
        "outputs": first.output_names,
        "quantities": [q for q, _, _ in first.rows()],
        "row_formulas": [f for _, f, _ in first.rows()],
        "rows": traced,
        "m": inp.m,
        "sampled": len(chosen) < inp.m,
        "max_features": max_features,
        "n_features": inp.n,
        "names": inp.feature_names,
        "input_names": _table_names(inp.table),
    }
