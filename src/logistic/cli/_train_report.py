"""What ``logistic train`` prints once the model is written: JSON, or the tables."""

from __future__ import annotations

import math

from rich.table import Table

from ._output import Output, num, py

__all__ = ["report_training"]

_METRICS = ("rows", "accuracy", "log_loss", "roc_auc", "brier")


def report_training(out: Output, result, written: dict) -> None:
    """The JSON document (with --json), else the cross-validation table, the metrics table
    and one line per file written, for a :class:`logistic.training.TrainingResult`."""
    est, metrics, record = result.estimator, result.metrics, result.record
    doc = {
        "evaluated_on": record["evaluated_on"],
        **{k: metrics[k] for k in _METRICS},
        "iterations": int(est.n_iter_[0]),
        "converged": bool(est.converged_),
        "seconds": result.seconds,
        "final_loss": record["final_loss"],
        "grad_norm": record["grad_norm"],
        "solver": result.solver,
        "C": _json_C(est.C),
        "l1_ratio": float(est.l1_ratio),
        "classes": [py(c) for c in est.classes_],
        "n_features": int(result.preprocessor.n_features_out),
        "standard_errors": record["standard_errors"],
        "files": written,
    }
    if result.cv is not None:
        doc["cv"] = result.cv
    out.json(doc)
    if result.cv is not None:
        _cv_table(out, result.cv)
    tbl = Table()
    tbl.add_column("metric")
    tbl.add_column("value", justify="right")
    tbl.add_row("accuracy", f"{metrics['accuracy']:.4f}")
    tbl.add_row("log-loss", f"{metrics['log_loss']:.4f}")
    auc_name = "ROC AUC" if len(est.classes_) == 2 else "ROC AUC (one-vs-rest)"
    auc = metrics["roc_auc"]
    tbl.add_row(auc_name, "n/a" if auc is None else f"{auc:.4f}")
    tbl.add_row("iterations", str(doc["iterations"]))
    tbl.add_row("seconds", f"{result.seconds:.3f}")
    tbl.add_row("converged", "yes" if est.converged_ else "[yellow]no[/]")
    tbl.add_row("final loss", num(record["final_loss"]))
    tbl.add_row("max|grad|", f"{record['grad_norm']:.3g} (tol {est.tol:g})")
    if record["evaluated_on"] == "holdout":
        on = f"holdout ({metrics['rows']} rows, {record['holdout']:g})"
    else:
        on = f"training rows ({metrics['rows']})"
    out.table(tbl, f"results on {on}")
    if auc is None and result.executor != "memory":
        out.line("(ROC AUC needs every prediction at once; run 'logistic evaluate' for it)")
    if result.inference is not None:
        out.line(
            f"standard errors ({result.inference['cov_type']}"
            f"{', penalised sandwich' if result.inference['penalized'] else ''}) stored; "
            "'logistic summary' shows them"
        )
    for what, path in written.items():
        out.line(f"{what.replace('_', ' ')}: {path}")


def _cv_table(out: Output, cv: dict) -> None:
    tbl = Table()
    tbl.add_column("C", justify="right")
    tbl.add_column("l1_ratio", justify="right")
    tbl.add_column("mean log-loss", justify="right")
    tbl.add_column("sd over folds", justify="right")
    tbl.add_column("")
    for r, ratio in enumerate(cv["l1_ratios"]):
        for c, C in enumerate(cv["Cs"]):
            chosen = C == cv["C"] and ratio == cv["l1_ratio"]
            tbl.add_row(
                f"{C:.4g}",
                f"{ratio:g}",
                f"{-cv['mean_score'][r][c]:.5f}",
                f"{cv['std_score'][r][c]:.5f}",
                "[bold]<- chosen[/]" if chosen else "",
            )
    out.table(
        tbl,
        f"{cv['folds']}-fold cross-validation (held-out log-loss, lower is better): "
        f"C = {cv['C']:.4g}, l1_ratio = {cv['l1_ratio']:g}",
    )


def _json_C(C):
    """``C`` for JSON, which has no infinity: ``"inf"``."""
    C = float(C)
    return C if math.isfinite(C) else "inf"
