"""A lock file that names the process holding it.

The lock is an exclusive ``flock`` on the file, so the kernel releases it
when the holder dies, however it dies; the file holds the holder's pid so
that a refusal can name it. A file that still names a pid when its lock is
free was left by a holder that died: it is taken over with a warning.
"""
import fcntl
import logging
import os
from typing import Optional

from mmengine.logging import print_log


class LockHeldError(RuntimeError):
    """Another live process holds the lock."""

    def __init__(self, path: str, pid: Optional[int]) -> None:
        self.path, self.pid = path, pid
        holder = f'process {pid}' if pid else 'another process'
        super().__init__(f'{path} is held by {holder}')


class PidLock:
    """An exclusive, non-blocking lock on ``path``; a context manager.

    Args:
        path: The lock file; created if needed, left (empty) on release so
            that a waiting process never locks an unlinked file.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: Optional[int] = None

    def _read_pid(self) -> Optional[int]:
        os.lseek(self._fd, 0, os.SEEK_SET)
        text = os.read(self._fd, 64).decode(errors='replace').strip()
        return int(text) if text.isdigit() else None

    def acquire(self) -> None:
        """Take the lock.

        Raises:
            LockHeldError: if a live process holds it.
        """
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = self._read_pid()
            os.close(self._fd)
            self._fd = None
            raise LockHeldError(self.path, pid) from None
        stale = self._read_pid()
        if stale is not None:
            print_log(
                f'{self.path}: taking over the lock of process {stale}, '
                'which ended without releasing it',
                logger='current',
                level=logging.WARNING)
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f'{os.getpid()}\n'.encode(), 0)
        os.fsync(self._fd)

    def release(self) -> None:
        """Empty the file and release the lock."""
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> 'PidLock':
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
