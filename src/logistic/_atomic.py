"""Files written whole or not at all, and the digests that identify data.

:func:`atomic_write` is how every output of the library (model files, predictions, plots)
reaches the disk: through a temporary file in the same directory, renamed over the target
once complete, so that a crash never leaves a partial file; inside :func:`written_together`
the renames of several outputs wait until every one of them is complete, so that a command's
outputs (a model and its pictures) appear together or not at all. :func:`check_output_path` finds
a destination that cannot or must not be written (a directory, a device, a pipe, one of the
command's inputs, an unwritable directory) before any work is done. :func:`file_sha256` and
:func:`array_sha256` are the digests a model file records of its training data.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import scipy.sparse as sp

from .errors import InvalidParameterError

__all__ = [
    "array_sha256",
    "atomic_write",
    "atomic_write_bytes",
    "check_output_path",
    "file_sha256",
    "write_csv",
    "written_together",
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
    """SHA-256 of arrays' dtypes, shapes and C-ordered bytes (object arrays via str; a
    sparse matrix by its CSR arrays)."""
    h = hashlib.sha256()
    for a in arrays:
        if sp.issparse(a):  # a CSR design: its shape and its three arrays
            a = a.tocsr()
            h.update(f"csr{a.shape}".encode())
            for part in (a.indptr, a.indices, a.data):
                h.update(f"{part.dtype.str}{part.shape}".encode())
                h.update(np.ascontiguousarray(part).tobytes())
            continue
        a = np.asarray(a)
        if a.dtype == object:
            a = np.array([str(v) for v in a.ravel()]).reshape(a.shape)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


# -- atomic output ------------------------------------------------------------------------
# What a path names when it is not a regular file, for the messages.
_SPECIAL = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def _real(path: Path) -> Path:
    """``path`` with its symbolic links followed: where the bytes would land."""
    return Path(os.path.realpath(path))


def _not_regular(path: Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file or a directory
    ("a character device" ...), else None. Symbolic links are followed."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        # A new file (or a link to one); a parent that is a file or cannot be searched is
        # found by the directory check that follows.
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return next((name for test, name in _SPECIAL if test(mode)), "a special file")


def _same_input(path: Path, inputs) -> Path | None:
    """The first of ``inputs`` that is the same file as ``path`` (same resolved path, or
    same device and inode: hard links, case-insensitive file systems), else None."""
    real = _real(path)
    for item in inputs or ():
        if not isinstance(item, str | os.PathLike):
            continue  # an in-memory table, None for the built-in data ...
        other = Path(item)
        if _real(other) == real:
            return other
        with contextlib.suppress(OSError):
            if os.path.samefile(other, path):
                return other
    return None


def check_output_path(path, what="output", *, inputs=(), hint="") -> Path:
    """Check, before any work, that ``path`` can be written; returns it as a Path.

    Accepted: a new file, or an existing regular file that is none of ``inputs``, in a
    directory that accepts a new file (tested by creating and removing a temporary file
    there, which also catches read-only file systems); missing parent directories are
    created later by :func:`atomic_write`. Symbolic links are followed: the file they point
    to is the one checked (and written).

    Refused: a directory; a character or block device (``/dev/null`` included: outputs go
    through a temporary file renamed into place, which would replace the device, and a
    model written nowhere is not a use), a named pipe or a socket; the same file as one of
    ``inputs``; a parent that is a file; an unwritable directory.

    Parameters
    ----------
    path : str or os.PathLike
    what : str, default="output"
        What is written ("model", "predictions", "plot"), for the message.
    inputs : iterable of str or os.PathLike, default=()
        The files the command reads (globs and directories already expanded); an output
        that is one of them, by any name, is refused. Other items (None, tables) are
        skipped.
    hint : str, default=""
        Appended to every refusal, e.g. "or omit -o to write on stdout".

    Raises
    ------
    InvalidParameterError
        One line naming ``path``, what it is and what is accepted.
    """
    path = Path(path)
    tail = f" ({hint})" if hint else ""

    def refuse(reason, accepted="give the path of a new or existing regular file"):
        return InvalidParameterError(f"cannot write {what} '{path}': {reason}; {accepted}{tail}.")

    if path.is_dir():
        raise refuse("it is a directory", "give a file path")
    special = _not_regular(path)
    if special is not None:
        raise refuse(f"it is {special}, not a regular file")
    same = _same_input(path, inputs)
    if same is not None:
        named = "also an input" if same == path else f"the same file as the input '{same}'"
        raise refuse(f"it is {named} of this command", "give another path, so that it is kept")
    parent = _real(path).parent
    while not parent.exists():
        if parent.parent == parent:
            break
        parent = parent.parent
    if not parent.is_dir():
        raise InvalidParameterError(
            f"cannot write {what} '{path}': '{parent}' is not a directory{tail}."
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=".logistic-check-", dir=parent)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise InvalidParameterError(
            f"cannot write {what} '{path}': directory '{parent}' is not writable "
            f"({exc.strerror or exc}){tail}."
        ) from exc
    return path


class _Outputs:
    """The files of one :func:`written_together` block: ``staged`` ``(temporary, path)``
    pairs complete on disk and waiting for their rename, ``written`` the paths renamed."""

    def __init__(self):
        self.staged: list[tuple[str, Path]] = []
        self.written: list[Path] = []

    def discard(self) -> None:
        for tmp, _ in self.staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self.staged = []

    def commit(self) -> None:
        try:
            while self.staged:
                tmp, path = self.staged[0]
                os.replace(tmp, path)
                self.staged.pop(0)
                self.written.append(path)
        except OSError as exc:
            missing = [str(path) for _, path in self.staged]
            self.discard()
            done = ", ".join(map(str, self.written)) or "nothing"
            raise OSError(
                exc.errno,
                f"{exc.strerror or exc}; written: {done}; not written: {', '.join(missing)}",
                missing[0],
            ) from exc
        except BaseException:  # an interrupt between two renames: the rest is not written
            self.discard()
            raise
        for parent in dict.fromkeys(path.parent for path in self.written):
            _sync_directory(parent)


_GROUP: contextvars.ContextVar[_Outputs | None] = contextvars.ContextVar(
    "logistic_written_together", default=None
)


@contextlib.contextmanager
def written_together() -> Iterator[_Outputs]:
    """Let every :func:`atomic_write` inside the block appear only once all of them are
    complete.

    Each output is written, flushed and ``fsync``-ed to its temporary file as usual, but
    renamed into place only when the block ends without an exception: then all of them, in
    the order they were written, one rename after another (the renames cannot fail for want
    of space; each replaces its path atomically). On any exception in the block, including
    KeyboardInterrupt, every temporary file is removed and no path is touched. If a rename
    itself fails, the remaining temporaries are removed and an OSError names what was
    written and what was not. A block inside another one joins it.

    Yields
    ------
    outputs
        ``outputs.written``: the paths renamed so far (all of them after the block).
    """
    outer = _GROUP.get()
    if outer is not None:
        yield outer
        return
    group = _Outputs()
    token = _GROUP.set(group)
    try:
        yield group
    except BaseException:
        _GROUP.reset(token)
        group.discard()
        raise
    _GROUP.reset(token)
    group.commit()


def _sync_directory(directory: Path) -> None:
    """Persist the renames in ``directory`` (POSIX); not possible on every platform."""
    with contextlib.suppress(OSError, AttributeError):
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


@contextlib.contextmanager
def atomic_write(path) -> Iterator:
    """Open a binary file that appears at ``path`` only once completely written.

    Writes go to a temporary file in the same directory (created with its parents if
    needed), which is flushed, ``fsync``-ed and renamed over ``path`` with
    :func:`os.replace` (atomic on POSIX and Windows); inside :func:`written_together` the
    rename waits for the end of that block. On any exception, including KeyboardInterrupt
    (the command line raises one for SIGTERM too), the temporary file is removed and
    ``path`` is left as it was.

    A symbolic link is followed (the file it points to is replaced, the link kept), and a
    path that names a device, a named pipe or a socket is refused: a rename would replace
    it with a regular file (:func:`check_output_path` says so before any work).
    """
    path = Path(path)
    special = _not_regular(path)
    if special is not None:
        raise InvalidParameterError(
            f"cannot write '{path}': it is {special}, not a regular file; give the path of a "
            "new or existing regular file."
        )
    if path.is_symlink():
        path = _real(path)
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
        group = _GROUP.get()
        if group is not None:
            group.staged.append((tmp, path))
            return
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_directory(path.parent)


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    with atomic_write(path) as fh:
        fh.write(data)


def write_csv(table: pa.Table, path) -> None:
    """Write a Table as CSV (header row, comma-separated) atomically."""
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink)
    atomic_write_bytes(path, sink.getvalue().to_pybytes())
