"""``logistic summary``: a model file's coefficients, standard errors and training record."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated

import typer

from ._app import app
from ._inputs import load_model
from ._options import JsonOpt, ModelArg, QuietOpt, cli_spelling
from ._output import Output, num, py

if TYPE_CHECKING:
    from rich.table import Table

# NumPy, rich's tables and the library are imported in the functions that use them: this
# module is imported when the application starts, and --help needs none of them.

__all__ = ["summary"]


@app.command(epilog="**Example**\n\n```\nlogistic summary model.json\n```")
def summary(
    model: ModelArg,
    per_sd: Annotated[
        bool,
        typer.Option(
            "--per-sd",
            help="Coefficients per standard deviation of each numeric input, as the fit "
            "standardised them (default: per unit of the input as given).",
        ),
    ] = False,
    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            min=1,
            help="Show only the N largest coefficients: by |z| when standard errors are "
            "stored, else by |coefficient| (all are in --json).",
            show_default=False,
        ),
    ] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Coefficients with odds ratios (and standard errors when stored), and the training record.

    Coefficients are per unit of each numeric input as given (what R and statsmodels report
    on the same data; the fit's standardisation undone), or with --per-sd per standard
    deviation (shown in the 'per' column); a one-hot feature's coefficient is the change
    for rows in that category (against the reference category with --C inf). A model
    trained with --C inf also shows a statsmodels-style table: standard errors, z,
    p-values and confidence intervals, in the same units; a penalised one says why it has
    none. A multinomial model shows one coefficient table per class: with stored standard
    errors against the reference class (--reference-class of train; exp(coef) is then the
    relative risk ratio, the odds against that class), else of the symmetric softmax.
    """
    import numpy as np

    from logistic.inference import reference_index
    from logistic.tables import unit_scales

    m = load_model(model)
    out = Output(quiet, as_json)
    est = m.estimator
    classes = [py(c) for c in m.classes_]
    K = len(classes)
    coef = est.coef_.astype(np.float64)
    icpt = est.intercept_.astype(np.float64)
    scales = {}
    units = "per sd" if per_sd else "per unit"
    if m.preprocessor is not None and m.preprocessor.standardize:
        scales = unit_scales(m.preprocessor)
        if not per_sd:
            means, sds = m.preprocessor.output_scaling()
            icpt = icpt - (coef * (means / sds)).sum(axis=1)
            coef = coef / sds
    doc = {
        "model": str(model),
        "units": units,
        "classes": classes,
        "library_version": m.metadata.get("library_version"),
        "created": m.metadata.get("created"),
    }
    if K == 2:
        doc.update(
            positive_class=classes[1],
            intercept=float(icpt[0]),
            coefficients=_coefficients(m.feature_names, coef[0], scales, per_sd),
        )
    else:
        doc["per_class"] = [
            {
                "class": c,
                "intercept": float(icpt[k]),
                "coefficients": _coefficients(m.feature_names, coef[k], scales, per_sd),
            }
            for k, c in enumerate(classes)
        ]
    stored = m.inference_result(units)
    ref = None if stored is None or stored.reference is None else stored.reference
    doc["reference_class"] = ref
    doc["standard_errors"] = None if stored is None else stored.as_dict()
    doc["standard_errors_note"] = None if m.inference is not None else _why_no_se(m)
    doc["training"] = m.training
    out.json(doc)

    keep = _top(stored, doc, top)
    if ref is not None:  # against the reference class: W_k - W_ref (a binary W_0 = 0)
        r = reference_index(classes, ref)
        sym = coef if K > 2 else np.vstack([np.zeros_like(coef), coef])
        sym_b = icpt if K > 2 else np.r_[0.0, icpt]
        for k, c in enumerate(classes):
            if k != r:
                _coefficient_table(
                    out,
                    _shown(_coefficients(m.feature_names, sym[k] - sym[r], scales, per_sd), keep),
                    float(sym_b[k] - sym_b[r]),
                    f"{model.name}: log-odds of {c!r} vs {ref!r} (the reference class)"
                    + _of(keep, doc),
                    odds=f"odds vs {ref!r}",
                )
    elif K == 2:
        _coefficient_table(
            out,
            _shown(doc["coefficients"], keep),
            doc["intercept"],
            f"{model.name}: log-odds of {classes[1]!r} (vs {classes[0]!r})" + _of(keep, doc),
        )
    else:
        for k, entry in enumerate(doc["per_class"]):
            _coefficient_table(
                out,
                _shown(entry["coefficients"], keep),
                entry["intercept"],
                f"{model.name}: class {entry['class']!r} ({k + 1} of {K}), logit z_k of the "
                "softmax a_k = exp(z_k) / sum_j exp(z_j)" + _of(keep, doc),
                odds=False,
            )
        out.line(
            "exp(coef) multiplies exp(z_k); the softmax here is symmetric (no reference "
            "class), so it is an odds ratio only of class k against a class whose "
            "coefficient is 0."
        )
    if stored is not None:
        if keep is not None:  # the kept features of every class, and the intercepts
            kept = {*keep, "intercept"}
            pairs = zip(stored.names, stored.features, strict=True)
            stored = stored.select([n for n, f in pairs if f in kept])
        title = "Logistic Regression Results" if ref is None else "MNLogit Regression Results"
        out.line(stored.summary(title=title).as_text())
    else:
        out.line(doc["standard_errors_note"])
    out.table(_record_table(m.training), "training record")


