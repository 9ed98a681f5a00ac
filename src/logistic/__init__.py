"""logistic: the seeds' logistic regression as real software.

``z = X w + b``, ``a = sigmoid(z)``, ``L = BCE(a, y)``; ``dL/dz = a - y``, ``dL/dw = X^T (a - y)
/ m``, ``dL/db = mean(a - y)``; trained by gradient descent or faster solvers.
"""

from . import errors
from .errors import ConvergenceWarning, DataError, DivergenceError, InvalidParameterError
from .estimator import LogisticRegression
from .graph import explain, gradient_check

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "DataError",
    "DivergenceError",
    "InvalidParameterError",
    "LogisticRegression",
    "__version__",
    "errors",
    "explain",
    "gradient_check",
]
