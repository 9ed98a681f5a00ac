"""The report page in a real browser: the system's headless Chromium driven by Playwright.

Each page is opened from disk; it must load with no console error and request nothing but
itself; the numbers a reader sees after picking a row equal :func:`logistic.explain` on
that row, and the confusion matrix after moving the threshold equals
:func:`logistic.metrics.classification_metrics` (and scikit-learn's) at that threshold.
Screenshots are saved under ``tmp_path`` and copied to ``/tmp/report-shots/``.

Needs ``playwright`` (the dev extra) and a Chromium executable (Debian: ``apt-get install
chromium``); never a browser downloaded by Playwright. Without them the tests skip.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

from logistic import explain
from logistic.metrics import classification_metrics
from report_cases import case, page_file

pytestmark = pytest.mark.filterwarnings("ignore::logistic.ConvergenceWarning")

CHROMIUM = next(
    (
        p
        for p in (
            os.environ.get("CHROMIUM"),
            shutil.which("chromium"),
            shutil.which("chromium-browser"),
            "/usr/bin/chromium",
        )
        if p and Path(p).exists()
    ),
    None,
)
SHOTS = Path("/tmp/report-shots")

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
)
if CHROMIUM is None:
    pytest.skip(
        "no Chromium executable (Debian: apt-get install chromium; or set CHROMIUM)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


class Page:
    """A report opened from disk, with what it logged and requested."""

    def __init__(self, browser, path):
        self.path = path
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.errors, self.requests = [], []
        self.page.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None,
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri())
        self.page.wait_for_function("document.body.dataset.ready === '1'", timeout=15_000)

    def texts(self, selector):
        return self.page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")

    def check_clean(self):
        assert self.errors == []
        assert self.requests == [self.path.as_uri()]  # the page itself, nothing else

    def pick_row(self, i):
        self.page.fill("#row-index", str(i))
        self.page.dispatch_event("#row-index", "change")

    def threshold(self, k):
        self.page.eval_on_selector(
            "#threshold", "(e, k) => { e.value = k; e.dispatchEvent(new Event('input')); }", k
        )

    def matrix(self):
        cells = self.page.eval_on_selector_all(
            "#cm td[data-cell]", "els => els.map(e => [e.dataset.cell, Number(e.textContent)])"
        )
        K = round(len(cells) ** 0.5)
        M = np.zeros((K, K), dtype=int)
        for where, v in cells:
            i, j = map(int, where.split("-"))
            M[i, j] = v
        return M.tolist()

    def shot(self, tmp_path, name, selector=None):
        target = tmp_path / f"{name}.png"
        if selector:
            self.page.locator(selector).screenshot(path=str(target))
        else:
            self.page.screenshot(path=str(target), full_page=True)
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(target, SHOTS / target.name)
        assert target.stat().st_size > 20_000
        return target


def _open(browser, tmp_path, name, story=True):
    return case(name), Page(browser, page_file(name, tmp_path, story))


def _embedded(page):
    return page.page.evaluate(
        "JSON.parse(document.getElementById('report-data').textContent).rows.rows.map(r => r.i)"
    )


def test_binary_page_rows_and_threshold(browser, tmp_path):
    c, p = _open(browser, tmp_path, "binary")
    p.check_clean()
    rows = _embedded(p)
    i = rows[len(rows) // 2]
    p.pick_row(i)
    trace = explain(c.model, c.X[i], c.y[i], feature_names=c.names)
    assert p.texts("#trace-table td.value") == [v for _, _, v in trace.rows()]
    assert f"= {p.texts('#trace-table td.value')[0]}" in p.texts("#node-z text")
    shown = p.texts("#feature-table tbody td:first-child")
    top = np.argsort(-np.abs(c.model.coef_[0] * c.X[i]))[: len(shown)]
    assert shown == [c.names[j] for j in top]  # the largest |w_j x_j|, from numpy
    # the threshold: the matrix at 0.3 is the library's and scikit-learn's
    grid = p.page.evaluate(
        "JSON.parse(document.getElementById('report-data').textContent).quality.thresholds"
    )
    k = next(n for n, g in enumerate(grid) if g["t"] == 0.3)
    p.threshold(k)
    assert p.texts("#threshold-value") == ["0.3"]
    proba = c.model.predict_proba(c.X)
    lib = classification_metrics(c.y, proba, c.model.classes_, threshold=0.3)
    assert p.matrix() == lib["confusion_matrix"]["matrix"]
    assert p.matrix() == confusion_matrix(c.y, (proba[:, 1] > 0.3).astype(int)).tolist()
    p.threshold(next(n for n, g in enumerate(grid) if g["t"] == 0.9))
    sk = confusion_matrix(c.y, (proba[:, 1] > 0.9).astype(int)).tolist()
    assert p.matrix() == sk and sk != lib["confusion_matrix"]["matrix"]
    p.shot(tmp_path, "binary")
    p.shot(tmp_path, "binary-graph", "section#graph")
    p.check_clean()


def test_binary_page_search_finds_rows_by_value(browser, tmp_path):
    c, p = _open(browser, tmp_path, "binary")
    rows = np.asarray(_embedded(p))
    j = c.names.index("mean radius")
    p.page.fill("#row-search", "mean radius>1.5")
    found = [int(t.split()[1]) for t in p.texts("#row-results button")]
    expected = rows[c.X[rows, j] > 1.5]  # independent: numpy on the same rows
    assert found == expected[:24].tolist() and len(expected) > 0
    p.page.click("#row-results button >> nth=0")
    trace = explain(c.model, c.X[found[0]], c.y[found[0]], feature_names=c.names)
    assert p.texts("#trace-table td.value") == [v for _, _, v in trace.rows()]
    # coefficients: the search filters by name
    p.page.fill("#coef-search", "worst")
    names = p.texts("#coef-table tbody td:first-child")
    assert names and all("worst" in n for n in names)
    assert len(names) == sum("worst" in n for n in c.names)
    p.check_clean()


def test_saturated_row_explains_why_the_literal_chain_fails(browser, tmp_path):
    c, p = _open(browser, tmp_path, "saturating", story=False)
    p.page.click("#row-extreme")
    # the button picks the saturated row of the page with the largest |z| (a rounds to 1
    # above z = 36.7, to 0 only below -745)
    z = np.abs(c.model.decision_function(c.X))
    saturated = [i for i in _embedded(p) if explain(c.model, c.X[i], c.y[i]).saturated]
    i = max(saturated, key=lambda k: z[k])
    trace = explain(c.model, c.X[i], c.y[i], feature_names=c.names)
    assert p.texts("#trace-table td.value") == [v for _, _, v in trace.rows()]
    note = p.page.locator("#saturation-note")
    assert "warn" in note.get_attribute("class") and trace.note in note.text_content()
    p.shot(tmp_path, "saturated-graph", "section#graph")
    p.check_clean()


def test_multinomial_page_shows_the_softmax_graph(browser, tmp_path):
    c, p = _open(browser, tmp_path, "multinomial")
    p.check_clean()
    i = _embedded(p)[5]
    p.pick_row(i)
    trace = explain(c.model, c.X[i], c.y[i], feature_names=c.names)
    assert trace.link == "softmax"
    assert p.texts("#trace-table td.value") == [v for _, _, v in trace.rows()]
    assert "a = softmax(z)" in p.texts("#node-a text")
    jac = p.texts("#jacobian td")
    assert len(jac) == 9
    np.testing.assert_allclose(np.array(jac, dtype=float).reshape(3, 3), trace.da_dz, rtol=1e-5)
    proba = c.model.predict_proba(c.X)
    assert (
        p.matrix()
        == classification_metrics(c.y, proba, c.model.classes_)["confusion_matrix"]["matrix"]
    )
    assert p.page.locator("#threshold").count() == 0  # the most probable class, no threshold
    p.shot(tmp_path, "multinomial")
    p.check_clean()


def test_wide_page_searchable_coefficients_and_largest_contributions(browser, tmp_path):
    c, p = _open(browser, tmp_path, "wide")
    p.check_clean()
    assert c.X.shape[1] >= 1000
    p.page.fill("#coef-search", "px36")
    count = p.texts("#coef-count")[0]
    hits = sum("px36" in n for n in c.names)
    assert f"of {hits} matching ({c.X.shape[1] + 1} in all)" in count
    assert all("px36" in n for n in p.texts("#coef-table tbody td:first-child"))
    i = _embedded(p)[3]
    p.pick_row(i)
    shown = p.texts("#feature-table tbody td:first-child")
    top = np.argsort(-np.abs(c.model.coef_[0] * c.X[i]), kind="stable")[: len(shown)]
    assert len(shown) == 12 and shown == [c.names[j] for j in top]
    trace = explain(c.model, c.X[i], c.y[i], feature_names=c.names)
    assert p.texts("#trace-table td.value") == [v for _, _, v in trace.rows()]
    p.shot(tmp_path, "wide")
    p.check_clean()
