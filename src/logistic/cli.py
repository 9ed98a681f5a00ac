"""``logistic``: train, predict, evaluate, explain and summarise from the command line.

Every command reads CSV or Parquet files through :mod:`logistic.io`, keeps its model in a
JSON file (:mod:`logistic.persistence`) and draws with :mod:`logistic.plots`; it only calls
the library's public API.

Conventions: results go to stdout (a rich table, or JSON with ``--json``); progress,
warnings and errors go to stderr. A mistake of the user (a bad option, a missing column, an
unreadable or malformed file, an unwritable output path) ends with exit status 2 and one line
``error: ...`` on stderr, never a traceback, and writes no output file. Ctrl-C during
training exits with status 130 and writes no model.
"""

from __future__ import annotations

import contextlib
import enum
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .errors import ConvergenceWarning, DataError, InvalidParameterError, UserInputError

__all__ = ["app", "main", "run"]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="logistic",
    help=(
        "Logistic regression from the command line: the seeds' computation graph "
        "z = Xw + b, a = sigmoid(z), L = BCE(a, y), trained by gradient descent or faster "
        "solvers, on CSV or Parquet files with numeric and categorical columns."
    ),
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


# -- output -------------------------------------------------------------------------------
class _Out:
    """Where a command writes: results to stdout, everything else to stderr."""

    def __init__(self, quiet=False, as_json=False):
        self.quiet = quiet
        self.as_json = as_json
        width = None if sys.stdout.isatty() else 120
        self.out = Console(file=sys.stdout, width=width, highlight=False)
        self.err = Console(
            file=sys.stderr, highlight=False, width=None if sys.stderr.isatty() else 200
        )

    def info(self, text):
        """A progress note on stderr (hidden by --quiet and --json)."""
        if not self.quiet and not self.as_json:
            self.err.print(text, markup=False, highlight=False, soft_wrap=True)

    def warn(self, text):
        """A warning line on stderr (hidden by --quiet)."""
        if not self.quiet:
            self.err.print(
                f"warning: {text}", markup=False, highlight=False, style="yellow", soft_wrap=True
            )

    def table(self, table, title=None):
        """A rich table on stdout, its title on a line of its own (never wrapped)."""
        if not self.quiet and not self.as_json:
            if title:
                self.out.print(Text(title, style="bold"))
            self.out.print(table)

    def line(self, text):
        if not self.quiet and not self.as_json:
            self.out.print(text, markup=False, highlight=False, soft_wrap=True)

    def json(self, doc):
        if self.as_json:
            sys.stdout.write(json.dumps(doc, indent=2, default=_json_default) + "\n")
            sys.stdout.flush()


def _json_default(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, Path):
        return str(v)
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def _num(v, digits=6) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return f"{v:.{digits}g}"


# -- shared option types ------------------------------------------------------------------
def _solver_names():
    from .solvers import SOLVERS

    return ["auto", *sorted(SOLVERS)]


# Choices as str Enums: typer shows them in --help and rejects others as usage errors.
SolverChoice = enum.Enum("SolverChoice", {n: n for n in _solver_names()}, type=str)
ImputeChoice = enum.Enum(
    "ImputeChoice", {"mean": "mean", "most_frequent": "most-frequent"}, type=str
)


QuietOpt = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print nothing but errors (and data asked for on stdout)."),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON on stdout instead of tables.")
]
NoPlotsOpt = Annotated[bool, typer.Option("--no-plots", help="Do not write PNG plots.")]


def _csv_list(value: str | None, option: str) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",")]
    if not all(items):
        raise InvalidParameterError(
            f"{option} {value!r} has an empty name; {option} accepts comma-separated column "
            "names, e.g. age,sex,hours_per_week."
        )
    return items


def _learning_rate(value: str):
    if value == "auto":
        return "auto"
    try:
        lr = float(value)
    except ValueError:
        lr = math.nan
    if not (math.isfinite(lr) and lr > 0):
        raise InvalidParameterError(
            f"--learning-rate {value!r} is not accepted; it accepts 'auto' or a number > 0."
        )
    return lr


