"""Every exception and warning the library raises on purpose.

A mistake of the caller (bad data, bad parameter, bad model file) is a subclass of
:class:`ValueError` or :class:`TypeError` whose message names the argument, the bad value
and what is accepted. The command line turns these into one line on stderr and exit code 2.
"""

from __future__ import annotations

import _thread

# The console script imports this module before its Ctrl-C handling is in place, so it
# imports nothing that imports more: typing.TYPE_CHECKING without typing (re, enum ...),
# a lock from _thread without threading (collections, functools).
TYPE_CHECKING = False
if TYPE_CHECKING:  # made on first access, by __getattr__ below
    from sklearn.exceptions import ConvergenceWarning, NotFittedError

__all__ = [
    "ClusterError",
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "DivergenceError",
    "InvalidParameterError",
    "LogisticError",
    "ModelFileError",
    "NotFittedError",
    "SeparationWarning",
    "UserInputError",
]


class LogisticError(Exception):
    """Base class of the errors raised on purpose by :mod:`logistic`."""


class UserInputError(LogisticError, ValueError):
    """A mistake of the caller: the message says what was given and what is accepted."""


class InvalidParameterError(UserInputError):
    """A constructor or ``fit`` parameter has a value outside what is accepted."""


class DataError(UserInputError):
    """``X``, ``y``, ``sample_weight`` or a data file cannot be used as given."""


class DivergenceError(UserInputError):
    """Gradient descent diverged: the loss became non-finite or grew without bound.

    Raised instead of returning NaN coefficients; the message names the learning rate and
    suggests a smaller one (or ``learning_rate="auto"``).
    """


class ModelFileError(UserInputError):
    """A model file is not valid JSON, not of our schema, or fails validation."""


class ClusterError(LogisticError, RuntimeError):
    """The Dask cluster a computation ran on went away before it ended: its scheduler
    closed or could not be reached, or the workers holding the data were lost for good.

    Not a mistake of the caller; the message names the scheduler's address and what
    happened. Raised by :mod:`logistic.dask` (``logistic.dask.cluster_errors``).
    """


class SeparationWarning(UserWarning):
    """The data are (quasi-)completely separated: the maximum likelihood estimate does not exist.

    The message names the features and the number of rows involved
    (:func:`logistic.inference.detect_separation`).
    """


class DataWarning(UserWarning):
    """The data can be used, but probably not as the user meant: an identifier-like
    column, a numeric column with a few text cells, labels that differ only by case or
    spaces, rows dropped. The message names the column, values and rows."""


# ConvergenceWarning and NotFittedError are scikit-learn's classes (a subclass, and a
# re-export), so that code written for scikit-learn catches and filters ours unchanged. They
# are made on first access (PEP 562 module ``__getattr__``): importing this module, the
# package or the command line does not import scikit-learn, which is most of their import
# time; ``from logistic.errors import ConvergenceWarning`` imports it then.
_FROM_SKLEARN = ("ConvergenceWarning", "NotFittedError")
_LOCK = _thread.allocate_lock()


def _convergence_warning(base):
    class ConvergenceWarning(base):
        """The solver stopped at ``max_iter`` before the gradient norm reached ``tol``.

        A subclass of scikit-learn's :class:`~sklearn.exceptions.ConvergenceWarning`, so the
        usual ``warnings.filterwarnings`` calls written for scikit-learn apply unchanged.
        """

    ConvergenceWarning.__qualname__ = "ConvergenceWarning"  # pickled by its module's name
    return ConvergenceWarning


def __getattr__(name):
    if name not in _FROM_SKLEARN:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _LOCK:  # one class object, whichever thread asks first
        if name not in globals():
            from sklearn import exceptions

            globals()["ConvergenceWarning"] = _convergence_warning(exceptions.ConvergenceWarning)
            # scikit-learn's ``check_is_fitted`` raises its own NotFittedError (a ValueError
            # and an AttributeError): re-exported, so that users catch one name from here.
            globals()["NotFittedError"] = exceptions.NotFittedError
    return globals()[name]


def __dir__():
    return sorted(set(globals()) | set(__all__))
