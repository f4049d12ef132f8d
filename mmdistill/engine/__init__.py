"""Training-loop parts: durable checkpoints, the resume choice, monitors."""
from .backend import DurableLocalBackend
from .hooks import DurableCheckpointHook, PhaseKNNMonitorHook
from .resume import find_resumable_checkpoint, is_complete_checkpoint

__all__ = [
    'DurableCheckpointHook', 'DurableLocalBackend', 'PhaseKNNMonitorHook',
    'find_resumable_checkpoint', 'is_complete_checkpoint'
]
