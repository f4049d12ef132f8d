"""Atomic file writes: a reader never sees a half-written file.

Every tool output that a later run trusts (checkpoints, label files,
feature indexes, reports, pictures) is written here: to a hidden temporary
name in the same folder, flushed and fsynced, then renamed over the final
name. A crash or a kill leaves either the old file or the new one, plus at
most a hidden ``.<name>.<random>.partial`` file that is never read.
"""
import contextlib
import os
import tempfile
from typing import IO, Iterator, Union

PathLike = Union[str, os.PathLike]
PARTIAL_SUFFIX = '.partial'


def _new_file_mode(path: str) -> int:
    """The mode ``open(path, 'w')`` would give: the old file's, else 0o666
    less the umask (``mkstemp`` alone gives 0o600)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: PathLike, binary: bool = False) -> Iterator[IO]:
    """Open a temporary file that replaces ``path`` when the block ends.

    Args:
        path: The final file name. Its folder is created if needed.
        binary: Open in ``'wb'`` mode instead of ``'w'``.

    Yields:
        The open temporary file. On a normal exit it is flushed, fsynced and
        renamed to ``path`` (and the folder fsynced); on an exception it is
        removed and ``path`` is left as it was.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=directory,
        prefix=f'.{os.path.basename(path)}.',
        suffix=PARTIAL_SUFFIX)
    try:
        os.fchmod(fd, _new_file_mode(path))
        with os.fdopen(fd, 'wb' if binary else 'w') as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def write_text_atomic(path: PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_write(path) as f:
        f.write(text)


def write_bytes_atomic(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path, binary=True) as f:
        f.write(data)
