"""Worker processes that end when the process that started them dies.

A pool worker whose parent is killed (``kill -9``, OOM killer) is
re-parented to init and keeps working: it finishes its task and writes
output for a run that no longer exists, perhaps while a rerun starts on the
same folder. :func:`end_with_parent`, called first thing in the worker, asks
Linux to SIGKILL the worker when its parent dies (``PR_SET_PDEATHSIG``) and
polls for the same condition where that is not available.
"""
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _set_parent_death_signal() -> bool:
    if not sys.platform.startswith('linux'):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def end_with_parent(owner_pid: int, poll_seconds: float = 0.5) -> None:
    """Make this process die when its parent or ``owner_pid`` dies.

    Args:
        owner_pid: The process the work belongs to. With the ``forkserver``
            or ``spawn`` start methods it is not the worker's parent (the
            fork server is), so its death is polled for as well.
        poll_seconds: Interval of the polling thread.
    """
    parent = os.getppid()
    _set_parent_death_signal()
    if os.getppid() != parent or not _alive(owner_pid):
        # The parent died before the signal was armed.
        _kill_self()

    def watch() -> None:
        while os.getppid() == parent and _alive(owner_pid):
            time.sleep(poll_seconds)
        _kill_self()

    threading.Thread(target=watch, name='end-with-parent', daemon=True).start()
