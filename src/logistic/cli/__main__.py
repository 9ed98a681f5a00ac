"""``python -m logistic.cli``: the ``logistic`` command."""

from . import main

main()
