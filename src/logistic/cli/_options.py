"""The options the commands share: choices, option types, the parsing of option values, and
the library's keyword spelling of options turned into the command line's.

Every command module imports this one when the application starts, so it imports the
library only inside the functions that need it: ``--help`` and usage errors stay light.
"""

from __future__ import annotations

import enum
import math
import re
from pathlib import Path
from typing import Annotated

import typer

from logistic.errors import InvalidParameterError

__all__ = [
    "SOLVER_NAMES",
    "ClassWeightChoice",
    "CovTypeChoice",
    "DecimalOpt",
    "EncodingOpt",
    "FormatChoice",
    "FormatOpt",
    "ImputeChoice",
    "JsonOpt",
    "LabelledDataArg",
    "ModelArg",
    "NoPlotsOpt",
    "QuietOpt",
    "ReferenceClassOpt",
    "SavedTargetOpt",
    "SepOpt",
    "SolverChoice",
    "ThousandsOpt",
    "ThresholdOpt",
    "cli_spelling",
    "csv_list",
    "model_threshold",
    "optional",
    "parse_cs",
    "parse_l1_ratios",
    "parse_learning_rate",
    "plots_dir",
    "read_options",
]

# The names of logistic.solvers.SOLVERS, written out: importing the registry imports the
# solvers (SciPy, scikit-learn), which --help must not wait for; tests/test_startup.py
# checks that the two lists are the same.
SOLVER_NAMES = ("agd", "cd", "gd", "lbfgs", "newton", "newton-cg", "sgd")

# Choices as str Enums: typer shows them in --help and rejects others as usage errors.
SolverChoice = enum.Enum("SolverChoice", {n: n for n in ["auto", *SOLVER_NAMES]}, type=str)
ImputeChoice = enum.Enum(
    "ImputeChoice", {"mean": "mean", "most_frequent": "most-frequent"}, type=str
)
ClassWeightChoice = enum.Enum(
    "ClassWeightChoice", {"none": "none", "balanced": "balanced"}, type=str
)
CovTypeChoice = enum.Enum(
    "CovTypeChoice",
    {"nonrobust": "nonrobust", "HC0": "HC0", "HC1": "HC1", "sandwich": "sandwich"},
    type=str,
)

QuietOpt = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print nothing but errors (and data asked for on stdout)."),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON on stdout instead of tables.")
]
NoPlotsOpt = Annotated[bool, typer.Option("--no-plots", help="Do not write PNG plots.")]

# How data files are read (logistic.tables.CsvDialect and the format), on every command
# that reads one.
FormatChoice = enum.Enum("FormatChoice", {"csv": "csv", "parquet": "parquet"}, type=str)
SepOpt = Annotated[
    str | None,
    typer.Option(
        "--sep",
        help="CSV delimiter: one character, or tab [default: detected].",
        show_default=False,
    ),
]
DecimalOpt = Annotated[str, typer.Option("--decimal", help="Decimal mark of CSV numbers: . or ,")]
ThousandsOpt = Annotated[
    str | None,
    typer.Option(
        "--thousands",
        help="Digit-group separator of CSV numbers (1,498.23): , . ' or a space.",
        show_default=False,
    ),
]
EncodingOpt = Annotated[
    str, typer.Option("--encoding", help="Text encoding of CSV files: latin-1, cp1252 ...")
]
FormatOpt = Annotated[
    FormatChoice | None,
    typer.Option(
        "--format",
        help="The files' format whatever their names: csv or parquet.",
        show_default=False,
    ),
]


ThresholdOpt = Annotated[
    float | None,
    typer.Option(
        "--threshold",
        help="Binary model: predict the positive class when its probability is above this "
        "[default: 0.5].",
        show_default=False,
    ),
]


def model_threshold(threshold, n_classes: int) -> float | None:
    """The ``--threshold`` of a model of ``n_classes``: checked (0.5 when not given) for a
    binary one; None for more classes, which are labelled by the largest probability and
    refuse a given threshold."""
    from logistic.metrics import check_threshold

    if n_classes > 2:
        if threshold is not None:
            raise InvalidParameterError(
                f"--threshold is for a binary model; this one has {n_classes} classes, "
                "whose label is the most probable class."
            )
        return None
    return check_threshold(0.5 if threshold is None else threshold)


def read_options(sep, decimal, thousands, encoding, file_format) -> dict:
    """``{"dialect": CsvDialect, "file_format": ...}`` of the reading options."""
    from logistic.tables import CsvDialect

    try:
        dialect = CsvDialect(sep=sep, decimal=decimal, thousands=thousands, encoding=encoding)
    except InvalidParameterError as exc:
        raise InvalidParameterError(cli_spelling(str(exc))) from None
    fmt = None if file_format is None else FormatChoice(file_format).value
    return {"dialect": dialect, "file_format": fmt}


def optional(kind, help, *names, **options):
    """The type of an option that may be left out (default None): a ``kind`` value, its
    ``help`` text, its ``names`` (default: from the parameter) and typer's ``options``."""
    return Annotated[kind | None, typer.Option(*names, help=help, **options)]


ReferenceClassOpt = Annotated[
    str | None,
    typer.Option(
        "--reference-class",
        help="With --C inf: the class the other classes' log-odds are taken against in the "
        "stored standard errors (a multinomial model; a binary one: the class whose "
        "log-odds are 0) [default: the first class].",
        show_default=False,
    ),
]

ModelArg = Annotated[Path, typer.Argument(help="Model file written by 'logistic train'.")]
LabelledDataArg = Annotated[
    Path, typer.Argument(help="CSV or Parquet file with the target column.")
]
SavedTargetOpt = Annotated[
    str | None,
    typer.Option("--target", "-t", help="Target column (default: the training target)."),
]


