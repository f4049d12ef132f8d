"""A local file backend whose writes are atomic.

mmengine writes checkpoints with ``open(path, 'wb').write(data)``
(:meth:`mmengine.fileio.LocalBackend.put`): a kill during the write leaves a
truncated file under the final name. This backend writes through
:mod:`mmdistill.utils.fileio` instead (temporary name, fsync, rename), so a
reader sees the old file or the complete new one. Selected with
``backend_args=dict(backend='durable_local')``, which
:class:`~mmdistill.engine.DurableCheckpointHook` sets by default.
"""
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from mmdistill.utils.fileio import write_bytes_atomic


@register_backend('durable_local')
class DurableLocalBackend(LocalBackend):
    """:class:`~mmengine.fileio.LocalBackend` with atomic ``put``/``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        write_bytes_atomic(filepath, obj)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        write_bytes_atomic(filepath, obj.encode(encoding))
