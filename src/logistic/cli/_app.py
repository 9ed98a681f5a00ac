"""The ``logistic`` Typer application and :func:`run`, which turns every way a command can
end into an exit status and at most one line on stderr: 0 done, 1 a failure that is not the
user's (a Dask cluster lost mid-fit), 2 a user mistake, 130 / 143 interrupted (SIGINT /
SIGTERM, :mod:`logistic.cli._signals`)."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings

import typer

from logistic.errors import LogisticError, UserInputError

from . import _signals
from ._output import one_line

__all__ = ["EXIT_FAILURE", "EXIT_USAGE", "app", "run"]

EXIT_FAILURE = 1
EXIT_USAGE = 2

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


def run(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit code.

    User mistakes are reported as one ``error: ...`` line on stderr with code 2, another
    library error (:class:`logistic.errors.LogisticError`) as one line with code 1, an
    interrupt as one line with ``128 + signum`` (:func:`logistic.cli._signals.report`).
    Installs no signal handler (the console script's ``logistic.cli.main`` does).
    """
    command = typer.main.get_command(app)
    args = sys.argv[1:] if argv is None else list(argv)
    quiet = any(a in ("-q", "--quiet") for a in args)
    with warnings.catch_warnings():
        # A warning no command turned into a line of its own (a library DataWarning met
        # while streaming, a dependency's): one line, in the command line's spelling, once.
        warnings.simplefilter("default")
        warnings.showwarning = _one_line_warning(quiet)
        return _run(command, args)


def _one_line_warning(quiet: bool):
    from ._options import cli_spelling

    seen = set()

    def show(message, category, filename, lineno, file=None, line=None):
        text = cli_spelling(one_line(message))
        if quiet or text in seen:
            return
        seen.add(text)
        print(f"warning: {text}", file=sys.stderr)

    return show


def _run(command, argv) -> int:
    try:
        # Not command.main(): it would turn a KeyboardInterrupt into status 130 silently,
        # whatever the signal was.
        with command.make_context("logistic", list(argv)) as ctx:
            rv = command.invoke(ctx)
    except typer.TyperException as exc:
        # Typer's own (vendored click) usage errors: bad option, missing argument...
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            # `logistic` alone: the help text is the answer, not an error. Building the
            # exception rendered it already (Typer's rich help prints as it formats); the
            # plain formatter returns it instead.
            text = exc.format_message()
            if text.strip():
                print(text)
            return 0
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        message = message.replace("Value error, ", "")  # pydantic's prefix, no information
        print(f"error: {one_line(message)}{hint}", file=sys.stderr)
        return int(getattr(exc, "exit_code", EXIT_USAGE) or EXIT_USAGE)
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except KeyboardInterrupt as exc:
        return _signals.report(exc)
    except typer.Abort:  # a prompt's Ctrl-C, as click reports it
        return _signals.report(KeyboardInterrupt())
    except UserInputError as exc:
        from ._options import cli_spelling  # the library's option spelling as flags

        print(f"error: {cli_spelling(one_line(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except LogisticError as exc:  # not the user's mistake: the cluster went away ...
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return EXIT_FAILURE
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
