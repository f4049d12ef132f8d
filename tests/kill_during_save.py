"""Kill -9 the training process at one moment of one checkpoint save.

Imported through ``custom_imports`` by a crashing config in a subprocess;
``KILL_FILE`` (a base name, e.g. ``epoch_2.pth``) and ``KILL_AT`` choose the
moment:

- ``write:N``: after the first N bytes of that file (under its final or a
  temporary name) reached the disk;
- ``before_rename`` / ``after_rename``: around the rename onto that name;
- ``before_remove``: just before that file is deleted.

The process sends itself SIGKILL, so no handler, ``finally`` or atexit runs,
as with ``kill -9`` from outside. Works for any writer that opens the file
with ``open``/``os.fdopen`` and renames with ``os.replace``, so the same
moments apply to mmengine's own CheckpointHook.
"""
import builtins
import io
import os
import signal

KILL_FILE = os.environ['KILL_FILE']
KILL_AT = os.environ['KILL_AT']


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _targets(path) -> bool:
    """Whether ``path`` is KILL_FILE or a hidden temporary name for it."""
    name = os.path.basename(os.fspath(path))
    return name == KILL_FILE or name.startswith(f'.{KILL_FILE}.')


class _DieAfterBytes:
    """A file whose ``write`` dies once ``limit`` bytes are written."""

    def __init__(self, file, limit: int) -> None:
        self._file, self._left = file, limit

    def write(self, data) -> int:
        data = memoryview(data).cast('B')
        if len(data) >= self._left:
            self._file.write(data[:self._left])
            self._file.flush()
            _die()
        self._left -= len(data)
        return self._file.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._file.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._file, name)


def _wrap_open(real_open):

    def opener(file, mode='r', *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        path = (os.readlink(f'/proc/self/fd/{file}')
                if isinstance(file, int) else file)
        if 'w' in mode and _targets(path):
            return _DieAfterBytes(f, int(KILL_AT.split(':')[1]))
        return f

    return opener


def _wrap_replace(real_replace):

    def replace(src, dst, *args, **kwargs):
        hit = os.path.basename(os.fspath(dst)) == KILL_FILE
        if hit and KILL_AT == 'before_rename':
            _die()
        real_replace(src, dst, *args, **kwargs)
        if hit and KILL_AT == 'after_rename':
            _die()

    return replace


def _wrap_remove(real_remove):

    def remove(path, *args, **kwargs):
        if os.path.basename(os.fspath(path)) == KILL_FILE:
            _die()
        real_remove(path, *args, **kwargs)

    return remove


if KILL_AT.startswith('write:'):
    builtins.open = io.open = _wrap_open(io.open)
elif KILL_AT in ('before_rename', 'after_rename'):
    os.replace = _wrap_replace(os.replace)
elif KILL_AT == 'before_remove':
    os.remove = os.unlink = _wrap_remove(os.remove)
else:
    raise ValueError(f'KILL_AT={KILL_AT!r}')
