"""The model being fitted: the mean-form objective over a source of rows, and its link.

:class:`Objective` (``source``, ``link``, ``C``, ``l1_ratio``, ``fit_intercept``) is what
every solver of :mod:`logistic.solvers` minimises; :class:`Binomial` and :class:`Softmax`
are the links of the two-class and the ``K``-class models (:func:`link_for` picks one by the
number of classes). The formulas are in :mod:`logistic._objective` and
:mod:`logistic._links`.
"""

from ._links import Binomial, Link, Softmax, link_for
from ._objective import CAPABILITIES, Objective

__all__ = ["CAPABILITIES", "Binomial", "Link", "Objective", "Softmax", "link_for"]
