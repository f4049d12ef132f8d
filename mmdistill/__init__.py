"""mmdistill: distilled self-supervised learning for surgical video.

Importing the package registers its models, datasets, metrics and hooks into
mmpretrain's (and mmaction2's) registries and makes mmengine checkpoints
loadable under ``torch.load(weights_only=True)``. Known third-party
warnings are filtered first (:mod:`.warning_filters`).
"""
from .warning_filters import filter_known_warnings

filter_known_warnings()

from .utils.checkpoint import register_checkpoint_safe_globals  # noqa: E402
from .version import __version__  # noqa: E402

register_checkpoint_safe_globals()

from . import (datasets, engine, evaluation, models,  # noqa: E402,F401
               visualization)

__all__ = ['__version__']
