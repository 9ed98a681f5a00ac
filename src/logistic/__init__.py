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
from .errors import (
    DataError,
    DataWarning,
    DivergenceError,
    InvalidParameterError,
    ModelFileError,
    SeparationWarning,
)

# Every other public name is imported on first use (PEP 562 module ``__getattr__``), so that
# ``import logistic`` and the command line, which needs only a few of them, stay light:
# name -> the module (relative to this package) that defines it.
_LAZY = {
    "LogisticRegression": "._estimator",
    "LogisticRegressionCV": "._cv",
    "ConvergenceWarning": ".errors",  # scikit-learn's subclass (logistic.errors)
    "explain": ".graph",
    "gradient_check": ".graph",
    "load": ".persistence",
    "save": ".persistence",
    "report": "._report",
    "from_formula": ".training",
    "__version__": "._version",  # read from the package metadata (importlib.metadata)
}
# The public subpackages, imported on first attribute access too, as the eager imports of
# the estimators used to make ``import logistic; logistic.tables.read_table(...)`` work
# (not ``dask``, an optional dependency: ``import logistic.dask``).
_SUBPACKAGES = frozenset(
    {
        "graph",
        "inference",
        "metrics",
        "objective",
        "persistence",
        "plots",
        "solvers",
        "sources",
        "tables",
        "training",
    }
)

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
    import importlib

    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)  # sets the attribute itself
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'logistic' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups do not come here
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
