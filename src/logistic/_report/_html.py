"""The page itself: one HTML document with its CSS, its script and its numbers inline.

The numbers travel as one JSON document in a ``<script type="application/json">`` element
(every ``<`` written ``\\u003c``, so that no value can close it); ``page.js`` (package data) draws the page
from it. A Content-Security-Policy ``default-src 'none'`` forbids the page any request: it
works offline and cannot load anything, even if a value looked like an address.
"""

from __future__ import annotations

import html
import json
from importlib import resources

__all__ = ["render"]

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; \
style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{title}</title>
<style>
{css}
</style>
</head>
<body>
<header>
<h1 id="title">{title}</h1>
<p id="subtitle"></p>
<p id="generated"></p>
</header>
<nav>
<a href="#fit">1. The fit</a><a href="#quality">2. Quality</a>
<a href="#coefficients">3. Coefficients</a><a href="#graph">4. The graph of one row</a>
<a href="#story">5. The learning rate</a>
</nav>
<main>
<noscript><p class="warn">This page draws its charts with JavaScript; allow it to see them.</p>
</noscript>
<section id="fit"><h2>1. The fit</h2>
<p class="lead">How the solver got to the coefficients: the loss (the mean-form objective,
penalty included) and the largest entry of its gradient at every iteration; the fit stops
when max |gradient| &le; tol.</p>
<div id="fit-body"></div></section>
<section id="quality"><h2>2. Quality</h2>
<p class="lead">How good the probabilities are on these rows: ranking (ROC,
precision-recall), calibration (are rows given 0.8 positive 80% of the time?) and the
errors at a decision threshold.</p>
<div id="quality-body"></div></section>
<section id="coefficients"><h2>3. Coefficients</h2>
<p class="lead">The weights w (one column per class for a multinomial model) and the
intercept b of z = w&middot;x + b, as fitted: in the units of the model's inputs.</p>
<div id="coef-body"></div></section>
<section id="graph"><h2>4. The computation graph of one row</h2>
<p class="lead">Forward x, w, b &rarr; z &rarr; a &rarr; L with this row's numbers; backward,
every local derivative and the chain-rule products, as the seeds derive them. The values
are those of <code>logistic.explain</code> on the row.</p>
<div id="graph-body"></div></section>
<section id="story"><h2>5. The learning rate</h2>
<div id="story-body"></div></section>
</main>
<footer>Written by logistic {version}: every number on this page was computed by the library
before the page was written; the page loads nothing and sends nothing.</footer>
<script type="application/json" id="report-data">{payload}</script>
<script>
{js}
</script>
</body>
</html>
"""


def _resource(name) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def render(data: dict, title: str, version: str) -> str:
    """The page for ``data`` (JSON-ready; non-finite numbers refused) as one string."""
    payload = json.dumps(data, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("<", "\\u003c")  # no value can close the script element
    return _TEMPLATE.format(
        title=html.escape(title),
        version=html.escape(version),
        css=_resource("page.css"),
        js=_resource("page.js"),
        payload=payload,
    )
