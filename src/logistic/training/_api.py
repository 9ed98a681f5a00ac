"""The entry point :func:`fit_table`: its arguments checked into a plan, then one executor."""

from __future__ import annotations

import math
from dataclasses import dataclass

from logistic.errors import InvalidParameterError
from logistic.tables import (
    CsvDialect,
    as_arrow_table,
    check_pooling,
    formula_has_intercept,
    parse_formula,
)

from ._dask import fit_on_dask
from ._files import fit_streamed
from ._memory import fit_in_memory
from ._progress import TrainingProgress
from ._result import TrainingResult

__all__ = ["EXECUTORS", "fit_table", "from_formula"]

EXECUTORS = ("memory", "stream", "dask")
_COV_TYPES = ("nonrobust", "HC0", "HC1")


@dataclass(frozen=True)
class _Plan:
    """The checked arguments of one :func:`fit_table` call."""

    data: object
    target: str
    executor: str
    scheduler: object
    C: float
    l1_ratio: float
    l1_ratios: list
    Cs: object
    cv: int | None
    cov_type: str
    penalized: str
    reference_class: object
    holdout: float
    seed: int
    impute: str | None
    features: list | None
    exclude: list | None
    categorical: list | None
    min_frequency: object
    max_categories: int | None
    drop_missing_target: bool
    dialect: object
    file_format: str | None
    batch_size: int
    solver: str
    tol: float
    max_iter: int | None
    learning_rate: object
    class_weight: object
    formula: str | None

    @property
    def fit_intercept(self) -> bool:
        """A formula's ``0 +`` or ``- 1`` fits without intercept; a table always has one."""
        return self.formula is None or formula_has_intercept(self.formula)

    @property
    def reference_coding(self) -> bool:
        """Drop each categorical column's first category: an unpenalised fit with an
        intercept is not identifiable with a full one-hot block."""
        return math.isinf(self.C) and self.cv is None and self.formula is None


