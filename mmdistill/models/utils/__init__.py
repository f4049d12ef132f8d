from .freeze import freeze_module
from .key_queue import enqueue_keys, gather_keys

__all__ = ['freeze_module', 'enqueue_keys', 'gather_keys']
