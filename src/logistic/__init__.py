"""logistic: the seeds' logistic regression as real software.

``z = X w + b``, ``a = sigmoid(z)``, ``L = BCE(a, y)``; ``dL/dz = a - y``, ``dL/dw = X^T (a - y)
/ m``, ``dL/db = mean(a - y)``; trained by gradient descent or faster solvers, for two
classes or more (softmax), on rows in memory, streamed from files or on a Dask cluster.

The public API is what this module exports, and the documented subpackages:
:mod:`logistic.solvers` (the registry), :mod:`logistic.sources` (the executors),
:mod:`logistic.objective` (the objective and its links), :mod:`logistic.inference`,
:mod:`logistic.tables` (data files and their preprocessing), :mod:`logistic.persistence`,
:mod:`logistic.plots`, :mod:`logistic.dask` and :mod:`logistic.errors`. Modules whose name
starts with an underscore are implementation details (docs/architecture.md).
"""

from . import errors
from ._cv import LogisticRegressionCV
from ._estimator import LogisticRegression
from ._report import report
from ._version import __version__
from .errors import (
    ConvergenceWarning,
    DataError,
    DataWarning,
    DivergenceError,
    InvalidParameterError,
    ModelFileError,
    SeparationWarning,
)
from .graph import explain, gradient_check
from .persistence import load, save

__all__ = [
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "DivergenceError",
    "InvalidParameterError",
    "LogisticRegression",
    "LogisticRegressionCV",
    "ModelFileError",
    "SeparationWarning",
    "__version__",
    "errors",
    "explain",
    "from_formula",
    "gradient_check",
    "load",
    "report",
    "save",
]


def __getattr__(name):
    # from_formula is the training layer's; imported on first use, so that importing the
    # package does not load the table readers and formulaic
    if name == "from_formula":
        from .training import from_formula

        return from_formula
    raise AttributeError(f"module 'logistic' has no attribute {name!r}")
