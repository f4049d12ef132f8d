"""Temporal phase recognition over per-frame feature sequences."""
from .losses import TruncatedMSELoss
from .phase_model import PhaseSequencePreprocessor, TemporalPhaseModel
from .tcn import MultiStageTCN

__all__ = [
    'MultiStageTCN', 'PhaseSequencePreprocessor', 'TemporalPhaseModel',
    'TruncatedMSELoss'
]
