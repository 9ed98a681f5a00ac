"""The seeds' computation graph, node by node, with every local derivative on real data.

Forward, for either link (``n_out`` outputs: 1 for two classes, ``K`` for the softmax)::

    x, W, b --[linear]--> z = W^T x + b --[activation]--> a --[loss]--> L

    binomial  a = sigmoid(z) = 1 / (1 + e^-z)   L = -(y log a + (1 - y) log(1 - a))
    softmax   a_k = e^z_k / sum_j e^z_j         L = -sum_k y_k log a_k   (y one-hot)

Local derivatives, exactly as the seeds derive them::

    dz/dW = x        dz/db = 1
    binomial  da/dz = a (1 - a)                 dL/da = (1 - y) / (1 - a) - y / a
    softmax   da/dz = diag(a) - a a^T           dL/da_k = -y_k / a_k

Chain rule, the same for both::

    dL/dz = (da/dz)^T dL/da = a - y             (seed 003, component 3)
    dL/dW = x (a - y)^T        dL/db = a - y

Averaged over ``m`` examples: ``dJ/dW = X^T (A - Y) / m``, ``dJ/db = mean(a - y)``.

The graph is a test oracle and a teaching tool, never the hot path: it evaluates each node
literally (``dL/da`` divides by ``a``), which is exactly why it breaks where the fused kernel
does not. Once an ``a_k`` rounds to 0 or 1 (``|z| > 36.7`` in float64), ``dL/da`` is infinite
or ``da/dz`` is 0, so the literal chain product is ``inf * 0 = nan``, while the fused
``a - y`` never divides and stays exact. Each trace says when that happens and why.

API
---
:func:`explain` (``model, x, y``) returns an :class:`ExampleTrace` for one row and a
:class:`BatchTrace` for several, whatever the link; :func:`gradient_check` compares the
graph's gradient with finite differences; :class:`ComputationGraph` is the graph of given
parameters. The link-specific nodes (formulas and their literal evaluation) are data:
:data:`NODES`, one :class:`LinkNodes` per ``Link.name``.
"""

from ._graph._compute import ComputationGraph, GradientCheck, explain, gradient_check
from ._graph._nodes import NODES, LinkNodes
from ._graph._trace import BatchTrace, ExampleTrace, FeatureTable

__all__ = [
    "NODES",
    "BatchTrace",
    "ComputationGraph",
    "ExampleTrace",
    "FeatureTable",
    "GradientCheck",
    "LinkNodes",
    "explain",
    "gradient_check",
]
