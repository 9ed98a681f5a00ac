"""``logistic``: train, predict, evaluate, explain, summarise and report from the command line.

Every command reads CSV or Parquet files through :mod:`logistic.tables`, keeps its model in a
JSON file (:mod:`logistic.persistence`) and draws with :mod:`logistic.plots`; training is
:func:`logistic.training.fit_table` and the metrics are :mod:`logistic.metrics`. The command
line is a client of the library's public API only (``tests/test_architecture.py`` keeps it
so), one module per command:

============  ==============================================================================
``train``     :mod:`logistic.cli.train` (progress bar ``_progress``, report ``_train_report``)
``predict``   :mod:`logistic.cli.predict`
``evaluate``  :mod:`logistic.cli.evaluate`
``explain``   :mod:`logistic.cli.explain`
``summary``   :mod:`logistic.cli.summary`
``report``    :mod:`logistic.cli.report` (one HTML page, :func:`logistic.report`)
============  ==============================================================================

and the pieces they share: ``_app`` (the Typer app, exit statuses), ``_output`` (stdout and
stderr, numbers, JSON), ``_options`` (choices, option types, parsing of option values, the
library's option spelling turned into the flags') and ``_inputs`` (model and data files).

Conventions: results go to stdout (a rich table, or JSON with ``--json``); progress,
warnings and errors go to stderr. A mistake of the user (a bad option, a missing column, an
unreadable or malformed file, an unwritable output path) ends with exit status 2 and one line
``error: ...`` on stderr, never a traceback, and writes no output file. Ctrl-C during
training exits with status 130 and writes no model.
"""

from . import evaluate, explain, predict, report, summary, train  # noqa: F401  (registers the commands)
from ._app import app, main, run

__all__ = ["app", "main", "run"]
