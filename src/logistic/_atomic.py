"""Files written whole or not at all, and the digests that identify data.

:func:`atomic_write` is how every output of the library (model files, predictions, plots)
reaches the disk: through a temporary file in the same directory, renamed over the target
once complete, so that a crash never leaves a partial file. :func:`check_output_path` finds
an unwritable destination before any work is done. :func:`file_sha256` and
:func:`array_sha256` are the digests a model file records of its training data.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .errors import InvalidParameterError

__all__ = [
    "array_sha256",
    "atomic_write",
    "atomic_write_bytes",
    "check_output_path",
    "file_sha256",
    "write_csv",
]


# -- hashing ------------------------------------------------------------------------------
def file_sha256(path) -> str:
    """SHA-256 hex digest of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def array_sha256(*arrays) -> str:
    """SHA-256 of arrays' dtypes, shapes and C-ordered bytes (object arrays via str)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        if a.dtype == object:
            a = np.array([str(v) for v in a.ravel()]).reshape(a.shape)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


# -- atomic output ------------------------------------------------------------------------
def check_output_path(path, what="output") -> Path:
    """Check, before any work, that ``path`` can be written; returns it as a Path.

    The nearest existing ancestor directory must accept a new file (tested by creating and
    removing a temporary file there, which also catches read-only file systems); missing
    parent directories are created later by :func:`atomic_write`.

    Raises
    ------
    InvalidParameterError
        ``path`` is a directory, a parent is a file, or the directory is not writable.
    """
    path = Path(path)
    if path.is_dir():
        raise InvalidParameterError(
            f"cannot write {what} '{path}': it is a directory; give a file path."
        )
    parent = path.parent
    while not parent.exists():
        if parent.parent == parent:
            break
        parent = parent.parent
    if not parent.is_dir():
        raise InvalidParameterError(f"cannot write {what} '{path}': '{parent}' is not a directory.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".logistic-check-", dir=parent)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise InvalidParameterError(
            f"cannot write {what} '{path}': directory '{parent}' is not writable "
            f"({exc.strerror or exc})."
        ) from exc
    return path


@contextlib.contextmanager
def atomic_write(path) -> Iterator:
    """Open a binary file that appears at ``path`` only once completely written.

    Writes go to a temporary file in the same directory (created with its parents if
    needed), which is flushed, ``fsync``-ed and renamed over ``path`` with
    :func:`os.replace` (atomic on POSIX and Windows). On any exception, including
    KeyboardInterrupt, the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file 0600; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        with contextlib.suppress(AttributeError, OSError):
            os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # Persist the rename itself (POSIX); not possible on every platform.
    with contextlib.suppress(OSError, AttributeError):
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    with atomic_write(path) as fh:
        fh.write(data)


def write_csv(table: pa.Table, path) -> None:
    """Write a Table as CSV (header row, comma-separated) atomically."""
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink)
    atomic_write_bytes(path, sink.getvalue().to_pybytes())
