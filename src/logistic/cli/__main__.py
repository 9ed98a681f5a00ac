"""``python -m logistic.cli``: the ``logistic`` command."""

from ._app import main

main()
