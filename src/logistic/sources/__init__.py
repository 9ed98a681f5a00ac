"""Who holds the rows: the executors, each a :class:`Source`.

Every executor provides its shape and weight, ``aggregate(task)`` (run a reduction over its
chunks of rows, wherever they are) and ``minibatches``; every pass the objective needs
(loss, gradient, Hessian, Hessian-vector products, line-search sums, Gram matrices) is
derived from ``aggregate`` by :class:`Source`, and what an executor can do beyond that is
declared in its ``capabilities`` (:data:`CAPABILITIES`). A new executor (another cluster
engine, another array library) is a new module here with a ``Source`` subclass.

- :class:`InMemorySource`: NumPy or CSR rows in memory, in cache-sized blocks on threads;
- :class:`StreamSource`: Parquet or CSV files read batch by batch in every pass;
- :class:`DaskSource`: row chunks held by the workers of a Dask cluster.

:func:`kernel_backend` switches the kernels (both links) between their compiled loops and
the NumPy reference, for tests and A/B measurements.
"""

from .._kernel import use_backend as kernel_backend
from ._base import CAPABILITIES, Source
from .dask import DaskSource
from .memory import InMemorySource
from .stream import StreamSource

__all__ = [
    "CAPABILITIES",
    "DaskSource",
    "InMemorySource",
    "Source",
    "StreamSource",
    "kernel_backend",
]