def csv_list(value: str | None, option: str) -> list[str] | None:
    """The column names of a comma-separated option value (None when not given)."""
    if value is None:
        return None
    items = [v.strip() for v in value.split(",")]
    if not all(items):
        raise InvalidParameterError(
            f"{option} {value!r} has an empty name; {option} accepts comma-separated column "
            "names, e.g. age,sex,hours_per_week."
        )
    return items


def parse_learning_rate(value: str):
    """``--learning-rate``: ``"auto"`` or a number > 0."""
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


def parse_l1_ratios(value: str) -> list[float]:
    """``--l1-ratio``: one number in [0, 1], or with ``--cv`` a comma list of them."""
    return _numbers(
        value,
        lambda r: 0.0 <= r <= 1.0,
        f"--l1-ratio {value!r} is not accepted; it accepts a number in [0, 1] (0: L2, "
        "1: lasso), or with --cv comma-separated numbers, e.g. 0,0.5,1.",
    )


def parse_cs(value: str):
    """``--cs``: a count of log-spaced C values (int), or comma-separated C values."""
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
    return _numbers(
        value,
        lambda c: c > 0,
        f"--cs {value!r} is not accepted; it accepts a count >= 1 or comma-separated "
        "C values > 0 (e.g. 0.01,0.1,1,10).",
    )


def _numbers(value: str, accepted, message: str) -> list[float]:
    """The comma-separated numbers of ``value``, each ``accepted``; else ``message``."""
    out = []
    for item in value.split(","):
        try:
            v = float(item)
        except ValueError:
            v = math.nan
        if not accepted(v):
            raise InvalidParameterError(message)
        out.append(v)
    return out


def plots_dir(plots: Path | None, no_plots: bool, default: Path, first: str) -> Path | None:
    """The directory of a command's plots (``--plots``, else ``default``), None with
    ``--no-plots``; checked before any work by its ``first`` file, so a typo costs nothing."""
    if no_plots:
        return None
    from logistic.tables import check_output_path

    directory = Path(plots) if plots is not None else default
    check_output_path(directory / first, "plot")
    return directory


def _number(m) -> str:
    return f"{float(m[1]):g}"


# The library names options as keyword arguments (logistic.training.fit_table and
# logistic.inference.why_no_standard_errors promise these spellings); the command line as
# its flags. Only these exact forms are rewritten, so that other text passes unchanged.
_NUMBER = r"(-?[0-9][0-9.]*(?:e[+-]?[0-9]+)?)"
_SPELLINGS = [
    (re.compile(r"\bC=np\.inf\b"), "--C inf"),
    (re.compile(rf"\bC={_NUMBER}"), lambda m: f"--C {_number(m)}"),
    (re.compile(rf"\bl1_ratio={_NUMBER}"), lambda m: f"--l1-ratio {_number(m)}"),
    (re.compile(r"\bclass_weight=None\b"), "--class-weight none"),
    (re.compile(r"\bclass_weight='balanced'"), "--class-weight balanced"),
    (re.compile(r"\bpenalized='sandwich'"), "--cov-type sandwich"),
    (re.compile(r"\bexecutor='stream'"), "--stream"),
    (re.compile(r"\bexecutor='dask'"), "--scheduler"),
    (re.compile(r"\bimpute='(mean|most-frequent)'"), r"--impute \1"),
    (re.compile(r"\ba finite C\b"), "a finite --C"),
    (re.compile(r"\ba smaller holdout\b"), "a smaller --holdout"),
    (re.compile(r"\b(exclude|categorical)=\['([^']*)'\]"), lambda m: f"--{m[1]} {_shell(m[2])}"),
    (re.compile(r"\bmin_frequency=(\d+)"), r"--min-frequency \1"),
    (re.compile(r"\bmax_categories=(\d+)"), r"--max-categories \1"),
    (re.compile(r"\bdrop_missing_target=True\b"), "--drop-missing-target"),
    (re.compile(r"\b(sep|decimal|thousands|encoding)=(?=['\"N])"), r"--\1 "),
    (re.compile(r"\bthreshold=(?=[-\d.ni])"), "--threshold "),
    (re.compile(r"\breference_class=(?=\S)"), "--reference-class "),
    (re.compile(r"\btarget=(?=')"), "--target "),
    (
        re.compile(
            r"\b(features|exclude|categorical|min_frequency|max_categories|formula)=(?![\w'\"\[])"
        ),
        lambda m: "--" + m[1].replace("_", "-"),
    ),
]


def _shell(word: str) -> str:
    """``word`` as a shell word: quoted when it holds spaces or shell characters."""
    import shlex

    return shlex.quote(word)


def parse_min_frequency(text: str | None):
    """``--min-frequency``: an int >= 1 (rows) or a float in (0, 1) (a share of the rows)."""
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is not None and not 0.0 < value < 1.0:
            value = None
    else:
        if value < 1:
            value = None
    if value is None:
        raise InvalidParameterError(
            f"--min-frequency {text!r} is not accepted; --min-frequency accepts an integer "
            ">= 1 (rows) or a fraction in (0, 1) (a share of the rows)."
        )
    return value


def cli_spelling(text: str) -> str:
    """A library message with its options spelled as this command line's flags.

    ``C=np.inf`` becomes ``--C inf``, ``penalized='sandwich'`` ``--cov-type sandwich``,
    ``class_weight=None`` ``--class-weight none``, ``executor='stream'`` ``--stream`` ...
    (see ``_SPELLINGS``); the rest of the text is kept.
    """
    for pattern, replacement in _SPELLINGS:
        text = pattern.sub(replacement, text)
    return text
