"""logistic: the seeds' logistic regression as real software.

``z = X w + b``, ``a = sigmoid(z)``, ``L = BCE(a, y)``; ``dL/dz = a - y``, ``dL/dw = X^T (a - y)
/ m``, ``dL/db = mean(a - y)``; trained by gradient descent or faster solvers.
"""

from . import errors
from .cv import LogisticRegressionCV
from .errors import (
    ConvergenceWarning,
    DataError,
    DivergenceError,
    InvalidParameterError,
    ModelFileError,
    SeparationWarning,
)
from .estimator import LogisticRegression
from .graph import explain, gradient_check
from .persistence import load, save

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "DataError",
    "DivergenceError",
    "InvalidParameterError",
    "LogisticRegression",
    "LogisticRegressionCV",
    "ModelFileError",
    "SeparationWarning",
    "__version__",
    "errors",
    "explain",
    "gradient_check",
    "load",
    "save",
]
