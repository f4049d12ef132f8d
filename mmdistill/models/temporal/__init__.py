"""Temporal phase recognition over per-frame feature sequences."""
from .losses import TruncatedMSELoss
from .phase_model import PhaseSequencePreprocessor, TemporalPhaseModel
from .tcn import CausalTCNStream, MultiStageTCN

__all__ = [
    'CausalTCNStream', 'MultiStageTCN', 'PhaseSequencePreprocessor', 'TemporalPhaseModel',
    'TruncatedMSELoss'
]
