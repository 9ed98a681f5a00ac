"""The reference-class parametrisation of a fitted model: which class is the reference, the
names of the parameters and their values (one place for the rule, used by the inference and
by the model files that store it).

A softmax fit has ``K`` coefficient vectors ``W_k`` with intercepts ``b_k``, identified only
up to a common shift. Against the reference class ``r`` the identified parameters are the
contrasts ``beta_k = [W_k, b_k] - [W_r, b_r]`` for ``k != r`` (statsmodels' ``MNLogit``
and R's ``nnet::multinom``): ``beta_k`` is the log-odds of class ``k`` against ``r``,
``log(P(k) / P(r)) = x~ . beta_k``. They are laid out class by class (``K - 1`` blocks of
``p~ = n_features + fit_intercept``, features then the intercept) and named
``"<class>:<feature>"`` (``"versicolor:petal length (cm)"``, ``"versicolor:intercept"``),
as R names them. A binary fit (``coef_`` of one row) is the softmax with ``W_0 = 0``, so
against ``classes_[0]`` its one block is the classic ``(w, b)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import DataError, InvalidParameterError


def label_text(label) -> str:
    """A class label as the text of parameter names (a NumPy scalar as its Python value)."""
    return str(label.item() if isinstance(label, np.generic) else label)


def reference_index(classes, reference, name="reference") -> int:
    """The position of ``reference`` in ``classes``: equal to a label, or to its text
    (``"2"`` for the class 2, as the command line passes it); None is 0, the first class.
    ``name`` is the argument's name in the error message.

    Raises
    ------
    logistic.errors.InvalidParameterError
        ``reference`` is not one of the labels; the message lists them.
    """
    labels = [c.item() if isinstance(c, np.generic) else c for c in classes]
    if reference is None:
        return 0
    ref = reference.item() if isinstance(reference, np.generic) else reference
    for j, c in enumerate(labels):
        if type(c) is type(ref) and c == ref:
            return j
    for j, c in enumerate(labels):
        if str(c) == str(ref):
            return j
    raise InvalidParameterError(
        f"{name}={reference!r} is not a class of this model; it accepts one of {labels!r}."
    )


def reference_names(feature_names, classes, ref: int, fit_intercept: bool) -> list[str]:
    """``"<class>:<feature>"`` for every class but ``classes[ref]``, features then
    ``"intercept"`` in each block."""
    per_class = [*feature_names, "intercept"] if fit_intercept else list(feature_names)
    return [f"{label_text(c)}:{f}" for j, c in enumerate(classes) if j != ref for f in per_class]


def symmetric_params(coef, intercept, fit_intercept: bool) -> np.ndarray:
    """``[W_k, b_k]`` as a float64 array of shape (K, p~); a binary ``coef`` of one row is
    the softmax with ``W_0 = 0``."""
    W = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    b = np.atleast_1d(np.asarray(intercept, dtype=np.float64)).ravel()
    if W.shape[0] == 1:
        W = np.vstack([np.zeros_like(W), W])
        b = np.concatenate([np.zeros(1), b[:1]])
    return np.column_stack([W, b[: W.shape[0]]]) if fit_intercept else W


def reference_params(coef, intercept, ref: int, fit_intercept: bool) -> np.ndarray:
    """The contrasts ``beta_k = [W_k, b_k] - [W_ref, b_ref]`` for ``k != ref``, raveled
    class by class: shape ((K - 1) p~,)."""
    S = symmetric_params(coef, intercept, fit_intercept)
    return np.delete(S - S[ref], ref, axis=0).ravel()


def parameter_layout(block, classes, feature_names, coef, intercept, fit_intercept):
    """``(names, values)`` a stored inference ``block`` must have for this model.

    A block with a ``"reference"`` label (every multinomial one; a binary one when a
    reference was asked for) is in the reference parametrisation; a binary block without
    it has the classic names (features, then ``"intercept"``) and values ``(w, b)``.

    Raises
    ------
    logistic.errors.DataError
        A multinomial block without a reference, or one naming no class of the model.
    """
    K = len(classes)
    has_ref = isinstance(block, Mapping) and "reference" in block
    if K == 2 and not has_ref:
        names = [*feature_names, "intercept"] if fit_intercept else list(feature_names)
        values = np.append(np.ravel(coef), np.ravel(intercept)[: int(bool(fit_intercept))])
        return names, values.astype(np.float64)
    if not has_ref:
        raise DataError(
            f"the inference of a model of {K} classes needs its 'reference' class; it "
            "accepts one of the model's labels."
        )
    try:
        ref = reference_index(classes, block["reference"])
    except InvalidParameterError as exc:
        raise DataError(str(exc)) from None
    names = reference_names(feature_names, classes, ref, fit_intercept)
    return names, reference_params(coef, intercept, ref, fit_intercept)
