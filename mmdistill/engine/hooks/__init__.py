from .knn_monitor import PhaseKNNMonitorHook

__all__ = ['PhaseKNNMonitorHook']
