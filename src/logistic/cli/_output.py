"""Where a command writes and how it spells numbers: results on stdout (rich tables, or JSON
with ``--json``), notes and warnings on stderr.

Imported by the application itself (``one_line``), so it imports NumPy, rich's consoles and
the library only where they are used: ``logistic --help`` and a mistyped option need none.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

__all__ = ["Output", "check_outputs", "json_default", "num", "one_line", "py"]


class Output:
    """The two consoles of a command and what ``--quiet`` and ``--json`` let through.

    Parameters
    ----------
    quiet : bool
        Print nothing but errors (and data asked for on stdout).
    as_json : bool
        Print one JSON document on stdout instead of tables and lines; notes are hidden.
    """

    def __init__(self, quiet=False, as_json=False):
        from rich.console import Console

        self.quiet = quiet
        self.as_json = as_json
        # Not a terminal (a pipe, a file, a test): fixed widths, so output does not depend
        # on where it goes.
        width = None if sys.stdout.isatty() else 120
        self.out = Console(file=sys.stdout, width=width, highlight=False)
        self.err = Console(
            file=sys.stderr, highlight=False, width=None if sys.stderr.isatty() else 200
        )

    @property
    def shows_results(self) -> bool:
        """Tables and lines reach stdout (neither --quiet nor --json)."""
        return not self.quiet and not self.as_json

    def info(self, text):
        """A progress note on stderr (hidden by --quiet and --json)."""
        if self.shows_results:
            self.err.print(text, markup=False, highlight=False, soft_wrap=True)

    def warn(self, text):
        """A warning line on stderr (hidden by --quiet)."""
        if not self.quiet:
            self.err.print(
                f"warning: {text}", markup=False, highlight=False, style="yellow", soft_wrap=True
            )

    def table(self, table, title=None):
        """A rich table on stdout, its title on a line of its own (never wrapped)."""
        if self.shows_results:
            if title:
                from rich.text import Text

                self.out.print(Text(title, style="bold"))
            self.out.print(table)

    def line(self, text):
        """A line of results on stdout, printed as it is (no markup, never wrapped)."""
        if self.shows_results:
            self.out.print(text, markup=False, highlight=False, soft_wrap=True)

    def json(self, doc):
        """``doc`` as indented JSON on stdout, with --json only."""
        if self.as_json:
            sys.stdout.write(json.dumps(doc, indent=2, default=json_default) + "\n")
            sys.stdout.flush()


def check_outputs(directory, names, what, *, inputs) -> None:
    """Refuse, before any work, a file ``names`` in ``directory`` (None: nothing written)
    that cannot be written or is one of the command's ``inputs``
    (:func:`logistic.tables.check_output_path`)."""
    if directory is None:
        return
    from logistic.tables import check_output_path

    for name in names:
        check_output_path(Path(directory) / name, what, inputs=inputs)


def json_default(v):
    """NumPy scalars and arrays, and paths, as JSON values."""
    import numpy as np

    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, Path):
        return str(v)
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def num(v, digits=6) -> str:
    """``v`` to ``digits`` significant digits; ``n/a`` for None, ``inf``/``nan`` as such."""
    if v is None:
        return "n/a"
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return f"{v:.{digits}g}"


def py(v):
    """A NumPy scalar as the Python scalar it holds (labels in JSON and messages)."""
    import numpy as np

    return v.item() if isinstance(v, np.generic) else v


def one_line(text) -> str:
    """``text`` with every run of whitespace (line breaks included) one space."""
    return " ".join(str(text).split())