def fit_table(
    data=None,
    target=None,
    *,
    formula=None,
    executor="memory",
    scheduler=None,
    C=1.0,
    l1_ratio=0.0,
    class_weight=None,
    cv=None,
    Cs=10,
    l1_ratios=None,
    cov_type=None,
    penalized="error",
    reference_class=None,
    holdout=0.0,
    seed=0,
    impute=None,
    features=None,
    exclude=None,
    categorical=None,
    min_frequency=None,
    max_categories=None,
    drop_missing_target=False,
    dialect=None,
    file_format=None,
    batch_size=65536,
    solver="auto",
    tol=None,
    max_iter=None,
    learning_rate="auto",
    progress=None,
) -> TrainingResult:
    """Fit a logistic regression to a data table: preprocessing, fit, metrics, record.

    The feature columns are preprocessed by a :class:`logistic.tables.TablePreprocessor`
    (numbers and dates standardised, text and booleans one-hot encoded, sparse where the
    categories make the design wide; with ``C=np.inf`` the first category of each column
    is the reference and gets no column), learned on the training rows. A target of two values gives a binary model, of 3 to 1000 a multinomial one;
    the estimator sees class indices and gets the labels back as ``classes_``. The model
    is measured on the holdout rows (``holdout > 0``) or on the training rows
    (:mod:`logistic.metrics`), and in memory its standard errors are computed on the
    training rows when :func:`logistic.inference.why_no_standard_errors` allows them.

    Executors give the same coefficients up to the order of floating-point additions:

    ``"memory"``
        The table is read whole (:func:`logistic.tables.read_table`); holdout, ``cv``
        and standard errors are available.
    ``"stream"``
        The files are read batch by batch in every pass: pass 1 learns the preprocessing,
        pass 2 checks the rows and counts the classes
        (:class:`logistic.sources.StreamSource`), then every solver iteration is one or
        more passes, and a last pass measures the fit (ROC AUC None). Memory is a few
        batches of ``batch_size`` rows. The rows must be complete (no ``impute``).
    ``"dask"``
        Pass 1 here learns the preprocessing; the files are read by ``dask.dataframe``,
        preprocessed on the workers and fitted by :func:`logistic.dask.fit` (ROC AUC None).
        The files must be readable at the same path here and on the workers.

    Parameters
    ----------
    data : path, glob, directory, list of them, pyarrow.Table, pandas.DataFrame or None
        A CSV or Parquet file (in memory), or the files to stream (see
        :func:`logistic.tables.expand_paths`); a table (Arrow or pandas) in memory only; None is
        scikit-learn's breast-cancer data (569 rows, 30 numeric columns, target
        ``"target"``).
    target : str or None
        The label column; required with ``data`` unless ``formula`` names it.
    formula : str or None, default=None
        A Wilkinson formula, ``"target ~ terms"`` (``"admit ~ gre + C(rank) + gre:gpa"``;
        see :class:`logistic.tables.FormulaPreprocessor`): the design is the formula's
        columns, with its reference levels, interactions and transformations, and is
        stored in the model file so that ``predict`` applies it. It replaces ``features``,
        ``exclude``, ``categorical`` and the pooling options; ``0 +`` fits without
        intercept.
    executor : {"memory", "stream", "dask"}, default="memory"
    scheduler : distributed.Client, str or None, default=None
        With ``"dask"``: a client, a scheduler address (connected and closed here) or None
        for the default client.
    C, l1_ratio, class_weight, solver, tol, max_iter, learning_rate
        As in :class:`logistic.LogisticRegression`, except ``tol=None``: ``1e-8`` for an
        unpenalised fit (standard errors assume the exact optimum), else ``1e-4``.
    cv : int or None, default=None
        Choose ``C`` (and the l1 ratio) by ``cv``-fold cross-validation on held-out
        log-loss (:class:`logistic.LogisticRegressionCV`) and refit on every training row.
    Cs : int or sequence of float, default=10
        The grid of ``C`` with ``cv``: a count of values log-spaced from 1e-4 to 1e4, or
        the values.
    l1_ratios : sequence of float or None, default=None
        The grid of l1 ratios with ``cv``; None is ``[l1_ratio]``.
    cov_type : {"nonrobust", "HC0", "HC1"} or None, default=None
        The covariance of the standard errors (in memory); None is ``"nonrobust"``.
    penalized : {"error", "sandwich"}, default="error"
        ``"sandwich"``: the standard errors of a penalised (finite ``C``) L2 fit are the
        penalised estimator's variability (:func:`logistic.inference.inference`).
    reference_class : label or None, default=None
        The class the standard errors take the other classes' log-odds against (a label,
        or its text, e.g. ``"2"`` for the class 2); None: the first class (statsmodels'
        ``MNLogit``), and a binary model's classic table of ``classes_[1]``.
    holdout : float in [0, 1), default=0.0
        Fraction of the rows held out (stratified, shuffled with ``seed``) to measure the
        model on (in memory).
    seed : int, default=0
        Seeds the holdout split and the solvers' random choices (``sgd``).
    impute : {"mean", "most-frequent"} or None, default=None
        Fill missing values with values learned in training instead of failing.
    features : list of str or None, default=None
        The feature columns; None is every column but the target.
    exclude : list of str or None, default=None
        Columns left out of the features (identifiers, free text, leaks).
    categorical : list of str or None, default=None
        Columns to one-hot encode even though they hold numbers.
    min_frequency, max_categories : default=None
        Pool rare categories into one ``(other)`` level (see
        :class:`~logistic.tables.TablePreprocessor`).
    drop_missing_target : bool, default=False
        Drop the rows whose target is missing (and say how many) instead of failing.
    dialect : logistic.tables.CsvDialect, dict or None, default=None
        How CSV files are written: ``sep`` (None: detected), ``decimal``, ``thousands``,
        ``encoding`` (a dict of those is made a ``CsvDialect``); None is the default one.
    file_format : {"csv", "parquet"} or None, default=None
        The files' format whatever their names; None: told by the content and suffix.
    batch_size : int, default=65536
        Rows per record batch of the passes over files.
    progress : TrainingProgress or None, default=None
        Follows the run and receives its notes and warnings (a plain
        :class:`TrainingProgress`, which issues the warnings as Python warnings, when
        None). Pass one in to learn how far an interrupted run got (:meth:`~TrainingProgress.where`).

    Returns
    -------
    TrainingResult
        ``.save(path)`` writes the model file.

    Raises
    ------
    logistic.errors.InvalidParameterError
        An argument outside what is accepted, or not available with ``executor``.
    logistic.errors.DataError
        The data cannot be used as given (the message names the file, column or rows),
        or a separation leaves no finite unpenalised estimate.

    Notes
    -----
    Messages name options as keyword arguments (``C=np.inf``, ``holdout``,
    ``executor='stream'``, ``impute='mean'``, ``penalized='sandwich'``,
    ``class_weight=None``), so that another front end can substitute its own spelling, as
    the command line does.
    """
    args = dict(locals())
    progress = args.pop("progress") or TrainingProgress()
    plan = _checked(args)
    fit = {"memory": fit_in_memory, "stream": fit_streamed, "dask": fit_on_dask}
    return fit[plan.executor](plan, progress)


def from_formula(formula, data, *, C=math.inf, **kwargs) -> TrainingResult:
    """Fit the model a formula describes to a table: statsmodels' ``logit(formula,
    data).fit()`` as one call.

    ``from_formula("admit ~ gre + gpa + C(rank)", df)`` is :func:`fit_table` with
    ``formula=`` and, unlike it, an unpenalised fit by default (``C=np.inf``: the maximum
    likelihood estimate, with standard errors per unit of each column in
    ``result.inference``), as a statistician writing a formula expects.

    Parameters
    ----------
    formula : str
        ``"target ~ terms"`` (:class:`logistic.tables.FormulaPreprocessor`).
    data : pandas.DataFrame, pyarrow.Table, path or files
        As :func:`fit_table`'s ``data``.
    C : float, default=np.inf
    **kwargs
        Any other argument of :func:`fit_table`.

    Returns
    -------
    TrainingResult
    """
    return fit_table(data, formula=formula, C=C, **kwargs)


