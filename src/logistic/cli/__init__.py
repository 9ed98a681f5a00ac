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
``error: ...`` on stderr, never a traceback, and writes no output file. Ctrl-C (SIGINT) at
any moment, the application's own loading included, exits with status 130 and SIGTERM with
143, each with one line on stderr; an output being written is left as it was (``_signals``).

This module imports nothing but :mod:`sys` when it loads, so that the console script's
:func:`main` is in place to answer a Ctrl-C as early as possible; ``app`` and ``run`` load
the commands on first access.
"""

import sys

__all__ = ["app", "main", "run"]

# The modules that register a command on the application when imported.
_COMMANDS = ("evaluate", "explain", "predict", "report", "summary", "train")


def _application():
    """The ``_app`` module with every command registered."""
    import importlib

    for name in _COMMANDS:
        importlib.import_module(f".{name}", __name__)
    return importlib.import_module("._app", __name__)


def main() -> None:
    """Console-script entry point (``logistic``): run the command line with SIGTERM handled
    as Ctrl-C is; exits with the command's status (130 or 143 when stopped)."""
    try:
        from . import _signals

        with _signals.termination_as_interrupt():
            code = _application().run()
    except KeyboardInterrupt as exc:  # while the commands load, before run() answers
        from . import _signals

        code = _signals.report(exc)
    sys.exit(code)


def __getattr__(name):
    if name in ("app", "run"):
        return getattr(_application(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), "app", "run"])
