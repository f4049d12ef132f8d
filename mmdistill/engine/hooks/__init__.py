from .durable_checkpoint_hook import DurableCheckpointHook

__all__ = ['DurableCheckpointHook']
