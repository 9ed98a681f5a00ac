"""Fit a model to a data table, in memory, streamed out of core or on a Dask cluster.

What ``logistic train`` does, as a function: :func:`fit_table` reads a CSV or Parquet table
(or streams files), learns the preprocessing (:class:`logistic.tables.TablePreprocessor`),
fits a :class:`logistic.LogisticRegression` (or chooses ``C`` by cross-validation),
measures it (:mod:`logistic.metrics`), computes its standard errors when they apply
(:mod:`logistic.inference`) and returns a :class:`TrainingResult`: the estimator, the
preprocessor, the metrics, the training record and the inference, and ``.save(path)`` for
the model file (:mod:`logistic.persistence`)::

    from logistic.training import fit_table

    result = fit_table("adult.csv", "income", impute="most-frequent", holdout=0.2)
    result.metrics["accuracy"], result.record["n_rows"]
    result.save("adult.json")

    fit_table("parts/*.parquet", "income", executor="stream", batch_size=100_000)

A :class:`TrainingProgress` follows the run: its hooks receive the notes, the warnings and
every solver iteration (the command line's progress bar is one), and after a
``KeyboardInterrupt`` its ``where()`` says how far the run got. The library prints nothing.
"""

from ._api import EXECUTORS, fit_table, from_formula
from ._progress import TrainingProgress
from ._result import TrainingResult

__all__ = ["EXECUTORS", "TrainingProgress", "TrainingResult", "fit_table", "from_formula"]