def _plots_dir(plots: Path | None, default: Path) -> Path:
    return Path(plots) if plots is not None else default


# -- train --------------------------------------------------------------------------------
class _Progress:
    """The estimator's per-iteration callback: a rich progress bar, and the last record
    (so that an interrupted run can say how far it got)."""

    def __init__(self, out: _Out, solver: str, max_iter: int, enabled: bool):
        self.last = None
        self.max_iter = max_iter
        self._bar = None
        self._task = None
        if enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                TextColumn(f"[bold]training[/] {solver}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]}"),
                TextColumn("max|grad| {task.fields[grad]}"),
                TimeElapsedColumn(),
                console=out.err,
                transient=False,
            )
            self._task = self._bar.add_task("fit", total=max_iter, loss="-", grad="-")

    def __enter__(self):
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc):
        if self._bar is not None:
            if exc[0] is None and self.last is not None:
                # Converged before max_iter: show the bar as finished at the real count.
                self._bar.update(
                    self._task,
                    total=max(self.last.iteration, 1),
                    completed=max(self.last.iteration, 1),
                )
            self._bar.stop()
        return False

    def __call__(self, rec):
        self.last = rec
        if self._bar is not None:
            self._bar.update(
                self._task,
                completed=rec.iteration,
                loss=f"{rec.loss:.6g}",
                grad=f"{rec.grad_norm:.2e}",
            )

    def where(self) -> str:
        if self.last is None:
            return "before the first iteration"
        r = self.last
        return (
            f"at iteration {r.iteration} of at most {self.max_iter} "
            f"(loss {r.loss:.6g}, max|grad| {r.grad_norm:.3g}, {r.seconds:.1f}s)"
        )


def _metrics(y, proba, classes) -> dict:
    """accuracy, log-loss, ROC AUC, Brier and the confusion matrix for labels ``y``."""
    from sklearn.metrics import (
        accuracy_score,
        brier_score_loss,
        confusion_matrix,
        log_loss,
        roc_auc_score,
    )

    y01 = (np.asarray(y) == classes[1]).astype(np.int64)
    p = proba[:, 1]
    pred = (p > 0.5).astype(np.int64)
    both = np.unique(y01).shape[0] == 2
    cm = confusion_matrix(y01, pred, labels=[0, 1])
    return {
        "rows": int(y01.shape[0]),
        "accuracy": float(accuracy_score(y01, pred)),
        "log_loss": float(log_loss(y01, proba, labels=[0, 1])),
        "roc_auc": float(roc_auc_score(y01, p)) if both else None,
        "brier": float(brier_score_loss(y01, p, pos_label=1)),
        "confusion_matrix": {
            "labels": [_py(c) for c in classes],
            "matrix": cm.tolist(),
        },
    }


def _py(v):
    return v.item() if isinstance(v, np.generic) else v


TRAIN_EXAMPLES = """
**Examples**

```
logistic train                        # scikit-learn's breast-cancer data
logistic train adult.csv --target income --impute most-frequent \
    --holdout 0.2 -o adult.json --plots plots/
logistic train fair.parquet --target affair --solver gd --learning-rate 0.5
logistic train data.csv --target y --features age,sex,income --json
```
"""


