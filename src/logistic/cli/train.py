"""``logistic train``: fit a model to a data file and save it (:func:`logistic.training.fit_table`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from logistic.errors import InvalidParameterError, LogisticError, UserInputError

from ._app import app
from ._options import (
    ClassWeightChoice,
    CovTypeChoice,
    DecimalOpt,
    EncodingOpt,
    FormatOpt,
    ImputeChoice,
    JsonOpt,
    NoPlotsOpt,
    QuietOpt,
    ReferenceClassOpt,
    SepOpt,
    SolverChoice,
    ThousandsOpt,
    cli_spelling,
    csv_list,
    optional,
    parse_cs,
    parse_l1_ratios,
    parse_learning_rate,
    parse_min_frequency,
    plots_dir,
    read_options,
)
from ._output import Output, one_line
from ._signals import Interrupted, signal_of
from ._train_checks import check_train_options, input_files

__all__ = ["train"]

TRAIN_EXAMPLES = """
**Examples**

```
logistic train                        # scikit-learn's breast-cancer data
logistic train adult.csv --target income --impute most-frequent \
    --holdout 0.2 -o adult.json --plots plots/
logistic train fair.parquet --target affair --solver gd --learning-rate 0.5
logistic train data.csv --target y --features age,sex,income --json
logistic train data.csv --target y --C inf --cov-type HC1      # standard errors
logistic train admit.csv --formula "admit ~ gre + gpa + C(rank)" --C inf
logistic train iris.csv --target species --cv 5 --cs 20 --l1-ratio 0,0.5,1
logistic train 'data/*.parquet' --target y --stream --batch-size 100000
logistic train data.parquet --target y --scheduler tcp://scheduler:8786
```
"""


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
            help="Target column: two distinct values (binary) or 3 to 1000 (multinomial).",
        ),
    ] = None,
    formula: optional(
        str,
        "A formula 'target ~ terms' for the design, e.g. \"admit ~ gre + C(rank, "
        'Treatment(2)) + gre:gpa + np.log(gpa)" (reference levels, interactions, '
        "transformations; stored in the model file). Replaces --target and --features.",
        "--formula",
        "-f",
        show_default=False,
    ) = None,
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
    reference_class: ReferenceClassOpt = None,
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
    impute: optional(
        ImputeChoice,
        "Fill missing values (learned in training) instead of failing.",
        show_default=False,
    ) = None,
    features: optional(
        str, "Comma-separated feature columns (default: all but the target)."
    ) = None,
    exclude: optional(
        str, "Comma-separated columns to leave out of the features (ids, free text, leaks)."
    ) = None,
    categorical: optional(str, "Comma-separated columns to one-hot encode even if numeric.") = None,
    min_frequency: optional(
        str,
        "Pool categories seen in fewer rows (an int) or a smaller share of them (a float "
        "in (0, 1)) into one '(other)' level, which also takes categories never seen.",
        "--min-frequency",
        show_default=False,
    ) = None,
    max_categories: Annotated[
        int | None,
        typer.Option(
            "--max-categories",
            min=2,
            help="At most this many levels per categorical column, '(other)' included (the "
            "most frequent are kept).",
            show_default=False,
        ),
    ] = None,
    drop_missing_target: Annotated[
        bool,
        typer.Option(
            "--drop-missing-target",
            help="Drop the rows whose target is missing (and say how many) instead of failing.",
        ),
    ] = False,
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
    scheduler: optional(
        str,
        "Fit on a Dask cluster: its scheduler address, e.g. tcp://host:8786.",
        "--scheduler",
        show_default=False,
    ) = None,
    plots: optional(Path, "Directory for loss_curve.png (default: the model's directory).") = None,
    no_plots: NoPlotsOpt = False,
    sep: SepOpt = None,
    decimal: DecimalOpt = ".",
    thousands: ThousandsOpt = None,
    encoding: EncodingOpt = "utf-8",
    file_format: FormatOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Fit a model to a data file and save it: preprocessing, coefficients and a record.

    Numeric columns are standardised, text and boolean columns one-hot encoded (with
    --C inf the first category of each is the reference and gets no column); the
    preprocessing is stored in the model file and applied again by predict, evaluate and
    explain. A target with 3 to 1000 distinct values gives a multinomial (softmax) model.
    Prints accuracy, log-loss, iterations, seconds and convergence (on the holdout rows
    with --holdout) and writes loss_curve.png. With --C inf, standard errors, z, p-values
    and intervals are computed on the training rows and stored (see 'logistic summary').
    """
    out = Output(quiet, as_json)
    cov = None if cov_type is None else CovTypeChoice(cov_type).value
    lr = parse_learning_rate(learning_rate)
    if not C > 0:
        raise InvalidParameterError(f"--C {C!r} is not accepted; --C accepts a number > 0 or inf.")
    ratios = parse_l1_ratios(l1_ratio)
    options = {
        "C": C,
        "l1_ratio": ratios[0],
        "l1_ratios": ratios if cv is not None else None,
        "class_weight": None if ClassWeightChoice(class_weight).value == "none" else "balanced",
        "cv": cv,
        "Cs": parse_cs(cs) if cs is not None else 10,
        # --cov-type sandwich is the penalised sandwich around the nonrobust meat.
        "cov_type": "nonrobust" if cov == "sandwich" else cov,
        "penalized": "sandwich" if cov == "sandwich" else "error",
        "reference_class": reference_class,
        "formula": formula,
        "holdout": holdout,
        "seed": seed,
        "impute": None if impute is None else ImputeChoice(impute).value,
        "features": csv_list(features, "--features"),
        "exclude": csv_list(exclude, "--exclude"),
        "categorical": csv_list(categorical, "--categorical"),
        "min_frequency": parse_min_frequency(min_frequency),
        "max_categories": max_categories,
        "drop_missing_target": drop_missing_target,
        "batch_size": batch_size,
        "solver": SolverChoice(solver).value,
        "tol": tol,
        "max_iter": max_iter,
        "learning_rate": lr,
    }
    check_train_options(
        data=data,
        target=target or formula,
        C=C,
        ratios=ratios,
        cv=cv,
        cs=cs,
        cov_type=cov,
        stream=stream,
        scheduler=scheduler,
        holdout=holdout,
        impute=options["impute"],
    )
    if cv is not None and lr != "auto":
        raise InvalidParameterError(
            "--learning-rate is not used with --cv (the cross-validated fits use 'auto')."
        )
    # The library is imported from here on, after the checks above: --help and mistyped
    # options answer without it.
    options.update(read_options(sep, decimal, thousands, encoding, file_format))
    from logistic.tables import check_output_path
    from logistic.training import fit_table

    from ._progress import BarProgress
    from ._train_report import report_training

    # Every output path is checked before any work, so a typo costs nothing.
    check_output_path(output, "model", inputs=input_files(data))
    plot_dir = plots_dir(plots, no_plots, output.parent, "loss_curve.png")
    executor = "stream" if stream else "dask" if scheduler else "memory"
    # Ctrl-C or SIGTERM at any point from here on: say how far training got, write nothing.
    progress = BarProgress(out)
    outputs = []
    try:
        client = _connect(scheduler, progress) if scheduler else None
        try:
            result = fit_table(
                data, target, executor=executor, scheduler=client, progress=progress, **options
            )
        except UserInputError as exc:
            raise type(exc)(cli_spelling(str(exc))) from None
        except LogisticError as exc:  # the cluster went away: not the user's mistake
            raise type(exc)(f"{exc}; no model written.") from None
        finally:
            if client is not None:
                client.close()
        result.record["standard_errors"] = cli_spelling(result.record["standard_errors"])
        written = _write_outputs(result, output, plot_dir, progress, outputs)
        progress.at("while printing the results")
        report_training(out, result, written)
    except KeyboardInterrupt as exc:
        raise Interrupted(signal_of(exc), progress.where(), _left(outputs)) from None


