"""The models the report tests draw pages of: real data, one of each kind the page handles.

- ``binary``: breast cancer (569 rows, 30 standardised features), C = 1;
- ``multinomial``: wine (178 rows, 13 features, 3 cultivars named as text), C = 1;
- ``wide``: digits (1,797 rows) with every pairwise product of the 64 pixels, 2,144
  standardised features, even against odd, C = 0.1;
- ``saturating``: the binary model on its rows times 4, so that the rows with the largest
  ``|z|`` round ``a`` to 0 or 1 in float64.

Each is built once per test session (``functools.cache``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

import logistic


@dataclass
class Case:
    name: str
    model: object
    X: np.ndarray
    y: np.ndarray
    names: list


@functools.cache
def case(name: str) -> Case:
    if name in ("binary", "saturating"):
        d = load_breast_cancer()
        X, y = StandardScaler().fit_transform(d.data), d.target
        model = logistic.LogisticRegression(C=1.0).fit(X, y)
        if name == "saturating":
            X = 4.0 * X
        return Case(name, model, X, y, [str(n) for n in d.feature_names])
    if name == "multinomial":
        d = load_wine()
        X, y = StandardScaler().fit_transform(d.data), np.asarray(d.target_names)[d.target]
        model = logistic.LogisticRegression(C=1.0).fit(X, y)
        return Case(name, model, X, y, [str(n) for n in d.feature_names])
    if name == "wide":
        d = load_digits()
        poly = PolynomialFeatures(2, include_bias=False)
        X = StandardScaler().fit_transform(poly.fit_transform(d.data))
        y = (d.target % 2 == 0).astype(np.int64)
        names = [str(n) for n in poly.get_feature_names_out([f"px{i}" for i in range(64)])]
        model = logistic.LogisticRegression(C=0.1).fit(X, y)
        return Case(name, model, X, y, names)
    raise KeyError(name)


@functools.cache
def page_data(name: str, story: bool = True) -> dict:
    """``logistic._report.report_data`` of the case (what the page embeds)."""
    from logistic._report import report_data

    c = case(name)
    return report_data(c.model, c.X, c.y, feature_names=c.names, data_name=name, story=story)


def page_file(name: str, directory, story: bool = True):
    """The page of the case written to ``directory`` (from the cached :func:`page_data`)."""
    from logistic import __version__
    from logistic._report._html import render

    data = page_data(name, story)
    path = directory / f"{name}.html"
    path.write_text(render(data, data["title"], __version__), encoding="utf-8")
    return path