@app.command(epilog=TRAIN_EXAMPLES)
def train(
    data: Annotated[
        Path | None,
        typer.Argument(
            help="CSV or Parquet file with a header row. Omitted: scikit-learn's "
            "breast-cancer data (569 rows, 30 numeric columns, target 'target').",
            show_default=False,
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help="Target column: exactly two distinct values."),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Model file to write (JSON).")
    ] = Path("model.json"),
    solver: Annotated[
        SolverChoice,
        typer.Option(help="Optimiser: gd is the seeds' gradient descent; auto picks by shape."),
    ] = "auto",
    C: Annotated[
        float,
        typer.Option("--C", "-C", help="Inverse L2 strength, > 0 (inf: no penalty)."),
    ] = 1.0,
    max_iter: Annotated[
        int | None,
        typer.Option("--max-iter", min=1, help="Iteration limit (default: the solver's)."),
    ] = None,
    tol: Annotated[
        float, typer.Option("--tol", min=0.0, help="Stop when max|gradient| <= tol.")
    ] = 1e-4,
    learning_rate: Annotated[
        str,
        typer.Option("--learning-rate", help="Step size of gd/sgd: a number > 0, or auto."),
    ] = "auto",
    holdout: Annotated[
        float,
        typer.Option(
            min=0.0, max=0.9, help="Fraction of rows held out (stratified) to measure the model on."
        ),
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed of the holdout split and of sgd.")] = 0,
    impute: Annotated[
        ImputeChoice | None,
        typer.Option(
            help="Fill missing values (learned in training) instead of failing.",
            show_default=False,
        ),
    ] = None,
    features: Annotated[
        str | None,
        typer.Option(help="Comma-separated feature columns (default: all but the target)."),
    ] = None,
    categorical: Annotated[
        str | None,
        typer.Option(help="Comma-separated columns to one-hot encode even if numeric."),
    ] = None,
    plots: Annotated[
        Path | None,
        typer.Option(help="Directory for loss_curve.png (default: the model's directory)."),
    ] = None,
    no_plots: NoPlotsOpt = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Fit a model to a data file and save it: preprocessing, coefficients and a record.

    Numeric columns are standardised, text and boolean columns one-hot encoded; the
    preprocessing is stored in the model file and applied again by predict, evaluate and
    explain. Prints accuracy, log-loss, iterations, seconds and convergence (on the holdout
    rows with --holdout) and writes loss_curve.png.
    """
    from sklearn.model_selection import train_test_split

    from .estimator import LogisticRegression
    from .io import (
        TablePreprocessor,
        breast_cancer_table,
        check_output_path,
        read_table,
        read_target,
        select_features,
    )
    from .persistence import save, training_record
    from .solvers import get_solver, resolve_auto

    out = _Out(quiet, as_json)
    solver = SolverChoice(solver).value
    impute = None if impute is None else ImputeChoice(impute).value
    lr = _learning_rate(learning_rate)
    if not C > 0:
        raise InvalidParameterError(f"--C {C!r} is not accepted; --C accepts a number > 0 or inf.")
    feature_list = _csv_list(features, "--features")
    categorical_list = _csv_list(categorical, "--categorical")
    if data is not None and target is None:
        raise InvalidParameterError(
            f"--target is required with a data file; name the column to predict "
            f"(e.g. logistic train {data} --target COLUMN)."
        )
    # Every output path is checked before any work, so a typo costs nothing.
    check_output_path(output, "model")
    plot_dir = None if no_plots else _plots_dir(plots, output.parent)
    if plot_dir is not None:
        check_output_path(plot_dir / "loss_curve.png", "plot")

    # Ctrl-C at any point from here on: say how far training got, write nothing more.
    state = {"progress": None, "saved": False}
    try:
        if data is None:
            target = target or "target"
            table = breast_cancer_table(target)
            source = "scikit-learn breast-cancer data"
        else:
            table = read_table(data)
            source = str(data)
        columns = select_features(table, target=target, features=feature_list)
        y = read_target(table, target)
        n = table.num_rows
        if holdout > 0:
            idx = np.arange(n)
            try:
                train_idx, test_idx = train_test_split(
                    idx, test_size=holdout, random_state=seed, stratify=y
                )
            except ValueError as exc:
                raise DataError(
                    f"cannot hold out {holdout:g} of {n} rows with both classes on each side "
                    f"({exc}); use a smaller --holdout or more data."
                ) from None
            train_idx, test_idx = np.sort(train_idx), np.sort(test_idx)
        else:
            train_idx, test_idx = np.arange(n), None
        pre = TablePreprocessor(impute=impute, categorical=categorical_list)
        train_table = table.take(train_idx) if holdout > 0 else table
        X = pre.fit_transform(train_table, columns)
        y_train = y[train_idx]
        if np.unique(y_train).shape[0] != 2:
            raise DataError("the training rows hold only one class; use a smaller --holdout.")

        resolved = (
            solver
            if solver != "auto"
            else resolve_auto(X.shape[0], X.shape[1], sparse=False, l1_ratio=0.0)
        )
        limit = max_iter if max_iter is not None else get_solver(resolved).default_max_iter
        out.info(
            f"training on {X.shape[0]} rows x {X.shape[1]} features ({len(columns)} columns) "
            f"of {source} with solver {resolved}"
        )
        progress = state["progress"] = _Progress(
            out, resolved, limit, enabled=not quiet and not as_json and out.err.is_terminal
        )
        est = LogisticRegression(
            C=C,
            solver=solver,
            tol=tol,
            max_iter=max_iter,
            learning_rate=lr,
            random_state=seed,
            callback=progress,
        )
        t0 = time.perf_counter()
        with progress, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            est.fit(X, y_train)
        seconds = time.perf_counter() - t0
        est.set_params(callback=None)
        for w in caught:
            if issubclass(w.category, ConvergenceWarning):
                out.warn(" ".join(str(w.message).split()))

        if test_idx is not None:
            X_eval, report = pre.transform_with_report(table.take(test_idx))
            if report.unseen:
                out.warn(f"holdout rows: {report.unseen_message()}")
            y_eval = y[test_idx]
            on = f"holdout ({len(test_idx)} rows, {holdout:g})"
        else:
            X_eval, y_eval = X, y_train
            on = f"training rows ({len(train_idx)})"
        metrics = _metrics(y_eval, est.predict_proba(X_eval), est.classes_)

        record = training_record(
            est,
            X=X,
            data_path=data,
            seconds=seconds,
            target=target,
            features=columns,
            holdout=holdout,
            seed=seed,
            impute=impute,
            rows_in_file=n,
            evaluated_on="holdout" if test_idx is not None else "training",
            metrics={k: metrics[k] for k in ("rows", "accuracy", "log_loss", "roc_auc", "brier")},
        )
        if data is None:
            from .io import array_sha256

            record["data_file"] = None
            record["data_source"] = "sklearn.datasets.load_breast_cancer"
            record["data_sha256"] = array_sha256(X, y_train)
        save(est, output, preprocessor=pre, training=record)
        state["saved"] = True
        written = {"model": str(output)}
        if plot_dir is not None:
            from .plots import plot_loss_curve

            path = plot_loss_curve(
                est.history_,
                plot_dir / "loss_curve.png",
                tol=tol,
                title=f"{resolved} on {Path(source).name}: {int(est.n_iter_[0])} iterations",
            )
            written["loss_curve"] = str(path)

        result = {
            "evaluated_on": record["evaluated_on"],
            **{k: metrics[k] for k in ("rows", "accuracy", "log_loss", "roc_auc", "brier")},
            "iterations": int(est.n_iter_[0]),
            "converged": bool(est.converged_),
            "seconds": seconds,
            "final_loss": record["final_loss"],
            "grad_norm": record["grad_norm"],
            "solver": resolved,
            "classes": [_py(c) for c in est.classes_],
            "n_features": int(X.shape[1]),
            "files": written,
        }
        out.json(result)
        tbl = Table()
        tbl.add_column("metric")
        tbl.add_column("value", justify="right")
        tbl.add_row("accuracy", f"{metrics['accuracy']:.4f}")
        tbl.add_row("log-loss", f"{metrics['log_loss']:.4f}")
        tbl.add_row("ROC AUC", "n/a" if metrics["roc_auc"] is None else f"{metrics['roc_auc']:.4f}")
        tbl.add_row("iterations", str(result["iterations"]))
        tbl.add_row("seconds", f"{seconds:.3f}")
        tbl.add_row("converged", "yes" if est.converged_ else "[yellow]no[/]")
        tbl.add_row("final loss", _num(record["final_loss"]))
        tbl.add_row("max|grad|", f"{record['grad_norm']:.3g} (tol {tol:g})")
        out.table(tbl, f"results on {on}")
        for what, path in written.items():
            out.line(f"{what.replace('_', ' ')}: {path}")
    except KeyboardInterrupt:
        progress = state["progress"]
        where = progress.where() if progress is not None else "before training started"
        written = f"{output} was already written" if state["saved"] else "no model written"
        print(f"interrupted {where}; {written}.", file=sys.stderr, flush=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None


# -- predict ------------------------------------------------------------------------------
def _load(model_path: Path):
    from .persistence import load

    return load(model_path)


def _read_for(model, data: Path):
    from .io import read_table

    types = model.preprocessor.csv_column_types() if model.preprocessor is not None else None
    return read_table(data, column_types=types)


def _transform(model, table, out: _Out):
    if model.preprocessor is None:
        raise DataError(
            "this model file has no preprocessing, so it cannot read a data file; "
            "use the Python API with an array."
        )
    X, report = model.preprocessor.transform_with_report(table)
    if report.unseen:
        out.warn(report.unseen_message())
    if report.imputed:
        total = sum(report.imputed.values())
        out.info(f"filled {total} missing value(s) with values learned in training")
    return X


PREDICT_EXAMPLES = """
**Examples**

```
logistic predict model.json new.csv                  # CSV on stdout
logistic predict model.json new.parquet -o predictions.csv --keep id
```
"""


@app.command(epilog=PREDICT_EXAMPLES)
def predict(
    model: Annotated[Path, typer.Argument(help="Model file written by 'logistic train'.")],
    data: Annotated[Path, typer.Argument(help="CSV or Parquet file; columns matched by name.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="CSV to write (default: CSV on stdout).", show_default=False
        ),
    ] = None,
    keep: Annotated[
        str | None,
        typer.Option(help="Comma-separated input columns to copy into the output (ids...)."),
    ] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Probability of the positive class and predicted label for every row.

    The output CSV has the --keep columns, then 'probability' (of the model's second class,
    the positive one) and 'label'. Columns of DATA are matched to the model by name; extra columns are
    ignored. Categories not seen in training encode as zeros and are counted in a warning.
    """
    import pyarrow as pa

    from .io import check_output_path, write_csv

    out = _Out(quiet, as_json)
    if output is not None:
        check_output_path(output, "predictions")
    keep_list = _csv_list(keep, "--keep") or []
    m = _load(model)
    table = _read_for(m, data)
    if keep_list:
        unknown = [c for c in keep_list if c not in table.column_names]
        if unknown:
            raise DataError(
                f"--keep column {unknown[0]!r} not found in {data}; available: "
                f"{', '.join(table.column_names)}."
            )
        clash = [c for c in keep_list if c in ("probability", "label")]
        if clash:
            raise InvalidParameterError(
                f"--keep {clash[0]!r} clashes with an output column; keep other columns."
            )
    X = _transform(m, table, out)
    proba = m.estimator.predict_proba(X)[:, 1]
    labels = m.estimator.predict(X)
    classes = [_py(c) for c in m.classes_]
    result = pa.table(
        {
            **{c: table.column(c) for c in keep_list},
            "probability": pa.array(proba),
            "label": pa.array([_py(v) for v in labels]),
        }
    )
    if output is not None:
        write_csv(result, output)
        out.info(f"wrote {len(proba)} predictions to {output} (probability of {classes[1]!r})")
        out.json(
            {
                "rows": len(proba),
                "output": str(output),
                "positive_class": classes[1],
                "classes": classes,
            }
        )
    elif as_json:
        out.json(
            {
                "rows": len(proba),
                "positive_class": classes[1],
                "classes": classes,
                "probability": proba.tolist(),
                "label": [_py(v) for v in labels],
            }
        )
    else:
        import pyarrow.csv as pacsv

        sink = pa.BufferOutputStream()
        pacsv.write_csv(result, sink)
        sys.stdout.write(sink.getvalue().to_pybytes().decode("utf-8"))
        sys.stdout.flush()


# -- evaluate -----------------------------------------------------------------------------
EVALUATE_EXAMPLES = """
**Examples**

```
logistic evaluate model.json test.csv --target income --plots plots/
logistic evaluate model.json test.parquet --json --no-plots
```
"""


def _target_for(m, target: str | None) -> str:
    if target is not None:
        return target
    if m.target is None:
        raise InvalidParameterError(
            "the model file does not record its target column; give it with --target COLUMN."
        )
    return m.target


@app.command(epilog=EVALUATE_EXAMPLES)
def evaluate(
    model: Annotated[Path, typer.Argument(help="Model file written by 'logistic train'.")],
    data: Annotated[Path, typer.Argument(help="CSV or Parquet file with the target column.")],
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help="Target column (default: the training target)."),
    ] = None,
    plots: Annotated[
        Path | None,
        typer.Option(
            help="Directory for roc.png and calibration.png (default: the current directory)."
        ),
    ] = None,
    no_plots: NoPlotsOpt = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Accuracy, log-loss, ROC AUC, Brier score and confusion matrix on labelled data.

    Writes roc.png (ROC curve with its area) and calibration.png (reliability diagram and
    histogram of predicted probabilities).
    """
    from .io import check_output_path, read_target

    out = _Out(quiet, as_json)
    plot_dir = None if no_plots else _plots_dir(plots, Path("."))
    if plot_dir is not None:
        check_output_path(plot_dir / "roc.png", "plot")
    m = _load(model)
    target = _target_for(m, target)
    table = _read_for(m, data)
    classes = list(m.classes_)
    y = read_target(table, target, classes=classes)
    X = _transform(m, table, out)
    proba = m.estimator.predict_proba(X)
    metrics = _metrics(y, proba, m.classes_)
    written = {}
    if plot_dir is not None:
        from .plots import plot_calibration, plot_roc

        y01 = (np.asarray(y) == m.classes_[1]).astype(np.int64)
        if metrics["roc_auc"] is not None:
            written["roc"] = str(
                plot_roc(
                    y01,
                    proba[:, 1],
                    plot_dir / "roc.png",
                    title=f"ROC on {data.name} ({len(y01)} rows, positive: {classes[1]})",
                )
            )
        else:
            out.warn("the data holds only one class, so there is no ROC curve.")
        written["calibration"] = str(
            plot_calibration(
                y01,
                proba[:, 1],
                plot_dir / "calibration.png",
                class_names=(str(_py(classes[0])), str(_py(classes[1]))),
                title=f"calibration on {data.name} ({len(y01)} rows)",
            )
        )
    out.json({**metrics, "positive_class": _py(classes[1]), "files": written})

    tbl = Table()
    tbl.add_column("metric")
    tbl.add_column("value", justify="right")
    tbl.add_row("accuracy", f"{metrics['accuracy']:.4f}")
    tbl.add_row("log-loss", f"{metrics['log_loss']:.4f}")
    tbl.add_row("ROC AUC", "n/a" if metrics["roc_auc"] is None else f"{metrics['roc_auc']:.4f}")
    tbl.add_row("Brier score", f"{metrics['brier']:.4f}")
    out.table(tbl, f"{data.name}: {metrics['rows']} rows, positive class {_py(classes[1])!r}")
    cm = Table()
    cm.add_column("")
    for c in classes:
        cm.add_column(escape(f"pred {_py(c)}"), justify="right")
    for c, row in zip(classes, metrics["confusion_matrix"]["matrix"], strict=True):
        cm.add_row(escape(f"true {_py(c)}"), *[str(v) for v in row])
    out.table(cm, "confusion matrix (rows: true class, columns: predicted class)")
    for what, path in written.items():
        out.line(f"{what}: {path}")


# -- explain ------------------------------------------------------------------------------
EXPLAIN_EXAMPLES = """
**Examples**

```
logistic explain model.json data.csv --row 1
logistic explain model.json data.csv --row 42 --plots plots/ --json
```
"""


@app.command(epilog=EXPLAIN_EXAMPLES)
def explain(
    model: Annotated[Path, typer.Argument(help="Model file written by 'logistic train'.")],
    data: Annotated[Path, typer.Argument(help="CSV or Parquet file with the target column.")],
    row: Annotated[
        int, typer.Option("--row", "-r", help="Data row to explain, 1-based (header excluded).")
    ],
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help="Target column (default: the training target)."),
    ] = None,
    plots: Annotated[
        Path | None, typer.Option(help="Directory for graph.png (default: the current directory).")
    ] = None,
    no_plots: NoPlotsOpt = False,
    all_features: Annotated[
        bool, typer.Option("--all", help="List every feature, also those with x = 0.")
    ] = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """The computation graph of one row: z, a, L and every local derivative.

    Forward: z = w.x + b, a = sigmoid(z), L = -(y log a + (1-y) log(1-a)). Backward: the
    local derivatives dL/da, da/dz, dz/dw = x, dz/db = 1 and their chain-rule products
    dL/dz = a - y, dL/dw = (a - y) x, dL/db = a - y. Writes graph.png.
    """
    from .graph import explain as graph_explain
    from .io import check_output_path, read_target

    out = _Out(quiet, as_json)
    plot_dir = None if no_plots else _plots_dir(plots, Path("."))
    if plot_dir is not None:
        check_output_path(plot_dir / "graph.png", "plot")
    m = _load(model)
    target = _target_for(m, target)
    table = _read_for(m, data)
    n = table.num_rows
    if not 1 <= row <= n:
        raise InvalidParameterError(
            f"--row {row} is out of range; the data has {n} rows, so --row accepts 1 to {n}."
        )
    one = table.slice(row - 1, 1)
    y = read_target(one, target, classes=list(m.classes_))
    X = _transform(m, one, out)
    trace = graph_explain(m.estimator, X[0], y[0], feature_names=m.feature_names)
    written = {}
    if plot_dir is not None:
        from .plots import plot_graph

        written["graph"] = str(
            plot_graph(
                trace,
                plot_dir / "graph.png",
                title=f"{data.name}, row {row}: y = {_py(y[0])!r} "
                f"(positive class {_py(m.classes_[1])!r})",
            )
        )
    raw = {k: _py(v) for k, v in one.to_pylist()[0].items()}
    out.json(
        {"row": row, "label": _py(y[0]), "input": raw, "trace": trace.as_dict(), "files": written}
    )

    tbl = Table()
    tbl.add_column("quantity")
    tbl.add_column("formula")
    tbl.add_column("value", justify="right")
    hidden = 0
    rows = trace.rows()
    for i, (q, formula, value) in enumerate(rows):
        if i >= 9:
            j = (i - 9) // 2
            if trace.dz_dw[j] == 0.0 and not all_features:
                hidden += 1
                continue
        tbl.add_row(escape(q), formula, value)
    out.table(
        tbl,
        f"row {row} of {data.name}: y = {_py(y[0])!r}, i.e. y = {trace.y:g} "
        f"(positive class {_py(m.classes_[1])!r})",
    )
    if hidden:
        out.line(
            f"({hidden // 2} features with x = 0 not shown: their dz/dw and dL/dw are 0; "
            "--all lists them)"
        )
    if trace.note:
        out.line(trace.note)
    for what, path in written.items():
        out.line(f"{what}: {path}")


# -- summary ------------------------------------------------------------------------------
@app.command(epilog="**Example**\n\n```\nlogistic summary model.json\n```")
def summary(
    model: Annotated[Path, typer.Argument(help="Model file written by 'logistic train'.")],
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Coefficients with odds ratios, and the training record.

    A numeric feature was standardised, so its coefficient is the change in log-odds per
    standard deviation (shown in the 'per' column); a one-hot feature's coefficient is the
    change for rows in that category.
    """
    m = _load(model)
    out = _Out(quiet, as_json)
    est = m.estimator
    coef = est.coef_.ravel().astype(np.float64)
    b = float(est.intercept_[0])
    specs = {}
    if m.preprocessor is not None:
        for s in m.preprocessor.columns_:
            if s.kind == "numeric":
                specs[s.name] = s
    rows = []
    for name, c in zip(m.feature_names, coef, strict=True):
        spec = specs.get(name)
        per = f"1 sd = {spec.scale:.4g}" if spec is not None else "category"
        with np.errstate(over="ignore"):
            odds = float(np.exp(c))
        rows.append(
            {
                "feature": name,
                "coefficient": float(c),
                "odds_ratio": odds if math.isfinite(odds) else None,
                "per": per,
            }
        )
    classes = [_py(c) for c in m.classes_]
    doc = {
        "model": str(model),
        "classes": classes,
        "positive_class": classes[1],
        "intercept": b,
        "coefficients": rows,
        "training": m.training,
        "library_version": m.metadata.get("library_version"),
        "created": m.metadata.get("created"),
    }
    out.json(doc)
    tbl = Table()
    tbl.add_column("feature")
    tbl.add_column("coefficient", justify="right")
    tbl.add_column("odds ratio", justify="right")
    tbl.add_column("per")
    tbl.add_row("(intercept)", f"{b:.6g}", f"{math.exp(b) if b < 700 else math.inf:.4g}", "")
    for r in rows:
        tbl.add_row(
            escape(r["feature"]), f"{r['coefficient']:.6g}", _num(r["odds_ratio"], 4), r["per"]
        )
    out.table(tbl, f"{model.name}: log-odds of {classes[1]!r} (vs {classes[0]!r})")
    rec = Table(show_header=False)
    rec.add_column("field")
    rec.add_column("value", overflow="fold")
    for k, v in m.training.items():
        if k == "features":
            v = ", ".join(v) if isinstance(v, list) else v
        elif k == "metrics" and isinstance(v, dict):
            v = ", ".join(
                f"{a}={x:.4f}" if isinstance(x, float) else f"{a}={x}" for a, x in v.items()
            )
        elif isinstance(v, float):
            v = _num(v)
        rec.add_row(escape(k), escape(str(v)))
    out.table(rec, "training record")


# -- entry point --------------------------------------------------------------------------
def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def run(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit code.

    User mistakes are reported as one ``error: ...`` line on stderr with code 2.
    """
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=argv, prog_name="logistic", standalone_mode=False)
    except typer.TyperException as exc:
        # Typer's own (vendored click) usage errors: bad option, missing argument...
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            # `logistic` alone: the help text is the answer, not an error.
            print(ctx.get_help())
            return 0
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        message = message.replace("Value error, ", "")  # pydantic's prefix, no information
        print(f"error: {_one_line(message)}{hint}", file=sys.stderr)
        return int(getattr(exc, "exit_code", EXIT_USAGE) or EXIT_USAGE)
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except (typer.Abort, KeyboardInterrupt):
        print("interrupted; nothing written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UserInputError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # `logistic predict ... | head`: the reader left; stop quietly.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")
        return 1
    except OSError as exc:
        where = f" '{exc.filename}'" if getattr(exc, "filename", None) else ""
        print(f"error: cannot access{where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return rv if isinstance(rv, int) else 0


def main() -> None:
    """Console-script entry point (``logistic``)."""
    sys.exit(run())


if __name__ == "__main__":
    main()
