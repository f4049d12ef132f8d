"""Host registries that mmdistill registers into.

Everything goes into mmpretrain's registries (configs use
``default_scope='mmpretrain'``); the video-side parts (temporal phase model,
feature-sequence dataset, phase metric) are registered into mmaction2's as
well, so mmaction2 configs can use them too.
"""
from mmaction.registry import DATASETS as VIDEO_DATASETS
from mmaction.registry import METRICS as VIDEO_METRICS
from mmaction.registry import MODELS as VIDEO_MODELS
from mmpretrain.registry import (DATASETS, HOOKS, METRICS, MODELS, TRANSFORMS,
                                 VISUALIZERS)

__all__ = [
    'DATASETS', 'HOOKS', 'METRICS', 'MODELS', 'TRANSFORMS', 'VISUALIZERS',
    'VIDEO_DATASETS', 'VIDEO_METRICS', 'VIDEO_MODELS'
]
