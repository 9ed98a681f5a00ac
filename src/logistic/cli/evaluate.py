"""``logistic evaluate``: how well a model fits labelled data (:mod:`logistic.metrics`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._app import app
from ._inputs import labelled_inputs, load_model, read_for
from ._options import (
    DecimalOpt,
    EncodingOpt,
    FormatOpt,
    JsonOpt,
    LabelledDataArg,
    ModelArg,
    NoPlotsOpt,
    QuietOpt,
    SavedTargetOpt,
    SepOpt,
    ThousandsOpt,
    ThresholdOpt,
    model_threshold,
    plots_dir,
    read_options,
)
from ._output import Output, check_outputs, py

__all__ = ["evaluate"]

EVALUATE_EXAMPLES = """
**Examples**

```
logistic evaluate model.json test.csv --target income --plots plots/
logistic evaluate model.json test.parquet --json --no-plots
```
"""


@app.command(epilog=EVALUATE_EXAMPLES)
def evaluate(
    model: ModelArg,
    data: LabelledDataArg,
    target: SavedTargetOpt = None,
    plots: Annotated[
        Path | None,
        typer.Option(
            help="Directory for roc.png and calibration.png (default: the current directory)."
        ),
    ] = None,
    no_plots: NoPlotsOpt = False,
    threshold: ThresholdOpt = None,
    sep: SepOpt = None,
    decimal: DecimalOpt = ".",
    thousands: ThousandsOpt = None,
    encoding: EncodingOpt = "utf-8",
    file_format: FormatOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Accuracy, log-loss, ROC AUC, Brier score, confusion matrix, precision, recall and F1.

    Writes roc.png (ROC curve with its area), pr.png (precision-recall curve with its
    average precision and the --threshold's point) and calibration.png (reliability
    diagram and histogram of predicted probabilities). For a multinomial model: one-vs-rest macro ROC
    AUC, the multiclass Brier score mean_i sum_k (p_ik - [y_i = k])^2, a K x K confusion
    matrix and roc.png with one curve per class (no calibration.png).
    """
    # The library is imported here, not when the application starts (--help stays light).
    from rich.markup import escape
    from rich.table import Table

    from logistic.metrics import classification_metrics

    out = Output(quiet, as_json)
    plot_dir = plots_dir(plots, no_plots, Path("."), "roc.png")
    check_outputs(plot_dir, ("roc.png", "pr.png", "calibration.png"), "plot", inputs=(model, data))
    m = load_model(model)
    classes = list(m.classes_)
    threshold = model_threshold(threshold, len(classes))
    y, X = labelled_inputs(
        m,
        read_for(m, data, **read_options(sep, decimal, thousands, encoding, file_format)),
        target,
        out,
    )
    proba = m.estimator.predict_proba(X)
    metrics = classification_metrics(y, proba, m.classes_, threshold=threshold or 0.5)
    K = len(classes)
    written = {}
    if plot_dir is not None:
        from logistic.tables import written_together

        with written_together():  # the pictures appear together or not at all
            written = _plots(out, m, y, proba, metrics, data, plot_dir)
    if K == 2:
        out.json({**metrics, "positive_class": py(classes[1]), "files": written})
    else:
        out.json({**metrics, "classes": [py(c) for c in classes], "files": written})

    tbl = Table()
    tbl.add_column("metric")
    tbl.add_column("value", justify="right")
    tbl.add_row("accuracy", f"{metrics['accuracy']:.4f}")
    tbl.add_row("log-loss", f"{metrics['log_loss']:.4f}")
    auc_name = "ROC AUC" if K == 2 else "ROC AUC (one-vs-rest, macro)"
    tbl.add_row(auc_name, "n/a" if metrics["roc_auc"] is None else f"{metrics['roc_auc']:.4f}")
    tbl.add_row(
        "Brier score" if K == 2 else "Brier score (multiclass, 0..2)", f"{metrics['brier']:.4f}"
    )
    if K == 2:
        ap = metrics["average_precision"]
        tbl.add_row("average precision (PR AUC)", "n/a" if ap is None else f"{ap:.4f}")
        tbl.add_row("threshold", f"{metrics['threshold']:g}")
    what = f"positive class {py(classes[1])!r}" if K == 2 else f"{K} classes"
    out.table(tbl, f"{data.name}: {metrics['rows']} rows, {what}")
    cm = Table()
    cm.add_column("")
    for c in classes:
        cm.add_column(escape(f"pred {py(c)}"), justify="right")
    for c, row in zip(classes, metrics["confusion_matrix"]["matrix"], strict=True):
        cm.add_row(escape(f"true {py(c)}"), *[str(v) for v in row])
    out.table(cm, "confusion matrix (rows: true class, columns: predicted class)")
    report = Table()
    for name in ("class", "precision", "recall", "F1", "support"):
        report.add_column(name, justify="left" if name == "class" else "right")
    for r in metrics["per_class"]:
        report.add_row(
            escape(str(py(r["class"]))),
            f"{r['precision']:.4f}",
            f"{r['recall']:.4f}",
            f"{r['f1']:.4f}",
            str(r["support"]),
        )
    macro = metrics["macro"]
    report.add_row(
        "macro average",
        f"{macro['precision']:.4f}",
        f"{macro['recall']:.4f}",
        f"{macro['f1']:.4f}",
        str(metrics["rows"]),
    )
    out.table(report, "per class (precision: of the rows predicted so; recall: of the rows so)")
    for what, path in written.items():
        out.line(f"{what}: {path}")


def _plots(out, m, y, proba, metrics, data, plot_dir) -> dict:
    """roc.png (and calibration.png for a binary model); the paths written."""
    # Imported when drawing: matplotlib is a second's start-up that other paths skip.
    import numpy as np

    from logistic.plots import (
        plot_calibration,
        plot_precision_recall,
        plot_roc,
        plot_roc_multiclass,
    )

    written = {}
    classes = m.classes_
    K = len(classes)
    no_curve = "the data holds only one class, so there is no ROC curve."
    if K > 2:
        if np.isin(classes, y).sum() >= 2:
            written["roc"] = str(
                plot_roc_multiclass(
                    y,
                    proba,
                    classes,
                    plot_dir / "roc.png",
                    title=f"ROC one-vs-rest on {data.name} ({len(y)} rows, {K} classes)",
                )
            )
        else:
            out.warn(no_curve)
        out.info(f"calibration.png is drawn for binary models only; this one has {K} classes.")
        return written
    y01 = (np.asarray(y) == classes[1]).astype(np.int64)
    if metrics["roc_auc"] is not None:
        written["pr"] = str(
            plot_precision_recall(
                y01,
                proba[:, 1],
                plot_dir / "pr.png",
                threshold=metrics["threshold"],
                title=f"precision-recall on {data.name} ({len(y01)} rows, positive: "
                f"{py(classes[1])})",
            )
        )
        written["roc"] = str(
            plot_roc(
                y01,
                proba[:, 1],
                plot_dir / "roc.png",
                title=f"ROC on {data.name} ({len(y01)} rows, positive: {py(classes[1])})",
            )
        )
    else:
        out.warn(no_curve)
    written["calibration"] = str(
        plot_calibration(
            y01,
            proba[:, 1],
            plot_dir / "calibration.png",
            class_names=(str(py(classes[0])), str(py(classes[1]))),
            title=f"calibration on {data.name} ({len(y01)} rows)",
        )
    )
    return written
