"""mmdistill: distilled self-supervised learning for surgical video.

Importing the package registers its models, datasets, metrics and hooks into
mmpretrain's (and mmaction2's) registries and makes mmengine checkpoints
loadable under ``torch.load(weights_only=True)``.
"""
from .utils.checkpoint import register_checkpoint_safe_globals
from .version import __version__

register_checkpoint_safe_globals()

from . import datasets, engine, evaluation, models, visualization  # noqa: E402,F401

__all__ = ['__version__']
