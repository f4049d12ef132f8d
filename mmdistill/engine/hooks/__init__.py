from .durable_checkpoint_hook import DurableCheckpointHook
from .knn_monitor import PhaseKNNMonitorHook

__all__ = ['DurableCheckpointHook', 'PhaseKNNMonitorHook']
