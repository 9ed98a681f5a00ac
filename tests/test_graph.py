"""The computation graph: local derivatives as the seeds derive them, the chain product equal
to the fused kernel, and the places where the literal chain breaks."""

from __future__ import annotations

import numpy as np
import pytest

from logistic import LogisticRegression, explain, gradient_check
from logistic._kernel import chunk_stats
from logistic.graph import ComputationGraph


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
    assert "dJ/dw[0]" in str(b)
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
        "dz/dw[0]",
        "dL/db",
    ):
        assert token in text


def test_gradient_check_passes_on_real_data(model, breast_cancer):
    X, y = breast_cancer
    chk = gradient_check(model, X, y)
    assert chk.ok, chk.max_rel_error
    # and at a point far from the optimum, where the gradient is large
    chk2 = gradient_check((np.full(X.shape[1], 0.3), -1.0), X, y)
    assert chk2.max_rel_error < 1e-7
