"""What a finished fit says to its user: an error when the inputs were beyond float64, a
warning when it did not converge.

An unpenalised fit of separable data does not warn here: scikit-learn's ``C=np.inf`` fits
give no warning (its own regression test), and :func:`logistic.inference.inference` (and
``LogisticRegression.inference``) name the separating features when standard errors are
asked for."""

from __future__ import annotations

import math
import warnings

from .errors import ConvergenceWarning, DataError

__all__ = ["check_result", "numeric_failure"]

# A gradient this large at the end of a fit on any input a float64 fit can handle: the
# products of the features (or the weights, or the offsets) overflowed.
_DEGENERATE_GRAD = 1e50

_TOO_LARGE = (
    "the features, sample weights or offsets are too large for float64 arithmetic (products "
    "of values beyond ~1e150 overflow); standardise X (StandardScaler, or the table "
    "preprocessing of logistic.tables) and keep weights and offsets moderate"
)


def numeric_failure(exc) -> DataError:
    """The error for a fit stopped by a floating-point failure ``exc``."""
    return DataError(f"the fit failed numerically ({exc}): {_TOO_LARGE}.")


def check_result(result, *, tol, stacklevel=4) -> None:
    """Raise or warn on a fit's :class:`~logistic.solvers.SolverResult`.

    Raises
    ------
    DataError
        The fit ended with a gradient beyond :data:`_DEGENERATE_GRAD` or not finite: its
        result would be the start (an all-zero model) or meaningless.

    Warns
    -----
    ConvergenceWarning
        ``max|grad| > tol`` at the end.
    """
    if not math.isfinite(result.grad_norm) or result.grad_norm > _DEGENERATE_GRAD:
        raise DataError(
            f"{result.solver} could not fit: max|grad| = {result.grad_norm:.3g} after "
            f"{result.n_iter} iterations, so {_TOO_LARGE}."
        )
    if not result.converged:
        warnings.warn(
            f"{result.solver} failed to converge after {result.n_iter} iterations: "
            f"max|grad|={result.grad_norm:.3g} > tol={tol:g} ({result.message}). "
            "Increase the number of iterations (max_iter), loosen tol, or standardise "
            "the features.",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