def _checked(args: dict) -> _Plan:
    """The plan of a call of :func:`fit_table` (its ``args``), once they are valid together."""
    executor, cv = args["executor"], args["cv"]
    if executor not in EXECUTORS:
        raise InvalidParameterError(
            f"executor={executor!r} is not accepted; executor accepts one of {list(EXECUTORS)}."
        )
    if args["formula"] is not None:
        _check_formula(args)
    if args["data"] is None:
        if executor != "memory":
            raise InvalidParameterError(f"executor={executor!r} needs data: the files to read.")
        args["target"] = args["target"] or "target"
    elif args["target"] is None:
        raise InvalidParameterError("target=None: name the column to predict (target='...').")
    if args["scheduler"] is not None and executor != "dask":
        raise InvalidParameterError("scheduler is used with executor='dask' only.")
    if executor != "memory":
        _check_out_of_core(args)
    if not 0.0 <= args["holdout"] < 1.0:
        raise InvalidParameterError(
            f"holdout={args['holdout']!r} is not accepted; holdout accepts a fraction in [0, 1)."
        )
    if args["l1_ratios"] is not None and cv is None:
        raise InvalidParameterError(
            f"l1_ratios={list(args['l1_ratios'])!r} is a grid, and only cv chooses from a "
            "grid; give l1_ratio, or add cv=K."
        )
    if cv is not None and args["learning_rate"] != "auto":
        raise InvalidParameterError(
            "learning_rate is not used with cv (the cross-validated fits use 'auto')."
        )
    args["cov_type"] = args["cov_type"] or "nonrobust"
    if args["cov_type"] not in _COV_TYPES:
        raise InvalidParameterError(
            f"cov_type={args['cov_type']!r} is not accepted; cov_type accepts one of "
            f"{list(_COV_TYPES)}."
        )
    if args["penalized"] not in ("error", "sandwich"):
        raise InvalidParameterError(
            f"penalized={args['penalized']!r} is not accepted; penalized accepts 'error' or "
            "'sandwich'."
        )
    for key in ("features", "exclude", "categorical"):
        if isinstance(args[key], str):
            args[key] = [args[key]]  # one column name
    check_pooling(args["min_frequency"], args["max_categories"])
    data = args["data"]
    if hasattr(data, "columns") and hasattr(data, "iloc"):  # a pandas DataFrame
        args["data"] = as_arrow_table(data)
    if isinstance(args["dialect"], dict):
        args["dialect"] = CsvDialect(**args["dialect"])
    elif args["dialect"] is not None and not isinstance(args["dialect"], CsvDialect):
        raise InvalidParameterError(
            f"dialect={args['dialect']!r} is not accepted; dialect accepts a "
            "logistic.tables.CsvDialect, a dict of its fields or None."
        )
    if args["file_format"] not in (None, "csv", "parquet"):
        raise InvalidParameterError(
            f"file_format={args['file_format']!r} is not accepted; file_format accepts "
            "'csv', 'parquet' or None (told by the files)."
        )
    if args["l1_ratios"] is None:
        args["l1_ratios"] = [args["l1_ratio"]]
    if args["tol"] is None:
        args["tol"] = 1e-8 if math.isinf(float(args["C"])) and cv is None else 1e-4
    return _Plan(**args)


def _check_formula(args) -> None:
    """A formula names the target and the columns: the options that would too are refused."""
    target, _, variables = parse_formula(args["formula"])
    if args["target"] is not None and args["target"] != target:
        raise InvalidParameterError(
            f"target={args['target']!r} but the formula's target is {target!r}; give one, "
            "or the same."
        )
    for key in ("features", "exclude", "categorical", "min_frequency", "max_categories"):
        if args[key] is not None:
            raise InvalidParameterError(
                f"{key}= is not used with formula=: the formula chooses and codes the "
                "columns (C(x) for categories, C(x, Treatment('b')) for the reference level)."
            )
    args["target"], args["features"] = target, variables


def _check_out_of_core(args) -> None:
    """What only a table in memory offers, refused for the other executors."""
    import pyarrow as pa

    executor = args["executor"]
    where = f"with executor={executor!r}"
    if isinstance(args["data"], pa.Table):
        raise InvalidParameterError(
            f"data is a table in memory, which is trained in memory; {where}, data accepts "
            "files (a path, a glob, a directory or a list of them)."
        )
    if args["holdout"] > 0:
        raise InvalidParameterError(
            f"holdout is not available {where} (it would need the row order in memory); keep "
            "the evaluation rows in separate files and measure the model on them."
        )
    if args["cv"] is not None:
        raise InvalidParameterError(
            f"cv is not available {where}: cross-validation refits on row subsets in memory; "
            "choose C with cv on a sample, then train with that C."
        )
    if args["cov_type"] is not None:
        raise InvalidParameterError(
            f"cov_type is not available {where}: standard errors are computed on the "
            "training rows in memory; train in memory for them."
        )
    if args["impute"] is not None and executor == "stream":
        raise InvalidParameterError(
            "impute is not available with executor='stream': streamed files must have no "
            "missing values (impute them first, or train in memory or with executor='dask')."
        )