def _top(stored, doc, top) -> list[str] | None:
    """The names of the ``top`` features to show (by |z|, else by the largest |coefficient|
    over the classes), in feature order; None: all."""
    import numpy as np

    entries = doc.get("coefficients") or [
        {
            "feature": r["feature"],
            "coefficient": max(abs(c["coefficients"][j]["coefficient"]) for c in doc["per_class"]),
        }
        for j, r in enumerate(doc["per_class"][0]["coefficients"])
    ]
    if top is None or top >= len(entries):
        return None
    if stored is not None:  # by |z|; a multinomial feature by its largest over the classes
        size = {}
        z = np.nan_to_num(np.abs(stored.zvalues), nan=-1.0)
        for f, v in zip(stored.features, z, strict=True):
            size[f] = max(size.get(f, -1.0), v)
    else:
        size = {r["feature"]: abs(r["coefficient"]) for r in entries}
    order = sorted(entries, key=lambda r: -np.nan_to_num(size[r["feature"]], nan=-1.0))
    chosen = {r["feature"] for r in order[:top]}
    return [r["feature"] for r in entries if r["feature"] in chosen]


def _shown(rows, keep):
    return rows if keep is None else [r for r in rows if r["feature"] in set(keep)]


def _of(keep, doc) -> str:
    n = len(doc.get("coefficients") or doc["per_class"][0]["coefficients"])
    return "" if keep is None else f"; the {len(keep)} largest of {n} (--top)"


def _coefficients(names, coef, scales, per_sd) -> list[dict]:
    """One entry a feature: coefficient, odds ratio (None where it overflows) and what a
    unit of the feature is (one unit or one standard deviation, or being in the category)."""
    import numpy as np

    rows = []
    for name, c in zip(names, coef, strict=True):
        with np.errstate(over="ignore"):
            odds = float(np.exp(c))
        rows.append(
            {
                "feature": name,
                "coefficient": float(c),
                "odds_ratio": odds if math.isfinite(odds) else None,
                "per": (
                    "category"
                    if name not in scales
                    else f"1 sd = {scales[name]:.4g}"
                    if per_sd
                    else f"1 unit (sd {scales[name]:.4g})"
                ),
            }
        )
    return rows


def _coefficient_table(out, rows, b, title, *, odds=True) -> None:
    """One class's coefficients. ``odds``: the exponentials are odds ratios (two
    classes), or the header of the odds against a reference class (a multinomial model's
    relative risk ratios); False: for the symmetric softmax, which has no reference
    class, they are only ``exp(coef)``: the factor on ``exp(z_k)``, an odds ratio
    against no class."""
    from rich.markup import escape
    from rich.table import Table

    tbl = Table()
    tbl.add_column("feature")
    tbl.add_column("coefficient", justify="right")
    header = odds if isinstance(odds, str) else "odds ratio" if odds else "exp(coef)"
    tbl.add_column(escape(header), justify="right")
    tbl.add_column("per")
    tbl.add_row("(intercept)", f"{b:.6g}", f"{math.exp(b) if b < 700 else math.inf:.4g}", "")
    for r in rows:
        tbl.add_row(
            escape(r["feature"]), f"{r['coefficient']:.6g}", num(r["odds_ratio"], 4), r["per"]
        )
    out.table(tbl, title)


# The record table shows the first items of a list and characters of a value (--json has
# them all): the time to fold one long cell grows faster than its length.
_SHOWN_ITEMS = 20
_SHOWN_CHARS = 2000


def _record_table(training: dict) -> Table:
    """The training record, one field a row; lists, metrics and the CV record in a line."""
    from rich.markup import escape
    from rich.table import Table

    rec = Table(show_header=False)
    rec.add_column("field")
    rec.add_column("value", overflow="fold")
    for k, v in training.items():
        if k == "cv" and isinstance(v, dict):
            v = (
                f"{v.get('folds')}-fold, C = {v.get('C')}, l1_ratio = {v.get('l1_ratio')} "
                f"(grid of {len(v.get('Cs') or [])} C x {len(v.get('l1_ratios') or [])} l1)"
            )
        elif isinstance(v, list):
            more = len(v) - _SHOWN_ITEMS
            v = ", ".join(str(x) for x in v[:_SHOWN_ITEMS]) + (
                f", ... ({more} more; all in --json)" if more > 0 else ""
            )
        elif k == "metrics" and isinstance(v, dict):
            v = ", ".join(
                f"{a}={x:.4f}" if isinstance(x, float) else f"{a}={x}" for a, x in v.items()
            )
        elif isinstance(v, float):
            v = num(v)
        v = str(v)
        if len(v) > _SHOWN_CHARS:
            v = f"{v[:_SHOWN_CHARS]}... ({len(v) - _SHOWN_CHARS} more characters; all in --json)"
        rec.add_row(escape(k), escape(v))
    return rec


def _why_no_se(m) -> str:
    """One line: why this model file has no standard errors (the record's note, else the
    library's policy for this model)."""
    from logistic.inference import why_no_standard_errors

    note = m.training.get("standard_errors")
    if isinstance(note, str) and note != "stored":
        return note
    est = m.estimator
    reason = why_no_standard_errors(
        n_classes=len(m.classes_),
        C=float(est.C),
        l1_ratio=float(est.l1_ratio),
        class_weight=est.class_weight,
    )
    if reason is not None:
        return cli_spelling(reason)
    return "no standard errors in this model file (train it again with --C inf to store them)."
