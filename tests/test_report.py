"""``logistic.report``: the numbers the page embeds are the library's, checked against
independent references (numpy, scikit-learn, statsmodels, the seeds' reference loop), and
the page is one self-contained file of bounded size. The page in a browser:
tests/test_report_browser.py."""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve

import logistic
from logistic import explain
from logistic._report import report, report_data
from logistic.errors import DataError, InvalidParameterError
from logistic.metrics import classification_metrics
from logistic.reference import gradient_descent
from report_cases import case, page_data

pytestmark = pytest.mark.filterwarnings("ignore::logistic.ConvergenceWarning")


def _f(s) -> float:
    return float(s)


@pytest.mark.parametrize("name", ["binary", "multinomial", "wide"])
def test_every_embedded_row_is_explain_of_that_row(name):
    c, rows = case(name), page_data(name)["rows"]
    assert rows["rows"], "no row embedded"
    W = np.atleast_2d(c.model.coef_)  # (n_out, n)
    for r in rows["rows"]:
        i = r["i"]
        trace = explain(c.model, c.X[i], c.y[i], feature_names=c.names)
        assert r["values"] == [v for _, _, v in trace.rows()]
        assert rows["quantities"] == [q for q, _, _ in trace.rows()]
        assert r["saturated"] == trace.saturated and r["note"] == trace.note
        # independent: the logits from numpy, the contributions w_j x_j from coef_
        z = c.X[i] @ W.T + np.atleast_1d(c.model.intercept_)
        np.testing.assert_allclose([_f(v) for v in r["z"]], z, rtol=1e-5, atol=1e-9)
        for j, x, wx, grad in r["features"]:
            assert _f(x) == pytest.approx(c.X[i, j], rel=1e-5)
            np.testing.assert_allclose([_f(v) for v in wx], W[:, j] * c.X[i, j], rtol=1e-5)
            a_minus_y = np.array([_f(v) for v in r["fused"]])
            np.testing.assert_allclose([_f(v) for v in grad], c.X[i, j] * a_minus_y, rtol=1e-4)
        # z = b + (the features shown) + (the rest): nothing is lost in the sample
        shown = sum(np.array([_f(v) for v in wx]) for _, _, wx, _ in r["features"])
        rest = np.array([_f(v) for v in r["rest"]["wx"]])
        b = np.atleast_1d(c.model.intercept_)
        np.testing.assert_allclose(b + shown + rest, z, rtol=1e-4, atol=1e-4)


def test_rows_are_sampled_with_the_extremes_and_the_ones_asked_for():
    c = case("binary")
    d = report_data(c.model, c.X, c.y, rows=[7, 500], max_rows=20, story=False)
    picked = [r["i"] for r in d["rows"]["rows"]]
    assert d["rows"]["sampled"] and 7 in picked and 500 in picked and len(picked) <= 20
    z = c.model.decision_function(c.X)
    assert int(np.argmax(np.abs(z))) in picked  # the most saturated row is always there
    with pytest.raises(DataError, match="rows accepts 0 to 568"):
        report_data(c.model, c.X, c.y, rows=[569], story=False)


def test_a_saturated_row_carries_the_reason_the_literal_chain_fails():
    d = page_data("saturating")["rows"]
    saturated = [r for r in d["rows"] if r["saturated"]]
    assert saturated, "the largest |z| rows should round a to 0 or 1"
    r = saturated[0]
    assert "never divides" in r["note"] and r["chain"][0] in ("nan", "inf", "-inf", "0")
    assert r["fused"][0] != "nan"


@pytest.mark.parametrize("name", ["binary", "multinomial"])
def test_confusion_matrices_are_the_library_metrics_and_scikit_learns(name):
    c, q = case(name), page_data(name)["quality"]
    proba = c.model.predict_proba(c.X)
    if name == "multinomial":
        ref = classification_metrics(c.y, proba, c.model.classes_)
        assert q["metrics"]["matrix"] == ref["confusion_matrix"]["matrix"]
        assert "thresholds" not in q
        return
    assert len(q["thresholds"]) == 99 and q["threshold"] == 0.5
    y01 = (c.y == c.model.classes_[1]).astype(int)
    for g in q["thresholds"]:
        lib = classification_metrics(c.y, proba, c.model.classes_, threshold=g["t"])
        assert g["matrix"] == lib["confusion_matrix"]["matrix"], g["t"]
        sk = confusion_matrix(y01, (proba[:, 1] > g["t"]).astype(int), labels=[0, 1])
        assert g["matrix"] == sk.tolist(), g["t"]
        assert g["accuracy"] == pytest.approx(lib["accuracy"])