def _write_outputs(result, output, plot_dir, progress, outputs) -> dict:
    """Write the model and its loss curve as one unit (:func:`logistic.tables.
    written_together`): both appear, or neither; returns ``{"model": path, ...}``.
    ``outputs`` receives the paths renamed into place (for the message of an interrupt)."""
    from logistic.tables import written_together

    progress.at("while writing the model and its plots")
    written = {"model": str(output)}
    try:
        with written_together() as group:
            outputs.append(group)
            result.save(output)
            if plot_dir is not None:
                from logistic.plots import plot_loss_curve  # matplotlib: only when drawing

                est = result.estimator
                written["loss_curve"] = str(
                    plot_loss_curve(
                        est.history_,
                        plot_dir / "loss_curve.png",
                        tol=est.tol,
                        title=f"{result.solver} on {Path(result.source).name}: "
                        f"{int(est.n_iter_[0])} iterations",
                    )
                )
    except OSError as exc:
        # Found only now when the disk changed during training (the paths were checked
        # before it): a directory removed or replaced by a file, a full disk.
        where = f"'{exc.filename}': " if exc.filename else ""
        raise InvalidParameterError(
            f"cannot write the outputs ({where}{exc.strerror or exc}); "
            f"{_left(outputs)}; give writable -o and --plots paths."
        ) from None
    return written


def _left(outputs) -> str:
    """What a stopped ``train`` leaves: ``no model written``, or the files renamed into
    place before it stopped (all of them once :func:`_write_outputs` is done)."""
    done = [str(p) for group in outputs for p in group.written]
    if not done:
        return "no model written"
    return f"written: {', '.join(done)}"


def _connect(address, progress):
    """A distributed.Client of the scheduler at ``address`` (10 s to answer): an
    unreachable scheduler is found before any pass over the data."""
    try:
        import distributed
    except ImportError:
        raise InvalidParameterError(
            "--scheduler needs dask and distributed: pip install 'logistic[dask]'."
        ) from None
    # distributed logs to stderr (a lost scheduler: "Failed to reconnect ..."), and asyncio
    # the tasks a closed client leaves (after Ctrl-C: "Task exception was never retrieved");
    # the command says what happened in its own one line instead.
    for handler in logging.getLogger("distributed").handlers:
        handler.setLevel(logging.CRITICAL)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    progress.at(f"while connecting to the Dask scheduler at {address}")
    try:
        return distributed.Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InvalidParameterError(
            f"--scheduler {address!r}: cannot connect to a Dask scheduler there "
            f"({one_line(exc)}); give its address, e.g. tcp://host:8786."
        ) from None
