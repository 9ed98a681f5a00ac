"""The computation graph: local derivatives as the seeds derive them, the chain product equal
to the fused kernel, and the places where the literal chain breaks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from logistic import LogisticRegression, explain, gradient_check
from logistic._kernel import chunk_stats
from logistic.graph import NODES, ComputationGraph
from logistic.objective import Softmax
from logistic.plots import plot_graph


@pytest.fixture(scope="module")
def model(breast_cancer):
    X, y = breast_cancer
    return LogisticRegression(C=1.0, tol=1e-8).fit(X, y)


def test_local_derivatives_are_the_seeds(model, breast_cancer):
    X, y = breast_cancer
    t = explain(model, X[3], y[3])
    a, yy = t.a, t.y
    assert t.z == pytest.approx(float(X[3] @ model.coef_.ravel() + model.intercept_[0]), rel=1e-14)
    assert a == pytest.approx(1 / (1 + np.exp(-t.z)), rel=1e-14)
    assert t.dL_da == pytest.approx((1 - yy) / (1 - a) - yy / a, rel=1e-12)
    assert t.da_dz == pytest.approx(a * (1 - a), rel=1e-14)
    np.testing.assert_array_equal(t.dz_dw, X[3])
    assert t.dz_db == 1.0
    assert t.dL_dz_chain == pytest.approx(a - yy, rel=1e-9)  # chain rule == fused
    np.testing.assert_allclose(t.dL_dw, (a - yy) * X[3], rtol=1e-15)
    assert t.dL_db == t.dL_dz
    assert not t.saturated


def test_chain_product_equals_kernel_gradient(model, breast_cancer):
    """Sum over examples of dL/da * da/dz * dz/dw (graph, literal) == X^T (a - y) (kernel)."""
    X, y = breast_cancer
    g = ComputationGraph(model.coef_.ravel(), model.intercept_[0])
    chain_w = np.zeros(X.shape[1])
    chain_b = 0.0
    for xi, yi in zip(X, y, strict=True):
        t = g.trace(xi, yi)
        assert np.isfinite(t.dL_dz_chain)
        chain_w += t.dL_dz_chain * t.dz_dw
        chain_b += t.dL_dz_chain * t.dz_db
    st = chunk_stats(X, y.astype(float), model.coef_.ravel(), model.intercept_[0])
    np.testing.assert_allclose(chain_w, st.grad_w, rtol=1e-8, atol=1e-10)
    assert chain_b == pytest.approx(st.grad_b, rel=1e-8, abs=1e-10)
    batch = g.trace_batch(X, y)
    np.testing.assert_allclose(batch.dJ_dw, st.grad_w / X.shape[0], rtol=1e-12, atol=1e-15)


def test_saturation_is_reported_and_fused_form_stays_exact():
    g = ComputationGraph(np.array([1.0]), 0.0)
    t = g.trace(np.array([40.0]), 0)  # a = sigmoid(40) rounds to 1.0
    assert t.a == 1.0
    assert t.saturated
    assert np.isinf(t.dL_da) and t.da_dz == 0.0
    assert np.isnan(t.dL_dz_chain)  # inf * 0
    assert t.dL_dz == 1.0  # a - y: exact
    assert t.da_dz_stable == pytest.approx(np.exp(-40.0), rel=1e-12)
    assert t.L == pytest.approx(40.0, rel=1e-15)
    assert np.isinf(t.L_literal)
    assert "a - y" in t.note and "rounds to 1" in t.note
    d = t.as_dict()
    assert d["dL_dz_chain"] == "nan" and d["saturated"] is True


def test_explain_batch_and_labels(model, breast_cancer):
    X, y = breast_cancer
    labels = np.where(y == 1, "yes", "no")  # sorted: "no" < "yes", so "yes" is y = 1
    m = LogisticRegression(tol=1e-8).fit(X, labels)
    b = explain(m, X[:50], labels[:50])
    assert b.m == 50
    ref = explain(model, X[:50], y[:50])
    np.testing.assert_allclose(b.dJ_dw, ref.dJ_dw, rtol=1e-6, atol=1e-9)
    assert "dJ/dw" in str(b) and b.feature_rows().rows[0][0] == "0"  # dJ/dw of feature 0
    with pytest.raises(ValueError, match="not one of the model's classes"):
        explain(m, X[0], "maybe")
    with pytest.raises(ValueError, match="features"):
        explain(m, X[0, :5], "yes")


def test_table_is_readable(model, breast_cancer):
    X, y = breast_cancer
    text = str(explain(model, X[0], y[0]))
    for token in (
        "z",
        "a",
        "dL/da",
        "da/dz",
        "dL/dz (chain)",
        "dL/dz (fused)",
        "x = dz/dw",  # the per-feature table: dz/dw of feature 0 on its first row
        "dL/db",
    ):
        assert token in text
    t = explain(model, X[0], y[0])
    assert t.feature_rows(all_features=True).rows[0][:2] == ("0", f"{X[0, 0]:.6g}")


def test_gradient_check_passes_on_real_data(model, breast_cancer):
    X, y = breast_cancer
    chk = gradient_check(model, X, y)
    assert chk.ok, chk.max_rel_error
    # and at a point far from the optimum, where the gradient is large
    chk2 = gradient_check((np.full(X.shape[1], 0.3), -1.0), X, y)
    assert chk2.max_rel_error < 1e-7


# -- one trace for every link ------------------------------------------------------------
BINARY_ROWS = [
    ("z", "w . x + b"),
    ("a", "sigmoid(z) = 1 / (1 + e^-z)"),
    ("L", "-(y log a + (1-y) log(1-a))"),
    ("dL/da", "(1-y)/(1-a) - y/a"),
    ("da/dz", "a (1 - a)"),
    ("dL/dz (chain)", "dL/da * da/dz"),
    ("dL/dz (fused)", "a - y"),
    ("dz/db", "1"),
    ("dL/db", "dL/dz * dz/db = a - y"),
]


def test_binary_rows_and_feature_rows(model, breast_cancer):
    X, y = breast_cancer
    x = X[3].copy()
    x[[2, 5]] = 0.0
    t = explain(model, x, y[3])
    assert t.link == "binomial" and t.n_out == 1 and t.output_names == ["1"]
    rows = t.rows()
    assert [(q, f) for q, f, _ in rows] == BINARY_ROWS
    assert [v for _, _, v in rows] == [
        f"{v:.6g}" for v in (t.z, t.a, t.L, t.dL_da, t.da_dz, t.dL_dz_chain, t.dL_dz, 1, t.dL_db)
    ]
    table = t.feature_rows()
    assert table.header == ("feature", "x = dz/dw", "w x", "dL/dw")
    assert table.hidden == 2 and table.note.startswith("2 features with x = 0 not shown")
    assert len(table.rows) == 28 and "2" not in [r[0] for r in table.rows]
    first = table.rows[0]
    w = model.coef_.ravel()
    assert first == ("0", f"{x[0]:.6g}", f"{w[0] * x[0]:.6g}", f"{t.dL_dw[0]:.6g}")
    assert len(t.feature_rows(all_features=True).rows) == 30
    assert t.feature_rows(contributions=False).header == ("feature", "x = dz/dw", "dL/dw")
    np.testing.assert_allclose(t.contributions()[:, 0], w * x, rtol=1e-15)
    # the attributes and JSON keys of the seeds' scalar graph
    d = t.as_dict()
    for key in ("z", "a", "L", "L_literal", "dL_da", "da_dz", "da_dz_stable", "dL_dz_chain"):
        assert d[key] == pytest.approx(getattr(t, key), rel=1e-15)
    assert set(d["dL_dw"]) == {str(j) for j in range(30)} and d["y"] == float(y[3])
    json.dumps(d)


def test_node_registry_is_keyed_by_link_name():
    assert set(NODES) == {"binomial", "softmax"}
    for nodes in NODES.values():
        assert {"z", "a", "L", "dL/da", "da/dz", "dL/dz (chain)", "dL/dz (fused)"} <= set(
            nodes.formulas
        )
    with pytest.raises(ValueError, match="no graph nodes"):
        ComputationGraph(np.ones(2), 0.0, link=_NoNodes())


class _NoNodes(Softmax):
    name = "ordinal"
    n_out = property(lambda self: 1)

    def __init__(self):
        super().__init__(2)


def test_two_class_softmax_equals_the_binomial_graph(model, breast_cancer):
    """Softmax over (z0, z1) = (-z/2, z/2) is sigmoid(z): the same probabilities and loss;
    the fused gradients are +-(a - y), and dL/dw = (dL/dW_1 - dL/dW_0) / 2."""
    X, y = breast_cancer
    w, b = model.coef_.ravel(), model.intercept_[0]
    soft = ComputationGraph(
        np.column_stack([-w / 2, w / 2]), np.array([-b / 2, b / 2]), link=Softmax(2)
    )
    for i in (0, 3, 19):  # rows of both classes
        tb, ts = explain(model, X[i], y[i]), soft.trace(X[i], y[i])
        assert ts.link == "softmax" and ts.n_out == 2
        assert ts.a[1] == pytest.approx(tb.a, rel=1e-12) and ts.a.sum() == pytest.approx(1.0)
        assert ts.L == pytest.approx(tb.L, rel=1e-12)
        # a_k - y_k of the class near probability 1 is exact to 1e-16 absolute, not relative
        np.testing.assert_allclose(ts.dL_dz, [-tb.dL_dz, tb.dL_dz], rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(ts.dL_dw[:, 1], tb.dL_dw, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(
            (ts.dL_dw[:, 1] - ts.dL_dw[:, 0]) / 2, tb.dL_dw, rtol=1e-9, atol=1e-14
        )
        assert ts.da_dz[1, 1] == pytest.approx(tb.da_dz, rel=1e-9)
        # dL/da_1 is the seeds' dL/da for y = 1; for y = 0 the loss reads a_0 = 1 - a.
        k = int(y[i])
        assert ts.dL_da[k] == pytest.approx(tb.dL_da * (1 if k else -1), rel=1e-9)
    bb, bs = explain(model, X, y), soft.trace_batch(X, y)
    assert bs.J == pytest.approx(bb.J, rel=1e-12)
    np.testing.assert_allclose(bs.dJ_dw[:, 1], bb.dJ_dw, rtol=1e-9, atol=1e-15)
    # Where the sigmoid's literal chain is nan (1 - a cancels), the softmax's is not: it
    # never forms 1 - a.
    t2 = ComputationGraph(np.array([[-20.0, 20.0]]), np.zeros(2), link=Softmax(2))
    ts = t2.trace(np.array([1.0]), 0)
    tb = ComputationGraph(np.array([40.0]), 0.0).trace(np.array([1.0]), 0)
    assert tb.saturated and np.isnan(tb.dL_dz_chain)
    assert ts.saturated and ts.note
    np.testing.assert_allclose(ts.dL_dz_chain, [-1.0, 1.0], rtol=1e-15)


def test_explain_sparse_rows_and_float32(breast_cancer):
    X, y = breast_cancer
    Xs = sp.csr_matrix(np.where(np.abs(X) < 0.7, 0.0, X))
    m = LogisticRegression(tol=1e-8).fit(Xs, y)
    dense = Xs.toarray()
    for row in (Xs[3], sp.csr_array(Xs)[3]):  # a (1, n) matrix row, a 1-d array row
        t = explain(m, row, y[3])
        ref = explain(m, dense[3], y[3])
        assert t.z == ref.z and t.dL_dz == ref.dL_dz
        np.testing.assert_array_equal(t.dL_dw, ref.dL_dw)
        assert t.feature_rows().hidden == int(np.sum(dense[3] == 0))
    batch = explain(m, Xs[:100], y[:100])
    ref = explain(m, dense[:100], y[:100])
    np.testing.assert_allclose(batch.dJ_dw, ref.dJ_dw, rtol=1e-13, atol=1e-16)
    assert gradient_check(m, Xs, y).ok
    X32 = X.astype(np.float32)
    m32 = LogisticRegression(tol=1e-5).fit(X32, y)
    assert m32.coef_.dtype == np.float32
    t = explain(m32, X32[5], y[5])  # the graph computes in float64, from the same numbers
    z64 = float(X32[5].astype(np.float64) @ m32.coef_.ravel().astype(np.float64))
    assert t.z == pytest.approx(z64 + float(m32.intercept_[0]), rel=1e-12)
    assert t.z == pytest.approx(float(m32.decision_function(X32[5:6])[0]), rel=1e-5)
    assert isinstance(t.a, float) and t.dL_dw.dtype == np.float64
    assert t.dL_dz_chain == pytest.approx(t.dL_dz, rel=1e-9)


def _check_png(path, min_kb=15):
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert len(raw) > min_kb * 1024, f"{path} is only {len(raw)} bytes"


def test_plot_graph_draws_every_link(model, breast_cancer, tmp_path):
    from sklearn.datasets import load_digits, load_iris

    X, y = breast_cancer
    _check_png(plot_graph(explain(model, X[3], y[3]), tmp_path / "binary.png"))
    sat = explain((np.array([30.0, 30.0]), 0.0), np.array([1.0, 1.0]), 0)
    _check_png(plot_graph(sat, tmp_path / "saturated.png"))
    Xi, yi = load_iris(return_X_y=True)
    mi = LogisticRegression(tol=1e-8).fit(Xi, yi)
    _check_png(plot_graph(explain(mi, Xi[60], yi[60]), tmp_path / "iris.png", title="iris"))
    Xd, yd = load_digits(return_X_y=True)
    md = LogisticRegression(tol=1e-4).fit(Xd / 16.0, yd)
    _check_png(plot_graph(explain(md, Xd[8] / 16.0, yd[8]), tmp_path / "digits.png"))
    under = explain((np.array([[800.0, 0.0, 0.0]]), np.zeros(3)), np.array([1.0]), 2)
    _check_png(plot_graph(under, tmp_path / "underflow.png"))
    import logistic.plots

    assert not hasattr(logistic.plots, "plot_graph_multinomial")