def test_roc_curve_and_metrics_are_scikit_learns():
    c, q = case("binary"), page_data("binary")["quality"]
    p = c.model.predict_proba(c.X)[:, 1]
    assert q["roc"][0]["auc"] == pytest.approx(roc_auc_score(c.y, p), rel=1e-12)
    fpr, tpr, _ = roc_curve(c.y, p)
    points = set(zip(np.round(fpr, 4), np.round(tpr, 4), strict=True))
    assert all(
        (round(x, 4), round(y, 4)) in points
        for x, y in zip(q["roc"][0]["x"], q["roc"][0]["y"], strict=True)
    )
    # calibration: the rows of the bins add up, observed frequencies are shares
    cal = q["calibration"]
    assert sum(cal["rows"]) == c.X.shape[0]
    assert all(0.0 <= v <= 1.0 for v in cal["observed"])


def test_coefficients_are_the_model_and_standard_errors_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    c = case("binary")
    X = c.X[:, :4]
    model = logistic.LogisticRegression(C=np.inf, tol=1e-10).fit(X, c.y)
    coef = report_data(model, X, c.y, story=False, feature_names=c.names[:4])["coefficients"]
    assert coef["inference"] and coef["header"][:3] == ["name", "coefficient", "std err"]
    ref = sm.Logit(c.y, sm.add_constant(X)).fit(disp=0)
    by_name = {r[0]: r for r in coef["rows"]}
    for j, name in enumerate(["intercept", *c.names[:4]]):
        row = by_name[name]
        assert _f(row[1]) == pytest.approx(ref.params[j], rel=1e-5)
        assert _f(row[2]) == pytest.approx(ref.bse[j], rel=1e-5)
        assert _f(row[6]) == pytest.approx(ref.conf_int()[j, 1], rel=1e-5)
    # a penalised fit: no standard errors, and the reason said
    penalised = page_data("binary")["coefficients"]
    assert not penalised["inference"] and "No standard errors" in penalised["source"]


def test_wide_model_coefficients_and_rows_are_bounded():
    c, d = case("wide"), page_data("wide")
    coef = d["coefficients"]
    assert c.X.shape[1] >= 1000 and len(coef["rows"]) == c.X.shape[1] + 1
    values = {r[0]: _f(r[1]) for r in coef["rows"]}
    j = int(np.argmax(np.abs(c.model.coef_[0])))
    assert values[c.names[j]] == pytest.approx(c.model.coef_[0, j], rel=1e-5)
    assert all(len(r["features"]) <= 12 for r in d["rows"]["rows"])
    size = len(report(c.model, c.X, c.y, feature_names=c.names, story=False).encode())
    assert size < 900_000, size


def test_learning_rate_story_on_the_seeds_reference_loop():
    c = case("binary")
    model = logistic.LogisticRegression(C=np.inf).fit(c.X, c.y)
    story = report_data(model, c.X, c.y, feature_names=c.names)["story"]
    runs = {r["kind"]: r for r in story["runs"]}
    auto, small = runs["automatic: 1/L"], runs["too small"]
    eta = auto["rate_value"]
    # independent: the seeds' vectorised loop at the same rate, unpenalised from w = 0
    _, _, costs = gradient_descent(c.X, c.y, eta, 20)
    np.testing.assert_allclose(auto["loss"][:20], costs, rtol=1e-6)
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(auto["loss"]))  # 1/L: always down
    assert _f(small["rate"]) == pytest.approx(eta / 20, rel=1e-3)
    assert _f(small["final_loss"]) > _f(auto["final_loss"])  # crawling
    large = runs["too large"]
    assert large["rises"] >= 3 and not large["converged"]
    assert _f(large["final_loss"]) > _f(auto["final_loss"])
    # with the L2 penalty of C = 1 the largest rates grow the loss without bound
    far = {r["kind"]: r for r in page_data("binary")["story"]["runs"]}["far too large"]
    assert (
        far["diverged"] and "DivergenceError" not in far["status"] and "diverged" in far["status"]
    )


