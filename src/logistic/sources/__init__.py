"""Who holds the rows. Each source only iterates chunks and adds :mod:`logistic.kernel` results.

A source exposes ``n_samples``, ``n_features``, ``dtype``, ``weight_sum`` and::

    stats(w, b, *, need_grad=True, need_hess=False) -> ChunkStats   # one pass over the rows
    gram_matvec(v_w, v_b) -> (vec_w, vec_b)                          # [X 1]^T S [X 1] v
    gram() -> ndarray (n + 1, n + 1)                                  # [X 1]^T S [X 1]
    minibatches(batch_size, rng) -> iterator of sources               # one shuffled epoch

A new executor (files, Dask, another array library) is a new module here, nothing else.
"""

from .dask import DaskSource
from .memory import InMemorySource
from .stream import StreamSource

__all__ = ["DaskSource", "InMemorySource", "StreamSource"]
