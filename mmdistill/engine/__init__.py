"""Training-loop parts: durable checkpoints and the resume choice."""
from .backend import DurableLocalBackend
from .hooks import DurableCheckpointHook
from .resume import find_resumable_checkpoint, is_complete_checkpoint

__all__ = [
    'DurableCheckpointHook', 'DurableLocalBackend', 'find_resumable_checkpoint',
    'is_complete_checkpoint'
]
