"""The nodes of each link's computation graph, as data: one :class:`LinkNodes` per link name.

Every link shares the linear node ``z = W^T x + b`` (``dz/dW = x``, ``dz/db = 1``) and the
chain rule that follows it (``dL/dz = (da/dz)^T dL/da``, fused ``a - y``; ``dL/dW = x
(a - y)^T``, ``dL/db = a - y``). What differs between links is the activation and the loss:
their formulas as the seeds write them and their *literal* evaluation, the one that divides
by ``a`` and multiplies by ``a (1 - a)``. That is all an entry here holds; the trace, its
tables, its JSON, the gradient check and the picture are written once, over these entries.

Shapes, for a link of ``n_out`` outputs: ``z``, ``a`` and ``y`` (the true class in the
link's output coordinates: 0/1 for the binomial, one-hot for the softmax) are (n_out,), a
Jacobian is (n_out, n_out).

A new link registers its nodes with an entry of :data:`NODES` under its ``Link.name``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .._math import sigmoid_derivative

__all__ = ["NODES", "LinkNodes", "nodes_for"]


@dataclass(frozen=True)
class LinkNodes:
    """The activation and loss nodes of one link.

    Attributes
    ----------
    link : str
        The ``name`` of the :class:`~logistic.objective.Link` these nodes belong to.
    activation, loss : str
        Short names of the activation and loss nodes (``"sigmoid"``, ``"BCE"``).
    weights : str
        The symbol of the weights: ``"w"`` for a vector, ``"W"`` for a matrix.
    formulas : Mapping[str, str]
        The plain-text formula of each quantity, for tables. Keys: ``z``, ``a``, ``L``,
        ``dL/da``, ``da/dz``, ``dL/dz (chain)``, ``dL/dz (fused)``, ``dz/db``, ``dL/db``,
        ``dz/dw``, ``dL/dw``, ``J``, ``dJ/db``, ``dJ/dw``.
    pretty : Mapping[str, str]
        The same with mathematical symbols, for pictures. Keys: ``z``, ``a``, ``L``,
        ``dL/da``, ``da/dz``, ``chain``, ``fused``, ``dL/db``, ``dL/dw``.
    dL_da : callable ``(a, y) -> (n_out,)``
        The loss node's local derivative, evaluated literally (it divides by ``a``).
    da_dz : callable ``(a) -> (n_out, n_out)``
        The activation's Jacobian, evaluated literally from ``a``.
    da_dz_stable : callable ``(z, a) -> (n_out, n_out)``
        The same Jacobian computed without the cancellation ``1 - a`` suffers once ``a``
        rounds to 1: what the literal one should have been.
    loss_literal : callable ``(a, y) -> float``
        The loss evaluated from ``a`` as the seeds write it (``inf`` once ``a`` rounds).
    note : str
        Why the literal chain fails on a saturated row, a :meth:`str.format` template over
        ``z, a, dL_da, da_dz, da_dz_stable, chain, fused, L, L_literal`` (formatted numbers;
        a Jacobian as its diagonal).
    """

    link: str
    activation: str
    loss: str
    weights: str
    formulas: Mapping[str, str]
    pretty: Mapping[str, str]
    dL_da: Callable
    da_dz: Callable
    da_dz_stable: Callable
    loss_literal: Callable
    note: str


# -- binomial: a = sigmoid(z), L = BCE(a, y) (seeds 001-004) ---------------------------------
# A term whose factor y or 1 - y is 0 is left out rather than evaluated as 0 * inf: the seeds'
# formulas are meant for y in {0, 1}, where that term is absent.
def _bce_dL_da(a, y):
    return np.where(y != 1, (1 - y) / (1 - a), 0.0) - np.where(y != 0, y / a, 0.0)


def _bce_literal(a, y):
    terms = np.where(y != 0, y * np.log(a), 0.0) + np.where(y != 1, (1 - y) * np.log1p(-a), 0.0)
    return float(-terms.sum())


_BINOMIAL = LinkNodes(
    link="binomial",
    activation="sigmoid",
    loss="BCE",
    weights="w",
    formulas={
        "z": "w . x + b",
        "a": "sigmoid(z) = 1 / (1 + e^-z)",
        "L": "-(y log a + (1-y) log(1-a))",
        "dL/da": "(1-y)/(1-a) - y/a",
        "da/dz": "a (1 - a)",
        "dL/dz (chain)": "dL/da * da/dz",
        "dL/dz (fused)": "a - y",
        "dz/db": "1",
        "dL/db": "dL/dz * dz/db = a - y",
        "dz/dw": "x",
        "dL/dw": "(a - y) x",
        "J": "(1/m) sum L_i",
        "dJ/db": "(1/m) sum (a_i - y_i)",
        "dJ/dw": "(1/m) sum (a_i - y_i) x_ij",
    },
    pretty={
        "z": "z = w·x + b",
        "a": "a = σ(z)",
        "L": "L = BCE(a, y)",
        "dL/da": "∂L/∂a = (1−y)/(1−a) − y/a",
        "da/dz": "∂a/∂z = a(1−a)",
        "chain": "∂L/∂z = ∂L/∂a · ∂a/∂z",
        "fused": "a − y",
        "dL/db": "∂L/∂b = ∂L/∂z · 1",
        "dL/dw": "∂L/∂w = (a − y) x",
    },
    dL_da=_bce_dL_da,
    da_dz=lambda a: (a * (1 - a)).reshape(1, 1),
    # sigmoid(z) sigmoid(-z): both factors keep their relative precision in the tails.
    da_dz_stable=lambda z, a: sigmoid_derivative(z).reshape(1, 1),
    loss_literal=_bce_literal,
    note=(
        "a = sigmoid({z}) rounds to {a} in float64, so 1 - a or a is 0: dL/da = {dL_da} and "
        "da/dz = a(1-a) = {da_dz} (its true value is sigmoid(z) sigmoid(-z) = {da_dz_stable}), "
        "and the literal chain product is {chain}. The fused form dL/dz = a - y = {fused} "
        "never divides by a or 1 - a, so it stays exact; the library only ever uses it, and "
        "computes L from z (L = {L}) rather than from a (literal L = {L_literal})."
    ),
)


# -- softmax: a = softmax(z), L = -sum_k y_k log a_k (the multinomial model) -----------------
def _softmax_jacobian_stable(z, a):
    """``diag(a) - a a^T`` with the diagonal ``a_k (1 - a_k)`` as ``a_k sum_(j != k) a_j``.

    ``1 - a_k`` cancels only for the largest ``a_k`` (every other one is below 1/2), so that
    entry alone sums the other probabilities, each exact from the stable softmax.
    """
    del z  # a is already the stable softmax of z
    J = -np.outer(a, a)
    rest = 1.0 - a
    top = int(np.argmax(a))
    rest[top] = np.sum(np.delete(a, top))
    J[np.diag_indices_from(J)] = a * rest
    return J


_SOFTMAX = LinkNodes(
    link="softmax",
    activation="softmax",
    loss="cross-entropy",
    weights="W",
    formulas={
        "z": "w_k . x + b_k  (column k of W)",
        "a": "e^z_k / sum_j e^z_j",
        "L": "-sum_k y_k log a_k = logsumexp(z) - z_y",
        "dL/da": "-y_k / a_k",
        "da/dz": "a_k (1 - a_k)  (diagonal of diag(a) - a a^T)",
        "dL/dz (chain)": "sum_j dL/da_j * da_j/dz_k",
        "dL/dz (fused)": "a_k - y_k",
        "dz/db": "1",
        "dL/db": "dL/dz_k * dz_k/db_k = a_k - y_k",
        "dz/dw": "x",
        "dL/dw": "x (a_k - y_k)",
        "J": "(1/m) sum L_i",
        "dJ/db": "(1/m) sum (a_ik - y_ik)",
        "dJ/dw": "(1/m) sum (a_ik - y_ik) x_ij",
    },
    pretty={
        "z": "z = Wᵀx + b",
        "a": "a = softmax(z)",
        "L": "L = −log a_y",
        "dL/da": "∂L/∂a_k = −y_k/a_k",
        "da/dz": "∂a/∂z = diag(a) − a aᵀ",
        "chain": "∂L/∂z = (∂a/∂z)ᵀ ∂L/∂a",
        "fused": "a − y",
        "dL/db": "∂L/∂b = a − y",
        "dL/dw": "∂L/∂W = x (a − y)ᵀ",
    },
    dL_da=lambda a, y: np.where(y != 0, -y / a, 0.0),
    da_dz=lambda a: np.diag(a) - np.outer(a, a),
    da_dz_stable=_softmax_jacobian_stable,
    loss_literal=lambda a, y: float(-np.where(y != 0, y * np.log(a), 0.0).sum()),
    note=(
        "a = softmax(z) = {a} has a probability that rounds to 0 or 1 in float64. The "
        "literal chain multiplies dL/da = -y/a = {dL_da}, infinite where a_y rounds to 0, by "
        "the Jacobian diag(a) - a a^T, whose diagonal a_k (1 - a_k) = {da_dz} cancels where "
        "a_k rounds to 1 (its true value a_k sum_(j != k) a_j = {da_dz_stable}): the literal "
        "chain product is {chain}. The fused form dL/dz = a - y = {fused} never divides by "
        "a, so it stays exact; the library only ever uses it, and computes L from z "
        "(L = logsumexp(z) - z_y = {L}) rather than from a (literal L = -log a_y = "
        "{L_literal})."
    ),
)

#: The nodes of every link, by ``Link.name``.
NODES: Mapping[str, LinkNodes] = {n.link: n for n in (_BINOMIAL, _SOFTMAX)}


def nodes_for(link) -> LinkNodes:
    """The :class:`LinkNodes` of ``link`` (a :class:`~logistic.objective.Link` or its name)."""
    name = getattr(link, "name", link)
    try:
        return NODES[name]
    except KeyError:
        raise ValueError(
            f"link {name!r} has no graph nodes; logistic.graph.NODES has {sorted(NODES)!r}."
        ) from None
