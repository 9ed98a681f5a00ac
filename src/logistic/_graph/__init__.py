"""The computation graph's implementation; :mod:`logistic.graph` is its public face.

- :mod:`._nodes` the registry of each link's activation and loss nodes (formulas, literal
  local derivatives), keyed by ``Link.name``;
- :mod:`._compute` the graph evaluated on rows (:class:`ComputationGraph`, ``explain``,
  ``gradient_check``), written once over that registry;
- :mod:`._trace` the traces it returns and how they print.
"""
