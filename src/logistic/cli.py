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
ModelArg = Annotated[Path, typer.Argument(help="Model file written by 'logistic train'.")]
LabelledDataArg = Annotated[
    Path, typer.Argument(help="CSV or Parquet file with the target column.")
]
SavedTargetOpt = Annotated[
    str | None,
    typer.Option("--target", "-t", help="Target column (default: the training target)."),
]


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

    def __init__(self, out: _Out, solver: str, max_iter: int, enabled: bool, passes=None):
        self.last = None
        self.max_iter = max_iter
        self.passes = passes  # () -> passes over the files so far (streaming), or None
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
                TextColumn("{task.fields[passes]}"),
                TimeElapsedColumn(),
                console=out.err,
                transient=False,
            )
            self._task = self._bar.add_task("fit", total=max_iter, loss="-", grad="-", passes="")

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
                passes="" if self.passes is None else f"pass {self.passes()}",
            )

    def where(self) -> str:
        if self.last is None:
            return "before the first iteration"
        r = self.last
        passes = "" if self.passes is None else f", pass {self.passes()} over the files"
        return (
            f"at iteration {r.iteration} of at most {self.max_iter} "
            f"(loss {r.loss:.6g}, max|grad| {r.grad_norm:.3g}, {r.seconds:.1f}s{passes})"
        )


def _metrics(y, proba, classes) -> dict:
    """accuracy, log-loss, ROC AUC, Brier and the confusion matrix for labels ``y``.

    Two classes: ROC AUC of the positive class and Brier ``mean (p - y)^2``. More: one-vs-rest
    macro ROC AUC (None unless every class occurs) and the multiclass Brier score
    ``mean_i sum_k (p_ik - [y_i = k])^2`` (0 to 2), with a K x K confusion matrix.
    """
    from sklearn.metrics import (
        accuracy_score,
        brier_score_loss,
        confusion_matrix,
        log_loss,
        roc_auc_score,
    )

    classes = np.asarray(classes)
    y = np.asarray(y)
    K = len(classes)
    if K == 2:
        y01 = (y == classes[1]).astype(np.int64)
        p = proba[:, 1]
        pred = (p > 0.5).astype(np.int64)
        both = np.unique(y01).shape[0] == 2
        return {
            "rows": int(y01.shape[0]),
            "accuracy": float(accuracy_score(y01, pred)),
            "log_loss": float(log_loss(y01, proba, labels=[0, 1])),
            "roc_auc": float(roc_auc_score(y01, p)) if both else None,
            "brier": float(brier_score_loss(y01, p, pos_label=1)),
            "confusion_matrix": {
                "labels": [_py(c) for c in classes],
                "matrix": confusion_matrix(y01, pred, labels=[0, 1]).tolist(),
            },
        }
    index = np.searchsorted(classes, y) if classes.dtype != object else None
    if index is None:
        lookup = {c: k for k, c in enumerate(classes.tolist())}
        index = np.array([lookup[v] for v in y.tolist()], dtype=np.intp)
    onehot = np.zeros_like(proba, dtype=np.float64)
    onehot[np.arange(y.shape[0]), index] = 1.0
    pred = np.argmax(proba, axis=1)
    present = np.unique(index).shape[0] == K
    return {
        "rows": int(y.shape[0]),
        "accuracy": float(np.mean(pred == index)),
        "log_loss": float(log_loss(index, proba, labels=np.arange(K))),
        "roc_auc": (
            float(roc_auc_score(index, proba, multi_class="ovr", average="macro"))
            if present
            else None
        ),
        "brier": float(np.mean(np.sum((proba - onehot) ** 2, axis=1))),
        "confusion_matrix": {
            "labels": [_py(c) for c in classes],
            "matrix": confusion_matrix(index, pred, labels=np.arange(K)).tolist(),
        },
    }


class _MetricSums:
    """accuracy, log-loss, Brier and the confusion matrix added up batch by batch (memory:
    one batch), for ``K`` classes. ROC AUC needs every prediction at once, so it is None."""

    def __init__(self, K=2):
        self.K = K
        self.n = 0
        self.correct = 0
        self.loss = 0.0
        self.brier = 0.0
        self.cm = np.zeros((K, K), dtype=np.int64)

    def add(self, y_index, Z) -> None:
        """Add rows with class indices ``y_index`` and logits ``Z``: shape (m,) for two
        classes (of the positive one), (m, K) for more."""
        from scipy.special import logsumexp

        from ._math import bce, sigmoid

        yi = np.asarray(y_index).astype(np.intp)
        Z = np.asarray(Z, dtype=np.float64)
        if self.K == 2:
            y01 = yi.astype(np.float64)
            pred = (Z > 0).astype(np.intp)
            loss = bce(y01, Z)
            brier = (sigmoid(Z) - y01) ** 2
        else:
            rows = np.arange(yi.shape[0])
            lse = logsumexp(Z, axis=1)
            loss = lse - Z[rows, yi]
            P = np.exp(Z - lse[:, None])
            P[rows, yi] -= 1.0
            brier = np.sum(P**2, axis=1)
            pred = np.argmax(Z, axis=1)
        self.n += yi.shape[0]
        self.correct += int(np.sum(pred == yi))
        self.loss += float(np.sum(loss))
        self.brier += float(np.sum(brier))
        np.add.at(self.cm, (yi, pred), 1)

    def result(self, classes) -> dict:
        return {
            "rows": self.n,
            "accuracy": self.correct / self.n,
            "log_loss": self.loss / self.n,
            "roc_auc": None,
            "brier": self.brier / self.n,
            "confusion_matrix": {
                "labels": [_py(c) for c in classes],
                "matrix": self.cm.tolist(),
            },
        }


