"""What a notebook shows of a fitted model or an inference result: a small HTML table.

``LogisticRegression._repr_html_`` calls :func:`model_html` and
``InferenceResult._repr_html_`` :func:`inference_html`. Both read the object's public
attributes only (this module sits with the foundations, below the estimator, so that both
may import it), escape every text and show at most :data:`ROWS` coefficients, the largest
first.
"""

from __future__ import annotations

import html

import numpy as np

__all__ = ["ROWS", "inference_html", "model_html"]

#: Coefficient rows a notebook table shows; the rest are counted.
ROWS = 20

_STYLE = (
    "<style>.lg-t{border-collapse:collapse;font-size:12.5px;margin:4px 0}"
    ".lg-t th,.lg-t td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}"
    ".lg-t th:first-child,.lg-t td:first-child{text-align:left}"
    ".lg-h{font-weight:600;margin:6px 0 2px}</style>"
)


def _num(v, digits=6) -> str:
    v = float(v)
    return f"{v:.{digits}g}" if np.isfinite(v) else str(v)


def _table(header, rows) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f'<table class="lg-t"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _facts(pairs) -> str:
    return _table(["", ""], [(k, v) for k, v in pairs if v is not None]).replace(
        "<thead><tr><th></th><th></th></tr></thead>", ""
    )


def model_html(model) -> str:
    """A fitted estimator as HTML: the fit (classes, solver, iterations, convergence, final
    loss) and its largest coefficients; an unfitted one as scikit-learn's diagram."""
    from sklearn.utils import estimator_html_repr

    if not hasattr(model, "coef_"):
        return estimator_html_repr(model)
    coef = model.coef_
    coef = np.asarray(coef.toarray() if hasattr(coef, "toarray") else coef, dtype=np.float64)
    classes = [str(c) for c in model.classes_]
    n = coef.shape[1]
    names = getattr(model, "feature_names_in_", None)
    names = [str(v) for v in names] if names is not None else [f"x{j}" for j in range(n)]
    history = getattr(model, "history_", None)
    params = model.get_params()
    kind = "binary" if coef.shape[0] == 1 else f"multinomial, {coef.shape[0]} classes"
    facts = _facts(
        [
            ("model", f"{type(model).__name__} ({kind})"),
            ("classes", ", ".join(classes[:10]) + (" ..." if len(classes) > 10 else "")),
            ("features", str(n)),
            ("C / l1_ratio", f"{_num(params.get('C', np.nan))} / {params.get('l1_ratio', 0)}"),
            ("solver", str(getattr(model, "solver_", params.get("solver")))),
            ("iterations", str(int(np.ravel(getattr(model, "n_iter_", [0]))[0]))),
            ("converged", str(bool(getattr(model, "converged_", False)))),
            ("final loss", _num(history.loss[-1], 10) if history is not None else None),
            (
                "final max |gradient|",
                _num(history.grad_norm[-1], 4) if history is not None else None,
            ),
        ]
    )
    order = np.argsort(-np.max(np.abs(coef), axis=0), kind="stable")[:ROWS]
    columns = ["coefficient"] if coef.shape[0] == 1 else [f"W [{c}]" for c in classes]
    rows = [("intercept", *(_num(v) for v in np.ravel(model.intercept_)))]
    rows += [(names[j], *(_num(v) for v in coef[:, j])) for j in order]
    more = f"<div>... {n - len(order)} more features</div>" if n > len(order) else ""
    return (
        f"{_STYLE}<div class='lg-h'>fit</div>{facts}"
        f"<div class='lg-h'>largest coefficients</div>{_table(['', *columns], rows)}{more}"
    )


def inference_html(result) -> str:
    """An inference result as HTML: the likelihood statistics and the coefficient table
    (coef, std err, z, P>|z| and the interval), statsmodels' layout."""
    ci = result.conf_int()
    alpha = result.alpha
    facts = _facts(
        [
            ("dependent variable", getattr(result, "dep_var", None)),
            ("method", result.method),
            ("covariance", result.cov_type),
            ("observations", _num(result.nobs)),
            ("log-likelihood", _num(result.llf)),
            ("LL-null", _num(result.llnull)),
            ("pseudo R² (McFadden)", _num(result.prsquared, 4)),
            ("AIC / BIC", f"{_num(result.aic)} / {_num(result.bic)}"),
        ]
    )
    k = len(result.names)
    shown = range(k) if k <= ROWS else np.argsort(-np.abs(result.zvalues), kind="stable")[:ROWS]
    rows = [
        (
            result.names[j],
            *(
                _num(v)
                for v in (
                    result.params[j],
                    result.bse[j],
                    result.zvalues[j],
                    result.pvalues[j],
                    ci[j, 0],
                    ci[j, 1],
                )
            ),
        )
        for j in shown
    ]
    header = ["", "coef", "std err", "z", "P>|z|", f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"]
    more = f"<div>... {k - ROWS} more parameters (the largest |z| shown)</div>" if k > ROWS else ""
    return f"{_STYLE}{facts}{_table(header, rows)}{more}"