def test_page_is_one_file_that_requests_nothing(tmp_path):
    c = case("binary")
    path = report(c.model, c.X, c.y, tmp_path / "r.html", feature_names=c.names)
    text = path.read_text(encoding="utf-8")
    assert 100_000 < len(text.encode()) < 600_000
    assert "default-src 'none'" in text  # the browser refuses any request
    for pattern in (
        r"<link\b",
        r"\bsrc\s*=",
        r"url\((?!#)",
        r"@import",
        r"\bfetch\(",
        r"XMLHttpRequest",
    ):
        assert not re.search(pattern, text), pattern
    # the only address is the SVG namespace, a name and not a request
    assert set(re.findall(r"https?://[^\s\"'`<>]+", text)) <= {"http://www.w3.org/2000/svg"}
    payload = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', text, re.S
    )
    data = json.loads(payload.group(1))
    assert data["rows"]["m"] == 569 and data["fit"]["solver"] == c.model.solver_


def test_errors_name_the_problem():
    c = case("binary")
    with pytest.raises(InvalidParameterError, match="fitted model"):
        report(logistic.LogisticRegression(), c.X, c.y)
    with pytest.raises(DataError, match="30 features"):
        report(c.model, c.X[:, :5], c.y)
    with pytest.raises(DataError, match="one label per row"):
        report(c.model, c.X, c.y[:10])
    with pytest.raises(DataError, match="not among the model's classes"):
        report(c.model, c.X, np.where(c.y == 1, 7, 0))
    with pytest.raises(InvalidParameterError, match="threshold"):
        report(c.model, c.X, c.y, threshold=1.5)


def test_command_line_writes_the_page_of_a_model_file(tmp_path, capsys):
    import pyarrow.csv as pacsv

    from logistic.cli import run
    from logistic.tables import breast_cancer_table

    data = tmp_path / "bc.csv"
    pacsv.write_csv(breast_cancer_table(), data)
    model = tmp_path / "model.json"
    assert run(["train", str(data), "--target", "target", "-q", "-o", str(model)]) == 0
    out = tmp_path / "page.html"
    code = run(["report", str(model), str(data), "-o", str(out), "--row", "42", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["report"] == str(out) and doc["rows"] == 569
    text = out.read_text(encoding="utf-8")
    d = json.loads(re.search(r'id="report-data">(.*?)</script>', text, re.S).group(1))
    assert d["rows"]["first_row"] == 1 and 41 in [r["i"] for r in d["rows"]["rows"]]
    assert d["rows"]["input_names"][:2] == ["mean radius", "mean texture"]
    # a model file keeps no per-iteration record: the curves are a refit, and say so
    assert "refitted" in d["fit"]["note"] and "(the same fit)" in d["fit"]["note"]
    loaded = logistic.load(model)
    table = breast_cancer_table()
    X, label = loaded.transform(table), table.column("target")[41].as_py()
    embedded = next(r for r in d["rows"]["rows"] if r["i"] == 41)
    assert embedded["values"] == [v for _, _, v in explain(loaded.estimator, X[41], label).rows()]
    for args, message in [
        (["--row", "0"], "--row 0 is out of range; the data has 569 rows"),
        (["--threshold", "1.5"], "--threshold 1.5"),
        (["-o", str(data)], "it is also an input"),
    ]:
        code = run(["report", str(model), str(data), "-o", str(tmp_path / "x.html"), *args])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and message in err[0], err


def test_notebook_html_of_a_model_and_of_an_inference_result():
    sm = pytest.importorskip("statsmodels.api")
    c = case("binary")
    text = c.model._repr_html_()
    j = int(np.argmax(np.abs(c.model.coef_[0])))
    assert f"<td>{c.model.coef_[0, j]:.6g}</td>" in text and "newton" in c.model.solver_
    assert f"{c.model.history_.loss[-1]:.10g}" in text and "10 more features" in text
    assert c.model._html_repr() == text  # what Jupyter's mime bundle shows
    assert "LogisticRegression" in logistic.LogisticRegression()._repr_html_()  # the diagram
    X = c.X[:, :3]
    model = logistic.LogisticRegression(C=np.inf, tol=1e-10).fit(X, c.y)
    result = model.inference(X, c.y)
    ref = sm.Logit(c.y, sm.add_constant(X)).fit(disp=0)
    html = result._repr_html_()
    for v in (ref.bse[1], ref.params[2], ref.llf):
        assert f"<td>{v:.6g}</td>" in html
    assert html.count("<tr>") == 8 + 1 + 4  # 8 statistics, a header, 4 parameters