def _logits(est, X):
    """``z`` (m,) for a binary model, ``Z`` (m, K) for a multinomial one, in float64."""
    coef = est.coef_.astype(np.float64)
    b = est.intercept_.astype(np.float64)
    return X @ coef[0] + b[0] if coef.shape[0] == 1 else X @ coef.T + b


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
logistic train data.csv --target y --C inf --cov-type HC1      # standard errors
logistic train iris.csv --target species --cv 5 --cs 20 --l1-ratio 0,0.5,1
logistic train 'data/*.parquet' --target y --stream --batch-size 100000
logistic train data.parquet --target y --scheduler tcp://scheduler:8786
```
"""

ClassWeightChoice = enum.Enum(
    "ClassWeightChoice", {"none": "none", "balanced": "balanced"}, type=str
)
CovTypeChoice = enum.Enum(
    "CovTypeChoice",
    {"nonrobust": "nonrobust", "HC0": "HC0", "HC1": "HC1", "sandwich": "sandwich"},
    type=str,
)


def _l1_ratios(value: str) -> list[float]:
    out = []
    for item in value.split(","):
        try:
            r = float(item)
        except ValueError:
            r = math.nan
        if not 0.0 <= r <= 1.0:
            raise InvalidParameterError(
                f"--l1-ratio {value!r} is not accepted; it accepts a number in [0, 1] (0: L2, "
                "1: lasso), or with --cv comma-separated numbers, e.g. 0,0.5,1."
            )
        out.append(r)
    return out


def _cs_grid(value: str):
    try:
        k = int(value)
    except ValueError:
        k = None
    if k is not None:
        if k < 1:
            raise InvalidParameterError(
                f"--cs {value!r} is not accepted; it accepts a count >= 1 (that many C values "
                "from 1e-4 to 1e4, log-spaced) or comma-separated C values > 0."
            )
        return k
    out = []
    for item in value.split(","):
        try:
            c = float(item)
        except ValueError:
            c = math.nan
        if not c > 0:
            raise InvalidParameterError(
                f"--cs {value!r} is not accepted; it accepts a count >= 1 or comma-separated "
                "C values > 0 (e.g. 0.01,0.1,1,10)."
            )
        out.append(c)
    return out


def _check_train_options(
    *, data, target, C, ratios, cv, cs, cov_type, stream, scheduler, holdout, impute
) -> None:
    """Every combination of train options that cannot work, refused before any work."""
    mode = "--stream" if stream else "--scheduler" if scheduler else None
    if data is not None and target is None:
        raise InvalidParameterError(
            f"--target is required with a data file; name the column to predict "
            f"(e.g. logistic train {data} --target COLUMN)."
        )
    if stream and scheduler:
        raise InvalidParameterError(
            "--stream and --scheduler exclude each other; --stream reads the files on this "
            "machine, --scheduler on a Dask cluster."
        )
    if mode and data is None:
        raise InvalidParameterError(f"{mode} needs a data file (a path or a quoted glob).")
    if mode and holdout > 0:
        raise InvalidParameterError(
            f"--holdout is not available with {mode} (it would need the row order in memory); "
            "keep the evaluation rows in separate files and run 'logistic evaluate' on them."
        )
    if mode and cv is not None:
        raise InvalidParameterError(
            f"--cv is not available with {mode}: cross-validation refits on row subsets in "
            "memory; choose C with --cv on a sample, then train with that --C."
        )
    if stream and impute is not None:
        raise InvalidParameterError(
            "--impute is not available with --stream: streamed files must have no missing "
            "values (impute them first, or train in memory or with --scheduler)."
        )
    if len(ratios) > 1 and cv is None:
        raise InvalidParameterError(
            f"--l1-ratio {','.join(f'{r:g}' for r in ratios)} gives several values; only --cv "
            "chooses among them. Give one value, or add --cv K."
        )
    if cs is not None and cv is None:
        raise InvalidParameterError("--cs is the grid of --cv; add --cv K (e.g. --cv 5).")
    if cov_type is not None and mode:
        raise InvalidParameterError(
            f"--cov-type is not available with {mode}: standard errors are computed on the "
            "training rows in memory; train in memory for them."
        )
    if cov_type == "sandwich" and cv is None and math.isinf(C):
        raise InvalidParameterError(
            "--cov-type sandwich is for penalised fits (finite --C or --cv); with --C inf use "
            "nonrobust, HC0 or HC1."
        )


def _separation_line(report, target, fatal: bool) -> str:
    shown = ", ".join(f"'{f}'" for f in report.features[:8])
    if len(report.features) > 8:
        shown += ", ..."
    what = f"feature(s) {shown}" if report.features else "the intercept alone"
    head = (
        f"{report.kind} separation: {what} predict {target!r} perfectly for "
        f"{len(report.rows)} of {report.n_rows} training rows"
    )
    if fatal:
        return (
            f"{head}, so the unpenalised estimate does not exist (the coefficients grow "
            "without bound); remove or merge those features, or train with a finite --C."
        )
    return (
        f"{head}; their coefficients and standard errors are not finite estimates (stored "
        "with this warning); remove or merge those features, or train with a finite --C."
    )


def _inference_for(est, X, y, target, names, cov_type, out) -> tuple[dict | None, str | None]:
    """Standard errors of an in-memory fit: ``(as_dict, None)`` or ``(None, reason)``.

    A separation that leaves no finite estimate (singular information) is an error; a
    separation with a finite information matrix is a warning and the results are kept.
    """
    from .errors import SeparationWarning
    from .inference import detect_separation, inference

    K = len(est.classes_)
    C = float(est.C)
    l1 = float(est.l1_ratio)
    if K > 2:
        return None, (
            f"no standard errors: they are computed for binary models and this one has {K} "
            "classes (fit one binary model per class of interest for them)."
        )
    if est.class_weight is not None:
        return None, (
            "no standard errors with --class-weight balanced: class weights are not frequency "
            "weights, so the likelihood theory does not apply; train with --class-weight none."
        )
    sandwich = cov_type == "sandwich"
    if math.isfinite(C) and l1 > 0:
        return None, (
            f"no standard errors for an L1/elastic-net penalty (l1_ratio={l1:g}): its "
            "estimates are biased and its zeros are not normal; refit with --C inf."
        )
    if math.isfinite(C) and not sandwich:
        return None, (
            f"no standard errors: the fit is penalised (C={C:g}), so its estimates are shrunk "
            "towards 0 (biased) and intervals around them would mislead; refit with --C inf, "
            "or add --cov-type sandwich for the penalised estimator's variability (labelled so)."
        )
    y01 = (np.asarray(y) == est.classes_[1]).astype(np.float64)
    coef = est.coef_.ravel().astype(np.float64)
    b = float(est.intercept_[0])
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SeparationWarning)
            warnings.simplefilter("always", ConvergenceWarning)
            result = inference(
                X,
                y01,
                coef,
                b,
                fit_intercept=est.fit_intercept,
                C=C,
                cov_type="nonrobust" if sandwich else cov_type,
                penalized="sandwich" if sandwich else "error",
                feature_names=names,
                dep_var=target,
            )
    except DataError as exc:
        report = detect_separation(X, y01, est.fit_intercept, names)
        if report.separated:
            raise DataError(_separation_line(report, target, fatal=True)) from None
        reason = f"no standard errors: {_one_line(exc)}"
        out.warn(reason)
        return None, reason
    for w in caught:
        if issubclass(w.category, SeparationWarning) and result.separation is not None:
            out.warn(_separation_line(result.separation, target, fatal=False))
        elif issubclass(w.category, ConvergenceWarning | SeparationWarning):
            out.warn(_one_line(w.message))
    return result.as_dict(), None


def _cv_record(cv_model, folds) -> dict:
    mean = cv_model.scores_.mean(axis=0)
    std = cv_model.scores_.std(axis=0)
    return {
        "folds": folds,
        "scoring": "neg_log_loss",
        "Cs": [float(c) for c in cv_model.Cs_],
        "l1_ratios": [float(r) for r in cv_model.l1_ratios_],
        "mean_score": mean.tolist(),
        "std_score": std.tolist(),
        "C": float(cv_model.C_),
        "l1_ratio": float(cv_model.l1_ratio_),
    }


def _cv_table(out, cv):
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


def _files_record(files) -> dict:
    """data_file(s) and one SHA-256 over the files' digests, for several files."""
    import hashlib

    from .tables import file_sha256

    if len(files) == 1:
        return {"data_file": str(files[0]), "data_sha256": file_sha256(files[0])}
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.name}\t{file_sha256(f)}\n".encode())
    return {"data_files": [str(f) for f in files], "data_sha256": h.hexdigest()}


def _fit_preprocessing_streamed(files, columns, target, pre, batch_size, out, state):
    """Pass 1 over the files: the preprocessing, learned batch by batch."""
    from .tables import iter_batches

    t0 = time.perf_counter()
    counted = {"rows": 0, "batches": 0}

    def batches():
        for batch in iter_batches(files, [*columns, target], batch_size):
            counted["rows"] += batch.num_rows
            counted["batches"] += 1
            state["where"] = f"in pass 1 (preprocessing) after {counted['rows']} rows"
            yield batch

    try:
        pre.fit_batches(batches(), columns)
    except DataError as exc:
        text = str(exc)
        if text.startswith("missing values") and state.get("stream"):
            # --impute is not available with --stream: say what is.
            text = text.split("; fill them")[0] + (
                "; streamed training needs complete rows: remove or fill those rows first, "
                "or train in memory or with --scheduler and --impute."
            )
            raise DataError(text) from None
        raise
    out.info(
        f"pass 1 (preprocessing): {counted['rows']} rows in {counted['batches']} batches of "
        f"{len(files)} file(s), {time.perf_counter() - t0:.1f}s"
    )
    return counted["rows"]


def _partition_features(df, pre, names):
    """A Dask partition (pandas) through the fitted preprocessing, on a worker."""
    import pandas as pd
    import pyarrow as pa

    X = pre.transform_batch(pa.Table.from_pandas(df, preserve_index=False))
    return pd.DataFrame(X, columns=names, index=df.index)


def _partition_metrics(df, pre, est, target):
    """Metric sums of one Dask partition (a one-row pandas frame), on a worker."""
    import pandas as pd
    import pyarrow as pa

    sums = _MetricSums(len(est.classes_))
    if len(df):
        X = pre.transform_batch(pa.Table.from_pandas(df, preserve_index=False))
        y_index = np.searchsorted(est.classes_, df[target].to_numpy())
        sums.add(y_index, _logits(est, X))
    cm = sums.cm.ravel()
    return pd.DataFrame(
        {
            "n": [sums.n],
            "correct": [sums.correct],
            "loss": [sums.loss],
            "brier": [sums.brier],
            **{f"cm{i}": [int(v)] for i, v in enumerate(cm)},
        }
    )


@app.command(epilog=TRAIN_EXAMPLES)
def train(
    data: Annotated[
        Path | None,
        typer.Argument(
            help="CSV or Parquet file with a header row (with --stream/--scheduler also a "
            "quoted glob such as 'data/*.parquet'). Omitted: scikit-learn's breast-cancer data "
            "(569 rows, 30 numeric columns, target 'target').",
            show_default=False,
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            "-t",
            help="Target column: two distinct values (binary) or 3 to 50 (multinomial).",
        ),
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
        typer.Option(
            "--C",
            "-C",
            help="Inverse penalty strength, > 0; inf: no penalty (then standard errors are "
            "stored, and categories are reference-coded).",
        ),
    ] = 1.0,
    l1_ratio: Annotated[
        str,
        typer.Option(
            "--l1-ratio",
            help="Elastic-net mix in [0, 1]: 0 is L2, 1 the lasso (with --cv: a comma list).",
        ),
    ] = "0",
    class_weight: Annotated[
        ClassWeightChoice,
        typer.Option(
            "--class-weight", help="balanced: weight classes by n / (K n_k); none: all rows 1."
        ),
    ] = "none",
    cv: Annotated[
        int | None,
        typer.Option(
            "--cv",
            min=2,
            help="Choose C (and the l1 ratio) by K-fold cross-validation on held-out log-loss.",
            show_default=False,
        ),
    ] = None,
    cs: Annotated[
        str | None,
        typer.Option(
            "--cs",
            help="Grid of C for --cv: a count (log-spaced 1e-4..1e4) or comma-separated values "
            "[default: 10].",
            show_default=False,
        ),
    ] = None,
    cov_type: Annotated[
        CovTypeChoice | None,
        typer.Option(
            "--cov-type",
            help="Standard errors of an unpenalised fit: nonrobust, HC0 or HC1; sandwich: "
            "the penalised estimator's variability (finite --C) [default: nonrobust].",
            show_default=False,
        ),
    ] = None,
    max_iter: Annotated[
        int | None,
        typer.Option("--max-iter", min=1, help="Iteration limit (default: the solver's)."),
    ] = None,
    tol: Annotated[
        float | None,
        typer.Option(
            "--tol",
            min=0.0,
            help="Stop when max|gradient| <= tol [default: 1e-4; 1e-8 with --C inf, as "
            "standard errors assume the exact optimum].",
            show_default=False,
        ),
    ] = None,
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
    stream: Annotated[
        bool,
        typer.Option(
            "--stream",
            help="Out of core: read the files batch by batch in every pass; memory is bounded "
            "by --batch-size (and the Parquet row groups), not by the data.",
        ),
    ] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Rows per record batch with --stream.")
    ] = 65536,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Fit on a Dask cluster: its scheduler address, e.g. tcp://host:8786.",
            show_default=False,
        ),
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

    Numeric columns are standardised, text and boolean columns one-hot encoded (with
    --C inf the first category of each is the reference and gets no column); the
    preprocessing is stored in the model file and applied again by predict, evaluate and
    explain. A target with 3 to 50 distinct values gives a multinomial (softmax) model.
    Prints accuracy, log-loss, iterations, seconds and convergence (on the holdout rows
    with --holdout) and writes loss_curve.png. With --C inf, standard errors, z, p-values
    and intervals are computed on the training rows and stored (see 'logistic summary').
    """
    out = _Out(quiet, as_json)
    solver = SolverChoice(solver).value
    impute = None if impute is None else ImputeChoice(impute).value
    cw = None if ClassWeightChoice(class_weight).value == "none" else "balanced"
    cov = None if cov_type is None else CovTypeChoice(cov_type).value
    lr = _learning_rate(learning_rate)
    if not C > 0:
        raise InvalidParameterError(f"--C {C!r} is not accepted; --C accepts a number > 0 or inf.")
    ratios = _l1_ratios(l1_ratio)
    if tol is None:
        tol = 1e-8 if math.isinf(C) and cv is None else 1e-4
    grid = _cs_grid(cs) if cs is not None else 10
    feature_list = _csv_list(features, "--features")
    categorical_list = _csv_list(categorical, "--categorical")
    _check_train_options(
        data=data,
        target=target,
        C=C,
        ratios=ratios,
        cv=cv,
        cs=cs,
        cov_type=cov,
        stream=stream,
        scheduler=scheduler,
        holdout=holdout,
        impute=impute,
    )
    if cv is not None and lr != "auto":
        raise InvalidParameterError(
            "--learning-rate is not used with --cv (the cross-validated fits use 'auto')."
        )
    from .tables import check_output_path

    # Every output path is checked before any work, so a typo costs nothing.
    check_output_path(output, "model")
    plot_dir = None if no_plots else _plots_dir(plots, output.parent)
    if plot_dir is not None:
        check_output_path(plot_dir / "loss_curve.png", "plot")
    opts = {
        "data": data,
        "target": target,
        "output": output,
        "solver": solver,
        "C": C,
        "ratios": ratios,
        "cw": cw,
        "cv": cv,
        "grid": grid,
        "cov": cov or "nonrobust",
        "max_iter": max_iter,
        "tol": tol,
        "lr": lr,
        "holdout": holdout,
        "seed": seed,
        "impute": impute,
        "features": feature_list,
        "categorical": categorical_list,
        "batch_size": batch_size,
        "scheduler": scheduler,
        "plot_dir": plot_dir,
    }
    # Ctrl-C at any point from here on: say how far training got, write nothing more.
    state = {"progress": None, "saved": False, "where": "before training started"}
    try:
        if stream or scheduler:
            result = _train_out_of_core(out, opts, state, stream=stream)
        else:
            result = _train_in_memory(out, opts, state)
        _report_training(out, opts, result)
    except KeyboardInterrupt:
        progress = state["progress"]
        where = progress.where() if progress is not None else state["where"]
        written = f"{output} was already written" if state["saved"] else "no model written"
        print(f"interrupted {where}; {written}.", file=sys.stderr, flush=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _progress_for(out, est_solver, max_iter, n, p, l1, state, passes=None):
    from .solvers import get_solver, resolve_auto

    resolved = est_solver if est_solver != "auto" else resolve_auto(n, p, sparse=False, l1_ratio=l1)
    limit = max_iter if max_iter is not None else get_solver(resolved).default_max_iter
    progress = state["progress"] = _Progress(
        out,
        resolved,
        limit,
        enabled=not out.quiet and not out.as_json and out.err.is_terminal,
        passes=passes,
    )
    return resolved, progress


def _train_in_memory(out, o, state) -> dict:
    from sklearn.model_selection import train_test_split

    from . import LogisticRegression, LogisticRegressionCV
    from .tables import (
        TablePreprocessor,
        breast_cancer_table,
        read_table,
        read_target,
        select_features,
    )

    data, target, holdout = o["data"], o["target"], o["holdout"]
    if data is None:
        target = o["target"] = target or "target"
        table = breast_cancer_table(target)
        source = "scikit-learn breast-cancer data"
    else:
        table = read_table(data)
        source = str(data)
    columns = select_features(table, target=target, features=o["features"])
    y = read_target(table, target)
    classes = np.unique(y)
    n = table.num_rows
    if holdout > 0:
        idx = np.arange(n)
        try:
            train_idx, test_idx = train_test_split(
                idx, test_size=holdout, random_state=o["seed"], stratify=y
            )
        except ValueError as exc:
            raise DataError(
                f"cannot hold out {holdout:g} of {n} rows with every class on each side "
                f"({exc}); use a smaller --holdout or more data."
            ) from None
        train_idx, test_idx = np.sort(train_idx), np.sort(test_idx)
    else:
        train_idx, test_idx = np.arange(n), None
    unpenalised = math.isinf(o["C"]) and o["cv"] is None
    pre = TablePreprocessor(
        impute=o["impute"], categorical=o["categorical"], drop_first=unpenalised
    )
    train_table = table.take(train_idx) if holdout > 0 else table
    X = pre.fit_transform(train_table, columns)
    y_train = y[train_idx]
    # The estimators see class indices 0..K-1 and get the labels back afterwards: labels
    # such as 0.5/2.5/6.0 are classes here (2 to 50 values, checked by read_target), which
    # the estimator's own check would take for a continuous target.
    y_index = np.searchsorted(classes, y_train)
    if np.unique(y_train).shape[0] != classes.shape[0]:
        raise DataError(
            "the training rows lack a class that the data holds; use a smaller --holdout."
        )
    common = {
        "class_weight": o["cw"],
        "solver": o["solver"],
        "tol": o["tol"],
        "max_iter": o["max_iter"],
        "random_state": o["seed"],
    }
    cv_doc = None
    if o["cv"] is not None:
        n_c = o["grid"] if isinstance(o["grid"], int) else len(o["grid"])
        resolved = o["solver"]
        out.info(
            f"cross-validating {n_c} C values x {len(o['ratios'])} l1 ratio(s) x {o['cv']} "
            f"folds on {X.shape[0]} rows x {X.shape[1]} features of {source}"
        )
        state["where"] = f"during {o['cv']}-fold cross-validation"
        cv_model = LogisticRegressionCV(Cs=o["grid"], l1_ratios=o["ratios"], cv=o["cv"], **common)
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            cv_model.fit(X, y_index)
        cv_model.classes_ = classes
        seconds = time.perf_counter() - t0
        est = cv_model.estimator_  # the plain refitted model is what the file stores
        est.classes_ = classes
        resolved = est.solver_
        cv_doc = _cv_record(cv_model, o["cv"])
    else:
        resolved, progress = _progress_for(
            out, o["solver"], o["max_iter"], X.shape[0], X.shape[1], o["ratios"][0], state
        )
        out.info(
            f"training on {X.shape[0]} rows x {X.shape[1]} features ({len(columns)} columns) "
            f"of {source} with solver {resolved}"
            + (f", {classes.shape[0]} classes (multinomial)" if classes.shape[0] > 2 else "")
        )
        est = LogisticRegression(
            C=o["C"],
            l1_ratio=o["ratios"][0],
            learning_rate=o["lr"],
            callback=progress,
            **common,
        )
        t0 = time.perf_counter()
        with progress, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            est.fit(X, y_index)
        seconds = time.perf_counter() - t0
        est.set_params(callback=None)
        est.classes_ = classes
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
    inference_doc, note = _inference_for(
        est, X, y_train, target, pre.feature_names_out, o["cov"], out
    )
    extra = {
        "target": target,
        "features": columns,
        "holdout": holdout,
        "seed": o["seed"],
        "impute": o["impute"],
        "l1_ratio": float(est.l1_ratio),
        "class_weight": o["cw"],
        "n_classes": int(classes.shape[0]),
        "reference_coding": pre.drop_first,
        "rows_in_file": n,
        "evaluated_on": "holdout" if test_idx is not None else "training",
        "standard_errors": "stored" if inference_doc is not None else note,
    }
    if cv_doc is not None:
        extra["cv"] = cv_doc
    return {
        "est": est,
        "pre": pre,
        "X_shape": X.shape,
        "X": X,
        "y_train": y_train,
        "seconds": seconds,
        "source": source,
        "resolved": resolved,
        "metrics": metrics,
        "on": on,
        "extra": extra,
        "inference": inference_doc,
        "cv": cv_doc,
        "state": state,
        "data_path": data,
        "n_rows": X.shape[0],
    }


def _train_out_of_core(out, o, state, *, stream: bool) -> dict:
    from . import LogisticRegression
    from .tables import TablePreprocessor, expand_paths, read_schema, select_features

    data, target = o["data"], o["target"]
    files = expand_paths(data)
    schema = read_schema(files[0])
    # A scheduler that cannot be reached is found before any pass over the data.
    client = None if stream else _connect(o["scheduler"], state)
    columns = select_features(schema.empty_table(), target=target, features=o["features"])
    unpenalised = math.isinf(o["C"])
    pre = TablePreprocessor(
        impute=o["impute"], categorical=o["categorical"], drop_first=unpenalised
    )
    state["where"] = "in pass 1 (preprocessing)"
    state["stream"] = stream
    try:
        o["n_rows"] = _fit_preprocessing_streamed(
            files, columns, target, pre, o["batch_size"], out, state
        )
    except BaseException:
        if client is not None:
            client.close()
        raise
    est = LogisticRegression(
        C=o["C"],
        l1_ratio=o["ratios"][0],
        class_weight=o["cw"],
        solver=o["solver"],
        tol=o["tol"],
        max_iter=o["max_iter"],
        learning_rate=o["lr"],
        random_state=o["seed"],
    )
    source = str(data)
    if stream:
        fitted = _fit_streamed(out, o, state, est, files, columns, pre)
    else:
        try:
            fitted = _fit_dask(out, o, state, est, files, columns, pre, client)
        finally:
            client.close()
    metrics, seconds, resolved, n_rows, classes = fitted
    note = (
        f"no standard errors with {'--stream' if stream else '--scheduler'}: they are "
        "computed on the training rows in memory (train in memory for them)."
    )
    extra = {
        "target": target,
        "features": columns,
        "holdout": 0.0,
        "seed": o["seed"],
        "impute": o["impute"],
        "l1_ratio": float(est.l1_ratio),
        "class_weight": o["cw"],
        "n_classes": len(classes),
        "reference_coding": pre.drop_first,
        "executor": "stream" if stream else "dask",
        "evaluated_on": "training",
        "standard_errors": note,
        "n_rows": n_rows,
        **_files_record(files),
    }
    if stream:
        extra["batch_size"] = o["batch_size"]
    else:
        extra["scheduler"] = o["scheduler"]
    return {
        "est": est,
        "pre": pre,
        "X_shape": (n_rows, pre.n_features_out),
        "X": None,
        "y_train": None,
        "seconds": seconds,
        "source": source,
        "resolved": resolved,
        "metrics": metrics,
        "on": f"training rows ({n_rows})",
        "extra": extra,
        "inference": None,
        "cv": None,
        "state": state,
        "data_path": None,
        "n_rows": n_rows,
    }


def _fit_streamed(out, o, state, est, files, columns, pre):
    from .sources import StreamSource

    state["where"] = "in pass 2 (checking the rows)"
    t0 = time.perf_counter()
    src = StreamSource(
        [str(f) for f in files],
        o["target"],
        features=columns,
        class_weight=o["cw"],
        batch_size=o["batch_size"],
        dtype=np.float64,
        transform=pre.transform_batch,
    )
    out.info(
        f"pass 2 (checking): {src.n_samples} rows, classes {[_py(c) for c in src.classes_]}, "
        f"{time.perf_counter() - t0:.1f}s"
    )
    resolved, progress = _progress_for(
        out,
        o["solver"],
        o["max_iter"],
        src.n_samples,
        src.n_features,
        o["ratios"][0],
        state,
        passes=lambda: src.n_passes + 1,  # pass 1 was the preprocessing
    )
    out.info(
        f"training on {src.n_samples} rows x {src.n_features} features ({len(columns)} "
        f"columns) of {len(files)} file(s), streamed in batches of {o['batch_size']} rows, "
        f"with solver {resolved}"
    )
    est.set_params(callback=progress)
    before = src.n_passes
    t0 = time.perf_counter()
    with progress, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        est.fit_source(src)
    seconds = time.perf_counter() - t0
    est.set_params(callback=None)
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            out.warn(_one_line(w.message))
    out.info(
        f"passes {before + 2}-{src.n_passes + 1}: {int(est.n_iter_[0])} iterations in "
        f"{src.n_passes - before} passes over the files, {seconds:.1f}s"
    )
    state["progress"] = None
    state["where"] = f"in pass {src.n_passes + 2} (measuring the fit)"
    sums = _MetricSums(len(est.classes_))
    for X, y_index, _, _ in src.chunks():
        sums.add(y_index, _logits(est, X))
    out.info(f"pass {src.n_passes + 1} (measuring the fit on the training rows)")
    return sums.result(est.classes_), seconds, resolved, src.n_samples, est.classes_


def _connect(address, state):
    """A distributed.Client of the scheduler at ``address`` (10 s to answer)."""
    try:
        import distributed
    except ImportError:
        raise InvalidParameterError(
            "--scheduler needs dask and distributed: pip install 'logistic[dask]'."
        ) from None
    state["where"] = f"while connecting to the Dask scheduler at {address}"
    try:
        return distributed.Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InvalidParameterError(
            f"--scheduler {address!r}: cannot connect to a Dask scheduler there "
            f"({_one_line(exc)}); give its address, e.g. tcp://host:8786."
        ) from None


def _fit_dask(out, o, state, est, files, columns, pre, client):
    import dask.dataframe as dd
    import pandas as pd

    from . import dask as logistic_dask

    address = o["scheduler"]
    read = [*columns, o["target"]]
    paths = [str(f.resolve()) for f in files]
    if files[0].suffix.lower() == ".csv":
        from .tables import NULL_VALUES

        # The same cells are missing as in pass 1 and in memory ("?", "NA", empty ...).
        ddf = dd.read_csv(paths, usecols=read, na_values=NULL_VALUES, keep_default_na=False)
    else:
        ddf = dd.read_parquet(paths, columns=read)
    names = pre.feature_names_out
    meta = pd.DataFrame({n: pd.Series(dtype=np.float64) for n in names})
    X = ddf.map_partitions(_partition_features, pre, names, meta=meta)
    y = ddf[o["target"]]
    state["where"] = f"while loading the data on the Dask cluster at {address}"
    out.info(
        f"training on the Dask cluster at {address}: {ddf.npartitions} partitions of "
        f"{len(files)} file(s), {len(names)} features, preprocessing learned in pass 1"
    )
    resolved, progress = _progress_for(
        out, o["solver"], o["max_iter"], o["n_rows"], len(names), o["ratios"][0], state
    )
    est.set_params(callback=progress)
    t0 = time.perf_counter()
    with progress, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        logistic_dask.fit(est, X, y, client=client)
    seconds = time.perf_counter() - t0
    est.set_params(callback=None)
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            out.warn(_one_line(w.message))
    if hasattr(est, "feature_names_in_"):
        del est.feature_names_in_  # the preprocessing's names are stored instead
    state["progress"] = None
    state["where"] = "while measuring the fit on the Dask cluster"
    K = len(est.classes_)
    cm_cols = {f"cm{i}": pd.Series(dtype=np.int64) for i in range(K * K)}
    meta_m = pd.DataFrame(
        {
            "n": pd.Series(dtype=np.int64),
            "correct": pd.Series(dtype=np.int64),
            "loss": pd.Series(dtype=np.float64),
            "brier": pd.Series(dtype=np.float64),
            **cm_cols,
        }
    )
    parts = ddf.map_partitions(
        _partition_metrics,
        pre,
        est,
        o["target"],
        meta=meta_m,
    )
    total = client.compute(parts.sum()).result()
    sums = _MetricSums(K)
    sums.n = int(total["n"])
    sums.correct = int(total["correct"])
    sums.loss = float(total["loss"])
    sums.brier = float(total["brier"])
    sums.cm = np.array([int(total[f"cm{i}"]) for i in range(K * K)], dtype=np.int64).reshape(K, K)
    resolved = est.solver_
    return sums.result(est.classes_), seconds, resolved, sums.n, est.classes_


def _report_training(out, o, r) -> None:
    from .persistence import save, training_record

    est, metrics, seconds = r["est"], r["metrics"], r["seconds"]
    record = training_record(
        est,
        X=r["X"],
        data_path=r["data_path"],
        seconds=seconds,
        metrics={k: metrics[k] for k in ("rows", "accuracy", "log_loss", "roc_auc", "brier")},
        **r["extra"],
    )
    if r["X"] is None:
        record["n_rows"] = r["n_rows"]
        record["n_columns"] = int(r["X_shape"][1])
    if o["data"] is None:
        from .tables import array_sha256

        record["data_file"] = None
        record["data_source"] = "sklearn.datasets.load_breast_cancer"
        record["data_sha256"] = array_sha256(r["X"], r["y_train"])
    save(est, o["output"], preprocessor=r["pre"], training=record, inference=r["inference"])
    r["state"]["saved"] = True
    written = {"model": str(o["output"])}
    plot_dir = o["plot_dir"]
    if plot_dir is not None:
        from .plots import plot_loss_curve

        path = plot_loss_curve(
            est.history_,
            plot_dir / "loss_curve.png",
            tol=o["tol"],
            title=f"{r['resolved']} on {Path(r['source']).name}: {int(est.n_iter_[0])} iterations",
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
        "solver": r["resolved"],
        "C": _json_C(est.C),
        "l1_ratio": float(est.l1_ratio),
        "classes": [_py(c) for c in est.classes_],
        "n_features": int(r["X_shape"][1]),
        "standard_errors": record["standard_errors"],
        "files": written,
    }
    if r["cv"] is not None:
        result["cv"] = r["cv"]
    out.json(result)
    if r["cv"] is not None:
        _cv_table(out, r["cv"])
    tbl = Table()
    tbl.add_column("metric")
    tbl.add_column("value", justify="right")
    tbl.add_row("accuracy", f"{metrics['accuracy']:.4f}")
    tbl.add_row("log-loss", f"{metrics['log_loss']:.4f}")
    auc_name = "ROC AUC" if len(est.classes_) == 2 else "ROC AUC (one-vs-rest)"
    auc = metrics["roc_auc"]
    tbl.add_row(auc_name, "n/a" if auc is None else f"{auc:.4f}")
    tbl.add_row("iterations", str(result["iterations"]))
    tbl.add_row("seconds", f"{seconds:.3f}")
    tbl.add_row("converged", "yes" if est.converged_ else "[yellow]no[/]")
    tbl.add_row("final loss", _num(record["final_loss"]))
    tbl.add_row("max|grad|", f"{record['grad_norm']:.3g} (tol {o['tol']:g})")
    out.table(tbl, f"results on {r['on']}")
    if auc is None and r["X"] is None:
        out.line("(ROC AUC needs every prediction at once; run 'logistic evaluate' for it)")
    if r["inference"] is not None:
        out.line(
            f"standard errors ({r['inference']['cov_type']}"
            f"{', penalised sandwich' if r['inference']['penalized'] else ''}) stored; "
            "'logistic summary' shows them"
        )
    for what, path in written.items():
        out.line(f"{what.replace('_', ' ')}: {path}")


def _json_C(C):
    C = float(C)
    return C if math.isfinite(C) else "inf"


# -- predict ------------------------------------------------------------------------------
def _load(model_path: Path):
    from .persistence import load

    return load(model_path)


def _read_for(model, data: Path):
    from .tables import read_table

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
    model: ModelArg,
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
    """Probability of the positive class (each class) and predicted label for every row.

    The output CSV has the --keep columns, then 'probability' (of the model's second class,
    the positive one) and 'label'; for a multinomial model one column 'p_CLASS' per class
    instead of 'probability'. Columns of DATA are matched to the model by name; extra columns are
    ignored. Categories not seen in training encode as zeros and are counted in a warning.
    """
    import pyarrow as pa

    from .tables import check_output_path, write_csv

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
        clash = [c for c in keep_list if c in ("probability", "label") or c.startswith("p_")]
        if clash:
            raise InvalidParameterError(
                f"--keep {clash[0]!r} clashes with an output column; keep other columns."
            )
    X = _transform(m, table, out)
    full = m.estimator.predict_proba(X)
    labels = m.estimator.predict(X)
    classes = [_py(c) for c in m.classes_]
    if len(classes) == 2:
        proba = full[:, 1]
        columns = {"probability": pa.array(proba)}
    else:
        proba = full
        columns = {f"p_{c}": pa.array(full[:, k]) for k, c in enumerate(classes)}
    result = pa.table(
        {
            **{c: table.column(c) for c in keep_list},
            **columns,
            "label": pa.array([_py(v) for v in labels]),
        }
    )
    binary = len(classes) == 2
    doc = {"rows": len(labels), "classes": classes}
    if binary:
        doc["positive_class"] = classes[1]
    if output is not None:
        write_csv(result, output)
        what = f"probability of {classes[1]!r}" if binary else f"{len(classes)} classes"
        out.info(f"wrote {len(labels)} predictions to {output} ({what})")
        out.json({**doc, "output": str(output)})
    elif as_json:
        probability = (
            proba.tolist()
            if binary
            else {str(c): full[:, k].tolist() for k, c in enumerate(classes)}
        )
        out.json({**doc, "probability": probability, "label": [_py(v) for v in labels]})
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
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Accuracy, log-loss, ROC AUC, Brier score and confusion matrix on labelled data.

    Writes roc.png (ROC curve with its area) and calibration.png (reliability diagram and
    histogram of predicted probabilities). For a multinomial model: one-vs-rest macro ROC
    AUC, the multiclass Brier score mean_i sum_k (p_ik - [y_i = k])^2, a K x K confusion
    matrix and roc.png with one curve per class (no calibration.png).
    """
    from .tables import check_output_path, read_target

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
    K = len(classes)
    if plot_dir is not None and K > 2:
        from .plots import plot_roc_multiclass

        present = np.isin(m.classes_, y)
        if present.sum() >= 2:
            written["roc"] = str(
                plot_roc_multiclass(
                    y,
                    proba,
                    m.classes_,
                    plot_dir / "roc.png",
                    title=f"ROC one-vs-rest on {data.name} ({len(y)} rows, {K} classes)",
                )
            )
        else:
            out.warn("the data holds only one class, so there is no ROC curve.")
        out.info(f"calibration.png is drawn for binary models only; this one has {K} classes.")
    elif plot_dir is not None:
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
    if K == 2:
        out.json({**metrics, "positive_class": _py(classes[1]), "files": written})
    else:
        out.json({**metrics, "classes": [_py(c) for c in classes], "files": written})

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
    what = f"positive class {_py(classes[1])!r}" if K == 2 else f"{K} classes"
    out.table(tbl, f"{data.name}: {metrics['rows']} rows, {what}")
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
    model: ModelArg,
    data: LabelledDataArg,
    row: Annotated[
        int, typer.Option("--row", "-r", help="Data row to explain, 1-based (header excluded).")
    ],
    target: SavedTargetOpt = None,
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
    dL/dz = a - y, dL/dw = (a - y) x, dL/db = a - y. Writes graph.png. A multinomial model
    shows the softmax graph: z = W^T x + b, a = softmax(z), L = -log a_y, da/dz =
    diag(a) - a a^T, dL/dz = a - onehot(y), dL/dW = x (a - onehot(y))^T.
    """
    from .graph import explain as graph_explain
    from .tables import check_output_path, read_target

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
    if len(m.classes_) > 2:
        _explain_multinomial(out, m, trace, X[0], one, y, row, data, plot_dir, all_features)
        return
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


def _explain_multinomial(out, m, trace, x, one, y, row, data, plot_dir, all_features):
    """explain for a multinomial model: the softmax graph's table and graph.png."""
    written = {}
    classes = [_py(c) for c in m.classes_]
    if plot_dir is not None:
        from .plots import plot_graph_multinomial

        written["graph"] = str(
            plot_graph_multinomial(
                trace,
                plot_dir / "graph.png",
                title=f"{data.name}, row {row}: y = {_py(y[0])!r} ({len(classes)} classes)",
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
    for q, formula, value in trace.rows():
        tbl.add_row(escape(q), formula, value)
    out.table(
        tbl,
        f"row {row} of {data.name}: y = {_py(y[0])!r}; z = W^T x + b, a = softmax(z), L = -log a_y",
    )
    feat = Table()
    feat.add_column("feature", overflow="fold", min_width=12)
    feat.add_column("x = dz_k/dW_jk", justify="right")
    for c in classes:
        feat.add_column(escape(f"dL/dW [{c}]"), justify="right", overflow="fold")
    hidden = 0
    for j, name in enumerate(m.feature_names):
        if x[j] == 0.0 and not all_features:
            hidden += 1
            continue
        feat.add_row(escape(name), f"{x[j]:.4g}", *[f"{v:.4g}" for v in trace.dL_dW[j]])
    out.table(feat, "per feature: dL/dW_jk = x_j (a_k - y_k)")
    if hidden:
        out.line(f"({hidden} features with x = 0 not shown: their dL/dW are 0; --all lists them)")
    if trace.note:
        out.line(trace.note)
    for what, path in written.items():
        out.line(f"{what}: {path}")


# -- summary ------------------------------------------------------------------------------
class _StoredInference:
    """A stored ``InferenceResult.as_dict()`` read back, with the attributes that
    :class:`logistic.inference.InferenceSummary` prints (null numbers become NaN)."""

    def __init__(self, d):
        from .inference import SeparationReport

        def num(v):
            return math.nan if v is None else float(v)

        self.names = list(d["params"])
        p = d["params"]
        self.params = np.array([num(p[n]["coef"]) for n in self.names])
        self.bse = np.array([num(p[n]["std_err"]) for n in self.names])
        self.zvalues = np.array([num(p[n]["z"]) for n in self.names])
        self.pvalues = np.array([num(p[n]["p_value"]) for n in self.names])
        self._ci = np.array([[num(p[n]["ci_low"]), num(p[n]["ci_high"])] for n in self.names])
        from .persistence import _INFERENCE_NUMBERS

        for key in (*_INFERENCE_NUMBERS, "C"):
            setattr(self, key, num(d.get(key)))
        self.dep_var = d.get("dep_var", "y")
        self.cov_type = d["cov_type"]
        self.cov_description = d.get("cov_description", "")
        self.cov_info = d.get("cov_info") or {}
        self.penalized = bool(d["penalized"])
        sep = d.get("separation")
        self.separation = None
        if sep is not None and sep.get("separated"):
            self.separation = SeparationReport(
                True,
                sep.get("kind"),
                features=tuple(sep.get("features") or ()),
                feature_indices=tuple(sep.get("feature_indices") or ()),
                rows=np.asarray(sep.get("rows") or [], dtype=np.intp),
                n_rows=int(sep.get("n_rows") or 0),
            )

    def conf_int(self, alpha=None):
        return self._ci


@app.command(epilog="**Example**\n\n```\nlogistic summary model.json\n```")
def summary(
    model: ModelArg,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Coefficients with odds ratios (and standard errors when stored), and the training record.

    A numeric feature was standardised, so its coefficient is the change in log-odds per
    standard deviation (shown in the 'per' column); a one-hot feature's coefficient is the
    change for rows in that category (against the reference category with --C inf). A model
    trained with --C inf also shows a statsmodels-style table: standard errors, z,
    p-values and confidence intervals; a penalised one says why it has none. A multinomial
    model shows one coefficient table per class.
    """
    m = _load(model)
    out = _Out(quiet, as_json)
    est = m.estimator
    classes = [_py(c) for c in m.classes_]
    K = len(classes)
    specs = {}
    if m.preprocessor is not None:
        for s in m.preprocessor.columns_:
            if s.kind == "numeric":
                specs[s.name] = s

    def rows_of(coef):
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
        return rows

    coef = est.coef_.astype(np.float64)
    icpt = est.intercept_.astype(np.float64)
    doc = {
        "model": str(model),
        "classes": classes,
        "library_version": m.metadata.get("library_version"),
        "created": m.metadata.get("created"),
    }
    if K == 2:
        doc.update(
            positive_class=classes[1], intercept=float(icpt[0]), coefficients=rows_of(coef[0])
        )
    else:
        doc["per_class"] = [
            {"class": c, "intercept": float(icpt[k]), "coefficients": rows_of(coef[k])}
            for k, c in enumerate(classes)
        ]
    note = m.training.get("standard_errors")
    doc["standard_errors"] = m.inference
    doc["standard_errors_note"] = None if m.inference is not None else _why_no_se(m, note)
    doc["training"] = m.training
    out.json(doc)

    def table(rows, b, title):
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
        out.table(tbl, title)

    if K == 2:
        table(
            doc["coefficients"],
            doc["intercept"],
            f"{model.name}: log-odds of {classes[1]!r} (vs {classes[0]!r})",
        )
    else:
        for k, entry in enumerate(doc["per_class"]):
            table(
                entry["coefficients"],
                entry["intercept"],
                f"{model.name}: class {entry['class']!r} ({k + 1} of {K}), logit z_k of the "
                "softmax a_k = exp(z_k) / sum_j exp(z_j)",
            )
    if m.inference is not None:
        from .inference import InferenceSummary

        stored = _StoredInference(m.inference)
        text = InferenceSummary(stored, stored.alpha, "Logistic Regression Results").as_text()
        if not out.quiet and not out.as_json:
            out.out.print(text, markup=False, highlight=False, soft_wrap=True)
    else:
        out.line(doc["standard_errors_note"])
    rec = Table(show_header=False)
    rec.add_column("field")
    rec.add_column("value", overflow="fold")
    for k, v in m.training.items():
        if k == "cv" and isinstance(v, dict):
            v = (
                f"{v.get('folds')}-fold, C = {v.get('C')}, l1_ratio = {v.get('l1_ratio')} "
                f"(grid of {len(v.get('Cs') or [])} C x {len(v.get('l1_ratios') or [])} l1)"
            )
        elif isinstance(v, list):
            v = ", ".join(str(x) for x in v)
        elif k == "metrics" and isinstance(v, dict):
            v = ", ".join(
                f"{a}={x:.4f}" if isinstance(x, float) else f"{a}={x}" for a, x in v.items()
            )
        elif isinstance(v, float):
            v = _num(v)
        rec.add_row(escape(k), escape(str(v)))
    out.table(rec, "training record")


def _why_no_se(m, note) -> str:
    """One line: why this model file has no standard errors."""
    if isinstance(note, str) and note != "stored":
        return note
    C = m.estimator.C
    if len(m.classes_) > 2:
        return "no standard errors: they are computed for binary models only."
    if math.isfinite(float(C)):
        return (
            f"no standard errors: the fit is penalised (C={float(C):g}), so its estimates are "
            "biased towards 0; train with --C inf for them, or --cov-type sandwich for the "
            "penalised estimator's variability."
        )
    return "no standard errors in this model file (train it again with --C inf to store them)."


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
