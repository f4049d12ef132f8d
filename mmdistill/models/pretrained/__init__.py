"""Public pretrained models in: checkpoint formats, an initializer, a scheme.

Importing this package registers mmdistill's ``Pretrained`` weight
initializer (``init_cfg=dict(type='Pretrained', _scope_='mmdistill', ...)``)
and the ``efficientnet-lite0://imagenet`` and
``efficientnet-lite2://imagenet`` checkpoint schemes. Every load into
a module goes through the one exact-fit check of :mod:`.fit`; the layout of
an exported SPT teacher is :mod:`.teacher_export`.
"""
from .efficientnet_lite import (IMAGENET_URI, MEAN, STD, VARIANTS,
                                build_efficientnet_lite_classifier,
                                efficientnet_lite_to_timm)
from .fit import KeyMatch, load_exact, match_state_dict
from .formats import (FORMATS, convert_checkpoint, convert_state_dict,
                      detect_format, source_parts, strip_ddp_prefix)
from .initializer import WEIGHT_INITIALIZERS, PublicPretrainedInit
from .teacher_export import TEACHER_PARTS, export_teacher, spt_teacher_weights

__all__ = [
    'FORMATS', 'IMAGENET_URI', 'MEAN', 'STD', 'TEACHER_PARTS',
    'WEIGHT_INITIALIZERS',
    'VARIANTS', 'KeyMatch', 'PublicPretrainedInit',
    'build_efficientnet_lite_classifier', 'convert_checkpoint',
    'convert_state_dict', 'detect_format', 'efficientnet_lite_to_timm',
    'export_teacher',
    'load_exact', 'match_state_dict', 'source_parts', 'spt_teacher_weights',
    'strip_ddp_prefix'
]
